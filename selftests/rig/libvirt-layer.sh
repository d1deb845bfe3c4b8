#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libvirt-layer.sh OUT
#
# Writes to OUT the libvirt layer of the test VM's initramfs, which vm-run.sh
# appends after the base archive: Debian's libvirtd with its QEMU driver,
# virsh, dmidecode (libvirtd runs it at start), and the shared libraries
# they need.
# qemu_libvirt_test.sh starts a guest through it (Documentation/
# admin-guide.rst, "libvirt").
#
# The packages are fetched with `apt-get download` and unpacked with
# `dpkg -x`, never installed: installing libvirt-daemon-system on the host
# would start a daemon and a bridge there, and a test suite must leave the
# host as it found it.  A library is taken from the host when the host has
# it (the base archive copies QEMU's from there too, so both agree), else
# from the unpacked packages.
#
# The result is cached in $KVMMEM_CACHE/libvirt/ under a hash of this
# script and of the versions apt offers, so an upload rebuilds it.
# shellcheck disable=SC2317 # functions run through rig_with_lock look unreachable
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# What the test runs, and the packages that hold it.
PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt0)
MULTIARCH=usr/lib/x86_64-linux-gnu
# Files of the unpacked packages that go into the layer as they are.  Only
# the QEMU connection driver: libvirtd loads every driver it finds, and the
# others want daemons (dnsmasq, udev) that the test VM does not run.
LAYER_FILES=(usr/sbin/libvirtd usr/bin/virsh usr/sbin/dmidecode
	"$MULTIARCH/libvirt/connection-driver/libvirt_driver_qemu.so"
	usr/share/libvirt etc/libvirt)
# Packages that an alternative of a dependency names but that would shadow
# a host library of another name (libelogind0 provides libsystemd.so.0).
SKIP_PACKAGES='^(libelogind0)$'

usage() {
	echo "usage: $0 OUT" >&2
	exit 2
}

# The dependency closure of PACKAGES, less what the host has installed.
missing_packages() {
	local pkg status
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "${PACKAGES[@]}" |
		grep '^[a-z0-9]' | sort -u | grep -Ev "$SKIP_PACKAGES" |
		while read -r pkg; do
			status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
			[ "$status" = installed ] || echo "$pkg"
		done
}

# The cache key, or nothing if apt knows no such packages (no lists).
cache_key() {
	local versions
	versions=$(apt-cache show --no-all-versions "${PACKAGES[@]}" 2>/dev/null |
		grep -E '^(Package|Version):') || return 0
	{
		rig_hash "${BASH_SOURCE[0]}" "$RIG_DIR/lib.sh"
		echo "$versions"
	} | sha256sum | cut -c1-16
}

# The ELF files of the layer: the programs and the driver.
layer_elves() {
	local stage=$1
	echo "$stage/usr/sbin/libvirtd"
	echo "$stage/usr/bin/virsh"
	echo "$stage/usr/sbin/dmidecode"
	echo "$stage/$MULTIARCH/libvirt/connection-driver/libvirt_driver_qemu.so"
}

# stage_libraries ROOT STAGE: copies into STAGE every library that the
# layer's ELF files load: from the host at the path ldd names, or, for a
# library the host lacks, from ROOT (and then again for what that one
# loads, until ldd finds everything).
stage_libraries() {
	local root=$1 stage=$2 extra lib f found
	extra=$(mktemp -d)
	while :; do
		found=0
		while read -r lib; do
			f=$(find "$root" -name "$lib" \( -type f -o -type l \) | head -n 1)
			[ -n "$f" ] || rig_die "no package of the closure holds $lib"
			cp -L "$f" "$extra/$lib"
			found=1
		done < <(layer_elves "$stage" | LD_LIBRARY_PATH=$extra xargs ldd 2>/dev/null |
			awk '$2 == "=>" && $3 == "not" { print $1 }' | sort -u)
		[ "$found" -eq 1 ] || break
	done
	while read -r lib; do
		case $lib in
		"$extra"/*) f=/$MULTIARCH/$(basename "$lib") ;;
		*) f=$lib ;;
		esac
		mkdir -p "$stage$(dirname "$f")"
		cp -L "$lib" "$stage$f"
	done < <(layer_elves "$stage" | LD_LIBRARY_PATH=$extra xargs ldd |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
	rm -rf "$extra"
}

build() {
	local out=$1 tmp deb f
	local -a pkgs
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: $tmp is local
	trap "rm -rf '$tmp'" EXIT
	mapfile -t pkgs < <(missing_packages)
	rig_log "downloading ${pkgs[*]}"
	mkdir "$tmp/debs" "$tmp/root" "$tmp/stage"
	rig_download "$tmp/debs" "${pkgs[@]}"
	for deb in "$tmp"/debs/*.deb; do
		dpkg -x "$deb" "$tmp/root"
	done
	for f in "${LAYER_FILES[@]}"; do
		[ -e "$tmp/root/$f" ] || rig_die "the packages have no /$f"
		mkdir -p "$tmp/stage/$(dirname "$f")"
		cp -a "$tmp/root/$f" "$tmp/stage/$f"
	done
	stage_libraries "$tmp/root" "$tmp/stage"
	# Where libvirtd keeps its state; /run is a tmpfs in the test VM.
	# The daemon makes its sockets in /run/libvirt, and virsh looks for
	# them in /var/run/libvirt: a Debian system links the two.
	mkdir -p "$tmp/stage/var/lib/libvirt/qemu" "$tmp/stage/var/cache/libvirt/qemu" \
		"$tmp/stage/var/log/libvirt/qemu"
	ln -s ../run "$tmp/stage/var/run"
	rig_cpio "$tmp/stage" "$out"
}

build_once() {
	local cached=$1
	[ -f "$cached" ] && return 0
	rig_log "building the libvirt layer"
	build "$cached"
	find "$(dirname "$cached")" -maxdepth 1 -name 'layer-*.cpio' \
		! -name "$(basename "$cached")" -delete
}

main() {
	local out key cached
	[ $# -eq 1 ] || usage
	out=$1
	key=$(cache_key)
	if [ -z "$key" ]; then
		# Offline: the layer built last (build_once keeps one), if any.
		cached=$(find "$KVMMEM_CACHE/libvirt" -maxdepth 1 -name 'layer-*.cpio' \
			2>/dev/null | head -n 1) || true
		[ -n "$cached" ] || rig_die "apt knows no ${PACKAGES[*]}, and the cache has no libvirt layer"
	else
		cached=$KVMMEM_CACHE/libvirt/layer-$key.cpio
	fi
	mkdir -p "$(dirname "$cached")"
	[ -f "$cached" ] ||
		rig_with_lock "$(dirname "$cached")/layer.lock" build_once "$cached"
	cp "$cached" "$out.tmp"
	mv "$out.tmp" "$out"
}

main "$@"; exit
