// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: ioctl - per-file controls (uapi/linux/kvmmem.h)
 *
 * Structures are size-checked: the caller's struct size comes first, and
 * copy_struct_from_user() accepts smaller (older) and larger (newer, if
 * the extra bytes are zero) ones, so the ABI can grow.
 */
#include <linux/fs.h>
#include <linux/kvmmem.h>
#include <linux/uaccess.h>

#include "fs.h"
#include "ioctl.h"
#include "scan.h"
#include "share.h"

#define DOMAIN_SIZE_V1	offsetofend(struct kvmmem_domain, domain)

static int read_domain_arg(struct kvmmem_domain *karg, void __user *uarg)
{
	u32 size;
	int err;

	if (get_user(size, (u32 __user *)uarg))
		return -EFAULT;
	if (size < DOMAIN_SIZE_V1) {
		pr_warn_ratelimited("kvmmem: %s: struct kvmmem_domain size %u, at least %zu\n",
				    current->comm, size, DOMAIN_SIZE_V1);
		return -EINVAL;
	}
	err = copy_struct_from_user(karg, sizeof(*karg), uarg, size);
	if (err == -E2BIG)
		pr_warn_ratelimited("kvmmem: %s: struct kvmmem_domain has unknown non-zero fields\n",
				    current->comm);
	return err;
}

static long get_domain(struct inode *inode, void __user *uarg)
{
	struct kvmmem_domain karg;
	int err = read_domain_arg(&karg, uarg);

	if (err)
		return err;
	karg.domain = READ_ONCE(KVMMEM_I(inode)->domain);
	karg.size = sizeof(karg);
	return copy_to_user(uarg, &karg, sizeof(karg)) ? -EFAULT : 0;
}

static long set_domain(struct file *file, void __user *uarg)
{
	struct inode *inode = file_inode(file);
	struct kvmmem_domain karg;
	int err;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	err = read_domain_arg(&karg, uarg);
	if (err)
		return err;
	if (karg.domain > KVMMEM_DOMAIN_MAX) {
		pr_warn_ratelimited("kvmmem: %s: domain %u above %u\n",
				    current->comm, karg.domain,
				    KVMMEM_DOMAIN_MAX);
		return -EINVAL;
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
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KVMMEM_IOC_GET_DOMAIN:
		return get_domain(file_inode(file), uarg);
	case KVMMEM_IOC_SET_DOMAIN:
		return set_domain(file, uarg);
	}
	return -ENOTTY;
}
