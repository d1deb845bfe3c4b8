/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_ALLOC_H
#define KVMMEM_ALLOC_H

#include <linux/fs.h>
#include <linux/spinlock.h>

#include "budget.h"
#include "policy.h"

/* A VM file's allocation parameters and what the policy made of them. */
struct kvmmem_vm_alloc {
	u32 shares;
	bool shares_set;	/* else proportional to the file size */
	u64 min_pages;
	u64 max_pages;		/* 0: the file size */
	u64 reserved;		/* admitted min + overhead, in pages */
	u64 target;		/* pages, from the last rebalance */
	spinlock_t idle_lock;	/* the fault path's touches vs. periods */
	struct kvmmem_policy_idle idle;
};

extern unsigned int kvmmem_tax_rate;
extern unsigned long kvmmem_budget_pages;
extern atomic_long_t kvmmem_mounted_pages;
extern atomic_long_t kvmmem_reserved_pages;
extern struct kvmmem_policy_thresholds kvmmem_thresholds;

void kvmmem_alloc_init_file(struct inode *inode);
void kvmmem_alloc_release(struct inode *inode);
int kvmmem_alloc_admit(struct inode *inode, u64 min_pages, u64 max_pages,
		       loff_t size);
u32 kvmmem_alloc_shares(struct inode *inode);
u64 kvmmem_alloc_max(struct inode *inode);
u64 kvmmem_alloc_budget(void);
u64 kvmmem_alloc_mount_reserved(struct kvmmem_budget *mount);
u64 kvmmem_alloc_owed_by_others(struct inode *inode);
enum kvmmem_policy_state kvmmem_alloc_state(void);
void kvmmem_alloc_rebalance(void);

#endif /* KVMMEM_ALLOC_H */
