/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_PAGING_H
#define KVMMEM_PAGING_H

#include <linux/atomic.h>
#include <linux/fs.h>

extern unsigned int kvmmem_swap_readahead;

/*
 * One file's paging: its counters and readahead's state (paging.c,
 * pagein.c).
 */
struct kvmmem_vm_paging {
	atomic_long_t swapped_out;	/* pages paged out, ever */
	atomic_long_t swapped_in;	/* pages read back, ever */
	atomic_long_t cached;	/* resident pages that kept their slot */
	atomic_long_t io_errors;	/* failed reads and writes of its pages */
	atomic_long_t checksum_errors;	/* pages read back wrong */
	pgoff_t swap_in_last;	/* the last swap-in fault */
	pgoff_t shared_next;	/* where to look for shared victims */
};

void kvmmem_paging_init_vm(struct kvmmem_vm_paging *paging);

void kvmmem_paging_kick(void);
void kvmmem_paging_charged(struct inode *inode);
bool kvmmem_paging_make_room(struct inode *inode, unsigned int attempt);
struct page *kvmmem_paging_swap_in(struct inode *inode, pgoff_t gfn,
				   void *entry);
struct page *kvmmem_paging_read_copy(struct inode *inode, pgoff_t gfn);
void kvmmem_paging_drop_copy(struct inode *inode, pgoff_t gfn,
			     struct page *page);
unsigned long kvmmem_paging_take_copy(struct inode *inode, pgoff_t gfn,
				      struct page *page);
int kvmmem_paging_init(void);
void kvmmem_paging_exit(void);

#endif /* KVMMEM_PAGING_H */
