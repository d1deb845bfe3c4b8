/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy core: share-based allocation with an idle memory tax, the
 * idle memory estimator, free memory states and admission control (paper,
 * sections 5 and 6).  Pure integer C with no knowledge of pages, locks or
 * the kernel: policy.c explains the formulas and the fixed-point scales.
 */
#ifndef KVMMEM_POLICY_H
#define KVMMEM_POLICY_H

#include "policy_types.h"

/* Fractions (the active fraction f and its estimates): parts per 2^16. */
#define KVMMEM_POLICY_FRAC_SHIFT	16
#define KVMMEM_POLICY_FRAC_ONE		0x10000U	/* 1 << FRAC_SHIFT */

/* Idle memory tax rate tau, in percent. */
#define KVMMEM_POLICY_TAX_DEFAULT	75
#define KVMMEM_POLICY_TAX_MAX		99

/* Adjusted shares (weights) and rho: units of 2^-16 shares. */
#define KVMMEM_POLICY_WEIGHT_SHIFT	16
#define KVMMEM_POLICY_RHO_INFINITE	(~0ULL)

/* Most VMs one kvmmem_policy_targets() call takes (the weights' sum fits). */
#define KVMMEM_POLICY_MAX_VMS		65535U

/* Entries of the u32 scratch array kvmmem_policy_targets() needs. */
#define KVMMEM_POLICY_SCRATCH_ENTRIES(nr)	(2 * (nr))

/* Estimator gains: each average moves 1/2^shift of the way per period. */
#define KVMMEM_POLICY_IDLE_FAST_SHIFT	1
#define KVMMEM_POLICY_IDLE_SLOW_SHIFT	3

/**
 * struct kvmmem_policy_vm - one VM as the allocation policy sees it
 * @shares: the VM's shares S; 0 means no claim beyond @min
 * @active: estimated active fraction f, parts per 2^16 (above 2^16 counts
 *	as 2^16)
 * @min: pages the VM is guaranteed
 * @max: pages the VM may have at most (below @min counts as @min)
 * @weight: out: idle-adjusted shares S / (f + k * (1 - f)), 2^-16 units
 * @target: out: the VM's target allocation in pages
 */
struct kvmmem_policy_vm {
	u32 shares;
	u32 active;
	u64 min;
	u64 max;
	u64 weight;
	u64 target;
};

/**
 * enum kvmmem_policy_result - outcome of kvmmem_policy_targets()
 * @KVMMEM_POLICY_OK: targets computed; their sum is within the budget
 * @KVMMEM_POLICY_OVERCOMMITTED: the mins alone exceed the budget; every
 *	target is its VM's min
 * @KVMMEM_POLICY_INVALID: tax rate above 99 or too many VMs; nothing done
 */
enum kvmmem_policy_result {
	KVMMEM_POLICY_OK,
	KVMMEM_POLICY_OVERCOMMITTED,
	KVMMEM_POLICY_INVALID,
};

/**
 * struct kvmmem_policy_idle - idle memory estimator of one VM
 * @slow: slow moving average of the active fraction, parts per 2^16
 * @fast: fast moving average, parts per 2^16
 * @sampled: pages sampled in the current period (n)
 * @touched: sampled pages touched so far in the current period (t)
 * @periods: completed periods folded in; 0 until the first one ends
 *
 * The caller serializes all calls on one estimator.
 */
struct kvmmem_policy_idle {
	u32 slow;
	u32 fast;
	u32 sampled;
	u32 touched;
	u32 periods;
};

/**
 * enum kvmmem_policy_state - free memory states (paper, section 6)
 * @KVMMEM_STATE_HIGH: enough free memory; nothing is reclaimed
 * @KVMMEM_STATE_SOFT: reclaim by ballooning, paging only where it cannot
 * @KVMMEM_STATE_HARD: reclaim by paging
 * @KVMMEM_STATE_LOW: page, and block VMs above their targets
 */
enum kvmmem_policy_state {
	KVMMEM_STATE_HIGH,
	KVMMEM_STATE_SOFT,
	KVMMEM_STATE_HARD,
	KVMMEM_STATE_LOW,
};

/**
 * struct kvmmem_policy_thresholds - free memory thresholds
 * @high: percent of the budget; leaving soft for high needs this much free
 * @soft: percent; free memory below it enters soft
 * @hard: percent; below it enters hard
 * @low: percent; below it enters low
 *
 * Valid when low < hard < soft < high <= 100.
 */
struct kvmmem_policy_thresholds {
	u32 high;
	u32 soft;
	u32 hard;
	u32 low;
};

#define KVMMEM_POLICY_THRESHOLDS_DEFAULT \
	{ .high = 6, .soft = 4, .hard = 2, .low = 1 }

/**
 * enum kvmmem_policy_admit - admission control verdicts
 * @KVMMEM_ADMIT_OK: the reservation fits
 * @KVMMEM_ADMIT_MIN_ABOVE_MAX: min is larger than max
 * @KVMMEM_ADMIT_EXCEEDS_BUDGET: min + overhead exceed the whole budget
 * @KVMMEM_ADMIT_NO_ROOM: min + overhead exceed what other VMs left
 */
enum kvmmem_policy_admit {
	KVMMEM_ADMIT_OK,
	KVMMEM_ADMIT_MIN_ABOVE_MAX,
	KVMMEM_ADMIT_EXCEEDS_BUDGET,
	KVMMEM_ADMIT_NO_ROOM,
};

u64 kvmmem_policy_weight(u32 shares, u32 active, unsigned int tax);
u64 kvmmem_policy_rho(u32 shares, u64 pages, u32 active, unsigned int tax);
enum kvmmem_policy_result kvmmem_policy_targets(struct kvmmem_policy_vm *vms,
						u32 nr, u64 budget,
						unsigned int tax,
						u32 *scratch);

void kvmmem_policy_idle_init(struct kvmmem_policy_idle *idle);
void kvmmem_policy_idle_start(struct kvmmem_policy_idle *idle, u32 sampled);
void kvmmem_policy_idle_touch(struct kvmmem_policy_idle *idle);
void kvmmem_policy_idle_end(struct kvmmem_policy_idle *idle);
u32 kvmmem_policy_idle_current(const struct kvmmem_policy_idle *idle);
u32 kvmmem_policy_idle_estimate(const struct kvmmem_policy_idle *idle);

bool kvmmem_policy_thresholds_valid(const struct kvmmem_policy_thresholds *th);
enum kvmmem_policy_state
kvmmem_policy_next_state(enum kvmmem_policy_state state, u64 free, u64 budget,
			 const struct kvmmem_policy_thresholds *th);
const char *kvmmem_policy_state_name(enum kvmmem_policy_state state);

enum kvmmem_policy_admit kvmmem_policy_admit(u64 budget, u64 reserved,
					     u64 min, u64 max, u64 overhead);
const char *kvmmem_policy_admit_reason(enum kvmmem_policy_admit verdict);

#endif /* KVMMEM_POLICY_H */
