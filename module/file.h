/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_FILE_H
#define KVMMEM_FILE_H

#include <linux/fs.h>

#include "compat.h"

extern const struct file_operations kvmmem_file_ops;
extern const struct inode_operations kvmmem_file_inode_ops;

int kvmmem_setattr(struct kvmmem_idmap *idmap, struct dentry *dentry,
		   struct iattr *attr);

#endif /* KVMMEM_FILE_H */
