// SPDX-License-Identifier: GPL-2.0
/*
 * Native unit tests of what the policy core (module/policy.c) measures:
 * the sampled idle estimator (slow and fast moving averages) and the free
 * memory states with their hysteresis.  TAP output, one result per test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../module/policy.c"

#define ONE	KVMMEM_POLICY_FRAC_ONE

/* ---- idle estimator ---- */

/* One whole period: n sampled, t touched. */
static void period(struct kvmmem_policy_idle *e, u32 n, u32 t)
{
	kvmmem_policy_idle_start(e, n);
	while (t--)
		kvmmem_policy_idle_touch(e);
	kvmmem_policy_idle_end(e);
}

static bool test_idle_hand_sequence(void)
{
	/*
	 * Fractions in 1/65536, rounded: 20/100 = 13107.2 -> 13107,
	 * 60/100 = 39321.6 -> 39322, 50/100 = 32768.
	 *  start:   no period yet: estimate 65536 (fully active)
	 *  P1 20%:  slow = fast = 13107 (the first period seeds both)
	 *  P2 60%:  fast = (13107 + 39322 + 1) / 2        = 26215
	 *           slow = (7 * 13107 + 39322 + 4) / 8    = 16384
	 *           estimate = max = 26215 (fast)
	 *  P3 0%:   fast = (26215 + 0 + 1) / 2            = 13108
	 *           slow = (7 * 16384 + 0 + 4) / 8        = 14336
	 *           estimate = 14336 (slow: slow to fall)
	 *  P4 with 50 of 100 touched so far:
	 *           current = (13108 + 32768 + 1) / 2     = 22938
	 *           estimate = 22938 (current: quick to rise)
	 */
	struct kvmmem_policy_idle e;
	u32 i;

	kvmmem_policy_idle_init(&e);
	CHECK_EQ(kvmmem_policy_idle_estimate(&e), ONE);
	period(&e, 100, 20);
	CHECK_EQ(e.slow, 13107);
	CHECK_EQ(e.fast, 13107);
	CHECK_EQ(kvmmem_policy_idle_estimate(&e), 13107);
	period(&e, 100, 60);
	CHECK_EQ(e.fast, 26215);
	CHECK_EQ(e.slow, 16384);
	CHECK_EQ(kvmmem_policy_idle_estimate(&e), 26215);
	period(&e, 100, 0);
	CHECK_EQ(e.fast, 13108);
	CHECK_EQ(e.slow, 14336);
	CHECK_EQ(kvmmem_policy_idle_estimate(&e), 14336);
	kvmmem_policy_idle_start(&e, 100);
	CHECK_EQ(kvmmem_policy_idle_estimate(&e), 14336);
	for (i = 0; i < 50; i++)
		kvmmem_policy_idle_touch(&e);
	CHECK_EQ(kvmmem_policy_idle_current(&e), 22938);
	CHECK_EQ(kvmmem_policy_idle_estimate(&e), 22938);
	/* Ending the period keeps the value: fast becomes current. */
	kvmmem_policy_idle_end(&e);
	CHECK_EQ(e.fast, 22938);
	CHECK_EQ(kvmmem_policy_idle_current(&e), 22938);
	CHECK_EQ(e.periods, 4);
	return true;
}

static bool test_idle_step_up(void)
{
	/*
	 * Steady at 10% active, then 90%: the estimate is within 10 points
	 * of 90% after 3 periods (fast: 10 + 80 * (1 - 1/8) = 80%), and
	 * already above 40% halfway through the first period.
	 */
	struct kvmmem_policy_idle e;
	u32 i;

	kvmmem_policy_idle_init(&e);
	for (i = 0; i < 40; i++)
		period(&e, 100, 10);
	CHECK(kvmmem_policy_idle_estimate(&e) < ONE * 11 / 100);
	kvmmem_policy_idle_start(&e, 100);
	for (i = 0; i < 45; i++)
		kvmmem_policy_idle_touch(&e);
	CHECK(kvmmem_policy_idle_estimate(&e) > ONE * 27 / 100);
	for (i = 0; i < 45; i++)
		kvmmem_policy_idle_touch(&e);
	kvmmem_policy_idle_end(&e);
	CHECK(kvmmem_policy_idle_estimate(&e) >= ONE * 49 / 100);
	period(&e, 100, 90);
	period(&e, 100, 90);
	CHECK(kvmmem_policy_idle_estimate(&e) >= ONE * 80 / 100);
	return true;
}

static bool test_idle_step_down(void)
{
	/*
	 * Steady at 90%, then 10%: the slow average holds the estimate up:
	 * after m periods it is 10 + 80 * (7/8)^m percent: above 60% after
	 * 3 periods, above 20% after 12, below 20% after 20.
	 */
	struct kvmmem_policy_idle e;
	u32 i;

	kvmmem_policy_idle_init(&e);
	for (i = 0; i < 40; i++)
		period(&e, 100, 90);
	for (i = 0; i < 3; i++)
		period(&e, 100, 10);
	CHECK(kvmmem_policy_idle_estimate(&e) > ONE * 60 / 100);
	for (; i < 12; i++)
		period(&e, 100, 10);
	CHECK(kvmmem_policy_idle_estimate(&e) > ONE * 20 / 100);
	for (; i < 20; i++)
		period(&e, 100, 10);
	CHECK(kvmmem_policy_idle_estimate(&e) < ONE * 20 / 100);
	/* Settles on the truth. */
	for (; i < 200; i++)
		period(&e, 100, 10);
	/* 10% is 6553.6; rounding leaves the slow average up to 4 above. */
	CHECK(kvmmem_policy_idle_estimate(&e) >= 6554 &&
	      kvmmem_policy_idle_estimate(&e) <= 6558);
	return true;
}

static bool test_idle_edge_cases(void)
{
	struct kvmmem_policy_idle e;
	u32 i;

	kvmmem_policy_idle_init(&e);
	/* A period that sampled nothing is no measurement. */
	period(&e, 0, 0);
	CHECK_EQ(e.periods, 0);
	CHECK_EQ(kvmmem_policy_idle_estimate(&e), ONE);
	/* More touches than samples count as all touched. */
	kvmmem_policy_idle_start(&e, 4);
	for (i = 0; i < 10; i++)
		kvmmem_policy_idle_touch(&e);
	CHECK_EQ(e.touched, 4);
	kvmmem_policy_idle_end(&e);
	CHECK_EQ(kvmmem_policy_idle_estimate(&e), ONE);
	/* A restarted period forgets its touches. */
	kvmmem_policy_idle_start(&e, 10);
	kvmmem_policy_idle_touch(&e);
	kvmmem_policy_idle_start(&e, 10);
	kvmmem_policy_idle_end(&e);
	CHECK_EQ(e.fast, ONE / 2);
	/* Before the first period ends, current is the partial fraction. */
	kvmmem_policy_idle_init(&e);
	kvmmem_policy_idle_start(&e, 8);
	kvmmem_policy_idle_touch(&e);
	CHECK_EQ(kvmmem_policy_idle_current(&e), ONE / 8);
	CHECK_EQ(kvmmem_policy_idle_estimate(&e), ONE);
	return true;
}

/* ---- free memory states ---- */

static bool test_states_down(void)
{
	const struct kvmmem_policy_thresholds th =
		KVMMEM_POLICY_THRESHOLDS_DEFAULT;

	/* Budget 1000 pages: thresholds at 60/40/20/10 free pages. */
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HIGH, 50, 1000, &th),
		 KVMMEM_STATE_HIGH);
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HIGH, 40, 1000, &th),
		 KVMMEM_STATE_HIGH);
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HIGH, 39, 1000, &th),
		 KVMMEM_STATE_SOFT);
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_SOFT, 19, 1000, &th),
		 KVMMEM_STATE_HARD);
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HARD, 9, 1000, &th),
		 KVMMEM_STATE_LOW);
	/* A plunge skips states. */
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HIGH, 5, 1000, &th),
		 KVMMEM_STATE_LOW);
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HIGH, 0, 1000, &th),
		 KVMMEM_STATE_LOW);
	/* Exact comparison: 4% of 12345 is 493.8 pages. */
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HIGH, 493, 12345, &th),
		 KVMMEM_STATE_SOFT);
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HIGH, 494, 12345, &th),
		 KVMMEM_STATE_HIGH);
	return true;
}

static bool test_states_hysteresis(void)
{
	const struct kvmmem_policy_thresholds th =
		KVMMEM_POLICY_THRESHOLDS_DEFAULT;
	enum kvmmem_policy_state s = KVMMEM_STATE_LOW;

	/* Recovering from low: each state is left only at the next threshold up. */
	s = kvmmem_policy_next_state(s, 15, 1000, &th);	/* 1.5% */
	CHECK_EQ(s, KVMMEM_STATE_LOW);
	s = kvmmem_policy_next_state(s, 20, 1000, &th);	/* 2% */
	CHECK_EQ(s, KVMMEM_STATE_HARD);
	s = kvmmem_policy_next_state(s, 39, 1000, &th);	/* 3.9% */
	CHECK_EQ(s, KVMMEM_STATE_HARD);
	s = kvmmem_policy_next_state(s, 40, 1000, &th);	/* 4% */
	CHECK_EQ(s, KVMMEM_STATE_SOFT);
	s = kvmmem_policy_next_state(s, 59, 1000, &th);	/* 5.9% */
	CHECK_EQ(s, KVMMEM_STATE_SOFT);
	s = kvmmem_policy_next_state(s, 60, 1000, &th);	/* 6% */
	CHECK_EQ(s, KVMMEM_STATE_HIGH);
	/* Same free memory, different history, different state. */
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HIGH, 30, 1000, &th),
		 KVMMEM_STATE_SOFT);
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HARD, 30, 1000, &th),
		 KVMMEM_STATE_HARD);
	/* A big recovery climbs all the way. */
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_LOW, 100, 1000, &th),
		 KVMMEM_STATE_HIGH);
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_LOW, 45, 1000, &th),
		 KVMMEM_STATE_SOFT);
	/* Hard falling to 1.5% stays hard (low is entered below 1%). */
	CHECK_EQ(kvmmem_policy_next_state(KVMMEM_STATE_HARD, 15, 1000, &th),
		 KVMMEM_STATE_HARD);
	return true;
}

static bool test_states_stable(void)
{
	const struct kvmmem_policy_thresholds th =
		KVMMEM_POLICY_THRESHOLDS_DEFAULT;
	enum kvmmem_policy_state s, n;
	u64 free;

	/* Asking again with the same free memory changes nothing. */
	for (s = KVMMEM_STATE_HIGH; s <= KVMMEM_STATE_LOW; s++) {
		for (free = 0; free <= 1000; free++) {
			n = kvmmem_policy_next_state(s, free, 1000, &th);
			CHECK_EQ(kvmmem_policy_next_state(n, free, 1000, &th), n);
		}
	}
	CHECK(!strcmp(kvmmem_policy_state_name(KVMMEM_STATE_SOFT), "soft"));
	CHECK(!strcmp(kvmmem_policy_state_name(KVMMEM_STATE_LOW), "low"));
	CHECK(!strcmp(kvmmem_policy_state_name(7), "invalid"));
	return true;
}

static bool test_thresholds_valid(void)
{
	struct kvmmem_policy_thresholds th = KVMMEM_POLICY_THRESHOLDS_DEFAULT;

	CHECK(kvmmem_policy_thresholds_valid(&th));
	th.hard = th.soft;
	CHECK(!kvmmem_policy_thresholds_valid(&th));
	th = (struct kvmmem_policy_thresholds){ 6, 4, 2, 2 };
	CHECK(!kvmmem_policy_thresholds_valid(&th));
	th = (struct kvmmem_policy_thresholds){ 100, 50, 10, 0 };
	CHECK(kvmmem_policy_thresholds_valid(&th));
	th.high = 101;
	CHECK(!kvmmem_policy_thresholds_valid(&th));
	return true;
}

#define TEST(n, f)	{ .name = n, .fn = f }

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
	TEST("idle: hand-computed sequence", test_idle_hand_sequence),
	TEST("idle: a rise is followed within 3 periods", test_idle_step_up),
	TEST("idle: a fall decays slowly", test_idle_step_down),
	TEST("idle: edge cases", test_idle_edge_cases),
	TEST("states: entered downwards", test_states_down),
	TEST("states: hysteresis upwards", test_states_hysteresis),
	TEST("states: stable and named", test_states_stable),
	TEST("states: threshold validation", test_thresholds_valid),
};

int main(void)
{
	size_t i, n = sizeof(tests) / sizeof(tests[0]);

	tap_plan(n);
	for (i = 0; i < n; i++)
		tap_result(tests[i].fn(), tests[i].name);
	return tap_exit();
}
