#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh: installs, through apt, the tools the test rig needs on the host.
# Idempotent, and quick when everything is there: it asks dpkg first and
# touches apt's lists only when a package is missing, because every rig run
# (and so every CI run) calls it.
#
# Kernels are not among them: their headers and images are downloaded and
# unpacked into the cache (lib.sh), never installed, so that testing never
# changes what the host boots.
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The emulator that runs L1 and, copied into L1, L2; busybox for both
# initramfs (and for the rig's own tests of the guest helpers); cpio to
# pack them; xz to unpack 6.12's modules; kmod for depmod/modprobe;
# gcc-12 and make for the module and the tests (the compiler Debian's
# kernels are built with); xxhash for the native benchmark of the content
# table; socat to ask L1's QEMU monitor for its registers when it stalls;
# dwarves for pahole, which 6.12's module build runs (its linux-kbuild
# package depends on it: unpacked rather than installed, it brings no
# dependencies of its own); debhelper, dh-dkms and lintian to build and
# check the Debian packages (selftests/unit/deb_test.sh; dh-dkms brings
# the debhelper addon only, not dkms).
PACKAGES=(
	qemu-system-x86
	busybox-static
	cpio
	xz-utils
	kmod
	build-essential
	gcc-12
	libxxhash-dev
	socat
	dwarves
	debhelper
	dh-dkms
	lintian
)

rig_install_packages "${PACKAGES[@]}"
