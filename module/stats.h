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
	KVMMEM_NR_EVENTS
};

DECLARE_PER_CPU(unsigned long [KVMMEM_NR_EVENTS], kvmmem_events);

/* Gauges: machine pages held in all pmaps, and live regular files. */
extern atomic_long_t kvmmem_pages_allocated;
extern atomic_long_t kvmmem_nr_files;

static inline void kvmmem_count(enum kvmmem_event event, unsigned long n)
{
	this_cpu_add(kvmmem_events[event], n);
}

unsigned long kvmmem_stats_event_sum(enum kvmmem_event event);

#endif /* KVMMEM_STATS_H */
