// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: registry - every kvmmem file, by a small id
 *
 * Hints in the content table name a page by (file id, gfn) in 64 bits,
 * so each regular file gets an id of KVMMEM_HINT_FILE_BITS bits here;
 * the scanner walks the files in id order.  Lookups run under RCU and pin
 * the inode with igrab(), which fails once eviction has begun; inodes are
 * freed after an RCU grace period, so a lookup never touches freed
 * memory.  An id may be reused after its file is gone: a hint naming it is
 * then wrong, which is why every hint is re-hashed before it is trusted.
 */
#include <linux/xarray.h>

#include "frametab.h"
#include "fs.h"
#include "registry.h"

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

	return xa_alloc(&registry, &info->id, info,
			XA_LIMIT(0, KVMMEM_HINT_MAX_FILE), GFP_KERNEL);
}

/**
 * kvmmem_registry_del() - forget a file being evicted
 * @inode: the file
 */
void kvmmem_registry_del(struct inode *inode)
{
	xa_erase(&registry, KVMMEM_I(inode)->id);
}

static struct inode *grab(struct kvmmem_inode_info *info)
{
	return info ? igrab(&info->vfs_inode) : NULL;
}

/**
 * kvmmem_registry_get() - the live file with id @id
 * @id: a file id
 *
 * Return: the inode with a reference (iput() it), or NULL.
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
 * Return: the inode with a reference, or NULL past the last file.
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
