# SPDX-License-Identifier: GPL-2.0
#
# kvmmem: top-level build.  `make` builds the module against KDIR (default:
# the running kernel's headers, else Debian's 6.1 headers) and the userspace
# programs.  `make check` runs the whole suite in the test VM on both
# supported kernels; `make demo` runs the demonstration.

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(wildcard /usr/src/linux-headers-6.1.*-amd64))
KERNEL ?= 6.1

all: module userspace selftests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace

selftests:
	$(MAKE) -C selftests/kvmmem

# Installs what the rig needs (apt), then runs unit tests and the VM suite
# on 6.1 and 6.12.
check:
	selftests/rig/check.sh

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

# The content table's hash-and-lookup cost against a memcpy (native).
bench-table:
	$(MAKE) -C selftests/unit bench

# The figures of Documentation/policy.rst, from the simulator.
sim-figures:
	$(MAKE) -C userspace sim-figures

# checkpatch.pl --strict over the kernel code: module/ and uapi/
lint:
	selftests/rig/lint.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests/kvmmem clean
	$(MAKE) -C selftests/unit clean
	rm -rf build

.PHONY: all module userspace selftests check demo vm-run bench bench-ksm \
	bench-table sim-figures lint clean
