// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO on guest RAM in kvmmem: what QEMU's vfio-pci asks of a kvmmem
 * mapping when it maps a guest's RAM for a device's DMA
 * (VFIO_IOMMU_MAP_DMA, a long-term writable pin of every page).  Runs in
 * the test VM of tests-iommu.list: a q35 machine with an emulated Intel
 * IOMMU and QEMU's "edu" PCI device, which this test gives to vfio-pci.
 *
 * Since Linux 6.5 GUP refuses a long-term writable pin of a shared file
 * mapping that wants write notification (writable_file_mapping_allowed()
 * in mm/gup.c), and kvmmem wants it (page_mkwrite): on 6.12 the map must
 * fail with EFAULT and allocate nothing.  6.1 takes the pin, and then
 * kvmmem must treat every pinned page as a device's: a frame for each
 * page, none merged by the scanner, a page punched out of the file while
 * pinned still charged to the mount until VFIO lets go of it (the device
 * may still write into it), and all of it back once unpinned and
 * unmounted.  Documentation/admin-guide.rst, "VFIO and other long-term
 * pins", says what an operator should do with it.
 *
 * The emulated IOMMU has no interrupt remapping, so vfio_iommu_type1 is
 * loaded with allow_unsafe_interrupts=1; edu raises no interrupt here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/falloc.h>
#include <linux/vfio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kvmmem_sysfs.h"
#include "tap.h"

#define PG 4096L
#define PAGES 64L		/* the guest's RAM: 256 KiB */
#define WRITTEN 32L		/* pages 0..31 written, the rest holes */
#define PUNCHED 4L
#define IOVA_ANON 0x100000UL
#define IOVA_KVMMEM 0x200000UL
#define MODULES "/lib/rig-modules/vfio"

static char mnt[] = "/tmp/kvmmem-vfio-XXXXXX";
static int container = -1, fd = -1;
static char *ram;
static bool pinned;
static long frames_at_start;

/* Loads the staged VFIO modules in order; false if there are none. */
static bool load_vfio(void)
{
	char line[128], cmd[320];
	FILE *order = fopen(MODULES "/order", "r");
	bool ok = order != NULL;

	while (ok && fgets(line, sizeof(line), order)) {
		line[strcspn(line, "\n")] = 0;
		snprintf(cmd, sizeof(cmd), "insmod " MODULES "/%s %s", line,
			 strstr(line, "type1") ? "allow_unsafe_interrupts=1" : "");
		ok = !system(cmd);
	}
	if (order)
		fclose(order);
	return ok;
}

/* The PCI address of the first edu device, in @addr; false if none. */
static bool find_edu(char *addr, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char path[400], vendor[16], device[16];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		sysfs_text(path, vendor, sizeof(vendor));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		sysfs_text(path, device, sizeof(device));
		if (!strcmp(vendor, "0x1234") && !strcmp(device, "0x11e8")) {
			snprintf(addr, len, "%s", e->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* Gives @addr to vfio-pci and sets up a type1 container: NULL or why not. */
static const char *open_container(const char *addr)
{
	char path[400], link[300], group[64];
	int g, ids;
	ssize_t n;

	ids = open("/sys/bus/pci/drivers/vfio-pci/new_id", O_WRONLY);
	if (ids < 0 || write(ids, "1234 11e8", 9) != 9)
		return "cannot give edu to vfio-pci";
	close(ids);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", addr);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return "edu has no IOMMU group (IOMMU off?)";
	link[n] = 0;
	snprintf(group, sizeof(group), "/dev/vfio/%s", basename(link));
	for (int i = 0; i < 50 && access(group, F_OK); i++)
		usleep(100000);
	container = open("/dev/vfio/vfio", O_RDWR);
	g = open(group, O_RDWR);
	if (container < 0 || g < 0)
		return "cannot open the VFIO container or group";
	if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return "VFIO_SET_IOMMU failed";
	return NULL;
}

static int map_dma(void *vaddr, long len, unsigned long iova)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (unsigned long)vaddr, .iova = iova, .size = len,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &m) ? errno : 0;
}

static int unmap_dma(long len, unsigned long iova)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = len,
	};

	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) ? errno : 0;
}

/* GUP refuses the pin from 6.5 on. */
static bool kernel_refuses(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	return major > 6 || (major == 6 && minor >= 5);
}

/* Two full scans of the scanner, flat out. */
static bool scan_twice(void)
{
	long start = counter("full_scans");

	if (knob("run", "1"))
		return false;
	for (int i = 0; i < 1200 && counter("full_scans") < start + 2; i++)
		usleep(50000);
	knob("run", "0");
	return counter("full_scans") >= start + 2;
}

static int test_anon_control(void)
{
	char *p = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (p == MAP_FAILED)
		return 0;
	memset(p, 1, PAGES * PG);
	err = map_dma(p, PAGES * PG, IOVA_ANON);
	if (err)
		tap_diag("anonymous memory: %s", strerror(err));
	unmap_dma(PAGES * PG, IOVA_ANON);
	munmap(p, PAGES * PG);
	return !err;
}

static int test_map_kvmmem(void)
{
	long before = counter("pages_allocated");
	int err = map_dma(ram, PAGES * PG, IOVA_KVMMEM);
	long resident = file_counter(fd, "resident");

	pinned = !err;
	tap_diag("VFIO_IOMMU_MAP_DMA of a kvmmem mapping: %s; pages_allocated %ld -> %ld, the file's resident %ld of %ld",
		 err ? strerror(err) : "mapped", before, counter("pages_allocated"),
		 resident, PAGES);
	if (kernel_refuses())
		return err == EFAULT && counter("pages_allocated") == before;
	/* Every page, holes too, got a frame of its own for the device. */
	return !err && resident == PAGES && counter("pages_allocated") == before + PAGES - WRITTEN;
}

static int test_scanner_leaves_pinned(void)
{
	bool ok;

	if (!pinned) {
		tap_skip("the scanner merges no pinned page", "the pin was refused");
		return -1;
	}
	ok = scan_twice();
	tap_diag("after two full scans: the file's sharing %ld, zero %ld",
		 file_counter(fd, "sharing"), file_counter(fd, "zero"));
	return ok && file_counter(fd, "sharing") == 0 && file_counter(fd, "zero") == 0;
}

static int test_punch_pinned(void)
{
	long before, punched, after;
	bool ok;

	if (!pinned) {
		tap_skip("a pinned page punched out stays charged until VFIO lets go",
			 "the pin was refused");
		return -1;
	}
	before = counter("pages_allocated");
	ok = !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PUNCHED * PG);
	punched = counter("pages_allocated");
	ok = ok && ram[0] == 0 && !unmap_dma(PAGES * PG, IOVA_KVMMEM);
	pinned = false;
	/* The next frame the mount frees reaps the ones nobody holds now. */
	ram[(PAGES - 1) * PG] = 1;
	ok = ok && !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (PAGES - 1) * PG, PG);
	after = counter("pages_allocated");
	tap_diag("pages_allocated: %ld pinned, %ld after punching %ld of them, %ld once unpinned and one more punched",
		 before, punched, PUNCHED, after);
	return ok && punched == before && after == before - PUNCHED - 1;
}

static int test_scanner_after_unpin(void)
{
	bool ok;

	if (pinned)
		unmap_dma(PAGES * PG, IOVA_KVMMEM);
	ok = scan_twice();
	tap_diag("unpinned, after two full scans: the file's sharing %ld, zero %ld",
		 file_counter(fd, "sharing"), file_counter(fd, "zero"));
	return ok && file_counter(fd, "sharing") + file_counter(fd, "zero") > 0;
}

static int test_all_back(void)
{
	munmap(ram, PAGES * PG);
	ram = NULL;
	close(fd);
	fd = -1;
	if (umount(mnt))
		return 0;
	return counter("pages_allocated") == frames_at_start;
}

static const struct {
	int (*fn)(void);
	const char *name;
} tests[] = {
	{ test_anon_control, "VFIO maps anonymous memory for DMA (control)" },
	{ test_map_kvmmem, "VFIO's map of a kvmmem mapping: refused with EFAULT from 6.5 on; on 6.1 every page gets a frame" },
	{ test_scanner_leaves_pinned, "the scanner merges no pinned page" },
	{ test_punch_pinned, "a pinned page punched out stays charged until VFIO lets go" },
	{ test_scanner_after_unpin, "unpinned, the same pages merge (the checks above can fail)" },
	{ test_all_back, "unmounted: every frame is given back" },
};

int main(void)
{
	int n = sizeof(tests) / sizeof(tests[0]);
	char addr[300], path[320];
	const char *why;

	tap_plan(n);
	why = !load_vfio() ? "no VFIO modules staged for this kernel (the debug kernel has none)" :
	      !find_edu(addr, sizeof(addr)) ? "no edu device (boot with tests-iommu.list's machine)" :
	      open_container(addr);
	if (why) {
		for (int i = 0; i < n; i++)
			tap_skip(tests[i].name, why);
		return 0;
	}
	frames_at_start = counter("pages_allocated");
	if (!mkdtemp(mnt) || mount("none", mnt, "kvmmem", 0, "size=16M")) {
		perror("mount kvmmem");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/vm", mnt);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, PAGES * PG)) {
		perror("create the VM file");
		return 1;
	}
	ram = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ram == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(ram, 2, WRITTEN * PG);	/* alike: the scanner would merge them */
	for (int i = 0; i < n; i++) {
		int ok = tests[i].fn();

		if (ok >= 0)
			tap_result(ok, tests[i].name);
	}
	if (ram)
		munmap(ram, PAGES * PG);
	if (fd >= 0)
		close(fd);
	umount(mnt);
	rmdir(mnt);
	return tap_exit();
}
