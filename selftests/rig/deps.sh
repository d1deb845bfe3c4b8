#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh: installs, through apt, what the test rig needs on the host.
# Idempotent, and quick when everything is there: it asks dpkg first and
# touches apt's lists only when a package is missing, because every rig run
# (and so every CI run) calls it.
set -euo pipefail

# Headers of both supported kernels (the metapackages pull in the current
# ABI), the emulator that runs L1 and, copied into L1, L2; busybox for both
# initramfs; cpio to pack them; xz to unpack 6.12's modules; kmod for
# depmod/modprobe/modinfo; a compiler for the module and the tests;
# xxhash for the native benchmark of the content table.
PACKAGES=(
	linux-headers-amd64
	linux-headers-6.12-amd64
	qemu-system-x86
	busybox-static
	cpio
	xz-utils
	kmod
	build-essential
	libxxhash-dev
)

# Prints the packages of PACKAGES that dpkg does not report as installed.
missing_packages() {
	local pkg status
	for pkg in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || echo "$pkg"
	done
}

install_packages() {
	[ "$(id -u)" -eq 0 ] || { echo "deps.sh: must run as root to install: $*" >&2; exit 1; }
	echo "deps.sh: installing $*" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "$@"
}

main() {
	local missing
	missing=$(missing_packages)
	[ -z "$missing" ] && return 0
	# shellcheck disable=SC2086 # one package name a word
	install_packages $missing
}

main "$@"
