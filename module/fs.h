/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_FS_H
#define KVMMEM_FS_H

#include <linux/fs.h>
#include <linux/kvmmem.h>
#include <linux/siphash.h>

#include "alloc.h"
#include "balloon.h"
#include "budget.h"
#include "hotio.h"
#include "paging.h"
#include "pmap.h"
#include "scan.h"

struct kvmmem_file_kobj;
struct kvmmem_swap;

struct kvmmem_sb_info {
	struct kvmmem_budget budget;
	siphash_key_t content_key;	/* random: keys the content hash */
	atomic_t pins;			/* files pinned through the registry */
	bool draining;			/* unmounting: no new pins */
	struct rcu_head rcu;
	umode_t root_mode;
	kuid_t root_uid;
	kgid_t root_gid;
	u32 max_inodes;			/* nr_inodes= */
	char *swap_path;		/* swapfile=, or NULL */
	struct kvmmem_swap *swap;	/* its backing store, from mount on */
	atomic_t nr_inodes;		/* files and directories */
};

struct kvmmem_inode_info {
	struct kvmmem_pmap pmap;
	struct kvmmem_scan_cursor scan;	/* the scanner's, under scan_mutex */
	struct kvmmem_vm_alloc alloc;	/* shares, min, max, idle estimate */
	struct kvmmem_vm_balloon balloon;	/* target published, pollers */
	struct kvmmem_vm_paging paging;	/* counters, readahead state */
	struct kvmmem_hotio hotio;	/* I/O heat of pages found in use */
	struct kvmmem_file_kobj *sysfs;
	u32 id;				/* registry id, names it in hints */
	u32 domain;			/* sharing domain, under scan_mutex */
	struct inode vfs_inode;
};

/* Domains given to new files when default_domain is "per_vm". */
#define KVMMEM_DOMAIN_AUTO	(KVMMEM_DOMAIN_MAX + 1)

extern bool kvmmem_domain_per_vm;

static inline struct kvmmem_inode_info *KVMMEM_I(struct inode *inode)
{
	return container_of(inode, struct kvmmem_inode_info, vfs_inode);
}

static inline struct kvmmem_sb_info *KVMMEM_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

int kvmmem_fs_init(void);
void kvmmem_fs_exit(void);

#endif /* KVMMEM_FS_H */
