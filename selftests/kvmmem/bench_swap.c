// SPDX-License-Identifier: GPL-2.0
/*
 * bench_swap: kvmmem's host paging against the kernel's own swap, in the
 * same boot, on the same kind of store.
 *
 *   bench_swap [MiB [limit-MiB]]		(defaults: 256 through 64)
 *
 * Each side runs MiB of memory through limit-MiB of RAM, its store a loop
 * device over a file in /tmp (both files on the same tmpfs):
 *   kernel  anonymous memory (MADV_NOHUGEPAGE) of a process in a memory
 *           cgroup with memory.max = limit, the loop device its swap;
 *   kvmmem  a file of a mount with size=limit and swapfile= the loop
 *           device, mapped shared.
 * Passes, each timed:
 *   write   one byte per page, every page: the pages beyond the limit are
 *           paged out on the way (page-out throughput: pages written to
 *           the store per second of the pass);
 *   read    every page in order (page-in throughput: pages read back per
 *           second);
 *   latency after a rewrite, 2000 pages read in random order, each
 *           timed alone (the median, in ns: a fault that reads a page
 *           back, as a guest touching a paged-out page).
 * The test VM is emulated: only the ratios mean anything.  Targets
 * (issue 10): throughput at least the kernel's, latency at most 1.2x.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "loopdev.h"

#define PAGE		4096L
#define SAMPLES		2000
#define CG		"/sys/fs/cgroup/kvmmem-bench-swap"

struct result {
	double out_rate, in_rate;	/* pages per second */
	double latency;			/* ns, median */
	long out, in;			/* pages paged out and in */
	int failed;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A /proc/vmstat counter. */
static long vmstat(const char *name)
{
	char line[128];
	size_t len = strlen(name);
	long v = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ')
			v = atol(line + len + 1);
	if (f)
		fclose(f);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The passes over @mem of @pages; @out and @in read the side's page-out
 * and page-in counters.
 */
static void run_passes(volatile char *mem, long pages, long (*out)(void),
		       long (*in)(void), struct result *r)
{
	static double lat[SAMPLES];
	long o0 = out(), i0;
	double t;

	t = now();
	for (long i = 0; i < pages; i++)
		mem[i * PAGE] = (char)i;
	t = now() - t;
	r->out = out() - o0;
	r->out_rate = r->out / t;
	i0 = in();
	t = now();
	for (long i = 0; i < pages; i++)
		if (mem[i * PAGE] != (char)i)
			r->failed = 1;
	t = now() - t;
	r->in = in() - i0;
	r->in_rate = r->in / t;
	/* rewrite, so that most pages are out again, then random reads */
	for (long i = 0; i < pages; i++)
		mem[i * PAGE] = (char)(i + 1);
	srandom(1);
	for (int k = 0; k < SAMPLES; k++) {
		long i = random() % pages;

		t = now();
		if (mem[i * PAGE] != (char)(i + 1))
			r->failed = 1;
		lat[k] = (now() - t) * 1e9;
	}
	qsort(lat, SAMPLES, sizeof(lat[0]), cmp_double);
	r->latency = lat[SAMPLES / 2];
}

static long kernel_out(void)
{
	return vmstat("pswpout");
}

static long kernel_in(void)
{
	return vmstat("pswpin");
}

static long kvmmem_out(void)
{
	return counter("pages_swapped_out");
}

static long kvmmem_in(void)
{
	return counter("pages_swapped_in");
}

/* Runs @fn in a child; its result comes back through a shared page. */
static int in_child(struct result *r, void (*fn)(struct result *, long, long),
		    long mib, long limit)
{
	struct result *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status;
	pid_t pid;

	if (shared == MAP_FAILED)
		return -1;
	memset(shared, 0, sizeof(*shared));
	shared->failed = 1;
	pid = fork();
	if (pid == 0) {
		shared->failed = 0;
		fn(shared, mib, limit);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		shared->failed = 1;
	*r = *shared;
	munmap(shared, PAGE);
	return r->failed ? -1 : 0;
}

static void kernel_side(struct result *r, long mib, long limit)
{
	char pid[32];
	volatile char *mem;

	(void)limit;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (knob(CG "/cgroup.procs", pid)) {
		r->failed = 1;
		return;
	}
	mem = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || madvise((void *)mem, mib << 20, MADV_NOHUGEPAGE)) {
		r->failed = 1;
		return;
	}
	run_passes(mem, (mib << 20) / PAGE, kernel_out, kernel_in, r);
}

static char kvmmem_file[128];

static void kvmmem_side(struct result *r, long mib, long limit)
{
	int fd = open(kvmmem_file, O_RDWR | O_CREAT, 0600);
	volatile char *mem;

	(void)limit;
	if (fd < 0 || ftruncate(fd, mib << 20)) {
		r->failed = 1;
		return;
	}
	mem = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		r->failed = 1;
		return;
	}
	run_passes(mem, (mib << 20) / PAGE, kvmmem_out, kvmmem_in, r);
}

static int bench_kernel(struct result *r, long mib, long limit, const char *dev)
{
	char cmd[128], value[32];
	int err;

	snprintf(cmd, sizeof(cmd), "mkswap %s >/dev/null", dev);
	if (system(cmd) || swapon(dev, 0)) {
		fprintf(stderr, "bench_swap: swapon %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	knob("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	mkdir(CG, 0755);
	snprintf(value, sizeof(value), "%ld", limit << 20);
	if (knob(CG "/memory.max", value)) {
		fprintf(stderr, "bench_swap: no memory cgroup\n");
		swapoff(dev);
		return -1;
	}
	err = in_child(r, kernel_side, mib, limit);
	rmdir(CG);
	swapoff(dev);
	return err;
}

static int bench_kvmmem(struct result *r, long mib, long limit, const char *dev)
{
	char dir[] = "/tmp/kvmmem-bench-swap-XXXXXX", opts[128];
	long ra, waits;
	int err;

	if (!mkdtemp(dir))
		return -1;
	snprintf(opts, sizeof(opts), "size=%ldM,swapfile=%s", limit, dev);
	if (mount("none", dir, "kvmmem", 0, opts)) {
		fprintf(stderr, "bench_swap: mount -o %s: %s\n", opts, strerror(errno));
		return -1;
	}
	snprintf(kvmmem_file, sizeof(kvmmem_file), "%s/vm", dir);
	ra = counter("swap_readahead_pages");
	waits = counter("reclaim_waits");
	err = in_child(r, kvmmem_side, mib, limit);
	printf("kvmmem: %ld pages read ahead, %ld waits for room\n",
	       counter("swap_readahead_pages") - ra, counter("reclaim_waits") - waits);
	unlink(kvmmem_file);
	umount(dir);
	rmdir(dir);
	return err;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 256, limit = argc > 2 ? atol(argv[2]) : 64;
	char kdev[32], vdev[32];
	int kfd, vfd, kerr, verr;
	struct result k = { 0 }, v = { 0 };

	printf("bench_swap: %ld MiB through %ld MiB; stores: loop devices over files on /tmp\n",
	       mib, limit);
	kfd = loop_attach("/tmp/bench-swap-kernel", 2 * (mib << 20), kdev, sizeof(kdev));
	vfd = loop_attach("/tmp/bench-swap-kvmmem", 2 * (mib << 20), vdev, sizeof(vdev));
	if (kfd < 0 || vfd < 0) {
		fprintf(stderr, "bench_swap: no loop devices\n");
		return 1;
	}
	kerr = bench_kernel(&k, mib, limit, kdev);
	verr = bench_kvmmem(&v, mib, limit, vdev);
	loop_detach(kfd);
	loop_detach(vfd);
	unlink("/tmp/bench-swap-kernel");
	unlink("/tmp/bench-swap-kvmmem");
	printf("%-24s %14s %14s %10s\n", "", "kernel swap", "kvmmem", "ratio");
	printf("%-24s %14ld %14ld\n", "pages paged out", k.out, v.out);
	printf("%-24s %14ld %14ld\n", "pages paged in", k.in, v.in);
	printf("%-24s %14.0f %14.0f %10.2f  (kvmmem/kernel; target >= 1)\n",
	       "page-out pages/s", k.out_rate, v.out_rate,
	       k.out_rate ? v.out_rate / k.out_rate : 0);
	printf("%-24s %14.0f %14.0f %10.2f  (kvmmem/kernel; target >= 1)\n",
	       "page-in pages/s", k.in_rate, v.in_rate,
	       k.in_rate ? v.in_rate / k.in_rate : 0);
	printf("%-24s %14.0f %14.0f %10.2f  (kvmmem/kernel; target <= 1.2)\n",
	       "fault latency ns", k.latency, v.latency,
	       k.latency ? v.latency / k.latency : 0);
	if (kerr || verr)
		fprintf(stderr, "bench_swap: %s failed\n", kerr ? "the kernel side" : "kvmmem");
	return kerr || verr;
}
