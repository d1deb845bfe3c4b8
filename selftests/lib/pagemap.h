/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine frame behind an address of the test's own mappings, from
 * /proc/self/pagemap.  Root only: others read frame number 0.
 */
#ifndef KVMMEM_SELFTEST_PAGEMAP_H
#define KVMMEM_SELFTEST_PAGEMAP_H

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

/* The page frame number mapped at @p, after touching it; 0 if none. */
static inline unsigned long mapped_pfn(volatile char *p)
{
	uintptr_t page = (uintptr_t)p / (uintptr_t)sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t pme = 0;

	(void)*p;
	if (fd < 0 || pread(fd, &pme, 8, (off_t)(page * 8)) != 8)
		pme = 0;
	if (fd >= 0)
		close(fd);
	return (pme >> 63) ? (unsigned long)(pme & ((1ULL << 55) - 1)) : 0;
}

#endif /* KVMMEM_SELFTEST_PAGEMAP_H */
