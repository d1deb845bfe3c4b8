// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_test: run a real vCPU on kvmmem-backed guest memory.
 *
 * A kvmmem file is mmap()ed MAP_SHARED and handed to KVM as guest RAM
 * (KVM_SET_USER_MEMORY_REGION), the way QEMU does with
 * memory-backend-file.  One vCPU runs three tiny hand-assembled 16-bit
 * real-mode routines (fill, compare, read); the host picks a routine by
 * setting RIP and its arguments in registers, and the routine reports
 * back with a 32-bit OUT, which ends KVM_RUN with KVM_EXIT_IO.
 *
 * What is checked is the contract between the module and KVM's MMU
 * notifier: pages the guest already has in its nested page tables must
 * disappear when the host punches a hole (no stale NPT/EPT entry reading
 * a freed frame) and must show host pwrite()s.  The sysfs counters must
 * account for exactly what was done.
 *
 * `kvm_test -f tmpfs` runs the same guest tests on tmpfs, which has the
 * same MAP_SHARED semantics; the kvmmem counter tests are skipped then.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "tap.h"

#define PAGE		4096u
#define MEM_SIZE	(2u << 20)	/* the file, all of it guest RAM at GPA 0 */
#define CODE_GPA	0x1000u		/* the routines, one per 32 bytes */
#define PAT_GPA		0x10000u	/* 64 KiB pattern: one real-mode segment */
#define PAT_SIZE	0x10000u
#define PAT_SEED	0x5eed0000u	/* dword i of the pattern holds SEED + i */
#define HOLE_GPA	(PAT_GPA + 4 * PAGE)	/* pattern pages 4..7 are punched */
#define HOLE_SIZE	(4 * PAGE)
#define NEW_SEED	0xc0de0000u	/* what the host pwrite()s */
#define SYSFS_DIR	"/sys/kernel/mm/kvmmem/"
#define NR_GUEST_TESTS	7
#define NR_TESTS	(NR_GUEST_TESTS + 3)

/*
 * The routines are 16-bit code (checked with objdump -m i8086): the 0x66
 * prefix gives an instruction 32-bit operands, and string instructions
 * and LOOP use DI and CX.  Each reports on its own port, so a stray run
 * is noticed.
 */
enum { PORT_FILL = 0x10, PORT_CMP = 0x11, PORT_READ = 0x12 };

/*
 * fill: ES:[DI..] = EAX, EAX+EBX, EAX+2*EBX, ... for CX dwords.
 * Writing every dword makes the guest fault each page in writable.
 */
static const uint8_t fill_code[] = {
	0x66, 0xab,		/* 0: stosd           ES:[DI] = EAX, DI += 4 */
	0x66, 0x01, 0xd8,	/* 2: add eax, ebx    next pattern value */
	0xe2, 0xf9,		/* 5: loop 0          CX -= 1, back 7 bytes */
	0x66, 0xe7, PORT_FILL,	/* 7: out 0x10, eax   done */
	0xf4,			/*    hlt             never reached */
};

/*
 * compare: count the dwords at ES:[DI..] (CX of them) that differ from
 * EAX, EAX+EBX, ...; EDX starts at 0 and the count is reported.  With
 * EBX = 0 and EAX = 0 it checks that a range reads as zeros.
 */
static const uint8_t cmp_code[] = {
	0x66, 0xaf,		/* 0: scasd           cmp EAX, ES:[DI]; DI += 4 */
	0x74, 0x02,		/* 2: je 6            equal: skip the count */
	0x66, 0x42,		/* 4: inc edx         one more mismatch */
	0x66, 0x01, 0xd8,	/* 6: add eax, ebx    next expected value */
	0xe2, 0xf5,		/* 9: loop 0          CX -= 1, back 11 bytes */
	0x66, 0x89, 0xd0,	/* 11: mov eax, edx */
	0x66, 0xe7, PORT_CMP,	/* 14: out 0x11, eax  report mismatches */
	0xf4,			/*     hlt */
};

/* read: report the dword at ES:[DI]. */
static const uint8_t read_code[] = {
	0x26, 0x66, 0x8b, 0x05,	/* 0: mov eax, es:[di] */
	0x66, 0xe7, PORT_READ,	/* 4: out 0x12, eax */
	0xf4,			/*    hlt */
};

enum { FILL_IP = CODE_GPA, CMP_IP = CODE_GPA + 0x20, READ_IP = CODE_GPA + 0x40 };

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	size_t run_size;
};

struct ctx {
	const char *fstype;
	char dir[32];
	char path[64];
	int fd;
	uint8_t *mem;
	struct vm vm;
	long alloc_before, files_before;
	long freed_delta;	/* pages_freed_by_punch across the punch */
	int mounted;
};

/* A register set for one routine call; see the routines above. */
struct call {
	uint16_t ip, port;
	uint32_t gpa;		/* where ES:DI points */
	uint32_t eax, ebx, ecx;
};

static uint32_t pattern(uint32_t gpa)
{
	return PAT_SEED + (gpa - PAT_GPA) / 4;
}

/* --- the vCPU ---------------------------------------------------------- */

/*
 * Real mode, CS base 0: RIP is the guest-physical address of the code.
 * Only ES moves, to the 64 KiB segment holding the data.
 */
static int vcpu_setup(struct vm *vm)
{
	struct kvm_sregs sregs;

	if (ioctl(vm->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	return ioctl(vm->vcpu, KVM_SET_SREGS, &sregs);
}

static int vcpu_load(struct vm *vm, const struct call *c)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = c->ip,
		.rflags = 0x2,		/* bit 1 is always set; DF = 0: DI grows */
		.rax = c->eax, .rbx = c->ebx, .rcx = c->ecx, .rdx = 0,
		.rdi = c->gpa & 0xffff,
	};

	if (ioctl(vm->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.es.base = c->gpa & ~0xffffu;
	sregs.es.selector = sregs.es.base >> 4;
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return -1;
	return ioctl(vm->vcpu, KVM_SET_REGS, &regs);
}

/* Run until the routine's OUT; anything else is a failure. */
static int vcpu_run(struct vm *vm, uint16_t port, uint32_t *value)
{
	struct kvm_run *run = vm->run;

	while (ioctl(vm->vcpu, KVM_RUN, 0) < 0) {
		if (errno != EINTR && errno != EAGAIN) {
			tap_diag("KVM_RUN: %s", strerror(errno));
			return -1;
		}
	}
	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.port != port || run->io.size != 4) {
		tap_diag("unexpected exit: reason %u port %#x (want IO out %#x)",
			 run->exit_reason, run->io.port, port);
		if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			tap_diag("entry failure reason %#llx", (unsigned long long)
				 run->fail_entry.hardware_entry_failure_reason);
		return -1;
	}
	memcpy(value, (uint8_t *)run + run->io.data_offset, 4);
	return 0;
}

static int guest_call(struct ctx *ctx, const struct call *c, uint32_t *value)
{
	/* Data must stay inside one segment: DI must not wrap. */
	if ((c->gpa & 0xffff) + (uint64_t)c->ecx * 4 > 0x10000 ||
	    (c->port != PORT_READ && c->ecx == 0)) {
		tap_diag("bad call: gpa %#x count %u", c->gpa, c->ecx);
		return -1;
	}
	if (vcpu_load(&ctx->vm, c) < 0) {
		tap_diag("loading vCPU registers: %s", strerror(errno));
		return -1;
	}
	return vcpu_run(&ctx->vm, c->port, value);
}

static int guest_fill(struct ctx *ctx, uint32_t gpa, uint32_t len,
		      uint32_t first, uint32_t step)
{
	struct call c = { FILL_IP, PORT_FILL, gpa, first, step, len / 4 };
	uint32_t ignored;

	return guest_call(ctx, &c, &ignored);
}

/* Returns the number of differing dwords, or -1 if the guest failed. */
static long guest_compare(struct ctx *ctx, uint32_t gpa, uint32_t len,
			  uint32_t first, uint32_t step)
{
	struct call c = { CMP_IP, PORT_CMP, gpa, first, step, len / 4 };
	uint32_t mismatches;

	if (guest_call(ctx, &c, &mismatches) < 0)
		return -1;
	return mismatches;
}

static int guest_read(struct ctx *ctx, uint32_t gpa, uint32_t *value)
{
	struct call c = { READ_IP, PORT_READ, gpa, 0, 0, 0 };

	return guest_call(ctx, &c, value);
}

/* --- set-up and tear-down ---------------------------------------------- */

static int vcpu_create(struct vm *vm)
{
	int size;

	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		return tap_diag("KVM_CREATE_VCPU: %s", strerror(errno)), -1;
	size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return tap_diag("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno)), -1;
	vm->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return tap_diag("mmap kvm_run: %s", strerror(errno)), -1;
	}
	vm->run_size = size;
	if (vcpu_setup(vm) < 0)
		return tap_diag("vCPU registers: %s", strerror(errno)), -1;
	return 0;
}

/*
 * Returns 0 when the vCPU is ready, 1 when KVM is not usable here (why
 * says so: the tests skip), -1 when KVM is there but set-up failed.
 */
static int vm_create(struct ctx *ctx, const char **why)
{
	static char reason[96];
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)ctx->mem,
	};
	struct vm *vm = &ctx->vm;

	*why = "no /dev/kvm";
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		return 1;
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		snprintf(reason, sizeof(reason), "KVM_CREATE_VM: %s", strerror(errno));
		*why = reason;
		return 1;
	}
	/* Intel without unrestricted guest needs a TSS for real mode. */
	ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return tap_diag("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno)), -1;
	return vcpu_create(vm);
}

static void vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu >= 0)
		close(vm->vcpu);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm >= 0)
		close(vm->kvm);
	vm->run = NULL;
	vm->vcpu = -1;
	vm->fd = -1;
	vm->kvm = -1;
}

/* Mount, create the guest-RAM file, map it, copy the routines in. */
static int file_setup(struct ctx *ctx)
{
	strcpy(ctx->dir, "/tmp/kvm_test.XXXXXX");
	if (!mkdtemp(ctx->dir))
		return tap_diag("mkdtemp: %s", strerror(errno)), -1;
	if (mount("none", ctx->dir, ctx->fstype, 0, "size=64M") < 0) {
		tap_diag("mount -t %s: %s%s", ctx->fstype, strerror(errno),
			 errno == ENODEV ? " (is kvmmem.ko loaded?)" : "");
		return -1;
	}
	ctx->mounted = 1;
	snprintf(ctx->path, sizeof(ctx->path), "%s/guest", ctx->dir);
	ctx->fd = open(ctx->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (ctx->fd < 0 || ftruncate(ctx->fd, MEM_SIZE) < 0)
		return tap_diag("create %s: %s", ctx->path, strerror(errno)), -1;
	ctx->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			ctx->fd, 0);
	if (ctx->mem == MAP_FAILED) {
		ctx->mem = NULL;
		return tap_diag("mmap: %s", strerror(errno)), -1;
	}
	memcpy(ctx->mem + FILL_IP, fill_code, sizeof(fill_code));
	memcpy(ctx->mem + CMP_IP, cmp_code, sizeof(cmp_code));
	memcpy(ctx->mem + READ_IP, read_code, sizeof(read_code));
	return 0;
}

/* Undo file_setup in reverse; after this the module owns no page of ours. */
static int file_teardown(struct ctx *ctx)
{
	int ok = 1;

	if (ctx->mem && munmap(ctx->mem, MEM_SIZE) < 0)
		ok = 0;
	if (ctx->fd >= 0 && (close(ctx->fd) < 0 || unlink(ctx->path) < 0))
		ok = 0;
	if (ctx->mounted && umount(ctx->dir) < 0) {
		tap_diag("umount %s: %s", ctx->dir, strerror(errno));
		ok = 0;
	}
	rmdir(ctx->dir);
	ctx->mem = NULL;
	ctx->fd = -1;
	ctx->mounted = 0;
	return ok;
}

/* --- the tests --------------------------------------------------------- */

/* How many dwords of buf differ from the pattern that starts at gpa. */
static long host_mismatches(const uint32_t *buf, uint32_t gpa, uint32_t len)
{
	long bad = 0;
	uint32_t i;

	for (i = 0; i < len / 4; i++)
		if (buf[i] != pattern(gpa + 4 * i))
			bad++;
	return bad;
}

/* (a) The guest writes the pattern; the host sees it both ways. */
static void test_guest_writes(struct ctx *ctx)
{
	static uint32_t buf[PAT_SIZE / 4];
	int ran = guest_fill(ctx, PAT_GPA, PAT_SIZE, PAT_SEED, 1) == 0;
	long bad;

	bad = ran ? host_mismatches((uint32_t *)(ctx->mem + PAT_GPA),
				    PAT_GPA, PAT_SIZE) : -1;
	if (bad)
		tap_diag("mmap: %ld dwords differ", bad);
	tap_result(bad == 0, "guest writes are visible through the mmap");

	bad = -1;
	if (ran && pread(ctx->fd, buf, PAT_SIZE, PAT_GPA) == PAT_SIZE)
		bad = host_mismatches(buf, PAT_GPA, PAT_SIZE);
	if (bad)
		tap_diag("pread: %ld dwords differ", bad);
	tap_result(bad == 0, "guest writes are visible through pread");
}

static int punch(struct ctx *ctx)
{
	long before = counter("pages_freed_by_punch");

	if (fallocate(ctx->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      HOLE_GPA, HOLE_SIZE) < 0) {
		tap_diag("fallocate(PUNCH_HOLE): %s", strerror(errno));
		return -1;
	}
	ctx->freed_delta = counter("pages_freed_by_punch") - before;
	return 0;
}

/*
 * (b) Punch pages the guest has mapped writable, between two KVM_RUNs.
 * A stale NPT entry would still show the pattern (or a reused frame).
 */
static void test_punch(struct ctx *ctx)
{
	static uint8_t buf[HOLE_SIZE], zeros[HOLE_SIZE];
	uint32_t after = HOLE_GPA + HOLE_SIZE;
	long bad = -1;
	int punched = punch(ctx) == 0;

	if (punched)
		bad = guest_compare(ctx, HOLE_GPA, HOLE_SIZE, 0, 0);
	if (bad > 0)
		tap_diag("guest: %ld dwords in the hole are not zero", bad);
	/* The same read must see no pattern: proves the compare can fail. */
	if (bad == 0 && guest_compare(ctx, HOLE_GPA, HOLE_SIZE, pattern(HOLE_GPA),
				      1) != HOLE_SIZE / 4) {
		tap_diag("guest compare cannot tell zeros from the pattern");
		bad = -1;
	}
	tap_result(bad == 0, "guest reads zeros from the punched hole");

	tap_result(punched && pread(ctx->fd, buf, HOLE_SIZE, HOLE_GPA) ==
		   HOLE_SIZE && !memcmp(buf, zeros, HOLE_SIZE),
		   "host pread reads zeros from the punched hole");

	bad = guest_compare(ctx, PAT_GPA, HOLE_GPA - PAT_GPA, PAT_SEED, 1);
	if (bad == 0)
		bad = guest_compare(ctx, after, PAT_GPA + PAT_SIZE - after,
				    pattern(after), 1);
	if (bad > 0)
		tap_diag("guest: %ld dwords outside the hole lost the pattern", bad);
	tap_result(bad == 0, "guest still reads the pattern outside the hole");
}

/*
 * (c) pwrite a page the guest has just read (so it is in the guest's
 * page tables) and let the guest read it again.
 */
static void test_pwrite(struct ctx *ctx, uint32_t gpa, uint32_t old,
			const char *name)
{
	static uint32_t page[PAGE / 4];
	uint32_t i, seen = 0;
	long bad = -1;

	for (i = 0; i < PAGE / 4; i++)
		page[i] = NEW_SEED + gpa / 4 + i;
	if (guest_read(ctx, gpa, &seen) < 0 || seen != old) {
		tap_diag("before pwrite the guest read %#x, expected %#x", seen, old);
	} else if (pwrite(ctx->fd, page, PAGE, gpa) != PAGE) {
		tap_diag("pwrite: %s", strerror(errno));
	} else if (guest_read(ctx, gpa, &seen) == 0) {
		bad = guest_compare(ctx, gpa, PAGE, page[0], 1);
		if (seen != page[0] || bad)
			tap_diag("guest read %#x (want %#x), %ld dwords differ",
				 seen, page[0], bad);
		bad = seen == page[0] ? bad : -1;
	}
	tap_result(bad == 0, name);
}

/* (d) The counters account for exactly what this test did. */
static void test_counters(struct ctx *ctx, int torn_down)
{
	long alloc = counter("pages_allocated");
	long files = counter("files");

	if (access(SYSFS_DIR, F_OK) < 0)
		tap_diag("no %s: %s", SYSFS_DIR, strerror(errno));
	if (ctx->freed_delta != HOLE_SIZE / PAGE)
		tap_diag("pages_freed_by_punch rose by %ld, punched %u pages",
			 ctx->freed_delta, HOLE_SIZE / PAGE);
	tap_result(ctx->freed_delta == HOLE_SIZE / PAGE,
		   "pages_freed_by_punch rose by the punched pages");

	if (alloc != ctx->alloc_before)
		tap_diag("pages_allocated %ld, was %ld", alloc, ctx->alloc_before);
	tap_result(torn_down && alloc >= 0 && alloc == ctx->alloc_before,
		   "pages_allocated is back after close, munmap, unlink, umount");

	if (files != ctx->files_before)
		tap_diag("files %ld, was %ld", files, ctx->files_before);
	tap_result(torn_down && files >= 0 && files == ctx->files_before,
		   "files is back after unlink and umount");
}

/* Account for the tests that cannot run, so the plan still adds up. */
static void skip_until(int last, const char *why)
{
	while (tap_number < last)
		tap_skip("kvm_test", why);
}

static void fail_until(int last, const char *why)
{
	while (tap_number < last)
		tap_result(0, why);
}

static void run_guest_tests(struct ctx *ctx)
{
	test_guest_writes(ctx);
	test_punch(ctx);
	/* Pattern page 2 was written by the guest in (a), read in (b). */
	test_pwrite(ctx, PAT_GPA + 2 * PAGE, pattern(PAT_GPA + 2 * PAGE),
		    "guest sees host pwrite to a page it mapped writable");
	/* Hole page 1 was refaulted by the guest's read of the hole. */
	test_pwrite(ctx, HOLE_GPA + PAGE, 0,
		    "guest sees host pwrite to a punched page it refaulted");
}

int main(int argc, char **argv)
{
	struct ctx ctx = { .fstype = "kvmmem", .fd = -1,
			   .vm = { .kvm = -1, .fd = -1, .vcpu = -1 } };
	const char *why = NULL;
	int opt, vm;

	while ((opt = getopt(argc, argv, "f:")) != -1) {
		if (opt != 'f')
			return fprintf(stderr, "usage: %s [-f fstype]\n", argv[0]), 2;
		ctx.fstype = optarg;
	}
	tap_plan(NR_TESTS);
	ctx.alloc_before = counter("pages_allocated");
	ctx.files_before = counter("files");
	if (file_setup(&ctx) < 0) {
		file_teardown(&ctx);
		fail_until(NR_TESTS, "kvm_test (no guest-RAM file)");
		return tap_exit();
	}
	vm = vm_create(&ctx, &why);
	if (vm == 0)
		run_guest_tests(&ctx);
	vm_destroy(&ctx.vm);
	opt = file_teardown(&ctx);
	if (vm > 0) {
		skip_until(NR_TESTS, why);
		return tap_exit();
	}
	fail_until(NR_GUEST_TESTS, "guest test (no vCPU)");
	if (!strcmp(ctx.fstype, "kvmmem"))
		test_counters(&ctx, opt);
	skip_until(NR_TESTS, "the counters are kvmmem's");
	return tap_exit();
}
