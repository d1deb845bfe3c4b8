/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_HOTIO_H
#define KVMMEM_HOTIO_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/xarray.h>

#include "compat.h"

/* One file's I/O heat: only for the guest pages ever found in use. */
struct kvmmem_hotio {
	struct xarray heat;	/* gfn -> value entry (hotio.c) */
	atomic_long_t hot;	/* pages counted hot */
};

/* kvmmem_hotio_visit() flags */
#define KVMMEM_IO_IN_USE	0x1	/* references beyond ours: a pin, I/O */
#define KVMMEM_IO_HOT		0x2	/* hot: leave it alone */
#define KVMMEM_IO_REMAP		0x4	/* was hot, quiet now, above 4 GiB */

/* Heat counts 0..KVMMEM_HEAT_MAX; hot from kvmmem_hot_io_threshold on. */
#define KVMMEM_HEAT_MAX		7

extern unsigned int kvmmem_hot_io_threshold;
extern unsigned int kvmmem_hot_io_remap;
extern atomic_long_t kvmmem_hot_io_pages;

/*
 * References to the frame @page beyond its pmap entry's, the caller's and
 * its page tables': a pin, I/O in flight, a pipe, GUP.
 */
static inline bool kvmmem_frame_in_use(struct page *page)
{
	return folio_maybe_dma_pinned(page_folio(page)) ||
	       page_count(page) > 2 + kvmmem_frame_mapcount(page);
}

/*
 * Only its entry and the caller reference @page, and no page table maps
 * it: it may be copied, freed or moved.  For a locked frame the caller
 * has just unmapped (a fault waits on the page lock to map it again).
 */
static inline bool kvmmem_frame_quiet(struct page *page)
{
	return !folio_mapped(page_folio(page)) && !kvmmem_frame_in_use(page);
}

void kvmmem_hotio_init(struct kvmmem_hotio *hotio);
void kvmmem_hotio_destroy(struct inode *inode);
void kvmmem_hotio_forget(struct inode *inode, pgoff_t first, pgoff_t end);
unsigned int kvmmem_hotio_visit(struct inode *inode, pgoff_t gfn,
				struct page *page);
int kvmmem_hotio_isolate(struct inode *inode, pgoff_t gfn, struct page *page);
void kvmmem_hotio_remap(struct inode *inode, pgoff_t gfn, struct page *page);
void kvmmem_hotio_in_use(struct inode *inode, pgoff_t gfn, struct page *page);
bool kvmmem_hotio_is_hot(struct inode *inode, pgoff_t gfn);

#endif /* KVMMEM_HOTIO_H */
