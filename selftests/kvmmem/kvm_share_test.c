// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_share_test: page sharing between two real KVM guests.
 *
 * Two VMs, each with its own kvmmem file as guest RAM and one real-mode
 * vCPU, write the same pattern over the same guest-physical range.  The
 * scanner must merge those pages across the two files.  Then each guest
 * writes its own data over the shared pages: the vCPU first maps the
 * shared frames read-only (it reads them), so its writes fault through a
 * read-only nested PTE into KVM, which calls get_user_pages(FOLL_WRITE),
 * which reaches the module's page_mkwrite and its copy-on-write.  Each
 * guest must then read its own data and never the other's, and the host
 * must see the same through pread and the mmap.
 *
 * The guest code is a pair of hand-assembled 16-bit routines (checked
 * with objdump -m i8086); each ends with a 32-bit OUT on its own port,
 * which makes KVM_RUN return with KVM_EXIT_IO and the result in EAX.
 *
 * The scanner is global: the test owns it while it runs and leaves it
 * stopped with the default knobs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "tap.h"

#define PAGE		4096u
#define RAM_SIZE	(1u << 20)	/* each guest's file, all at GPA 0 */
#define CODE_GPA	0x1000u
#define FILL_IP		CODE_GPA
#define VERIFY_IP	(CODE_GPA + 0x40)
#define REGION_GPA	0x10000u	/* the pages the guests share */
#define NPAGES		32u		/* 128 KiB: two real-mode segments */
#define REGION_SIZE	(NPAGES * PAGE)
#define SEGMENT		0x10000u
#define COMMON_SEED	0x5a5a0000u	/* dword i of the region: seed + i */
#define SLACK		2		/* pages the scanner may leave unmerged */

enum { PORT_FILL = 0x20, PORT_VERIFY = 0x21 };

/*
 * fill: ES:[DI..] = EAX, EAX+1, EAX+2, ... for CX dwords.
 * Every dword is written, so every page takes a write fault.
 */
static const uint8_t fill_code[] = {
	0x66, 0xab,			/* 0: stosd		*/
	0x66, 0x40,			/* 2: inc eax		*/
	0xe2, 0xfa,			/* 4: loop 0		*/
	0x66, 0xe7, PORT_FILL,		/* 6: out PORT_FILL, eax */
	0xf4,				/* 9: hlt		*/
};

/*
 * verify: count the dwords of ES:[DI..] (CX of them) that differ from
 * EAX, EAX+1, ...; report the count.  Only reads: a shared frame is
 * mapped read-only into the guest.
 */
static const uint8_t verify_code[] = {
	0x66, 0x31, 0xd2,		/* 0: xor edx, edx	*/
	0x66, 0xaf,			/* 3: scasd		*/
	0x74, 0x02,			/* 5: je 9		*/
	0x66, 0x42,			/* 7: inc edx		*/
	0x66, 0x40,			/* 9: inc eax		*/
	0xe2, 0xf6,			/* b: loop 3		*/
	0x66, 0x89, 0xd0,		/* d: mov eax, edx	*/
	0x66, 0xe7, PORT_VERIFY,	/* 10: out PORT_VERIFY, eax */
	0xf4,				/* 13: hlt		*/
};

/* One VM: its guest-RAM file, the mapping KVM uses, and its vCPU. */
struct guest {
	const char *name;
	uint32_t own_seed;	/* what this guest writes in part (b) */
	char path[80];
	int file, vm, vcpu;
	uint8_t *ram;
	struct kvm_run *run;
	size_t run_size;
};

static int kvm = -1;
static char mnt[] = "/tmp/kvm-share-XXXXXX";
static bool mounted;
static struct guest guests[2] = {
	{ .name = "A", .own_seed = 0xa11c0000u, .file = -1, .vm = -1, .vcpu = -1 },
	{ .name = "B", .own_seed = 0xb0b00000u, .file = -1, .vm = -1, .vcpu = -1 },
};

/* --- sysfs ------------------------------------------------------------- */

/* Wait until the scanner has completed @scans more full scans. */
static bool converge(int scans)
{
	long target = counter("full_scans") + scans;

	for (int i = 0; i < 1200; i++) {
		if (counter("full_scans") >= target)
			return true;
		usleep(50000);
	}
	tap_diag("the scanner did not complete %d full scans in 60 s", scans);
	return false;
}

/* --- the vCPU runner --------------------------------------------------- */

/* Real mode with CS base 0, so RIP is the code's guest-physical address. */
static int vcpu_init_segments(struct guest *g)
{
	struct kvm_sregs sregs;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	return ioctl(g->vcpu, KVM_SET_SREGS, &sregs);
}

/* ES:DI = @gpa; the data of one call stays inside ES's 64 KiB. */
static int vcpu_set_args(struct guest *g, uint16_t ip, uint32_t gpa,
			 uint32_t eax, uint32_t count)
{
	struct kvm_regs regs = {
		.rip = ip, .rflags = 0x2,	/* DF clear: DI counts up */
		.rax = eax, .rcx = count, .rdi = gpa % SEGMENT,
	};
	struct kvm_sregs sregs;

	if (ioctl(g->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.es.base = gpa - gpa % SEGMENT;
	sregs.es.selector = sregs.es.base >> 4;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return -1;
	return ioctl(g->vcpu, KVM_SET_REGS, &regs);
}

/* KVM_RUN until the routine reports on @port; any other exit fails. */
static int vcpu_wait_out(struct guest *g, uint16_t port, uint32_t *eax)
{
	struct kvm_run *run = g->run;

	while (ioctl(g->vcpu, KVM_RUN, 0) < 0) {
		if (errno != EINTR && errno != EAGAIN) {
			tap_diag("%s: KVM_RUN: %s", g->name, strerror(errno));
			return -1;
		}
	}
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != port ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4) {
		tap_diag("%s: exit reason %u, port %#x; expected OUT to %#x",
			 g->name, run->exit_reason, run->io.port, port);
		return -1;
	}
	memcpy(eax, (uint8_t *)run + run->io.data_offset, 4);
	return 0;
}

static int guest_call(struct guest *g, uint16_t ip, uint16_t port,
		      uint32_t gpa, uint32_t eax, uint32_t count, uint32_t *out)
{
	/* CX = 0 would loop 65536 times, past the end of the segment. */
	if (!count || gpa % SEGMENT + count * 4ull > SEGMENT) {
		tap_diag("%s: bad call at %#x, %u dwords", g->name, gpa, count);
		return -1;
	}
	if (vcpu_set_args(g, ip, gpa, eax, count) < 0) {
		tap_diag("%s: setting registers: %s", g->name, strerror(errno));
		return -1;
	}
	return vcpu_wait_out(g, port, out);
}

/*
 * Run @ip over [@gpa, @gpa + @len) one segment at a time.  Returns the sum
 * of what the calls report (mismatches, for verify), or -1.
 */
static long guest_sweep(struct guest *g, uint16_t ip, uint16_t port,
			uint32_t gpa, uint32_t len, uint32_t seed)
{
	uint32_t end = gpa + len, out;
	long sum = 0;

	while (gpa < end) {
		uint32_t chunk = SEGMENT - gpa % SEGMENT;

		if (chunk > end - gpa)
			chunk = end - gpa;
		if (guest_call(g, ip, port, gpa, seed + (gpa - REGION_GPA) / 4,
			       chunk / 4, &out) < 0)
			return -1;
		sum += port == PORT_VERIFY ? out : 0;
		gpa += chunk;
	}
	return sum;
}

/* The guest writes seed + i to dword i of the region's [@gpa, +@len). */
static int guest_fill(struct guest *g, uint32_t gpa, uint32_t len,
		      uint32_t seed)
{
	return guest_sweep(g, FILL_IP, PORT_FILL, gpa, len, seed) < 0 ? -1 : 0;
}

/* How many dwords the guest finds different from seed + i; -1: failed. */
static long guest_verify(struct guest *g, uint32_t seed)
{
	return guest_sweep(g, VERIFY_IP, PORT_VERIFY, REGION_GPA, REGION_SIZE,
			   seed);
}

/* --- set-up and tear-down ---------------------------------------------- */

static int guest_file(struct guest *g)
{
	snprintf(g->path, sizeof(g->path), "%s/guest-%s", mnt, g->name);
	g->file = open(g->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (g->file < 0 || ftruncate(g->file, RAM_SIZE) < 0)
		return tap_diag("create %s: %s", g->path, strerror(errno)), -1;
	g->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->file, 0);
	if (g->ram == MAP_FAILED) {
		g->ram = NULL;
		return tap_diag("mmap %s: %s", g->path, strerror(errno)), -1;
	}
	memcpy(g->ram + FILL_IP, fill_code, sizeof(fill_code));
	memcpy(g->ram + VERIFY_IP, verify_code, sizeof(verify_code));
	return 0;
}

static int guest_vcpu(struct guest *g)
{
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	g->vcpu = ioctl(g->vm, KVM_CREATE_VCPU, 0);
	if (g->vcpu < 0 || size <= 0)
		return tap_diag("%s: vCPU: %s", g->name, strerror(errno)), -1;
	g->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu, 0);
	if (g->run == MAP_FAILED) {
		g->run = NULL;
		return tap_diag("%s: mmap kvm_run: %s", g->name, strerror(errno)), -1;
	}
	g->run_size = size;
	if (vcpu_init_segments(g) < 0)
		return tap_diag("%s: segments: %s", g->name, strerror(errno)), -1;
	return 0;
}

/* A VM whose guest RAM is @g's file, the way QEMU's memory backend does it. */
static int guest_create(struct guest *g)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE,
	};

	if (guest_file(g) < 0)
		return -1;
	g->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (g->vm < 0)
		return tap_diag("%s: KVM_CREATE_VM: %s", g->name, strerror(errno)), -1;
	/* Only VMX without unrestricted guest needs it; harmless elsewhere. */
	ioctl(g->vm, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	slot.userspace_addr = (uintptr_t)g->ram;
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		return tap_diag("%s: memory region: %s", g->name, strerror(errno)), -1;
	return guest_vcpu(g);
}

/* Undo guest_create; returns false if some step failed. */
static bool guest_destroy(struct guest *g)
{
	bool ok = true;

	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu >= 0)
		close(g->vcpu);
	if (g->vm >= 0)
		close(g->vm);
	if (g->ram && munmap(g->ram, RAM_SIZE) < 0)
		ok = false;
	if (g->file >= 0 && (close(g->file) < 0 || unlink(g->path) < 0))
		ok = false;
	g->run = NULL;
	g->ram = NULL;
	g->vcpu = -1;
	g->vm = -1;
	g->file = -1;
	return ok;
}

/* --- host-side checks -------------------------------------------------- */

static long mismatches(const uint32_t *words, uint32_t seed)
{
	long bad = 0;

	for (uint32_t i = 0; i < REGION_SIZE / 4; i++)
		bad += words[i] != seed + i;
	return bad;
}

/* Does the file hold seed + i in the region, by pread and by the mmap? */
static bool host_sees(struct guest *g, uint32_t seed)
{
	static uint32_t buf[REGION_SIZE / 4];
	long by_pread = -1, by_mmap;

	if (pread(g->file, buf, REGION_SIZE, REGION_GPA) == REGION_SIZE)
		by_pread = mismatches(buf, seed);
	by_mmap = mismatches((uint32_t *)(g->ram + REGION_GPA), seed);
	if (by_pread || by_mmap)
		tap_diag("%s: %ld dwords differ by pread, %ld by the mmap "
			 "(seed %#x)", g->name, by_pread, by_mmap, seed);
	return by_pread == 0 && by_mmap == 0;
}

/* --- the tests --------------------------------------------------------- */

static long sharing_before, cow_before;

static bool test_same_pattern(void)
{
	bool ok = true;

	for (int i = 0; i < 2; i++)
		ok &= guest_fill(&guests[i], REGION_GPA, REGION_SIZE,
				 COMMON_SEED) == 0;
	for (int i = 0; ok && i < 2; i++)
		ok &= host_sees(&guests[i], COMMON_SEED);
	return ok;
}

/* (a) The identical pages of the two files become shared frames. */
static bool test_merged(void)
{
	long alloc = counter("pages_allocated"), alloc_at_merge, gained;
	long sa, sb;
	bool ok;

	sharing_before = counter("pages_sharing");
	ok = knob("run", "1") == 0 && converge(3);
	/* Stopped, so (c) can count the copy-on-write breaks exactly. */
	knob("run", "0");
	gained = counter("pages_sharing") - sharing_before;
	alloc_at_merge = counter("pages_allocated");
	sa = file_counter(guests[0].file, "sharing");
	sb = file_counter(guests[1].file, "sharing");
	tap_diag("pages_sharing +%ld, pages_shared %ld, pages_allocated %ld -> %ld, "
		 "sharing A %ld B %ld, pages_scanned %ld, full_scans %ld",
		 gained, counter("pages_shared"), alloc, alloc_at_merge, sa, sb,
		 counter("pages_scanned"), counter("full_scans"));
	ok = ok && gained >= (long)NPAGES - SLACK;
	ok = ok && sa >= (long)NPAGES - SLACK && sb >= (long)NPAGES - SLACK;
	return ok && alloc - alloc_at_merge >= (long)NPAGES - SLACK;
}

/* Both vCPUs read the shared frames: now mapped read-only in their NPTs. */
static bool test_read_shared(void)
{
	bool ok = true;

	for (int i = 0; i < 2; i++) {
		long bad = guest_verify(&guests[i], COMMON_SEED);

		if (bad)
			tap_diag("%s: %ld dwords differ from the pattern", guests[i].name, bad);
		ok &= bad == 0;
	}
	return ok;
}

/*
 * (b) Each guest writes its own data over the shared pages.  In the first
 * segment A breaks the sharing first (it gets a copy, B then takes the
 * frame back as last sharer); in the second B goes first.
 */
static bool test_own_writes(void)
{
	struct guest *a = &guests[0], *b = &guests[1];
	uint32_t half = REGION_SIZE / 2, mid = REGION_GPA + half;
	bool ok;

	cow_before = counter("cow_breaks");
	ok = guest_fill(a, REGION_GPA, half, a->own_seed) == 0 &&
	     guest_fill(b, REGION_GPA, half, b->own_seed) == 0 &&
	     guest_fill(b, mid, half, b->own_seed) == 0 &&
	     guest_fill(a, mid, half, a->own_seed) == 0;
	for (int i = 0; ok && i < 2; i++) {
		struct guest *g = &guests[i], *other = &guests[1 - i];
		long own = guest_verify(g, g->own_seed);
		long theirs = guest_verify(g, other->own_seed);

		/* The second compare proves the first one can fail. */
		if (own || theirs != REGION_SIZE / 4)
			tap_diag("%s: %ld dwords differ from its own data, %ld "
				 "from %s's (want 0 and %u)", g->name, own,
				 theirs, other->name, REGION_SIZE / 4);
		ok = own == 0 && theirs == REGION_SIZE / 4;
	}
	return ok;
}

static bool test_host_sees_own(void)
{
	return host_sees(&guests[0], guests[0].own_seed) &&
	       host_sees(&guests[1], guests[1].own_seed);
}

/*
 * (c) Every merged page broke twice: a copy for the first writer, the
 * frame itself for the last sharer.  Only the code page stays shared.
 */
static bool test_cow_breaks(void)
{
	long breaks = counter("cow_breaks") - cow_before;
	long sa = file_counter(guests[0].file, "sharing");
	long sb = file_counter(guests[1].file, "sharing");

	tap_diag("cow_breaks +%ld (want %u), pages_sharing %ld (was %ld before "
		 "merging), sharing A %ld B %ld, pages_allocated %ld",
		 breaks, 2 * NPAGES, counter("pages_sharing"), sharing_before,
		 sa, sb, counter("pages_allocated"));
	return breaks >= 2 * ((long)NPAGES - SLACK) && breaks <= 2 * (long)NPAGES &&
	       sa >= 0 && sa <= 1 && sb >= 0 && sb <= 1;
}

static void restore_scanner(void)
{
	knob("run", "2");
	knob("run", "0");
	knob("pages_to_scan", "100");
	knob("sleep_millisecs", "20");
}

static bool teardown(void)
{
	bool ok = guest_destroy(&guests[0]);

	ok &= guest_destroy(&guests[1]);
	if (mounted && umount(mnt) < 0) {
		tap_diag("umount %s: %s", mnt, strerror(errno));
		ok = false;
	}
	mounted = false;
	rmdir(mnt);
	return ok;
}

/* (d) Nothing of ours is left in the module. */
static bool test_released(bool torn_down, long alloc_before, long files_before)
{
	long alloc = counter("pages_allocated"), files = counter("files");

	if (alloc != alloc_before || files != files_before)
		tap_diag("pages_allocated %ld (was %ld), files %ld (was %ld)",
			 alloc, alloc_before, files, files_before);
	return torn_down && alloc >= 0 && alloc == alloc_before &&
	       files == files_before;
}

static const struct {
	const char *name;
	bool (*run)(void);
} guest_tests[] = {
	{ "both guests write the same pattern; the host sees it in both files", test_same_pattern },
	{ "the scanner merges the two guests' identical pages", test_merged },
	{ "both guests read the pattern from the shared frames", test_read_shared },
	{ "each guest writes its own data over the shared pages and reads back its own, not the other's",
	  test_own_writes },
	{ "the host sees each guest's own data by pread and mmap", test_host_sees_own },
	{ "cow_breaks rose by two per merged page; sharing is gone", test_cow_breaks },
};

#define NR_GUEST_TESTS	((int)(sizeof(guest_tests) / sizeof(guest_tests[0])))
#define NR_TESTS	(NR_GUEST_TESTS + 1)	/* and test_released */

/*
 * Each test runs even if an earlier one failed: the copy-on-write checks
 * still say something about unmerged pages, and the log shows them all.
 */
static void run_guest_tests(void)
{
	for (int i = 0; i < NR_GUEST_TESTS; i++)
		tap_result(guest_tests[i].run(), guest_tests[i].name);
}

static int setup(void)
{
	if (!mkdtemp(mnt))
		return tap_diag("mkdtemp: %s", strerror(errno)), -1;
	if (mount("none", mnt, "kvmmem", 0, "size=64M") < 0)
		return tap_diag("mount kvmmem: %s", strerror(errno)), -1;
	mounted = true;
	/* Pages already resident elsewhere must not be merged into ours. */
	knob("run", "2");
	knob("run", "0");
	knob("pages_to_scan", "1000");
	knob("sleep_millisecs", "10");
	return guest_create(&guests[0]) < 0 || guest_create(&guests[1]) < 0 ? -1 : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	long alloc_before, files_before;
	double start = now();
	bool torn_down;

	tap_plan(NR_TESTS);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0 || ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		for (int i = 0; i < NR_TESTS; i++)
			tap_skip("kvm_share_test", "no usable /dev/kvm");
		return tap_exit();
	}
	alloc_before = counter("pages_allocated");
	files_before = counter("files");
	if (setup() == 0)
		run_guest_tests();
	restore_scanner();
	torn_down = teardown();
	while (tap_number < NR_GUEST_TESTS)
		tap_result(0, "guest test (set-up failed)");
	tap_result(test_released(torn_down, alloc_before, files_before),
		   "pages_allocated and files are back after teardown");
	close(kvm);
	tap_diag("wall time %.1f s", now() - start);
	return tap_exit();
}
