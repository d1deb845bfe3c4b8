/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kvmmemctl knows of the VMs: their backend files' counters, read
 * from /sys/kernel/mm/kvmmem/backends/<ino>/, and the files themselves,
 * found under the kvmmem mounts of /proc/self/mountinfo.
 */
#ifndef KVMMEM_BACKENDS_H
#define KVMMEM_BACKENDS_H

#include <stddef.h>

#define SYSFS_DIR	"/sys/kernel/mm/kvmmem"

/* One backend file (one VM), as its sysfs directory shows it. */
struct backend {
	unsigned long ino;
	char path[256];		/* inside its mount, or "(unlinked)" */
	unsigned long long size;	/* bytes */
	/* pages */
	long resident, sharing, zero, swapped_out, swap_cached;
	long ballooned, free_reported, min, max, target, balloon_target;
	long shares;
	long active;		/* percent */
	long uncooperative;	/* 0 or 1 */
	long hot_io;		/* pages I/O keeps hitting */
	long domain;
};

/* The sysfs directory: $KVMMEM_SYSFS, else SYSFS_DIR. */
const char *sysfs_dir(void);

/*
 * Reads the first line of @dir/@name into @buf (trailing white space
 * removed).  Returns 0 or a negative errno.
 */
int read_attr(const char *dir, const char *name, char *buf, size_t len);

/*
 * Every backend, sorted by path, in a malloc'ed array that the caller
 * frees.  Returns how many, or a negative errno (-ENOENT: no module;
 * -EACCES: not root, the counters are root's).
 */
int backends_read(struct backend **out);

/*
 * Calls @fn with the mount point of every kvmmem mount of
 * /proc/self/mountinfo.  Returns 0 or a negative errno.
 */
int kvmmem_mounts(void (*fn)(const char *mnt, void *arg), void *arg);

/*
 * Opens the VM file named @vm with @flags: a path to a file of a kvmmem
 * mount, or else a path inside the kvmmem mounts (what `status` shows)
 * that names a file in exactly one of them.  Returns the fd or a negative errno
 * (-ENOENT: none; -ENOTUNIQ: more than one mount has it; -EMEDIUMTYPE:
 * not a kvmmem file).
 */
int vm_open(const char *vm, int flags);

#endif /* KVMMEM_BACKENDS_H */
