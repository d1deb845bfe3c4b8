// SPDX-License-Identifier: GPL-2.0
/*
 * The balloon channel of a VM file (KVMMEM_IOC_GET_BALLOON, POLLPRI) and
 * the counting of pages a guest gives back by punch hole: 4 KiB punches
 * are the balloon's, 2 MiB ones free page reporting's.  Runs inside the
 * test VM; this process plays QEMU (punching pages out, as QEMU does for
 * its virtio-balloon) and kvmmemd (polling the file, reading the
 * channel).  Written to catch what an operator would trip over: a channel
 * that never wakes, a wake that never clears, counts that drift, reads of
 * given-back memory that allocate it again, bad structs that are taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvmmem.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "tap.h"

#define PG 4096L
#define PAGES 2048L		/* 8 MiB file */
#define WRITTEN 1024L		/* pages 0..1023 hold data */
#define PERIOD_MS 200

static char mnt[] = "/tmp/kvmmem-balloon-XXXXXX";
static char path[300];
static int fd = -1;

static int get_balloon(int f, struct kvmmem_balloon *b)
{
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	return ioctl(f, KVMMEM_IOC_GET_BALLOON, b) ? errno : 0;
}

static int punch(long first, long pages)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 first * PG, pages * PG) ? errno : 0;
}

static short revents(int f)
{
	struct pollfd p = { .fd = f, .events = POLLIN | POLLOUT | POLLPRI };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* Page @i holds this byte, everywhere. */
static char pattern(long i)
{
	return (char)(0x40 + i % 61);
}

static bool test_fresh_channel(void)
{
	struct kvmmem_balloon b;
	short ev = revents(fd);

	return expect_eq(get_balloon(fd, &b), 0, "GET_BALLOON") &&
	       expect_eq(b.size, sizeof(b), "size written back") &&
	       expect_eq(b.free_state, KVMMEM_FREE_STATE_HIGH, "state high") &&
	       expect_eq(b.seq, 0, "nothing published yet") &&
	       expect_eq(b.balloon_target, PAGES * PG, "balloon target: all of the file") &&
	       expect_eq(b.file_size, PAGES * PG, "file size") &&
	       expect_eq(b.resident, WRITTEN * PG, "resident: the pages written") &&
	       expect_eq(b.ballooned + b.free_reported + b.swapped_out + b.compressed,
			 0, "nothing given back, swapped or compressed") &&
	       expect_eq(ev & (POLLIN | POLLOUT | POLLPRI), POLLIN | POLLOUT,
			 "poll: readable, writable, no POLLPRI");
}

static bool test_bad_structs(void)
{
	struct {
		struct kvmmem_balloon b;
		uint64_t tail;
	} big;
	bool ok;

	big.b.size = 8;
	ok = expect(ioctl(fd, KVMMEM_IOC_GET_BALLOON, &big) == -1 && errno == EINVAL,
		    "size 8, below version 1: EINVAL");
	memset(&big, 0, sizeof(big));
	big.b.size = sizeof(big);
	big.tail = 1;
	ok = expect(ioctl(fd, KVMMEM_IOC_GET_BALLOON, &big) == -1 && errno == E2BIG,
		    "unknown non-zero field: E2BIG") && ok;
	big.tail = 0;
	ok = expect(ioctl(fd, KVMMEM_IOC_GET_BALLOON, &big) == 0,
		    "a newer, larger struct with zero tail: accepted") &&
	     expect_eq(big.b.size, sizeof(big.b), "and told the kernel's size") && ok;
	big.b.size = 1 << 20;
	ok = expect(ioctl(fd, KVMMEM_IOC_GET_BALLOON, &big) == -1 && errno == E2BIG,
		    "size 1 MiB: E2BIG") && ok;
	ok = expect(ioctl(fd, KVMMEM_IOC_GET_BALLOON, NULL) == -1 && errno == EFAULT,
		    "NULL: EFAULT") && ok;
	return ok;
}

/* QEMU's balloon: one 4 KiB punch per page taken. */
static bool test_balloon_counts(void)
{
	long alloc = counter("pages_allocated"), gauge = counter("ballooned_pages");
	long inflated = counter("balloon_inflated");
	struct kvmmem_balloon b;
	bool ok = true;

	for (long i = 0; i < 100; i++)
		ok = expect_eq(punch(100 + i, 1), 0, "punch one page") && ok;
	/* twice the same page: counted once */
	ok = expect_eq(punch(100, 1), 0, "punch it again") && ok;
	/* pages never written hold nothing to give back */
	ok = expect_eq(punch(WRITTEN + 10, 1), 0, "punch a hole") && ok;
	ok = ok && expect_eq(get_balloon(fd, &b), 0, "GET_BALLOON");
	return ok && expect_eq(b.ballooned, 100 * PG, "ioctl: 100 pages ballooned") &&
	       expect_eq(b.free_reported, 0, "none reported") &&
	       expect_eq(b.resident, (WRITTEN - 100) * PG, "resident fell by 100") &&
	       expect_eq(file_counter(fd, "ballooned"), 100, "sysfs ballooned") &&
	       expect_eq(counter("ballooned_pages") - gauge, 100, "global gauge +100") &&
	       expect_eq(counter("balloon_inflated") - inflated, 100, "balloon_inflated +100") &&
	       expect_eq(alloc - counter("pages_allocated"), 100, "100 frames freed");
}

/* Reading given-back memory (a migration, a dump) must not allocate it. */
static bool test_reads_do_not_allocate(void)
{
	long alloc = counter("pages_allocated");
	char buf[PG], zeros[PG] = { 0 };
	volatile char *mem;
	bool ok = true;
	long sum = 0;

	for (long i = 100; i < 200; i++)
		ok = expect(pread(fd, buf, PG, i * PG) == PG && !memcmp(buf, zeros, PG),
			    "pread of a ballooned page: zeros") && ok;
	mem = mmap(NULL, PAGES * PG, PROT_READ, MAP_SHARED, fd, 0);
	if (!expect(mem != MAP_FAILED, "mmap"))
		return false;
	for (long i = 100; i < 200; i++)
		for (long j = 0; j < PG; j += 512)
			sum += mem[i * PG + j];
	munmap((void *)mem, PAGES * PG);
	return ok && expect_eq(sum, 0, "mapped reads: zeros") &&
	       expect_eq(counter("pages_allocated"), alloc, "no frame allocated") &&
	       expect_eq(file_counter(fd, "ballooned"), 100, "still ballooned");
}

/* The guest writes ballooned pages again: they count as deflated. */
static bool test_taken_back(void)
{
	long deflated = counter("balloon_deflated");
	char buf[PG];
	char *mem;
	bool ok = true;

	mem = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!expect(mem != MAP_FAILED, "mmap"))
		return false;
	for (long i = 100; i < 105; i++)
		mem[i * PG + 7] = pattern(i);
	munmap(mem, PAGES * PG);
	for (long i = 105; i < 110; i++) {
		memset(buf, pattern(i), sizeof(buf));
		ok = expect(pwrite(fd, buf, PG, i * PG) == PG, "pwrite") && ok;
	}
	for (long i = 100; i < 110; i++) {
		char want = i < 105 ? 0 : pattern(i);

		ok = expect(pread(fd, buf, PG, i * PG) == PG && buf[7] == pattern(i) &&
			    buf[8] == want, "written data reads back") && ok;
	}
	return ok && expect_eq(file_counter(fd, "ballooned"), 90, "90 left ballooned") &&
	       expect_eq(counter("balloon_deflated") - deflated, 10, "balloon_deflated +10");
}

/* Free page reporting: QEMU discards a reported 2 MiB block at once. */
static bool test_free_page_reporting(void)
{
	long reported = counter("free_page_reported"), reused = counter("free_page_reused");
	struct kvmmem_balloon b;
	char buf[PG];
	bool ok;

	memset(buf, 0x33, sizeof(buf));
	ok = expect_eq(punch(512, 512), 0, "punch 2 MiB") &&
	     expect_eq(get_balloon(fd, &b), 0, "GET_BALLOON") &&
	     expect_eq(b.free_reported, 512 * PG, "ioctl: 512 pages reported") &&
	     expect_eq(b.ballooned, 90 * PG, "ballooned unchanged") &&
	     expect_eq(file_counter(fd, "free_reported"), 512, "sysfs free_reported") &&
	     expect_eq(counter("free_page_reported") - reported, 512, "free_page_reported +512");
	ok = ok && expect(pwrite(fd, buf, PG, 600 * PG) == PG, "the guest reuses a page") &&
	     expect_eq(file_counter(fd, "free_reported"), 511, "511 left reported") &&
	     expect_eq(counter("free_page_reused") - reused, 1, "free_page_reused +1");
	return ok;
}

/* Truncation drops what was given back, and the gauges with it. */
static bool test_truncate_forgets(void)
{
	long ballooned = counter("ballooned_pages"), reported = counter("free_reported_pages");
	struct kvmmem_balloon b;

	return expect(ftruncate(fd, 0) == 0 && ftruncate(fd, PAGES * PG) == 0,
		      "truncate to 0 and back") &&
	       expect_eq(get_balloon(fd, &b), 0, "GET_BALLOON") &&
	       expect_eq(b.ballooned + b.free_reported + b.resident, 0, "nothing left") &&
	       expect_eq(ballooned - counter("ballooned_pages"), 90, "global ballooned -90") &&
	       expect_eq(reported - counter("free_reported_pages"), 511, "global reported -511");
}

/* Hold @pages resident again from page 0. */
static bool refill(long pages)
{
	char buf[PG];

	for (long i = 0; i < pages; i++) {
		memset(buf, pattern(i), sizeof(buf));
		if (pwrite(fd, buf, PG, i * PG) != PG)
			return false;
	}
	return true;
}

/* Wait up to @ms for POLLPRI on @f; returns its revents. */
static short wait_pri(int f, int ms)
{
	struct pollfd p = { .fd = f, .events = POLLPRI };

	return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

/*
 * kvmmemd's side: free memory runs short (budget_pages just above what is
 * used), the state leaves high and a balloon target is published; a poller
 * blocked in poll() wakes with POLLPRI, which stays until that descriptor
 * reads the channel, and only for that descriptor.
 */
static bool test_publication_wakes_pollers(void)
{
	int other = open(path, O_RDONLY), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLPRI }, got;
	struct kvmmem_balloon b;
	long budget;
	char value[32];
	bool ok;

	ok = expect(other >= 0 && ep >= 0, "a second descriptor, an epoll") &&
	     expect(refill(WRITTEN), "refill") &&
	     expect(epoll_ctl(ep, EPOLL_CTL_ADD, other, &ev) == 0, "epoll_ctl");
	/* free 3% of the budget: soft */
	budget = counter("pages_allocated") * 100 / 97;
	snprintf(value, sizeof(value), "%ld", budget);
	ok = ok && expect_eq(knob("budget_pages", value), 0, "budget_pages");
	ok = ok && expect(wait_pri(fd, 20 * PERIOD_MS) & POLLPRI,
			  "a blocked poll() wakes with POLLPRI");
	ok = ok && expect_eq(get_balloon(fd, &b), 0, "GET_BALLOON");
	tap_diag("budget %ld pages: state %u, target %llu, balloon_target %llu pages, seq %llu",
		 budget, b.free_state, (unsigned long long)b.target / PG,
		 (unsigned long long)b.balloon_target / PG, (unsigned long long)b.seq);
	ok = ok && expect(b.free_state != KVMMEM_FREE_STATE_HIGH, "state left high") &&
	     expect(b.seq >= 1, "published") &&
	     expect(b.balloon_target < PAGES * PG, "the guest should keep less than all") &&
	     expect_eq(file_counter(fd, "balloon_target"), b.balloon_target / PG,
		       "sysfs balloon_target = ioctl");
	ok = ok && expect(!(revents(fd) & POLLPRI), "read: POLLPRI gone for this fd") &&
	     expect(revents(other) & POLLPRI, "still there for the other fd") &&
	     expect_eq(epoll_wait(ep, &got, 1, 0), 1, "epoll sees EPOLLPRI");
	knob("budget_pages", "0");
	ok = ok && expect(wait_pri(fd, 20 * PERIOD_MS) & POLLPRI,
			  "back to high: published again") &&
	     expect_eq(get_balloon(fd, &b), 0, "GET_BALLOON") &&
	     expect_eq(b.free_state, KVMMEM_FREE_STATE_HIGH, "state high") &&
	     expect_eq(b.balloon_target, PAGES * PG, "balloon target: all of it");
	usleep(3 * PERIOD_MS * 1000);
	ok = ok && expect(!(revents(fd) & POLLPRI), "no publication while nothing changes");
	if (other >= 0)
		close(other);
	if (ep >= 0)
		close(ep);
	return ok;
}

static const struct {
	bool (*fn)(void);
	const char *name;
} tests[] = {
	{ test_fresh_channel, "a fresh file: nothing published, no POLLPRI" },
	{ test_bad_structs, "bad GET_BALLOON structs get EINVAL, E2BIG, EFAULT" },
	{ test_balloon_counts, "4 KiB punches count as ballooned, holes do not" },
	{ test_reads_do_not_allocate, "reads of ballooned pages give zeros, allocate nothing" },
	{ test_taken_back, "writes take ballooned pages back and count as deflated" },
	{ test_free_page_reporting, "a 2 MiB punch counts as free page reporting" },
	{ test_truncate_forgets, "truncation drops released pages and their counts" },
	{ test_publication_wakes_pollers, "a new balloon target wakes pollers with POLLPRI" },
};

int main(void)
{
	int n = sizeof(tests) / sizeof(tests[0]);

	tap_plan(n);
	if (!mkdtemp(mnt) || mount("none", mnt, "kvmmem", 0, "size=64M")) {
		perror("mount kvmmem");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/vm", mnt);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, PAGES * PG) || !refill(WRITTEN)) {
		perror("create the VM file");
		return 1;
	}
	knob("sample_period_ms", "200");
	for (int i = 0; i < n; i++)
		tap_result(tests[i].fn(), tests[i].name);
	knob("sample_period_ms", "30000");
	knob("budget_pages", "0");
	close(fd);
	umount(mnt);
	rmdir(mnt);
	return tap_exit();
}
