#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_kvmmemd_test.sh: kvmmemd against a live stock-QEMU guest.  One L2
# guest of GUEST_MB on kvmmem with a virtio balloon and a QMP socket
# (-qmp, no -name: kvmmemd finds the VM by its file's name and the socket
# on QEMU's command line), kvmmemd running with a [vm vm1] section:
#
#   1 the guest boots, and kvmmemd applies its section (shares, min)
#   2 the free state leaves high: the target kvmmemd sends reaches QEMU
#     and the guest's balloon follows it (query-balloon's actual within
#     BALLOON_SLACK_MB of the published balloon target, below GUEST_MB);
#     kvmmemd turned on the guest's balloon statistics and saw the
#     balloon reach its target through BALLOON_CHANGE events (its debug
#     log).  guest_reserve is low (16M), so that the idle guest's
#     available memory does not hold the balloon back.
#     The thresholds are raised so that the state stays soft however much
#     the balloon frees (else freeing takes the host back to high, and
#     the target back up, before the test looks), and the section's max
#     keeps the target below the guest's size
#   3 back to high: the balloon deflates to all of the guest, which
#     still answers
#   4 a guest without a balloon driver (vm2, booted with kvmmem_noballoon,
#     which its /init reads; it writes FILL2_MB): kvmmemd says its balloon
#     did not move, the module counts it uncooperative and pages it (the
#     mount has a store), and the guest still answers
#   5 kvmmemd stops on SIGTERM, QEMU quits, every frame and slot is given
#     back
set -u

for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
. "$lib/l2guest.sh"
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

GUEST_MB=256
MIN_MB=96
MAX_MB=128
BALLOON_SLACK_MB=8
DAEMON=${KVMMEMD:-kvmmemd}
SYS=/sys/kernel/mm/kvmmem
PG=4096
NTESTS=5
GUEST2_MB=256
FILL2_MB=96
MAX2_MB=64

L2_WORK=$(mktemp -d /tmp/qemu_kvmmemd.XXXXXX)
mnt=$L2_WORK/mnt
mounted=0
loopdev=""
dpid=""
old_high=""
old_soft=""
old_period=""
old_timeout=""

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ -z "$dpid" ] || kill "$dpid" 2>/dev/null
	l2_kill_all
	restore_thresholds
	[ -z "$old_period" ] || echo "$old_period" > "$SYS/sample_period_ms"
	[ -z "$old_timeout" ] || echo "$old_timeout" > "$SYS/balloon_timeout_ms"
	[ "$mounted" -eq 0 ] || umount "$mnt" 2>/dev/null || true
	[ -z "$loopdev" ] || losetup -d "$loopdev" 2>/dev/null || true
	rm -rf "$L2_WORK"
}

# soft first, then high: they must stay low < hard < soft < high
restore_thresholds() {
	[ -z "$old_soft" ] || echo "$old_soft" > "$SYS/free_soft_percent"
	[ -z "$old_high" ] || echo "$old_high" > "$SYS/free_high_percent"
	old_soft=""
	old_high=""
}

# soft: raised thresholds keep the state soft however much the balloon frees
enter_soft() {
	old_high=$(cat "$SYS/free_high_percent")
	old_soft=$(cat "$SYS/free_soft_percent")
	echo 99 > "$SYS/free_high_percent"
	echo 98 > "$SYS/free_soft_percent"	# soft below 98% free, until 99%
}

l2_preflight $NTESTS qemu_kvmmemd kvmmemctl
command -v "$DAEMON" >/dev/null || tap_skip_all $NTESTS qemu_kvmmemd "no kvmmemd in PATH"
[ -e /dev/loop-control ] || tap_skip_all $NTESTS qemu_kvmmemd "no loop devices"

trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$mnt"
loopdev=$(l2_store "$L2_WORK/store" 512) || tap_bail "no loop device for the store"
mount -t kvmmem -o "size=1G,swapfile=$loopdev" none "$mnt" ||
	tap_bail "cannot mount kvmmem with swapfile=$loopdev"
mounted=1
start_kb=$(kvmmem_held_kb)
cat > "$L2_WORK/kvmmemd.conf" <<EOF
[defaults]
scan_ms = 500
qmp_timeout_ms = $((10000 * L2_SLOW))
guest_reserve = 16M

[vm vm1]
shares = 700
min = ${MIN_MB}M
max = ${MAX_MB}M

# test 4: a target well below what vm2 writes
[vm vm2]
max = ${MAX2_MB}M
EOF

# balloon target of vm1 in MiB, as published
target_mb() {
	echo $(($(cat "$SYS/backends/$(stat -c %i "$mnt/vm1")/balloon_target") * PG / 1048576))
}

# 1
l2_start vm1 "$mnt/vm1" $GUEST_MB
up=1
l2_wait_ready vm1 "$BOOT_TIMEOUT" && l2_answers vm1 60 && up=0
[ $up -eq 0 ] || l2_tail vm1
"$DAEMON" -v -c "$L2_WORK/kvmmemd.conf" 2> "$L2_WORK/daemon.log" &
dpid=$!
rc=$up
ino=$(stat -c %i "$mnt/vm1")
for _ in $(seq 1 40); do
	[ "$(cat "$SYS/backends/$ino/shares")" = 700 ] && break
	sleep 0.5
done
[ "$(cat "$SYS/backends/$ino/shares")" = 700 ] &&
	[ "$(cat "$SYS/backends/$ino/min")" = $((MIN_MB * 1048576 / PG)) ] || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$L2_WORK/daemon.log"
tap_result $rc "the guest boots; kvmmemd applies its [vm vm1] section"

# 2
rc=1
if [ $up -eq 0 ]; then
	old_period=$(cat "$SYS/sample_period_ms")
	echo 200 > "$SYS/sample_period_ms"	# the state follows within 0.2 s
	enter_soft
	end=$(($(date +%s) + CMD_TIMEOUT))
	while [ "$(date +%s)" -lt $end ]; do
		sleep 1
		want=$(target_mb)
		actual=$(l2_actual_mb vm1) || actual=-1
		[ "$want" -lt $GUEST_MB ] && [ $((actual - want)) -le $BALLOON_SLACK_MB ] &&
			[ $((want - actual)) -le $BALLOON_SLACK_MB ] && { rc=0; break; }
	done
	echo "# state $(cat "$SYS/free_state"): balloon target $want MiB, the guest's balloon at $actual MiB"
	for _ in $(seq 1 30); do
		grep -q 'VM vm1: the balloon is at its target' "$L2_WORK/daemon.log" && break
		sleep 1
	done
	grep -q 'VM vm1: guest statistics every 2 s (/machine/peripheral-anon/device\[' "$L2_WORK/daemon.log" ||
		{ echo "# kvmmemd did not turn on the guest's statistics"; rc=1; }
	grep -q 'VM vm1: the balloon is at its target' "$L2_WORK/daemon.log" ||
		{ echo "# kvmmemd never saw the balloon reach its target (BALLOON_CHANGE)"; rc=1; }
fi
[ $rc -eq 0 ] || sed 's/^/# /' "$L2_WORK/daemon.log"
tap_result $rc "the target kvmmemd sends reaches QEMU; the balloon follows"

# 3
rc=1
if [ $up -eq 0 ]; then
	restore_thresholds
	end=$(($(date +%s) + CMD_TIMEOUT))
	while [ "$(date +%s)" -lt $end ]; do
		sleep 1
		actual=$(l2_actual_mb vm1) || actual=-1
		[ "$actual" -eq $GUEST_MB ] && { rc=0; break; }
	done
	echo "# back to high: the guest's balloon at $actual MiB"
	[ $rc -eq 0 ] && l2_answers vm1 60 || rc=1
fi
tap_result $rc "back to high: the balloon deflates, the guest answers"

# 4
rc=1
if [ $up -eq 0 ]; then
	append=$L2_APPEND
	L2_APPEND="$append kvmmem_noballoon"
	l2_start vm2 "$mnt/vm2" $GUEST2_MB
	L2_APPEND=$append
	if l2_wait_ready vm2 "$BOOT_TIMEOUT" && l2_console vm2 | grep -q 'balloon absent' &&
	   l2_run vm2 "$CMD_TIMEOUT" "dd if=/dev/urandom of=/dev/shm/fill bs=1M count=$FILL2_MB"; then
		ino2=$(stat -c %i "$mnt/vm2")
		unco0=$(kvmmem_counter uncooperative)
		old_timeout=$(cat "$SYS/balloon_timeout_ms")
		echo 3000 > "$SYS/balloon_timeout_ms"
		enter_soft
		end=$(($(date +%s) + CMD_TIMEOUT))
		while [ "$(date +%s)" -lt $end ]; do
			sleep 1
			out=$(cat "$SYS/backends/$ino2/swapped_out")
			# The event, not vm2's uncooperative gauge: paging can
			# bring vm2 to its target between two looks (CI on 6.12,
			# 2026-12-03: 30147 pages out, the gauge back at 0).
			grep -q 'VM vm2: the balloon did not move' "$L2_WORK/daemon.log" &&
				[ "$(kvmmem_counter uncooperative)" -gt "$unco0" ] &&
				[ "$out" -gt 0 ] && { rc=0; break; }
		done
		echo "# vm2: state $(cat "$SYS/free_state"), balloon target $(($(cat "$SYS/backends/$ino2/balloon_target") * PG / 1048576)) MiB, uncooperative events +$(($(kvmmem_counter uncooperative) - unco0)), $out pages out"
		restore_thresholds
		echo "$old_timeout" > "$SYS/balloon_timeout_ms"
		old_timeout=""
		l2_answers vm2 60 || rc=1
	else
		l2_tail vm2
	fi
fi
[ $rc -eq 0 ] || grep 'vm2' "$L2_WORK/daemon.log" | sed 's/^/# /'
tap_result $rc "a guest without a balloon driver: said, counted uncooperative, paged; it answers"

# 5
rc=0
kill -TERM "$dpid"
wait "$dpid" || rc=1
dpid=""
grep -q 'VM vm1: balloon target' "$L2_WORK/daemon.log" || rc=1
l2_quit vm1 60 || rc=1
l2_quit vm2 60 || rc=1
umount "$mnt" || rc=1
mounted=0
losetup -d "$loopdev" || rc=1
loopdev=""
[ "$(kvmmem_counter swap_slots_used)" -eq 0 ] || { echo "# swap_slots_used $(kvmmem_counter swap_slots_used)"; rc=1; }
kvmmem_frames_back "$start_kb" || rc=1
tap_result $rc "kvmmemd stops on SIGTERM; QEMU quits; every frame and slot is given back"
exit $((tap_failed > 0))
