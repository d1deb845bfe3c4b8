// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: paging - host demand paging to a mount's backing store
 *
 * The paper's last resort (section 3.3): when a mount with a backing
 * store (swapfile=, swap.c) runs short of room under its size=, guest
 * pages are written out and their frames freed; a page comes back at the
 * next fault, read or write that needs it (pagein.c).  A page read back
 * that still holds its slot's contents goes again without a write.
 *
 * Who pages out: a reclaim thread.  It pages a file out when
 *  - its mount's free room is under its low mark (1/64 of size=, 32 to
 *    2048 pages), until the room is REFILL (4) times that;
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
 * Victims, a batch of up to BATCH pages of one file at a time (no more
 * than the file is to give up): first the pages the idle sampler picked
 * this period that the guest has not touched since (known idle), then
 * pages read back and not written since (they go without a write), in two
 * generations: those read back before the last ageing (KVMMEM_CLEAN),
 * lowest gfn first, and only when they are gone those read back since
 * (KVMMEM_CLEAN_NEW, aged then).  So a reader going through memory in
 * order, such as a migration, gives back what it has read before the
 * pages read ahead of it, and a page the guest keeps reading is not paged
 * out at every pass but once a generation; then a run of private pages
 * from a random place in the
 * file (the paper's random policy, which keeps clear of the
 * guest's own LRU; a run keeps I/O sequential, and lets a fault read its
 * neighbours back in the same I/O: swap_readahead).  Never a page with a
 * reference beyond the pmap's and ours once it is unmapped (a GUP pin,
 * I/O in flight, a pipe), never a zero entry.  Each victim is locked
 * (trylock: never waiting on a fault or the scanner), unmapped (KVM drops
 * its SPTE through the MMU notifier; a run in one call) and written while
 * locked, so nobody can change it under the write; then its entry becomes
 * the swap entry.  A failed write leaves the pages in memory.
 *
 * Shared frames come last, once a round of the reclaim thread found no
 * private page to give in any file (and for a task that pages out
 * itself): a frame is freed only with its last sharer, so paging one
 * sharer frees nothing yet.  Its contents go to one slot, once (share.c);
 * each sharer's entry becomes a swap entry of that slot, lowest gfn first
 * (copies of one guest have their shared pages at the same gfns).  The
 * last sharer of a frame that is held elsewhere (a pin, a pipe) stays.
 *
 * The reclaim thread keeps two batches of a file in flight: it picks,
 * locks and unmaps the next while the store's workqueue writes the one
 * before (swap.c), so that the store is kept busy.  A waiting task pages
 * out one batch, in itself.
 *
 * Locking: page-out holds the file's invalidate_lock shared (trylock: a
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
#include "hotio.h"
#include "paging.h"
#include "pmap.h"
#include "registry.h"
#include "sample.h"
#include "share.h"
#include "stats.h"
#include "swap.h"
#include "trace.h"

/* Pages written in one I/O: 2 MiB. */
#define BATCH			512
/* Batches of one file in a round of the reclaim thread: 16 MiB. */
#define ROUND_BATCHES		8
/* Entries looked at to find one batch. */
#define MAX_VISITS		(8 * BATCH)
/* A full mount: this many waits for the thread, then page out oneself. */
#define WAITS			20
#define WAIT_JIFFIES		(HZ / 20)
#define DIRECT_TRIES		4
/* What a waiting task pages out of its own file at once. */
#define DIRECT_PAGES		64

/* In the low state, how long a VM above its target waits for reclaim. */
#define LOW_WAIT_JIFFIES	(HZ / 10)

static struct task_struct *reclaim_thread;
/* the host is paging: from below the hard threshold to above the soft */
static bool host_paging;
static DECLARE_WAIT_QUEUE_HEAD(reclaim_wait);
static DECLARE_WAIT_QUEUE_HEAD(room_wait);
static bool reclaim_wanted;
static atomic_long_t room_seq = ATOMIC_LONG_INIT(0);

/*
 * Free room under which a mount pages: 1/64 of it, 32 to 2048 pages; it
 * pages until it has REFILL times that, room for the frames a sequential
 * reader's readahead takes without waiting.
 */
#define REFILL			4

static unsigned long low_mark(struct kvmmem_budget *budget)
{
	return clamp_t(unsigned long, budget->max_pages >> 6, 32, 4 * BATCH);
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

/**
 * kvmmem_paging_init_vm() - a new file's paging: nothing yet
 * @paging: its paging state
 */
void kvmmem_paging_init_vm(struct kvmmem_vm_paging *paging)
{
	atomic_long_set(&paging->swapped_out, 0);
	atomic_long_set(&paging->swapped_in, 0);
	atomic_long_set(&paging->cached, 0);
	atomic_long_set(&paging->io_errors, 0);
	atomic_long_set(&paging->checksum_errors, 0);
	paging->swap_in_last = 0;
	paging->shared_next = 0;
}

/*
 * A candidate: @gfn holds a private frame.  Returns it locked, with a
 * reference, or NULL.
 */
static struct page *lock_candidate(struct inode *inode, pgoff_t gfn)
{
	struct page *page = kvmmem_pmap_get_private(inode, gfn);

	if (!page)
		return NULL;
	if (!trylock_page(page))
		goto put;
	if (kvmmem_pmap_entry(inode, gfn) == kvmmem_entry_private(page))
		return page;
	unlock_page(page);
put:
	put_page(page);
	return NULL;
}

struct batch {
	struct page *pages[BATCH];
	pgoff_t gfns[BATCH];
	unsigned long slots[BATCH];
	unsigned int n;		/* pages to write */
	unsigned int max;	/* at most BATCH */
	unsigned int clean;	/* pages that went without a write of ours */
	bool left;		/* a candidate was left for I/O (hotio.c) */
	struct kvmmem_swap_io io;
};

static void batch_add(struct batch *b, struct inode *inode, pgoff_t gfn)
{
	struct page *page;
	unsigned int i, io;

	for (i = 0; i < b->n; i++)
		if (b->gfns[i] == gfn)
			return;
	page = lock_candidate(inode, gfn);
	if (!page)
		return;
	/* only the scanner remaps */
	io = kvmmem_hotio_visit(inode, gfn, page) & ~KVMMEM_IO_REMAP;
	if (io) {
		kvmmem_count(io & KVMMEM_IO_IN_USE ? KVMMEM_EV_PAGE_OUT_IN_USE :
			     KVMMEM_EV_PAGE_OUT_HOT, 1);
		unlock_page(page);
		put_page(page);
		b->left = true;
		return;
	}
	b->pages[b->n] = page;
	b->gfns[b->n++] = gfn;
}

/*
 * Unmap the candidates (one call for a compact run: one walk of the
 * mappings, one TLB flush, unless that would unmap a page left for I/O)
 * and keep those that only their entry and we reference: no pin, no I/O
 * in flight, no pipe.
 */
static void unmap_victims(struct inode *inode, struct batch *b)
{
	pgoff_t first = ULONG_MAX, last = 0;
	unsigned int i, kept = 0;

	for (i = 0; i < b->n; i++) {
		first = min(first, b->gfns[i]);
		last = max(last, b->gfns[i]);
	}
	if (b->n && last - first < 4 * BATCH && !b->left)
		unmap_mapping_pages(inode->i_mapping, first, last - first + 1,
				    false);
	else
		for (i = 0; i < b->n; i++)
			unmap_mapping_pages(inode->i_mapping, b->gfns[i], 1,
					    false);
	for (i = 0; i < b->n; i++) {
		struct page *page = b->pages[i];

		if (!kvmmem_frame_quiet(page)) {
			kvmmem_hotio_in_use(inode, b->gfns[i], page);
			kvmmem_count(KVMMEM_EV_PAGE_OUT_IN_USE, 1);
			unlock_page(page);
			put_page(page);
			continue;
		}
		b->pages[kept] = page;
		b->gfns[kept++] = b->gfns[i];
	}
	b->n = kept;
}

/*
 * Add to @b the candidates with @mark in [@first, @last], until it is full
 * or *@visits, the entries looked at, reaches @limit.
 */
static void add_marked(struct inode *inode, struct batch *b, pgoff_t first,
		       pgoff_t last, xa_mark_t mark, unsigned int *visits,
		       unsigned int limit)
{
	pgoff_t gfn = first;

	while (b->n < b->max && *visits < limit &&
	       kvmmem_pmap_next_marked(inode, &gfn, last, mark)) {
		++*visits;
		batch_add(b, inode, gfn);
		cond_resched();
		if (gfn++ == last)
			break;
	}
}

/*
 * Known idle pages first, then pages that still hold their slot (they go
 * without a write; the older generation first, see DOC), then a run from
 * a random place.
 */
static void pick_victims(struct inode *inode, struct batch *b)
{
	pgoff_t pages = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	unsigned int visits = 0;
	pgoff_t start;

	if (!pages || !kvmmem_pmap_private(inode))
		return;
	add_marked(inode, b, 0, ULONG_MAX, KVMMEM_SAMPLED, &visits,
		   MAX_VISITS / 2);
	add_marked(inode, b, 0, ULONG_MAX, KVMMEM_CLEAN, &visits,
		   3 * MAX_VISITS / 4);
	if (b->n < b->max) {
		kvmmem_pmap_age_clean(inode);
		add_marked(inode, b, 0, ULONG_MAX, KVMMEM_CLEAN, &visits,
			   3 * MAX_VISITS / 4);
	}
	start = get_random_u64() % pages;
	add_marked(inode, b, start, pages - 1, XA_PRESENT, &visits,
		   MAX_VISITS);
	if (start)
		add_marked(inode, b, 0, start - 1, XA_PRESENT, &visits,
			   MAX_VISITS);
	unmap_victims(inode, b);
}

/*
 * Let @b's pages whose slot still holds their contents go without a
 * write, and keep the others in @b.  Returns how many went.
 */
static unsigned int out_clean(struct inode *inode, struct batch *b)
{
	unsigned int i, kept = 0, clean = 0;

	for (i = 0; i < b->n; i++) {
		struct page *page = b->pages[i];
		unsigned long slot = kvmmem_paging_take_copy(inode, b->gfns[i],
							     page);

		if (!slot) {
			b->pages[kept] = page;
			b->gfns[kept++] = b->gfns[i];
			continue;
		}
		trace_kvmmem_page_out(inode->i_ino, b->gfns[i], 1, slot - 1);
		kvmmem_pmap_swapped_out(inode, b->gfns[i], page, slot - 1);
		clean++;
	}
	b->n = kept;
	if (clean)
		kvmmem_count(KVMMEM_EV_PAGES_OUT_CLEAN, clean);
	return clean;
}

/*
 * Let @inode's sharer at @gfn of a shared frame go to the frame's slot
 * (written with its first sharer; share.c).  Returns true if it went.
 */
static bool out_shared_one(struct inode *inode, pgoff_t gfn)
{
	struct page *frame = kvmmem_pmap_get(inode, gfn);
	unsigned long slot;

	if (!frame)
		return false;
	if (!trylock_page(frame))
		goto put;
	if (kvmmem_pmap_entry(inode, gfn) != kvmmem_entry_shared(frame))
		goto unlock;
	unmap_mapping_pages(inode->i_mapping, gfn, 1, false);
	if (kvmmem_share_swap_slot(inode, frame, &slot))
		goto unlock;
	trace_kvmmem_page_out(inode->i_ino, gfn, 1, slot);
	kvmmem_pmap_shared_out(inode, gfn, frame, slot);
	return true;
unlock:
	unlock_page(frame);
put:
	put_page(frame);
	return false;
}

/*
 * For a file with no private page left to give: up to @max of its entries
 * of shared frames go to the frames' slots, lowest gfn first from where
 * the last call stopped.  A frame is freed with its last sharer; the same
 * guest booted twice has its shared pages at the same gfns, so going in
 * order frees frames sooner than going at random.  Returns how many went.
 */
static unsigned int out_shared(struct inode *inode, unsigned int max)
{
	struct kvmmem_vm_paging *paging = &KVMMEM_I(inode)->paging;
	pgoff_t pages = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	pgoff_t gfn = READ_ONCE(paging->shared_next);
	unsigned int visits = 0, done = 0;
	bool wrapped = false;

	if (!pages || !kvmmem_pmap_sharing(inode))
		return 0;
	while (done < max && visits++ < MAX_VISITS) {
		if (gfn >= pages ||
		    !kvmmem_pmap_next_entry(inode, &gfn, pages - 1)) {
			if (wrapped)
				break;
			wrapped = true;
			gfn = 0;
			continue;
		}
		if (kvmmem_entry_is_shared(kvmmem_pmap_entry(inode, gfn)))
			done += out_shared_one(inode, gfn);
		gfn++;
		cond_resched();
	}
	WRITE_ONCE(paging->shared_next, gfn);
	if (done)
		kvmmem_count(KVMMEM_EV_PAGES_OUT_SHARED, done);
	return done;
}

/*
 * Lock, unmap and start writing a batch of @inode's, of up to @max pages
 * (and BATCH); pages that keep their slot go at once, and so do entries
 * of shared frames if @shared and no private page can go.  Caller holds
 * invalidate_lock shared and passes the batch to finish_batch().
 */
static struct batch *start_batch(struct inode *inode, unsigned long max,
				 bool async, bool shared)
{
	struct kvmmem_swap *swap = KVMMEM_SB(inode->i_sb)->swap;
	struct batch *b;

	if (!swap || !kvmmem_swap_writable(swap))
		return NULL;
	b = kmalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	b->n = 0;
	b->left = false;
	b->max = clamp_t(unsigned long, max, 1, BATCH);
	pick_victims(inode, b);
	b->clean = out_clean(inode, b);
	if (shared && !b->n && !b->clean)
		b->clean = out_shared(inode, b->max);
	b->io.swap = swap;
	b->io.pages = b->pages;
	b->io.slots = b->slots;
	b->io.n = b->n;
	if (b->n)
		kvmmem_swap_write_start(&b->io, async);
	return b;
}

/*
 * Wait for @b's write, turn the entries of the pages written into swap
 * entries and give the others back as they were (the next touch maps
 * them).  Returns how many pages of @b went out, kept slots included.
 */
static unsigned int finish_batch(struct inode *inode, struct batch *b)
{
	unsigned int written = b->n ? kvmmem_swap_write_wait(&b->io) : 0;
	unsigned int done = b->clean + written, i, run;

	if (b->n && b->io.err && b->io.err != -ENOSPC)
		atomic_long_inc(&KVMMEM_I(inode)->paging.io_errors);
	for (i = 0; i < written; i += run) {
		for (run = 1; i + run < written; run++)
			if (b->slots[i + run] != b->slots[i] + run)
				break;
		trace_kvmmem_page_out(inode->i_ino, b->gfns[i], run,
				      b->slots[i]);
	}
	for (i = 0; i < written; i++)
		kvmmem_pmap_swapped_out(inode, b->gfns[i], b->pages[i],
					b->slots[i]);
	for (i = written; i < b->n; i++) {
		unlock_page(b->pages[i]);
		put_page(b->pages[i]);
	}
	kfree(b);
	if (done) {
		kvmmem_count(KVMMEM_EV_PAGES_SWAPPED_OUT, done);
		atomic_long_add(done, &KVMMEM_I(inode)->paging.swapped_out);
		atomic_long_inc(&room_seq);
		wake_up_all(&room_wait);
	}
	return done;
}

/*
 * Page out a batch of @inode's (pinned by the caller), of up to @max
 * pages (and BATCH), in the caller.  Returns the pages that went out.
 */
static unsigned int page_out(struct inode *inode, unsigned long max)
{
	struct address_space *mapping = inode->i_mapping;
	unsigned int done = 0;
	struct batch *b;

	if (!down_read_trylock(&mapping->invalidate_lock))
		return 0;
	b = start_batch(inode, max, false, true);
	if (b)
		done = finish_batch(inode, b);
	up_read(&mapping->invalidate_lock);
	return done;
}

/*
 * The reclaim thread's page-out of up to @want pages of @inode (pinned by
 * the caller), at most ROUND_BATCHES batches: each batch is picked and
 * unmapped while the one before it is written.  Returns the pages that
 * went out.
 */
static unsigned long page_out_pipelined(struct inode *inode, u64 want,
					bool shared)
{
	struct address_space *mapping = inode->i_mapping;
	struct batch *b, *prev = NULL;
	unsigned long done = 0;
	unsigned int i;

	if (!down_read_trylock(&mapping->invalidate_lock))
		return 0;
	for (i = 0; i < ROUND_BATCHES && want; i++) {
		b = start_batch(inode, want, true, shared);
		if (prev)
			done += finish_batch(inode, prev);
		prev = b;
		if (!b || !(b->n + b->clean))
			break;
		want -= min_t(u64, want, b->n + b->clean);
	}
	if (prev)
		done += finish_batch(inode, prev);
	up_read(&mapping->invalidate_lock);
	return done;
}

/* How many pages of @inode, on a mount with a store, to page out now. */
static u64 paging_wanted(struct inode *inode, bool host)
{
	struct kvmmem_budget *budget = &KVMMEM_SB(inode->i_sb)->budget;
	u64 private = kvmmem_pmap_private(inode), target, want = 0;

	if (free_room(budget) < REFILL * low_mark(budget))
		want = REFILL * low_mark(budget) - free_room(budget);
	if (kvmmem_balloon_uncooperative(inode, &target) && private > target)
		want = max(want, private - target);
	target = READ_ONCE(KVMMEM_I(inode)->alloc.target);
	if (host && private > target)
		want = max(want, private - target);
	return want;
}

/*
 * One round over every file that is to be paged, of private pages only or
 * with @shared frames; true on progress.
 */
static bool reclaim_round(bool shared)
{
	struct inode *inode;
	bool progress = false;
	u32 id = 0;

	if (host_free_below(READ_ONCE(kvmmem_thresholds.hard)))
		host_paging = true;
	else if (!host_free_below(READ_ONCE(kvmmem_thresholds.soft)))
		host_paging = false;
	while ((inode = kvmmem_registry_next(&id))) {
		u64 want = KVMMEM_SB(inode->i_sb)->swap ?
			   paging_wanted(inode, host_paging) : 0;

		if (want)
			progress |= page_out_pipelined(inode, want, shared) > 0;
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
		/* shared frames only when no private page can go */
		while (!kthread_should_stop() &&
		       (reclaim_round(false) || reclaim_round(true)))
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
		page_out(inode, DIRECT_PAGES);
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
	return page_out(inode, DIRECT_PAGES) > 0;
}

/**
 * kvmmem_paging_init() - start the reclaim thread and the store's writers
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_paging_init(void)
{
	int err = kvmmem_swap_init();

	if (err)
		return err;
	reclaim_thread = kthread_run(reclaim_main, NULL, "kvmmem_reclaim");
	if (IS_ERR(reclaim_thread)) {
		kvmmem_swap_exit();
		return PTR_ERR(reclaim_thread);
	}
	return 0;
}

/**
 * kvmmem_paging_exit() - stop it; no mount may exist any more
 */
void kvmmem_paging_exit(void)
{
	kthread_stop(reclaim_thread);
	kvmmem_swap_exit();
}
