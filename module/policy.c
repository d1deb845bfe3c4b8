// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: policy - share-based allocation, idle memory tax, idle estimator
 *
 * The policy core of the paper's sections 5 and 6, as pure integer C: it
 * knows nothing of pages, locks or the kernel, and the same file builds
 * into the module and into the native unit tests and kvmmem-sim.  Callers
 * serialize calls that share state; no function sleeps or allocates.
 *
 * Fixed point.  A fraction (the active fraction f, the estimator's
 * averages) is an integer in parts per 2^16 (KVMMEM_POLICY_FRAC_ONE).
 * The tax rate tau is an integer percent, 0..99.  Shares are any u32;
 * page counts are u64 and may reach 2^40 (and beyond: sums saturate).
 * Products that may need more than 64 bits are taken in 128 bits by the
 * wide helpers below (no compiler or library support needed).
 *
 * Idle memory tax (section 5.2).  With k = 1 / (1 - tau), a VM with S
 * shares, P pages and active fraction f has the adjusted shares-per-page
 * ratio
 *
 *	rho = S / (P * (f + k * (1 - f)))
 *
 * An idle page costs k times an active one: tau = 0 is pure share-based
 * allocation; tau = 75% (the default) makes idle pages cost 4 times as
 * much.  We write rho = w / P with the VM's idle-adjusted shares, its
 * weight,
 *
 *	w = S / (f + k * (1 - f))
 *	  = S * (100 - tau) * 2^16 / (f * (100 - tau) + 100 * (2^16 - f))
 *
 * with f in 2^-16 units; w is kept in 2^-16 shares (w <= S * 2^16 < 2^48)
 * and rho = w / P in 2^-16 shares per page.  P = 0 gives an infinite rho,
 * or 0 when S = 0.
 *
 * Min-funding revocation (sections 5.1, 5.2).  ESX takes pages from the
 * VM with the lowest rho and gives them to VMs that want more, never
 * below a VM's min nor above its max.  Run to its end, this settles where
 * no page can move: some level L such that every VM strictly between its
 * min and max has rho = L, every VM at its min would have rho <= L above
 * it, every VM at its max has rho >= L.  With the weight fixed (f is a
 * measured property of the VM), that is
 *
 *	target = clamp(w / L, min, max)    with sum(target) = budget
 *
 * and it does not depend on where the allocations start, so we compute
 * it directly rather than moving one page at a time: each VM starts to
 * grow at x = min / w and stops at x = max / w (x = 1 / L); the 2n such
 * events are sorted (heapsort, exact 128-bit cross products) and swept
 * until the sum reaches the budget, which gives x = R / W exactly (R the
 * budget left for the VMs in between, W their weights' sum).  Targets are
 * floor(w * R / W), clamped; the few pages rounding leaves over (fewer
 * than the VMs in between) go one each to the VMs with the highest rho,
 * ties to the lower index.  O(n log n), deterministic, no allocation: the
 * caller passes 2n u32s of scratch.  Moving the allocations towards the
 * targets, and when, is the caller's business: the free memory states
 * say how hard to push.
 *
 * Invariants of kvmmem_policy_targets(): min <= target <= max; a VM with
 * 0 shares gets its min; if every VM's max fits, each gets its max;
 * otherwise, if the mins fit, the targets sum to exactly the budget.
 * If the mins alone exceed the budget, every target is its min and the
 * result says KVMMEM_POLICY_OVERCOMMITTED: admission control should have
 * prevented it, and the mins are guarantees, so they win.
 *
 * Idle memory estimate (section 5.3).  Each period n random pages are
 * sampled and t of them are seen touched.  Three estimates of f: a slow
 * and a fast exponentially weighted moving average of t / n over past
 * periods (gains 1/8 and 1/2) and a version of the fast one that also
 * counts the current, incomplete period (t so far out of n).  The
 * estimate is their maximum: quick to rise, slow to fall.  With n = 100
 * a period's t / n has a standard error up to 5 points; gain 1/2 keeps
 * about 0.58 of it and leaves 1/8 of a step after 3 periods (an 80-point
 * rise is then within 10 points); gain 1/8 keeps about 0.26 of it and
 * halves a fall in about 5 periods (2.6 minutes at the default 30 s
 * period), so briefly idle memory is not taxed at once.  The first
 * completed period seeds both averages; before it they are 2^16 (fully
 * active): an unmeasured VM pays no tax.  A period that sampled nothing
 * changes nothing.  Averages round to nearest (within 2^-14 of a
 * constant input).
 *
 * Free memory states (section 6).  Thresholds high/soft/hard/low are
 * percentages of the budget (default 6/4/2/1).  The paper goes to a
 * lower state when free memory drops below that state's threshold, and
 * back to the next higher state only after free memory significantly
 * exceeds the higher threshold.  Here: free memory below soft, hard or
 * low enters that state (from any higher state); a state is left upwards
 * only when free memory reaches the threshold of the state above it: low
 * for hard at >= hard, hard for soft at >= soft, soft for high at >=
 * high.  So each state has a band of hysteresis one threshold wide, and
 * the high threshold is where reclamation stops.  kvmmem_policy_next_state()
 * applies the rules until none applies, so its result is stable:
 * asking again with the same free memory returns the same state.
 *
 * Admission (section 6).  A VM may start only if its min plus its
 * overhead can be reserved: they must fit in the budget next to the
 * reservations of the VMs already admitted.
 */
#include "policy.h"

#define FRAC_ONE	KVMMEM_POLICY_FRAC_ONE
#define LOW32(x)	((x) & 0xffffffffULL)

/* An unsigned 128-bit integer. */
struct wide {
	u64 hi;
	u64 lo;
};

static struct wide mul_wide(u64 a, u64 b)
{
	u64 p00 = LOW32(a) * LOW32(b);
	u64 p01 = LOW32(a) * (b >> 32);
	u64 p10 = (a >> 32) * LOW32(b);
	u64 p11 = (a >> 32) * (b >> 32);
	u64 mid = (p00 >> 32) + LOW32(p01) + LOW32(p10);
	struct wide r;

	r.lo = (mid << 32) | LOW32(p00);
	r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
	return r;
}

static int cmp_wide(struct wide a, struct wide b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* floor(n / d), d > 0; a quotient too big for 64 bits saturates. */
static u64 div_wide(struct wide n, u64 d)
{
	u64 q = 0, r = n.hi;
	int i;

	if (!n.hi)
		return div64_u64(n.lo, d);
	if (n.hi >= d)
		return ~0ULL;
	/* Long division, one bit at a time; r < d throughout. */
	for (i = 0; i < 64; i++) {
		u64 carry = r >> 63;

		r = (r << 1) | (n.lo >> 63);
		n.lo <<= 1;
		q <<= 1;
		if (carry || r >= d) {
			r -= d;
			q |= 1;
		}
	}
	return q;
}

static u64 add_sat(u64 a, u64 b)
{
	return a + b < a ? ~0ULL : a + b;
}

/**
 * kvmmem_policy_weight() - idle-adjusted shares of a VM
 * @shares: the VM's shares S
 * @active: its active fraction f, parts per 2^16 (larger counts as 2^16)
 * @tax: idle memory tax rate tau in percent (above 99 counts as 99)
 *
 * Return: S / (f + k * (1 - f)) with k = 1 / (1 - tau), in units of 2^-16
 * shares (rounded down).  It lies between S * 2^16 * (1 - tau) and
 * S * 2^16.
 */
u64 kvmmem_policy_weight(u32 shares, u32 active, unsigned int tax)
{
	u64 keep, cost;

	if (tax > KVMMEM_POLICY_TAX_MAX)
		tax = KVMMEM_POLICY_TAX_MAX;
	if (active > FRAC_ONE)
		active = FRAC_ONE;
	keep = 100 - tax;
	/* (f + k * (1 - f)) * 2^16 * (100 - tau), never below 2^16 */
	cost = active * keep + 100ULL * (FRAC_ONE - active);
	return div_wide(mul_wide((u64)shares << KVMMEM_POLICY_WEIGHT_SHIFT,
				 keep * FRAC_ONE), cost);
}

/**
 * kvmmem_policy_rho() - adjusted shares-per-page ratio of a VM
 * @shares: the VM's shares S
 * @pages: pages it has now, P
 * @active: its active fraction f, parts per 2^16
 * @tax: idle memory tax rate tau in percent
 *
 * Return: rho = S / (P * (f + k * (1 - f))) in units of 2^-16 shares per
 * page, rounded down; KVMMEM_POLICY_RHO_INFINITE if P = 0 and S > 0, and
 * 0 if S = 0.
 */
u64 kvmmem_policy_rho(u32 shares, u64 pages, u32 active, unsigned int tax)
{
	u64 weight = kvmmem_policy_weight(shares, active, tax);

	if (!pages)
		return weight ? KVMMEM_POLICY_RHO_INFINITE : 0;
	return div64_u64(weight, pages);
}

/*
 * The most a VM may get: its max, or its min if that is larger or if the
 * VM has no shares.
 */
static u64 vm_ceiling(const struct kvmmem_policy_vm *vm)
{
	if (!vm->shares || vm->max < vm->min)
		return vm->min;
	return vm->max;
}

/*
 * Sweep events are encoded as (vm index << 1) | 1 for "reaches its
 * ceiling" and (vm index << 1) for "rises above its min".
 */
static u64 event_pages(const struct kvmmem_policy_vm *vms, u32 ev)
{
	const struct kvmmem_policy_vm *vm = &vms[ev >> 1];

	return (ev & 1) ? vm_ceiling(vm) : vm->min;
}

/* Events by x = pages / weight, then by code: a total order. */
static bool event_before(const struct kvmmem_policy_vm *vms, u32 a, u32 b)
{
	int c = cmp_wide(mul_wide(event_pages(vms, a), vms[b >> 1].weight),
			 mul_wide(event_pages(vms, b), vms[a >> 1].weight));

	return c ? c < 0 : a < b;
}

/* VMs by rho = weight / target, highest first, then by index. */
static bool rho_before(const struct kvmmem_policy_vm *vms, u32 a, u32 b)
{
	int c = cmp_wide(mul_wide(vms[a].weight, vms[b].target),
			 mul_wide(vms[b].weight, vms[a].target));

	return c ? c > 0 : a < b;
}

static void sift_down(u32 *v, u32 root, u32 n,
		      const struct kvmmem_policy_vm *vms,
		      bool (*before)(const struct kvmmem_policy_vm *, u32, u32))
{
	for (;;) {
		u32 child = 2 * root + 1, tmp;

		if (child >= n)
			return;
		if (child + 1 < n && before(vms, v[child], v[child + 1]))
			child++;
		if (!before(vms, v[root], v[child]))
			return;
		tmp = v[root];
		v[root] = v[child];
		v[child] = tmp;
		root = child;
	}
}

/* Heapsort: in place, O(n log n) at worst, no recursion. */
static void sort_by(u32 *v, u32 n, const struct kvmmem_policy_vm *vms,
		    bool (*before)(const struct kvmmem_policy_vm *, u32, u32))
{
	u32 i, tmp;

	for (i = n / 2; i-- > 0;)
		sift_down(v, i, n, vms, before);
	for (i = n; i-- > 1;) {
		tmp = v[0];
		v[0] = v[i];
		v[i] = tmp;
		sift_down(v, 0, i, vms, before);
	}
}

/*
 * Finds the water level x = *rest / *wsum at which the targets add up to
 * the budget, given sum(min) < budget < sum(ceiling).  Sweeps the events
 * in order of x, keeping fixed (the pages of VMs at their min or ceiling)
 * and wsum (the weights of VMs in between); stops at the first event at
 * which fixed + wsum * x reaches the budget.  Until then fixed < budget.
 */
static bool water_level(const struct kvmmem_policy_vm *vms, u32 nr,
			u64 budget, u64 sum_min, u32 *ev, u64 *rest, u64 *wsum)
{
	u64 fixed = sum_min, w = 0;
	u32 i, n = 0;

	for (i = 0; i < nr; i++) {
		if (vms[i].weight && vms[i].min < vm_ceiling(&vms[i])) {
			ev[n++] = i << 1;
			ev[n++] = (i << 1) | 1;
		}
	}
	sort_by(ev, n, vms, event_before);
	for (i = 0; i < n; i++) {
		const struct kvmmem_policy_vm *vm = &vms[ev[i] >> 1];

		if (w && cmp_wide(mul_wide(w, event_pages(vms, ev[i])),
				  mul_wide(budget - fixed, vm->weight)) >= 0)
			break;
		if (ev[i] & 1) {
			w -= vm->weight;
			fixed += vm_ceiling(vm);
		} else {
			fixed -= vm->min;
			w += vm->weight;
		}
	}
	*rest = budget - fixed;
	*wsum = w;
	return w != 0;
}

/* Hands the pages rounding left over to the VMs with the highest rho. */
static void hand_out(struct kvmmem_policy_vm *vms, u32 nr, u64 left,
		     u32 *order)
{
	u32 i, n = 0;

	for (i = 0; i < nr; i++)
		if (vms[i].weight && vms[i].target < vm_ceiling(&vms[i]))
			order[n++] = i;
	sort_by(order, n, vms, rho_before);
	for (i = 0; i < n && left; i++, left--)
		vms[order[i]].target++;
}

static void set_targets(struct kvmmem_policy_vm *vms, u32 nr, u64 rest,
			u64 wsum)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		struct kvmmem_policy_vm *vm = &vms[i];
		u64 t = vm->min;

		if (vm->weight && wsum)
			t = div_wide(mul_wide(vm->weight, rest), wsum);
		if (t < vm->min)
			t = vm->min;
		if (t > vm_ceiling(vm))
			t = vm_ceiling(vm);
		vm->target = t;
	}
}

/**
 * kvmmem_policy_targets() - target allocations by min-funding revocation
 * @vms: the VMs: shares, active, min and max in; weight and target out
 * @nr: number of VMs, at most KVMMEM_POLICY_MAX_VMS
 * @budget: pages the VMs may have in all
 * @tax: idle memory tax rate tau in percent, 0..99
 * @scratch: KVMMEM_POLICY_SCRATCH_ENTRIES(@nr) u32s the call may use
 *
 * Computes where min-funding revocation with the idle memory tax settles
 * (see the DOC comment): each VM's target lies in [min, max], a VM with no
 * shares gets its min, and the targets sum to the budget unless every VM
 * gets its max.  Deterministic for given inputs.
 *
 * Return: KVMMEM_POLICY_OK; KVMMEM_POLICY_OVERCOMMITTED if the mins alone
 * exceed @budget (every target is then its min); KVMMEM_POLICY_INVALID
 * for a tax above 99 or too many VMs (nothing is written).
 */
enum kvmmem_policy_result kvmmem_policy_targets(struct kvmmem_policy_vm *vms,
						u32 nr, u64 budget,
						unsigned int tax,
						u32 *scratch)
{
	u64 sum_min = 0, sum_max = 0, sum = 0, rest, wsum;
	u32 i;

	if (tax > KVMMEM_POLICY_TAX_MAX || nr > KVMMEM_POLICY_MAX_VMS)
		return KVMMEM_POLICY_INVALID;
	for (i = 0; i < nr; i++) {
		struct kvmmem_policy_vm *vm = &vms[i];

		vm->weight = kvmmem_policy_weight(vm->shares, vm->active, tax);
		vm->target = vm->min;
		sum_min = add_sat(sum_min, vm->min);
		sum_max = add_sat(sum_max, vm_ceiling(vm));
	}
	if (sum_min > budget)
		return KVMMEM_POLICY_OVERCOMMITTED;
	if (sum_min == budget)
		return KVMMEM_POLICY_OK;
	if (sum_max <= budget) {
		for (i = 0; i < nr; i++)
			vms[i].target = vm_ceiling(&vms[i]);
		return KVMMEM_POLICY_OK;
	}
	if (!water_level(vms, nr, budget, sum_min, scratch, &rest, &wsum))
		return KVMMEM_POLICY_OK;	/* unreachable: targets = min */
	set_targets(vms, nr, rest, wsum);
	for (i = 0; i < nr; i++)
		sum += vms[i].target;
	if (sum < budget)
		hand_out(vms, nr, budget - sum, scratch);
	return KVMMEM_POLICY_OK;
}

/* t / n in parts per 2^16, rounded to nearest. */
static u32 fraction(u32 t, u32 n)
{
	return div64_u64(((u64)t << KVMMEM_POLICY_FRAC_SHIFT) + n / 2, n);
}

/* Moves avg 1/2^shift of the way to sample, rounded to nearest. */
static u32 ewma(u32 avg, u32 sample, unsigned int shift)
{
	u64 sum = (u64)avg * ((1U << shift) - 1) + sample;

	return (sum + (1U << (shift - 1))) >> shift;
}

/**
 * kvmmem_policy_idle_init() - reset an estimator to "nothing measured"
 * @idle: the estimator
 *
 * Until a period completes, kvmmem_policy_idle_estimate() says fully active.
 */
void kvmmem_policy_idle_init(struct kvmmem_policy_idle *idle)
{
	/* The first completed period replaces both. */
	idle->slow = FRAC_ONE;
	idle->fast = FRAC_ONE;
	idle->sampled = 0;
	idle->touched = 0;
	idle->periods = 0;
}

/**
 * kvmmem_policy_idle_start() - begin a sampling period
 * @idle: the estimator
 * @sampled: pages sampled (invalidated) for this period, n
 *
 * Discards the counts of a period that was started but not ended.
 */
void kvmmem_policy_idle_start(struct kvmmem_policy_idle *idle, u32 sampled)
{
	idle->sampled = sampled;
	idle->touched = 0;
}

/**
 * kvmmem_policy_idle_touch() - a sampled page was touched
 * @idle: the estimator
 *
 * Call once per sampled page, on its first touch in the period; counts
 * beyond the number sampled are ignored.
 */
void kvmmem_policy_idle_touch(struct kvmmem_policy_idle *idle)
{
	if (idle->touched < idle->sampled)
		idle->touched++;
}

/**
 * kvmmem_policy_idle_end() - end a period, folding it into the averages
 * @idle: the estimator
 *
 * The period's t / n moves the fast average half and the slow average an
 * eighth of the way towards it; the first period sets both.  A period
 * that sampled no page changes nothing.
 */
void kvmmem_policy_idle_end(struct kvmmem_policy_idle *idle)
{
	u32 f;

	if (idle->sampled) {
		f = fraction(idle->touched, idle->sampled);
		if (!idle->periods) {
			idle->slow = f;
			idle->fast = f;
		} else {
			idle->slow = ewma(idle->slow, f,
					  KVMMEM_POLICY_IDLE_SLOW_SHIFT);
			idle->fast = ewma(idle->fast, f,
					  KVMMEM_POLICY_IDLE_FAST_SHIFT);
		}
		if (idle->periods < ~0U)
			idle->periods++;
	}
	idle->sampled = 0;
	idle->touched = 0;
}

/**
 * kvmmem_policy_idle_current() - the fast average with the current period
 * @idle: the estimator
 *
 * Return: what the fast average would become if the current period ended
 * now with the touches seen so far (parts per 2^16); the fast average if
 * no period is under way.  Before the first period completes, the current
 * period's fraction so far.
 */
u32 kvmmem_policy_idle_current(const struct kvmmem_policy_idle *idle)
{
	u32 f;

	if (!idle->sampled)
		return idle->fast;
	f = fraction(idle->touched, idle->sampled);
	if (!idle->periods)
		return f;
	return ewma(idle->fast, f, KVMMEM_POLICY_IDLE_FAST_SHIFT);
}

/**
 * kvmmem_policy_idle_estimate() - estimated active fraction of a VM
 * @idle: the estimator
 *
 * Return: the largest of the slow average, the fast average and
 * kvmmem_policy_idle_current(), in parts per 2^16; 2^16 (fully active)
 * until the first period completes.
 */
u32 kvmmem_policy_idle_estimate(const struct kvmmem_policy_idle *idle)
{
	u32 est = idle->slow, cur;

	if (idle->fast > est)
		est = idle->fast;
	cur = kvmmem_policy_idle_current(idle);
	return cur > est ? cur : est;
}

/**
 * kvmmem_policy_thresholds_valid() - check free memory thresholds
 * @th: the thresholds, in percent of the budget
 *
 * Return: whether low < hard < soft < high <= 100.
 */
bool kvmmem_policy_thresholds_valid(const struct kvmmem_policy_thresholds *th)
{
	return th->low < th->hard && th->hard < th->soft &&
	       th->soft < th->high && th->high <= 100;
}

/* The threshold below which a state is entered; high's ends soft. */
static u32 threshold(const struct kvmmem_policy_thresholds *th,
		     enum kvmmem_policy_state state)
{
	switch (state) {
	case KVMMEM_STATE_HIGH:
		return th->high;
	case KVMMEM_STATE_SOFT:
		return th->soft;
	case KVMMEM_STATE_HARD:
		return th->hard;
	default:
		return th->low;
	}
}

/* free < pct% of budget, exactly */
static bool below(u64 free, u32 pct, u64 budget)
{
	return cmp_wide(mul_wide(free, 100), mul_wide(pct, budget)) < 0;
}

/**
 * kvmmem_policy_next_state() - free memory state after a change of free memory
 * @state: the current state
 * @free: free pages of the budget now
 * @budget: the budget in pages
 * @th: thresholds in percent of @budget; the result is unspecified unless
 *	kvmmem_policy_thresholds_valid() holds for them
 *
 * Free memory below a lower state's threshold enters that state at once;
 * a state is left upwards, one state at a time, only when free memory
 * reaches the threshold of the state above it (hard is left for soft at
 * the soft threshold, soft for high at the high threshold).  Steps are
 * taken until none applies, so the result is stable for this @free.
 *
 * Return: the new state.
 */
enum kvmmem_policy_state
kvmmem_policy_next_state(enum kvmmem_policy_state state, u64 free, u64 budget,
			 const struct kvmmem_policy_thresholds *th)
{
	if (state > KVMMEM_STATE_LOW)
		state = KVMMEM_STATE_LOW;
	while (state < KVMMEM_STATE_LOW &&
	       below(free, threshold(th, state + 1), budget))
		state++;
	/* With valid thresholds, at most one of the two loops moves. */
	while (state > KVMMEM_STATE_HIGH &&
	       !below(free, threshold(th, state - 1), budget))
		state--;
	return state;
}

/**
 * kvmmem_policy_state_name() - name of a free memory state
 * @state: the state
 *
 * Return: "high", "soft", "hard" or "low".
 */
const char *kvmmem_policy_state_name(enum kvmmem_policy_state state)
{
	static const char * const names[] = {
		[KVMMEM_STATE_HIGH] = "high",
		[KVMMEM_STATE_SOFT] = "soft",
		[KVMMEM_STATE_HARD] = "hard",
		[KVMMEM_STATE_LOW] = "low",
	};

	return state <= KVMMEM_STATE_LOW ? names[state] : "invalid";
}

/**
 * kvmmem_policy_admit() - admission control for a VM's reservation
 * @budget: the budget in pages
 * @reserved: pages already reserved by other VMs (their min + overhead)
 * @min: the VM's min, in pages
 * @max: the VM's max, in pages
 * @overhead: pages the VM costs beyond its memory (metadata)
 *
 * The VM may start (or grow) only if min + overhead fit in the budget next
 * to @reserved.  @reserved must not include this VM's own reservation.
 *
 * Return: KVMMEM_ADMIT_OK, or why not (kvmmem_policy_admit_reason()).
 */
enum kvmmem_policy_admit kvmmem_policy_admit(u64 budget, u64 reserved,
					     u64 min, u64 max, u64 overhead)
{
	if (min > max)
		return KVMMEM_ADMIT_MIN_ABOVE_MAX;
	if (min > budget || overhead > budget - min)
		return KVMMEM_ADMIT_EXCEEDS_BUDGET;
	if (reserved > budget || min + overhead > budget - reserved)
		return KVMMEM_ADMIT_NO_ROOM;
	return KVMMEM_ADMIT_OK;
}

/**
 * kvmmem_policy_admit_reason() - describe an admission verdict
 * @verdict: what kvmmem_policy_admit() returned
 *
 * Return: a short phrase for a log line.
 */
const char *kvmmem_policy_admit_reason(enum kvmmem_policy_admit verdict)
{
	switch (verdict) {
	case KVMMEM_ADMIT_OK:
		return "admitted";
	case KVMMEM_ADMIT_MIN_ABOVE_MAX:
		return "min is above max";
	case KVMMEM_ADMIT_EXCEEDS_BUDGET:
		return "min plus overhead exceed the whole budget";
	case KVMMEM_ADMIT_NO_ROOM:
		return "min plus overhead exceed the budget left unreserved";
	}
	return "invalid verdict";
}
