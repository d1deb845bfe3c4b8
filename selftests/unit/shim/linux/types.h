/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's environment to build module/frametab.c as
 * ordinary userspace C, so the unit test and the benchmark exercise the
 * module's own content table rather than a copy of it.
 */
#ifndef KVMMEM_SHIM_TYPES_H
#define KVMMEM_SHIM_TYPES_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef unsigned long pgoff_t;

#define BITS_PER_LONG		64
#define READ_ONCE(x)		(x)
#define WRITE_ONCE(x, v)	((x) = (v))
#define WARN_ON(c)		({ bool _c = (c); if (_c) fprintf(stderr, "WARN_ON(%s)\n", #c); _c; })
#define pr_warn_ratelimited(...) fprintf(stderr, __VA_ARGS__)
#define max(a, b)		((a) > (b) ? (a) : (b))
#define GFP_KERNEL		0

static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	unsigned long p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

#endif
