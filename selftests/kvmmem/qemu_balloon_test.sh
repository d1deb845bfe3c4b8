#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_balloon_test.sh: stock QEMU with guest RAM on kvmmem, ballooned.
# Runs inside the test VM (busybox sh, kvmmem.ko loaded, /dev/kvm from
# nested SVM) and prints TAP.  One L2 guest, GUEST_MB of RAM in a kvmmem
# file, a virtio balloon, QMP driven by kvmmemctl:
#
#   1 the guest boots from the kvmmem file and reaches its shell
#   2 guest data is held in kvmmem frames: after the guest writes FILL MiB
#     into its tmpfs, pages_allocated has grown by at least FILL MiB since
#     before QEMU started
#   3 inflating the balloon frees the frames: after the guest deletes its
#     data (free in the guest, still held by kvmmem) and is ballooned to
#     half its RAM, pages_allocated falls by >= 80% of what the balloon
#     took, and pages_freed_by_punch rises
#   4 after deflating, the guest can use all its memory again (it writes
#     DEFILL MiB, into pages that were punched) and still answers
#   5 once QEMU quit and kvmmem is unmounted, pages_allocated is back where
#     it was before the test
set -eu

# vm-run.sh runs a script as /run-script, run_all.sh from /selftests.
for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
. "$lib/l2guest.sh"
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

GUEST_MB=256
BALLOON_MB=$((GUEST_MB / 2))
REFILL_MB=64
# The guest keeps this much free when filling, so it does not go OOM.
FILL_MARGIN_MB=24
# Measured in the test VM (L1 under TCG, L2 under nested KVM): L2 boots in
# 15-30 s, fills 160 MiB in ~10 s, balloons 128 MiB in ~3 s.  The
# timeouts (l2guest.sh) are ten times that, as TCG timing varies with the
# host's load.
NTESTS=5

L2_WORK=$(mktemp -d /tmp/qemu_balloon.XXXXXX)
mnt=$L2_WORK/mnt
mounted=0

# balloon_to MiB: sets vm1's balloon and waits; shows how it went.
balloon_to() {
	local rc=0
	l2_balloon vm1 "$1" $CMD_TIMEOUT >"$L2_WORK/balloon.log" 2>&1 || rc=1
	tail -n 3 "$L2_WORK/balloon.log" | sed 's/^/# /'
	return $rc
}

cleanup() {
	l2_kill_all
	[ $mounted -eq 0 ] || umount "$mnt" 2>/dev/null || true
	rm -rf "$L2_WORK"
}

l2_preflight $NTESTS qemu_balloon kvmmemctl

trap cleanup EXIT
trap 'exit 130' INT TERM
l2_mount "$mnt"
start_kb=$(kvmmem_held_kb)
echo "# kvmmem holds $start_kb KiB before the test"

# 1: boot
t0=$(date +%s)
l2_start vm1 "$mnt/vm1" $GUEST_MB
up=1
l2_wait_ready vm1 "$BOOT_TIMEOUT" && l2_answers vm1 60 && up=0
echo "# L2 boot took $(($(date +%s) - t0)) s (accel $L2_ACCEL)"
[ $up -eq 0 ] || l2_tail vm1
tap_result $up "guest boots with its RAM on kvmmem"

# 2: guest data lands in kvmmem frames
rc=1
avail_kb=$(l2_meminfo vm1 MemAvailable) || avail_kb=0
fill_mb=$((avail_kb / 1024 - FILL_MARGIN_MB))
if [ $up -eq 0 ] && [ $fill_mb -gt 0 ]; then
	before_kb=$(kvmmem_held_kb)
	t0=$(date +%s)
	if l2_run vm1 $CMD_TIMEOUT "dd if=/dev/zero of=/dev/shm/fill bs=1M count=$fill_mb"; then
		filled_kb=$(kvmmem_held_kb)
		echo "# guest wrote $fill_mb MiB in $(($(date +%s) - t0)) s; kvmmem holds $((before_kb / 1024)) -> $((filled_kb / 1024)) MiB"
		[ $((filled_kb - start_kb)) -ge $((fill_mb * 1024)) ] && rc=0
	fi
fi
[ $up -ne 0 ] || echo "# guest MemAvailable $((avail_kb / 1024)) MiB, filled $fill_mb MiB"
[ $rc -eq 0 ] || [ $up -ne 0 ] || l2_tail vm1
tap_result $rc "guest's data is held in kvmmem frames"

# 3: inflate the balloon over the freed data
rc=1
if [ $up -eq 0 ] && l2_run vm1 60 "rm /dev/shm/fill"; then
	actual0=$(l2_actual_mb vm1) || actual0=0
	held0=$(kvmmem_held_kb)
	punched0=$(kvmmem_counter pages_freed_by_punch)
	t0=$(date +%s)
	if balloon_to $BALLOON_MB; then
		actual1=$(l2_actual_mb vm1) || actual1=$actual0
		held1=$(kvmmem_held_kb)
		punched1=$(kvmmem_counter pages_freed_by_punch)
		ballooned_kb=$(((actual0 - actual1) * 1024))
		freed_kb=$((held0 - held1))
		echo "# ballooned $actual0 -> $actual1 MiB in $(($(date +%s) - t0)) s: kvmmem holds $((held0 / 1024)) -> $((held1 / 1024)) MiB, freed $((freed_kb / 1024)) MiB of $((ballooned_kb / 1024)) MiB"
		echo "# pages_freed_by_punch $punched0 -> $punched1"
		[ $ballooned_kb -gt 0 ] &&
			[ $((freed_kb * 10)) -ge $((ballooned_kb * 8)) ] &&
			[ "$punched1" -gt "$punched0" ] && rc=0
	fi
fi
[ $rc -eq 0 ] || [ $up -ne 0 ] || l2_tail vm1
tap_result $rc "balloon inflation frees kvmmem frames"

# 4: deflate, use the memory again
rc=1
if [ $up -eq 0 ] && balloon_to $GUEST_MB; then
	before_kb=$(kvmmem_held_kb)
	if l2_run vm1 $CMD_TIMEOUT "dd if=/dev/zero of=/dev/shm/refill bs=1M count=$REFILL_MB" &&
		l2_answers vm1 60; then
		echo "# deflated to $(l2_actual_mb vm1) MiB; guest rewrote $REFILL_MB MiB: kvmmem holds $((before_kb / 1024)) -> $(($(kvmmem_held_kb) / 1024)) MiB"
		rc=0
	fi
fi
[ $rc -eq 0 ] || [ $up -ne 0 ] || l2_tail vm1
tap_result $rc "guest uses deflated memory and answers"

# 5: everything given back
rc=0
l2_quit vm1 60 || rc=1
echo "# after quit: kvmmem holds $(($(kvmmem_held_kb) / 1024)) MiB in $(kvmmem_counter files) files"
umount "$mnt" || rc=1
mounted=0
kvmmem_frames_back "$start_kb" || rc=1
tap_result $rc "quit and umount give every frame back"

[ $tap_failed -eq 0 ]
