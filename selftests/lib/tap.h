/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP output in the style of the kernel's kselftest.h, for tests
 * that run inside the test VM: a plan, one result per test, skips with a
 * reason, and an exit status that says whether anything failed.
 */
#ifndef KVMMEM_TAP_H
#define KVMMEM_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_number;
static int tap_failures;

static inline void tap_plan(int tests)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%d\n", tests);
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline void tap_result(int ok, const char *name)
{
	tap_number++;
	if (!ok)
		tap_failures++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", tap_number, name);
}

static inline void tap_skip(const char *name, const char *why)
{
	tap_number++;
	printf("ok %d - %s # SKIP %s\n", tap_number, name, why);
}

static inline int tap_exit(void)
{
	return tap_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* KVMMEM_TAP_H */
