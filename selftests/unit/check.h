/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions for the native unit tests: each test is a bool function that
 * returns false at its first failed check, after saying which one.
 */
#ifndef KVMMEM_UNIT_CHECK_H
#define KVMMEM_UNIT_CHECK_H

#include "tap.h"

/* Fails the current test with the line and condition. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		tap_diag("%s:%d: check failed: %s", __FILE__, __LINE__,	\
			 #cond);					\
		return false;						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	unsigned long long _a = (a), _b = (b);				\
	if (_a != _b) {							\
		tap_diag("%s:%d: %s = %llu, expected %s = %llu",	\
			 __FILE__, __LINE__, #a, _a, #b, _b);		\
		return false;						\
	}								\
} while (0)

#endif /* KVMMEM_UNIT_CHECK_H */
