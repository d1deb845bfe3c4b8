/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMMEM_STATS_H
#define KVMMEM_STATS_H

#include <linux/atomic.h>
#include <linux/percpu.h>

/* Events are counted per CPU: the fault path must not bounce a cache line. */
enum kvmmem_event {
	KVMMEM_EV_FAULTS,
	KVMMEM_EV_FREED_BY_PUNCH,
	KVMMEM_EV_FREED_BY_TRUNCATE,
	KVMMEM_EV_ALLOC_FAILURES,
	KVMMEM_EV_PAGES_SCANNED,
	KVMMEM_EV_PAGES_VOLATILE,
	KVMMEM_EV_PAGES_BUSY,
	KVMMEM_EV_PAGES_HOT_SKIPPED,
	KVMMEM_EV_PAGE_OUT_IN_USE,
	KVMMEM_EV_PAGE_OUT_HOT,
	KVMMEM_EV_SAMPLE_HOT,
	KVMMEM_EV_HOT_IO_REMAPPED,
	KVMMEM_EV_HOT_IO_REMAP_REFUSED,
	KVMMEM_EV_HASH_FALSE_MATCHES,
	KVMMEM_EV_COW_BREAKS,
	KVMMEM_EV_FULL_SCANS,
	KVMMEM_EV_PAGES_BALLOONED,
	KVMMEM_EV_PAGES_UNBALLOONED,
	KVMMEM_EV_PAGES_REPORTED,
	KVMMEM_EV_PAGES_REPORTED_REUSED,
	KVMMEM_EV_PAGES_SWAPPED_OUT,
	KVMMEM_EV_PAGES_SWAPPED_IN,
	KVMMEM_EV_SWAP_IO_ERRORS,
	KVMMEM_EV_CHECKSUM_ERRORS,
	KVMMEM_EV_SWAP_FULL,
	KVMMEM_EV_RECLAIM_WAITS,
	KVMMEM_EV_SWAP_READS,
	KVMMEM_EV_STATE_TRANSITIONS,
	KVMMEM_EV_UNCOOPERATIVE,
	KVMMEM_EV_LOW_WAITS,
	KVMMEM_EV_SWAP_READAHEAD,
	KVMMEM_EV_PAGES_OUT_CLEAN,
	KVMMEM_EV_PAGES_OUT_SHARED,
	KVMMEM_NR_EVENTS
};

DECLARE_PER_CPU(unsigned long [KVMMEM_NR_EVENTS], kvmmem_events);

/*
 * Gauges: machine pages held by all files (the zero frame not counted),
 * live regular files, shared frames (the zero frame not counted), guest
 * pages mapping them, guest pages mapping the zero frame, guest pages
 * released by the balloon and by free page reporting, not touched since,
 * slots of backing stores in use, resident guest pages whose slot still
 * holds their contents (paging.c), and slots with more than one
 * reference (a shared frame's, swap.c).
 */
extern atomic_long_t kvmmem_pages_allocated;
extern atomic_long_t kvmmem_nr_files;
extern atomic_long_t kvmmem_pages_shared;
extern atomic_long_t kvmmem_sharers;
extern atomic_long_t kvmmem_zero_pages;
extern atomic_long_t kvmmem_pages_ballooned;
extern atomic_long_t kvmmem_pages_reported;
extern atomic_long_t kvmmem_swap_slots_used;
extern atomic_long_t kvmmem_swap_cached;
extern atomic_long_t kvmmem_swap_slots_shared;

static inline void kvmmem_count(enum kvmmem_event event, unsigned long n)
{
	this_cpu_add(kvmmem_events[event], n);
}

unsigned long kvmmem_stats_event_sum(enum kvmmem_event event);

#endif /* KVMMEM_STATS_H */
