/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_SYSFS_H
#define KVMMEM_SYSFS_H

struct inode;

int kvmmem_sysfs_init(void);
void kvmmem_sysfs_exit(void);
int kvmmem_sysfs_file_add(struct inode *inode);
void kvmmem_sysfs_file_del(struct inode *inode);

#endif /* KVMMEM_SYSFS_H */
