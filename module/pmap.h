/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_PMAP_H
#define KVMMEM_PMAP_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/xarray.h>

/* Host memory a mount may hold, in machine pages (the size= option). */
struct kvmmem_budget {
	unsigned long max_pages;
	atomic_long_t used_pages;
};

/* One file's guest-physical -> machine page table. */
struct kvmmem_pmap {
	struct xarray frames;
	atomic_long_t resident;
};

void kvmmem_pmap_init(struct kvmmem_pmap *pmap);
void kvmmem_pmap_destroy(struct inode *inode);
struct page *kvmmem_pmap_get(struct inode *inode, pgoff_t gfn);
struct page *kvmmem_pmap_get_or_alloc(struct inode *inode, pgoff_t gfn);
struct page *kvmmem_pmap_fault_page(struct inode *inode, pgoff_t gfn);
bool kvmmem_pmap_owns(struct inode *inode, pgoff_t gfn, struct page *page);
unsigned long kvmmem_pmap_remove(struct inode *inode, pgoff_t first,
				 pgoff_t end);

#endif /* KVMMEM_PMAP_H */
