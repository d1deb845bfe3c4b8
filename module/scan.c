// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: scan - the page sharing scanner thread, kvmmem_scand
 *
 * Every sleep_millisecs the thread looks at up to pages_to_scan resident
 * private guest pages and hands each to share.c.  Files are taken in turn
 * (by registry id), each getting at most pages_to_scan_per_file pages per
 * wake-up (0: an even share), so one huge VM cannot starve the rest.
 *
 * Within a file, pages are visited in a random order (paper, section
 * 4.3), a fresh one per cycle: a linear congruential sequence
 * x' = (mul * x + add) mod 2^k with mul = 1 mod 4 and add odd visits every
 * value below 2^k exactly once (Hull-Dobell), so a cycle covers each guest
 * page once without a visited bitmap.  Holes and shared pages are skipped
 * cheaply; a wake-up visits at most 16 gfns per page it may scan.
 *
 * That costs a cycle one visit per gfn of the file's size.  A sparse file
 * (fewer than one entry per 16 gfns: a ballooned VM, or a huge file with
 * little in it) would take minutes to days per cycle and hold every full
 * scan back, so its cycle walks the pmap's entries in order instead, from
 * a random start round to it: the cost follows what is resident, not the
 * size.
 *
 * A full scan is over when every file has completed a cycle since the last
 * one.  Then full_scans is counted and the hints are dropped, as KSM
 * rebuilds its unstable tree.
 *
 * Locking: scan_mutex is held while scanning a batch, while unmerging and
 * while a file's domain changes; it is outermost, taken only by the
 * thread and by sysfs/ioctl writers that hold no other lock.
 */
#include <linux/freezer.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "frametab.h"
#include "fs.h"
#include "pmap.h"
#include "registry.h"
#include "scan.h"
#include "share.h"
#include "stats.h"

#define MAX_VISITS_PER_PAGE	16

unsigned int kvmmem_pages_to_scan = 100;
unsigned int kvmmem_pages_to_scan_per_file;
unsigned int kvmmem_sleep_millisecs = 20;
unsigned int kvmmem_max_hints;

/* Hints the content table may hold when max_hints is 0 (automatic). */
#define MIN_HINT_CAP	65536UL

static DEFINE_MUTEX(scan_mutex);
static DECLARE_WAIT_QUEUE_HEAD(scan_wait);
static struct task_struct *scan_thread;
static unsigned int run_mode = KVMMEM_RUN_STOP;
static u64 scan_epoch = 1;
static u32 next_file;

static void start_cycle(struct inode *inode, struct kvmmem_scan_cursor *cur,
			unsigned long pages)
{
	unsigned int bits = pages > 1 ? fls64(pages - 1) : 1;

	cur->sequential = kvmmem_pmap_resident(inode) * MAX_VISITS_PER_PAGE < pages;
	cur->start = pages ? get_random_u64() % pages : 0;
	cur->wrapped = false;
	cur->mask = (1ULL << bits) - 1;
	cur->mul = ((get_random_u64() << 2) | 1) & cur->mask;
	cur->add = (get_random_u64() | 1) & cur->mask;
	cur->next = cur->sequential ? cur->start : get_random_u64() & cur->mask;
	cur->left = pages ? cur->mask + 1 : 0;
	cur->active = pages;
	if (!pages)
		cur->done_epoch = scan_epoch;
}

/* Sequential: the next gfn with an entry, round from cur->start. */
static bool next_entry(struct inode *inode, struct kvmmem_scan_cursor *cur,
		       unsigned long pages, pgoff_t *gfn)
{
	for (;;) {
		pgoff_t limit = cur->wrapped ? cur->start : pages;
		pgoff_t next = cur->next;

		if (next < limit && kvmmem_pmap_next_entry(inode, &next, limit - 1)) {
			*gfn = next;
			cur->next = next + 1;
			return true;
		}
		if (cur->wrapped)
			return false;
		cur->wrapped = true;
		cur->next = 0;
	}
}

/* The next gfn of this cycle; false when the cycle is over. */
static bool next_gfn(struct inode *inode, struct kvmmem_scan_cursor *cur,
		     unsigned long pages, pgoff_t *gfn)
{
	if (cur->sequential)
		return next_entry(inode, cur, pages, gfn);
	if (!cur->left)
		return false;
	*gfn = cur->next;
	cur->next = (cur->mul * cur->next + cur->add) & cur->mask;
	cur->left--;
	return true;
}

/* Scan up to @quota pages of one file; returns how many were looked at. */
static unsigned long scan_file(struct inode *inode, unsigned long quota)
{
	struct kvmmem_scan_cursor *cur = &KVMMEM_I(inode)->scan;
	unsigned long pages = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	unsigned long scanned = 0, visits = 0;

	while (scanned < quota && visits < quota * MAX_VISITS_PER_PAGE) {
		pgoff_t gfn;

		if (!next_gfn(inode, cur, pages, &gfn)) {
			/* a cycle ended: let the next file have its turn */
			if (cur->active)
				cur->done_epoch = scan_epoch;
			start_cycle(inode, cur, pages);
			break;
		}
		visits++;
		if (gfn >= pages)
			continue;
		if (kvmmem_share_scan_page(inode, gfn) != KVMMEM_SCAN_SKIPPED)
			scanned++;
		cond_resched();
	}
	return scanned;
}

static bool every_file_cycled(void)
{
	struct inode *inode;
	bool all = true;
	u32 id = 0;

	while (all && (inode = kvmmem_registry_next(&id))) {
		all = KVMMEM_I(inode)->scan.done_epoch == scan_epoch;
		kvmmem_registry_put(inode);
	}
	return all;
}

/* The walk over the files wrapped around: was that a full scan? */
static void end_of_pass(void)
{
	if (!every_file_cycled())
		return;
	scan_epoch++;
	kvmmem_count(KVMMEM_EV_FULL_SCANS, 1);
	kvmmem_frametab_drop_hints();
}

static bool scanning(void)
{
	return READ_ONCE(run_mode) == KVMMEM_RUN_MERGE;
}

static void scan_batch(void)
{
	unsigned long budget = kvmmem_pages_to_scan, files, quota, n;
	struct inode *inode;
	int wraps = 0;

	files = kvmmem_registry_count();
	if (!files)
		return;
	/* a hint per frame, twice over for stale ones, unless set */
	kvmmem_frametab_set_hint_cap(READ_ONCE(kvmmem_max_hints) ?:
		max(MIN_HINT_CAP,
		    2 * (unsigned long)atomic_long_read(&kvmmem_pages_allocated)));
	quota = kvmmem_pages_to_scan_per_file ?: max(1UL, budget / files);
	while (budget && wraps < 2) {
		inode = kvmmem_registry_next(&next_file);
		if (!inode) {
			wraps++;
			end_of_pass();
			continue;
		}
		n = scan_file(inode, min(quota, budget));
		kvmmem_registry_put(inode);
		budget -= min(n, budget);
		if (kthread_should_stop() || !scanning())
			break;
	}
}

/* Sleep sleep_millisecs while running, else until told to run. */
static void scan_sleep(void)
{
	unsigned long timeout;

	if (scanning()) {
		timeout = msecs_to_jiffies(READ_ONCE(kvmmem_sleep_millisecs));
		wait_event_freezable_timeout(scan_wait, kthread_should_stop(),
					     timeout);
	} else {
		wait_event_freezable(scan_wait,
				     scanning() || kthread_should_stop());
	}
}

static int kvmmem_scand(void *unused)
{
	set_freezable();
	set_user_nice(current, 5);
	while (!kthread_should_stop()) {
		mutex_lock(&scan_mutex);
		if (scanning())
			scan_batch();
		mutex_unlock(&scan_mutex);
		scan_sleep();
	}
	return 0;
}

static int unmerge_all(void)
{
	struct inode *inode;
	u32 id = 0;
	int err = 0;

	while (!err && (inode = kvmmem_registry_next(&id))) {
		err = kvmmem_share_unmerge(inode, true);
		kvmmem_registry_put(inode);
	}
	kvmmem_frametab_drop_hints();
	return err;
}

/**
 * kvmmem_scan_run() - the run mode (sysfs "run")
 *
 * Return: KVMMEM_RUN_STOP, _MERGE or _UNMERGE.
 */
unsigned int kvmmem_scan_run(void)
{
	return READ_ONCE(run_mode);
}

/**
 * kvmmem_scan_set_run() - stop, run, or unmerge everything and stop
 * @run: enum kvmmem_run
 *
 * Unmerging runs in the caller's context and may take long.
 *
 * Return: 0; -EINVAL for an unknown mode; the unmerge's error, after
 * which the scanner is stopped.
 */
int kvmmem_scan_set_run(unsigned int run)
{
	int err = 0;

	if (run > KVMMEM_RUN_UNMERGE)
		return -EINVAL;
	mutex_lock(&scan_mutex);
	if (run == KVMMEM_RUN_UNMERGE)
		err = unmerge_all();
	WRITE_ONCE(run_mode, err ? KVMMEM_RUN_STOP : run);
	mutex_unlock(&scan_mutex);
	kvmmem_scan_wake();
	return err;
}

/**
 * kvmmem_scan_lock() - keep the scanner out, e.g. while a domain changes
 */
void kvmmem_scan_lock(void)
{
	mutex_lock(&scan_mutex);
}

/**
 * kvmmem_scan_unlock() - let the scanner run again
 */
void kvmmem_scan_unlock(void)
{
	mutex_unlock(&scan_mutex);
}

/**
 * kvmmem_scan_wake() - make the scanner notice a changed knob now
 */
void kvmmem_scan_wake(void)
{
	wake_up_interruptible(&scan_wait);
}

/**
 * kvmmem_scan_is_scanner() - is the current task the scanner thread?
 *
 * For assertions: the scanner is the one task that holds two files'
 * invalidate_locks at once (share.c), which is what keeps that deadlock
 * free.
 *
 * Return: true in kvmmem_scand.
 */
bool kvmmem_scan_is_scanner(void)
{
	return current == scan_thread;
}

/**
 * kvmmem_scan_init() - start the scanner thread, stopped (run = 0)
 *
 * Return: 0 or a negative errno.
 */
int kvmmem_scan_init(void)
{
	scan_thread = kthread_run(kvmmem_scand, NULL, "kvmmem_scand");
	return PTR_ERR_OR_ZERO(scan_thread);
}

/**
 * kvmmem_scan_exit() - stop the scanner thread
 */
void kvmmem_scan_exit(void)
{
	kthread_stop(scan_thread);
}
