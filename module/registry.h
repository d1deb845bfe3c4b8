/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_REGISTRY_H
#define KVMMEM_REGISTRY_H

#include <linux/fs.h>

struct kvmmem_sb_info;

int kvmmem_registry_add(struct inode *inode);
void kvmmem_registry_del(struct inode *inode);
struct inode *kvmmem_registry_get(u32 id);
struct inode *kvmmem_registry_next(u32 *id);
void kvmmem_registry_put(struct inode *inode);
void kvmmem_registry_drain(struct kvmmem_sb_info *sbi);
unsigned long kvmmem_registry_count(void);
void kvmmem_registry_walk(void (*fn)(struct inode *inode, void *arg),
			  void *arg);

#endif /* KVMMEM_REGISTRY_H */
