// SPDX-License-Identifier: GPL-2.0
/*
 * Content-based page sharing between processes' kvmmem files: exact
 * counts after the scanner converges, copy-on-write that never mixes up
 * data, the last sharer, max_page_sharing, sharing domains, run=2, and
 * bad knob and ioctl input.  Runs inside the test VM; the scanner is
 * global, so the test owns it while it runs and leaves it stopped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvmmem.h>
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

#include "crafted_page.h"
#include "kvmmem_sysfs.h"
#include "pagemap.h"
#include "tap.h"

#define PG 4096L
#define NPAGES 64
/* module/hotio.h: KVMMEM_HEAT_MAX, the most heat a page can hold */
#define HEAT_MAX 7

static char mnt[] = "/tmp/kvmmem-share-XXXXXX";

/* Page contents: byte pattern from a 32-bit tag, all bytes of the page. */
static void fill(char *page, uint32_t tag)
{
	for (int i = 0; i < PG; i += 4)
		memcpy(page + i, &tag, 4);
	if (!tag)
		memset(page, 0, PG);
}

static int make_file_in(const char *dir, const char *name,
			uint32_t (*tag_of)(int), int pages)
{
	char path[256], buf[PG];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, pages * PG))
		return -1;
	for (int i = 0; i < pages; i++) {
		fill(buf, tag_of(i));
		if (pwrite(fd, buf, PG, i * PG) != PG)
			return -1;
	}
	return fd;
}

static int make_file(const char *name, uint32_t (*tag_of)(int), int pages)
{
	return make_file_in(mnt, name, tag_of, pages);
}

/* Close and unlink, so the next test starts with no pages to share. */
static void drop_file(int fd, const char *name)
{
	char path[256];

	close(fd);
	snprintf(path, sizeof(path), "%s/%s", mnt, name);
	unlink(path);
}

static bool file_is(int fd, uint32_t (*tag_of)(int), int pages)
{
	char want[PG], got[PG];

	for (int i = 0; i < pages; i++) {
		fill(want, tag_of(i));
		if (pread(fd, got, PG, i * PG) != PG || memcmp(want, got, PG)) {
			tap_diag("page %d holds the wrong data", i);
			return false;
		}
	}
	return true;
}

/* A: pages 0..31 common with B, 32..63 its own.  B likewise.  C: 16 zero
 * pages, 16 copies of one page, 32 of its own.
 */
static uint32_t tag_a(int i) { return i < 32 ? 0x1000 + i : 0xa000 + i; }
static uint32_t tag_b(int i) { return i < 32 ? 0x1000 + i : 0xb000 + i; }
static uint32_t tag_c(int i) { return i < 16 ? 0 : i < 32 ? 0x7777 : 0xc000 + i; }
static uint32_t tag_a2(int i) { return 0xd000 + i; }
static uint32_t tag_same(int i) { (void)i; return 0x5a5a; }
static uint32_t tag_e(int i) { return 0xe000 + i % 8; }

static int fd_a, fd_b, fd_c;

/* Let the scanner run until @full more full scans have completed. */
static bool converge(int full)
{
	long start = counter("full_scans");

	for (int i = 0; i < 1200; i++) {
		if (counter("full_scans") >= start + full)
			return true;
		usleep(50000);
	}
	tap_diag("scanner did not complete %d full scans in 60 s", full);
	return false;
}

static bool test_merge_counts(void)
{
	long before = counter("pages_allocated");
	bool ok;

	fd_a = make_file("a", tag_a, NPAGES);
	fd_b = make_file("b", tag_b, NPAGES);
	fd_c = make_file("c", tag_c, NPAGES);
	if (!expect(fd_a >= 0 && fd_b >= 0 && fd_c >= 0, "create files"))
		return false;
	before = counter("pages_allocated") - before;
	ok = expect_eq(before, 3 * NPAGES, "frames before merging");
	ok = ok && expect(knob("run", "1") == 0, "run=1") && converge(3);
	ok = ok && expect_eq(counter("pages_shared"), 33, "pages_shared");
	ok = ok && expect_eq(counter("pages_sharing"), 47, "pages_sharing");
	ok = ok && expect_eq(counter("zero_pages"), 16, "zero_pages");
	ok = ok && expect_eq(counter("pages_allocated"), 3 * NPAGES - 63,
			     "pages_allocated after merging");
	ok = ok && expect_eq(file_counter(fd_a, "sharing"), 32, "a: sharing");
	ok = ok && expect_eq(file_counter(fd_c, "sharing"), 16, "c: sharing");
	ok = ok && expect_eq(file_counter(fd_c, "zero"), 16, "c: zero");
	ok = ok && expect_eq(file_counter(fd_c, "resident"), NPAGES, "c: resident");
	ok = ok && expect(counter("general_profit") > 0, "general_profit > 0");
	ok = ok && expect(file_is(fd_a, tag_a, NPAGES) && file_is(fd_b, tag_b, NPAGES) &&
			  file_is(fd_c, tag_c, NPAGES), "contents unchanged by merging");
	tap_diag("metadata_bytes %ld, pages_scanned %ld, full_scans %ld",
		 counter("metadata_bytes"), counter("pages_scanned"),
		 counter("full_scans"));
	return ok;
}

/* Writes to shared pages by mmap (a) and pwrite (c) copy; b keeps its data. */
static bool test_cow(void)
{
	long cow = counter("cow_breaks");
	char *a = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd_a, 0);
	char buf[PG];
	bool ok;

	if (!expect(a != MAP_FAILED, "mmap a"))
		return false;
	knob("run", "0");
	for (int i = 0; i < NPAGES; i++)
		fill(a + i * PG, tag_a2(i));
	fill(buf, 0x4242);
	ok = expect(pwrite(fd_c, buf, PG, 0) == PG && pwrite(fd_c, buf, PG, 20 * PG) == PG,
		    "pwrite into zero and shared pages of c");
	ok = ok && expect(file_is(fd_a, tag_a2, NPAGES), "a reads its new data");
	ok = ok && expect(file_is(fd_b, tag_b, NPAGES), "b still reads its data");
	ok = ok && expect(pread(fd_c, buf, PG, 20 * PG) == PG && buf[0] == 0x42,
			  "c reads its pwrite");
	ok = ok && expect(pread(fd_c, buf, PG, 21 * PG) == PG && buf[0] == 0x77,
			  "c's other copies unchanged");
	ok = ok && expect_eq(counter("cow_breaks") - cow, 34, "cow_breaks");
	ok = ok && expect_eq(counter("pages_sharing"), 14, "pages_sharing after COW");
	ok = ok && expect_eq(counter("zero_pages"), 15, "zero_pages after COW");
	munmap(a, NPAGES * PG);
	return ok;
}

/* b's frames now have one sharer each: b's write takes them back, no copy. */
static bool test_last_sharer(void)
{
	long alloc = counter("pages_allocated"), shared = counter("pages_shared");
	volatile char *b = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd_b, 0);
	bool ok;

	if (!expect((void *)b != MAP_FAILED, "mmap b"))
		return false;
	for (int i = 0; i < 32; i++)
		b[i * PG + 1] = b[i * PG + 1];	/* a write of the same byte */
	ok = expect_eq(counter("pages_allocated"), alloc, "no copies made") &&
	     expect_eq(shared - counter("pages_shared"), 32, "frames back to private") &&
	     expect(file_is(fd_b, tag_b, NPAGES), "b's data kept");
	munmap((void *)b, NPAGES * PG);
	return ok;
}

static uint32_t tag_pipe(int i) { return 0x9000 + i; }

/*
 * A reference taken through one sharer's mapping must keep seeing the
 * shared contents after that sharer's copy-on-write, whatever the last
 * sharer writes next: p2's page goes into a pipe by vmsplice, p2 writes
 * (its copy), then p1, now the last sharer, writes new data.  The pipe
 * must give back the old contents, never p1's.
 */
static bool test_last_sharer_pipe(void)
{
	int p1 = make_file("p1", tag_pipe, 4), p2 = make_file("p2", tag_pipe, 4);
	char want[PG], got[PG], mine[PG];
	struct iovec iov;
	volatile char *m2;
	int pipefd[2];
	bool ok;

	if (!expect(p1 >= 0 && p2 >= 0 && pipe(pipefd) == 0, "files and pipe"))
		return false;
	ok = expect(knob("run", "1") == 0, "run=1") && converge(3);
	knob("run", "0");
	ok = ok && expect_eq(file_counter(p1, "sharing"), 4, "p1 shares its pages");
	m2 = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, p2, 0);
	ok = ok && expect((void *)m2 != MAP_FAILED, "mmap p2");
	if (!ok)
		goto out;
	iov.iov_base = (void *)m2;
	iov.iov_len = PG;
	ok = expect(vmsplice(pipefd[1], &iov, 1, 0) == PG, "vmsplice p2's page");
	m2[1] = 0x55;				/* p2's copy-on-write */
	fill(mine, 0xbad0bad);
	ok = ok && expect(pwrite(p1, mine, PG, 0) == PG, "p1 writes new data");
	fill(want, tag_pipe(0));
	ok = ok && expect(read(pipefd[0], got, PG) == PG, "read the pipe");
	ok = ok && expect(!memcmp(got, want, PG),
			  "the pipe holds the old shared page, not p1's new data");
	ok = ok && expect(pread(p1, got, PG, 0) == PG && !memcmp(got, mine, PG),
			  "p1 reads its new data");
	ok = ok && expect(m2[1] == 0x55 && m2[0] == want[0], "p2 reads its own write");
	munmap((void *)m2, 4 * PG);
out:
	close(pipefd[0]);
	close(pipefd[1]);
	drop_file(p1, "p1");
	drop_file(p2, "p2");
	return ok;
}

static uint32_t tag_busy(int i) { return 0x8800 + i; }

/*
 * A page that a pipe holds (vmsplice) is in use: the scanner leaves it and
 * counts it busy, not volatile (it did not change), and merges it once the
 * pipe lets go.
 */
static bool test_busy_page(void)
{
	int q1 = make_file("q1", tag_busy, 4), q2 = make_file("q2", tag_busy, 4);
	long busy0 = counter("pages_busy"), volatile0 = counter("pages_volatile");
	char got[PG];
	struct iovec iov;
	char *m2;
	int pipefd[2];
	bool ok;

	if (!expect(q1 >= 0 && q2 >= 0 && pipe(pipefd) == 0, "files and pipe"))
		return false;
	m2 = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, q2, 0);
	ok = expect(m2 != MAP_FAILED, "mmap q2");
	iov.iov_base = m2;
	iov.iov_len = PG;
	ok = ok && expect(vmsplice(pipefd[1], &iov, 1, 0) == PG, "vmsplice q2's page 0");
	ok = ok && expect(knob("run", "1") == 0, "run=1") && converge(2);
	knob("run", "0");
	tap_diag("held by the pipe: q2 shares %ld of 4; pages_busy +%ld, pages_volatile +%ld",
		 file_counter(q2, "sharing"), counter("pages_busy") - busy0,
		 counter("pages_volatile") - volatile0);
	ok = ok && expect_eq(file_counter(q2, "sharing"), 3, "q2's other pages merge") &&
	     expect(counter("pages_busy") > busy0, "the held page is counted busy") &&
	     expect_eq(counter("pages_volatile"), volatile0, "and not volatile");
	ok = ok && expect(read(pipefd[0], got, PG) == PG, "the pipe lets go");
	/*
	 * Each visit that found the page held heated it (hotio): it merges
	 * once as many quiet visits have cooled it, at most HEAT_MAX of them.
	 */
	ok = ok && expect(knob("run", "1") == 0, "run=1");
	for (int scans = 0; ok && scans <= HEAT_MAX + 1 &&
	     file_counter(q2, "sharing") < 4; scans++)
		ok = converge(1);
	knob("run", "0");
	ok = ok && expect_eq(file_counter(q2, "sharing"), 4, "then it merges too");
	if (m2 != MAP_FAILED)
		munmap(m2, 4 * PG);
	close(pipefd[0]);
	close(pipefd[1]);
	drop_file(q1, "q1");
	drop_file(q2, "q2");
	return ok;
}

#define TRACING "/sys/kernel/tracing/"

static uint32_t tag_zero(int i) { (void)i; return 0; }

/* /proc/kpagecount of the frame mapped at @p: its map count (root only). */
static long mapped_page_mapcount(volatile char *p)
{
	unsigned long pfn = mapped_pfn(p);
	int kc = open("/proc/kpagecount", O_RDONLY);
	uint64_t count = 0;
	long ret = -1;

	if (pfn && kc >= 0 && pread(kc, &count, 8, (off_t)pfn * 8) == 8)
		ret = (long)count;
	if (kc >= 0)
		close(kc);
	return ret;
}

/*
 * Zero pages hold no reference on the zero frame: its count is one for
 * the module plus one per PTE mapping it (kpagecount shows those), however
 * many zero pages there are.  Were it one per zero page, 2^31 of them
 * would make GUP refuse the frame (KVM gets EFAULT) and 2^32 would free it
 * while mapped.
 */
static bool test_zero_frame_refs(void)
{
	const int pages = 2048;
	long before = counter("zero_frame_refs"), refs, maps, alloc;
	int fd = make_file("zeros", tag_zero, pages);
	volatile char *p;
	bool ok;

	if (!expect(fd >= 0 && before >= 1, "create a file of zero pages; zero_frame_refs"))
		return false;
	alloc = counter("pages_allocated");
	ok = expect(knob("run", "1") == 0, "run=1") && converge(2);
	knob("run", "0");
	ok = ok && expect_eq(file_counter(fd, "zero"), pages, "zero entries") &&
	     expect_eq(alloc - counter("pages_allocated"), pages,
		       "every zero page gave its frame back") &&
	     expect_eq(counter("zero_frame_refs"), before,
		       "zero_frame_refs after merging 2048 zero pages");
	p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!expect(p != MAP_FAILED, "mmap"))
		return false;
	maps = mapped_page_mapcount(p);
	refs = counter("zero_frame_refs");
	tap_diag("zero frame: %ld references, %ld mappings (kpagecount), %d zero pages",
		 refs, maps, pages);
	ok = ok && expect(maps >= 1, "kpagecount of the mapped zero frame") &&
	     expect_eq(refs - maps, before, "references = 1 + mappings");
	p[7] = 'x';
	ok = ok && expect_eq(counter("zero_frame_refs"), before,
			     "a write to the page dropped its mapping of zeros") &&
	     expect_eq(file_counter(fd, "zero"), pages - 1, "one zero entry less") &&
	     expect(p[7] == 'x' && p[PG + 7] == 0, "the write is the page's alone");
	munmap((void *)p, pages * PG);
	ok = ok && expect_eq(counter("zero_frame_refs"), before,
			     "zero_frame_refs after munmap");
	drop_file(fd, "zeros");
	return ok;
}

static bool trace_has(const char *event)
{
	static char buf[1 << 20];
	int fd = open(TRACING "trace", O_RDONLY);
	ssize_t n, len = 0;

	if (fd < 0)
		return false;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return strstr(buf, event) != NULL;
}

/* Enabled in main() before the first merge. */
static bool test_tracepoints(void)
{
	return expect(trace_has("kvmmem_merge: "), "kvmmem_merge traced") &&
	       expect(trace_has("kvmmem_cow_break: "), "kvmmem_cow_break traced") &&
	       expect(trace_has("last-sharer"), "last-sharer break traced");
}

static bool test_unmerge(void)
{
	bool ok = expect(knob("run", "1") == 0, "run=1") && converge(2);

	ok = ok && expect(counter("pages_sharing") > 0, "something shared again");
	ok = ok && expect(knob("run", "2") == 0, "run=2");
	ok = ok && expect_eq(counter("pages_shared"), 0, "pages_shared after run=2");
	ok = ok && expect_eq(counter("pages_sharing"), 0, "pages_sharing after run=2");
	ok = ok && expect_eq(counter("zero_pages"), 0, "zero_pages after run=2");
	ok = ok && expect_eq(counter("run"), 2, "run reads 2");
	ok = ok && expect_eq(file_counter(fd_c, "resident"), NPAGES, "c resident");
	ok = ok && expect(file_is(fd_a, tag_a2, NPAGES) && file_is(fd_b, tag_b, NPAGES),
			  "contents after unmerge");
	drop_file(fd_a, "a");
	drop_file(fd_b, "b");
	drop_file(fd_c, "c");
	return ok;
}

static bool test_max_page_sharing(void)
{
	int fd;
	bool ok;

	ok = expect(knob("max_page_sharing", "4") == 0, "max_page_sharing=4");
	fd = make_file("same", tag_same, 10);
	ok = ok && expect(fd >= 0, "create") && expect(knob("run", "1") == 0, "run=1") &&
	     converge(3);
	ok = ok && expect_eq(counter("pages_shared"), 3, "frames for 10 copies, 4 each");
	ok = ok && expect_eq(counter("pages_sharing"), 7, "pages_sharing");
	ok = ok && expect(file_is(fd, tag_same, 10), "contents");
	knob("run", "2");
	knob("max_page_sharing", "256");
	drop_file(fd, "same");
	return ok;
}

static int set_domain(int fd, unsigned int domain)
{
	struct kvmmem_domain d = { .size = sizeof(d), .domain = domain };

	return ioctl(fd, KVMMEM_IOC_SET_DOMAIN, &d) ? errno : 0;
}

static long get_domain(int fd)
{
	struct kvmmem_domain d = { .size = sizeof(d) };

	return ioctl(fd, KVMMEM_IOC_GET_DOMAIN, &d) ? -errno : (long)d.domain;
}

static bool test_domains(void)
{
	int e = make_file("e", tag_e, 8), f = make_file("f", tag_e, 8);
	bool ok;

	/* within a file pages differ, so only e-f sharing can happen */
	ok = expect(e >= 0 && f >= 0, "create") &&
	     expect_eq(get_domain(e), 0, "default domain 0") &&
	     expect_eq(set_domain(f, 7), 0, "f to domain 7") &&
	     expect_eq(get_domain(f), 7, "f reads domain 7") &&
	     expect(knob("run", "1") == 0, "run=1") && converge(3) &&
	     expect_eq(counter("pages_shared"), 0, "nothing shared across domains");
	ok = ok && expect_eq(set_domain(e, 7), 0, "e to domain 7") && converge(3) &&
	     expect_eq(counter("pages_shared"), 8, "shared within domain 7");
	ok = ok && expect_eq(set_domain(e, 3), 0, "e leaves domain 7") &&
	     expect_eq(counter("pages_sharing"), 0, "leaving unshares at once") &&
	     expect(file_is(e, tag_e, 8) && file_is(f, tag_e, 8), "contents");
	knob("run", "2");
	drop_file(e, "e");
	drop_file(f, "f");
	return ok;
}

#define NOBODY 65534

/* SET_DOMAIN with proof of membership: @member's fd. */
static int join_by_member(int fd, unsigned int domain, int member)
{
	struct kvmmem_domain d = {
		.size = sizeof(d), .domain = domain,
		.flags = KVMMEM_DOMAIN_MEMBER_FD, .member_fd = member,
	};

	return ioctl(fd, KVMMEM_IOC_SET_DOMAIN, &d) ? errno : 0;
}

/*
 * As user nobody: make file @name like root's, then try to move it into
 * domain 9 plainly, with a member fd of another domain, and (if @member
 * names a file) with that file's fd.  Exits with a bit per wrong answer.
 */
static void nobody_joins(const char *name, const char *member)
{
	int fd, other, m, bad = 0;
	char path[256];

	if (setgid(NOBODY) || setuid(NOBODY))
		_exit(64);
	fd = make_file(name, tag_e, 8);
	other = make_file("nobody-other", tag_pipe, 1);
	if (fd < 0 || other < 0)
		_exit(32);
	bad |= set_domain(fd, 0) != 0;			/* its own: allowed */
	bad |= (set_domain(fd, 9) != EPERM) << 1;
	bad |= (join_by_member(fd, 9, other) != EPERM) << 2;
	if (member) {
		snprintf(path, sizeof(path), "%s/%s", mnt, member);
		m = open(path, O_RDONLY);
		bad |= (m < 0 || join_by_member(fd, 9, m) != 0) << 3;
	}
	_exit(bad);
}

static int as_nobody(const char *name, const char *member)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		nobody_joins(name, member);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * A domain is a trust boundary: an unprivileged user with a writable file
 * of the mount cannot move it into root's domain (EPERM, and nothing
 * merges), unless it holds an open file that is already a member.
 */
static bool test_domain_privilege(void)
{
	int a = make_file("da", tag_e, 8), m = make_file("dm", tag_pipe, 1);
	char path[256];
	bool ok;

	snprintf(path, sizeof(path), "%s/dm", mnt);
	ok = expect(a >= 0 && m >= 0, "root's files") &&
	     expect(chmod(mnt, 01777) == 0 && chmod(path, 0644) == 0, "chmod") &&
	     expect_eq(set_domain(a, 9), 0, "root moves its file to domain 9") &&
	     expect_eq(set_domain(m, 9), 0, "and a member file others may read");
	ok = ok && expect_eq(as_nobody("nb1", NULL), 0,
			     "nobody: EPERM without a member, EPERM with another domain's file") &&
	     expect(knob("run", "1") == 0, "run=1") && converge(3) &&
	     expect_eq(file_counter(a, "sharing"), 0, "nothing merged into domain 9");
	ok = ok && expect_eq(as_nobody("nb2", "dm"), 0, "nobody joins with a member's fd") &&
	     converge(3) &&
	     expect_eq(file_counter(a, "sharing"), 8, "then its pages merge within domain 9");
	knob("run", "2");
	knob("run", "0");
	drop_file(a, "da");
	drop_file(m, "dm");
	snprintf(path, sizeof(path), "%s/nb1", mnt);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nb2", mnt);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nobody-other", mnt);
	unlink(path);
	return ok;
}

static uint32_t tag_h(int i) { return 0x6000 + i; }

/*
 * Mounts stay apart.  x and x2 hold the same 256 pages and y, in another
 * mount, holds them too; the scanner takes one page of each file in turn.
 * x and x2 merge fully, y shares nothing.  (Before the hash was keyed per
 * mount, y's hints took the place of x's in the table, which only delayed
 * merges: this passed then too, and guards the keyed version.)
 */
static bool test_hints_stay_apart(void)
{
	const int pages = 256;
	char other[] = "/tmp/kvmmem-share2-XXXXXX";
	int x, y, x2;
	bool ok;

	if (!expect(mkdtemp(other) && !mount("none", other, "kvmmem", 0, "size=16M"),
		    "a second mount"))
		return false;
	x = make_file("x", tag_h, pages);
	y = make_file_in(other, "y", tag_h, pages);
	x2 = make_file("x2", tag_h, pages);
	ok = expect(x >= 0 && y >= 0 && x2 >= 0, "create x, y in the other mount, x2") &&
	     expect(knob("pages_to_scan_per_file", "1") == 0, "one page per file in turn") &&
	     expect(knob("run", "1") == 0, "run=1") && converge(2);
	ok = ok && expect_eq(file_counter(x2, "sharing"), pages, "x2 shares every page with x") &&
	     expect_eq(file_counter(y, "sharing"), 0, "y shares nothing across mounts") &&
	     expect(file_is(x, tag_h, pages) && file_is(x2, tag_h, pages) &&
		    file_is(y, tag_h, pages), "contents");
	knob("run", "2");
	knob("pages_to_scan_per_file", "0");
	drop_file(x, "x");
	drop_file(x2, "x2");
	close(y);
	umount(other);
	rmdir(other);
	return ok;
}

/*
 * 4096 pages crafted to collide in the table's low bits cost a lookup
 * no more than random pages do: the hash is keyed with a secret of the
 * mount, so a guest cannot aim its pages at a run of slots.  Unkeyed,
 * every lookup walked runs of about 250 slots under the table's
 * mutex (table_probes per page scanned shows it).
 */
static bool test_crafted_collisions(void)
{
	const int pages = 4096;
	long probes, scanned;
	uint64_t next = 0;
	char page[PG], path[256];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/craft", mnt);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!expect(fd >= 0 && !ftruncate(fd, pages * PG), "create"))
		return false;
	for (int i = 0; i < pages; i++) {
		crafted_page(page, &next);
		if (!expect(pwrite(fd, page, PG, i * PG) == PG, "write a crafted page"))
			return false;
	}
	probes = counter("table_probes");
	scanned = counter("pages_scanned");
	ok = expect(probes >= 0, "table_probes") &&
	     expect(knob("run", "1") == 0, "run=1") && converge(2);
	knob("run", "0");
	probes = counter("table_probes") - probes;
	scanned = counter("pages_scanned") - scanned;
	tap_diag("crafted pages: %ld slots probed for %ld pages scanned (%.1f per page)",
		 probes, scanned, scanned > 0 ? (double)probes / scanned : 0.0);
	ok = ok && expect(scanned >= pages, "every crafted page scanned") &&
	     expect(probes < 16 * scanned, "fewer than 16 slots probed per page");
	drop_file(fd, "craft");
	return ok;
}

static uint32_t tag_s(int i) { return 0x3000 + i; }

/*
 * A sparse file's cycle costs what is resident, not its size: 64 pages
 * written 4 GiB apart in a 256 GiB file merge with a small file's equal
 * pages within two full scans.  Walking every gfn, one cycle of the big
 * file took 2^26 visits, more than a minute of scanning per full scan.
 */
static bool test_sparse_cycle(void)
{
	char dir[] = "/tmp/kvmmem-sparse-XXXXXX", path[300], buf[PG];
	const long stride = 4L << 30;
	int big = -1, small = -1;
	bool ok;

	if (!expect(mkdtemp(dir) && !mount("none", dir, "kvmmem", 0, "size=2G"),
		    "a 2 GiB mount"))
		return false;
	snprintf(path, sizeof(path), "%s/big", dir);
	big = open(path, O_RDWR | O_CREAT, 0600);
	ok = expect(big >= 0 && ftruncate(big, 64 * stride) == 0, "a 256 GiB file");
	for (int i = 0; ok && i < 64; i++) {
		fill(buf, tag_s(i));
		ok = expect(pwrite(big, buf, PG, i * stride) == PG, "64 pages 4 GiB apart");
	}
	small = ok ? make_file_in(dir, "small", tag_s, 64) : -1;
	ok = ok && expect(small >= 0, "a small file with the same 64 pages") &&
	     expect(knob("run", "1") == 0, "run=1") && converge(2) &&
	     expect_eq(file_counter(small, "sharing"), 64, "the small file shares all 64");
	knob("run", "2");
	if (big >= 0)
		close(big);
	if (small >= 0)
		close(small);
	umount(dir);
	rmdir(dir);
	return ok;
}

static uint32_t tag_u(int i) { return 0x2000 + i; }

/*
 * max_hints caps the hints the content table holds however long a full
 * scan takes: 1000 distinct pages never leave more than 100, and the
 * cap's drops are counted.
 */
static bool test_hint_cap(void)
{
	long drops = counter("hint_drops"), most = 0;
	int fd = make_file("u", tag_u, 1000);
	bool ok;

	ok = expect(fd >= 0, "1000 distinct pages") &&
	     expect(knob("max_hints", "100") == 0, "max_hints=100") &&
	     expect(knob("run", "1") == 0, "run=1");
	for (int i = 0; ok && i < 100 && counter("hint_drops") - drops < 3; i++) {
		long now = counter("pages_unshared");

		most = now > most ? now : most;
		usleep(50000);
	}
	knob("run", "0");
	tap_diag("hints at most %ld, %ld drops", most, counter("hint_drops") - drops);
	ok = ok && expect(most <= 100, "never more than 100 hints") &&
	     expect(counter("hint_drops") - drops >= 3, "drops counted");
	knob("max_hints", "0");
	knob("run", "2");
	drop_file(fd, "u");
	return ok;
}

static bool test_per_vm_default(void)
{
	int g, h;
	bool ok;

	ok = expect(knob("default_domain", "per_vm") == 0, "default_domain=per_vm");
	g = make_file("g", tag_e, 8);
	h = make_file("h", tag_e, 8);
	ok = ok && expect(get_domain(g) > KVMMEM_DOMAIN_MAX &&
			  get_domain(h) > KVMMEM_DOMAIN_MAX &&
			  get_domain(g) != get_domain(h), "each file its own domain");
	ok = ok && expect(knob("run", "1") == 0, "run=1") && converge(3) &&
	     expect_eq(counter("pages_shared"), 0, "per_vm: nothing shared");
	knob("run", "2");
	knob("default_domain", "all");
	drop_file(g, "g");
	drop_file(h, "h");
	return ok;
}

static bool test_bad_knobs(void)
{
	static const char *const bad[][2] = {
		{ "run", "3" }, { "run", "x" }, { "pages_to_scan", "0" },
		{ "pages_to_scan", "-1" }, { "sleep_millisecs", "abc" },
		{ "max_page_sharing", "1" }, { "default_domain", "some" },
		{ "pages_to_scan_per_file", "99999999999" },
		{ "max_hints", "-1" }, { "max_hints", "2000000000" },
	};
	long scan = counter("pages_to_scan");
	bool ok = true;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = knob(bad[i][0], bad[i][1]);

		if (err != EINVAL) {
			tap_diag("%s=%s: errno %d, want EINVAL", bad[i][0], bad[i][1], err);
			ok = false;
		}
	}
	ok = ok && expect_eq(counter("pages_to_scan"), scan, "pages_to_scan unchanged");
	ok = ok && expect(knob("pages_shared", "1") != 0, "counters are read-only");
	return ok;
}

/* A struct with a size of 1 MiB, all zero past the fields we know. */
static int huge_struct(int fd)
{
	static uint32_t buf[(1 << 20) / 4];
	int err;

	buf[0] = sizeof(buf);
	buf[1] = 1;
	err = ioctl(fd, KVMMEM_IOC_SET_DOMAIN, buf) ? errno : 0;
	return err;
}

static bool test_bad_ioctls(void)
{
	struct { struct kvmmem_domain d; uint32_t extra; } big = {
		{ .size = sizeof(big), .domain = 1 }, 5 };
	struct kvmmem_domain small = { .size = 4, .domain = 1 };
	char path[256];
	int fd = make_file("io", tag_e, 1), ro;
	bool ok;

	snprintf(path, sizeof(path), "%s/io", mnt);
	ro = open(path, O_RDONLY);
	ok = expect(ioctl(fd, KVMMEM_IOC_SET_DOMAIN, &small) == -1 && errno == EINVAL,
		    "size too small: EINVAL") &&
	     expect(ioctl(fd, KVMMEM_IOC_SET_DOMAIN, &big) == -1 && errno == E2BIG,
		    "unknown non-zero field: E2BIG") &&
	     expect_eq(set_domain(fd, KVMMEM_DOMAIN_MAX + 1), EINVAL, "domain too big") &&
	     expect_eq(set_domain(ro, 1), EBADF, "read-only fd: EBADF") &&
	     expect(ioctl(fd, _IO(KVMMEM_IOC_MAGIC, 0x7f)) == -1 && errno == ENOTTY,
		    "unknown ioctl: ENOTTY") &&
	     expect(ioctl(fd, KVMMEM_IOC_GET_DOMAIN, (void *)16) == -1 && errno == EFAULT,
		    "bad pointer: EFAULT");
	ok = ok && expect(huge_struct(fd) == E2BIG, "a struct larger than a page: E2BIG");
	big.extra = 0;
	ok = ok && expect(ioctl(fd, KVMMEM_IOC_SET_DOMAIN, &big) == 0,
			  "larger struct with zero tail accepted") &&
	     expect_eq(get_domain(fd), 1, "domain set");
	close(ro);
	drop_file(fd, "io");
	return ok;
}

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
	{ "identical pages merge: exact pages_shared, pages_sharing, zero_pages", test_merge_counts },
	{ "writes to shared pages copy; every page reads its own data", test_cow },
	{ "the last sharer takes its frame back without a copy", test_last_sharer },
	{ "the last sharer copies a frame a pipe still holds (vmsplice)", test_last_sharer_pipe },
	{ "a page a pipe holds is left and counted busy, not volatile, then merged", test_busy_page },
	{ "zero pages take no reference on the zero frame (kpagecount)", test_zero_frame_refs },
	{ "tracepoints for merge and copy-on-write fire", test_tracepoints },
	{ "run=2 unmerges everything", test_unmerge },
	{ "max_page_sharing caps sharers per frame", test_max_page_sharing },
	{ "sharing domains: no sharing across, sharing within", test_domains },
	{ "joining a domain takes CAP_SYS_ADMIN or a member file", test_domain_privilege },
	{ "mounts stay apart: equal pages merge within one, never across", test_hints_stay_apart },
	{ "pages crafted to collide do not pile up in the table (keyed hash)", test_crafted_collisions },
	{ "a sparse file's cycle follows its pages, not its size", test_sparse_cycle },
	{ "max_hints caps the hint table; drops are counted", test_hint_cap },
	{ "default_domain=per_vm gives each new file its own domain", test_per_vm_default },
	{ "bad knob values: EINVAL, value unchanged", test_bad_knobs },
	{ "bad ioctl arguments: EINVAL, E2BIG, EBADF, ENOTTY, EFAULT", test_bad_ioctls },
};

int main(void)
{
	int n = sizeof(tests) / sizeof(tests[0]);
	bool ok;

	tap_plan(n);
	if (!mkdtemp(mnt) || mount("none", mnt, "kvmmem", 0, "size=64M")) {
		perror("mount kvmmem");
		return 1;
	}
	knob("pages_to_scan", "1000");
	knob("sleep_millisecs", "10");
	knob("/sys/kernel/tracing/events/kvmmem/enable", "1");
	for (int i = 0; i < n; i++) {
		ok = tests[i].fn();
		tap_result(ok, tests[i].name);
	}
	knob("/sys/kernel/tracing/events/kvmmem/enable", "0");
	knob("run", "2");
	knob("run", "0");
	knob("pages_to_scan", "100");
	knob("sleep_millisecs", "20");
	umount(mnt);
	rmdir(mnt);
	return tap_exit();
}
