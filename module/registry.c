// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: registry - every kvmmem file, by a small id
 *
 * Hints in the content table name a page by (file id, gfn) in 64 bits,
 * so each regular file gets an id of KVMMEM_HINT_FILE_BITS bits here;
 * the scanner walks the files in id order.  Ids stop at the number of VMs
 * the policy core takes in one call (KVMMEM_MAX_FILES), so that every
 * file has its share of the budget computed: there are never more files
 * than one rebalance covers.  Lookups run under RCU and pin
 * the inode with igrab(), which fails once eviction has begun; inodes are
 * freed after an RCU grace period, so a lookup never touches freed
 * memory.  An id may be reused after its file is gone: a hint naming it is
 * then wrong, which is why every hint is re-hashed before it is trusted.
 *
 * Unmounting must not meet such a reference: the VFS evicts every inode of
 * the mount once its dentries are gone, and an inode that a background
 * user (scanner, sampling, rebalance) still pins then is a busy inode after
 * unmount, a BUG on the way to a use-after-free.  So each mount counts the
 * pins on its files, and kvmmem_registry_drain() stops new ones and waits
 * for the rest to go before the mount is torn down.
 */
#include <linux/atomic.h>
#include <linux/wait_bit.h>
#include <linux/xarray.h>

#include "frametab.h"
#include "fs.h"
#include "policy.h"
#include "registry.h"

#define KVMMEM_MAX_FILES	KVMMEM_POLICY_MAX_VMS
static_assert(KVMMEM_MAX_FILES - 1 <= KVMMEM_HINT_MAX_FILE);

static DEFINE_XARRAY_ALLOC(registry);

/**
 * kvmmem_registry_add() - give a new regular file its id
 * @inode: the file
 *
 * Return: 0, or -ENOSPC when every id is taken, -ENOMEM.
 */
int kvmmem_registry_add(struct inode *inode)
{
	struct kvmmem_inode_info *info = KVMMEM_I(inode);

	int err = xa_alloc(&registry, &info->id, info,
			   XA_LIMIT(0, KVMMEM_MAX_FILES - 1), GFP_KERNEL);

	if (err == -EBUSY) {
		pr_warn_ratelimited("kvmmem: %s: all %u files of all mounts exist\n",
				    current->comm, KVMMEM_MAX_FILES);
		err = -ENOSPC;
	}
	return err;
}

/**
 * kvmmem_registry_del() - forget a file being evicted
 * @inode: the file
 */
void kvmmem_registry_del(struct inode *inode)
{
	xa_erase(&registry, KVMMEM_I(inode)->id);
}

/**
 * kvmmem_registry_walk() - call @fn on every file, without pinning any
 * @fn: called under rcu_read_lock(): must not sleep, and may only read
 *	the inode (which may be on its way out, but is not freed meanwhile)
 * @arg: passed to @fn
 *
 * For paths that may not take a reference (one whose put could evict a
 * file under the caller's locks).
 */
void kvmmem_registry_walk(void (*fn)(struct inode *inode, void *arg),
			  void *arg)
{
	struct kvmmem_inode_info *info;
	unsigned long index;

	rcu_read_lock();
	xa_for_each(&registry, index, info)
		fn(&info->vfs_inode, arg);
	rcu_read_unlock();
}

static void unpin(struct kvmmem_sb_info *sbi)
{
	if (atomic_dec_and_test(&sbi->pins))
		wake_up_var(&sbi->pins);
}

/*
 * Under RCU: the inode and its superblock are freed only after a grace
 * period, and kvmmem_kill_sb() waits one before freeing the mount's info.
 */
static struct inode *grab(struct kvmmem_inode_info *info)
{
	struct kvmmem_sb_info *sbi;
	struct inode *inode;

	if (!info)
		return NULL;
	sbi = KVMMEM_SB(info->vfs_inode.i_sb);
	atomic_inc(&sbi->pins);
	/* Pairs with the barrier in kvmmem_registry_drain(). */
	smp_mb__after_atomic();
	inode = READ_ONCE(sbi->draining) ? NULL : igrab(&info->vfs_inode);
	if (!inode)
		unpin(sbi);
	return inode;
}

/**
 * kvmmem_registry_put() - let go of a file from the registry
 * @inode: what kvmmem_registry_get() or kvmmem_registry_next() returned
 */
void kvmmem_registry_put(struct inode *inode)
{
	struct kvmmem_sb_info *sbi = KVMMEM_SB(inode->i_sb);

	iput(inode);
	unpin(sbi);
}

/**
 * kvmmem_registry_drain() - no more pins on the files of a mount going away
 * @sbi: the mount's info
 *
 * Refuses new pins on the mount's files and waits until the last one is
 * put.  Called by kvmmem_kill_sb() before any inode is evicted.
 */
void kvmmem_registry_drain(struct kvmmem_sb_info *sbi)
{
	WRITE_ONCE(sbi->draining, true);
	/* Pairs with the barrier in grab(): a pin sees draining or is seen. */
	smp_mb();
	wait_var_event(&sbi->pins, !atomic_read(&sbi->pins));
}

/**
 * kvmmem_registry_get() - the live file with id @id
 * @id: a file id
 *
 * Return: the inode, pinned (kvmmem_registry_put() it), or NULL.
 */
struct inode *kvmmem_registry_get(u32 id)
{
	struct inode *inode;

	rcu_read_lock();
	inode = grab(xa_load(&registry, id));
	rcu_read_unlock();
	return inode;
}

/**
 * kvmmem_registry_next() - the first live file with an id >= *@id
 * @id: where to start; set to one past the file returned
 *
 * Return: the inode, pinned (kvmmem_registry_put() it), or NULL past the
 * last file.
 */
struct inode *kvmmem_registry_next(u32 *id)
{
	unsigned long index = *id;
	struct kvmmem_inode_info *info;
	struct inode *inode = NULL;

	rcu_read_lock();
	xa_for_each_start(&registry, index, info, *id) {
		inode = grab(info);
		if (inode)
			break;
	}
	rcu_read_unlock();
	*id = inode ? index + 1 : 0;
	return inode;
}

/**
 * kvmmem_registry_count() - number of registered files
 *
 * Return: how many files have an id.
 */
unsigned long kvmmem_registry_count(void)
{
	unsigned long index, n = 0;
	void *entry;

	rcu_read_lock();
	xa_for_each(&registry, index, entry)
		n++;
	rcu_read_unlock();
	return n;
}
