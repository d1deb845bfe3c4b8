// SPDX-License-Identifier: GPL-2.0
/*
 * Native micro-benchmark of what the scanner does per page: xxh64 of the
 * 4 KiB page plus a lookup and an insert in the module's content table
 * (module/frametab.c built against a userspace shim), against a plain
 * memcpy of 4 KiB.  Also prints the table's bytes per tracked page.
 * Usage: frametab_bench [pages] (default 65536 distinct pages).
 */
#include <linux/types.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "frametab.h"

#define PAGE 4096

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fill_pages(unsigned char *mem, long pages)
{
	u64 x = 0x9e3779b97f4a7c15ULL;

	for (long i = 0; i < pages * PAGE / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(mem + i * 8, &x, 8);
	}
}

/* Hash each page, look it up, and leave a hint as the scanner does. */
static double hash_and_lookup(const unsigned char *mem, long pages)
{
	double start = now_ns();

	kvmmem_frametab_lock();
	for (long i = 0; i < pages; i++) {
		u64 hash = XXH64(mem + i * PAGE, PAGE, 0);

		if (!kvmmem_frametab_next(hash, NULL))
			kvmmem_frametab_insert(hash, kvmmem_hint(1, i));
	}
	kvmmem_frametab_unlock();
	return (now_ns() - start) / pages;
}

static double copy_pages(unsigned char *dst, const unsigned char *src,
			 long pages)
{
	double start = now_ns();

	for (long i = 0; i < pages; i++)
		memcpy(dst + i * PAGE, src + i * PAGE, PAGE);
	__asm__ volatile("" : : "r"(dst) : "memory");
	return (now_ns() - start) / pages;
}

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 65536;
	unsigned char *src = malloc(pages * PAGE), *dst = malloc(pages * PAGE);
	double hash_ns, copy_ns;

	if (!src || !dst || pages <= 0) {
		fprintf(stderr, "usage: %s [pages]\n", argv[0]);
		return 1;
	}
	fill_pages(src, pages);
	memset(dst, 1, pages * PAGE);
	copy_pages(dst, src, pages);	/* warm both buffers */
	copy_ns = copy_pages(dst, src, pages);
	hash_ns = hash_and_lookup(src, pages);
	printf("pages                          %ld\n", pages);
	printf("memcpy 4 KiB                   %.0f ns/page\n", copy_ns);
	printf("xxh64 + table lookup + insert  %.0f ns/page\n", hash_ns);
	printf("ratio hash+lookup / memcpy     %.2f\n", hash_ns / copy_ns);
	printf("table bytes per tracked page   %.1f\n",
	       (double)kvmmem_frametab_bytes() / pages);
	kvmmem_frametab_drop_hints();
	kvmmem_frametab_exit();
	free(src);
	free(dst);
	return 0;
}
