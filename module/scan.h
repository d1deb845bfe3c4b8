/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_SCAN_H
#define KVMMEM_SCAN_H

#include <linux/types.h>

/*
 * Where the scanner is in one file: a random permutation of its gfns, or,
 * in a sparse file, its entries in order from a random start (scan.c).
 */
struct kvmmem_scan_cursor {
	u64 next, mul, add, mask, left;
	u64 start;		/* sequential: where the cycle began */
	u64 done_epoch;		/* scan epoch in which a cycle last ended */
	bool active;
	bool sequential;
	bool wrapped;		/* sequential: past the end, back from 0 */
};

enum kvmmem_run {
	KVMMEM_RUN_STOP,
	KVMMEM_RUN_MERGE,
	KVMMEM_RUN_UNMERGE,
};

extern unsigned int kvmmem_pages_to_scan;
extern unsigned int kvmmem_pages_to_scan_per_file;
extern unsigned int kvmmem_sleep_millisecs;
extern unsigned int kvmmem_max_hints;

int kvmmem_scan_init(void);
void kvmmem_scan_exit(void);
unsigned int kvmmem_scan_run(void);
int kvmmem_scan_set_run(unsigned int run);
void kvmmem_scan_lock(void);
void kvmmem_scan_unlock(void);
void kvmmem_scan_wake(void);
bool kvmmem_scan_is_scanner(void);

#endif /* KVMMEM_SCAN_H */
