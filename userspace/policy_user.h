/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types the policy core (module/policy.c) uses, for building
 * it natively: module/policy_types.h includes this file when __KERNEL__
 * is not defined.  Used by kvmmem-sim and by selftests/unit.
 */
#ifndef KVMMEM_POLICY_USER_H
#define KVMMEM_POLICY_USER_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t u32;
typedef uint64_t u64;

static inline u64 div64_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}

#endif /* KVMMEM_POLICY_USER_H */
