// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: paging - host demand paging to a mount's backing store
 *
 * The paper's last resort (section 3.3): when a mount with a backing
 * store (swapfile=, swap.c) runs short of room under its size=, guest
 * pages are written out and their frames freed; a page comes back at the
 * next fault, read or write that needs it, and its slot is freed.
 *
 * Who pages out: a reclaim thread.  It pages a file out when
 *  - its mount's free room is under its low mark (1/64 of size=, at
 *    least one batch), until the room is twice that;
 *  - it did not follow its balloon target in time (balloon.c), down to
 *    that target;
 *  - the host's free memory (the budget, alloc.c) is below the hard
 *    threshold, until it is back above the soft one, if the file holds
 *    more than its target (policy.rst: the hard and low states page).
 * A task that finds the mount full (a fault, a write) wakes the thread and
 * waits for it, a bounded number of short waits; after that it pages out
 * a batch of its own file itself, so that a fault never waits on a thread
 * that cannot make progress.  In the low state, a VM above its target
 * that takes a frame waits the same way, once, for the thread to bring
 * free memory back (the paper blocks such VMs; here the wait is bounded,
 * and a VM still above target then pages out a batch of its own).
 *
 * Victims, a batch of up to BATCH pages of one file at a time: first the
 * pages the idle sampler picked this period that the guest has not
 * touched since (known idle), then a run of private pages from a random
 * place in the file (the paper's random policy, which keeps clear of the
 * guest's own LRU; a run keeps I/O sequential).  Never a page with a
 * reference beyond the pmap's and ours once it is unmapped (a GUP pin,
 * I/O in flight, a pipe), never a shared frame or a zero entry (they cost
 * no memory of this file's alone).  Each victim is locked (trylock: never
 * waiting on a fault or the scanner), unmapped (KVM drops its SPTE
 * through the MMU notifier) and written while locked, so nobody can
 * change it under the write; then its entry becomes the swap entry.  A
 * failed write leaves the pages in memory.
 *
 * Locking: a batch holds the file's invalidate_lock shared (trylock: a
 * truncate waiting for it is never blocked behind a long I/O) and its
 * victims' page locks across the write.
 */
#include <linux/delay.h>
#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/random.h>
#include <linux/wait.h>

#include "alloc.h"
#include "balloon.h"
#include "budget.h"
#include "fs.h"
#include "paging.h"
#include "pmap.h"
#include "registry.h"
#include "sample.h"
#include "stats.h"
#include "swap.h"
#include "trace.h"

/* Pages written in one I/O. */
#define BATCH			64
/* Entries looked at to find one batch. */
#define MAX_VISITS		(8 * BATCH)
/* A full mount: this many waits for the thread, then page out oneself. */
#define WAITS			20
#define WAIT_JIFFIES		(HZ / 20)
#define DIRECT_TRIES		4

/* In the low state, how long a VM above its target waits for reclaim. */
#define LOW_WAIT_JIFFIES	(HZ / 10)

static struct task_struct *reclaim_thread;
/* the host is paging: from below the hard threshold to above the soft */
static bool host_paging;
static DECLARE_WAIT_QUEUE_HEAD(reclaim_wait);
static DECLARE_WAIT_QUEUE_HEAD(room_wait);
static bool reclaim_wanted;
static atomic_long_t room_seq = ATOMIC_LONG_INIT(0);

static unsigned long low_mark(struct kvmmem_budget *budget)
{
	return max_t(unsigned long, BATCH, budget->max_pages >> 6);
}

static unsigned long free_room(struct kvmmem_budget *budget)
{
	long used = atomic_long_read(&budget->used_pages);

	return used < (long)budget->max_pages ? budget->max_pages - used : 0;
}

/* Is the host's free memory (of the budget) below @percent? */
static bool host_free_below(u32 percent)
{
	u64 budget = kvmmem_alloc_budget();
	u64 used = atomic_long_read(&kvmmem_pages_allocated);
	u64 free = budget > used ? budget - used : 0;

	return free * 100 < budget * percent;
}

static bool above_target(struct inode *inode)
{
	return kvmmem_pmap_private(inode) > READ_ONCE(KVMMEM_I(inode)->alloc.target);
}

/*
 * A victim: @gfn holds a private frame that only its entry references.
 * Returns it locked and unmapped, with a reference, or NULL.
 */
static struct page *take_victim(struct inode *inode, pgoff_t gfn)
{
	void *entry = kvmmem_pmap_entry(inode, gfn);
	struct page *page;

	if (!kvmmem_entry_page(entry) || kvmmem_entry_is_shared(entry))
		return NULL;
	page = kvmmem_pmap_get(inode, gfn);
	if (!page)
		return NULL;
	if (!trylock_page(page))
		goto put;
	if (kvmmem_pmap_entry(inode, gfn) != kvmmem_entry_private(page))
		goto unlock;
	unmap_mapping_pages(inode->i_mapping, gfn, 1, false);
	/* the entry's reference and ours, nothing else */
	if (page_mapped(page) || page_count(page) != 2)
		goto unlock;
	return page;
unlock:
	unlock_page(page);
put:
	put_page(page);
	return NULL;
}

struct batch {
	struct page *pages[BATCH];
	pgoff_t gfns[BATCH];
	unsigned int n;
};

static bool batch_add(struct batch *b, struct inode *inode, pgoff_t gfn)
{
	struct page *page;
	unsigned int i;

	for (i = 0; i < b->n; i++)
		if (b->gfns[i] == gfn)
			return b->n < BATCH;
	page = take_victim(inode, gfn);
	if (page) {
		b->pages[b->n] = page;
		b->gfns[b->n++] = gfn;
	}
	return b->n < BATCH;
}

/* Known idle pages first, then a run from a random place. */
static void pick_victims(struct inode *inode, struct batch *b)
{
	struct xarray *frames = &KVMMEM_I(inode)->pmap.frames;
	pgoff_t pages = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	unsigned int visits = 0;
	unsigned long gfn, start;
	void *entry;

	if (!pages || !kvmmem_pmap_private(inode))
		return;
	xa_for_each_marked(frames, gfn, entry, KVMMEM_SAMPLED) {
		if (!batch_add(b, inode, gfn) || ++visits >= MAX_VISITS / 2)
			break;
		cond_resched();
	}
	start = get_random_u64() % pages;
	xa_for_each_range(frames, gfn, entry, start, pages - 1) {
		if (b->n == BATCH || ++visits >= MAX_VISITS ||
		    !batch_add(b, inode, gfn))
			return;
		cond_resched();
	}
	xa_for_each_range(frames, gfn, entry, 0, start) {
		if (b->n == BATCH || ++visits >= MAX_VISITS ||
		    !batch_add(b, inode, gfn))
			return;
		cond_resched();
	}
}

/* Write out @b's pages from @done on; returns how many went out. */
static unsigned int write_batch(struct inode *inode, struct kvmmem_swap *swap,
				struct batch *b)
{
	unsigned int done = 0, n, i;
	unsigned long first;

	while (done < b->n) {
		n = kvmmem_swap_alloc(swap, b->n - done, &first);
		if (!n) {
			pr_warn_ratelimited("kvmmem: the backing store is full (%lu slots): pages stay in memory\n",
					    swap->nr_slots);
			break;
		}
		if (kvmmem_swap_write(swap, first, b->pages + done, n)) {
			kvmmem_swap_free(swap, first, n);
			break;
		}
		trace_kvmmem_page_out(inode->i_ino, b->gfns[done], n, first);
		for (i = 0; i < n; i++)
			kvmmem_pmap_swapped_out(inode, b->gfns[done + i],
						b->pages[done + i], first + i);
		done += n;
	}
	return done;
}

/*
 * Page out a batch of @inode's (pinned by the caller).  Returns the pages
 * written out.
 */
static unsigned int page_out(struct inode *inode)
{
	struct kvmmem_swap *swap = KVMMEM_SB(inode->i_sb)->swap;
	struct address_space *mapping = inode->i_mapping;
	struct batch *b;
	unsigned int done, i;

	if (!swap || !kvmmem_swap_writable(swap))
		return 0;
	b = kmalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return 0;
	b->n = 0;
	if (!down_read_trylock(&mapping->invalidate_lock)) {
		kfree(b);
		return 0;
	}
	pick_victims(inode, b);
	done = b->n ? write_batch(inode, swap, b) : 0;
	/* those not written stay as they were; the next touch maps them */
	for (i = done; i < b->n; i++) {
		unlock_page(b->pages[i]);
		put_page(b->pages[i]);
	}
	up_read(&mapping->invalidate_lock);
	kfree(b);
	if (done) {
		kvmmem_count(KVMMEM_EV_PAGES_SWAPPED_OUT, done);
		atomic_long_inc(&room_seq);
		wake_up_all(&room_wait);
	}
	return done;
}

/* Is @inode, on a mount with a backing store, to be paged out now? */
static bool wants_paging(struct inode *inode, bool host)
{
	struct kvmmem_budget *budget = &KVMMEM_SB(inode->i_sb)->budget;
	u64 target;

	if (free_room(budget) < 2 * low_mark(budget))
		return true;
	if (kvmmem_balloon_uncooperative(inode, &target) &&
	    kvmmem_pmap_private(inode) > target)
		return true;
	return host && above_target(inode);
}

/* One round over every file that is to be paged; true on progress. */
static bool reclaim_round(void)
{
	struct inode *inode;
	bool progress = false;
	u32 id = 0;

	if (host_free_below(READ_ONCE(kvmmem_thresholds.hard)))
		host_paging = true;
	else if (!host_free_below(READ_ONCE(kvmmem_thresholds.soft)))
		host_paging = false;
	while ((inode = kvmmem_registry_next(&id))) {
		if (KVMMEM_SB(inode->i_sb)->swap && wants_paging(inode, host_paging))
			progress |= page_out(inode) > 0;
		kvmmem_registry_put(inode);
		cond_resched();
	}
	return progress;
}

static int reclaim_main(void *unused)
{
	set_freezable();
	while (!kthread_should_stop()) {
		wait_event_freezable(reclaim_wait, READ_ONCE(reclaim_wanted) ||
				     kthread_should_stop());
		WRITE_ONCE(reclaim_wanted, false);
		while (!kthread_should_stop() && reclaim_round())
			;
		/* nothing more to do: let waiters look again and give up */
		atomic_long_inc(&room_seq);
		wake_up_all(&room_wait);
	}
	return 0;
}

/**
 * kvmmem_paging_kick() - wake the reclaim thread for a round
 */
void kvmmem_paging_kick(void)
{
	if (!READ_ONCE(reclaim_wanted)) {
		WRITE_ONCE(reclaim_wanted, true);
		wake_up(&reclaim_wait);
	}
}

/**
 * kvmmem_paging_charged() - a frame was charged to @inode's mount
 * @inode: the file it is for, pinned by the caller
 *
 * Wakes the reclaim thread when the mount's free room runs low or the
 * host's free memory is below the hard threshold; in the low state, makes
 * a VM above its target wait for reclaim (bounded), then page out a batch
 * of its own.  Only for files on mounts with a backing store.
 */
void kvmmem_paging_charged(struct inode *inode)
{
	struct kvmmem_sb_info *sbi = KVMMEM_SB(inode->i_sb);
	u32 low = READ_ONCE(kvmmem_thresholds.low);

	if (!sbi->swap)
		return;
	if (free_room(&sbi->budget) < low_mark(&sbi->budget) ||
	    host_free_below(READ_ONCE(kvmmem_thresholds.hard)))
		kvmmem_paging_kick();
	if (!host_free_below(low) || !above_target(inode))
		return;
	kvmmem_count(KVMMEM_EV_LOW_WAITS, 1);
	wait_event_timeout(room_wait, !host_free_below(low), LOW_WAIT_JIFFIES);
	if (host_free_below(low) && above_target(inode))
		page_out(inode);
}

/**
 * kvmmem_paging_make_room() - a charge to @inode's mount failed: wait
 * @inode: the file that needs a frame, pinned by the caller
 * @attempt: how many times the caller asked already, from 0
 *
 * Waits for the reclaim thread to free room, a bounded number of times;
 * then pages out some of @inode itself.
 *
 * Return: true if the caller should try to charge again; false when the
 * mount has no backing store or paging cannot make room.
 */
bool kvmmem_paging_make_room(struct inode *inode, unsigned int attempt)
{
	struct kvmmem_sb_info *sbi = KVMMEM_SB(inode->i_sb);
	long seq = atomic_long_read(&room_seq);

	if (!sbi->swap || attempt >= WAITS + DIRECT_TRIES)
		return false;
	if (!kvmmem_swap_writable(sbi->swap)) {
		if (kvmmem_swap_full(sbi->swap))
			kvmmem_count(KVMMEM_EV_SWAP_FULL, 1);
		return false;
	}
	if (attempt < WAITS) {
		if (!attempt)
			kvmmem_count(KVMMEM_EV_RECLAIM_WAITS, 1);
		kvmmem_paging_kick();
		wait_event_timeout(room_wait,
				   atomic_long_read(&room_seq) != seq,
				   WAIT_JIFFIES);
		return true;
	}
	return page_out(inode) > 0;
}

/**
 * kvmmem_paging_swap_in() - read a swapped-out page back
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @entry: its swap entry
 *
 * Caller holds invalidate_lock shared.
 *
 * Return: the new frame, locked, with a reference; ERR_PTR(-EAGAIN) if
 * the entry changed meanwhile; -EIO when the slot could not be read or
 * does not hold the page written there; -ENOSPC, -ENOMEM.
 */
struct page *kvmmem_paging_swap_in(struct inode *inode, pgoff_t gfn,
				   void *entry)
{
	struct kvmmem_swap *swap = KVMMEM_SB(inode->i_sb)->swap;
	unsigned long slot = kvmmem_entry_swap_slot(entry);
	struct page *page;
	int err;

	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	page = kvmmem_budget_alloc_frame(inode);
	if (IS_ERR(page))
		return page;
	lock_page(page);
	get_page(page);
	err = kvmmem_swap_read(swap, slot, page);
	/* a racing swap-in may have freed the slot, and it been reused */
	if (kvmmem_pmap_entry(inode, gfn) != entry)
		err = -EAGAIN;
	else if (err)
		kvmmem_swap_count_error(swap, slot, err);
	if (err == -EBADMSG)
		err = -EIO;
	if (!err && !kvmmem_pmap_swapped_in(inode, gfn, entry, page))
		err = -EAGAIN;
	trace_kvmmem_page_in(inode->i_ino, gfn, slot, err);
	if (err) {
		unlock_page(page);
		put_page(page);
		__free_page(page);
		kvmmem_budget_frame_freed(inode);	/* nobody ever saw it */
		return ERR_PTR(err);
	}
	kvmmem_swap_free(swap, slot, 1);
	kvmmem_count(KVMMEM_EV_PAGES_SWAPPED_IN, 1);
	return page;
}

/**
 * kvmmem_paging_read_copy() - a copy of a swapped-out page, left out
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 *
 * For pread: reading guest memory (a migration, a dump) needs no frame of
 * the mount's, so it works even when the mount and its store are full,
 * and leaves the page where it was.
 *
 * Return: a page of the kernel's (not the mount's) holding the contents,
 * with a reference; NULL if @gfn is no longer swapped out (look again);
 * ERR_PTR(-EIO) when the slot cannot be read or is not the page written
 * there; -ENOMEM.
 */
struct page *kvmmem_paging_read_copy(struct inode *inode, pgoff_t gfn)
{
	struct kvmmem_swap *swap = KVMMEM_SB(inode->i_sb)->swap;
	struct page *copy = alloc_page(GFP_KERNEL), *result = NULL;
	unsigned int tries;
	int err;

	if (!copy)
		return ERR_PTR(-ENOMEM);
	filemap_invalidate_lock_shared(inode->i_mapping);
	for (tries = 0; tries < 8; tries++) {
		void *entry = kvmmem_pmap_entry(inode, gfn);
		unsigned long slot = kvmmem_entry_swap_slot(entry);

		if (!kvmmem_entry_is_swap(entry))
			break;
		err = kvmmem_swap_read(swap, slot, copy);
		/* a swap-in changes the entry before it frees the slot */
		if (kvmmem_pmap_entry(inode, gfn) != entry)
			continue;
		if (!err) {
			result = copy;
			break;
		}
		/* once more, in case the slot was freed and reused under us */
		if (tries) {
			kvmmem_swap_count_error(swap, slot, err);
			result = ERR_PTR(-EIO);
			break;
		}
	}
	filemap_invalidate_unlock_shared(inode->i_mapping);
	if (result != copy)
		__free_page(copy);
	else
		kvmmem_count(KVMMEM_EV_SWAP_READS, 1);
	return result;
}

/**
 * kvmmem_paging_init() - start the reclaim thread
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_paging_init(void)
{
	reclaim_thread = kthread_run(reclaim_main, NULL, "kvmmem_reclaim");
	return PTR_ERR_OR_ZERO(reclaim_thread);
}

/**
 * kvmmem_paging_exit() - stop it; no mount may exist any more
 */
void kvmmem_paging_exit(void)
{
	kthread_stop(reclaim_thread);
}
