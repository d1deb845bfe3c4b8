// SPDX-License-Identifier: GPL-2.0
/*
 * stress_test: writers against the page sharing scanner at full speed.
 *
 * Several processes each own a kvmmem file in one mount.  For a bounded
 * time each one writes random pages with contents drawn from a small set
 * of patterns (so that pages keep becoming identical and keep merging),
 * through its mapping and through pwrite, overwrites parts of pages (so a
 * copy-on-write copy must keep the rest), and punches holes, while it keeps
 * its own copy of every page in private memory.  The scanner meanwhile
 * runs with no pause.  Afterwards every page must equal its writer's copy,
 * through the mapping and through pread, before and after unmerging; the
 * module must give every frame back and unload and load again.
 *
 * With -w STORE the mount is size=1M with STORE as its backing store, far
 * less than the writers' pages: their pages, private and shared, are paged
 * out and back in under the writers and the scanner, and must still read
 * right (stress_swap_test.sh).
 *
 * Usage: stress_test [-t seconds] [-p processes] [-s seed] [-m module.ko]
 *	[-w store]
 *
 * Meant to run just before unload_test.sh: it unloads and reloads the
 * module, and needs no other kvmmem mount to exist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "tap.h"

#define PG		4096L
#define NPAGES		256L
#define FILE_SIZE	(NPAGES * PG)
#define NPATTERNS	8	/* pattern 0 is all zeros */
#define MAX_WORKERS	16
#define SYSFS		"/sys/kernel/mm/kvmmem/"
#define NR_TESTS	11

enum op { OP_MMAP, OP_PWRITE, OP_MMAP_PART, OP_PWRITE_PART, OP_PUNCH,
	  OP_CHECK, NR_OPS };

/* What a writer reports to the parent, in memory they share. */
struct report {
	int phase;		/* 1: stress and first check done; 2: all done */
	long ops[NR_OPS];
	long spot_bad;		/* spot checks during the stress that failed */
	long io_errors;		/* failed syscalls */
	long bad_mmap, bad_pread;	/* pages wrong at the end, scanner on */
	long bad_after;		/* pages wrong after run=2 (either way) */
	char first_error[160];
};

static const char *const op_names[NR_OPS] = {
	"mmap", "pwrite", "mmap-part", "pwrite-part", "punch", "check",
};

struct shared {
	int go;			/* the parent has unmerged: check again */
	struct report rep[MAX_WORKERS];
};

static struct config {
	int seconds, workers;
	uint64_t seed;
	const char *ko;
	const char *store;	/* -w: page to this backing store */
} cfg = { 10, 4, 0, "/lib/kvmmem/kvmmem.ko", NULL };

static char mnt[] = "/tmp/kvmmem-stress-XXXXXX";
static uint8_t patterns[NPATTERNS][PG];

/* --- sysfs ------------------------------------------------------------- */

/* --- the writers ------------------------------------------------------- */

/* xorshift64*: cheap, and a seed reproduces a run's choices. */
static uint64_t rnd(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

/* Every page of pattern k is the same; different k differ in every dword. */
static void make_patterns(void)
{
	for (uint32_t k = 1; k < NPATTERNS; k++)
		for (uint32_t i = 0; i < PG / 4; i++) {
			uint32_t v = k * 0x01000193u ^ i * 0x9e3779b9u;

			memcpy(&patterns[k][i * 4], &v, 4);
		}
}

struct writer {
	int id, fd;
	char path[96];
	uint8_t *map;		/* the file, MAP_SHARED */
	uint8_t *want;		/* what every page must hold */
	uint64_t rng;
	struct report *rep;
};

static void note_error(struct writer *w, const char *what, long page)
{
	w->rep->io_errors++;
	if (!w->rep->first_error[0])
		snprintf(w->rep->first_error, sizeof(w->rep->first_error),
			 "writer %d: %s at page %ld: %s", w->id, what, page,
			 strerror(errno));
}

/* First differing byte of page @p as seen in @got, or -1. */
static long first_diff(struct writer *w, long p, const uint8_t *got)
{
	const uint8_t *want = w->want + p * PG;

	if (!memcmp(got, want, PG))
		return -1;
	for (long i = 0; i < PG; i++)
		if (got[i] != want[i])
			return i;
	return -1;
}

/* Is page @p right through the mapping and through pread? */
static bool page_ok(struct writer *w, long p, const char *when)
{
	uint8_t buf[PG];
	long off_map = first_diff(w, p, w->map + p * PG), off_rd = -1;

	if (pread(w->fd, buf, PG, p * PG) != PG)
		note_error(w, "pread", p);
	else
		off_rd = first_diff(w, p, buf);
	if ((off_map >= 0 || off_rd >= 0) && !w->rep->first_error[0])
		snprintf(w->rep->first_error, sizeof(w->rep->first_error),
			 "writer %d, %s: page %ld differs at byte %ld (mmap), "
			 "%ld (pread)", w->id, when, p, off_map, off_rd);
	return off_map < 0 && off_rd < 0;
}

/*
 * Pages 0..63 repeat the patterns, the same in every file; 64..127 are
 * the writer's own; 128..255 are zeros, written so that they are resident
 * and the scanner maps them to the zero frame.
 */
static void initial_page(struct writer *w, long p, uint8_t *page)
{
	if (p < 64) {
		memcpy(page, patterns[p % NPATTERNS], PG);
	} else if (p < 128) {
		for (long i = 0; i < PG / 8; i++) {
			uint64_t v = (uint64_t)w->id << 48 | (uint64_t)p << 32 | i;

			memcpy(page + i * 8, &v, 8);
		}
	} else {
		memset(page, 0, PG);
	}
}

static int writer_open(struct writer *w)
{
	snprintf(w->path, sizeof(w->path), "%s/w%d", mnt, w->id);
	w->fd = open(w->path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (w->fd < 0 || ftruncate(w->fd, FILE_SIZE) < 0)
		return note_error(w, "create", 0), -1;
	w->map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      w->fd, 0);
	w->want = malloc(FILE_SIZE);
	if (w->map == MAP_FAILED || !w->want)
		return note_error(w, "mmap", 0), -1;
	/* Half the pages arrive by pwrite, half by the mapping. */
	for (long p = 0; p < NPAGES; p++) {
		initial_page(w, p, w->want + p * PG);
		if (p % 2)
			memcpy(w->map + p * PG, w->want + p * PG, PG);
		else if (pwrite(w->fd, w->want + p * PG, PG, p * PG) != PG)
			note_error(w, "initial pwrite", p);
	}
	return 0;
}

/* A whole page of one pattern: identical to many others, so it merges. */
static void op_whole(struct writer *w, long p, bool by_mmap)
{
	const uint8_t *src = patterns[rnd(&w->rng) % NPATTERNS];

	memcpy(w->want + p * PG, src, PG);
	if (by_mmap)
		memcpy(w->map + p * PG, src, PG);
	else if (pwrite(w->fd, src, PG, p * PG) != PG)
		note_error(w, "pwrite", p);
}

/*
 * Part of a page, from another pattern: if the page is shared, the copy
 * made for the write must carry over everything outside the written part.
 */
static void op_part(struct writer *w, long p, bool by_mmap)
{
	const uint8_t *src = patterns[rnd(&w->rng) % NPATTERNS];
	long off = rnd(&w->rng) % PG;
	long len = 1 + rnd(&w->rng) % (PG - off);

	memcpy(w->want + p * PG + off, src + off, len);
	if (by_mmap)
		memcpy(w->map + p * PG + off, src + off, len);
	else if (pwrite(w->fd, src + off, len, p * PG + off) != len)
		note_error(w, "partial pwrite", p);
}

/* One to four pages become a hole, which reads as zeros. */
static void op_punch(struct writer *w, long p)
{
	long n = 1 + rnd(&w->rng) % 4;

	if (p + n > NPAGES)
		n = NPAGES - p;
	memset(w->want + p * PG, 0, n * PG);
	if (fallocate(w->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      p * PG, n * PG) < 0)
		note_error(w, "punch hole", p);
}

static void one_op(struct writer *w)
{
	long p = rnd(&w->rng) % NPAGES;
	unsigned int dice = rnd(&w->rng) % 100;
	enum op op = dice < 35 ? OP_MMAP : dice < 60 ? OP_PWRITE :
		     dice < 70 ? OP_MMAP_PART : dice < 78 ? OP_PWRITE_PART :
		     dice < 84 ? OP_PUNCH : OP_CHECK;

	w->rep->ops[op]++;
	switch (op) {
	case OP_MMAP:
	case OP_PWRITE:
		op_whole(w, p, op == OP_MMAP);
		break;
	case OP_MMAP_PART:
	case OP_PWRITE_PART:
		op_part(w, p, op == OP_MMAP_PART);
		break;
	case OP_PUNCH:
		op_punch(w, p);
		break;
	default:
		w->rep->spot_bad += !page_ok(w, p, "spot check");
		break;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Counts the pages that differ through the mapping, through pread, or both. */
static void check_all(struct writer *w, long *bad_mmap, long *bad_pread,
		      const char *when)
{
	uint8_t buf[PG];

	for (long p = 0; p < NPAGES; p++) {
		if (first_diff(w, p, w->map + p * PG) >= 0) {
			(*bad_mmap)++;
			page_ok(w, p, when);	/* records the first one */
		}
		if (pread(w->fd, buf, PG, p * PG) != PG) {
			note_error(w, "pread", p);
		} else if (first_diff(w, p, buf) >= 0) {
			(*bad_pread)++;
			page_ok(w, p, when);
		}
	}
}

static void wait_for_go(struct shared *sh)
{
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		usleep(10000);
}

static void writer_run(struct shared *sh, int id)
{
	struct writer w = { .id = id, .rep = &sh->rep[id],
			    .rng = cfg.seed + 0x9e3779b97f4a7c15ull * (id + 1) };
	double end;
	long after = 0;

	if (writer_open(&w) == 0) {
		end = now() + cfg.seconds;
		while (now() < end)
			for (int i = 0; i < 64; i++)
				one_op(&w);
		check_all(&w, &w.rep->bad_mmap, &w.rep->bad_pread, "end, scanner on");
	}
	__atomic_store_n(&w.rep->phase, 1, __ATOMIC_RELEASE);
	wait_for_go(sh);
	if (w.map && w.map != MAP_FAILED && w.want) {
		check_all(&w, &after, &after, "after run=2");
		munmap(w.map, FILE_SIZE);
	}
	w.rep->bad_after = after;
	if (w.fd >= 0 && (close(w.fd) < 0 || unlink(w.path) < 0))
		note_error(&w, "close/unlink", 0);
	__atomic_store_n(&w.rep->phase, 2, __ATOMIC_RELEASE);
	_exit(0);
}

/* --- the parent -------------------------------------------------------- */

enum { C_SCANNED, C_COW, C_FULL, C_VOLATILE, C_FALSE, C_OUT, C_OUT_SHARED,
       C_IN, NR_COUNTERS };
static const char *const counter_names[NR_COUNTERS] = {
	"pages_scanned", "cow_breaks", "full_scans", "pages_volatile",
	"hash_false_matches", "pages_swapped_out", "pages_swapped_out_shared",
	"pages_swapped_in",
};

struct run {
	struct shared *sh;
	pid_t pid[MAX_WORKERS];
	int status[MAX_WORKERS];
	bool exited[MAX_WORKERS];
	long start[NR_COUNTERS], delta[NR_COUNTERS];
	long max_sharing, max_zero;	/* sampled during the stress */
};

static void reap(struct run *r, bool block)
{
	for (int i = 0; i < cfg.workers; i++)
		if (!r->exited[i] && r->pid[i] > 0 &&
		    waitpid(r->pid[i], &r->status[i], block ? 0 : WNOHANG) ==
		    r->pid[i])
			r->exited[i] = true;
}

/* Is every writer at @phase or gone? */
static bool all_at(struct run *r, int phase)
{
	reap(r, false);
	for (int i = 0; i < cfg.workers; i++)
		if (!r->exited[i] &&
		    __atomic_load_n(&r->sh->rep[i].phase, __ATOMIC_ACQUIRE) < phase)
			return false;
	return true;
}

static void sample(struct run *r)
{
	long sharing = counter("pages_sharing"), zero = counter("zero_pages");

	if (sharing > r->max_sharing)
		r->max_sharing = sharing;
	if (zero > r->max_zero)
		r->max_zero = zero;
}

/* Wait for @phase, sampling the counters; kills the writers on timeout. */
static bool wait_phase(struct run *r, int phase, int timeout_s)
{
	double end = now() + timeout_s;

	while (!all_at(r, phase)) {
		if (now() > end) {
			tap_diag("writers did not reach phase %d in %d s", phase,
				 timeout_s);
			for (int i = 0; i < cfg.workers; i++)
				if (!r->exited[i] && r->pid[i] > 0)
					kill(r->pid[i], SIGKILL);
			reap(r, true);
			return false;
		}
		sample(r);
		usleep(100000);
	}
	return true;
}

static int spawn(struct run *r)
{
	for (int i = 0; i < cfg.workers; i++) {
		r->pid[i] = fork();
		if (r->pid[i] < 0)
			return tap_diag("fork: %s", strerror(errno)), -1;
		if (r->pid[i] == 0)
			writer_run(r->sh, i);
	}
	return 0;
}

static bool writers_clean(struct run *r)
{
	bool ok = true;

	for (int i = 0; i < cfg.workers; i++) {
		struct report *rep = &r->sh->rep[i];

		if (!r->exited[i] || !WIFEXITED(r->status[i]) ||
		    WEXITSTATUS(r->status[i]) || rep->phase != 2) {
			tap_diag("writer %d: status %#x, phase %d%s", i,
				 r->status[i], rep->phase,
				 WIFSIGNALED(r->status[i]) ? " (killed by a signal)" : "");
			ok = false;
		}
		ok &= rep->io_errors == 0;
	}
	return ok;
}

static long sum(struct run *r, size_t offset)
{
	long total = 0;

	for (int i = 0; i < cfg.workers; i++)
		total += *(long *)((char *)&r->sh->rep[i] + offset);
	return total;
}

#define SUM(r, field) sum(r, offsetof(struct report, field))

static void report_ops(struct run *r)
{
	char line[256];
	int len = 0;

	for (int op = 0; op < NR_OPS; op++)
		len += snprintf(line + len, sizeof(line) - len, " %s %ld",
				op_names[op], SUM(r, ops[op]));
	tap_diag("operations:%s", line);
	tap_diag("pages_scanned +%ld, cow_breaks +%ld, full_scans +%ld, "
		 "pages_volatile +%ld, hash_false_matches +%ld",
		 r->delta[C_SCANNED], r->delta[C_COW], r->delta[C_FULL],
		 r->delta[C_VOLATILE], r->delta[C_FALSE]);
	tap_diag("sampled maxima: pages_sharing %ld, zero_pages %ld",
		 r->max_sharing, r->max_zero);
	if (cfg.store)
		tap_diag("pages_swapped_out +%ld (shared +%ld), pages_swapped_in +%ld",
			 r->delta[C_OUT], r->delta[C_OUT_SHARED], r->delta[C_IN]);
	if (SUM(r, spot_bad) || SUM(r, bad_mmap) || SUM(r, bad_pread) ||
	    SUM(r, bad_after))
		tap_diag("wrong pages: %ld in spot checks, %ld by mmap, %ld by "
			 "pread, %ld after run=2", SUM(r, spot_bad),
			 SUM(r, bad_mmap), SUM(r, bad_pread), SUM(r, bad_after));
	for (int i = 0; i < cfg.workers; i++)
		if (r->sh->rep[i].first_error[0])
			tap_diag("%s", r->sh->rep[i].first_error);
}

static void read_counters(long *into)
{
	for (int i = 0; i < NR_COUNTERS; i++)
		into[i] = counter(counter_names[i]);
}

/* The stress itself: returns after the writers' final check. */
static bool stress(struct run *r)
{
	long end[NR_COUNTERS];
	bool ok;

	read_counters(r->start);
	knob("pages_to_scan", "100000");
	knob("sleep_millisecs", "0");
	knob("run", "1");
	ok = spawn(r) == 0;
	/* Generous: the final checks run under TCG, against the scanner. */
	ok = wait_phase(r, 1, cfg.seconds * 3 + 300) && ok;
	read_counters(end);
	for (int i = 0; i < NR_COUNTERS; i++)
		r->delta[i] = end[i] - r->start[i];
	return ok;
}

static bool unmerged(void)
{
	int err = knob("run", "2");
	long shared = counter("pages_shared"), sharing = counter("pages_sharing");
	long zero = counter("zero_pages");

	if (err || shared || sharing || zero)
		tap_diag("run=2: errno %d; pages_shared %ld, pages_sharing %ld, "
			 "zero_pages %ld", err, shared, sharing, zero);
	return !err && !shared && !sharing && !zero;
}

static void restore_scanner(void)
{
	knob("run", "2");
	knob("run", "0");
	knob("pages_to_scan", "100");
	knob("sleep_millisecs", "20");
}

static bool module_cycle(bool *unloaded)
{
	char cmd[300];
	int rc = system("rmmod kvmmem");

	*unloaded = rc == 0 && access(SYSFS, F_OK) < 0;
	if (!*unloaded)
		tap_diag("rmmod kvmmem: status %d", rc);
	snprintf(cmd, sizeof(cmd), "insmod %s", cfg.ko);
	rc = system(cmd);
	if (rc)
		tap_diag("%s: status %d", cmd, rc);
	return rc == 0 && counter("pages_allocated") == 0;
}

static bool released(bool umounted)
{
	long alloc = counter("pages_allocated"), files = counter("files");

	if (alloc || files)
		tap_diag("pages_allocated %ld, files %ld", alloc, files);
	return umounted && alloc == 0 && files == 0;
}

static int parse_args(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "t:p:s:m:w:")) != -1) {
		if (opt == 't')
			cfg.seconds = atoi(optarg);
		else if (opt == 'p')
			cfg.workers = atoi(optarg);
		else if (opt == 's')
			cfg.seed = strtoull(optarg, NULL, 0);
		else if (opt == 'm')
			cfg.ko = optarg;
		else if (opt == 'w')
			cfg.store = optarg;
		else
			return -1;
	}
	if (cfg.seconds < 1 || cfg.seconds > 3600 || cfg.workers < 1 ||
	    cfg.workers > MAX_WORKERS)
		return -1;
	if (!cfg.seed)
		cfg.seed = (uint64_t)time(NULL) << 16 ^ getpid();
	return 0;
}

static void results(struct run *r, bool ran, bool umounted)
{
	bool unloaded;

	report_ops(r);
	tap_result(ran && SUM(r, spot_bad) == 0,
		   "spot checks during the stress read what was written");
	tap_result(ran && SUM(r, bad_mmap) == 0,
		   "every page equals its writer's copy through mmap, scanner running");
	tap_result(ran && SUM(r, bad_pread) == 0,
		   "every page equals its writer's copy through pread, scanner running");
	tap_result(ran && r->delta[C_COW] > 0 && r->delta[C_FULL] > 0 &&
		   r->delta[C_SCANNED] > 0 &&
		   (!cfg.store || (r->delta[C_OUT] > 0 && r->delta[C_IN] > 0)),
		   cfg.store ? "the scanner merged pages, writes broke the sharing, pages went out and in" :
		   "the scanner merged pages and writes broke the sharing");
	tap_result(ran && SUM(r, bad_after) == 0,
		   "every page equals its writer's copy after run=2, by mmap and pread");
	tap_result(writers_clean(r), "the writers exited cleanly with no I/O error");
	tap_result(released(umounted),
		   "pages_allocated and files are 0 after close, unlink, umount");
	restore_scanner();
	tap_result(module_cycle(&unloaded) && unloaded,
		   "rmmod kvmmem succeeds and insmod loads it again");
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	bool ran, umounted = false;
	char opts[300];
	double t0 = now();

	if (parse_args(argc, argv) < 0) {
		fprintf(stderr, "usage: %s [-t seconds] [-p processes (1..%d)] "
			"[-s seed] [-m kvmmem.ko] [-w store]\n", argv[0], MAX_WORKERS);
		return 2;
	}
	tap_plan(NR_TESTS);
	tap_diag("%d writers, %d s, seed %#llx", cfg.workers, cfg.seconds,
		 (unsigned long long)cfg.seed);
	make_patterns();
	r.sh = mmap(NULL, sizeof(*r.sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(opts, sizeof(opts), cfg.store ? "size=1M,swapfile=%s" : "size=64M",
		 cfg.store);
	ran = r.sh != MAP_FAILED && mkdtemp(mnt) &&
	      mount("none", mnt, "kvmmem", 0, opts) == 0;
	tap_result(ran, "mount a kvmmem file system for the writers");
	if (!ran) {
		while (tap_number < NR_TESTS)
			tap_skip("stress_test", "no kvmmem mount");
		return tap_exit();
	}
	ran = stress(&r);
	tap_result(ran, "the writers finished the stress and their checks");
	tap_result(unmerged(), "run=2 unmerges everything: no shared, sharing or zero pages");
	__atomic_store_n(&r.sh->go, 1, __ATOMIC_RELEASE);
	ran = wait_phase(&r, 2, 300) && ran;
	reap(&r, true);
	umounted = umount(mnt) == 0;
	rmdir(mnt);
	results(&r, ran, umounted);
	tap_diag("wall time %.1f s", now() - t0);
	return tap_exit();
}
