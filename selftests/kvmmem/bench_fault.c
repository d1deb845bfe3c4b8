// SPDX-License-Identifier: GPL-2.0
/*
 * bench_fault: what a page fault on kvmmem costs next to tmpfs and
 * anonymous memory.
 *
 *   bench_fault [MiB [runs]]		(defaults: 256 MiB, 5 runs)
 *
 * Three passes, each writing one byte per 4 KiB page:
 *   first-touch  a fresh mapping of an empty file: fault + allocate + zero;
 *   re-access    the same mapping again: no fault, the memory cost floor;
 *   refault      after munmap + mmap: the pages exist but the PTEs do not,
 *                so this is the fault path alone (no allocation).  Private
 *                anonymous memory does not survive munmap: no refault.
 * Writes, not reads, because a guest's first touch of RAM is mostly a
 * write, and on kvmmem a write also runs .page_mkwrite.
 *
 * Every backing uses 4 KiB pages (tmpfs huge=never, anon MADV_NOHUGEPAGE):
 * kvmmem maps base pages, and a THP would hide 511 faults out of 512.
 * Each figure is the median of the runs, in ns per page.  Inside the
 * emulated test machine only the ratios mean anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE	4096ul
#define MAX_RUNS 64

enum { KVMMEM, TMPFS, ANON, NR_BACKINGS };
enum { FIRST, AGAIN, REFAULT, NR_PASSES };

static const char *const pass_names[NR_PASSES] = {
	"first-touch", "re-access", "refault",
};

struct backing {
	const char *name;
	const char *fstype;	/* NULL: anonymous memory */
	const char *opts;	/* mount options beyond size= */
	char dir[32];
	char path[64];
	char why[96];		/* set when the backing could not be used */
	double ns[NR_PASSES];	/* median ns per page; < 0: not measured */
};

static size_t bytes;
static int runs;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Write one byte in every page; returns ns per page. */
static double touch(char *mem, char value)
{
	/* volatile: stores nobody reads back must still happen, in order. */
	volatile char *p = mem;
	double start = now_ns();
	size_t off;

	for (off = 0; off < bytes; off += PAGE)
		p[off] = value;
	return (now_ns() - start) / (bytes / PAGE);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int fail(struct backing *b, const char *what)
{
	snprintf(b->why, sizeof(b->why), "%s: %s", what, strerror(errno));
	return -1;
}

static char *map_file(int fd)
{
	char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return mem == MAP_FAILED ? NULL : mem;
}

/* One run on a fresh file: all three passes. */
static int run_file(struct backing *b, double ns[NR_PASSES])
{
	int fd = open(b->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char *mem = NULL;
	int ret = -1;

	if (fd < 0)
		return fail(b, "create");
	if (ftruncate(fd, bytes) < 0) {
		fail(b, "ftruncate");
		goto out;
	}
	mem = map_file(fd);
	if (!mem) {
		fail(b, "mmap");
		goto out;
	}
	ns[FIRST] = touch(mem, 1);
	ns[AGAIN] = touch(mem, 2);
	munmap(mem, bytes);
	mem = map_file(fd);
	if (!mem) {
		fail(b, "mmap again");
		goto out;
	}
	ns[REFAULT] = touch(mem, 3);
	munmap(mem, bytes);
	ret = 0;
out:
	close(fd);
	unlink(b->path);	/* frees the pages before the next run */
	return ret;
}

static int run_anon(struct backing *b, double ns[NR_PASSES])
{
	char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return fail(b, "mmap");
	madvise(mem, bytes, MADV_NOHUGEPAGE);
	ns[FIRST] = touch(mem, 1);
	ns[AGAIN] = touch(mem, 2);
	munmap(mem, bytes);
	return 0;
}

static int mount_backing(struct backing *b)
{
	char opts[64];

	strcpy(b->dir, "/tmp/bench_fault.XXXXXX");
	if (!mkdtemp(b->dir))
		return fail(b, "mkdtemp");
	/* Room for the one file that exists at a time, plus slack. */
	snprintf(opts, sizeof(opts), "size=%zuM%s", (bytes >> 20) + 16, b->opts);
	if (mount("none", b->dir, b->fstype, 0, opts) < 0) {
		fail(b, "mount");
		rmdir(b->dir);
		return -1;
	}
	snprintf(b->path, sizeof(b->path), "%s/bench", b->dir);
	return 0;
}

/* All runs on one backing; fills b->ns with the medians, or b->why. */
static void measure(struct backing *b)
{
	double ns[NR_PASSES][MAX_RUNS];
	double one[NR_PASSES] = { -1, -1, -1 };
	int r, p;

	if (b->fstype && mount_backing(b) < 0)
		return;
	for (r = 0; r < runs; r++) {
		if ((b->fstype ? run_file(b, one) : run_anon(b, one)) < 0)
			break;
		for (p = 0; p < NR_PASSES; p++)
			ns[p][r] = one[p];
	}
	if (b->fstype) {
		umount(b->dir);
		rmdir(b->dir);
	}
	for (p = 0; p < NR_PASSES && !b->why[0]; p++)
		b->ns[p] = one[p] < 0 ? -1 : median(ns[p], runs);
}

static void print_row(const char *name, const double v[NR_PASSES],
		      const char *unit)
{
	int p;

	printf("%-14s", name);
	for (p = 0; p < NR_PASSES; p++)
		if (v[p] < 0)
			printf(" %12s", "-");
		else
			printf(" %*.*f%s", 12 - (int)strlen(unit), *unit ? 2 : 1,
			       v[p], unit);
	printf("\n");
}

static void print_ratio(const struct backing *a, const struct backing *b)
{
	double ratio[NR_PASSES];
	char name[32];
	int p;

	for (p = 0; p < NR_PASSES; p++)
		ratio[p] = a->ns[p] > 0 && b->ns[p] > 0 ? a->ns[p] / b->ns[p] : -1;
	snprintf(name, sizeof(name), "%s/%s", a->name, b->name);
	print_row(name, ratio, "x");
}

static void report(const struct backing *b)
{
	int i, p;

	printf("bench_fault: %zu MiB (%zu pages), %d runs, median ns per page\n",
	       bytes >> 20, bytes / PAGE, runs);
	printf("%-14s", "backing");
	for (p = 0; p < NR_PASSES; p++)
		printf(" %12s", pass_names[p]);
	printf("\n");
	for (i = 0; i < NR_BACKINGS; i++)
		if (b[i].why[0])
			printf("%-14s unavailable: %s\n", b[i].name, b[i].why);
		else
			print_row(b[i].name, b[i].ns, "");
	print_ratio(&b[KVMMEM], &b[TMPFS]);
	print_ratio(&b[KVMMEM], &b[ANON]);
}

int main(int argc, char **argv)
{
	struct backing b[NR_BACKINGS] = {
		[KVMMEM] = { .name = "kvmmem", .fstype = "kvmmem", .opts = "" },
		[TMPFS] = { .name = "tmpfs", .fstype = "tmpfs",
			    .opts = ",huge=never" },
		[ANON] = { .name = "anon" },
	};
	long mib = argc > 1 ? atol(argv[1]) : 256;
	int i, failed = 0;

	runs = argc > 2 ? atoi(argv[2]) : 5;
	if (argc > 3 || mib <= 0 || runs <= 0 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: %s [MiB [runs (1-%d)]]\n", argv[0], MAX_RUNS);
		return 2;
	}
	bytes = (size_t)mib << 20;
	for (i = 0; i < NR_BACKINGS; i++) {
		measure(&b[i]);
		failed |= !!b[i].why[0];
	}
	report(b);
	return failed;
}
