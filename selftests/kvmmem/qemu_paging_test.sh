#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_paging_test.sh: a stock-QEMU guest with more RAM than its mount's
# size=, the mount paging to a loop device, and a memory writer/verifier
# of our own in the guest (guest_memtest, added to the guest's initramfs
# as a second cpio archive).  Runs inside the test VM and prints TAP:
#
#   1 the guest boots from the kvmmem file
#   2 guest_memtest writes a pattern into MEMTEST_MB of the guest's memory
#     and checks every page ROUNDS times: no page differs, while the host
#     pages out and in (pages_swapped_out and pages_swapped_in grow), and
#     the guest still answers
#   3 once its balloon takes the guest below size= (as kvmmemd does with a
#     published target), the same test over less memory pages nothing more
#     out (pages_swapped_out stops growing)
#   4 once QEMU quit and the mount is gone, no frame and no slot is left
set -eu

for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
. "$lib/l2guest.sh"
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

GUEST_MB=256
MOUNT_MB=96
MEMTEST_MB=160
# 40 s in the test VM; under lockdep and KASAN, one round over less
ROUNDS=3
if [ "$L2_SLOW" -gt 1 ]; then
	MEMTEST_MB=128
	ROUNDS=1
fi
# below size= with room for the reclaim thread's margin (4/64 of it); the
# guest itself (kernel, initramfs) cannot go below about 81 MiB
BALLOON_MB=88
SMALL_MB=4
MEMTEST_TIMEOUT=$((600 * L2_SLOW))
NTESTS=4

L2_WORK=$(mktemp -d /tmp/qemu_paging.XXXXXX)
mnt=$L2_WORK/mnt
mounted=0
loopdev=""

cleanup() {
	l2_kill_all
	[ $mounted -eq 0 ] || umount "$mnt" 2>/dev/null || true
	[ -z "$loopdev" ] || losetup -d "$loopdev" 2>/dev/null || true
	rm -rf "$L2_WORK"
}

# memtest NAME MiB ROUNDS: guest_memtest's verdict, spaces as underscores.
# It runs in the background in the guest and is asked for its verdict
# every 20 s, a line each time: a long run must not look like a silent L1
# to the rig's watchdog.
memtest() {
	local t0 verdict
	t0=$(date +%s)
	l2_run "$1" 60 "/bin/memtest $2 $3 >/tmp/memtest.out 2>&1 &" || return 1
	while [ $(($(date +%s) - t0)) -lt "$MEMTEST_TIMEOUT" ]; do
		sleep 20
		verdict=$(l2_query "$1" 120 "\$(cat /tmp/memtest.out | tr ' ' _)X") || verdict=X
		if [ "$verdict" != X ]; then
			echo "${verdict%X}"
			return 0
		fi
		echo "# memtest still running after $(($(date +%s) - t0)) s" >&2
	done
	return 1
}

l2_preflight $NTESTS qemu_paging
MEMTEST=$(l2_helper "$lib" guest_memtest) || tap_bail "guest_memtest not found"
[ -e /dev/loop-control ] || tap_skip_all $NTESTS qemu_paging "no loop devices"

trap cleanup EXIT
trap 'exit 130' INT TERM
# the guest's initramfs plus one with /bin/memtest
mkdir -p "$L2_WORK/extra/bin" "$mnt"
cp "$MEMTEST" "$L2_WORK/extra/bin/memtest"
(cd "$L2_WORK/extra" && printf 'bin\nbin/memtest\n' | cpio -o -H newc 2>/dev/null) >"$L2_WORK/extra.cpio"
cat "$L2_INITRD" "$L2_WORK/extra.cpio" >"$L2_WORK/initrd.cpio"
L2_INITRD=$L2_WORK/initrd.cpio
loopdev=$(l2_store "$L2_WORK/store" 512) || tap_bail "no loop device for the store"
start_kb=$(kvmmem_held_kb)
mount -t kvmmem -o "size=${MOUNT_MB}M,swapfile=$loopdev" none "$mnt" ||
	tap_bail "cannot mount kvmmem with swapfile=$loopdev"
mounted=1

# 1: boot
up=1
l2_start vm1 "$mnt/vm1" $GUEST_MB
l2_wait_ready vm1 "$BOOT_TIMEOUT" && l2_answers vm1 60 && up=0
[ $up -eq 0 ] || l2_tail vm1
tap_result $up "a guest of $GUEST_MB MiB boots on a mount of $MOUNT_MB MiB"

# 2: the guest's memory through host paging
rc=1
if [ $up -eq 0 ]; then
	out0=$(kvmmem_counter pages_swapped_out)
	in0=$(kvmmem_counter pages_swapped_in)
	t0=$(date +%s)
	verdict=$(memtest vm1 $MEMTEST_MB $ROUNDS) || verdict="(no answer)"
	out=$(($(kvmmem_counter pages_swapped_out) - out0))
	in=$(($(kvmmem_counter pages_swapped_in) - in0))
	echo "# memtest $MEMTEST_MB MiB x $ROUNDS in $(($(date +%s) - t0)) s: $verdict; pages_swapped_out +$out, pages_swapped_in +$in; checksum_errors $(kvmmem_counter checksum_errors)"
	case $verdict in MEMTEST_OK*) [ $out -gt 0 ] && [ $in -gt 0 ] && l2_answers vm1 60 && rc=0 ;; esac
fi
[ $rc -eq 0 ] || [ $up -ne 0 ] || l2_tail vm1
tap_result $rc "every page the guest wrote reads back while the host pages"

# 3: ballooned below size=, paging stops
rc=1
if [ $up -eq 0 ] && l2_balloon vm1 $BALLOON_MB $CMD_TIMEOUT >"$L2_WORK/balloon.log" 2>&1; then
	sleep 2
	out0=$(kvmmem_counter pages_swapped_out)
	verdict=$(memtest vm1 $SMALL_MB 2) || verdict="(no answer)"
	out=$(($(kvmmem_counter pages_swapped_out) - out0))
	echo "# ballooned to $(l2_actual_mb vm1) MiB; memtest $SMALL_MB MiB: $verdict; pages_swapped_out +$out"
	case $verdict in MEMTEST_OK*) [ $out -le 256 ] && rc=0 ;; esac
fi
[ $rc -eq 0 ] || [ $up -ne 0 ] || { tail -n 3 "$L2_WORK/balloon.log" | l2_comment; l2_tail vm1; }
tap_result $rc "ballooned below size=, the guest pages nothing more out"

# 4: everything given back
rc=0
l2_quit vm1 60 || rc=1
umount "$mnt" || rc=1
mounted=0
kvmmem_frames_back "$start_kb" || rc=1
[ "$(kvmmem_counter swap_slots_used)" -eq 0 ] || rc=1
losetup -d "$loopdev" || rc=1
loopdev=""
tap_result $rc "quit and umount leave no frame, no slot, and let the store go"

[ $tap_failed -eq 0 ]
