// SPDX-License-Identifier: GPL-2.0
/*
 * Idle-memory sampling, share-based allocation with the idle tax,
 * admission control and free memory states, in the module (the pure core
 * has its own unit tests).  Runs inside the test VM with short sampling
 * periods; a child process plays the guest, touching a chosen fraction of
 * a file's pages over and over.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvmmem.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "tap.h"

#define PG 4096L
#define SYSFS "/sys/kernel/mm/kvmmem/"
#define PERIOD_MS 200

static char mnt[] = "/tmp/kvmmem-policy-XXXXXX";

static void knob_long(const char *name, long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", value);
	knob(name, buf);
}

static void periods(int n)
{
	usleep(n * PERIOD_MS * 1000);
}

static char state[16];

static const char *free_state(void)
{
	return sysfs_text("free_state", state, sizeof(state));
}

/* A file of @pages pages, every page resident. */
static int make_file(const char *name, long pages)
{
	char path[256], buf[PG];
	int fd;

	memset(buf, 0x11, sizeof(buf));
	snprintf(path, sizeof(path), "%s/%s", mnt, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, pages * PG))
		return -1;
	for (long i = 0; i < pages; i++)
		if (pwrite(fd, buf, PG, i * PG) != PG)
			return -1;
	return fd;
}

static void drop_file(int fd, const char *name)
{
	char path[256];

	close(fd);
	snprintf(path, sizeof(path), "%s/%s", mnt, name);
	unlink(path);
}

/* The "guest": touches the first *share percent of the pages, forever. */
struct toucher {
	pid_t pid;
	volatile int *percent;
};

static struct toucher start_toucher(int fd, long pages, int percent)
{
	struct toucher t = { .percent = mmap(NULL, PG, PROT_READ | PROT_WRITE,
					     MAP_SHARED | MAP_ANONYMOUS, -1, 0) };

	*t.percent = percent;
	t.pid = fork();
	if (t.pid == 0) {
		/* kvmmem mappings are not inherited (VM_DONTCOPY): map here */
		volatile char *mem = mmap(NULL, pages * PG, PROT_READ,
					  MAP_SHARED, fd, 0);

		if (mem == MAP_FAILED)
			_exit(1);
		for (;;) {
			long n = pages * *t.percent / 100;

			for (long i = 0; i < n; i++)
				(void)mem[i * PG];
			usleep(1000);
		}
	}
	return t;
}

static void stop_toucher(struct toucher *t)
{
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	munmap((void *)t->percent, PG);
}

static bool estimate_near(int fd, int want, const char *what)
{
	long est = file_counter(fd, "active_estimate");

	tap_diag("%s: active_estimate %ld%%, touched %d%%", what, est, want);
	return expect(est >= want - 10 && est <= want + 10, what);
}

static bool test_estimate(void)
{
	int fd = make_file("sampled", 2000);
	struct toucher t;
	bool ok;

	if (!expect(fd >= 0, "create"))
		return false;
	t = start_toucher(fd, 2000, 25);
	periods(25);
	ok = estimate_near(fd, 25, "estimate at 25%");
	*t.percent = 75;
	periods(10);
	ok = estimate_near(fd, 75, "estimate after rising to 75%") && ok;
	stop_toucher(&t);
	drop_file(fd, "sampled");
	return ok;
}

static int get_target(int fd, struct kvmmem_target *t)
{
	t->size = sizeof(*t);
	return ioctl(fd, KVMMEM_IOC_GET_TARGET, t);
}

static bool test_idle_tax(void)
{
	int busy = make_file("busy", 1000), idle = make_file("idle", 1000);
	struct kvmmem_target tb, ti;
	struct toucher t;
	bool ok;

	if (!expect(busy >= 0 && idle >= 0, "create"))
		return false;
	knob("budget_pages", "1500");
	knob("tax_rate", "75");
	t = start_toucher(busy, 1000, 100);
	periods(12);
	ok = expect(!get_target(busy, &tb) && !get_target(idle, &ti), "GET_TARGET");
	tap_diag("tax 75%%: busy target %llu (active %u/65536), idle %llu (active %u/65536)",
		 tb.target / PG, tb.active, ti.target / PG, ti.active);
	ok = ok && expect(tb.target > ti.target, "busy gets more than idle at tax 75%");
	ok = ok && expect(tb.target + ti.target <= 1500 * PG, "targets within budget");
	ok = ok && expect_eq(file_counter(busy, "target"), tb.target / PG,
			     "sysfs target = ioctl target");
	knob("tax_rate", "0");
	periods(3);
	get_target(busy, &tb);
	get_target(idle, &ti);
	tap_diag("tax 0%%: busy target %llu, idle %llu", tb.target / PG, ti.target / PG);
	ok = ok && expect(llabs((long long)(tb.target - ti.target)) <= PG,
			  "equal targets at tax 0");
	stop_toucher(&t);
	knob("tax_rate", "75");
	knob("budget_pages", "0");
	drop_file(busy, "busy");
	drop_file(idle, "idle");
	return ok;
}

static int set_alloc(int fd, unsigned int shares, long min_pages, long max_pages)
{
	struct kvmmem_alloc a = { .size = sizeof(a), .shares = shares,
				  .min = min_pages * PG, .max = max_pages * PG };

	return ioctl(fd, KVMMEM_IOC_SET_ALLOC, &a) ? errno : 0;
}

static long get_min(int fd)
{
	struct kvmmem_alloc a = { .size = sizeof(a) };

	return ioctl(fd, KVMMEM_IOC_GET_ALLOC, &a) ? -1 : (long)(a.min / PG);
}

static bool test_admission(void)
{
	int c = make_file("c", 0), d = make_file("d", 0);
	long reserved;
	bool ok;

	knob("budget_pages", "1000");
	reserved = counter("reserved_pages");
	ok = expect(c >= 0 && d >= 0, "create") &&
	     expect_eq(set_alloc(c, 100, 2000, 0), ENOSPC, "min above budget: ENOSPC") &&
	     expect_eq(get_min(c), 0, "refused min not applied") &&
	     expect_eq(counter("reserved_pages"), reserved, "reservations unchanged");
	ok = ok && expect(ftruncate(c, 512 * PG) == 0, "c grows") &&
	     expect_eq(set_alloc(c, 100, 900, 0), 0, "c admitted with min 900") &&
	     expect_eq(get_min(c), 900, "c's min");
	ok = ok && expect_eq(set_alloc(d, 100, 200, 0), ENOSPC,
			     "second VM's min does not fit: ENOSPC");
	reserved = counter("reserved_pages");
	ok = ok && expect(ftruncate(d, 200L << 20) == -1 && errno == ENOSPC,
			  "growth whose overhead does not fit: ENOSPC") &&
	     expect_eq(lseek(d, 0, SEEK_END), 0, "d's size unchanged") &&
	     expect_eq(counter("reserved_pages"), reserved, "reservations unchanged") &&
	     expect_eq(get_min(c), 900, "c unchanged");
	ok = ok && expect_eq(set_alloc(d, 100, 50, 10), EINVAL, "min above max: EINVAL");
	drop_file(c, "c");
	drop_file(d, "d");
	ok = ok && expect_eq(counter("reserved_pages"), 0, "reservations returned");
	knob("budget_pages", "0");
	return ok;
}

/* Hold @pages resident in file @fd (which has room for them). */
static void hold(int fd, long pages)
{
	char buf[PG];

	memset(buf, 0x22, sizeof(buf));
	if (ftruncate(fd, pages * PG))
		return;
	for (long i = 0; i < pages; i++)
		pwrite(fd, buf, PG, i * PG);
}

static bool state_after(int fd, long pages, const char *want)
{
	hold(fd, pages);
	periods(3);
	if (strcmp(free_state(), want)) {
		tap_diag("%ld of 1000 pages used: state %s, want %s", pages, state, want);
		return false;
	}
	return true;
}

static bool test_states(void)
{
	int fd = make_file("st", 0);
	bool ok;

	/* earlier tests may have filled the trace buffer: start it empty */
	close(open("/sys/kernel/tracing/trace", O_WRONLY | O_TRUNC));
	knob("/sys/kernel/tracing/events/kvmmem/kvmmem_state_change/enable", "1");
	knob("budget_pages", "1000");
	ok = expect(fd >= 0, "create") && state_after(fd, 500, "high") &&
	     state_after(fd, 970, "soft") && state_after(fd, 985, "hard") &&
	     state_after(fd, 970, "hard") &&	/* hysteresis: up only at 4% */
	     state_after(fd, 950, "soft") && state_after(fd, 995, "low") &&
	     state_after(fd, 900, "high");
	knob("budget_pages", "0");
	knob("/sys/kernel/tracing/events/kvmmem/kvmmem_state_change/enable", "0");
	drop_file(fd, "st");
	return ok;
}

static bool test_state_tracepoint(void)
{
	static char buf[1 << 20];
	int fd = open("/sys/kernel/tracing/trace", O_RDONLY);
	ssize_t n, len = 0;

	if (fd < 0) {
		tap_diag("no tracefs");
		return false;
	}
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return expect(strstr(buf, "kvmmem_state_change: hard -> soft") != NULL,
		      "state change traced");
}

static long get_shares(int fd)
{
	struct kvmmem_alloc a = { .size = sizeof(a) };

	return ioctl(fd, KVMMEM_IOC_GET_ALLOC, &a) ? -1 : (long)a.shares;
}

/*
 * In a child turned user nobody, with a writable fd of a 16-page file:
 * the errno of each SET_ALLOC, one byte each, as the exit status bits.
 */
static int claims_as_nobody(int fd)
{
	static const long tries[][3] = {
		{ 1000, 0, 0 },		/* raise shares */
		{ 1, 8, 0 },		/* raise min */
		{ 1, 0, 0 },		/* what is in force */
		{ 1, 0, 8 },		/* lower max */
		{ 1, 0, 16 },		/* raise max back */
	};
	int status = -1, bits = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(255);
		for (int i = 0; i < 5; i++)
			if (set_alloc(fd, tries[i][0], tries[i][1], tries[i][2]) == EPERM)
				bits |= 1 << i;
		_exit(bits);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Raising shares, min or max is the host's decision: a QEMU process (here
 * user nobody with a writable fd) must not grant itself priority or a
 * reservation, but may lower what it claims.
 */
static bool test_claims_take_privilege(void)
{
	int fd = make_file("claim", 16), bits;
	bool ok;

	ok = expect(fd >= 0, "create");
	bits = ok ? claims_as_nobody(fd) : -1;
	ok = ok && expect_eq(bits, 0x13, "EPERM bits: raise shares, raise min, raise max") &&
	     expect_eq(get_shares(fd), 1, "shares unchanged") &&
	     expect_eq(get_min(fd), 0, "min unchanged") &&
	     expect_eq(set_alloc(fd, 1000, 8, 0), 0, "root raises them");
	drop_file(fd, "claim");
	return ok;
}

/*
 * A reservation belongs to its mount: a file in a 4 MiB mount cannot
 * reserve beyond that mount's size, however much room the other mounts
 * have, and filling one mount leaves the others' room alone.
 */
static bool test_admission_per_mount(void)
{
	char other[] = "/tmp/kvmmem-policy2-XXXXXX", path[300];
	long reserved = counter("reserved_pages");
	int a = -1, m = make_file("m", 0);
	bool ok;

	ok = expect(m >= 0 && mkdtemp(other) &&
		    !mount("none", other, "kvmmem", 0, "size=4M"), "a 4 MiB mount");
	if (ok) {
		snprintf(path, sizeof(path), "%s/a", other);
		a = open(path, O_RDWR | O_CREAT, 0600);
	}
	ok = ok && expect(a >= 0, "create a file there") &&
	     expect(ftruncate(a, 2L << 30) == -1 && errno == ENOSPC,
		    "2 GiB there: 2048 pages of overhead exceed its 1024: ENOSPC") &&
	     expect_eq(counter("reserved_pages"), reserved, "reservations unchanged") &&
	     expect(ftruncate(a, 512L << 20) == 0, "512 MiB there: 512 pages of overhead") &&
	     expect_eq(set_alloc(a, 1, 512, 0), 0, "and a min of 512: the mount is full") &&
	     expect_eq(set_alloc(a, 1, 513, 0), ENOSPC, "one page more: ENOSPC") &&
	     expect_eq(set_alloc(m, 1, 8192, 0), 0, "the other mount's room is its own") &&
	     expect(mount("none", other, "kvmmem", MS_REMOUNT, "size=2M") == -1 &&
		    errno == EINVAL, "remount below what is reserved: EINVAL");
	if (a >= 0)
		close(a);
	drop_file(m, "m");
	umount(other);
	rmdir(other);
	return ok && expect_eq(counter("reserved_pages"), reserved, "reservations returned");
}

/* Pages written into @fd from page 0 until a write fails (at most @max). */
static long fill_until_full(int fd, long max)
{
	char buf[PG];
	long n;

	memset(buf, 0x5a, sizeof(buf));
	for (n = 0; n < max; n++)
		if (pwrite(fd, buf, PG, n * PG) != PG)
			break;
	return n;
}

/*
 * An admitted min is a guarantee: in a 1024-page mount where a holds a
 * min of 512 and no frame yet, b fills what is left and then gets ENOSPC,
 * and a still gets its 512.
 */
static bool test_min_guarantee(void)
{
	char dir[] = "/tmp/kvmmem-min-XXXXXX", path[300];
	int a = -1, b = -1;
	long got_b = -1, got_a = -1;
	bool ok;

	ok = expect(mkdtemp(dir) && !mount("none", dir, "kvmmem", 0, "size=4M"),
		    "a 1024-page mount");
	if (ok) {
		snprintf(path, sizeof(path), "%s/a", dir);
		a = open(path, O_RDWR | O_CREAT, 0600);
		snprintf(path, sizeof(path), "%s/b", dir);
		b = open(path, O_RDWR | O_CREAT, 0600);
	}
	ok = ok && expect(a >= 0 && b >= 0 && !ftruncate(a, 1024 * PG) &&
			  !ftruncate(b, 1024 * PG), "two 1024-page files") &&
	     expect_eq(set_alloc(a, 1, 512, 0), 0, "a's min of 512 admitted");
	if (ok) {
		got_b = fill_until_full(b, 1024);
		got_a = fill_until_full(a, 512);
	}
	tap_diag("b got %ld pages, then a got %ld", got_b, got_a);
	ok = ok && expect(got_b >= 500 && got_b <= 512, "b stops short of a's min") &&
	     expect_eq(got_a, 512, "a gets all of its min");
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	umount(dir);
	rmdir(dir);
	return ok;
}

/* min and max that would wrap when rounded up to pages: EINVAL. */
static bool test_bad_alloc(void)
{
	int fd = make_file("bad", 16);
	struct kvmmem_alloc a = { .size = sizeof(a), .shares = 1 };
	bool ok;

	a.min = UINT64_MAX;
	ok = expect(fd >= 0, "create") &&
	     expect(ioctl(fd, KVMMEM_IOC_SET_ALLOC, &a) == -1 && errno == EINVAL,
		    "min 2^64-1: EINVAL");
	a.min = 0;
	a.max = UINT64_MAX - 100;
	ok = ok && expect(ioctl(fd, KVMMEM_IOC_SET_ALLOC, &a) == -1 && errno == EINVAL,
			  "max 2^64-101: EINVAL") &&
	     expect_eq(get_min(fd), 0, "min unchanged");
	drop_file(fd, "bad");
	return ok;
}

static bool test_bad_knobs(void)
{
	static const char *const bad[][2] = {
		{ "tax_rate", "100" }, { "sample_period_ms", "0" },
		{ "sample_pages", "0" }, { "sample_pages", "5000" },
		{ "free_high_percent", "3" }, { "free_low_percent", "2" },
		{ "budget_pages", "abc" }, { "budget_pages", "99999999999999" },
	};
	bool ok = true;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = knob(bad[i][0], bad[i][1]);

		if (err != EINVAL) {
			tap_diag("%s=%s: errno %d, want EINVAL", bad[i][0], bad[i][1], err);
			ok = false;
		}
	}
	return ok && expect_eq(counter("tax_rate"), 75, "tax_rate unchanged") &&
	       expect_eq(counter("free_high_percent"), 6, "free_high_percent unchanged");
}

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
	{ "sampled active estimate within 10 points of 25% and of 75%", test_estimate },
	{ "idle tax: busy VM's target above idle VM's at 75%, equal at 0", test_idle_tax },
	{ "admission: a min that does not fit is ENOSPC, nothing changes", test_admission },
	{ "admission: reservations belong to their mount", test_admission_per_mount },
	{ "an admitted min is a guarantee of frames", test_min_guarantee },
	{ "raising shares, min or max takes CAP_SYS_ADMIN; lowering does not", test_claims_take_privilege },
	{ "free memory states follow free memory, with hysteresis", test_states },
	{ "free memory state changes are traced", test_state_tracepoint },
	{ "bad policy knob values: EINVAL, value unchanged", test_bad_knobs },
	{ "min or max near 2^64: EINVAL, not a wrap to 0", test_bad_alloc },
};

int main(void)
{
	int n = sizeof(tests) / sizeof(tests[0]);

	tap_plan(n);
	if (!mkdtemp(mnt) || mount("none", mnt, "kvmmem", 0, "size=64M")) {
		perror("mount kvmmem");
		return 1;
	}
	knob_long("sample_period_ms", PERIOD_MS);
	knob("sample_pages", "100");
	for (int i = 0; i < n; i++)
		tap_result(tests[i].fn(), tests[i].name);
	knob("sample_period_ms", "30000");
	umount(mnt);
	rmdir(mnt);
	return tap_exit();
}
