// SPDX-License-Identifier: GPL-2.0
/*
 * Pins on guest RAM: what a device's DMA does to a kvmmem mapping.  Runs
 * inside the test VM.
 *
 * Long-term pins (FOLL_LONGTERM, what VFIO takes on all of a guest's RAM
 * and io_uring on its fixed buffers) of a writable shared mapping of a
 * file that wants write notification are refused: by io_uring itself on
 * 6.1 (EOPNOTSUPP for any file but shmem and hugetlbfs), by GUP on 6.5
 * and later (EFAULT).  kvmmem wants write notification (page_mkwrite), so
 * io_uring's fixed buffers must be refused on both kernels, and shmem and
 * anonymous memory, the controls, accepted.  VFIO's own pins differ by
 * kernel: Documentation/admin-guide.rst, "VFIO and other long-term pins".
 *
 * Short-term pins are what QEMU's cache=none disks take: O_DIRECT I/O
 * straight into and out of guest RAM.  They must see the file's data,
 * never a frame that is not the file's: an O_DIRECT read into pages that
 * map kvmmem's zero frame (read faults on holes) must land in new private
 * frames and leave the zero frame, which every file maps, all zero.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "loopdev.h"
#include "tap.h"

#define PG 4096L
#define PAGES 256L		/* 1 MiB file */
#define NPIN 16L		/* pages offered to io_uring */
#define NIO 32L			/* pages of each O_DIRECT transfer */
#define DEV_PAGES 128L

static char mnt[] = "/tmp/kvmmem-pin-XXXXXX";
static char path[300], other_path[300], store[300], dev[64];
static int fd = -1, ring = -1, devfd = -1;
static char *map;
static long frames_at_start;

/* Byte @i of a page that holds @tag. */
static char fill(long tag, long i)
{
	return (char)(tag * 131 + i * 7 + 1);
}

static void fill_page(char *p, long tag)
{
	for (long i = 0; i < PG; i++)
		p[i] = fill(tag, i);
}

static bool page_holds(const char *p, long tag)
{
	for (long i = 0; i < PG; i++)
		if (p[i] != fill(tag, i))
			return false;
	return true;
}

static bool page_is_zero(const char *p)
{
	for (long i = 0; i < PG; i++)
		if (p[i])
			return false;
	return true;
}

/* Registers @len bytes at @addr as an io_uring fixed buffer: 0 or errno. */
static int register_buffer(void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };

	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1))
		return errno;
	syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0);
	return 0;
}

static int test_anon_control(void)
{
	char *p = mmap(NULL, NPIN * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (p == MAP_FAILED)
		return 0;
	memset(p, 1, NPIN * PG);
	err = register_buffer(p, NPIN * PG);
	if (err)
		tap_diag("anonymous memory: %s", strerror(err));
	munmap(p, NPIN * PG);
	return !err;
}

static int test_shmem_control(void)
{
	int mfd = memfd_create("pin_test", 0), err = EBADF;
	char *p;

	if (mfd < 0 || ftruncate(mfd, NPIN * PG))
		return 0;
	p = mmap(NULL, NPIN * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (p != MAP_FAILED) {
		memset(p, 1, NPIN * PG);
		err = register_buffer(p, NPIN * PG);
		if (err)
			tap_diag("shmem: %s", strerror(err));
		munmap(p, NPIN * PG);
	}
	close(mfd);
	return !err;
}

/* Pages 0..NPIN-1 hold their tags, then io_uring is asked to pin them. */
static int test_kvmmem_refused(void)
{
	bool intact = true;
	int err;

	for (long i = 0; i < NPIN; i++)
		fill_page(map + i * PG, i);
	err = register_buffer(map, NPIN * PG);
	tap_diag("io_uring's long-term pin of a kvmmem mapping: %s",
		 err ? strerror(err) : "taken");
	for (long i = 0; i < NPIN; i++)
		intact = intact && page_holds(map + i * PG, i);
	fill_page(map, 99);	/* still writable */
	intact = intact && page_holds(map, 99);
	if (!intact)
		tap_diag("the pages changed");
	return (err == EOPNOTSUPP || err == EFAULT) && intact;
}

/* The device's blocks DEV_PAGES/2.. hold their tags (written through the cache). */
static bool prepare_device(void)
{
	static char buf[NIO * PG];

	for (long i = 0; i < NIO; i++)
		fill_page(buf + i * PG, 1000 + i);
	return pwrite(devfd, buf, sizeof(buf), DEV_PAGES / 2 * PG) == (ssize_t)sizeof(buf) &&
	       !fsync(devfd);
}

/* A QEMU cache=none read: the disk DMAs into written guest pages. */
static int test_direct_read(void)
{
	int dfd = open(dev, O_RDWR | O_DIRECT);
	bool ok = dfd >= 0 && prepare_device();
	char *dst = map + 64 * PG;

	for (long i = 0; ok && i < NIO; i++)
		fill_page(dst + i * PG, 2000 + i);
	ok = ok && pread(dfd, dst, NIO * PG, DEV_PAGES / 2 * PG) == NIO * PG;
	for (long i = 0; ok && i < NIO; i++)
		ok = page_holds(dst + i * PG, 1000 + i);
	if (dfd >= 0)
		close(dfd);
	return ok;
}

/*
 * The same into pages that map the zero frame: each must get a frame of
 * its own, and every other zero page still read zeros.
 */
static int test_direct_read_zero(void)
{
	int dfd = open(dev, O_RDWR | O_DIRECT), ofd;
	char *dst = map + 128 * PG, *other = MAP_FAILED;
	long before = file_counter(fd, "resident");
	bool ok = dfd >= 0;
	char sink = 0;

	for (long i = 0; i < NIO; i++)
		sink |= dst[i * PG];	/* read faults: zeros mapped */
	ok = ok && !sink && pread(dfd, dst, NIO * PG, DEV_PAGES / 2 * PG) == NIO * PG;
	for (long i = 0; ok && i < NIO; i++)
		ok = page_holds(dst + i * PG, 1000 + i);
	if (!ok)
		tap_diag("the guest pages do not hold what the disk read");
	/* Holes of this file and of another one still read zeros. */
	ok = ok && page_is_zero(map + 200 * PG);
	snprintf(other_path, sizeof(other_path), "%s/other", mnt);
	ofd = open(other_path, O_RDWR | O_CREAT, 0600);
	if (ofd >= 0 && !ftruncate(ofd, 4 * PG))
		other = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, ofd, 0);
	ok = ok && other != MAP_FAILED && page_is_zero(other);
	if (other != MAP_FAILED)
		munmap(other, 4 * PG);
	if (ofd >= 0)
		close(ofd);
	tap_diag("resident pages of the file: %ld -> %ld", before,
		 file_counter(fd, "resident"));
	if (dfd >= 0)
		close(dfd);
	return ok;
}

/* A QEMU cache=none write: the disk DMAs out of guest pages. */
static int test_direct_write(void)
{
	int dfd = open(dev, O_RDWR | O_DIRECT);
	char *src = map + 160 * PG, *back;
	bool ok = dfd >= 0;

	back = mmap(NULL, NIO * PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (long i = 0; i < NIO; i++)
		fill_page(src + i * PG, 3000 + i);
	ok = ok && back != MAP_FAILED &&
	     pwrite(dfd, src, NIO * PG, 0) == NIO * PG &&
	     pread(dfd, back, NIO * PG, 0) == NIO * PG;
	for (long i = 0; ok && i < NIO; i++)
		ok = page_holds(back + i * PG, 3000 + i);
	if (back != MAP_FAILED)
		munmap(back, NIO * PG);
	if (dfd >= 0)
		close(dfd);
	return ok;
}

/* Unmounted, kvmmem holds no more frames than before. */
static int test_all_back(void)
{
	long now;

	munmap(map, PAGES * PG);
	map = NULL;
	close(fd);
	fd = -1;
	if (umount(mnt))
		return 0;
	now = counter("pages_allocated");
	if (now != frames_at_start)
		tap_diag("pages_allocated %ld, %ld before", now, frames_at_start);
	return now == frames_at_start;
}

static const struct {
	int (*fn)(void);
	const char *name;
} tests[] = {
	{ test_anon_control, "io_uring pins anonymous memory long-term (control)" },
	{ test_shmem_control, "io_uring pins shmem long-term (control)" },
	{ test_kvmmem_refused, "io_uring's long-term pin of a kvmmem mapping is refused; the pages keep their data" },
	{ test_direct_read, "an O_DIRECT read lands in written guest pages" },
	{ test_direct_read_zero, "an O_DIRECT read into zero-mapped pages gets frames of its own; zeros stay zeros" },
	{ test_direct_write, "an O_DIRECT write carries guest pages to the disk" },
	{ test_all_back, "unmounted: every frame is given back" },
};

int main(void)
{
	int n = sizeof(tests) / sizeof(tests[0]);
	struct io_uring_params params = { 0 };

	tap_plan(n);
	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0) {
		char why[96];

		snprintf(why, sizeof(why), "io_uring_setup: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			tap_skip(tests[i].name, why);
		return 0;
	}
	frames_at_start = counter("pages_allocated");
	if (!mkdtemp(mnt) || mount("none", mnt, "kvmmem", 0, "size=16M")) {
		perror("mount kvmmem");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/vm", mnt);
	snprintf(store, sizeof(store), "%s.disk", mnt);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	devfd = loop_attach(store, DEV_PAGES * PG, dev, sizeof(dev));
	if (fd < 0 || ftruncate(fd, PAGES * PG) || devfd < 0) {
		perror("create the VM file and the disk");
		return 1;
	}
	map = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (int i = 0; i < n; i++)
		tap_result(tests[i].fn(), tests[i].name);
	if (map)
		munmap(map, PAGES * PG);
	if (fd >= 0)
		close(fd);
	umount(mnt);
	loop_detach(devfd);
	unlink(store);
	rmdir(mnt);
	close(ring);
	return tap_exit();
}
