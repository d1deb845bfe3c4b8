// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer of kvmmem's whole user-facing surface, run inside the test VM.
 *
 * Four workers (two as root, two as user nobody) run random sequences of
 * create, ftruncate, fallocate, mmap and touch, pread, pwrite, vmsplice,
 * punch, unlink and the ioctls with random sizes and contents on files of
 * their own in one mount, while root workers also write random strings
 * to the sysfs knobs, and a fifth mounts and unmounts with random options.
 * The scanner and sampling run flat out meanwhile.
 *
 * Every page a worker writes carries a stamp naming the worker, file,
 * page and version, or is one of a few patterns common to all workers
 * (so that pages merge), or zeros.  Every read (pread, the mapping, a
 * pipe) must show this worker's own stamp for that page or a common
 * pattern or zeros, never another file's data; and pread and the mapping
 * must show exactly the last version written.  At the end the counters
 * must agree (no frame unaccounted) and return to zero after unmount.
 * The kernel log is checked by the rig.  The seed is printed: FUZZ_SEED
 * replays a run, FUZZ_SECONDS sets its length (60; 180 under lockdep,
 * the kernel of make check-debug).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvmmem.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "tap.h"

#define PG		4096L
#define WORKERS		4
#define FILES		3	/* per worker */
#define MAX_PAGES	48	/* per file */
#define COMMON		4	/* patterns every worker writes */
#define MAGIC		0x6b766d6d656d3031ULL

static char mnt[] = "/tmp/kvmmem-fuzz-XXXXXX";
static uint64_t seed;
static int seconds = 60;

/* xorshift64*: one stream per worker, from the run's seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

/* What a worker believes a page holds. */
enum kind { ZERO, STAMP, COMMON_PATTERN };

struct page_model {
	enum kind kind;
	uint64_t version;	/* STAMP: its version; COMMON: which pattern */
};

struct file_model {
	int fd;
	long pages;		/* the file's size, in pages */
	char *map;		/* mapping of MAX_PAGES pages, or NULL */
	struct page_model page[MAX_PAGES];
};

struct worker {
	int id;
	uint64_t rng;
	struct file_model file[FILES];
	unsigned long ops, errors;
};

static void make_page(char *buf, int worker, int file, long page,
		      const struct page_model *m)
{
	uint64_t stamp[4] = { MAGIC, worker, (uint64_t)file << 32 | page, m->version };

	switch (m->kind) {
	case ZERO:
		memset(buf, 0, PG);
		break;
	case COMMON_PATTERN:
		memset(buf, 0x40 + (int)m->version, PG);
		break;
	case STAMP:
		memset(buf, (int)(m->version & 0x3f) + 1, PG);
		memcpy(buf, stamp, sizeof(stamp));
		break;
	}
}

/*
 * Does @got belong at this worker's page?  Exactly what the model says,
 * if @exact; else any version of this page's stamp, a common pattern or
 * zeros.  Anything else is another file's data, or garbage.
 */
static bool page_ok(const char *got, struct worker *w, int file, long page,
		    bool exact, const char *how)
{
	const struct page_model *m = &w->file[file].page[page];
	char want[PG];
	uint64_t stamp[4];

	make_page(want, w->id, file, page, m);
	if (!memcmp(got, want, PG))
		return true;
	if (!exact) {
		memcpy(stamp, got, sizeof(stamp));
		if (stamp[0] == MAGIC && stamp[1] == (uint64_t)w->id &&
		    stamp[2] == ((uint64_t)file << 32 | page))
			return true;
		if (!memchr(got, 0, 1) && got[0] >= 0x40 && got[0] < 0x40 + COMMON &&
		    !memcmp(got, got + 1, PG - 1))
			return true;
		if (!got[0] && !memcmp(got, got + 1, PG - 1))
			return true;
	}
	memcpy(stamp, got, sizeof(stamp));
	printf("# worker %d file %d page %ld (%s): want kind %d version %llu, got %016llx %016llx %016llx %016llx\n",
	       w->id, file, page, how, m->kind, (unsigned long long)m->version,
	       (unsigned long long)stamp[0], (unsigned long long)stamp[1],
	       (unsigned long long)stamp[2], (unsigned long long)stamp[3]);
	return false;
}

static void file_path(char *path, size_t len, int worker, int file)
{
	snprintf(path, len, "%s/w%d-f%d", mnt, worker, file);
}

static void forget_file(struct file_model *f)
{
	if (f->map)
		munmap(f->map, MAX_PAGES * PG);
	if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* A new (or newly opened, truncated) file of a random size, mapped. */
static bool op_create(struct worker *w, int i)
{
	struct file_model *f = &w->file[i];
	char path[256];
	long pages = 1 + below(&w->rng, MAX_PAGES);

	forget_file(f);
	file_path(path, sizeof(path), w->id, i);
	f->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (f->fd < 0)
		return errno == ENOSPC || errno == ENOMEM;
	if (ftruncate(f->fd, pages * PG))
		return errno == ENOSPC;
	f->pages = pages;
	f->map = mmap(NULL, MAX_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->fd, 0);
	if (f->map == MAP_FAILED)
		f->map = NULL;
	return true;
}

static void model_resize(struct file_model *f, long pages)
{
	for (long p = pages; p < MAX_PAGES; p++)
		f->page[p] = (struct page_model){ ZERO, 0 };
	f->pages = pages;
}

static void new_content(struct worker *w, struct page_model *m)
{
	uint64_t r = below(&w->rng, 8);

	if (r == 0)
		*m = (struct page_model){ ZERO, 0 };
	else if (r < 3)
		*m = (struct page_model){ COMMON_PATTERN, below(&w->rng, COMMON) };
	else
		*m = (struct page_model){ STAMP, m->version + 1 };
}

static bool write_page(struct worker *w, struct file_model *f, int i, long p)
{
	struct page_model next = f->page[p];
	char buf[PG];

	new_content(w, &next);
	make_page(buf, w->id, i, p, &next);
	if (pwrite(f->fd, buf, PG, p * PG) != PG)
		return errno == ENOSPC;
	f->page[p] = next;
	return true;
}

static bool op_pwrite(struct worker *w, struct file_model *f, int i)
{
	return write_page(w, f, i, below(&w->rng, f->pages));
}

static volatile sig_atomic_t bus;
static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	bus = 1;
	siglongjmp(bus_jmp, 1);
}

/* A write through the mapping; SIGBUS is a full mount. */
static bool op_touch(struct worker *w, struct file_model *f, int i)
{
	long p = below(&w->rng, f->pages);
	struct page_model next = f->page[p];
	char buf[PG];

	if (!f->map)
		return true;
	new_content(w, &next);
	make_page(buf, w->id, i, p, &next);
	bus = 0;
	if (!sigsetjmp(bus_jmp, 1))
		memcpy(f->map + p * PG, buf, PG);
	if (bus) {
		/* a partial copy: the page holds a mix; rewrite the model's */
		make_page(buf, w->id, i, p, &f->page[p]);
		return pwrite(f->fd, buf, PG, p * PG) == PG || errno == ENOSPC;
	}
	f->page[p] = next;
	return true;
}

static bool op_read(struct worker *w, struct file_model *f, int i, bool mapped)
{
	long p = below(&w->rng, f->pages);
	char buf[PG];

	if (mapped) {
		if (!f->map)
			return true;
		memcpy(buf, f->map + p * PG, PG);
	} else if (pread(f->fd, buf, PG, p * PG) != PG) {
		return false;
	}
	return page_ok(buf, w, i, p, true, mapped ? "mapping" : "pread");
}

static bool op_punch(struct worker *w, struct file_model *f)
{
	long p = below(&w->rng, f->pages), n = 1 + below(&w->rng, 4);

	/* now and then 2 MiB, as QEMU discards a reported free block */
	if (!below(&w->rng, 8))
		n = (2L << 20) / PG;

	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      p * PG, n * PG))
		return false;
	for (long q = p; q < p + n && q < f->pages; q++)
		f->page[q] = (struct page_model){ ZERO, f->page[q].version };
	return true;
}

static bool op_truncate(struct worker *w, struct file_model *f)
{
	long pages = below(&w->rng, MAX_PAGES + 1);

	if (ftruncate(f->fd, pages * PG))
		return errno == ENOSPC;
	if (pages < f->pages)
		model_resize(f, pages);
	f->pages = pages;
	return true;
}

static bool op_preallocate(struct worker *w, struct file_model *f)
{
	long p = below(&w->rng, f->pages), n = 1 + below(&w->rng, 8);
	int mode = below(&w->rng, 2) ? FALLOC_FL_KEEP_SIZE : 0;

	if (fallocate(f->fd, mode, p * PG, n * PG))
		return errno == ENOSPC;
	if (!mode && p + n > f->pages)
		f->pages = p + n > MAX_PAGES ? f->pages : p + n;
	return true;
}

/*
 * vmsplice a page into a pipe, change it, read the pipe: the pipe may show
 * the old or the new contents of this page, never another file's.
 */
static bool op_vmsplice(struct worker *w, struct file_model *f, int i)
{
	long p = below(&w->rng, f->pages);
	struct iovec iov;
	int pfd[2];
	char buf[PG];
	bool ok = true;

	if (!f->map || pipe(pfd))
		return true;
	iov.iov_base = f->map + p * PG;
	iov.iov_len = PG;
	/* a fault in the syscall is EFAULT, never SIGBUS */
	if (vmsplice(pfd[1], &iov, 1, 0) == PG) {
		ok = write_page(w, f, i, p);
		if (ok && below(&w->rng, 2) &&
		    !fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       p * PG, PG))
			f->page[p] = (struct page_model){ ZERO, f->page[p].version };
		if (read(pfd[0], buf, PG) != PG)
			ok = false;
		else
			ok = ok && page_ok(buf, w, i, p, false, "pipe");
	}
	close(pfd[0]);
	close(pfd[1]);
	return ok;
}

/* Random ioctls with random sizes and contents: any errno, no crash. */
static void op_ioctl(struct worker *w, struct file_model *f)
{
	static const unsigned long cmds[] = {
		KVMMEM_IOC_GET_DOMAIN, KVMMEM_IOC_SET_DOMAIN, KVMMEM_IOC_GET_ALLOC,
		KVMMEM_IOC_SET_ALLOC, KVMMEM_IOC_GET_TARGET, KVMMEM_IOC_GET_BALLOON,
	};
	uint32_t arg[64];

	for (size_t k = 0; k < 64; k++)
		arg[k] = (uint32_t)rnd(&w->rng);
	if (below(&w->rng, 4))
		arg[0] = (uint32_t)below(&w->rng, 96);	/* a plausible size */
	ioctl(f->fd, below(&w->rng, 8) ? cmds[below(&w->rng, 6)] : (unsigned int)rnd(&w->rng),
	      arg);
}

static const char *const knobs[] = {
	"run", "pages_to_scan", "pages_to_scan_per_file", "sleep_millisecs",
	"max_page_sharing", "max_hints", "default_domain", "tax_rate",
	"sample_pages", "sample_period_ms", "budget_pages",
	"free_high_percent", "free_soft_percent", "free_hard_percent",
	"free_low_percent", "hot_io_threshold", "hot_io_remap",
	"hot_io_remap_max_percent",
};
#define NKNOBS (sizeof(knobs) / sizeof(knobs[0]))
static char saved[NKNOBS][64];

static void read_knob(const char *name, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), KVMMEM_SYSFS_DIR "%s", name);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
}

/*
 * Put every knob back as it was.  The free_*_percent thresholds must stay
 * in order at each write, so a chain of four set far apart takes up to
 * four passes.  Returns whether all took.
 */
static bool restore_knobs(void)
{
	char now[64];
	bool all = false;

	for (int pass = 0; pass < 4 && !all; pass++) {
		all = true;
		for (size_t k = 0; k < NKNOBS; k++) {
			if (!saved[k][0])
				continue;
			read_knob(knobs[k], now, sizeof(now));
			if (strcmp(now, saved[k]) && knob(knobs[k], saved[k]))
				all = false;
		}
	}
	for (size_t k = 0; k < NKNOBS; k++) {
		read_knob(knobs[k], now, sizeof(now));
		if (saved[k][0] && strcmp(now, saved[k])) {
			tap_diag("%s left at %s", knobs[k], now);
			all = false;
		}
	}
	return all;
}

/* A random string to a random knob (root only), but never stop the run. */
static void op_knob(struct worker *w)
{
	const char *name = knobs[below(&w->rng, NKNOBS)];
	char val[32];

	switch (below(&w->rng, 3)) {
	case 0:
		snprintf(val, sizeof(val), "%llu", (unsigned long long)below(&w->rng, 200));
		break;
	case 1:
		snprintf(val, sizeof(val), "%lld", (long long)rnd(&w->rng));
		break;
	default:
		for (int k = 0; k < 8; k++)
			val[k] = (char)(' ' + below(&w->rng, 95));
		val[8] = 0;
	}
	if (!strcmp(name, "run") || !strcmp(name, "sleep_millisecs") ||
	    !strcmp(name, "sample_period_ms") || !strcmp(name, "budget_pages"))
		return;	/* keep the scanner and sampling going flat out */
	knob(name, val);
}

static bool step(struct worker *w, bool root)
{
	int i = below(&w->rng, FILES);
	struct file_model *f = &w->file[i];
	char path[256];

	if (f->fd < 0 || !below(&w->rng, 200))
		return op_create(w, i);
	if (!f->pages)
		return op_truncate(w, f);
	switch (below(&w->rng, 14)) {
	case 0: case 1: return op_pwrite(w, f, i);
	case 2: case 3: return op_touch(w, f, i);
	case 4: return op_read(w, f, i, false);
	case 5: return op_read(w, f, i, true);
	case 6: return op_punch(w, f);
	case 7: return op_truncate(w, f);
	case 8: return op_preallocate(w, f);
	case 9: return op_vmsplice(w, f, i);
	case 10: op_ioctl(w, f); return true;
	case 11:
		if (root)
			op_knob(w);
		return true;
	case 12:
		file_path(path, sizeof(path), w->id, i);
		if (below(&w->rng, 10))
			return true;
		unlink(path);
		forget_file(f);
		return true;
	default:
		return op_read(w, f, i, below(&w->rng, 2));
	}
}

/* Every page of every file, read both ways, exactly as last written. */
static bool final_check(struct worker *w)
{
	char buf[PG];
	bool ok = true;

	for (int i = 0; i < FILES; i++) {
		struct file_model *f = &w->file[i];

		for (long p = 0; f->fd >= 0 && p < f->pages; p++) {
			ok = ok && pread(f->fd, buf, PG, p * PG) == PG &&
			     page_ok(buf, w, i, p, true, "final pread");
			if (f->map)
				ok = ok && page_ok(f->map + p * PG, w, i, p, true,
						   "final mapping");
		}
	}
	return ok;
}

static int run_worker(int id)
{
	struct sigaction sa = { .sa_handler = on_bus };
	struct worker w = { .id = id, .rng = seed ^ (0x9e3779b97f4a7c15ULL * (id + 1)) };
	bool root = id < 2, ok = true;
	time_t end = time(NULL) + seconds;

	sigaction(SIGBUS, &sa, NULL);
	if (!root && (setgid(65534) || setuid(65534)))
		return 2;
	for (int i = 0; i < FILES; i++)
		w.file[i].fd = -1;
	while (ok && time(NULL) < end) {
		for (int k = 0; ok && k < 64; k++, w.ops++)
			ok = step(&w, root);
	}
	ok = ok && final_check(&w);
	printf("# worker %d (%s): %lu operations, %s\n", id, root ? "root" : "nobody",
	       w.ops, ok ? "every read as expected" : "FAILED");
	for (int i = 0; i < FILES; i++)
		forget_file(&w.file[i]);
	return ok ? 0 : 1;
}

/* Mounts with random options, a file, unmount: any errno, no crash. */
static int run_mounter(void)
{
	static const char *const opts[] = {
		"size=", "nr_inodes=", "mode=", "uid=", "gid=", "size=1%,", "nosuch=",
	};
	char dir[] = "/tmp/kvmmem-fuzzm-XXXXXX", opt[64], path[128];
	uint64_t s = seed ^ 0x5bd1e995ULL;
	time_t end = time(NULL) + seconds;
	unsigned long mounts = 0;

	if (!mkdtemp(dir))
		return 1;
	while (time(NULL) < end) {
		snprintf(opt, sizeof(opt), "%s%lld%s", opts[below(&s, 7)],
			 below(&s, 2) ? (long long)below(&s, 100000) : (long long)rnd(&s),
			 below(&s, 4) ? "" : "k");
		/* bad options log a line each (the VFS's, not ratelimited) */
		usleep(20000);
		if (mount("none", dir, "kvmmem", 0, opt))
			continue;
		mounts++;
		snprintf(path, sizeof(path), "%s/x", dir);
		close(open(path, O_RDWR | O_CREAT, 0600));
		umount(dir);
	}
	rmdir(dir);
	printf("# mounter: %lu mounts succeeded\n", mounts);
	return 0;
}

/* Sum a per-file counter over backends/. */
static long sum_backends(const char *name)
{
	DIR *d = opendir(KVMMEM_SYSFS_DIR "backends");
	struct dirent *e;
	long sum = 0;
	char path[300];

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "backends/%s/%s", e->d_name, name);
		sum += counter(path);
	}
	closedir(d);
	return sum;
}

int main(void)
{
	const char *env = getenv("FUZZ_SEED");
	int status, failed = 0;
	long frames, shared, allocated;
	pid_t pids[WORKERS + 1];
	bool ok;

	seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761ULL;
	seed = seed ?: 1;
	/* longer under lockdep (make check-debug), where each step is slower */
	if (!access("/proc/lockdep", F_OK))
		seconds = 180;
	if (getenv("FUZZ_SECONDS"))
		seconds = atoi(getenv("FUZZ_SECONDS"));
	tap_plan(3);
	tap_diag("seed %#llx (FUZZ_SEED=%#llx replays it), %d s",
		 (unsigned long long)seed, (unsigned long long)seed, seconds);
	if (!mkdtemp(mnt) ||
	    mount("none", mnt, "kvmmem", 0, "size=1M,nr_inodes=64,mode=0777")) {
		perror("mount kvmmem");
		return 1;
	}
	for (size_t k = 0; k < NKNOBS; k++)
		read_knob(knobs[k], saved[k], sizeof(saved[k]));
	knob("pages_to_scan", "10000");
	knob("sleep_millisecs", "0");
	knob("sample_period_ms", "100");
	knob("run", "1");
	for (int i = 0; i <= WORKERS; i++) {
		pids[i] = fork();
		if (!pids[i])
			_exit(i < WORKERS ? run_worker(i) : run_mounter());
	}
	for (int i = 0; i <= WORKERS; i++)
		if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	tap_result(!failed, "workers: every read showed its own data, as last written");
	knob("run", "0");
	usleep(200000);
	frames = sum_backends("resident") - sum_backends("sharing") - sum_backends("zero");
	shared = counter("pages_shared");
	allocated = counter("pages_allocated");
	tap_diag("pages_allocated %ld, private frames %ld, shared frames %ld",
		 allocated, frames, shared);
	ok = expect(allocated >= frames + shared,
		    "pages_allocated covers the files' private and shared frames") &&
	     expect_eq(sum_backends("ballooned") + sum_backends("free_reported"),
		       counter("ballooned_pages") + counter("free_reported_pages"),
		       "the files' released pages add up to the global gauges");
	tap_result(ok, "counters: no frame unaccounted");
	ok = expect(restore_knobs(), "every knob back as it was");
	knob("run", "0");
	ok = expect(umount(mnt) == 0, "umount") && ok &&
	     expect_eq(counter("pages_allocated"), 0, "pages_allocated after umount") &&
	     expect_eq(counter("files"), 0, "files after umount") &&
	     expect_eq(counter("pages_shared"), 0, "pages_shared after umount") &&
	     expect_eq(counter("zero_pages"), 0, "zero_pages after umount") &&
	     expect_eq(counter("ballooned_pages"), 0, "ballooned_pages after umount") &&
	     expect_eq(counter("free_reported_pages"), 0, "free_reported_pages after umount");
	tap_result(ok, "everything returns to zero after unmount");
	rmdir(mnt);
	return tap_exit();
}
