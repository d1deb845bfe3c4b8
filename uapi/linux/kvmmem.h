/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvmmem: guest RAM for KVM from a filesystem of its own.
 *
 * This header is the user-visible ABI: the filesystem magic that statfs(2)
 * reports for a kvmmem mount, and the ioctls on a kvmmem file.  Every
 * ioctl structure starts with a __u32 size that the caller sets to the
 * sizeof() it was compiled with: the kernel accepts older (smaller)
 * structures and newer ones whose extra fields are zero (E2BIG if not).
 */
#ifndef _UAPI_LINUX_KVMMEM_H
#define _UAPI_LINUX_KVMMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* statfs(2) f_type of a kvmmem mount ("KVMM") */
#define KVMMEM_SUPER_MAGIC	0x4b564d4d

/* The filesystem type name for mount(2) */
#define KVMMEM_FS_NAME		"kvmmem"

/*
 * Sharing domain of a file: its pages are shared only with pages of files
 * in the same domain (and the same mount).  Domain 0 is the default "all
 * VMs" domain; with /sys/kernel/mm/kvmmem/default_domain set to "per_vm",
 * new files get a private domain above KVMMEM_DOMAIN_MAX.  Callers may set
 * 0..KVMMEM_DOMAIN_MAX, for example one domain for all files of one VM.
 *
 * Joining a domain is what lets a file's pages be shared with, and so
 * probed by, the domain's other files: it takes CAP_SYS_ADMIN in the
 * mount's user namespace, or proof of membership: with
 * KVMMEM_DOMAIN_MEMBER_FD in flags, member_fd is an open file of the same
 * mount that is already in the domain.  Otherwise SET_DOMAIN fails with
 * EPERM (EINVAL if member_fd is no such file).  Version 1 of the struct
 * (size 8) ends at domain.
 */
struct kvmmem_domain {
	__u32 size;		/* sizeof(struct kvmmem_domain) */
	__u32 domain;
	__u32 flags;		/* KVMMEM_DOMAIN_*; 0 on GET_DOMAIN */
	__s32 member_fd;	/* with KVMMEM_DOMAIN_MEMBER_FD */
};

#define KVMMEM_DOMAIN_MEMBER_FD	0x1U

#define KVMMEM_DOMAIN_MAX	0x7fffffffU

#define KVMMEM_IOC_MAGIC	0xBB
/* Read the file's domain. */
#define KVMMEM_IOC_GET_DOMAIN	_IOWR(KVMMEM_IOC_MAGIC, 0x01, struct kvmmem_domain)
/*
 * Move the file to another domain (the file must be open for writing).
 * Its pages shared with other files are copied first, so nothing stays
 * shared across domains; fails with ENOSPC if the mount has no room.
 */
#define KVMMEM_IOC_SET_DOMAIN	_IOW(KVMMEM_IOC_MAGIC, 0x02, struct kvmmem_domain)

/*
 * Allocation parameters of a file (paper, section 5): shares, and min and
 * max in bytes (rounded up to pages).  A file is one VM.  shares default to
 * one per MiB of the file size until set; max 0 means the file size.
 * Raising min reserves it (admission): ENOSPC when min plus the file's
 * overhead does not fit in its mount's size= (or in the host budget) next
 * to the other reservations, EINVAL when min is above max.  Raising
 * shares, min or max takes CAP_SYS_ADMIN in the mount's user namespace
 * (EPERM otherwise); lowering them takes only a writable fd.
 */
struct kvmmem_alloc {
	__u32 size;		/* sizeof(struct kvmmem_alloc) */
	__u32 shares;
	__u64 min;
	__u64 max;
};

/* What the policy made of them, at the end of the last sampling period. */
struct kvmmem_target {
	__u32 size;		/* sizeof(struct kvmmem_target) */
	__u32 active;		/* estimated active fraction, parts per 65536 */
	__u64 target;		/* bytes the VM should have */
	__u64 resident;		/* bytes of guest memory with a frame now */
};

#define KVMMEM_IOC_GET_ALLOC	_IOWR(KVMMEM_IOC_MAGIC, 0x03, struct kvmmem_alloc)
#define KVMMEM_IOC_SET_ALLOC	_IOW(KVMMEM_IOC_MAGIC, 0x04, struct kvmmem_alloc)
#define KVMMEM_IOC_GET_TARGET	_IOWR(KVMMEM_IOC_MAGIC, 0x05, struct kvmmem_target)

/* The host's free memory state (paper, section 6), as sysfs free_state. */
#define KVMMEM_FREE_STATE_HIGH	0	/* nothing is reclaimed */
#define KVMMEM_FREE_STATE_SOFT	1	/* balloon targets are published */
#define KVMMEM_FREE_STATE_HARD	2
#define KVMMEM_FREE_STATE_LOW	3

/*
 * The balloon channel of a VM file.  balloon_target is the guest memory
 * the VM should keep, in bytes: the file size (no balloon) while the free
 * state is high, the policy's target otherwise, republished only when it
 * moves by 1/64 of the file size or 2 MiB, whichever is more.  Each
 * publication adds one to seq and makes poll(2) on the file report
 * POLLPRI (epoll: EPOLLPRI) until that descriptor reads this struct; a
 * descriptor that never read it sees POLLPRI after the first publication.
 * kvmmemd sets QEMU's balloon (QMP "balloon") to balloon_target.
 *
 * Pages the guest gives back arrive as fallocate(PUNCH_HOLE): a punch
 * shorter than 2 MiB counts as ballooned (QEMU discards each 4 KiB page
 * the balloon takes on its own), a longer one as free page reporting
 * (QEMU discards each reported block, 2 MiB or more, at once).  Both
 * count pages that held memory (a frame or a zero page), until the guest
 * writes them again.  Version 1 of the struct (size 80) ends at file_size.
 */
struct kvmmem_balloon {
	__u32 size;		/* sizeof(struct kvmmem_balloon) */
	__u32 free_state;	/* KVMMEM_FREE_STATE_* */
	__u64 target;		/* bytes the policy gives the VM */
	__u64 balloon_target;	/* bytes the guest should keep now */
	__u64 resident;		/* bytes of guest memory with an entry */
	__u64 ballooned;	/* bytes given back by the balloon */
	__u64 free_reported;	/* bytes given back by free page reporting */
	__u64 swapped_out;	/* bytes paged out by the host */
	__u64 compressed;	/* 0: kvmmem does not compress guest memory */
	__u64 seq;		/* publications of balloon_target so far */
	__u64 file_size;	/* the file's size then, in bytes */
};

/* Read the balloon channel; acknowledges POLLPRI for this descriptor. */
#define KVMMEM_IOC_GET_BALLOON	_IOWR(KVMMEM_IOC_MAGIC, 0x06, struct kvmmem_balloon)

#endif /* _UAPI_LINUX_KVMMEM_H */
