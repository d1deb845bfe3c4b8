// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: sample - measuring idle memory by statistical sampling
 *
 * The paper's section 5.3.  Every sample_period_ms, for each VM file, the
 * pages sampled last period are counted (touched or not) into the file's
 * estimator (policy.c: slow and fast moving averages and the current
 * period), and sample_pages resident pages are picked at random for the
 * next period: each is marked in the pmap (xarray mark KVMMEM_SAMPLED) and
 * unmapped, which makes KVM drop its nested PTE too.  The guest's next
 * touch of such a page faults; the fault path sees the mark, clears it and
 * counts the page as touched, once.  Marks survive a merge or a
 * copy-on-write (the xarray keeps marks when an entry is replaced) and go
 * with the entry when it is removed, which counts that page as idle.
 *
 * The period ends with a rebalance (alloc.c), which turns the estimates
 * into targets.
 *
 * Locking: a file's idle_lock orders touches against the end and start of
 * a period; the work item runs one period at a time.  The fault path takes
 * the lock only for a marked page.
 */
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/workqueue.h>

#include "alloc.h"
#include "fs.h"
#include "hotio.h"
#include "registry.h"
#include "stats.h"
#include "sample.h"
#include "trace.h"

#define MAX_SAMPLE_PAGES	1024
#define TRIES_PER_SAMPLE	8

unsigned int kvmmem_sample_period_ms = 30000;
unsigned int kvmmem_sample_pages = 100;

static void sample_period(struct work_struct *work);
static DECLARE_DELAYED_WORK(sample_work, sample_period);

/**
 * kvmmem_sample_touch() - a fault on @gfn: count it if it was sampled
 * @inode: a kvmmem regular file
 * @gfn: the faulting guest frame number
 */
void kvmmem_sample_touch(struct inode *inode, pgoff_t gfn)
{
	struct xarray *frames = &KVMMEM_I(inode)->pmap.frames;
	struct kvmmem_vm_alloc *va = &KVMMEM_I(inode)->alloc;

	if (likely(!xa_get_mark(frames, gfn, KVMMEM_SAMPLED)))
		return;
	spin_lock(&va->idle_lock);
	if (xa_get_mark(frames, gfn, KVMMEM_SAMPLED)) {
		xa_clear_mark(frames, gfn, KVMMEM_SAMPLED);
		kvmmem_policy_idle_touch(&va->idle);
	}
	spin_unlock(&va->idle_lock);
}

/*
 * Up to @n distinct resident gfns, at random.  A hot page (hotio.c) is not
 * taken: unmapping it would cost a fault on a page I/O keeps using.  It
 * counts in *@hot instead, as a sampled page that was touched, which I/O
 * makes it.
 */
static u32 pick(struct inode *inode, pgoff_t *gfns, u32 n, u32 *hot)
{
	struct xarray *frames = &KVMMEM_I(inode)->pmap.frames;
	u64 pages = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	u32 picked = 0, tries, i;

	*hot = 0;
	if (!pages || !atomic_long_read(&KVMMEM_I(inode)->pmap.resident))
		return 0;
	for (tries = 0; picked + *hot < n && tries < n * TRIES_PER_SAMPLE; tries++) {
		pgoff_t gfn = get_random_u64() % pages;

		if (!kvmmem_entry_is_resident(xa_load(frames, gfn)))
			continue;
		for (i = 0; i < picked && gfns[i] != gfn; i++)
			;
		if (i < picked)
			continue;
		if (kvmmem_hotio_is_hot(inode, gfn))
			++*hot;
		else
			gfns[picked++] = gfn;
	}
	return picked;
}

/* End @inode's period and start the next. */
static void sample_file(struct inode *inode, pgoff_t *gfns)
{
	struct xarray *frames = &KVMMEM_I(inode)->pmap.frames;
	struct kvmmem_vm_alloc *va = &KVMMEM_I(inode)->alloc;
	u32 hot, n = pick(inode, gfns, min(kvmmem_sample_pages, MAX_SAMPLE_PAGES), &hot);
	u32 sampled, touched, i;
	unsigned long gfn;
	void *entry;

	spin_lock(&va->idle_lock);
	xa_for_each_marked(frames, gfn, entry, KVMMEM_SAMPLED)
		xa_clear_mark(frames, gfn, KVMMEM_SAMPLED);
	sampled = va->idle.sampled;
	touched = va->idle.touched;
	kvmmem_policy_idle_end(&va->idle);
	kvmmem_policy_idle_start(&va->idle, n + hot);
	for (i = 0; i < hot; i++)
		kvmmem_policy_idle_touch(&va->idle);
	for (i = 0; i < n; i++)
		xa_set_mark(frames, gfns[i], KVMMEM_SAMPLED);
	spin_unlock(&va->idle_lock);
	kvmmem_count(KVMMEM_EV_SAMPLE_HOT, hot);
	for (i = 0; i < n; i++)
		unmap_mapping_pages(inode->i_mapping, gfns[i], 1, false);
	trace_kvmmem_sample(inode->i_ino, sampled, touched,
			    kvmmem_policy_idle_estimate(&va->idle));
}

static void sample_period(struct work_struct *work)
{
	pgoff_t *gfns = kmalloc_array(MAX_SAMPLE_PAGES, sizeof(*gfns),
				      GFP_KERNEL);
	struct inode *inode;
	u32 id = 0;

	while (gfns && (inode = kvmmem_registry_next(&id))) {
		sample_file(inode, gfns);
		kvmmem_registry_put(inode);
		cond_resched();
	}
	kfree(gfns);
	kvmmem_alloc_rebalance();
	kvmmem_sample_reschedule();
}

/**
 * kvmmem_sample_reschedule() - (re)arm the next period after a knob change
 */
void kvmmem_sample_reschedule(void)
{
	mod_delayed_work(system_wq, &sample_work,
			 msecs_to_jiffies(READ_ONCE(kvmmem_sample_period_ms)));
}

/**
 * kvmmem_sample_init() - start sampling periods
 */
void kvmmem_sample_init(void)
{
	kvmmem_sample_reschedule();
}

/**
 * kvmmem_sample_exit() - stop sampling periods
 */
void kvmmem_sample_exit(void)
{
	cancel_delayed_work_sync(&sample_work);
}
