// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: ioctl - per-file controls (uapi/linux/kvmmem.h)
 *
 * Every structure starts with the caller's idea of its size, which
 * copy_struct_from_user() checks: smaller (older) structures down to the
 * first version are accepted, larger (newer) ones only if the bytes we do
 * not know are zero.  Replies are cut to the caller's size.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvmmem.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "alloc.h"
#include "balloon.h"
#include "fs.h"
#include "ioctl.h"
#include "scan.h"
#include "share.h"

/* Read the caller's struct of at least @min_size bytes into @karg. */
static int read_arg(void *karg, size_t ksize, size_t min_size,
		    void __user *uarg, const char *what)
{
	u32 size;
	int err;

	if (get_user(size, (u32 __user *)uarg))
		return -EFAULT;
	/* a struct that large is no version of ours: no scan of its tail */
	if (size > PAGE_SIZE) {
		pr_warn_ratelimited("kvmmem: %s: struct %s size %u, at most %lu\n",
				    current->comm, what, size, PAGE_SIZE);
		return -E2BIG;
	}
	if (size < min_size) {
		pr_warn_ratelimited("kvmmem: %s: struct %s size %u, at least %zu\n",
				    current->comm, what, size, min_size);
		return -EINVAL;
	}
	err = copy_struct_from_user(karg, ksize, uarg, size);
	if (err == -E2BIG)
		pr_warn_ratelimited("kvmmem: %s: struct %s has unknown non-zero fields\n",
				    current->comm, what);
	return err;
}

static int reply(void __user *uarg, void *karg, size_t ksize)
{
	u32 size;

	if (get_user(size, (u32 __user *)uarg))
		return -EFAULT;
	*(u32 *)karg = min_t(u32, size, ksize);
	return copy_to_user(uarg, karg, min_t(u32, size, ksize)) ? -EFAULT : 0;
}

/* The first version of a struct ends at @last_v1_field. */
#define READ_ARG(karg, uarg, last_v1_field, name)			\
	read_arg(&(karg), sizeof(karg),					\
		 offsetofend(typeof(karg), last_v1_field), uarg, name)

static long get_domain(struct inode *inode, void __user *uarg)
{
	struct kvmmem_domain karg;
	int err = READ_ARG(karg, uarg, domain, "kvmmem_domain");

	if (err)
		return err;
	karg.domain = READ_ONCE(KVMMEM_I(inode)->domain);
	karg.flags = 0;
	karg.member_fd = -1;
	return reply(uarg, &karg, sizeof(karg));
}

/*
 * May the caller put @inode into @domain?  A domain is a trust boundary
 * (its files' pages are shared, and sharing can be timed), so joining
 * one takes privilege over the mount, or an open file of the same mount
 * that is already a member.
 */
static int may_join(struct inode *inode, const struct kvmmem_domain *karg)
{
	struct inode *member;
	struct file *f;
	int err = 0;

	if (ns_capable(inode->i_sb->s_user_ns, CAP_SYS_ADMIN))
		return 0;
	if (!(karg->flags & KVMMEM_DOMAIN_MEMBER_FD)) {
		pr_warn_ratelimited("kvmmem: %s: joining domain %u needs CAP_SYS_ADMIN or a member file\n",
				    current->comm, karg->domain);
		return -EPERM;
	}
	f = fget(karg->member_fd);
	if (!f)
		return -EBADF;
	member = file_inode(f);
	if (member->i_sb != inode->i_sb || !S_ISREG(member->i_mode))
		err = -EINVAL;
	else if (READ_ONCE(KVMMEM_I(member)->domain) != karg->domain)
		err = -EPERM;
	fput(f);
	if (err)
		pr_warn_ratelimited("kvmmem: %s: fd %d is no member of domain %u on this mount\n",
				    current->comm, karg->member_fd, karg->domain);
	return err;
}

static long set_domain(struct file *file, void __user *uarg)
{
	struct inode *inode = file_inode(file);
	struct kvmmem_domain karg;
	int err;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	err = READ_ARG(karg, uarg, domain, "kvmmem_domain");
	if (err)
		return err;
	if (karg.domain > KVMMEM_DOMAIN_MAX ||
	    (karg.flags & ~KVMMEM_DOMAIN_MEMBER_FD)) {
		pr_warn_ratelimited("kvmmem: %s: domain %u above %u, or flags %#x unknown\n",
				    current->comm, karg.domain,
				    KVMMEM_DOMAIN_MAX, karg.flags);
		return -EINVAL;
	}
	if (karg.domain != READ_ONCE(KVMMEM_I(inode)->domain)) {
		err = may_join(inode, &karg);
		if (err)
			return err;
	}
	kvmmem_scan_lock();
	if (KVMMEM_I(inode)->domain != karg.domain) {
		err = kvmmem_share_unmerge(inode, false);
		if (!err)
			WRITE_ONCE(KVMMEM_I(inode)->domain, karg.domain);
	}
	kvmmem_scan_unlock();
	return err;
}

static long get_alloc(struct inode *inode, void __user *uarg)
{
	struct kvmmem_alloc karg;
	int err = READ_ARG(karg, uarg, max, "kvmmem_alloc");

	if (err)
		return err;
	karg.shares = kvmmem_alloc_shares(inode);
	karg.min = READ_ONCE(KVMMEM_I(inode)->alloc.min_pages) << PAGE_SHIFT;
	karg.max = kvmmem_alloc_max(inode) << PAGE_SHIFT;
	return reply(uarg, &karg, sizeof(karg));
}

/*
 * Raising shares, min or max claims memory at other VMs' expense: the
 * host's (CAP_SYS_ADMIN in the mount's user namespace, kvmmemd) to
 * decide, never the QEMU process that holds the file.  Lowering them, or
 * setting what is already in force, is anyone's with a writable fd.
 * Caller holds i_rwsem, so the size and the values compared are stable.
 */
static int may_claim(struct inode *inode, u32 shares, u64 min_pages,
		     u64 max_pages)
{
	struct kvmmem_vm_alloc *va = &KVMMEM_I(inode)->alloc;
	u64 size_pages = DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);

	lockdep_assert_held_write(&inode->i_rwsem);
	if (shares <= kvmmem_alloc_shares(inode) && min_pages <= va->min_pages &&
	    (max_pages ?: size_pages) <= kvmmem_alloc_max(inode))
		return 0;
	if (ns_capable(inode->i_sb->s_user_ns, CAP_SYS_ADMIN))
		return 0;
	pr_warn_ratelimited("kvmmem: %s: raising shares, min or max of inode %lu takes CAP_SYS_ADMIN\n",
			    current->comm, inode->i_ino);
	return -EPERM;
}

static long set_alloc(struct file *file, void __user *uarg)
{
	struct inode *inode = file_inode(file);
	struct kvmmem_vm_alloc *va = &KVMMEM_I(inode)->alloc;
	struct kvmmem_alloc karg;
	u64 min_pages, max_pages;
	int err;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	err = READ_ARG(karg, uarg, max, "kvmmem_alloc");
	if (err)
		return err;
	/* rounding up to pages must not wrap to 0 */
	if (karg.min > U64_MAX - PAGE_SIZE || karg.max > U64_MAX - PAGE_SIZE) {
		pr_warn_ratelimited("kvmmem: %s: min %llu or max %llu bytes out of range\n",
				    current->comm, karg.min, karg.max);
		return -EINVAL;
	}
	min_pages = DIV_ROUND_UP_ULL(karg.min, PAGE_SIZE);
	max_pages = DIV_ROUND_UP_ULL(karg.max, PAGE_SIZE);
	if (max_pages && min_pages > max_pages) {
		pr_warn_ratelimited("kvmmem: %s: min %llu above max %llu bytes\n",
				    current->comm, karg.min, karg.max);
		return -EINVAL;
	}
	inode_lock(inode);
	err = may_claim(inode, karg.shares, min_pages, max_pages);
	if (!err)
		err = kvmmem_alloc_admit(inode, min_pages, max_pages,
					 i_size_read(inode));
	if (!err) {
		WRITE_ONCE(va->shares, karg.shares);
		WRITE_ONCE(va->shares_set, true);
	}
	inode_unlock(inode);
	return err;
}

static long get_target(struct inode *inode, void __user *uarg)
{
	struct kvmmem_vm_alloc *va = &KVMMEM_I(inode)->alloc;
	struct kvmmem_target karg;
	int err = READ_ARG(karg, uarg, resident, "kvmmem_target");

	if (err)
		return err;
	spin_lock(&va->idle_lock);
	karg.active = kvmmem_policy_idle_estimate(&va->idle);
	spin_unlock(&va->idle_lock);
	karg.target = READ_ONCE(va->target) << PAGE_SHIFT;
	karg.resident = (u64)atomic_long_read(&KVMMEM_I(inode)->pmap.resident)
			<< PAGE_SHIFT;
	return reply(uarg, &karg, sizeof(karg));
}

/*
 * Anyone with a descriptor may read its VM's channel: it tells what the
 * VM holds and should hold, nothing of other VMs.
 */
static long get_balloon(struct file *file, void __user *uarg)
{
	struct inode *inode = file_inode(file);
	struct kvmmem_balloon karg;
	int err = READ_ARG(karg, uarg, file_size, "kvmmem_balloon");
	u64 seq;

	if (err)
		return err;
	memset(&karg, 0, sizeof(karg));
	karg.balloon_target = kvmmem_balloon_read(file, &seq) << PAGE_SHIFT;
	karg.seq = seq;
	karg.free_state = kvmmem_alloc_state();
	karg.target = READ_ONCE(KVMMEM_I(inode)->alloc.target) << PAGE_SHIFT;
	karg.resident = (u64)kvmmem_pmap_resident(inode) << PAGE_SHIFT;
	karg.ballooned = (u64)kvmmem_pmap_released(inode, KVMMEM_VALUE_BALLOONED)
			 << PAGE_SHIFT;
	karg.free_reported = (u64)kvmmem_pmap_released(inode, KVMMEM_VALUE_REPORTED)
			     << PAGE_SHIFT;
	karg.swapped_out = (u64)atomic_long_read(&KVMMEM_I(inode)->pmap.swapped)
			   << PAGE_SHIFT;
	karg.file_size = i_size_read(inode);
	return reply(uarg, &karg, sizeof(karg));
}

/**
 * kvmmem_ioctl() - ioctl on a kvmmem regular file
 * @file: the file
 * @cmd: KVMMEM_IOC_*
 * @arg: user pointer to the command's structure
 *
 * Return: 0 or a negative errno; -ENOTTY for an unknown command.
 */
long kvmmem_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct inode *inode = file_inode(file);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KVMMEM_IOC_GET_DOMAIN:
		return get_domain(inode, uarg);
	case KVMMEM_IOC_SET_DOMAIN:
		return set_domain(file, uarg);
	case KVMMEM_IOC_GET_ALLOC:
		return get_alloc(inode, uarg);
	case KVMMEM_IOC_SET_ALLOC:
		return set_alloc(file, uarg);
	case KVMMEM_IOC_GET_TARGET:
		return get_target(inode, uarg);
	case KVMMEM_IOC_GET_BALLOON:
		return get_balloon(file, uarg);
	}
	return -ENOTTY;
}
