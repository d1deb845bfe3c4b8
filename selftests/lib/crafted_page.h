/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A page an attacker would craft against an unkeyed content table: its
 * xxh64 with seed 0 (the default domain's seed before the hash was keyed)
 * is 0 in its low 8 bits, so in a table of 2^k slots all such pages start
 * their probe at one of 2^(k-8) slots and pile up in long runs.  Shared by
 * share_test and bench_collide; link with -lxxhash.
 */
#ifndef KVMMEM_SELFTEST_CRAFTED_PAGE_H
#define KVMMEM_SELFTEST_CRAFTED_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#define CRAFTED_PAGE_SIZE 4096

/*
 * A fixed pattern with a counter in its last 8 bytes; the counter is
 * searched for, continuing from *@next, with the hash state of the fixed
 * part kept between calls.
 */
static inline void crafted_page(char *page, uint64_t *next)
{
	static XXH64_state_t prefix;
	static bool ready;
	XXH64_state_t st;

	memset(page, 0xc5, CRAFTED_PAGE_SIZE - 8);
	if (!ready) {
		XXH64_reset(&prefix, 0);
		XXH64_update(&prefix, page, CRAFTED_PAGE_SIZE - 32);
		ready = true;
	}
	for (;; (*next)++) {
		memcpy(page + CRAFTED_PAGE_SIZE - 8, next, 8);
		XXH64_copyState(&st, &prefix);
		XXH64_update(&st, page + CRAFTED_PAGE_SIZE - 32, 32);
		if (!(XXH64_digest(&st) & 0xff))
			break;
	}
	(*next)++;
}

#endif /* KVMMEM_SELFTEST_CRAFTED_PAGE_H */
