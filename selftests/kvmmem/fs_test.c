// SPDX-License-Identifier: GPL-2.0
/*
 * Filesystem behaviour of kvmmem, run inside the test VM with the module
 * loaded: mount options, file sizes, mmap, pread/pwrite, punch hole, the
 * size= budget, statfs/du and the sysfs counters.  Every check compares
 * data or counters against what the test itself did, so each can fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/kvmmem.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "tap.h"

#define PG 4096L
#define SYSFS "/sys/kernel/mm/kvmmem/"

static char mnt[] = "/tmp/kvmmem-fs-XXXXXX";
static sigjmp_buf sigbus_jmp;

static int make_file(const char *name, off_t size)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", mnt, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

static char *map_file(int fd, size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static long blocks_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : (long)st.st_blocks;
}

static bool range_is(int fd, off_t off, size_t len, int byte)
{
	char buf[PG];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		if (pread(fd, buf, n, off) != (ssize_t)n)
			return false;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != (char)byte)
				return false;
		off += n;
		len -= n;
	}
	return true;
}

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

/* Does a write to *p raise SIGBUS? */
static bool touch_sigbus(volatile char *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool bus = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1))
		bus = true;
	else
		*p = 1;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

static bool test_mount(void)
{
	struct statfs sfs;

	if (!expect(mount("none", mnt, KVMMEM_FS_NAME, 0,
			  "size=64M,mode=0711") == 0, "mount size=64M"))
		return false;
	return expect(statfs(mnt, &sfs) == 0, "statfs") &&
	       expect_eq(sfs.f_type, KVMMEM_SUPER_MAGIC, "f_type") &&
	       expect_eq(sfs.f_blocks * sfs.f_bsize, 64L << 20, "f_blocks*bsize");
}

static bool test_root_options(void)
{
	char dir[64] = "/tmp/kvmmem-opt-XXXXXX";
	struct stat st;
	bool ok;

	if (!mkdtemp(dir) || mount("none", dir, "kvmmem", 0,
				   "size=1M,mode=0750,uid=1234,gid=4321"))
		return expect(false, "mount with mode/uid/gid");
	ok = expect(stat(dir, &st) == 0, "stat root") &&
	     expect_eq(st.st_mode & 07777, 0750, "root mode") &&
	     expect_eq(st.st_uid, 1234, "root uid") &&
	     expect_eq(st.st_gid, 4321, "root gid");
	umount(dir);
	rmdir(dir);
	return ok;
}

/* As user nobody, can @path be opened (with @flags)?  Returns errno. */
static int nobody_open(const char *path, int flags)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(250);
		fd = open(path, flags, 0600);
		_exit(fd < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Without mode=, other local users get no way into guest RAM: the root is
 * 0770, and a file's numbers under backends/ are root's alone (0400).
 */
static bool test_default_privacy(void)
{
	char dir[64] = "/tmp/kvmmem-def-XXXXXX", path[128];
	struct stat st;
	bool ok;
	int fd;

	if (!mkdtemp(dir) || chmod(dir, 0755) || mount("none", dir, "kvmmem", 0, "size=1M"))
		return expect(false, "mount without mode=");
	snprintf(path, sizeof(path), "%s/vm", dir);
	fd = open(path, O_RDWR | O_CREAT, 0666);
	ok = expect(fd >= 0 && fstat(fd, &st) == 0, "root creates a world-writable file") &&
	     expect(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0770, "root mode 0770");
	ok = ok && expect_eq(nobody_open(path, O_RDWR), EACCES,
			     "nobody cannot open guest RAM, whatever the file's mode");
	ok = ok && expect(fstat(fd, &st) == 0, "stat the file");
	snprintf(path, sizeof(path), SYSFS "backends/%lu/sharing", (unsigned long)st.st_ino);
	ok = ok && expect(access(path, R_OK) == 0, "root reads backends/<ino>/sharing") &&
	     expect_eq(nobody_open(path, O_RDONLY), EACCES, "nobody cannot");
	close(fd);
	umount(dir);
	rmdir(dir);
	return ok;
}

/* Has the kernel log got a kvmmem line containing @needle? */
static bool kmsg_has(const char *needle)
{
	char rec[1024];
	bool found = false;
	ssize_t n;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		return false;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		if (strstr(rec, "kvmmem") && strstr(rec, needle))
			found = true;
	}
	close(fd);
	return found;
}

static bool test_bad_options(void)
{
	static const char *const bad[] = {
		"size=abc", "size=0", "size=101%", "size=1P", "mode=12345",
		"mode=9", "uid=4294967295", "nosuchoption=1", "size=",
		"nr_inodes=0", "nr_inodes=abc", "nr_inodes=-1",
	};
	char dir[64] = "/tmp/kvmmem-bad-XXXXXX";
	bool ok = true;

	if (!mkdtemp(dir))
		return false;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = mount("none", dir, "kvmmem", 0, bad[i]);

		if (r == 0) {
			umount(dir);
			tap_diag("mount -o %s was accepted", bad[i]);
			ok = false;
		} else if (errno != EINVAL) {
			tap_diag("mount -o %s: errno %d, want EINVAL", bad[i], errno);
			ok = false;
		}
	}
	rmdir(dir);
	return ok && expect(kmsg_has("size=abc"), "log line for size=abc");
}

static bool test_create_grow(void)
{
	long files = counter("files");
	int fd = make_file("grow", 0);
	struct stat st;
	bool ok;

	ok = expect(fd >= 0, "create") &&
	     expect_eq(counter("files"), files + 1, "files counter") &&
	     expect(ftruncate(fd, 8 * PG) == 0, "grow") &&
	     expect(fstat(fd, &st) == 0, "fstat") &&
	     expect_eq(st.st_size, 8 * PG, "size after grow") &&
	     expect_eq(st.st_blocks, 0, "blocks before touch") &&
	     expect(range_is(fd, 0, 8 * PG, 0), "holes read zero");
	close(fd);
	return ok;
}

static bool test_mmap_pread(void)
{
	long base = counter("pages_allocated"), faults = counter("faults");
	int fd = make_file("mmap", 16 * PG);
	char *p = map_file(fd, 16 * PG);
	char sysf[128];
	struct stat st;
	bool ok;

	if (!expect(fd >= 0 && p, "create+mmap"))
		return false;
	for (int i = 0; i < 16; i += 2)
		memset(p + i * PG, 'a' + i, PG);
	fstat(fd, &st);
	snprintf(sysf, sizeof(sysf), SYSFS "backends/%lu/resident", st.st_ino);
	ok = expect_eq(counter("pages_allocated") - base, 8, "pages_allocated delta") &&
	     expect(counter("faults") - faults >= 8, "faults counted") &&
	     expect_eq(blocks_of(fd), 8 * PG / 512, "st_blocks") &&
	     expect_eq(counter(sysf), 8, "sysfs resident");
	for (int i = 0; i < 16 && ok; i++)
		ok = expect(range_is(fd, i * PG, PG, i % 2 ? 0 : 'a' + i),
			    "pread sees mmap writes");
	munmap(p, 16 * PG);
	close(fd);
	return ok;
}

static bool test_pwrite_mmap(void)
{
	int fd = make_file("pwrite", PG);
	char buf[3 * PG], *p;
	bool ok;

	memset(buf, 'z', sizeof(buf));
	if (!expect(fd >= 0, "create"))
		return false;
	/* unaligned, across pages, extends the file */
	ok = expect_eq(pwrite(fd, buf, sizeof(buf), 100), sizeof(buf), "pwrite");
	ok = ok && expect_eq(lseek(fd, 0, SEEK_END), 3 * PG + 100, "extended size");
	p = map_file(fd, 4 * PG);
	ok = ok && expect(p != NULL, "mmap");
	ok = ok && expect(p[99] == 0 && p[100] == 'z' && p[3 * PG + 99] == 'z',
			  "mmap sees pwrite");
	if (p)
		munmap(p, 4 * PG);
	close(fd);
	return ok;
}

/* Every byte of [p, p + len) through the mapping: 0 if all are zero. */
static char mapped_or(volatile const char *p, size_t len)
{
	char acc = 0;

	for (size_t i = 0; i < len; i += 512)
		acc |= p[i];
	return acc;
}

/*
 * Reading guest memory through the mapping (a migration, a dump, KVM's
 * read faults) maps zeros and takes no frame, also where a balloon punched
 * pages out; and the zeros it mapped are the module's: a write to that
 * page gets a frame of its own while a pipe still holding the zeros (a
 * GUP reference, taken by vmsplice) keeps reading zeros.
 */
static bool test_read_takes_no_frame(void)
{
	const int pages = 256;
	long base = counter("pages_allocated");
	int fd = make_file("reader", pages * PG), pfd[2] = { -1, -1 };
	char *p = map_file(fd, pages * PG), buf[PG];
	struct iovec iov;
	bool ok;

	if (!expect(fd >= 0 && p && pipe(pfd) == 0, "create, mmap, pipe"))
		return false;
	memset(buf, 'b', PG);
	for (int i = 0; i < 16; i++)
		pwrite(fd, buf, PG, i * PG);
	ok = expect(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			      16 * PG) == 0, "punch the 16 written pages");
	ok = ok && expect(mapped_or(p, pages * PG) == 0, "every page reads zero") &&
	     expect_eq(blocks_of(fd), 0, "st_blocks after reading every page") &&
	     expect_eq(file_counter(fd, "resident"), 0, "resident after reading") &&
	     expect_eq(counter("pages_allocated") - base, 0,
		       "pages_allocated after reading");
	iov.iov_base = p + 20 * PG;
	iov.iov_len = PG;
	ok = ok && expect_eq(vmsplice(pfd[1], &iov, 1, 0), PG,
			     "vmsplice a page read as zeros");
	p[20 * PG + 5] = 'w';
	ok = ok && expect_eq(read(pfd[0], buf, PG), PG, "read the pipe") &&
	     expect(!memchr(buf, 'w', PG) && buf[5] == 0,
		    "the pipe still reads zeros after the write") &&
	     expect(mapped_or(p + 21 * PG, PG) == 0, "other holes still read zero") &&
	     expect(range_is(fd, 20 * PG + 5, 1, 'w'), "pread sees the write") &&
	     expect_eq(blocks_of(fd), PG / 512, "the write took one frame");
	close(pfd[0]);
	close(pfd[1]);
	munmap(p, pages * PG);
	close(fd);
	return ok;
}

/*
 * A page read as zeros through one mapping is then written by pwrite, by
 * another mapping, by another process and by the mapping itself: the
 * first mapping must see each write, never the zeros it mapped before.
 */
static bool test_zeros_give_way(void)
{
	int fd = make_file("zeros", 8 * PG), status = -1;
	char *p = map_file(fd, 8 * PG), *q = map_file(fd, 8 * PG);
	volatile char *v = p;
	bool ok;
	pid_t pid;

	if (!expect(fd >= 0 && p && q, "create and map twice"))
		return false;
	ok = expect(mapped_or(v, 8 * PG) == 0, "holes read zero");
	ok = ok && expect_eq(pwrite(fd, "P", 1, 0), 1, "pwrite page 0") &&
	     expect(v[0] == 'P', "the mapping sees pwrite");
	q[PG] = 'Q';
	ok = ok && expect(v[PG] == 'Q', "the mapping sees another mapping's write");
	pid = fork();
	if (pid == 0) {
		char *c = map_file(fd, 8 * PG);

		if (c)
			c[2 * PG] = 'C';
		_exit(!c);
	}
	ok = ok && expect(pid > 0 && waitpid(pid, &status, 0) == pid &&
			  WIFEXITED(status) && !WEXITSTATUS(status), "child writes page 2") &&
	     expect(v[2 * PG] == 'C', "the mapping sees another process's write");
	p[3 * PG] = 'S';
	ok = ok && expect(range_is(fd, 3 * PG, 1, 'S'), "pread sees the mapping's own write") &&
	     expect(q[3 * PG] == 'S', "the other mapping sees it") &&
	     expect(mapped_or(v + 4 * PG, 4 * PG) == 0, "the rest still reads zero") &&
	     expect_eq(blocks_of(fd), 4 * PG / 512, "four written pages, four frames");
	munmap(q, 8 * PG);
	munmap(p, 8 * PG);
	close(fd);
	return ok;
}

static bool test_two_processes(void)
{
	int fd = make_file("shared", 4 * PG);
	char *p = map_file(fd, 4 * PG);
	int status;
	pid_t pid;

	if (!expect(fd >= 0 && p, "create+mmap"))
		return false;
	p[0] = 'P';
	pid = fork();
	if (pid == 0) {
		/* VM_DONTCOPY: the child maps the file itself */
		char *c = map_file(fd, 4 * PG);

		if (!c || c[0] != 'P')
			_exit(1);
		c[PG] = 'C';
		_exit(0);
	}
	waitpid(pid, &status, 0);
	bool ok = expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			 "child saw parent's write") &&
		  expect(p[PG] == 'C', "parent sees child's write");
	munmap(p, 4 * PG);
	close(fd);
	return ok;
}

static bool test_shrink(void)
{
	int fd = make_file("shrink", 32 * PG);
	char *p = map_file(fd, 32 * PG);
	long base, freed;
	bool ok;

	if (!expect(fd >= 0 && p, "create+mmap"))
		return false;
	memset(p, 0x5a, 32 * PG);
	base = counter("pages_allocated");
	freed = counter("pages_freed_by_truncate");
	/* shrink to mid-page: the tail of page 10 must read zero after regrow */
	ok = expect(ftruncate(fd, 10 * PG + 123) == 0, "shrink");
	ok = ok && expect_eq(base - counter("pages_allocated"), 21, "frames freed");
	ok = ok && expect_eq(counter("pages_freed_by_truncate") - freed, 21,
			     "pages_freed_by_truncate");
	ok = ok && expect_eq(blocks_of(fd), 11 * PG / 512, "st_blocks after shrink");
	ok = ok && expect(touch_sigbus(p + 12 * PG), "SIGBUS past new EOF");
	ok = ok && expect(ftruncate(fd, 32 * PG) == 0, "regrow");
	ok = ok && expect(range_is(fd, 0, 10 * PG + 123, 0x5a), "kept data");
	ok = ok && expect(range_is(fd, 10 * PG + 123, 22 * PG - 123, 0),
			  "regrown range reads zero");
	ok = ok && expect(p[20 * PG] == 0 && p[10 * PG + 200] == 0,
			  "mapping reads zero after regrow");
	munmap(p, 32 * PG);
	close(fd);
	return ok;
}

static bool test_punch_hole(void)
{
	int fd = make_file("punch", 16 * PG);
	char *p = map_file(fd, 16 * PG);
	long base, punched;
	bool ok;

	if (!expect(fd >= 0 && p, "create+mmap"))
		return false;
	memset(p, 0x77, 16 * PG);
	base = counter("pages_allocated");
	punched = counter("pages_freed_by_punch");
	/* pages 4..7 whole, plus half of page 3 and 100 bytes of page 8 */
	ok = expect(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      3 * PG + PG / 2, 4 * PG + PG / 2 + 100) == 0, "punch");
	ok = ok && expect_eq(counter("pages_freed_by_punch") - punched, 4,
			     "pages_freed_by_punch");
	ok = ok && expect_eq(base - counter("pages_allocated"), 4, "frames freed");
	ok = ok && expect(range_is(fd, 3 * PG + PG / 2, 4 * PG + PG / 2 + 100, 0),
			  "hole reads zero (pread)");
	ok = ok && expect(p[5 * PG] == 0 && p[3 * PG + PG / 2] == 0 &&
			  p[8 * PG + 99] == 0, "hole reads zero (mmap)");
	ok = ok && expect(range_is(fd, 0, 3 * PG + PG / 2, 0x77) &&
			  range_is(fd, 8 * PG + 100, 8 * PG - 100, 0x77),
			  "data around the hole kept");
	ok = ok && expect_eq(lseek(fd, 0, SEEK_END), 16 * PG, "size kept");
	ok = ok && expect(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, PG) == -1 &&
			  errno == EOPNOTSUPP, "unsupported mode: EOPNOTSUPP");
	munmap(p, 16 * PG);
	close(fd);
	return ok;
}

static bool test_preallocate(void)
{
	long base = counter("pages_allocated");
	int fd = make_file("prealloc", 0);
	bool ok;

	ok = expect(fd >= 0, "create") &&
	     expect(fallocate(fd, 0, 0, 8 * PG) == 0, "fallocate mode 0") &&
	     expect_eq(counter("pages_allocated") - base, 8, "frames allocated") &&
	     expect_eq(lseek(fd, 0, SEEK_END), 8 * PG, "size set");
	/* past EOF a frame is reachable by nothing, and escapes admission */
	ok = ok && expect(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * PG, 1000 * PG) == 0,
			  "fallocate KEEP_SIZE across EOF") &&
	     expect_eq(counter("pages_allocated") - base, 8, "no frame past EOF") &&
	     expect_eq(blocks_of(fd), 8 * PG / 512, "st_blocks unchanged") &&
	     expect_eq(lseek(fd, 0, SEEK_END), 8 * PG, "size kept");
	close(fd);
	return ok;
}

static bool test_sigbus_past_eof(void)
{
	int fd = make_file("eof", 2 * PG);
	char *p = map_file(fd, 4 * PG);
	bool ok;

	ok = expect(p != NULL, "mmap beyond EOF") &&
	     expect(!touch_sigbus(p + PG), "inside EOF works") &&
	     expect(touch_sigbus(p + 2 * PG), "SIGBUS past EOF");
	if (p)
		munmap(p, 4 * PG);
	close(fd);
	return ok;
}

static bool test_map_private(void)
{
	int fd = make_file("private", PG);
	void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	bool ok = expect(p == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE EINVAL");

	if (p != MAP_FAILED)
		munmap(p, PG);
	close(fd);
	return ok && expect(kmsg_has("MAP_PRIVATE"), "log line for MAP_PRIVATE");
}

static bool test_unlink_mapped(void)
{
	long base = counter("pages_allocated"), files = counter("files");
	int fd = make_file("unlinked", 8 * PG);
	char *p = map_file(fd, 8 * PG), path[256];
	bool ok;

	if (!expect(fd >= 0 && p, "create+mmap"))
		return false;
	memset(p, 0x3c, 8 * PG);
	close(fd);
	snprintf(path, sizeof(path), "%s/unlinked", mnt);
	ok = expect(unlink(path) == 0, "unlink");
	ok = ok && expect(p[7 * PG] == 0x3c && p[0] == 0x3c, "data kept while mapped");
	ok = ok && expect_eq(counter("pages_allocated") - base, 8, "frames kept");
	munmap(p, 8 * PG);
	ok = ok && expect_eq(counter("pages_allocated"), base, "freed after munmap");
	ok = ok && expect_eq(counter("files"), files, "files counter back");
	return ok;
}

static bool test_directories(void)
{
	char d[256], f[256], g[256];
	int fd;
	bool ok;

	snprintf(d, sizeof(d), "%s/vms", mnt);
	snprintf(f, sizeof(f), "%s/vms/a", mnt);
	snprintf(g, sizeof(g), "%s/vms/b", mnt);
	ok = expect(mkdir(d, 0700) == 0, "mkdir");
	fd = open(f, O_RDWR | O_CREAT, 0600);
	ok = ok && expect(fd >= 0 && ftruncate(fd, PG) == 0, "file in subdir");
	ok = ok && expect(pwrite(fd, "x", 1, 0) == 1, "write in subdir");
	close(fd);
	ok = ok && expect(rename(f, g) == 0, "rename");
	ok = ok && expect(rmdir(d) == -1 && errno == ENOTEMPTY, "rmdir non-empty");
	ok = ok && expect(unlink(g) == 0 && rmdir(d) == 0, "unlink+rmdir");
	ok = ok && expect(mknod(f, S_IFIFO | 0600, 0) == -1, "no fifos");
	return ok;
}

/* statfs used blocks == sum of st_blocks == the mount's share of frames */
static bool test_statfs_du(void)
{
	struct statfs sfs;
	long used_before, alloc = counter("pages_allocated");
	int fd = make_file("du", 10 * PG);
	char *p = map_file(fd, 10 * PG);
	bool ok;

	statfs(mnt, &sfs);
	used_before = sfs.f_blocks - sfs.f_bfree;
	for (int i = 0; i < 10; i += 3)
		p[i * PG] = 1;
	ok = expect(statfs(mnt, &sfs) == 0, "statfs") &&
	     expect_eq(sfs.f_blocks - sfs.f_bfree - used_before, 4, "statfs used") &&
	     expect_eq(blocks_of(fd) / 8, 4, "du") &&
	     expect_eq(counter("pages_allocated") - alloc, 4, "pages_allocated");
	munmap(p, 10 * PG);
	close(fd);
	return ok;
}

static bool test_size_limit(void)
{
	char dir[64] = "/tmp/kvmmem-lim-XXXXXX", path[128], buf[PG];
	long fails = counter("alloc_failures");
	struct statfs sfs;
	bool ok;
	char *p;
	int fd;

	if (!mkdtemp(dir) || mount("none", dir, "kvmmem", 0, "size=64k"))
		return expect(false, "mount size=64k");
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ok = expect(fd >= 0 && ftruncate(fd, 32 * PG) == 0, "file larger than mount");
	p = map_file(fd, 32 * PG);
	ok = ok && expect(p != NULL, "mmap");
	for (int i = 0; ok && i < 16; i++)
		ok = expect(!touch_sigbus(p + i * PG), "touch within size=");
	ok = ok && expect(touch_sigbus(p + 16 * PG), "SIGBUS when full");
	memset(buf, 1, sizeof(buf));
	ok = ok && expect(pwrite(fd, buf, PG, 20 * PG) == -1 && errno == ENOSPC,
			  "pwrite ENOSPC when full");
	ok = ok && expect(counter("alloc_failures") - fails >= 2, "alloc_failures");
	ok = ok && expect(statfs(dir, &sfs) == 0 && sfs.f_bfree == 0 &&
			  sfs.f_blocks == 16, "statfs full");
	ok = ok && expect_eq(blocks_of(fd), 16 * 8, "du = size=");
	ok = ok && expect(kmsg_has("mount full"), "log line when full");
	if (p)
		munmap(p, 32 * PG);
	close(fd);
	umount(dir);
	rmdir(dir);
	return ok;
}

/*
 * Frames that a pipe still holds after their pages were punched stay
 * charged to the mount until the pipe lets go: a user must not get past
 * size= by vmsplicing its guest memory and punching it, over and over.
 */
static bool test_held_frames_charged(void)
{
	char dir[64] = "/tmp/kvmmem-held-XXXXXX", path[128], buf[PG];
	long base = counter("pages_allocated");
	int fd = -1, pfd[2] = { -1, -1 };
	struct statfs sfs;
	struct iovec iov;
	bool ok;
	char *p = NULL;

	if (!mkdtemp(dir) || mount("none", dir, "kvmmem", 0, "size=64k"))
		return expect(false, "mount size=64k");
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ok = expect(fd >= 0 && ftruncate(fd, 32 * PG) == 0, "create") &&
	     expect((p = map_file(fd, 32 * PG)) != NULL, "mmap") &&
	     expect(pipe(pfd) == 0 && fcntl(pfd[1], F_SETPIPE_SZ, 16 * PG) >= 16 * PG,
		    "a pipe of 16 pages");
	for (int i = 0; ok && i < 8; i++)
		p[i * PG] = 'h';
	iov.iov_base = p;
	iov.iov_len = 8 * PG;
	ok = ok && expect_eq(vmsplice(pfd[1], &iov, 1, 0), 8 * PG,
			     "vmsplice 8 written pages") &&
	     expect(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			      8 * PG) == 0, "punch them") &&
	     expect(statfs(dir, &sfs) == 0 && sfs.f_bfree == 8,
		    "the pipe's 8 frames still count in statfs");
	memset(buf, 'n', sizeof(buf));
	for (int i = 8; ok && i < 16; i++)
		ok = expect(pwrite(fd, buf, PG, i * PG) == PG, "8 more pages fit");
	ok = ok && expect(pwrite(fd, buf, PG, 16 * PG) == -1 && errno == ENOSPC,
			  "the 17th does not: ENOSPC") &&
	     expect(read(pfd[0], buf, PG) == PG && buf[0] == 'h', "the pipe reads its page");
	for (int i = 1; ok && i < 8; i++)
		ok = expect(read(pfd[0], buf, PG) == PG && buf[0] == 'h',
			    "the pipe reads its pages");
	close(pfd[0]);
	close(pfd[1]);
	pfd[0] = pfd[1] = -1;
	memset(buf, 'n', sizeof(buf));
	ok = ok && expect(pwrite(fd, buf, PG, 16 * PG) == PG,
			  "room again once the pipe is drained");
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	if (p)
		munmap(p, 32 * PG);
	if (fd >= 0)
		close(fd);
	ok = expect(umount(dir) == 0, "umount") && ok &&
	     expect_eq(counter("pages_allocated"), base, "pages_allocated after umount");
	rmdir(dir);
	return ok;
}

/*
 * nr_inodes= bounds a mount's files and directories (each file costs a
 * sysfs directory, a global registry id and scan work, even empty): the
 * one past it is ENOSPC, statfs shows the count, a remount cannot go below
 * what is in use, and freeing one makes room.
 */
static bool test_nr_inodes(void)
{
	char dir[64] = "/tmp/kvmmem-ino-XXXXXX", path[128];
	struct statfs sfs;
	int fds[3];
	bool ok;

	if (!mkdtemp(dir) || mount("none", dir, "kvmmem", 0, "size=64k,nr_inodes=4"))
		return expect(false, "mount nr_inodes=4");
	ok = true;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		fds[i] = open(path, O_RDWR | O_CREAT, 0600);
		ok = ok && expect(fds[i] >= 0, "root and three files fit");
	}
	snprintf(path, sizeof(path), "%s/f3", dir);
	ok = ok && expect(open(path, O_RDWR | O_CREAT, 0600) == -1 && errno == ENOSPC,
			  "a fourth file: ENOSPC") &&
	     expect(mkdir(path, 0700) == -1 && errno == ENOSPC, "a directory: ENOSPC") &&
	     expect(statfs(dir, &sfs) == 0 && sfs.f_files == 4 && sfs.f_ffree == 0,
		    "statfs: 4 inodes, none free") &&
	     expect(mount("none", dir, "kvmmem", MS_REMOUNT, "nr_inodes=3") == -1 &&
		    errno == EINVAL, "remount below the 4 in use: EINVAL") &&
	     expect(kmsg_has("nr_inodes="), "log lines");
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	snprintf(path, sizeof(path), "%s/f0", dir);
	ok = ok && expect(unlink(path) == 0, "unlink one");
	snprintf(path, sizeof(path), "%s/f3", dir);
	ok = ok && expect((fds[0] = open(path, O_RDWR | O_CREAT, 0600)) >= 0,
			  "room again after the unlink");
	if (fds[0] >= 0)
		close(fds[0]);
	ok = ok && expect(mount("none", dir, "kvmmem", MS_REMOUNT, "nr_inodes=8") == 0 &&
			  statfs(dir, &sfs) == 0 && sfs.f_files == 8, "remount to 8");
	umount(dir);
	rmdir(dir);
	return ok;
}

/* The "slab" line of a cgroup's memory.stat, in bytes; -1 without it. */
static long memcg_slab(const char *cg)
{
	char path[256], line[128];
	long slab = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", cg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "slab %ld", &slab) == 1)
			break;
	fclose(f);
	return slab;
}

static bool write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	bool ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* In its own cgroup, fault in @pages pages of a new file between two syncs. */
static void memcg_child(const char *cg, const char *path, long pages,
			int to_parent, int from_parent)
{
	char pid[16], procs[300], c = 0;
	char *p;
	int fd;

	snprintf(pid, sizeof(pid), "%d", getpid());
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	if (!write_str(procs, pid))
		_exit(1);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, pages * PG) || !(p = map_file(fd, pages * PG)))
		_exit(2);
	if (write(to_parent, &c, 1) != 1 || read(from_parent, &c, 1) != 1)
		_exit(3);
	for (long i = 0; i < pages; i++)
		p[i * PG] = 1;
	if (write(to_parent, &c, 1) != 1 || read(from_parent, &c, 1) != 1)
		_exit(4);
	_exit(0);
}

/*
 * A VM's pmap is charged to its memory cgroup: faulting in 32768 pages
 * grows the cgroup's slab by the xarray nodes that map them (512 leaves
 * of 576 bytes and their parents), not just by the frames.
 */
static bool test_memcg_charges_pmap(void)
{
	const char *root = "/sys/fs/cgroup", *cg = "/sys/fs/cgroup/kvmmem-fs-test";
	char dir[64] = "/tmp/kvmmem-cg-XXXXXX", path[128], c = 0;
	const long pages = 32768;
	int up[2], down[2], status = -1;
	long before = -1, after = -1;
	bool ok;
	pid_t pid;

	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		mount("none", root, "cgroup2", 0, NULL);
	write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	rmdir(cg);
	ok = expect(mkdir(cg, 0755) == 0 && memcg_slab(cg) >= 0, "a memory cgroup") &&
	     expect(mkdtemp(dir) && !mount("none", dir, "kvmmem", 0, "size=256M"),
		    "a 256 MiB mount") &&
	     expect(pipe(up) == 0 && pipe(down) == 0, "pipes");
	if (!ok)
		return false;
	snprintf(path, sizeof(path), "%s/vm", dir);
	pid = fork();
	if (pid == 0)
		memcg_child(cg, path, pages, up[1], down[0]);
	if (pid > 0 && read(up[0], &c, 1) == 1) {
		before = memcg_slab(cg);
		if (write(down[1], &c, 1) == 1 && read(up[0], &c, 1) == 1)
			after = memcg_slab(cg);
		if (write(down[1], &c, 1) != 1)
			kill(pid, SIGKILL);
	}
	ok = expect(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    !WEXITSTATUS(status), "the child faulted its pages in");
	tap_diag("cgroup slab: %ld before, %ld after faulting %ld pages", before,
		 after, pages);
	ok = ok && expect(before >= 0 && after - before >= 200 * 1024,
			  "slab grew by the pmap's nodes (at least 200 KiB)");
	umount(dir);
	rmdir(dir);
	rmdir(cg);
	return ok;
}

/*
 * A file's inode number is its registry id plus one, the name of its
 * sysfs directory: unique among live files for as long as they live (the
 * system-wide get_next_ino() counter wraps after 2^32 inodes, and a
 * second file with a live file's number could not get its directory).
 * Directories number from 2^32, apart from files.
 */
static bool test_inode_numbers(void)
{
	char path[256], sysdir[128];
	struct stat st[4], d;
	int fds[4];
	bool ok = true;

	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/ino%d", mnt, i);
		fds[i] = open(path, O_RDWR | O_CREAT, 0600);
		ok = ok && expect(fds[i] >= 0 && !fstat(fds[i], &st[i]), "create");
		snprintf(sysdir, sizeof(sysdir), SYSFS "backends/%lu",
			 (unsigned long)st[i].st_ino);
		ok = ok && expect(st[i].st_ino >= 1 && st[i].st_ino <= 65535,
				  "a file's number is a registry id + 1") &&
		     expect(!access(sysdir, F_OK), "backends/<st_ino> exists");
		for (int j = 0; ok && j < i; j++)
			ok = expect(st[i].st_ino != st[j].st_ino, "distinct");
	}
	ok = ok && expect(!stat(mnt, &d) && d.st_ino > 0xffffffffUL,
			  "directories number from 2^32");
	for (int i = 0; i < 4; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		snprintf(path, sizeof(path), "%s/ino%d", mnt, i);
		unlink(path);
	}
	return ok;
}

#define RACE_PAGES 64

struct race {
	int fd;
	volatile char *map, *reader_map;
	volatile int stop;
	unsigned long writes, punches, reads;
};

static void *race_writer(void *arg)
{
	struct race *r = arg;
	unsigned int seed = 1;

	while (!r->stop) {
		r->map[(rand_r(&seed) % RACE_PAGES) * PG + 8] = (char)seed;
		r->writes++;
	}
	return NULL;
}

/* Read faults on holes map zeros, which the writes must displace. */
static void *race_reader(void *arg)
{
	struct race *r = arg;
	unsigned int seed = 3;
	char sink = 0;

	while (!r->stop) {
		sink ^= r->reader_map[(rand_r(&seed) % RACE_PAGES) * PG + 8];
		r->reads++;
	}
	return (void *)(long)sink;
}

static void *race_puncher(void *arg)
{
	struct race *r = arg;
	unsigned int seed = 2;
	char byte = 1;

	while (!r->stop) {
		off_t page = rand_r(&seed) % RACE_PAGES;

		if (seed & 1) {
			fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  page * PG, (1 + seed % 4) * PG);
			r->punches++;
		} else {
			pwrite(r->fd, &byte, 1, page * PG + 16);
		}
	}
	return NULL;
}

/* After the race, the mappings and the file must agree on every page. */
static bool race_views_agree(struct race *r)
{
	char buf[PG];

	for (int i = 0; i < RACE_PAGES; i++) {
		memset(buf, 'a' + i % 26, PG);
		if (pwrite(r->fd, buf, PG, i * PG) != PG ||
		    r->reader_map[i * PG + 8] != 'a' + i % 26 ||
		    r->map[i * PG + 8] != 'a' + i % 26) {
			tap_diag("page %d: a mapping does not see pwrite", i);
			return false;
		}
	}

	for (int i = 0; i < RACE_PAGES; i++)
		memset((char *)r->map + i * PG, 'A' + i % 26, PG);
	for (int i = 0; i < RACE_PAGES; i++) {
		if (pread(r->fd, buf, PG, i * PG) != PG || buf[0] != 'A' + i % 26 ||
		    buf[PG - 1] != 'A' + i % 26) {
			tap_diag("page %d: file and mapping disagree", i);
			return false;
		}
	}
	return expect_eq(blocks_of(r->fd), RACE_PAGES * PG / 512,
			 "every page resident once");
}

static bool test_race_fault_punch(void)
{
	struct race r = { .fd = make_file("race", RACE_PAGES * PG) };
	pthread_t writer, puncher, reader;
	bool ok;

	r.map = map_file(r.fd, RACE_PAGES * PG);
	r.reader_map = map_file(r.fd, RACE_PAGES * PG);
	if (!expect(r.fd >= 0 && r.map && r.reader_map, "create+mmap"))
		return false;
	pthread_create(&writer, NULL, race_writer, &r);
	pthread_create(&puncher, NULL, race_puncher, &r);
	pthread_create(&reader, NULL, race_reader, &r);
	sleep(2);
	r.stop = 1;
	pthread_join(writer, NULL);
	pthread_join(puncher, NULL);
	pthread_join(reader, NULL);
	tap_diag("race: %lu mapped writes, %lu punches, %lu mapped reads",
		 r.writes, r.punches, r.reads);
	ok = expect(r.punches > 100, "enough punches to race") &&
	     race_views_agree(&r);
	munmap((void *)r.reader_map, RACE_PAGES * PG);
	munmap((void *)r.map, RACE_PAGES * PG);
	close(r.fd);
	return ok;
}

/*
 * A write by a user other than root drops setuid and setgid, as on any
 * filesystem: a writable setuid file must not keep its bits through a
 * write that changed its contents.
 */
static bool test_write_drops_suid(void)
{
	int fd = make_file("suid", PG), status = -1;
	char path[256];
	struct stat st;
	pid_t pid;
	bool ok;

	snprintf(path, sizeof(path), "%s/suid", mnt);
	ok = expect(fd >= 0, "create") &&
	     expect(chmod(mnt, 0777) == 0 && fchmod(fd, 06777) == 0, "chmod 06777");
	if (!ok)
		return false;
	pid = fork();
	if (pid == 0) {
		int wfd;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		wfd = open(path, O_WRONLY);
		_exit(wfd < 0 || pwrite(wfd, "x", 1, 0) != 1);
	}
	ok = expect(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0, "user nobody writes the file") &&
	     expect(fstat(fd, &st) == 0 && !(st.st_mode & (S_ISUID | S_ISGID)),
		    "setuid and setgid are gone after the write");
	close(fd);
	unlink(path);
	chmod(mnt, 0700);
	return ok;
}

static bool test_umount_frees(void)
{
	long files;

	if (!expect(umount(mnt) == 0, "umount"))
		return false;
	files = counter("files");
	rmdir(mnt);
	return expect_eq(counter("pages_allocated"), 0, "pages_allocated after umount") &&
	       expect_eq(files, 0, "files after umount");
}

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
	{ "mount: size= and statfs magic", test_mount },
	{ "mount: mode/uid/gid apply to the root", test_root_options },
	{ "mount: bad options give EINVAL and a log line", test_bad_options },
	{ "defaults keep other users out: root 0770, backends/ files 0400", test_default_privacy },
	{ "file: create and grow, holes read zero", test_create_grow },
	{ "mmap writes are seen by pread; counters and st_blocks", test_mmap_pread },
	{ "pwrite is seen by mmap; pwrite past EOF extends", test_pwrite_mmap },
	{ "two processes mapping one file see each other's writes", test_two_processes },
	{ "reads through the mapping take no frame; writes never reach the zeros", test_read_takes_no_frame },
	{ "zeros mapped by a read give way to every later write", test_zeros_give_way },
	{ "shrink frees frames; regrown range reads zero", test_shrink },
	{ "punch hole frees frames and reads zero", test_punch_hole },
	{ "fallocate preallocates frames, none past EOF with KEEP_SIZE", test_preallocate },
	{ "access past EOF gives SIGBUS", test_sigbus_past_eof },
	{ "MAP_PRIVATE gives EINVAL", test_map_private },
	{ "unlink while mapped keeps memory until munmap", test_unlink_mapped },
	{ "directories: mkdir, rename, rmdir", test_directories },
	{ "statfs, du and pages_allocated agree", test_statfs_du },
	{ "size= enforced: SIGBUS on fault, ENOSPC on write", test_size_limit },
	{ "frames a pipe still holds stay charged to size=", test_held_frames_charged },
	{ "nr_inodes= bounds a mount's files: ENOSPC, statfs, remount", test_nr_inodes },
	{ "a VM's pmap is charged to its memory cgroup", test_memcg_charges_pmap },
	{ "inode numbers: a file's is its registry id + 1, its sysfs name", test_inode_numbers },
	{ "race: reads, writes, punch hole, pwrite keep one view", test_race_fault_punch },
	{ "a write by another user drops setuid and setgid", test_write_drops_suid },
	{ "umount frees every frame", test_umount_frees },
};

int main(void)
{
	int n = sizeof(tests) / sizeof(tests[0]);

	tap_plan(n);
	if (!mkdtemp(mnt)) {
		perror("mkdtemp");
		return 1;
	}
	for (int i = 0; i < n; i++)
		tap_result(tests[i].fn(), tests[i].name);
	return tap_exit();
}
