// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: kvmmem counters
 *
 * Event counters are per-CPU and only summed when sysfs reads them; the two
 * gauges change once per page allocated or freed and once per file, which is
 * rare next to faults, so a shared atomic is cheap enough for them.
 */
#include <linux/cpumask.h>

#include "stats.h"

DEFINE_PER_CPU(unsigned long [KVMMEM_NR_EVENTS], kvmmem_events);
atomic_long_t kvmmem_pages_allocated = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_nr_files = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_pages_shared = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_sharers = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_zero_pages = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_pages_ballooned = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_pages_reported = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_swap_slots_used = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_swap_slots_shared = ATOMIC_LONG_INIT(0);
atomic_long_t kvmmem_swap_cached = ATOMIC_LONG_INIT(0);

/**
 * kvmmem_stats_event_sum() - total of one event counter over all CPUs
 * @event: the counter
 *
 * Return: the number of events counted since the module was loaded.
 */
unsigned long kvmmem_stats_event_sum(enum kvmmem_event event)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(kvmmem_events, cpu)[event];
	return sum;
}
