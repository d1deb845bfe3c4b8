/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where the policy core (policy.c) learns whether it is
 * built into the module or into a userspace program (the unit tests and
 * kvmmem-sim).  It needs u32, u64, bool and div64_u64(), nothing more.
 */
#ifndef KVMMEM_POLICY_TYPES_H
#define KVMMEM_POLICY_TYPES_H

#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/types.h>
#else
#include "policy_user.h"
#endif

#endif /* KVMMEM_POLICY_TYPES_H */
