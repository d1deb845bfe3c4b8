/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loop devices over files, as backing stores (swapfile=) for the tests
 * that run in the test VM; the rig loads the loop module.
 */
#ifndef KVMMEM_SELFTEST_LOOPDEV_H
#define KVMMEM_SELFTEST_LOOPDEV_H

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tap.h"

/* A loop device over a new file of @bytes at @path; its name in @dev. */
static inline int loop_attach(const char *path, long bytes, char *dev, size_t len)
{
	int ctl = open("/dev/loop-control", O_RDWR), n, fd, bfd;

	if (ctl < 0)
		return -1;
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		return -1;
	snprintf(dev, len, "/dev/loop%d", n);
	bfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fd = open(dev, O_RDWR);
	if (bfd < 0 || fd < 0 || ftruncate(bfd, bytes) || ioctl(fd, LOOP_SET_FD, bfd)) {
		tap_diag("loop device over %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (bfd >= 0)
		close(bfd);
	return fd;
}

static inline void loop_detach(int fd)
{
	if (fd >= 0) {
		ioctl(fd, LOOP_CLR_FD, 0);
		close(fd);
	}
}

#endif /* KVMMEM_SELFTEST_LOOPDEV_H */
