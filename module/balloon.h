/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_BALLOON_H
#define KVMMEM_BALLOON_H

#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "policy.h"

/* A VM file's balloon channel (balloon.c). */
struct kvmmem_vm_balloon {
	wait_queue_head_t wait;	/* pollers of the file */
	spinlock_t lock;	/* target and seq change together */
	u64 target;		/* pages to keep, as published; U64_MAX: all */
	u64 seq;		/* publications so far */
	unsigned long published_at;	/* jiffies of the last publication */
	bool uncooperative;	/* above target past the timeout: paged */
};

extern unsigned int kvmmem_balloon_timeout_ms;

void kvmmem_balloon_init(struct kvmmem_vm_balloon *balloon);
void kvmmem_balloon_publish(struct inode *inode, u64 target_pages,
			    enum kvmmem_policy_state state);
u64 kvmmem_balloon_target(struct inode *inode, u64 *seq);
u64 kvmmem_balloon_read(struct file *file, u64 *seq);
__poll_t kvmmem_balloon_poll(struct file *file, struct poll_table_struct *wait);
void kvmmem_balloon_check(struct inode *inode, enum kvmmem_policy_state state);
bool kvmmem_balloon_uncooperative(struct inode *inode, u64 *target_pages);

#endif /* KVMMEM_BALLOON_H */
