/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_BUDGET_H
#define KVMMEM_BUDGET_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/spinlock.h>

/* Host memory a mount may hold, in machine pages (the size= option). */
struct kvmmem_budget {
	unsigned long max_pages;
	atomic_long_t used_pages;	/* charged frames, held ones included */
	u64 reserved_pages;	/* its files' admitted min + overhead */
	spinlock_t held_lock;
	struct list_head held;	/* frames no entry holds, still referenced */
	unsigned long nr_held;
};

/* A frame below 4 GiB: in ZONE_DMA or ZONE_DMA32. */
static inline bool kvmmem_frame_is_low(struct page *page)
{
	return page_zonenum(page) <= ZONE_DMA32;
}

extern unsigned int kvmmem_hot_io_remap_max_percent;
extern atomic_long_t kvmmem_frames_low;

void kvmmem_budget_init(struct kvmmem_budget *budget, unsigned long max_pages);
struct page *kvmmem_budget_alloc_frame(struct inode *inode);
struct page *kvmmem_budget_try_alloc_frame(struct inode *inode);
struct page *kvmmem_budget_low_frame(struct page *old);
void kvmmem_budget_frame_freed(struct inode *inode, struct page *page);
void kvmmem_budget_frame_release(struct inode *inode, struct page *page);
unsigned long kvmmem_budget_reap(struct kvmmem_budget *budget,
				 unsigned long max);
void kvmmem_budget_drain(struct kvmmem_budget *budget);

#endif /* KVMMEM_BUDGET_H */
