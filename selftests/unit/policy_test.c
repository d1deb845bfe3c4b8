// SPDX-License-Identifier: GPL-2.0
/*
 * Native unit tests of the policy core (module/policy.c): the idle memory
 * tax, targets by min-funding revocation and admission control.  The idle
 * estimator and the free memory states are in estimator_test.c.  TAP
 * output, one result per test.
 *
 * policy.c is included, not linked, so that its static helpers (the
 * 128-bit arithmetic) can be tested too, as the kernel's KUnit suites do.
 *
 * KVMMEM_UNIT_NO_TIMING=1 skips the timing test (for valgrind).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "../../module/policy.c"

#define ONE	KVMMEM_POLICY_FRAC_ONE
#define HALF	(ONE / 2)

/* A small deterministic PRNG (xorshift64*), so failures reproduce. */
static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Uniform enough in [0, n) for tests; n > 0. */
static u64 rnd_below(u64 n)
{
	return rnd() % n;
}

static struct kvmmem_policy_vm vm(u32 shares, u32 active, u64 min, u64 max)
{
	struct kvmmem_policy_vm v = {
		.shares = shares, .active = active, .min = min, .max = max,
	};

	return v;
}

static enum kvmmem_policy_result targets(struct kvmmem_policy_vm *vms,
					 u32 nr, u64 budget, unsigned int tax)
{
	u32 *scratch = calloc(KVMMEM_POLICY_SCRATCH_ENTRIES(nr) + 1,
			      sizeof(*scratch));
	enum kvmmem_policy_result r;

	if (!scratch) {
		perror("calloc");
		exit(EXIT_FAILURE);
	}
	r = kvmmem_policy_targets(vms, nr, budget, tax, scratch);
	free(scratch);
	return r;
}

/* ---- 128-bit helpers ---- */

static bool test_wide_arithmetic(void)
{
	static const u64 edge[] = {
		0, 1, 2, 3, 0xffffffffULL, 0x100000000ULL, 1ULL << 40,
		1ULL << 63, ~0ULL - 1, ~0ULL,
	};
	unsigned int i, j;

	for (i = 0; i < 200000; i++) {
		u64 a, b, d;
		unsigned __int128 p, q;
		struct wide w;

		if (i < 100) {
			a = edge[i % 10];
			b = edge[i / 10];
		} else {
			a = rnd() >> rnd_below(64);
			b = rnd() >> rnd_below(64);
		}
		d = (rnd() >> rnd_below(64)) | 1;
		p = (unsigned __int128)a * b;
		w = mul_wide(a, b);
		CHECK(w.hi == (u64)(p >> 64) && w.lo == (u64)p);
		q = p / d;
		CHECK_EQ(div_wide(w, d), q >> 64 ? ~0ULL : (u64)q);
		j = rnd_below(10);
		CHECK(cmp_wide(w, mul_wide(edge[j], b)) ==
		      (p < (unsigned __int128)edge[j] * b ? -1 :
		       p > (unsigned __int128)edge[j] * b ? 1 : 0));
	}
	return true;
}

/* ---- weight and rho ---- */

static bool test_weight_hand(void)
{
	/*
	 * w = S / (f + k (1 - f)) * 2^16, k = 1 / (1 - tau):
	 *  S = 1000, f = 1, any tau:        1000 * 65536      = 65536000
	 *  S = 1000, f = 0, tau = 75 (k 4): 65536000 / 4      = 16384000
	 *  S = 1000, f = 0, tau = 99 (k 100): 65536000 / 100  = 655360
	 *  S = 1000, f = 1/2, tau = 50 (k 2): / (0.5 + 1) = 43690666.67
	 *  S = 1000, f = 1/4, tau = 75: / (0.25 + 3)  = 20164923.08
	 *  S = 1000, any f, tau = 0:        65536000
	 */
	CHECK_EQ(kvmmem_policy_weight(1000, ONE, 75), 65536000);
	CHECK_EQ(kvmmem_policy_weight(1000, 0, 75), 16384000);
	CHECK_EQ(kvmmem_policy_weight(1000, 0, 99), 655360);
	CHECK_EQ(kvmmem_policy_weight(1000, HALF, 50), 43690666);
	CHECK_EQ(kvmmem_policy_weight(1000, ONE / 4, 75), 20164923);
	CHECK_EQ(kvmmem_policy_weight(1000, 12345, 0), 65536000);
	CHECK_EQ(kvmmem_policy_weight(0, 0, 75), 0);
	/* Out of range inputs are clamped: f > 1 is 1, tau > 99 is 99. */
	CHECK_EQ(kvmmem_policy_weight(1000, 3 * ONE, 75), 65536000);
	CHECK_EQ(kvmmem_policy_weight(1000, 0, 250), 655360);
	/* The largest shares do not overflow: (2^32 - 1) * 2^16. */
	CHECK_EQ(kvmmem_policy_weight(~0U, ONE, 75), (u64)~0U << 16);
	CHECK_EQ(kvmmem_policy_weight(~0U, 0, 75), ((u64)~0U << 16) / 4);
	return true;
}

static bool test_rho_hand(void)
{
	/*
	 * rho = S / (P (f + k (1 - f))), in 2^-16 shares per page:
	 *  S = 1000, P = 250, f = 0, tau = 75: 1000 / (250 * 4) = 1
	 *  S = 1000, P = 250, f = 1:           1000 / 250       = 4
	 *  S = 1000, P = 250, f = 0, tau = 0:  4 (no tax)
	 *  S = 1, P = 3, f = 1: 1/3 = 21845.33 / 65536
	 */
	CHECK_EQ(kvmmem_policy_rho(1000, 250, 0, 75), 1 * 65536);
	CHECK_EQ(kvmmem_policy_rho(1000, 250, ONE, 75), 4 * 65536);
	CHECK_EQ(kvmmem_policy_rho(1000, 250, 0, 0), 4 * 65536);
	CHECK_EQ(kvmmem_policy_rho(1, 3, ONE, 75), 21845);
	/* An idle page costs k = 4 active ones at tau = 75. */
	CHECK_EQ(kvmmem_policy_rho(1000, 250, 0, 75) * 4,
		 kvmmem_policy_rho(1000, 250, ONE, 75));
	/* P = 0: infinite unless S = 0. */
	CHECK_EQ(kvmmem_policy_rho(1, 0, 0, 75), KVMMEM_POLICY_RHO_INFINITE);
	CHECK_EQ(kvmmem_policy_rho(0, 0, 0, 75), 0);
	CHECK_EQ(kvmmem_policy_rho(0, 100, ONE, 75), 0);
	/* Extremes: S = 2^32 - 1 on one page; one share on 2^40 pages. */
	CHECK_EQ(kvmmem_policy_rho(~0U, 1, ONE, 0), (u64)~0U << 16);
	CHECK_EQ(kvmmem_policy_rho(1, 1ULL << 40, ONE, 0), 0);
	return true;
}

/* ---- targets on hand-computed cases ---- */

static bool test_targets_tau0_even(void)
{
	/*
	 * Two VMs, equal shares, one idle (f = 0) and one active (f = 1),
	 * budget 1000, min 0, max 1000.  tau = 0: the weights are equal, so
	 * 1000 / 2 = 500 each.
	 */
	struct kvmmem_policy_vm v[2] = {
		vm(1000, 0, 0, 1000), vm(1000, ONE, 0, 1000),
	};

	CHECK_EQ(targets(v, 2, 1000, 0), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 500);
	CHECK_EQ(v[1].target, 500);
	return true;
}

static bool test_targets_tau75(void)
{
	/*
	 * The same at tau = 75: k = 4, weights S/4 and S, so the budget
	 * splits 1 : 4: 1000 / 5 = 200 for the idle VM, 800 for the busy
	 * one.  Both then have rho = S / 800 per page.
	 */
	struct kvmmem_policy_vm v[2] = {
		vm(1000, 0, 0, 1000), vm(1000, ONE, 0, 1000),
	};

	CHECK_EQ(targets(v, 2, 1000, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 200);
	CHECK_EQ(v[1].target, 800);
	CHECK_EQ(kvmmem_policy_rho(1000, v[0].target, 0, 75),
		 kvmmem_policy_rho(1000, v[1].target, ONE, 75));
	return true;
}

static bool test_targets_partial_activity(void)
{
	/*
	 * tau = 75, f = 1/4 and f = 1/2 with shares 1300 and 1000:
	 *  w1 = 1300 / (0.25 + 4 * 0.75) = 1300 / 3.25 = 400
	 *  w2 = 1000 / (0.5 + 4 * 0.5)   = 1000 / 2.5  = 400
	 * Equal weights: budget 900 splits 450 / 450.
	 */
	struct kvmmem_policy_vm v[2] = {
		vm(1300, ONE / 4, 0, 10000), vm(1000, HALF, 0, 10000),
	};

	CHECK_EQ(targets(v, 2, 900, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].weight, 400 * 65536);
	CHECK_EQ(v[1].weight, 400 * 65536);
	CHECK_EQ(v[0].target, 450);
	CHECK_EQ(v[1].target, 450);
	return true;
}

static bool test_targets_min_binds(void)
{
	/*
	 * tau = 75 as above, but the idle VM has min 300: its share (200)
	 * is below its min, so it gets 300 and the busy VM the other 700.
	 */
	struct kvmmem_policy_vm v[2] = {
		vm(1000, 0, 300, 1000), vm(1000, ONE, 0, 1000),
	};

	CHECK_EQ(targets(v, 2, 1000, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 300);
	CHECK_EQ(v[1].target, 700);
	return true;
}

static bool test_targets_max_binds(void)
{
	/*
	 * tau = 75, the busy VM's max is 600: it stops there (800 > 600) and
	 * the idle VM, the only one still wanting more, gets the rest: 400.
	 */
	struct kvmmem_policy_vm v[2] = {
		vm(1000, 0, 0, 1000), vm(1000, ONE, 0, 600),
	};

	CHECK_EQ(targets(v, 2, 1000, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 400);
	CHECK_EQ(v[1].target, 600);
	return true;
}

static bool test_targets_three_way(void)
{
	/*
	 * Shares 1 : 2 : 3 active, tau = 75, budget 600, VM 2 capped at 250:
	 * the level first gives 100 / 200 / 300; VM 2 stops at 250, the 350
	 * left splits 1 : 2 between the others: 116.67 / 233.33, rounded
	 * down to 116 / 233, and the one page left goes to the highest rho:
	 * 1/116 > 2/233, so VM 0: 117 / 233 / 250.
	 */
	struct kvmmem_policy_vm v[3] = {
		vm(1, ONE, 0, 1000), vm(2, ONE, 0, 1000), vm(3, ONE, 0, 250),
	};

	CHECK_EQ(targets(v, 3, 600, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 117);
	CHECK_EQ(v[1].target, 233);
	CHECK_EQ(v[2].target, 250);
	return true;
}

static bool test_targets_rounding_ties(void)
{
	/* 10 pages, 3 equal VMs: 3.33 each; the spare page to VM 0. */
	struct kvmmem_policy_vm v[3] = {
		vm(5, ONE, 0, 100), vm(5, ONE, 0, 100), vm(5, ONE, 0, 100),
	};

	CHECK_EQ(targets(v, 3, 10, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 4);
	CHECK_EQ(v[1].target, 3);
	CHECK_EQ(v[2].target, 3);
	return true;
}

static bool test_targets_zero_shares(void)
{
	/*
	 * VM 0 has no shares, min 100: it gets 100 whether memory is tight
	 * (budget 1000: VM 1 gets 900) or plentiful (budget 5000: VM 1 gets
	 * its max 1000, VM 0 still 100).  Two zero-share VMs alone: mins.
	 */
	struct kvmmem_policy_vm v[2] = {
		vm(0, ONE, 100, 1000), vm(1, 0, 0, 1000),
	};

	CHECK_EQ(targets(v, 2, 1000, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 100);
	CHECK_EQ(v[1].target, 900);
	CHECK_EQ(targets(v, 2, 5000, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 100);
	CHECK_EQ(v[1].target, 1000);
	v[1].shares = 0;
	v[1].min = 7;
	CHECK_EQ(targets(v, 2, 1000, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 100);
	CHECK_EQ(v[1].target, 7);
	return true;
}

static bool test_targets_overcommitted(void)
{
	/* Mins 600 + 600 > 1000: the mins win and the call says so. */
	struct kvmmem_policy_vm v[2] = {
		vm(1000, ONE, 600, 2000), vm(1, 0, 600, 2000),
	};

	CHECK_EQ(targets(v, 2, 1000, 75), KVMMEM_POLICY_OVERCOMMITTED);
	CHECK_EQ(v[0].target, 600);
	CHECK_EQ(v[1].target, 600);
	/* Mins summing exactly to the budget: fine, targets = mins. */
	CHECK_EQ(targets(v, 2, 1200, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 600);
	CHECK_EQ(v[1].target, 600);
	return true;
}

static bool test_targets_everything_fits(void)
{
	/* Maxes 300 + 500 <= 1000: each VM gets its max; max < min = min. */
	struct kvmmem_policy_vm v[3] = {
		vm(1, 0, 0, 300), vm(1000, ONE, 100, 500), vm(7, HALF, 90, 50),
	};

	CHECK_EQ(targets(v, 3, 1000, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 300);
	CHECK_EQ(v[1].target, 500);
	CHECK_EQ(v[2].target, 90);
	return true;
}

static bool test_targets_tau99(void)
{
	/*
	 * tau = 99: k = 100; an idle VM weighs 1/100 of an active one with
	 * equal shares.  Budget 1010 splits 10 / 1000.
	 */
	struct kvmmem_policy_vm v[2] = {
		vm(1000, 0, 0, 5000), vm(1000, ONE, 0, 5000),
	};

	CHECK_EQ(targets(v, 2, 1010, 99), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 10);
	CHECK_EQ(v[1].target, 1000);
	return true;
}

static bool test_targets_one_vm(void)
{
	struct kvmmem_policy_vm v[1] = { vm(1000, 0, 10, 2000) };

	CHECK_EQ(targets(v, 1, 1000, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 1000);
	CHECK_EQ(targets(v, 1, 5000, 75), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, 2000);
	CHECK_EQ(targets(v, 1, 5, 75), KVMMEM_POLICY_OVERCOMMITTED);
	CHECK_EQ(v[0].target, 10);
	CHECK_EQ(targets(v, 0, 5, 75), KVMMEM_POLICY_OK);
	return true;
}

static bool test_targets_invalid(void)
{
	struct kvmmem_policy_vm v[1] = { vm(1000, 0, 10, 2000) };

	v[0].target = 12345;
	CHECK_EQ(targets(v, 1, 1000, 100), KVMMEM_POLICY_INVALID);
	CHECK_EQ(kvmmem_policy_targets(v, KVMMEM_POLICY_MAX_VMS + 1, 1000, 75,
				       NULL), KVMMEM_POLICY_INVALID);
	CHECK_EQ(v[0].target, 12345);
	return true;
}

static bool test_targets_huge(void)
{
	/*
	 * Shares 2^32 - 1 and 1, both active, 2^40-page maxes, budget 2^40:
	 * exact shares are 2^40 * (2^32 - 1) / 2^32 = 2^40 - 2^8 and 2^8.
	 */
	struct kvmmem_policy_vm v[2] = {
		vm(~0U, ONE, 0, 1ULL << 40), vm(1, ONE, 0, 1ULL << 40),
	};

	CHECK_EQ(targets(v, 2, 1ULL << 40, 0), KVMMEM_POLICY_OK);
	CHECK_EQ(v[0].target, (1ULL << 40) - 256);
	CHECK_EQ(v[1].target, 256);
	return true;
}

/* ---- targets: properties over random inputs ---- */

static u64 ceiling(const struct kvmmem_policy_vm *v)
{
	return !v->shares || v->max < v->min ? v->min : v->max;
}

/*
 * What min-funding revocation guarantees when it stops: no page can move
 * from a VM i above its min to a VM j below its ceiling such that j,
 * after gaining it, still has a higher rho than i after losing it:
 * w_j / (t_j + 1) < w_i / (t_i - 1) for all such i != j.
 */
static bool settled(const struct kvmmem_policy_vm *v, u32 nr)
{
	u32 i, j;

	for (i = 0; i < nr; i++) {
		if (v[i].target <= v[i].min)
			continue;
		for (j = 0; j < nr; j++) {
			if (j == i || v[j].target >= ceiling(&v[j]))
				continue;
			if ((unsigned __int128)v[j].weight * (v[i].target - 1) >=
			    (unsigned __int128)v[i].weight * (v[j].target + 1)) {
				tap_diag("page would move from VM %u to VM %u",
					 i, j);
				return false;
			}
		}
	}
	return true;
}

static void random_vms(struct kvmmem_policy_vm *v, u32 nr, u64 scale)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		switch (rnd_below(8)) {
		case 0:
			v[i].shares = 0;
			break;
		case 1:
			v[i].shares = ~0U - rnd_below(3);
			break;
		default:
			v[i].shares = 1 + rnd_below(rnd_below(2) ? 10 : 100000);
		}
		v[i].active = rnd_below(4) ? rnd_below(ONE + 1) :
			      rnd_below(2) * ONE;
		v[i].min = rnd_below(3) ? rnd_below(scale / 4 + 1) : 0;
		v[i].max = v[i].min + rnd_below(scale + 1);
		if (!rnd_below(20))
			v[i].max = v[i].min / 2;
	}
}

static bool check_properties(const struct kvmmem_policy_vm *v, u32 nr,
			     u64 budget, enum kvmmem_policy_result r,
			     bool check_settled)
{
	u64 sum = 0, sum_min = 0, sum_ceil = 0;
	u32 i;

	for (i = 0; i < nr; i++) {
		sum += v[i].target;
		sum_min += v[i].min;
		sum_ceil += ceiling(&v[i]);
		CHECK(v[i].target >= v[i].min);
		CHECK(v[i].target <= ceiling(&v[i]));
		if (!v[i].shares)
			CHECK_EQ(v[i].target, v[i].min);
	}
	if (sum_min > budget) {
		CHECK_EQ(r, KVMMEM_POLICY_OVERCOMMITTED);
		CHECK_EQ(sum, sum_min);
		return true;
	}
	CHECK_EQ(r, KVMMEM_POLICY_OK);
	CHECK(sum <= budget);
	/* Work-conserving: all of the budget is handed out if wanted. */
	CHECK_EQ(sum, sum_ceil < budget ? sum_ceil : budget);
	return !check_settled || settled(v, nr);
}

static bool test_targets_random_properties(void)
{
	static struct kvmmem_policy_vm v[1000], again[1000];
	unsigned int trial;

	for (trial = 0; trial < 2000; trial++) {
		u32 nr = trial < 20 ? 1000 : 1 + rnd_below(trial % 2 ? 8 : 200);
		u64 scale = trial % 3 ? 1ULL << 20 : 1ULL << 40;
		unsigned int tax = rnd_below(4) ? rnd_below(100) :
				   (rnd_below(2) ? 0 : 99);
		u64 budget, sum_min = 0, sum_max = 0;
		enum kvmmem_policy_result r;
		u32 i;

		random_vms(v, nr, scale);
		for (i = 0; i < nr; i++) {
			sum_min += v[i].min;
			sum_max += ceiling(&v[i]);
		}
		/* Budgets below the mins, between, and above the maxes. */
		budget = sum_min * 9 / 10 +
			 rnd_below(sum_max - sum_min * 9 / 10 + sum_max / 10 + 2);
		r = targets(v, nr, budget, tax);
		if (!check_properties(v, nr, budget, r, trial < 5 || nr <= 200)) {
			tap_diag("trial %u: %u VMs, budget %llu, tax %u", trial,
				 nr, (unsigned long long)budget, tax);
			return false;
		}
		/* Deterministic: the same inputs give the same targets. */
		memcpy(again, v, nr * sizeof(v[0]));
		CHECK_EQ(targets(again, nr, budget, tax), r);
		CHECK(!memcmp(again, v, nr * sizeof(v[0])));
	}
	return true;
}

static bool test_targets_idle_below_active(void)
{
	/*
	 * Among 998 random VMs, two with equal shares, min 0 and a max too
	 * large to be reached, one idle (f = 0) and one active (f = 1): at
	 * tau = 0 their targets are equal, give or take the one spare page;
	 * at tau = 75 the idle one's is below the active one's, a quarter
	 * of it unless the active one reached its max.
	 */
	static struct kvmmem_policy_vm v[1000];
	unsigned int trial;

	for (trial = 0; trial < 200; trial++) {
		u64 budget, sum_min = 0, sum_max = 0;
		u32 i;

		random_vms(v, 998, 1ULL << 20);
		v[998] = vm(100, 0, 0, 1ULL << 30);
		v[999] = vm(100, ONE, 0, 1ULL << 30);
		for (i = 0; i < 1000; i++) {
			sum_min += v[i].min;
			sum_max += ceiling(&v[i]);
		}
		/* Anywhere from a fifth to four fifths of the way up. */
		budget = sum_min + (sum_max - sum_min) / 5 +
			 rnd_below((sum_max - sum_min) * 3 / 5);
		CHECK_EQ(targets(v, 1000, budget, 0), KVMMEM_POLICY_OK);
		CHECK(v[998].target + 1 >= v[999].target &&
		      v[999].target + 1 >= v[998].target);
		CHECK_EQ(targets(v, 1000, budget, 75), KVMMEM_POLICY_OK);
		CHECK(v[998].target < v[999].target);
		if (v[999].target < v[999].max)
			CHECK(v[998].target <= v[999].target / 4 + 1);
	}
	return true;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool test_targets_1000_fast(void)
{
	static struct kvmmem_policy_vm v[1000];
	static u32 scratch[KVMMEM_POLICY_SCRATCH_ENTRIES(1000)];
	double best = 1e9, t;
	u64 sum_min = 0, sum_max = 0;
	unsigned int i;

	random_vms(v, 1000, 1ULL << 30);
	for (i = 0; i < 1000; i++) {
		sum_min += v[i].min;
		sum_max += ceiling(&v[i]);
	}
	for (i = 0; i < 20; i++) {
		t = now_ms();
		CHECK_EQ(kvmmem_policy_targets(v, 1000, (sum_min + sum_max) / 2,
					       75, scratch), KVMMEM_POLICY_OK);
		t = now_ms() - t;
		if (t < best)
			best = t;
	}
	tap_diag("1000 VMs: %.3f ms (best of 20)", best);
	CHECK(best < 10.0);
	return true;
}

/* ---- admission ---- */

static bool test_admission(void)
{
	/* Budget 1000 pages, 700 reserved. */
	CHECK_EQ(kvmmem_policy_admit(1000, 700, 250, 500, 50), KVMMEM_ADMIT_OK);
	CHECK_EQ(kvmmem_policy_admit(1000, 700, 251, 500, 50),
		 KVMMEM_ADMIT_NO_ROOM);
	CHECK_EQ(kvmmem_policy_admit(1000, 0, 950, 2000, 50), KVMMEM_ADMIT_OK);
	CHECK_EQ(kvmmem_policy_admit(1000, 0, 951, 2000, 50),
		 KVMMEM_ADMIT_EXCEEDS_BUDGET);
	CHECK_EQ(kvmmem_policy_admit(1000, 0, 1001, 2000, 0),
		 KVMMEM_ADMIT_EXCEEDS_BUDGET);
	CHECK_EQ(kvmmem_policy_admit(1000, 0, 0, 0, 1001),
		 KVMMEM_ADMIT_EXCEEDS_BUDGET);
	CHECK_EQ(kvmmem_policy_admit(1000, 0, 600, 500, 0),
		 KVMMEM_ADMIT_MIN_ABOVE_MAX);
	/* Over-reserved already (the budget shrank): nothing more fits. */
	CHECK_EQ(kvmmem_policy_admit(1000, 1200, 0, 10, 1),
		 KVMMEM_ADMIT_NO_ROOM);
	CHECK_EQ(kvmmem_policy_admit(1000, 1000, 0, 10, 0), KVMMEM_ADMIT_OK);
	/* No overflow near 2^64. */
	CHECK_EQ(kvmmem_policy_admit(~0ULL, ~0ULL - 5, 3, ~0ULL, 2),
		 KVMMEM_ADMIT_OK);
	CHECK_EQ(kvmmem_policy_admit(~0ULL, ~0ULL - 5, 3, ~0ULL, 3),
		 KVMMEM_ADMIT_NO_ROOM);
	CHECK_EQ(kvmmem_policy_admit(~0ULL, 0, ~0ULL, ~0ULL, 1),
		 KVMMEM_ADMIT_EXCEEDS_BUDGET);
	CHECK(strstr(kvmmem_policy_admit_reason(KVMMEM_ADMIT_NO_ROOM),
		     "unreserved"));
	return true;
}

#define TEST(n, f)	{ .name = n, .fn = f }
#define TIMED(n, f)	{ .name = n, .fn = f, .timing = true }

static const struct {
	const char *name;
	bool (*fn)(void);
	bool timing;
} tests[] = {
	TEST("wide arithmetic matches __int128", test_wide_arithmetic),
	TEST("weight: hand-computed values", test_weight_hand),
	TEST("rho: hand-computed values, P = 0, S = 0", test_rho_hand),
	TEST("targets: tau 0 splits evenly", test_targets_tau0_even),
	TEST("targets: tau 75 splits 1:4", test_targets_tau75),
	TEST("targets: partial activity", test_targets_partial_activity),
	TEST("targets: min binds", test_targets_min_binds),
	TEST("targets: max binds", test_targets_max_binds),
	TEST("targets: three VMs, cap and rounding", test_targets_three_way),
	TEST("targets: spare pages by rho, then index", test_targets_rounding_ties),
	TEST("targets: zero shares get their min", test_targets_zero_shares),
	TEST("targets: mins above budget", test_targets_overcommitted),
	TEST("targets: everything fits", test_targets_everything_fits),
	TEST("targets: tau 99", test_targets_tau99),
	TEST("targets: one VM and none", test_targets_one_vm),
	TEST("targets: invalid arguments", test_targets_invalid),
	TEST("targets: 2^32 shares, 2^40 pages", test_targets_huge),
	TEST("targets: random properties, up to 1000 VMs", test_targets_random_properties),
	TEST("targets: idle below active at tau 75, equal at 0", test_targets_idle_below_active),
	TIMED("targets: 1000 VMs in under 10 ms", test_targets_1000_fast),
	TEST("admission: verdicts and overflow", test_admission),
};

int main(void)
{
	bool no_timing = getenv("KVMMEM_UNIT_NO_TIMING") != NULL;
	size_t i, n = sizeof(tests) / sizeof(tests[0]);

	tap_plan(n);
	for (i = 0; i < n; i++) {
		if (tests[i].timing && no_timing)
			tap_skip(tests[i].name, "KVMMEM_UNIT_NO_TIMING set");
		else
			tap_result(tests[i].fn(), tests[i].name);
	}
	return tap_exit();
}
