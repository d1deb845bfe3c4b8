// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: budget - the host memory a mount may hold (size=)
 *
 * Every frame a file's pmap holds is charged to its mount when allocated
 * and uncharged when it is really freed.  A frame that leaves its last
 * entry while something else still references it (a pipe that vmspliced
 * it, a GUP pin, I/O in flight) stays charged on the mount's held list
 * until a reap finds it unreferenced: otherwise a user could hold frames
 * past size= by keeping references.
 *
 * Close to full, a charge also leaves room for what the mount's other
 * files are owed to reach their admitted min (alloc.c).
 *
 * Frames below 4 GiB (ZONE_DMA and ZONE_DMA32) are counted as well
 * (frames_below_4g): devices that reach only 32-bit addresses need them,
 * so hot I/O remapping (hotio.c) takes such frames only while the count
 * stays under hot_io_remap_max_percent of those zones.
 *
 * Locking: used_pages is an atomic counter; held_lock protects the held
 * list; charges and reaps may run in any context that may sleep.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "alloc.h"
#include "budget.h"
#include "fs.h"
#include "paging.h"
#include "stats.h"

/*
 * Charged to the faulting task's memory cgroup, not movable: the frames are
 * not on the LRU and cannot be migrated.
 */
#define KVMMEM_FRAME_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT)

/*
 * A frame below 4 GiB for a hot I/O page: not charged (it takes over the
 * charge of the frame it replaces), and not worth waiting or reclaiming
 * for, since the page may simply stay where it is.
 */
#define KVMMEM_LOW_FRAME_GFP	(GFP_USER | __GFP_DMA32 | __GFP_ACCOUNT | \
				 __GFP_NORETRY | __GFP_NOWARN)

/* Held frames looked at each time one more is held. */
#define REAP_BATCH		16

unsigned int kvmmem_hot_io_remap_max_percent = 10;
atomic_long_t kvmmem_frames_low = ATOMIC_LONG_INIT(0);

static struct kvmmem_budget *inode_budget(struct inode *inode)
{
	return &KVMMEM_SB(inode->i_sb)->budget;
}

/**
 * kvmmem_budget_init() - an empty budget of @max_pages
 * @budget: a mount's budget
 * @max_pages: its size=, in pages
 */
void kvmmem_budget_init(struct kvmmem_budget *budget, unsigned long max_pages)
{
	budget->max_pages = max_pages;
	atomic_long_set(&budget->used_pages, 0);
	budget->reserved_pages = 0;
	spin_lock_init(&budget->held_lock);
	INIT_LIST_HEAD(&budget->held);
	budget->nr_held = 0;
}

static void uncharge(struct kvmmem_budget *budget, unsigned long n)
{
	atomic_long_sub(n, &budget->used_pages);
	atomic_long_sub(n, &kvmmem_pages_allocated);
}

/* @page becomes (@n = 1) or stops being (@n = -1) a frame of ours. */
static void count_zone(struct page *page, long n)
{
	if (kvmmem_frame_is_low(page))
		atomic_long_add(n, &kvmmem_frames_low);
}

/**
 * kvmmem_budget_reap() - free held frames that nobody references any more
 * @budget: a mount's budget
 * @max: look at no more than this many (ULONG_MAX: all)
 *
 * Return: the frames freed and uncharged.
 */
unsigned long kvmmem_budget_reap(struct kvmmem_budget *budget,
				 unsigned long max)
{
	struct page *page, *next;
	unsigned long freed = 0;
	LIST_HEAD(free);

	spin_lock(&budget->held_lock);
	/* each held frame once at most: busy ones rotate to the back */
	max = min(max, budget->nr_held);
	list_for_each_entry_safe(page, next, &budget->held, lru) {
		if (!max--)
			break;
		/* still referenced: to the back, so a batch looks at others */
		if (page_ref_count(page) != 1) {
			list_move_tail(&page->lru, &budget->held);
			continue;
		}
		list_move(&page->lru, &free);
		budget->nr_held--;
		freed++;
	}
	spin_unlock(&budget->held_lock);
	list_for_each_entry_safe(page, next, &free, lru) {
		list_del(&page->lru);
		count_zone(page, -1);
		put_page(page);
	}
	uncharge(budget, freed);
	return freed;
}

/*
 * Each frame the mount frees looks at a few held ones too, so that frames
 * a device or a pipe let go of are freed while the mount is in use, not
 * only when it runs out of room or unmounts (vfio_test: four frames a VFIO
 * pin held stayed allocated after VFIO_IOMMU_UNMAP_DMA).
 */
static void reap_held(struct kvmmem_budget *budget)
{
	/* unlocked: a stale count costs one look too many or too few */
	if (data_race(budget->nr_held))
		kvmmem_budget_reap(budget, REAP_BATCH);
}

/**
 * kvmmem_budget_drain() - let go of every held frame at unmount
 * @budget: the budget of a mount whose files are all gone
 *
 * Frames still referenced elsewhere live on as ordinary pages, freed by
 * their last holder; they are no longer the mount's to count.
 */
void kvmmem_budget_drain(struct kvmmem_budget *budget)
{
	struct page *page, *next;
	unsigned long n = 0;

	kvmmem_budget_reap(budget, ULONG_MAX);
	spin_lock(&budget->held_lock);
	list_for_each_entry_safe(page, next, &budget->held, lru) {
		list_del(&page->lru);
		count_zone(page, -1);
		put_page(page);
		n++;
	}
	budget->nr_held = 0;
	spin_unlock(&budget->held_lock);
	uncharge(budget, n);
}

/*
 * One frame more for @inode's mount, if it has room: beyond every
 * reservation, or, closer to full, beyond what the other files are owed
 * to reach their min (alloc.c).
 */
static bool charge(struct inode *inode, struct kvmmem_budget *budget)
{
	long used = atomic_long_inc_return(&budget->used_pages);
	u64 reserved = READ_ONCE(budget->reserved_pages);

	if (used <= budget->max_pages &&
	    (used + reserved <= budget->max_pages ||
	     used + kvmmem_alloc_owed_by_others(inode) <= budget->max_pages))
		return true;
	atomic_long_dec(&budget->used_pages);
	return false;
}

/* Charge a frame, reaping held frames or paging out to make room. */
static bool charge_or_make_room(struct inode *inode, struct kvmmem_budget *budget)
{
	unsigned int attempt = 0;

	while (!charge(inode, budget)) {
		if (kvmmem_budget_reap(budget, ULONG_MAX) && charge(inode, budget))
			break;
		if (!kvmmem_paging_make_room(inode, attempt++))
			return false;
	}
	kvmmem_paging_charged(inode);
	return true;
}

static struct page *alloc_charged(struct kvmmem_budget *budget)
{
	struct page *page = alloc_page(KVMMEM_FRAME_GFP);

	if (!page) {
		atomic_long_dec(&budget->used_pages);
		kvmmem_count(KVMMEM_EV_ALLOC_FAILURES, 1);
		return ERR_PTR(-ENOMEM);
	}
	atomic_long_inc(&kvmmem_pages_allocated);
	count_zone(page, 1);
	return page;
}

/**
 * kvmmem_budget_try_alloc_frame() - a frame only if there is room now
 * @inode: the file it is for
 *
 * For pages nobody waits for (swap readahead): no reaping, no paging.
 *
 * Return: the page (one reference), or NULL.
 */
struct page *kvmmem_budget_try_alloc_frame(struct inode *inode)
{
	struct kvmmem_budget *budget = inode_budget(inode);
	struct page *page;

	if (!charge(inode, budget))
		return NULL;
	page = alloc_charged(budget);
	return IS_ERR(page) ? NULL : page;
}

/**
 * kvmmem_budget_alloc_frame() - a zeroed machine page charged to the mount
 * @inode: the file it is for, pinned by the caller
 *
 * When the mount is full, frames held elsewhere that have been freed
 * since are reaped first; then, if the mount has a backing store, pages
 * are paged out to make room (paging.c), which may wait.
 *
 * Return: the page (one reference), or ERR_PTR(-ENOSPC) when the mount is
 * full, ERR_PTR(-ENOMEM).
 */
struct page *kvmmem_budget_alloc_frame(struct inode *inode)
{
	struct kvmmem_budget *budget = inode_budget(inode);

	if (!charge_or_make_room(inode, budget)) {
		kvmmem_count(KVMMEM_EV_ALLOC_FAILURES, 1);
		pr_warn_ratelimited("kvmmem: %s: mount full (size=%lu pages), no frame for inode %lu\n",
				    current->comm, budget->max_pages,
				    inode->i_ino);
		return ERR_PTR(-ENOSPC);
	}
	return alloc_charged(budget);
}

/* ZONE_DMA and ZONE_DMA32 pages the page allocator manages, all nodes. */
static unsigned long low_managed_pages(void)
{
	unsigned long pages = 0;
	int nid, z;

	for_each_online_node(nid)
		for (z = 0; z <= ZONE_DMA32; z++)
			pages += zone_managed_pages(&NODE_DATA(nid)->node_zones[z]);
	return pages;
}

/**
 * kvmmem_budget_low_frame() - a frame below 4 GiB to replace @old
 * @old: a charged frame above 4 GiB, which its caller is about to free
 *
 * The new frame takes over @old's charge: the caller frees @old with its
 * last put, never through the budget.  None is taken once kvmmem's frames
 * below 4 GiB, all mounts' together, reach hot_io_remap_max_percent of
 * the memory there, so that devices limited to 32-bit DMA keep a reserve.
 *
 * Return: the frame (one reference, not zeroed), or NULL.
 */
struct page *kvmmem_budget_low_frame(struct page *old)
{
	unsigned long cap = low_managed_pages() / 100 *
			    READ_ONCE(kvmmem_hot_io_remap_max_percent);
	struct page *page;

	if (atomic_long_read(&kvmmem_frames_low) >= cap)
		return NULL;
	page = alloc_page(KVMMEM_LOW_FRAME_GFP);
	if (!page)
		return NULL;
	count_zone(page, 1);
	count_zone(old, -1);
	return page;
}

/**
 * kvmmem_budget_frame_freed() - uncharge a frame that no entry holds anymore
 * @inode: a file of the mount the frame was charged to
 * @page: the frame, whose last reference its caller drops
 *
 * Only for a frame nobody else can reference (a merged page, isolated and
 * quiet); otherwise kvmmem_budget_frame_release().  Frees a few held
 * frames that nobody references any more, too.
 */
void kvmmem_budget_frame_freed(struct inode *inode, struct page *page)
{
	struct kvmmem_budget *budget = inode_budget(inode);

	count_zone(page, -1);
	uncharge(budget, 1);
	reap_held(budget);
}

/**
 * kvmmem_budget_frame_release() - a frame leaves its last entry
 * @inode: a file of the mount the frame is charged to
 * @page: the frame; the caller's reference to it (the entry's) goes too
 *
 * The frame stays charged to the mount until the page is really freed: a
 * pipe that vmspliced it, a GUP pin or I/O in flight keeps host memory
 * that size= must count, or a user could allocate past it by holding
 * references.  Such a frame waits on the mount's held list with our
 * reference until kvmmem_budget_reap() finds it unreferenced.
 */
void kvmmem_budget_frame_release(struct inode *inode, struct page *page)
{
	struct kvmmem_budget *budget = inode_budget(inode);

	/*
	 * With no entry and no PTE left, nobody can take a new reference but
	 * a lock-free reader of a stale entry, for a moment: whichever of us
	 * puts last frees the page.
	 */
	if (page_ref_count(page) == 1) {
		count_zone(page, -1);
		put_page(page);
		uncharge(budget, 1);
		reap_held(budget);
		return;
	}
	spin_lock(&budget->held_lock);
	list_add_tail(&page->lru, &budget->held);
	budget->nr_held++;
	spin_unlock(&budget->held_lock);
	kvmmem_budget_reap(budget, REAP_BATCH);
}
