/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvmmem: guest RAM for KVM from a filesystem of its own.
 *
 * This header is the user-visible ABI: the filesystem magic that statfs(2)
 * reports for a kvmmem mount.  Later interfaces (per-VM ioctls) are added
 * here with versioned, size-checked structures.
 */
#ifndef _UAPI_LINUX_KVMMEM_H
#define _UAPI_LINUX_KVMMEM_H

/* statfs(2) f_type of a kvmmem mount ("KVMM") */
#define KVMMEM_SUPER_MAGIC	0x4b564d4d

/* The filesystem type name for mount(2) */
#define KVMMEM_FS_NAME		"kvmmem"

#endif /* _UAPI_LINUX_KVMMEM_H */
