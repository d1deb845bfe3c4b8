// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: balloon - the balloon channel of a VM file
 *
 * The module cannot talk to a guest's balloon driver: QEMU owns the
 * virtio-balloon device, and kvmmemd tells QEMU (QMP "balloon") what the
 * module wants.  This file is the module's end of that channel.  At the
 * end of each sampling period the rebalance (alloc.c) publishes, per file,
 * how much guest memory the VM should keep: everything while the free
 * memory state is high (nothing is reclaimed), the policy's target in the
 * soft state and below (paper, section 6: ballooning is the preferred
 * way to reclaim, host paging the fallback).  A publication wakes the
 * file's pollers with EPOLLPRI, which each descriptor keeps seeing until
 * it reads the channel (KVMMEM_IOC_GET_BALLOON); the descriptor remembers
 * the publication it read in its private_data.
 *
 * Targets move a little every period as the idle estimates move; a
 * balloon chasing each move would churn the guest for nothing.  So a new
 * target is published only when it differs from the last one by 1/64 of
 * the file size or 2 MiB, whichever is more, or when ballooning starts
 * or stops.
 *
 * What comes back (pages the balloon or free page reporting gave up) is
 * counted by the pmap's released entries (pmap.c).
 *
 * A VM whose private memory is still above its published target
 * balloon_timeout_ms after the publication has no balloon, no driver in
 * the guest, or a guest or QEMU that does not answer: it is counted as
 * uncooperative, and host paging (paging.c) takes it down to the target
 * instead, if its mount has a backing store.  It stays so until it gets
 * there or the target goes.
 *
 * Locking: lock orders a publication's target and seq against a reader;
 * the wait queue has its own lock.
 */
#include <linux/fs.h>
#include <linux/kvmmem.h>
#include <linux/poll.h>
#include <linux/sizes.h>

#include "balloon.h"
#include "fs.h"
#include "paging.h"
#include "stats.h"
#include "trace.h"

/* No balloon: the guest keeps all its memory. */
#define KEEP_ALL		U64_MAX
/* A new target must move at least this far (pages), or 1/64 of the file */
#define MIN_STEP_PAGES		(SZ_2M >> PAGE_SHIFT)
#define STEP_SHIFT		6

unsigned int kvmmem_balloon_timeout_ms = 30000;

static_assert(KVMMEM_FREE_STATE_HIGH == (int)KVMMEM_STATE_HIGH);
static_assert(KVMMEM_FREE_STATE_SOFT == (int)KVMMEM_STATE_SOFT);
static_assert(KVMMEM_FREE_STATE_HARD == (int)KVMMEM_STATE_HARD);
static_assert(KVMMEM_FREE_STATE_LOW == (int)KVMMEM_STATE_LOW);
/* a descriptor's private_data holds the publication it read */
static_assert(sizeof(void *) >= sizeof(u64));

static struct kvmmem_vm_balloon *balloon_of(struct inode *inode)
{
	return &KVMMEM_I(inode)->balloon;
}

/**
 * kvmmem_balloon_init() - a channel with nothing published
 * @balloon: the channel of a new file
 */
void kvmmem_balloon_init(struct kvmmem_vm_balloon *balloon)
{
	init_waitqueue_head(&balloon->wait);
	spin_lock_init(&balloon->lock);
	balloon->target = KEEP_ALL;
	balloon->seq = 0;
	balloon->published_at = jiffies;
	balloon->uncooperative = false;
}

static bool worth_publishing(u64 old, u64 new, u64 size_pages)
{
	u64 step = max_t(u64, MIN_STEP_PAGES, size_pages >> STEP_SHIFT);

	if (old == new)
		return false;
	if (old == KEEP_ALL || new == KEEP_ALL)
		return true;
	return (old > new ? old - new : new - old) >= step;
}

/**
 * kvmmem_balloon_publish() - a new target from the rebalance
 * @inode: a VM file
 * @target_pages: the policy's target for it
 * @state: the free memory state it was computed in
 *
 * Called from the sampling work only, one file at a time.
 */
void kvmmem_balloon_publish(struct inode *inode, u64 target_pages,
			    enum kvmmem_policy_state state)
{
	struct kvmmem_vm_balloon *balloon = balloon_of(inode);
	u64 size_pages = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
	u64 new = KEEP_ALL, seq;

	if (state != KVMMEM_STATE_HIGH && target_pages < size_pages)
		new = target_pages;
	spin_lock(&balloon->lock);
	if (!worth_publishing(balloon->target, new, size_pages)) {
		spin_unlock(&balloon->lock);
		return;
	}
	balloon->target = new;
	seq = ++balloon->seq;
	balloon->published_at = jiffies;
	spin_unlock(&balloon->lock);
	trace_kvmmem_balloon_target(inode->i_ino, min(new, size_pages), seq);
	wake_up_interruptible_poll(&balloon->wait, EPOLLPRI);
}

/**
 * kvmmem_balloon_target() - the published target
 * @inode: a VM file
 * @seq: set to the publication it comes from
 *
 * Return: pages the guest should keep, at most the file size.
 */
u64 kvmmem_balloon_target(struct inode *inode, u64 *seq)
{
	struct kvmmem_vm_balloon *balloon = balloon_of(inode);
	u64 target;

	spin_lock(&balloon->lock);
	target = balloon->target;
	*seq = balloon->seq;
	spin_unlock(&balloon->lock);
	return min_t(u64, target, DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE));
}

/**
 * kvmmem_balloon_read() - the published target, read through a descriptor
 * @file: an open VM file; its POLLPRI is acknowledged
 * @seq: set to the publication read
 *
 * Return: pages the guest should keep, at most the file size.
 */
u64 kvmmem_balloon_read(struct file *file, u64 *seq)
{
	u64 target = kvmmem_balloon_target(file_inode(file), seq);

	WRITE_ONCE(file->private_data, (void *)(uintptr_t)*seq);
	return target;
}

/**
 * kvmmem_balloon_poll() - poll(2) on a VM file
 * @file: the file
 * @wait: the poll table
 *
 * A regular file is always readable and writable; EPOLLPRI says that a
 * balloon target was published since this descriptor last read one.
 *
 * Return: the events.
 */
__poll_t kvmmem_balloon_poll(struct file *file, struct poll_table_struct *wait)
{
	struct kvmmem_vm_balloon *balloon = balloon_of(file_inode(file));
	__poll_t mask = EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &balloon->wait, wait);
	if (READ_ONCE(balloon->seq) != (uintptr_t)READ_ONCE(file->private_data))
		mask |= EPOLLPRI;
	return mask;
}

/**
 * kvmmem_balloon_check() - did the VM follow its balloon target in time?
 * @inode: a VM file
 * @state: the free memory state
 *
 * Called from the sampling work after publishing, one file at a time.
 */
void kvmmem_balloon_check(struct inode *inode, enum kvmmem_policy_state state)
{
	struct kvmmem_vm_balloon *balloon = balloon_of(inode);
	u64 private = kvmmem_pmap_private(inode), target;
	unsigned long since;
	bool late;

	spin_lock(&balloon->lock);
	target = balloon->target;
	since = balloon->published_at;
	spin_unlock(&balloon->lock);
	late = state != KVMMEM_STATE_HIGH && target != KEEP_ALL &&
	       private > target &&
	       time_after(jiffies, since +
			  msecs_to_jiffies(READ_ONCE(kvmmem_balloon_timeout_ms)));
	if (late && !balloon->uncooperative) {
		kvmmem_count(KVMMEM_EV_UNCOOPERATIVE, 1);
		pr_info_ratelimited("kvmmem: inode %lu holds %llu pages, %llu over its balloon target for %u ms: paging it\n",
				    inode->i_ino, private, private - target,
				    jiffies_to_msecs(jiffies - since));
	}
	WRITE_ONCE(balloon->uncooperative, late);
	if (late)
		kvmmem_paging_kick();
}

/**
 * kvmmem_balloon_uncooperative() - is the VM to be paged to its target?
 * @inode: a VM file
 * @target_pages: set to the target when it is
 *
 * Return: true if the VM did not follow its balloon target in time.
 */
bool kvmmem_balloon_uncooperative(struct inode *inode, u64 *target_pages)
{
	struct kvmmem_vm_balloon *balloon = balloon_of(inode);

	if (!READ_ONCE(balloon->uncooperative))
		return false;
	spin_lock(&balloon->lock);
	*target_pages = balloon->target;
	spin_unlock(&balloon->lock);
	return *target_pages != KEEP_ALL;
}
