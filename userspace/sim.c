// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmem-sim: runs kvmmem's policy core (module/policy.c, the same source
 * the module builds) over a scenario of VMs whose working sets change
 * with time, and shows allocations and idle memory estimates over time
 * as a table and as an SVG chart.
 *
 *   kvmmem-sim [-o FILE.svg] [-t TAX] [-s SEED] [-p POLICY] [-f PCT] [-q]
 *              SCENARIO
 *
 *   -o FILE   write the chart to FILE
 *   -t TAX    use this tax rate (percent) throughout; ignores "tax" lines
 *   -s SEED   override the scenario's seed
 *   -p POLICY set targets with another host's balloon policy instead of
 *             kvmmem's: mom, pvestatd or squeezed (peers.c); kvmmem's
 *             estimates still run, for the chart
 *   -f PCT    override the scenario's guest_free=
 *   -q        no table: only the summary lines
 *
 * Scenario files: one directive a line, "#" starts a comment.  Sizes are
 * bytes with an optional K, M, G or T suffix (powers of 1024), rounded
 * down to 4 KiB pages; times are seconds with an optional s, m or h
 * suffix.
 *
 *   title TEXT
 *   host budget=SIZE [tax=PCT] [period=T] [tick=T] [samples=N]
 *        [rate=SIZE] [duration=T] [seed=N] [guest_free=PCT]
 *   vm NAME [shares=N] [min=SIZE] max=SIZE [init=SIZE]
 *   ws NAME T SIZE
 *   tax T PCT
 *   plot alloc | plot estimate NAME
 *
 * host: budget is the memory all VMs share; tax the initial idle memory
 * tax rate (default 75); period the sampling period (default 30 s), tick
 * the simulation step (default 5 s, must divide the period), samples the
 * pages sampled per VM per period (default 100), rate how much memory
 * reclamation or growth can move per VM per second (default 1M),
 * duration the simulated time (default 1h), seed the PRNG seed,
 * guest_free the share of a guest's memory outside its working set that
 * it reports free to the other policies (default 0: a guest keeps it as
 * page cache, which counts as used).
 * vm (at most 8): shares (default 1000), min (default 0), max (required),
 * init the allocation at t = 0 (default 0).  ws: from time T on, VM NAME's working
 * set is SIZE (default 0).  tax: from time T on, the tax rate is PCT.
 * plot: what the chart shows: every VM's allocation (solid) and
 * estimated active memory (dotted), or one VM's estimates in detail.
 *
 * The model, per tick: events due are applied; at the start of a period
 * each VM samples n distinct random pages of its allocation, and each
 * sampled page that lies in the working set is touched at a random moment
 * of the period (a working set is what is touched at least once per
 * period); allocations move towards their targets by at most rate * tick,
 * shrinking first, growing from free memory (a guest uses all memory it
 * is given, as a page cache does).  At the end of a period the estimator
 * folds the period in and the targets are recomputed from the estimates
 * with the whole budget.  The PRNG is seeded, so runs are reproducible.
 * With -p, the other policy sets the targets every PEER_INTERVAL seconds
 * instead.  The summary says, per VM, its working-set shortfall (the
 * working set it lacked, integrated over time) and the idle memory it
 * held, both in MB-minutes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../module/policy.h"
#include "peers.h"
#include "plot.h"

#define PAGE_SIZE	4096ULL
#define MAX_VMS		8
#define MAX_EVENTS	256
#define MAX_SAMPLES	100000
#define MB		(1024.0 * 1024.0)

struct sample {
	u64 page;		/* index in the allocation, 0 = first */
	unsigned long when;	/* seconds into the period it is touched */
	bool touched;
};

struct series {
	double *alloc, *active, *est, *slow, *fast, *cur;
};

struct sim_vm {
	char name[32];
	u32 shares;
	u64 min, max, init;	/* pages */
	u64 alloc, target, ws;	/* pages */
	u64 period_alloc;	/* allocation when the period began */
	double lacked, held;	/* MB-minutes: working set lacked, idle held */
	struct kvmmem_policy_idle idle;
	struct sample *samples;
	u32 nsamples;
	struct series s;
};

enum event_kind { EV_WS, EV_TAX };

struct event {
	unsigned long t;
	enum event_kind kind;
	int vm;
	u64 value;	/* pages, or percent */
	int seq;	/* order in the file, for ties */
};

struct scenario {
	char title[160];
	u64 budget;	/* pages */
	unsigned int tax;
	unsigned long period, tick, duration;
	u32 samples;
	u64 rate;	/* bytes per second */
	u64 seed;
	struct sim_vm vms[MAX_VMS];
	int nvms;
	struct event ev[MAX_EVENTS];
	int nev;
	int plot_vm;	/* -1: allocations of all VMs */
	int tax_forced;	/* -1, or the -t rate */
	enum peer peer;	/* -p: another policy sets the targets */
	unsigned int guest_free;	/* percent of idle memory reported free */
};

static const char *const colors[MAX_VMS] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
	"#ff7f0e", "#8c564b", "#e377c2", "#17becf",
};

/* ---- PRNG: xorshift64* (Vigna), seeded through a multiply ---- */

static u64 rng;

static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n), n > 0, without modulo bias. */
static u64 rnd_below(u64 n)
{
	u64 limit = -n % n, r;

	do {
		r = rnd();
	} while (r < limit);
	return r % n;
}

/* ---- scenario parsing ---- */

static const char *path;
static int lineno;

static void die(const char *msg, const char *what)
{
	if (lineno)
		fprintf(stderr, "%s:%d: %s: %s\n", path, lineno, msg, what);
	else
		fprintf(stderr, "kvmmem-sim: %s: %s\n", msg, what);
	exit(EXIT_FAILURE);
}

static u64 parse_num(const char *s, const char *suffixes, const u64 *scale)
{
	char *end;
	const char *p;
	u64 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		die("not a number", s);
	if (!*end)
		return v;
	p = end[1] ? NULL : strchr(suffixes, *end);
	if (!p)
		die("bad suffix", s);
	return v * scale[p - suffixes];
}

static u64 parse_pages(const char *s)
{
	static const u64 scale[] = {
		1ULL << 10, 1ULL << 10, 1ULL << 20, 1ULL << 20,
		1ULL << 30, 1ULL << 30, 1ULL << 40, 1ULL << 40,
	};

	return parse_num(s, "KkMmGgTt", scale) / PAGE_SIZE;
}

static unsigned long parse_time(const char *s)
{
	static const u64 scale[] = { 1, 60, 3600 };

	return parse_num(s, "smh", scale);
}

static int find_vm(const struct scenario *sc, const char *name)
{
	int i;

	for (i = 0; i < sc->nvms; i++)
		if (!strcmp(sc->vms[i].name, name))
			return i;
	die("no such vm", name);
	return -1;
}

/* Splits "key=value"; returns the value. */
/* Is @tok "@key=VALUE"?  If so, *@val points at VALUE. */
static bool kv(const char *tok, const char *key, const char **val)
{
	size_t n = strlen(key);

	if (strncmp(tok, key, n) || tok[n] != '=')
		return false;
	*val = tok + n + 1;
	return true;
}

static void parse_host(struct scenario *sc, char **save)
{
	const char *v;
	char *tok;

	while ((tok = strtok_r(NULL, " \t", save))) {
		if (kv(tok, "budget", &v))
			sc->budget = parse_pages(v);
		else if (kv(tok, "tax", &v))
			sc->tax = parse_num(v, "", NULL);
		else if (kv(tok, "period", &v))
			sc->period = parse_time(v);
		else if (kv(tok, "tick", &v))
			sc->tick = parse_time(v);
		else if (kv(tok, "samples", &v))
			sc->samples = parse_num(v, "", NULL);
		else if (kv(tok, "rate", &v))
			sc->rate = parse_pages(v) * PAGE_SIZE;
		else if (kv(tok, "duration", &v))
			sc->duration = parse_time(v);
		else if (kv(tok, "seed", &v))
			sc->seed = parse_num(v, "", NULL);
		else if (kv(tok, "guest_free", &v))
			sc->guest_free = parse_num(v, "", NULL);
		else
			die("unknown host setting", tok);
	}
}

static void parse_vm(struct scenario *sc, char **save)
{
	char *name = strtok_r(NULL, " \t", save), *tok;
	struct sim_vm *vm;
	const char *v;
	u64 shares;

	if (!name)
		die("missing", "vm name");
	if (sc->nvms == MAX_VMS)
		die("too many vms", name);
	if (strlen(name) >= sizeof(vm->name))
		die("vm name too long", name);
	vm = &sc->vms[sc->nvms++];
	strcpy(vm->name, name);
	vm->shares = 1000;
	while ((tok = strtok_r(NULL, " \t", save))) {
		if (kv(tok, "shares", &v)) {
			shares = parse_num(v, "", NULL);
			if (shares > ~0U)
				die("shares above 2^32 - 1", v);
			vm->shares = shares;
		} else if (kv(tok, "min", &v)) {
			vm->min = parse_pages(v);
		} else if (kv(tok, "max", &v)) {
			vm->max = parse_pages(v);
		} else if (kv(tok, "init", &v)) {
			vm->init = parse_pages(v);
		} else {
			die("unknown vm setting", tok);
		}
	}
	if (!vm->max || vm->min > vm->max || vm->init > vm->max)
		die("need 0 < max, min <= max, init <= max", name);
}

static void add_event(struct scenario *sc, unsigned long t,
		      enum event_kind kind, int vm, u64 value)
{
	if (sc->nev == MAX_EVENTS)
		die("too many events", "ws/tax");
	sc->ev[sc->nev] = (struct event){ t, kind, vm, value, sc->nev };
	sc->nev++;
}

static void parse_line(struct scenario *sc, char *line)
{
	char *save, *cmd, *a, *b, *c;

	cmd = strtok_r(line, " \t", &save);
	if (!cmd)
		return;
	if (!strcmp(cmd, "title")) {
		a = strtok_r(NULL, "", &save);
		snprintf(sc->title, sizeof(sc->title), "%s", a ? a : "");
		return;
	}
	if (!strcmp(cmd, "host")) {
		parse_host(sc, &save);
		return;
	}
	if (!strcmp(cmd, "vm")) {
		parse_vm(sc, &save);
		return;
	}
	a = strtok_r(NULL, " \t", &save);
	b = strtok_r(NULL, " \t", &save);
	c = strtok_r(NULL, " \t", &save);
	if (!strcmp(cmd, "ws") && a && b && c) {
		add_event(sc, parse_time(b), EV_WS, find_vm(sc, a),
			  parse_pages(c));
	} else if (!strcmp(cmd, "tax") && a && b && !c) {
		add_event(sc, parse_time(a), EV_TAX, -1,
			  parse_num(b, "", NULL));
		if (sc->ev[sc->nev - 1].value > KVMMEM_POLICY_TAX_MAX)
			die("tax rate above 99", b);
	} else if (!strcmp(cmd, "plot") && a && !strcmp(a, "alloc") && !b) {
		sc->plot_vm = -1;
	} else if (!strcmp(cmd, "plot") && a && !strcmp(a, "estimate") && b &&
		   !c) {
		sc->plot_vm = find_vm(sc, b);
	} else {
		die("cannot parse", cmd);
	}
}

static int event_order(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq - y->seq;
}

static void check_scenario(struct scenario *sc)
{
	u64 sum = 0;
	int i;

	lineno = 0;
	if (!sc->budget || !sc->nvms)
		die("a scenario needs", "a host budget and at least one vm");
	if (!sc->tick || !sc->period || sc->period % sc->tick)
		die("the tick must divide the period", path);
	if (sc->tax > KVMMEM_POLICY_TAX_MAX)
		die("tax rate above 99", path);
	if (sc->guest_free > 100)
		die("guest_free above 100", path);
	if (!sc->samples || sc->samples > MAX_SAMPLES)
		die("samples must be 1..100000", path);
	if (sc->duration < 2 * sc->tick)
		die("duration too short", path);
	for (i = 0; i < sc->nvms; i++)
		sum += sc->vms[i].init;
	if (sum > sc->budget)
		die("initial allocations exceed the budget", path);
	qsort(sc->ev, sc->nev, sizeof(sc->ev[0]), event_order);
}

static void load(struct scenario *sc, const char *file)
{
	char line[512], *hash;
	FILE *f = fopen(file, "r");

	if (!f)
		die(strerror(errno), file);
	path = file;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line[strcspn(line, "\r\n")] = '\0';
		parse_line(sc, line);
	}
	fclose(f);
	check_scenario(sc);
}

/* ---- simulation ---- */

static double frac(u32 f)
{
	return (double)f / KVMMEM_POLICY_FRAC_ONE;
}

static double to_mb(u64 pages)
{
	return pages * PAGE_SIZE / MB;
}

static u64 active_pages(const struct sim_vm *vm)
{
	return vm->ws < vm->alloc ? vm->ws : vm->alloc;
}

static void start_period(const struct scenario *sc, struct sim_vm *vm)
{
	u32 n = vm->alloc < sc->samples ? vm->alloc : sc->samples, i, j;

	vm->period_alloc = vm->alloc;
	for (i = 0; i < n; i++) {
		struct sample *s = &vm->samples[i];

		do {	/* distinct pages */
			s->page = rnd_below(vm->alloc);
			for (j = 0; j < i && vm->samples[j].page != s->page;)
				j++;
		} while (j < i);
		s->when = rnd_below(sc->period);
		s->touched = false;
	}
	vm->nsamples = n;
	kvmmem_policy_idle_start(&vm->idle, n);
}

/* The guest touches its working set during [0, elapsed) of the period. */
static void touch(struct sim_vm *vm, unsigned long elapsed)
{
	u64 active = vm->ws < vm->period_alloc ? vm->ws : vm->period_alloc;
	u32 i;

	for (i = 0; i < vm->nsamples; i++) {
		struct sample *s = &vm->samples[i];

		if (!s->touched && s->when < elapsed && s->page < active) {
			s->touched = true;
			kvmmem_policy_idle_touch(&vm->idle);
		}
	}
}

static void move_allocations(struct scenario *sc)
{
	u64 step = sc->rate * sc->tick / PAGE_SIZE, used = 0, free, d;
	int i;

	if (!step)
		step = 1;
	for (i = 0; i < sc->nvms; i++) {
		struct sim_vm *vm = &sc->vms[i];

		if (vm->alloc > vm->target) {
			d = vm->alloc - vm->target;
			vm->alloc -= d < step ? d : step;
		}
		used += vm->alloc;
	}
	free = sc->budget - used;
	for (i = 0; i < sc->nvms; i++) {
		struct sim_vm *vm = &sc->vms[i];

		if (vm->alloc < vm->target) {
			d = vm->target - vm->alloc;
			d = d < step ? d : step;
			d = d < free ? d : free;
			vm->alloc += d;
			free -= d;
		}
	}
}

static void compute_targets(struct scenario *sc)
{
	struct kvmmem_policy_vm pv[MAX_VMS];
	u32 scratch[KVMMEM_POLICY_SCRATCH_ENTRIES(MAX_VMS)];
	static bool warned;
	int i;

	for (i = 0; i < sc->nvms; i++) {
		pv[i] = (struct kvmmem_policy_vm){
			.shares = sc->vms[i].shares,
			.active = kvmmem_policy_idle_estimate(&sc->vms[i].idle),
			.min = sc->vms[i].min,
			.max = sc->vms[i].max,
		};
	}
	if (kvmmem_policy_targets(pv, sc->nvms, sc->budget, sc->tax,
				  scratch) == KVMMEM_POLICY_OVERCOMMITTED &&
	    !warned) {
		fprintf(stderr, "kvmmem-sim: the mins exceed the budget\n");
		warned = true;
	}
	for (i = 0; i < sc->nvms; i++)
		sc->vms[i].target = pv[i].target;
}

/* The other policy (-p) sets every VM's target from what it sees. */
static void peer_run(struct scenario *sc)
{
	struct peer_vm pv[MAX_VMS];
	int i;

	for (i = 0; i < sc->nvms; i++) {
		const struct sim_vm *vm = &sc->vms[i];

		pv[i] = (struct peer_vm){
			.alloc = vm->alloc,
			.unused = (vm->alloc - active_pages(vm)) * sc->guest_free / 100,
			.min = vm->min, .max = vm->max, .shares = vm->shares,
			.target = vm->target,
		};
	}
	peer_targets(sc->peer, pv, sc->nvms, sc->budget, (u64)(MB / PAGE_SIZE));
	for (i = 0; i < sc->nvms; i++)
		sc->vms[i].target = pv[i].target;
}

/* Adds @seconds of each VM's shortfall and idle memory. */
static void account(struct scenario *sc, unsigned long seconds)
{
	int i;

	for (i = 0; i < sc->nvms; i++) {
		struct sim_vm *vm = &sc->vms[i];

		if (vm->ws > vm->alloc)
			vm->lacked += to_mb(vm->ws - vm->alloc) * seconds / 60;
		else
			vm->held += to_mb(vm->alloc - vm->ws) * seconds / 60;
	}
}

static void record(struct scenario *sc, size_t k)
{
	int i;

	for (i = 0; i < sc->nvms; i++) {
		struct sim_vm *vm = &sc->vms[i];
		double m = to_mb(vm->alloc);

		vm->s.alloc[k] = m;
		vm->s.active[k] = to_mb(active_pages(vm));
		vm->s.est[k] = m * frac(kvmmem_policy_idle_estimate(&vm->idle));
		vm->s.slow[k] = m * frac(vm->idle.slow);
		vm->s.fast[k] = m * frac(vm->idle.fast);
		vm->s.cur[k] = m * frac(kvmmem_policy_idle_current(&vm->idle));
	}
}

static void print_header(const struct scenario *sc)
{
	int i;

	printf("# %s\n# MB: allocation, target, working set; percent: "
	       "estimate, slow, fast\n#     t tax", sc->title);
	for (i = 0; i < sc->nvms; i++)
		printf(" | %-31s", sc->vms[i].name);
	printf("\n#   (s) (%%)");
	for (i = 0; i < sc->nvms; i++)
		printf(" |  alloc target     ws est%% slow fast");
	printf("\n");
}

static void print_row(const struct scenario *sc, unsigned long t)
{
	int i;

	printf("%7lu %3u", t, sc->tax);
	for (i = 0; i < sc->nvms; i++) {
		const struct sim_vm *vm = &sc->vms[i];

		printf(" | %6.1f %6.1f %6.1f %4.0f %4.0f %4.0f", to_mb(vm->alloc),
		       to_mb(vm->target), to_mb(vm->ws),
		       100 * frac(kvmmem_policy_idle_estimate(&vm->idle)),
		       100 * frac(vm->idle.slow), 100 * frac(vm->idle.fast));
	}
	printf("\n");
}

static void print_summary(const struct scenario *sc, unsigned long t)
{
	int i;

	printf("# t=%lus tax=%u%%:", t, sc->tax);
	for (i = 0; i < sc->nvms; i++) {
		const struct sim_vm *vm = &sc->vms[i];

		printf("%s %s alloc %.1f MB target %.1f MB estimate %.0f%%",
		       i ? ";" : "", vm->name, to_mb(vm->alloc), to_mb(vm->target),
		       100 * frac(kvmmem_policy_idle_estimate(&vm->idle)));
	}
	printf("\n# %s: working set lacked / idle memory held (MB-minutes):",
	       peer_name(sc->peer));
	for (i = 0; i < sc->nvms; i++)
		printf("%s %s %.0f / %.0f", i ? ";" : "", sc->vms[i].name,
		       sc->vms[i].lacked, sc->vms[i].held);
	printf("\n");
}

/* Applies the events due at t; returns the index of the next one. */
static int apply_events(struct scenario *sc, int next, unsigned long t,
			bool quiet)
{
	for (; next < sc->nev && sc->ev[next].t <= t; next++) {
		const struct event *ev = &sc->ev[next];

		if (ev->kind == EV_WS) {
			sc->vms[ev->vm].ws = ev->value;
		} else if (sc->tax_forced < 0 && ev->value != sc->tax) {
			if (t)
				print_summary(sc, t);
			sc->tax = ev->value;
			if (!quiet)
				printf("# tax rate now %u%%\n", sc->tax);
		}
	}
	return next;
}

static void simulate(struct scenario *sc, bool quiet, double *minutes)
{
	size_t steps = sc->duration / sc->tick, k;
	int i, next = 0;

	for (i = 0; i < sc->nvms; i++) {
		struct sim_vm *vm = &sc->vms[i];

		vm->alloc = vm->init;
		kvmmem_policy_idle_init(&vm->idle);
	}
	if (sc->tax_forced >= 0)
		sc->tax = sc->tax_forced;
	next = apply_events(sc, next, 0, quiet);
	compute_targets(sc);
	if (sc->peer) {
		for (i = 0; i < sc->nvms; i++)
			sc->vms[i].target = sc->vms[i].alloc;
		peer_run(sc);
	}
	if (!quiet)
		print_header(sc);
	record(sc, 0);
	minutes[0] = 0;
	for (k = 0; k < steps; k++) {
		unsigned long t = k * sc->tick, in_period = t % sc->period;

		next = apply_events(sc, next, t, quiet);
		for (i = 0; i < sc->nvms; i++) {
			if (!in_period)
				start_period(sc, &sc->vms[i]);
			touch(&sc->vms[i], in_period + sc->tick);
		}
		move_allocations(sc);
		account(sc, sc->tick);
		t += sc->tick;
		if (sc->peer && t % PEER_INTERVAL < sc->tick)
			peer_run(sc);
		if (t % sc->period == 0) {
			for (i = 0; i < sc->nvms; i++)
				kvmmem_policy_idle_end(&sc->vms[i].idle);
			if (!sc->peer)
				compute_targets(sc);
			if (!quiet)
				print_row(sc, t);
		}
		record(sc, k + 1);
		minutes[k + 1] = t / 60.0;
	}
	print_summary(sc, steps * sc->tick);
}

/* ---- the chart ---- */

static void add_series(struct plot *p, const char *label, const char *color,
		       const char *dash, double width, const double *y)
{
	struct plot_series *s = &p->series[p->nseries++];

	*s = (struct plot_series){
		.label = label, .color = color, .dash = dash, .width = width,
		.y = y,
	};
}

static int write_chart(const struct scenario *sc, const double *minutes,
		       const char *file)
{
	static char labels[2 * MAX_VMS + 1][64], tax_labels[PLOT_MAX_MARKERS][32];
	struct plot p = {
		.title = sc->title, .xlabel = "time (minutes)",
		.ylabel = "memory (MB)", .x = minutes,
		.n = sc->duration / sc->tick + 1,
	};
	FILE *out;
	int i, rc;

	if (sc->plot_vm < 0) {
		for (i = 0; i < sc->nvms; i++) {
			snprintf(labels[2 * i], sizeof(labels[0]),
				 "%s: allocation", sc->vms[i].name);
			snprintf(labels[2 * i + 1], sizeof(labels[0]),
				 "%s: estimated active", sc->vms[i].name);
			add_series(&p, labels[2 * i], colors[i], NULL, 2.2,
				   sc->vms[i].s.alloc);
			add_series(&p, labels[2 * i + 1], colors[i], "2 3", 1.6,
				   sc->vms[i].s.est);
		}
		for (i = 0; i < sc->nev && p.nmarkers < PLOT_MAX_MARKERS; i++) {
			if (sc->ev[i].kind != EV_TAX || sc->tax_forced >= 0 ||
			    !sc->ev[i].t)
				continue;
			snprintf(tax_labels[p.nmarkers], sizeof(tax_labels[0]),
				 "tax rate %llu%%",
				 (unsigned long long)sc->ev[i].value);
			p.markers[p.nmarkers].x = sc->ev[i].t / 60.0;
			p.markers[p.nmarkers].label = tax_labels[p.nmarkers];
			p.nmarkers++;
		}
	} else {
		const struct series *s = &sc->vms[sc->plot_vm].s;

		/* The estimate underneath, so the averages show on it. */
		add_series(&p, "estimate (maximum of the three)", "#d62728",
			   NULL, 3.0, s->est);
		add_series(&p, "actual active memory", "#222222", NULL, 1.2,
			   s->active);
		add_series(&p, "fast with current period", "#ff7f0e", NULL,
			   0.9, s->cur);
		p.series[p.nseries - 1].opacity = 0.6;
		add_series(&p, "fast average", "#2ca02c", "7 4", 1.8, s->fast);
		add_series(&p, "slow average", "#1f77b4", "2 3", 2.0, s->slow);
		p.ymax = to_mb(sc->vms[sc->plot_vm].max);
	}
	out = fopen(file, "w");
	if (!out)
		die(strerror(errno), file);
	rc = plot_write_svg(&p, out);
	if (fclose(out) || rc)
		die("cannot write the chart", file);
	return 0;
}

static void *alloc_or_die(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("out of memory", "calloc");
	return p;
}

int main(int argc, char **argv)
{
	static struct scenario sc = {
		.tax = KVMMEM_POLICY_TAX_DEFAULT, .period = 30, .tick = 5,
		.samples = 100, .rate = 1 << 20, .duration = 3600, .seed = 1,
		.plot_vm = -1, .tax_forced = -1,
	};
	const char *svg = NULL;
	long seed = -1;
	int guest_free = -1;
	bool quiet = false;
	double *minutes;
	size_t points;
	int c, i;

	while ((c = getopt(argc, argv, "o:t:s:p:f:q")) != -1) {
		switch (c) {
		case 'o':
			svg = optarg;
			break;
		case 't':
			sc.tax_forced = atoi(optarg);
			if (sc.tax_forced < 0 ||
			    sc.tax_forced > KVMMEM_POLICY_TAX_MAX)
				die("tax rate must be 0..99", optarg);
			break;
		case 's':
			seed = atol(optarg);
			break;
		case 'p':
			if (peer_parse(optarg) < 0)
				die("policy must be kvmmem, mom, pvestatd or squeezed", optarg);
			sc.peer = (enum peer)peer_parse(optarg);
			break;
		case 'f':
			guest_free = atoi(optarg);
			if (guest_free < 0 || guest_free > 100)
				die("guest_free must be 0..100", optarg);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			fprintf(stderr, "usage: kvmmem-sim [-o FILE.svg] "
				"[-t TAX] [-s SEED] [-p POLICY] [-f PCT] [-q] SCENARIO\n");
			return EXIT_FAILURE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "kvmmem-sim: one scenario file, please\n");
		return EXIT_FAILURE;
	}
	load(&sc, argv[optind]);
	if (seed >= 0)
		sc.seed = seed;
	if (guest_free >= 0)
		sc.guest_free = (unsigned int)guest_free;
	rng = (sc.seed + 1) * 0x9e3779b97f4a7c15ULL | 1;

	points = sc.duration / sc.tick + 1;
	minutes = alloc_or_die(points, sizeof(*minutes));
	for (i = 0; i < sc.nvms; i++) {
		struct sim_vm *vm = &sc.vms[i];

		vm->samples = alloc_or_die(sc.samples, sizeof(*vm->samples));
		vm->s.alloc = alloc_or_die(6 * points, sizeof(double));
		vm->s.active = vm->s.alloc + points;
		vm->s.est = vm->s.active + points;
		vm->s.slow = vm->s.est + points;
		vm->s.fast = vm->s.slow + points;
		vm->s.cur = vm->s.fast + points;
	}
	simulate(&sc, quiet, minutes);
	if (svg)
		write_chart(&sc, minutes, svg);
	for (i = 0; i < sc.nvms; i++) {
		free(sc.vms[i].samples);
		free(sc.vms[i].s.alloc);
	}
	free(minutes);
	return EXIT_SUCCESS;
}
