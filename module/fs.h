/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_FS_H
#define KVMMEM_FS_H

#include <linux/fs.h>

#include "pmap.h"

struct kvmmem_file_kobj;

struct kvmmem_sb_info {
	struct kvmmem_budget budget;
	umode_t root_mode;
	kuid_t root_uid;
	kgid_t root_gid;
};

struct kvmmem_inode_info {
	struct kvmmem_pmap pmap;
	struct kvmmem_file_kobj *sysfs;
	struct inode vfs_inode;
};

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
