# SPDX-License-Identifier: GPL-2.0
#
# kvmmem: top-level build.  `make` builds the module against KDIR (default:
# the running kernel's headers, else Debian's headers of KERNEL, unpacked
# into the rig's cache) and the userspace programs.  `make check` runs the
# whole suite in the test VM on both supported kernels; `make demo` runs
# the demonstration.

KDIR ?= $(wildcard /lib/modules/$(shell uname -r)/build)
KERNEL ?= 6.1

# `make check KERNEL=6.12` tests one kernel; without KERNEL, both.
ifneq ($(filter command line environment,$(origin KERNEL)),)
CHECK_ENV += KVMMEM_SERIES=$(KERNEL)
endif
ifneq ($(TESTS),)
CHECK_ENV += TESTS="$(TESTS)"
endif

all: module userspace selftests

module:
	$(MAKE) -C $(or $(KDIR),$(shell selftests/rig/kdir.sh $(KERNEL))) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace

selftests:
	$(MAKE) -C selftests/kvmmem

# Installs what the rig needs (apt), then runs the native tests and the VM
# suite on 6.1 and 6.12.  KERNEL=6.12 for one kernel, TESTS="fs_test ..."
# for some tests only (Documentation/testing.rst).
check:
	$(CHECK_ENV) selftests/rig/check.sh

# The suite on a kernel built from Debian's linux-source-6.1 with lockdep,
# KASAN, KFENCE and DEBUG_VM (built once, then cached): any report in its
# log fails the run.  The native tests are left to `make check`.  Not part
# of `make check`: the first build takes about half an hour.  One vCPU for
# all three lists and no 5-level paging: with two vCPUs this kernel's boot
# stopped at the second CPU's start-up in 11 of 17 tries, and with LA57
# KASAN reported a wild access in an interrupt during early boot, which
# taints the kernel and turns lockdep off (Documentation/testing.rst).
check-debug:
	KVMMEM_SERIES=6.1-debug KVMMEM_CHECK_NATIVE=0 VM_TIMEOUT=$${VM_TIMEOUT:-3600} \
		VM_CPU=$${VM_CPU:-max,-la57} \
		KVMMEM_LISTS="$${KVMMEM_LISTS:-tests.list:1 tests-kvm.list:1 tests-iommu.list:1}" \
		KVMMEM_TEST_TIMEOUT=$${KVMMEM_TEST_TIMEOUT:-1800} \
		$(if $(TESTS),TESTS="$(TESTS)") selftests/rig/check.sh

# The native unit tests alone: seconds, no root, no VM.
unit:
	$(MAKE) -C selftests/unit check

demo:
	selftests/rig/demo.sh

# Run an operator's script inside the test VM with kvmmem loaded:
#   make vm-run SCRIPT=path/to/script.sh [KERNEL=6.12]
vm-run:
	@test -n "$(SCRIPT)" || { echo "usage: make vm-run SCRIPT=path [KERNEL=6.1|6.12]" >&2; exit 2; }
	selftests/rig/vm-run.sh $(KERNEL) $(SCRIPT)

bench:
	selftests/rig/vm-run.sh $(KERNEL) selftests/kvmmem/bench.sh

# Page sharing against KSM: the same stock QEMU guests in one boot.
bench-ksm:
	KERNEL=$(KERNEL) selftests/rig/bench-ksm.sh

# The content table against pages crafted to collide, vs random pages.
bench-collide:
	selftests/rig/vm-run.sh $(KERNEL) selftests/kvmmem/build/bench_collide

# kvmmem's host paging against the kernel's swap, in one boot
bench-swap:
	selftests/rig/vm-run.sh $(KERNEL) selftests/kvmmem/build/bench_swap

# The content table's hash-and-lookup cost against a memcpy (native).
bench-table:
	$(MAKE) -C selftests/unit bench

# The figures of Documentation/policy.rst, from the simulator.
sim-figures:
	$(MAKE) -C userspace sim-figures

# Installation (Documentation/kvmmemd.rst, "Installing"): the programs, the
# uapi header, systemd units, a modules-load.d entry, an example
# configuration (an existing one is kept), man pages, the documentation, and the
# module's sources for DKMS, which `dkms install` then builds for every
# kernel (run only for a real install: DESTDIR empty and dkms present).
PREFIX ?= /usr
VERSION ?= 0.1
UNITDIR ?= /lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
DKMS_SRC = $(DESTDIR)$(PREFIX)/src/kvmmem-$(VERSION)
INSTALLED = $(PREFIX)/bin/kvmmemctl $(PREFIX)/sbin/kvmmemd \
	$(PREFIX)/include/linux/kvmmem.h $(UNITDIR)/kvmmemd.service \
	$(UNITDIR)/run-kvmmem.mount $(PREFIX)/lib/modules-load.d/kvmmem.conf \
	$(MANDIR)/man8/kvmmemd.8 $(MANDIR)/man8/kvmmemctl.8 \
	$(MANDIR)/man5/kvmmemd.conf.5

install: userspace
	install -D -m 0755 userspace/build/kvmmemctl $(DESTDIR)$(PREFIX)/bin/kvmmemctl
	install -D -m 0755 userspace/build/kvmmemd $(DESTDIR)$(PREFIX)/sbin/kvmmemd
	install -D -m 0644 uapi/linux/kvmmem.h $(DESTDIR)$(PREFIX)/include/linux/kvmmem.h
	install -D -m 0644 packaging/kvmmemd.service $(DESTDIR)$(UNITDIR)/kvmmemd.service
	install -D -m 0644 packaging/run-kvmmem.mount $(DESTDIR)$(UNITDIR)/run-kvmmem.mount
	install -D -m 0644 packaging/kvmmem-modules.conf \
		$(DESTDIR)$(PREFIX)/lib/modules-load.d/kvmmem.conf
	test -e $(DESTDIR)/etc/kvmmem/kvmmemd.conf || \
		install -D -m 0644 packaging/kvmmemd.conf $(DESTDIR)/etc/kvmmem/kvmmemd.conf
	install -D -m 0644 packaging/man/kvmmemd.8 $(DESTDIR)$(MANDIR)/man8/kvmmemd.8
	install -D -m 0644 packaging/man/kvmmemctl.8 $(DESTDIR)$(MANDIR)/man8/kvmmemctl.8
	install -D -m 0644 packaging/man/kvmmemd.conf.5 $(DESTDIR)$(MANDIR)/man5/kvmmemd.conf.5
	install -d $(DESTDIR)$(PREFIX)/share/doc/kvmmem
	install -m 0644 Documentation/*.rst $(DESTDIR)$(PREFIX)/share/doc/kvmmem/
	install -d $(DKMS_SRC)/module $(DKMS_SRC)/uapi/linux
	install -m 0644 Kbuild $(DKMS_SRC)/
	install -m 0644 module/*.c module/*.h $(DKMS_SRC)/module/
	install -m 0644 uapi/linux/kvmmem.h $(DKMS_SRC)/uapi/linux/
	sed 's/@VERSION@/$(VERSION)/' packaging/dkms.conf > $(DKMS_SRC)/dkms.conf
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null; then \
		dkms install kvmmem/$(VERSION); \
	elif [ -z "$(DESTDIR)" ]; then \
		echo "dkms is not installed: apt-get install dkms, then dkms install kvmmem/$(VERSION)"; \
	fi

uninstall:
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null; then \
		dkms remove kvmmem/$(VERSION) --all || true; \
	fi
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rm -rf $(DKMS_SRC) $(DESTDIR)$(PREFIX)/share/doc/kvmmem
	@if cmp -s packaging/kvmmemd.conf $(DESTDIR)/etc/kvmmem/kvmmemd.conf; then \
		rm -f $(DESTDIR)/etc/kvmmem/kvmmemd.conf; \
		rmdir $(DESTDIR)/etc/kvmmem 2>/dev/null || true; \
	elif [ -e $(DESTDIR)/etc/kvmmem/kvmmemd.conf ]; then \
		echo "kept /etc/kvmmem/kvmmemd.conf: it was changed"; \
	fi

# checkpatch.pl --strict over the kernel code: module/ and uapi/
lint:
	selftests/rig/lint.sh

clean:
	rm -rf .tmp_versions *.o *.ko *.mod *.mod.c modules.order Module.symvers \
		module/*.o module/.*.cmd .*.cmd
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests/kvmmem clean
	$(MAKE) -C selftests/unit clean
	rm -rf build

.PHONY: all module userspace selftests check check-debug unit demo vm-run \
	install uninstall \
	bench bench-ksm bench-collide bench-swap bench-table sim-figures lint clean
