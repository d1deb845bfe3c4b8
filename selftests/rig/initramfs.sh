#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh KVER OUT
#
# Writes to OUT the BASE initramfs of the test VM (L1) for kernel KVER: an
# uncompressed newc cpio with everything that does not change between runs:
#
#   /bin/busybox + applet links   the shell and tools of L1
#   /lib/rig-modules/*.ko         kvm_amd and its dependencies, uncompressed
#   /lib/rig-modules/order        their file names, in load order
#   /lib/rig-modules/vfio/        vfio-pci and vfio_iommu_type1, the same
#                                 way, not loaded at boot (vfio_test)
#   /usr/bin/qemu-system-x86_64   stock QEMU, its shared libraries (at the
#                                 paths ldd gives) and the firmware it needs
#                                 to boot a -kernel guest, for L2
#   /guest/vmlinuz                the same kernel, for the L2 guest
#   /guest/initrd.cpio            the guest's initramfs (guest-initramfs.sh)
#
# There is no /init: vm-run.sh appends an overlay archive with /init, the
# module under test and the tests, which the kernel unpacks over this one.
# The result is cached in $KVMMEM_CACHE/KVER/ under a hash of these scripts
# and of the host files copied in, so a package upgrade rebuilds it.
#
# The guest's initramfs comes from `guest-initramfs.sh KVER OUT`, run with
# KVMMEM_GUEST_ROOT set to the unpacked image (RIG_GUEST_INITRAMFS=PATH runs
# another script instead).  Before the archive is written, the copied QEMU
# boots that guest chrooted into the staging tree, to prove nothing is
# missing.
# shellcheck disable=SC2317 # functions run through rig_with_lock look unreachable
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

QEMU=/usr/bin/qemu-system-x86_64
BUSYBOX=/bin/busybox
GUEST_SCRIPT=${RIG_GUEST_INITRAMFS:-$RIG_DIR/guest-initramfs.sh}
# kvm_amd for the guests; loop for swap_test's backing stores.
L1_MODULES=(kvm_amd loop)
# Staged, not loaded: vfio_test loads them.
VFIO_MODULES=(vfio-pci vfio_iommu_type1)
# Debian builds TCG as a loadable QEMU module; it is tiny, lets the host
# verify the copy below, and lets a test fall back to TCG when L1 has no KVM.
QEMU_MODULES=(/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so)

# QEMU looks for firmware in these directories, in this order (`-L help`).
FIRMWARE_DIRS=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)
# What an x86 machine reads from them: SeaBIOS and VGA BIOSes, the option
# ROMs that -kernel and multiboot loading use, and the NIC boot ROMs of the
# default e1000/e1000e and of virtio-net (QEMU refuses to start without the
# ROM of a NIC it creates).
FIRMWARE_GLOBS=('bios*.bin' 'vgabios*.bin' kvmvapic.bin 'linuxboot*.bin'
	'multiboot*.bin' pvh.bin qboot.rom 'efi-e1000*.rom' efi-virtio.rom)

usage() {
	echo "usage: $0 KVER OUT" >&2
	exit 2
}

# Prints the host files copied into the archive, one a line: QEMU, the
# shared libraries and loader ldd names for it, the firmware, busybox.
host_inputs() {
	local dir glob f
	echo "$QEMU"
	echo "$BUSYBOX"
	printf '%s\n' "${QEMU_MODULES[@]}"
	ldd "$QEMU" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
	for dir in "${FIRMWARE_DIRS[@]}"; do
		for glob in "${FIRMWARE_GLOBS[@]}"; do
			for f in "$dir"/$glob; do
				[ -e "$f" ] && echo "$f"
			done
		done
	done
}

# The cache key: this script and its helpers, the image version, and the
# size and time of every host file copied in.
cache_key() {
	local kver=$1
	{
		rig_hash "${BASH_SOURCE[0]}" "$RIG_DIR/lib.sh" "$GUEST_SCRIPT"
		echo "$kver $(cat "$(rig_kver_cache "$kver")/root.version")"
		echo "guest $(guest_kver "$kver")"
		host_inputs | xargs stat -L -c '%n %s %Y'
	} | sha256sum | cut -c1-16
}

# Copies host file $2 into the stage $1 at the same path, symlinks
# resolved (the archive needs the bytes, not links into the host).
copy_host_file() {
	local stage=$1 f=$2
	mkdir -p "$stage$(dirname "$f")"
	cp -L "$f" "$stage$f"
}

# guest_kver KVER: the kernel the L2 guests boot.  The same as L1's, but
# for the debug kernel, whose checks are for L1: its guests boot Debian's
# 6.1, which is two to three times faster than a KASAN kernel.
guest_kver() {
	if rig_is_debug "$1"; then
		kver_for 6.1
	else
		echo "$1"
	fi
}

# Busybox with a link per applet at the place busybox itself lists, made
# here rather than with --install at boot, which is slow under TCG.
stage_busybox() {
	local stage=$1 applet
	copy_host_file "$stage" "$BUSYBOX"
	while read -r applet; do
		[ "$applet" = bin/busybox ] && continue
		mkdir -p "$stage/$(dirname "$applet")"
		ln -sf /bin/busybox "$stage/$applet"
	done < <("$BUSYBOX" --list-full)
}

# kvm_amd and its dependencies, decompressed (busybox insmod reads plain
# ELF only; 6.12 ships .ko.xz), numbered and listed in load order.
stage_rig_modules() {
	local stage=$1 root=$2 kver=$3 dir
	dir=$stage/lib/rig-modules
	rig_mod_order "$root" "$kver" "${L1_MODULES[@]}" >"$stage/l1.order"
	stage_module_set "$root" "$kver" "$dir" <"$stage/l1.order"
	rm "$stage/l1.order"
	[ -s "$dir/order" ] || rig_die "no L1 modules resolved for $kver"
}

# VFIO for vfio_test (tests-iommu.list), which loads it itself: staged in
# /lib/rig-modules/vfio/ unless the kernel lacks it (the debug kernel), in
# which case the test says so and skips.  irqbypass came with kvm.
stage_vfio_modules() {
	local stage=$1 root=$2 kver=$3
	rig_mod_order "$root" "$kver" "${VFIO_MODULES[@]}" 2>/dev/null |
		grep -v '/irqbypass\.ko' >"$stage/vfio.order" || true
	[ -s "$stage/vfio.order" ] &&
		stage_module_set "$root" "$kver" "$stage/lib/rig-modules/vfio" <"$stage/vfio.order"
	rm "$stage/vfio.order"
}

# stage_module_set ROOT KVER DIR: the modules named on stdin (paths from
# rig_mod_order), decompressed into DIR, numbered, and listed in
# DIR/order in that order.
stage_module_set() {
	local root=$1 kver=$2 dir=$3 rel name n=10
	mkdir -p "$dir"
	: >"$dir/order"
	while read -r rel; do
		name=$(basename "$rel")
		name=$n-${name%%.ko*}.ko
		case $rel in
		*.ko.xz) xz -dc "$root/lib/modules/$kver/$rel" >"$dir/$name" ;;
		*.ko.zst) zstd -qdc "$root/lib/modules/$kver/$rel" >"$dir/$name" ;;
		*.ko.gz) gzip -dc "$root/lib/modules/$kver/$rel" >"$dir/$name" ;;
		*) cp "$root/lib/modules/$kver/$rel" "$dir/$name" ;;
		esac
		echo "$name" >>"$dir/order"
		n=$((n + 1))
	done
}

stage_qemu() {
	local stage=$1 f
	while read -r f; do
		copy_host_file "$stage" "$f"
	done < <(host_inputs)
	# QEMU and glib want these to exist; /tmp is a tmpfs at boot.
	mkdir -p "$stage/tmp" "$stage/var/tmp" "$stage/dev/shm" "$stage/etc"
}

# The L2 guest: kernel KVER from ROOT, and the initramfs another script
# builds.
stage_guest() {
	local stage=$1 root=$2 kver=$3
	[ -f "$GUEST_SCRIPT" ] ||
		rig_die "$GUEST_SCRIPT does not exist yet: it builds the L2 guest's initramfs (/guest/initrd.cpio)"
	mkdir -p "$stage/guest"
	cp "$root/boot/vmlinuz-$kver" "$stage/guest/vmlinuz"
	# Run as its #! line says if executable, else as a POSIX script.
	local run=(sh "$GUEST_SCRIPT")
	[ -x "$GUEST_SCRIPT" ] && run=("$GUEST_SCRIPT")
	KVMMEM_GUEST_ROOT=$root "${run[@]}" "$kver" "$stage/guest/initrd.cpio" >&2 ||
		rig_die "$GUEST_SCRIPT $kver failed"
	[ -s "$stage/guest/initrd.cpio" ] || rig_die "$GUEST_SCRIPT wrote no $stage/guest/initrd.cpio"
}

# Boots the guest with the copied QEMU, chrooted into the stage so that
# only the copied loader, libraries and firmware can be found, and waits for
# the guest kernel's banner.  TCG: the host has no usable /dev/kvm.
verify_qemu() {
	local stage=$1 log pid i
	log=$(mktemp)
	chroot "$stage" /usr/bin/qemu-system-x86_64 -M q35 -accel tcg -m 256M \
		-display none -serial stdio -no-reboot \
		-kernel /guest/vmlinuz -initrd /guest/initrd.cpio \
		-append "console=ttyS0 panic=-1" </dev/null >"$log" 2>&1 &
	pid=$!
	for i in $(seq 1 60); do
		grep -q 'Linux version' "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if ! grep -q 'Linux version' "$log"; then
		sed 's/^/  /' "$log" >&2
		rm -f "$log"
		rig_die "the copied QEMU did not boot the guest kernel (after ${i}x0.5 s)"
	fi
	rm -f "$log"
}

build() {
	local kver=$1 out=$2 root stage gkver
	root=$(rig_image_root "$kver")
	stage=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: $stage is local
	trap "rm -rf '$stage'" EXIT
	stage_busybox "$stage"
	stage_rig_modules "$stage" "$root" "$kver"
	stage_vfio_modules "$stage" "$root" "$kver"
	stage_qemu "$stage"
	gkver=$(guest_kver "$kver")
	stage_guest "$stage" "$(rig_image_root "$gkver")" "$gkver"
	verify_qemu "$stage"
	mkdir -p "$stage/proc" "$stage/sys" "$stage/run" "$stage/root"
	rig_cpio "$stage" "$out"
}

# Builds CACHED unless a run that held the lock before us did.
build_once() {
	local kver=$1 cached=$2
	[ -f "$cached" ] && return 0
	rig_log "building the base initramfs of $kver"
	build "$kver" "$cached"
	# Archives of earlier keys are stale for good.
	find "$(dirname "$cached")" -maxdepth 1 -name 'base-*.cpio' \
		! -name "$(basename "$cached")" -delete
}

main() {
	local kver out key cached
	[ $# -eq 2 ] || usage
	kver=$1
	out=$2
	rig_image_root "$kver" >/dev/null
	key=$(cache_key "$kver")
	cached=$(rig_kver_cache "$kver")/base-$key.cpio
	[ -f "$cached" ] ||
		rig_with_lock "$(dirname "$cached")/base.lock" build_once "$kver" "$cached"
	mkdir -p "$(dirname "$out")"
	cp "$cached" "$out.tmp"
	mv "$out.tmp" "$out"
}

main "$@"; exit
