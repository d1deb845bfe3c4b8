// SPDX-License-Identifier: GPL-2.0
/*
 * Hot I/O pages (module/hotio.c): a guest page that the scanner finds in
 * use again and again (here: held by a pipe, as a page under I/O is held
 * by its bio) heats up and becomes hot; a hot page stays out of sharing
 * and sampling until it has cooled over quiet visits; the gauges add up
 * and let go of pages punched out or files gone.  With hot_io_remap, a
 * hot page above 4 GiB moves below, with its contents, once it is quiet,
 * and never while it is held or past the reserve.  Runs inside the test
 * VM, booted with more than 4 GiB (tests-iommu.list).  swap_test checks
 * the pager's side (pages held by pipes are left, counted).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "pagemap.h"
#include "tap.h"

#define PG 4096L
#define PAGES 8L
#define THRESHOLD "2"
/* The first page frame number at 4 GiB. */
#define PFN_4G (1UL << (32 - 12))

static char mnt[] = "/tmp/kvmmem-hotio-XXXXXX";
static int h1 = -1, h2 = -1, pipefd[2] = { -1, -1 };
static char *m2 = MAP_FAILED;

/* A file of PAGES pages, page i all bytes @base + i. */
static int make_file(const char *name, int base)
{
	char path[300], buf[PG];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", mnt, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, PAGES * PG))
		return -1;
	for (long i = 0; i < PAGES; i++) {
		memset(buf, (int)(base + i), PG);
		if (pwrite(fd, buf, PG, i * PG) != PG)
			return -1;
	}
	return fd;
}

static bool unlink_file(const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", mnt, name);
	return unlink(path) == 0;
}

/* Let the scanner complete @full more full scans. */
static bool scans(int full)
{
	long start = counter("full_scans");
	bool ok = knob("run", "1") == 0;

	for (int i = 0; ok && i < 1200 && counter("full_scans") < start + full; i++)
		usleep(50000);
	knob("run", "0");
	return ok && counter("full_scans") >= start + full;
}

static int test_knob(void)
{
	bool ok = expect(knob("hot_io_threshold", "0") != 0, "0 refused") &&
		  expect(knob("hot_io_threshold", "8") != 0, "8 refused") &&
		  expect(knob("hot_io_threshold", "x") != 0, "x refused") &&
		  expect(knob("hot_io_threshold", THRESHOLD) == 0, THRESHOLD " taken") &&
		  expect(knob("hot_io_remap", "2") == EINVAL, "hot_io_remap=2: EINVAL") &&
		  expect(knob("hot_io_remap_max_percent", "51") == EINVAL,
			 "hot_io_remap_max_percent=51: EINVAL") &&
		  expect_eq(counter("hot_io_remap"), 0, "remapping is off by default");

	return ok && expect_eq(counter("hot_io_threshold"), 2, "and kept");
}


/* h2's page 0 in a pipe through four full scans: hot. */
static int test_heats_up(void)
{
	long busy0 = counter("pages_busy"), hot0 = counter("hot_io_pages");
	struct iovec iov;
	bool ok;

	h1 = make_file("h1", 0x40);
	h2 = make_file("h2", 0x40);
	if (!expect(h1 >= 0 && h2 >= 0 && !pipe(pipefd), "files and a pipe"))
		return 0;
	m2 = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, h2, 0);
	iov.iov_base = m2;
	iov.iov_len = PG;
	ok = expect(m2 != MAP_FAILED, "mmap h2") &&
	     expect(vmsplice(pipefd[1], &iov, 1, 0) == PG, "vmsplice h2's page 0") &&
	     scans(4);
	tap_diag("in a pipe for 4 full scans: h2 shares %ld of %ld, its hot_io_pages %ld; pages_busy +%ld, hot_io_pages +%ld",
		 file_counter(h2, "sharing"), PAGES, file_counter(h2, "hot_io_pages"),
		 counter("pages_busy") - busy0, counter("hot_io_pages") - hot0);
	return ok && expect_eq(file_counter(h2, "sharing"), PAGES - 1, "the others merge") &&
	       expect(counter("pages_busy") >= busy0 + 4, "found in use at every visit") &&
	       expect_eq(file_counter(h2, "hot_io_pages"), 1, "the page is hot") &&
	       expect_eq(counter("hot_io_pages"), hot0 + 1, "the global gauge agrees");
}

/* A hot page is left out of the sample, counted as touched. */
static int test_sampler_skips(void)
{
	long hot0 = counter("sample_hot");
	char period[16], pages[16];
	bool ok;

	sysfs_text("sample_period_ms", period, sizeof(period));
	sysfs_text("sample_pages", pages, sizeof(pages));
	ok = knob("sample_pages", "64") == 0 && knob("sample_period_ms", "200") == 0;
	for (int i = 0; ok && i < 50 && counter("sample_hot") == hot0; i++)
		usleep(100000);
	knob("sample_period_ms", period);
	knob("sample_pages", pages);
	tap_diag("sample_hot +%ld", counter("sample_hot") - hot0);
	return ok && counter("sample_hot") > hot0;
}

/*
 * Out of the pipe, it stays out of sharing until it has cooled.  How many
 * visits a full scan makes to a page depends on the other files, so the
 * test watches the counters while the scanner runs: the page must never
 * be merged while it is counted hot (sharing is read first: the page
 * cools before it merges), must be skipped as hot at least once, and must
 * end cold and merged.
 */
static int test_cools_down(void)
{
	long skipped0 = counter("pages_hot_skipped"), sharing = 0, hot = 1;
	bool merged_hot = false, skipped = false;
	char got[PG];

	if (!expect(read(pipefd[0], got, PG) == PG, "the pipe lets go") ||
	    !expect(knob("run", "1") == 0, "run=1"))
		return 0;
	for (int i = 0; i < 3000 && !(sharing == PAGES && hot == 0); i++) {
		sharing = file_counter(h2, "sharing");
		hot = file_counter(h2, "hot_io_pages");
		merged_hot |= sharing == PAGES && hot == 1;
		skipped |= sharing == PAGES - 1 && counter("pages_hot_skipped") > skipped0;
		usleep(10000);
	}
	knob("run", "0");
	tap_diag("cooling: skipped as hot %ld times; merged while hot: %s; now sharing %ld, hot %ld",
		 counter("pages_hot_skipped") - skipped0, merged_hot ? "yes" : "no",
		 sharing, hot);
	return expect(!merged_hot, "never merged while hot") &&
	       expect(skipped, "skipped as hot while quiet") &&
	       expect(sharing == PAGES && hot == 0, "cooled, then merged");
}

/* Hold @n pages at @p in the pipe for @full scans, then let them go. */
static bool heat_pages(char *p, long n, int full)
{
	struct iovec iov = { .iov_base = p, .iov_len = n * PG };
	char got[4 * PG];

	return n <= 4 && vmsplice(pipefd[1], &iov, 1, 0) == n * PG &&
	       scans(full) && read(pipefd[0], got, n * PG) == n * PG;
}

/* Scan until @name has grown past @from; false after @full full scans. */
static bool scan_until(const char *name, long from, int full)
{
	for (int i = 0; i < full && counter(name) <= from; i++)
		scans(1);
	return counter(name) > from;
}

static bool pages_hold(const char *p, long first, long n)
{
	for (long i = first; i < first + n; i++)
		for (long b = 0; b < PG; b++)
			if (p[i * PG + b] != (char)(0x80 + i))
				return false;
	return true;
}

/*
 * Remapping: h3's pages 0-3 are hot.  While held, they stay where they
 * are; quiet, with the reserve at 0 %, they stay too (refused); with a
 * reserve of 10 %, they move below 4 GiB, contents and charge intact.
 */
static int test_remap(void)
{
	long refused0 = counter("hot_io_remap_refused");
	long moved0 = counter("hot_io_remapped"), low0 = counter("frames_below_4g");
	long frames0, high = 0;
	unsigned long before[4], after[4];
	char *m3;
	bool ok;
	int h3;

	h3 = make_file("h3", 0x80);	/* nothing to merge with */
	m3 = h3 < 0 ? MAP_FAILED :
	     mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, h3, 0);
	if (!expect(m3 != MAP_FAILED, "file h3, mapped"))
		return 0;
	for (long i = 0; i < 4; i++)
		high += (before[i] = mapped_pfn(m3 + i * PG)) >= PFN_4G;
	frames0 = counter("pages_allocated");
	ok = expect(high == 4, "pages 0-3 are above 4 GiB (the VM has more than 4 GiB)") &&
	     expect(knob("hot_io_remap", "1") == 0, "hot_io_remap=1") &&
	     expect(knob("hot_io_remap_max_percent", "0") == 0, "max_percent=0") &&
	     expect(heat_pages(m3, 4, 3), "held for 3 scans") &&
	     expect_eq(counter("hot_io_remapped"), moved0, "never moved while held") &&
	     expect(scan_until("hot_io_remap_refused", refused0, 4), "refused at 0 %");
	for (long i = 0; ok && i < 4; i++)
		ok = expect_eq(mapped_pfn(m3 + i * PG), before[i], "the page stayed");
	ok = ok && expect(knob("hot_io_remap_max_percent", "10") == 0, "max_percent=10") &&
	     expect(heat_pages(m3, 4, 3), "held again for 3 scans") &&
	     expect(scan_until("hot_io_remapped", moved0 + 3, 4), "all four moved");
	high = 0;
	for (long i = 0; i < 4; i++)
		high += (after[i] = mapped_pfn(m3 + i * PG)) >= PFN_4G;
	tap_diag("remap: refused %ld, moved %ld; pfn %#lx -> %#lx ...; frames_below_4g +%ld",
		 counter("hot_io_remap_refused") - refused0,
		 counter("hot_io_remapped") - moved0, before[0], after[0],
		 counter("frames_below_4g") - low0);
	ok = ok && expect_eq(high, 0, "all four now below 4 GiB") &&
	     expect(pages_hold(m3, 0, PAGES), "every page holds its data") &&
	     expect_eq(counter("pages_allocated"), frames0, "no frame more, none less") &&
	     expect(counter("frames_below_4g") >= low0 + 4, "frames_below_4g counts them");
	knob("hot_io_remap", "0");
	munmap(m3, PAGES * PG);
	close(h3);
	ok = ok && expect(unlink_file("h3"), "remove h3") &&
	     expect_eq(counter("frames_below_4g"), low0, "and they are given back");
	return ok;
}

/* A hot page punched out, and a file with one removed: gauges let go. */
static int test_gauges_let_go(void)
{
	long hot0 = counter("hot_io_pages");
	struct iovec iov = { .iov_base = m2 + PG, .iov_len = 2 * PG };
	char got[2 * PG];
	bool ok;

	m2[PG] = 1;		/* private again: pages 1 and 2 */
	m2[2 * PG] = 1;
	ok = expect(vmsplice(pipefd[1], &iov, 1, 0) == 2 * PG, "vmsplice pages 1, 2") &&
	     scans(3) && expect_eq(file_counter(h2, "hot_io_pages"), 2, "both hot") &&
	     expect(read(pipefd[0], got, 2 * PG) == 2 * PG, "the pipe lets go") &&
	     expect(!fallocate(h2, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PG, PG),
		    "punch page 1") &&
	     expect_eq(file_counter(h2, "hot_io_pages"), 1, "page 1 is no longer counted") &&
	     expect_eq(counter("hot_io_pages"), hot0 + 1, "nor globally");
	munmap(m2, PAGES * PG);
	m2 = MAP_FAILED;
	close(h1);
	close(h2);
	h1 = h2 = -1;
	ok = ok && expect(!umount(mnt), "unmount") &&
	     expect_eq(counter("hot_io_pages"), hot0, "the file's hot page goes with it");
	return ok;
}

static const struct {
	int (*fn)(void);
	const char *name;
} tests[] = {
	{ test_knob, "hot_io_threshold takes 1..7, refuses the rest" },
	{ test_heats_up, "a page in use at every visit becomes hot; the others merge" },
	{ test_sampler_skips, "the sampler leaves a hot page out (sample_hot)" },
	{ test_cools_down, "a hot page stays out of sharing until it cools, then merges" },
	{ test_remap, "hot_io_remap moves a quiet hot page below 4 GiB, within the reserve" },
	{ test_gauges_let_go, "a hot page punched out, a file gone: the gauges let go" },
};

int main(void)
{
	int n = sizeof(tests) / sizeof(tests[0]);
	char threshold[16], to_scan[16], sleep_ms[16];

	tap_plan(n);
	sysfs_text("hot_io_threshold", threshold, sizeof(threshold));
	sysfs_text("pages_to_scan", to_scan, sizeof(to_scan));
	sysfs_text("sleep_millisecs", sleep_ms, sizeof(sleep_ms));
	if (!mkdtemp(mnt) || mount("none", mnt, "kvmmem", 0, "size=16M")) {
		perror("mount kvmmem");
		return 1;
	}
	knob("pages_to_scan", "1000");
	knob("sleep_millisecs", "20");
	for (int i = 0; i < n; i++)
		tap_result(tests[i].fn(), tests[i].name);
	knob("hot_io_threshold", threshold);
	knob("hot_io_remap", "0");
	knob("hot_io_remap_max_percent", "10");
	knob("pages_to_scan", to_scan);
	knob("sleep_millisecs", sleep_ms);
	if (m2 != MAP_FAILED)
		munmap(m2, PAGES * PG);
	if (h1 >= 0)
		close(h1);
	if (h2 >= 0)
		close(h2);
	umount(mnt);
	rmdir(mnt);
	return tap_exit();
}
