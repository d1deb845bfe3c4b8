// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: paging - host demand paging to a mount's backing store
 *
 * The paper's last resort (section 3.3): when a mount with a backing
 * store (swapfile=, swap.c) runs short of room under its size=, guest
 * pages are written out and their frames freed; a page comes back at the
 * next fault, read or write that needs it.
 *
 * A page read back keeps its slot until it is written (the kernel's swap
 * cache does the same for anonymous memory): paging it out again then
 * needs no write, which is what a sequential reader of more than the
 * mount holds, or a migration reading paged-out guest memory, does to
 * every page.  pmap.c keeps the slot with the frame, under its page lock
 * (kvmmem_pmap_keep_slot(); a frame becomes shared only after dropping
 * it).
 * Every path that writes a private frame in place or lets it go calls
 * kvmmem_paging_drop_copy() first: page_mkwrite (each first write through
 * a mapping, KVM's and GUP's included), a write or fill through
 * kvmmem_pmap_lock_page(KVMMEM_PMAP_WRITE), a punch hole or truncate, and
 * a merge.  A page is read back with its slot kept only while the store
 * is less than half full, so that copies never crowd out page-outs.
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

/* Pages read ahead of a swap-in fault, at most. */
#define MAX_READAHEAD		32

/* In the low state, how long a VM above its target waits for reclaim. */
#define LOW_WAIT_JIFFIES	(HZ / 10)

unsigned int kvmmem_swap_readahead = 16;

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

/* @n more (or fewer) of @inode's pages keep their slot. */
static void cached_add(struct inode *inode, long n)
{
	atomic_long_add(n, &KVMMEM_I(inode)->paging.cached);
	atomic_long_add(n, &kvmmem_swap_cached);
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
		unsigned long slot = kvmmem_pmap_take_slot(inode, b->gfns[i],
							   page);

		if (!slot) {
			b->pages[kept] = page;
			b->gfns[kept++] = b->gfns[i];
			continue;
		}
		cached_add(inode, -1);
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

/* Give back a frame of ours that was never published. */
static void drop_frame(struct inode *inode, struct page *page)
{
	unlock_page(page);
	kvmmem_budget_frame_freed(inode, page);
	put_page(page);
	__free_page(page);
}

/*
 * The pages after @gfn whose entries are swap entries of the slots after
 * @slot: they can come back in the same read.  Up to @max, each with a
 * frame taken only if the mount has room now.  Returns how many.
 */
static unsigned int readahead_frames(struct inode *inode, pgoff_t gfn,
				     unsigned long slot, struct page **pages,
				     void **entries, unsigned int max)
{
	pgoff_t end = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	unsigned int n;

	for (n = 0; n < max && gfn + 1 + n < end; n++) {
		void *entry = kvmmem_pmap_entry(inode, gfn + 1 + n);

		if (!kvmmem_entry_is_swap(entry) ||
		    kvmmem_entry_swap_slot(entry) != slot + 1 + n)
			break;
		pages[n] = kvmmem_budget_try_alloc_frame(inode);
		if (!pages[n])
			break;
		lock_page(pages[n]);
		get_page(pages[n]);
		entries[n] = entry;
	}
	return n;
}

/*
 * What a read of @entry's slot for @gfn that returned @err proves: 0, the
 * page; -EAGAIN, nothing, if the entry changed meanwhile (a swap-in that
 * dirtied its page freed the slot, and a page-out may have reused it), or
 * on an error that is not @final (the slot may have been freed and reused
 * and the entry come back to the same slot); otherwise -EIO, counted.
 */
static int slot_read_result(struct inode *inode, pgoff_t gfn, void *entry,
			    int err, bool final)
{
	if (kvmmem_pmap_entry(inode, gfn) != entry)
		return -EAGAIN;
	if (!err)
		return 0;
	if (!final)
		return -EAGAIN;
	kvmmem_swap_count_error(KVMMEM_SB(inode->i_sb)->swap,
				kvmmem_entry_swap_slot(entry), err);
	atomic_long_inc(err == -EBADMSG ?
			&KVMMEM_I(inode)->paging.checksum_errors :
			&KVMMEM_I(inode)->paging.io_errors);
	return -EIO;
}

/*
 * Publish page @page read from @entry's slot at @gfn, if the entry is
 * still @entry and the page is right; returns 0, -EAGAIN or -EIO.  The
 * page keeps the slot (see DOC) if the store is less than half full.
 */
static int swapped_in(struct inode *inode, pgoff_t gfn, void *entry,
		      struct page *page, int err)
{
	struct kvmmem_swap *swap = KVMMEM_SB(inode->i_sb)->swap;
	unsigned long slot = kvmmem_entry_swap_slot(entry);
	bool keep = kvmmem_swap_roomy(swap);

	err = slot_read_result(inode, gfn, entry, err, true);
	if (!err && !kvmmem_pmap_swapped_in(inode, gfn, entry, page))
		err = -EAGAIN;
	trace_kvmmem_page_in(inode->i_ino, gfn, slot, err);
	if (err) {
		drop_frame(inode, page);
		return err;
	}
	/* still locked: nobody looks at its slot before it is set */
	if (keep) {
		kvmmem_pmap_keep_slot(inode, gfn, page, slot);
		cached_add(inode, 1);
	} else {
		kvmmem_swap_free(swap, slot, 1);
	}
	kvmmem_count(KVMMEM_EV_PAGES_SWAPPED_IN, 1);
	atomic_long_inc(&KVMMEM_I(inode)->paging.swapped_in);
	return 0;
}

/**
 * kvmmem_paging_drop_copy() - @page is about to change or go: free its slot
 * @inode: the kvmmem file whose private frame @page is
 * @gfn: the guest frame number it backs
 * @page: the frame, locked
 *
 * A page read back from the store keeps its slot while it stays as it was
 * read (see DOC); from its first write, or once it leaves the file, the
 * slot is stale.
 */
void kvmmem_paging_drop_copy(struct inode *inode, pgoff_t gfn,
			     struct page *page)
{
	unsigned long slot = kvmmem_pmap_take_slot(inode, gfn, page);

	if (!slot)
		return;
	cached_add(inode, -1);
	kvmmem_swap_free(KVMMEM_SB(inode->i_sb)->swap, slot - 1, 1);
}

/**
 * kvmmem_paging_swap_in() - read a swapped-out page back
 * @inode: a kvmmem regular file
 * @gfn: guest frame number
 * @entry: its swap entry
 *
 * When the fault follows the file's last swap-in closely (a sequential
 * reader: the pages read ahead last time did not fault), reads up to
 * swap_readahead pages after it in the same I/O, if their slots follow
 * its slot (pages paged out together); those are published unmapped and
 * unlocked, and come back at their next touch without I/O.  A random
 * reader pays for no page it does not want.  Caller holds
 * invalidate_lock shared.
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
	unsigned int ra = min_t(unsigned int, READ_ONCE(kvmmem_swap_readahead),
				MAX_READAHEAD);
	struct page *pages[MAX_READAHEAD + 1];
	void *entries[MAX_READAHEAD + 1];
	int errs[MAX_READAHEAD + 1], err;
	unsigned int n, i;
	pgoff_t last;

	lockdep_assert_held_read(&inode->i_mapping->invalidate_lock);
	pages[0] = kvmmem_budget_alloc_frame(inode);
	if (IS_ERR(pages[0]))
		return pages[0];
	lock_page(pages[0]);
	get_page(pages[0]);
	entries[0] = entry;
	/* only for a fault just past the last one: a sequential reader */
	last = READ_ONCE(KVMMEM_I(inode)->paging.swap_in_last);
	WRITE_ONCE(KVMMEM_I(inode)->paging.swap_in_last, gfn);
	if (gfn <= last || gfn - last > ra + 1)
		ra = 0;
	n = 1 + readahead_frames(inode, gfn, slot, pages + 1, entries + 1, ra);
	kvmmem_swap_read(swap, slot, pages, n, errs);
	for (i = 1; i < n; i++) {
		if (swapped_in(inode, gfn + i, entries[i], pages[i], errs[i]))
			continue;
		kvmmem_count(KVMMEM_EV_SWAP_READAHEAD, 1);
		unlock_page(pages[i]);
		put_page(pages[i]);
	}
	err = swapped_in(inode, gfn, entry, pages[0], errs[0]);
	return err ? ERR_PTR(err) : pages[0];
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

		if (!kvmmem_entry_is_swap(entry))
			break;
		kvmmem_swap_read(swap, kvmmem_entry_swap_slot(entry), &copy, 1,
				 &err);
		err = slot_read_result(inode, gfn, entry, err, tries > 0);
		if (err == -EAGAIN)
			continue;
		result = err ? ERR_PTR(err) : copy;
		break;
	}
	filemap_invalidate_unlock_shared(inode->i_mapping);
	if (result != copy)
		__free_page(copy);
	else
		kvmmem_count(KVMMEM_EV_SWAP_READS, 1);
	return result;
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
