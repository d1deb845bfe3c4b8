// SPDX-License-Identifier: GPL-2.0
/*
 * guest_memtest MiB ROUNDS: runs inside an L2 guest (qemu_paging_test.sh
 * adds it to the guest's initramfs).  Writes a pattern of its own into
 * every 4 KiB page of MiB of anonymous memory (the page's index and the
 * round, in every word), then, ROUNDS times, checks every page and
 * rewrites it for the next round.  Prints "MEMTEST OK <pages> <rounds>"
 * or "MEMTEST BAD page <n> round <r>" for the first page that does not
 * hold what was written.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PG 4096L

static void fill(uint64_t *p, long page, long round)
{
	for (long k = 0; k < PG / 8; k++)
		p[k] = ((uint64_t)page << 32) ^ ((uint64_t)round << 20) ^ (uint64_t)k;
}

static int check(const uint64_t *p, long page, long round)
{
	for (long k = 0; k < PG / 8; k++)
		if (p[k] != (((uint64_t)page << 32) ^ ((uint64_t)round << 20) ^ (uint64_t)k))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64, rounds = argc > 2 ? atol(argv[2]) : 2;
	long pages = (mib << 20) / PG;
	char *mem = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED) {
		printf("MEMTEST NOMEM\n");
		return 1;
	}
	for (long i = 0; i < pages; i++)
		fill((uint64_t *)(mem + i * PG), i, 0);
	for (long r = 0; r < rounds; r++)
		for (long i = 0; i < pages; i++) {
			if (!check((uint64_t *)(mem + i * PG), i, r)) {
				printf("MEMTEST BAD page %ld round %ld\n", i, r);
				return 1;
			}
			fill((uint64_t *)(mem + i * PG), i, r + 1);
		}
	printf("MEMTEST OK %ld %ld\n", pages, rounds);
	return 0;
}
