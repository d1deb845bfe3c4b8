// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: alloc - share-based allocation, free memory states and admission
 *
 * The kernel side of the policy core (policy.c, pure C): it gathers each
 * VM file's shares, min, max and estimated active fraction, asks the core
 * for targets under the host budget, and keeps the free memory state.
 * Targets are published in sysfs, by ioctl and tracepoint, and to each
 * file's balloon channel (balloon.c), which kvmmemd carries to QEMU.
 *
 * The budget is budget_pages if set, else the sum of the size= of all
 * mounts.  Admission (paper, section 6): a file may grow, and its min may
 * rise, only if min plus an overhead (the pmap's cost, 16 bytes a guest
 * page, rounded up) can be reserved next to everyone else's reservation;
 * otherwise ENOSPC and a log line saying why.  Reservations are returned
 * when the file shrinks or goes.
 *
 * A reservation belongs to the mount it was made in and must fit in that
 * mount's size= next to the mount's other reservations: a tenant can fill
 * its own mount, never another's.  It must also fit in the host budget,
 * which only binds when budget_pages is set below the mounts' sum: then
 * the operator has chosen to let mounts compete for reservations.
 *
 * An admitted min is a guarantee: the frames a file still lacks to reach
 * its min (min minus its private frames) are kept out of everyone else's
 * reach in its mount (kvmmem_alloc_owed_by_others(), asked by the frame
 * allocator only when a mount has less free room than it has reserved).
 *
 * A file is one VM here; grouping a VM's several memory backends by owner
 * is left to kvmmemd, which can give them parameters that add up.
 *
 * Locking: admit_lock serialises reservations; a rebalance runs only from
 * the sampling work item, one at a time; parameters are read with
 * READ_ONCE and may be a period old.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "alloc.h"
#include "fs.h"
#include "paging.h"
#include "registry.h"
#include "stats.h"
#include "trace.h"

/* The pmap's metadata, 16 bytes a guest page: 1/256 of guest memory. */
#define OVERHEAD_SHIFT	8

unsigned int kvmmem_tax_rate = KVMMEM_POLICY_TAX_DEFAULT;
unsigned long kvmmem_budget_pages;
atomic_long_t kvmmem_mounted_pages = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_reserved_pages = ATOMIC_LONG_INIT(0);
struct kvmmem_policy_thresholds kvmmem_thresholds =
	KVMMEM_POLICY_THRESHOLDS_DEFAULT;

static DEFINE_MUTEX(admit_lock);
static enum kvmmem_policy_state free_state = KVMMEM_STATE_HIGH;

static struct kvmmem_vm_alloc *alloc_of(struct inode *inode)
{
	return &KVMMEM_I(inode)->alloc;
}

/**
 * kvmmem_alloc_init_file() - defaults for a new file
 * @inode: the new regular file
 */
void kvmmem_alloc_init_file(struct inode *inode)
{
	struct kvmmem_vm_alloc *va = alloc_of(inode);

	memset(va, 0, sizeof(*va));
	spin_lock_init(&va->idle_lock);
	kvmmem_policy_idle_init(&va->idle);
}

/**
 * kvmmem_alloc_release() - return a file's reservation as it goes
 * @inode: the file being evicted
 */
void kvmmem_alloc_release(struct inode *inode)
{
	struct kvmmem_budget *mount = &KVMMEM_SB(inode->i_sb)->budget;

	mutex_lock(&admit_lock);
	mount->reserved_pages -= alloc_of(inode)->reserved;
	atomic_long_sub(alloc_of(inode)->reserved, &kvmmem_reserved_pages);
	mutex_unlock(&admit_lock);
}

/**
 * kvmmem_alloc_mount_reserved() - what a mount's files have reserved
 * @mount: the mount's budget
 *
 * Return: pages.
 */
u64 kvmmem_alloc_mount_reserved(struct kvmmem_budget *mount)
{
	u64 reserved;

	mutex_lock(&admit_lock);
	reserved = mount->reserved_pages;
	mutex_unlock(&admit_lock);
	return reserved;
}

struct owed_walk {
	struct super_block *sb;
	struct inode *except;
	u64 owed;
};

static void add_owed(struct inode *inode, void *arg)
{
	struct owed_walk *w = arg;
	u64 min, private;

	if (inode->i_sb != w->sb || inode == w->except)
		return;
	min = READ_ONCE(alloc_of(inode)->min_pages);
	private = kvmmem_pmap_private(inode);
	w->owed += min > private ? min - private : 0;
}

/**
 * kvmmem_alloc_owed_by_others() - frames @inode must leave for other files
 * @inode: a file about to get a frame
 *
 * The other files of its mount below their min are owed the difference.
 * Runs in fault and copy-on-write paths, under page locks: it pins no
 * file (kvmmem_registry_walk()), and costs one look at every file.
 *
 * Return: pages.
 */
u64 kvmmem_alloc_owed_by_others(struct inode *inode)
{
	struct owed_walk w = { .sb = inode->i_sb, .except = inode };

	kvmmem_registry_walk(add_owed, &w);
	return w.owed;
}

/**
 * kvmmem_alloc_budget() - host memory kvmmem may use, in pages
 *
 * Return: budget_pages if set, else the sum of all mounts' size=.
 */
u64 kvmmem_alloc_budget(void)
{
	return READ_ONCE(kvmmem_budget_pages) ?:
	       atomic_long_read(&kvmmem_mounted_pages);
}

/**
 * kvmmem_alloc_shares() - a file's shares
 * @inode: a kvmmem regular file
 *
 * Return: the shares set by ioctl, else one per MiB of the file's size.
 */
u32 kvmmem_alloc_shares(struct inode *inode)
{
	struct kvmmem_vm_alloc *va = alloc_of(inode);
	u64 mib = i_size_read(inode) >> 20;

	if (READ_ONCE(va->shares_set))
		return READ_ONCE(va->shares);
	return clamp_t(u64, mib, 1, U32_MAX);
}

/**
 * kvmmem_alloc_max() - a file's max, in pages
 * @inode: a kvmmem regular file
 *
 * Return: the max set by ioctl, else the file size.
 */
u64 kvmmem_alloc_max(struct inode *inode)
{
	return READ_ONCE(alloc_of(inode)->max_pages) ?:
	       DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
}

/**
 * kvmmem_alloc_admit() - reserve min + overhead for new parameters or size
 * @inode: a kvmmem regular file
 * @min_pages: the min to admit
 * @max_pages: the max to admit (0: the file size)
 * @size: the file size to admit, in bytes
 *
 * On success the file's min, max and reservation are the new ones.
 *
 * Return: 0; -ENOSPC if the reservation does not fit in the budget;
 * -EINVAL if min is above max.  Nothing changes on failure.
 */
int kvmmem_alloc_admit(struct inode *inode, u64 min_pages, u64 max_pages,
		       loff_t size)
{
	struct kvmmem_budget *mount = &KVMMEM_SB(inode->i_sb)->budget;
	struct kvmmem_vm_alloc *va = alloc_of(inode);
	u64 pages = DIV_ROUND_UP(size, PAGE_SIZE);
	u64 overhead = DIV_ROUND_UP(pages, 1 << OVERHEAD_SHIFT);
	u64 max = max_pages ?: max(pages, min_pages);
	u64 limit = mount->max_pages, others;
	enum kvmmem_policy_admit verdict;
	const char *where = "mount";

	mutex_lock(&admit_lock);
	others = mount->reserved_pages - va->reserved;
	verdict = kvmmem_policy_admit(limit, others, min_pages, max, overhead);
	if (verdict == KVMMEM_ADMIT_OK) {
		where = "host";
		limit = kvmmem_alloc_budget();
		others = atomic_long_read(&kvmmem_reserved_pages) - va->reserved;
		verdict = kvmmem_policy_admit(limit, others, min_pages, max,
					      overhead);
	}
	/* Giving back never fails, even if a budget shrank meanwhile. */
	if (verdict == KVMMEM_ADMIT_NO_ROOM || verdict == KVMMEM_ADMIT_EXCEEDS_BUDGET)
		if (min_pages + overhead <= va->reserved)
			verdict = KVMMEM_ADMIT_OK;
	if (verdict == KVMMEM_ADMIT_OK) {
		mount->reserved_pages += min_pages + overhead - va->reserved;
		atomic_long_add(min_pages + overhead - va->reserved,
				&kvmmem_reserved_pages);
		va->reserved = min_pages + overhead;
		WRITE_ONCE(va->min_pages, min_pages);
		WRITE_ONCE(va->max_pages, max_pages);
	}
	mutex_unlock(&admit_lock);
	if (verdict == KVMMEM_ADMIT_OK)
		return 0;
	pr_warn_ratelimited("kvmmem: admission refused for inode %lu: min %llu + overhead %llu pages %s of the %s (budget %llu, reserved by others %llu)\n",
			    inode->i_ino, min_pages, overhead,
			    kvmmem_policy_admit_reason(verdict), where, limit,
			    others);
	return verdict == KVMMEM_ADMIT_MIN_ABOVE_MAX ? -EINVAL : -ENOSPC;
}

/**
 * kvmmem_alloc_state() - the current free memory state
 *
 * Return: high, soft, hard or low.
 */
enum kvmmem_policy_state kvmmem_alloc_state(void)
{
	return READ_ONCE(free_state);
}

static void update_state(u64 budget)
{
	u64 used = atomic_long_read(&kvmmem_pages_allocated);
	u64 free = budget > used ? budget - used : 0;
	enum kvmmem_policy_state old = free_state, new;

	new = kvmmem_policy_next_state(old, free, budget, &kvmmem_thresholds);
	if (new == old)
		return;
	WRITE_ONCE(free_state, new);
	kvmmem_count(KVMMEM_EV_STATE_TRANSITIONS, 1);
	trace_kvmmem_state_change(kvmmem_policy_state_name(old),
				  kvmmem_policy_state_name(new), free, budget);
}

static void fill_vm(struct kvmmem_policy_vm *vm, struct inode *inode)
{
	struct kvmmem_vm_alloc *va = alloc_of(inode);

	vm->shares = kvmmem_alloc_shares(inode);
	vm->min = READ_ONCE(va->min_pages);
	vm->max = max(kvmmem_alloc_max(inode), vm->min);
	spin_lock(&va->idle_lock);
	vm->active = kvmmem_policy_idle_estimate(&va->idle);
	spin_unlock(&va->idle_lock);
}

/* Pin up to @max files; returns how many. */
static u32 grab_files(struct inode **files, u32 max)
{
	struct inode *inode;
	u32 n = 0, id = 0;

	while (n < max && (inode = kvmmem_registry_next(&id)))
		files[n++] = inode;
	return n;
}

/**
 * kvmmem_alloc_rebalance() - recompute every file's target and the state
 *
 * Called at the end of each sampling period, in process context.
 */
void kvmmem_alloc_rebalance(void)
{
	/* the registry holds at most KVMMEM_POLICY_MAX_VMS: all are covered */
	u32 max = min_t(unsigned long, kvmmem_registry_count() + 16,
			KVMMEM_POLICY_MAX_VMS);
	struct kvmmem_policy_vm *vms;
	struct inode **files;
	u64 budget = kvmmem_alloc_budget();
	u32 *scratch, n, i;

	update_state(budget);
	/* the hard and low states page (paging.c) */
	if (free_state >= KVMMEM_STATE_HARD)
		kvmmem_paging_kick();
	files = kvmalloc_array(max, sizeof(*files), GFP_KERNEL);
	vms = kvmalloc_array(max, sizeof(*vms), GFP_KERNEL);
	scratch = kvmalloc_array(KVMMEM_POLICY_SCRATCH_ENTRIES(max),
				 sizeof(*scratch), GFP_KERNEL);
	n = files && vms && scratch ? grab_files(files, max) : 0;
	for (i = 0; i < n; i++)
		fill_vm(&vms[i], files[i]);
	if (n && kvmmem_policy_targets(vms, n, budget, READ_ONCE(kvmmem_tax_rate),
				       scratch) != KVMMEM_POLICY_INVALID) {
		for (i = 0; i < n; i++) {
			struct kvmmem_vm_alloc *va = alloc_of(files[i]);

			if (va->target != vms[i].target)
				trace_kvmmem_target(files[i]->i_ino,
						    vms[i].target, vms[i].active);
			WRITE_ONCE(va->target, vms[i].target);
			kvmmem_balloon_publish(files[i], vms[i].target,
					       free_state);
			kvmmem_balloon_check(files[i], free_state);
		}
	}
	for (i = 0; i < n; i++)
		kvmmem_registry_put(files[i]);
	kvfree(scratch);
	kvfree(vms);
	kvfree(files);
}
