// SPDX-License-Identifier: GPL-2.0
/*
 * The content table under attack, in one boot of the test VM: how fast
 * the scanner merges, and what a copy-on-write fault costs, with N pages
 * crafted to collide in the low bits of an unkeyed xxh64 (seed 0, the
 * default domain's seed before the hash was keyed), against N random
 * pages.  Each kind is written twice (files a and b), so every page
 * merges; then every page of b is written once through a mapping (a
 * copy-on-write fault each).  Prints both and the ratios crafted/random.
 *
 * Usage: bench_collide [N]   (N pages per file, default 50000)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "crafted_page.h"
#include "kvmmem_sysfs.h"

#define PG 4096L

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void random_page(char *page, uint64_t *state)
{
	for (long i = 0; i < PG; i += 8) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		memcpy(page + i, state, 8);
	}
}

struct result {
	double scan_rate;	/* pages scanned per second until all merged */
	double cow_ns;		/* per copy-on-write fault */
	long probes_per_page;
};

static bool run(const char *dir, long n, bool crafted, struct result *r)
{
	char path[256], page[PG];
	uint64_t state = 0x9e3779b97f4a7c15ULL;
	long scanned, probes, sharing0;
	int a, b;
	double t;
	char *map;

	snprintf(path, sizeof(path), "%s/a", dir);
	a = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	snprintf(path, sizeof(path), "%s/b", dir);
	b = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (a < 0 || b < 0 || ftruncate(a, n * PG) || ftruncate(b, n * PG))
		return false;
	for (long i = 0; i < n; i++) {
		if (crafted)
			crafted_page(page, &state);
		else
			random_page(page, &state);
		if (pwrite(a, page, PG, i * PG) != PG || pwrite(b, page, PG, i * PG) != PG)
			return false;
	}
	sharing0 = counter("pages_sharing");
	scanned = counter("pages_scanned");
	probes = counter("table_probes");
	t = now();
	knob("run", "1");
	while (counter("pages_sharing") - sharing0 < n && now() - t < 1800)
		usleep(100000);
	t = now() - t;
	knob("run", "0");
	scanned = counter("pages_scanned") - scanned;
	probes = counter("table_probes") - probes;
	if (counter("pages_sharing") - sharing0 < n) {
		printf("# %s: only %ld of %ld pages merged in %.0f s\n",
		       crafted ? "crafted" : "random",
		       counter("pages_sharing") - sharing0, n, t);
		return false;
	}
	r->scan_rate = scanned / t;
	r->probes_per_page = scanned ? probes / scanned : 0;
	map = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);
	if (map == MAP_FAILED)
		return false;
	t = now();
	for (long i = 0; i < n; i++)
		map[i * PG] ^= 1;
	r->cow_ns = (now() - t) * 1e9 / n;
	munmap(map, n * PG);
	close(a);
	close(b);
	snprintf(path, sizeof(path), "%s/a", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/b", dir);
	unlink(path);
	return true;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 50000;
	char dir[] = "/tmp/kvmmem-collide-XXXXXX", opt[64];
	struct result crafted, random;
	bool ok;

	snprintf(opt, sizeof(opt), "size=%ldk", (2 * n + 1024) * (PG / 1024) * 5 / 4);
	if (n < 1 || !mkdtemp(dir) || mount("none", dir, "kvmmem", 0, opt)) {
		perror("mount kvmmem");
		return 1;
	}
	knob("pages_to_scan", "10000");
	knob("sleep_millisecs", "1");
	ok = run(dir, n, false, &random) && run(dir, n, true, &crafted);
	knob("run", "2");
	knob("run", "0");
	knob("pages_to_scan", "100");
	knob("sleep_millisecs", "20");
	umount(dir);
	rmdir(dir);
	if (!ok) {
		printf("bench_collide: a run failed\n");
		return 1;
	}
	printf("pages per file               %ld\n", n);
	printf("                             random     crafted    crafted/random\n");
	printf("scan rate, pages/s           %-10.0f %-10.0f %.2f\n", random.scan_rate,
	       crafted.scan_rate, crafted.scan_rate / random.scan_rate);
	printf("copy-on-write fault, ns      %-10.0f %-10.0f %.2f\n", random.cow_ns,
	       crafted.cow_ns, crafted.cow_ns / random.cow_ns);
	printf("table slots probed per page  %-10ld %-10ld\n", random.probes_per_page,
	       crafted.probes_per_page);
	return 0;
}
