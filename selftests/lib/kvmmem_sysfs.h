/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the tests that run in the test VM: read a counter and
 * write a knob under /sys/kernel/mm/kvmmem (or any absolute path), and
 * checks that say what failed as a TAP diagnostic.
 */
#ifndef KVMMEM_SELFTEST_SYSFS_H
#define KVMMEM_SELFTEST_SYSFS_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tap.h"

#define KVMMEM_SYSFS_DIR "/sys/kernel/mm/kvmmem/"

static inline void sysfs_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s%s", name[0] == '/' ? "" : KVMMEM_SYSFS_DIR, name);
}

/* A number read from a sysfs file; -1 if it cannot be read. */
static inline long counter(const char *name)
{
	char path[512], buf[64];
	ssize_t n;
	int fd;

	sysfs_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/* A counter of the kvmmem file open as @fd (backends/<ino>/<name>). */
static inline long file_counter(int fd, const char *name)
{
	char path[160];
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	snprintf(path, sizeof(path), "backends/%lu/%s",
		 (unsigned long)st.st_ino, name);
	return counter(path);
}

/* A sysfs file's text without its newline, in @buf; "" if unreadable. */
static inline const char *sysfs_text(const char *name, char *buf, size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	sysfs_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, len - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n - 1 : 0] = 0;
	return buf;
}

/* Write @value to a knob; returns 0 or the errno of the write. */
static inline int knob(const char *name, const char *value)
{
	char path[512];
	int fd, err = 0;

	sysfs_path(path, sizeof(path), name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, value, strlen(value)) < 0)
		err = errno;
	close(fd);
	return err;
}

static inline bool expect(bool cond, const char *what)
{
	if (!cond)
		tap_diag("check failed: %s", what);
	return cond;
}

static inline bool expect_eq(long got, long want, const char *what)
{
	if (got != want)
		tap_diag("%s: got %ld, want %ld", what, got, want);
	return got == want;
}

#endif /* KVMMEM_SELFTEST_SYSFS_H */
