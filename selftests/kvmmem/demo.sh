#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: kvmmem with stock QEMU and kvmmemd, shown step by step.  Runs
# inside the test VM (selftests/rig/demo.sh starts it there and draws the
# chart).  Three 256 MiB guests share a budget of BUDGET_MB with their RAM
# on kvmmem, which pages to a loop device; kvmmemd runs with a section per
# guest and records what happens:
#
#   - "busy" rewrites BUSY_MB of its memory over and over;
#   - "idle" writes IDLE_MB once and then does nothing;
#   - "late" boots when the other two have settled, and writes LATE_MB.
#
# busy and idle fit in the budget; late does not.  By then the sampler
# has found idle's memory idle, so the idle memory tax takes late's room
# from idle, not from busy: kvmmemd balloons idle down (as far as its
# statistics allow), and what the balloon cannot take the host pages
# out.  `kvmmemctl status` before and after shows
# it; then the page sharing scanner runs; the record kvmmemd wrote goes to
# the console between DEMO-RECORD-BEGIN and DEMO-RECORD-END.
set -eu

# vm-run.sh runs a script as /run-script, run_all.sh from /selftests.
for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
# deflate-on-oom: a guest that needs memory after its balloon inflated
# takes pages back from the balloon instead of running out (one run's late
# guest, ballooned to 153 MiB while it wrote 96 MiB into its tmpfs,
# panicked out of memory); the host then pages it if it stays above its
# target.  libvirt: <memballoon model='virtio' autodeflate='on'>.
L2_BALLOON=virtio-balloon-pci,deflate-on-oom=on
. "$lib/l2guest.sh"

GUEST_MB=256
BUDGET_MB=400
BUSY_MB=128
IDLE_MB=128
LATE_MB=96
SETTLE_S=$((90 * L2_SLOW))
TIMEOUT=$((300 * L2_SLOW))
VMS="busy idle late"

L2_WORK=$(mktemp -d /tmp/kvmmem_demo.XXXXXX)
mnt=$L2_WORK/mnt
mounted=0
loopdev=""
dpid=""

cleanup() {
	[ -z "$dpid" ] || kill "$dpid" 2>/dev/null || true
	l2_kill_all
	echo 2 >"$KVMMEM_SYSFS/run" 2>/dev/null || true
	echo 0 >"$KVMMEM_SYSFS/run" 2>/dev/null || true
	echo 0 >"$KVMMEM_SYSFS/budget_pages" 2>/dev/null || true
	[ $mounted -eq 0 ] || umount "$mnt" 2>/dev/null || true
	[ -z "$loopdev" ] || losetup -d "$loopdev" 2>/dev/null || true
	rm -rf "$L2_WORK"
}

die() {
	echo "demo: $*" >&2
	for vm in $VMS; do
		[ -d "$(l2_dir "$vm")" ] && l2_tail "$vm" >&2
	done
	[ ! -f "$L2_WORK/daemon.log" ] || tail -n 20 "$L2_WORK/daemon.log" >&2
	exit 1
}

step() {
	echo
	echo "== $* =="
}

status() {
	"$KVMMEMCTL" status | sed 's/^/  /'
}

# writer_passes: how often busy's writer has gone through its memory.
writer_passes() {
	# shellcheck disable=SC2016 # the guest's shell expands it
	l2_query busy 60 '$(cat /dev/shm/passes 2>/dev/null || echo 0)'
}

# boot NAME: starts guest NAME and waits for its shell.
boot() {
	echo "  qemu-system-x86_64 -m ${GUEST_MB}M -object memory-backend-file,mem-path=$mnt/$1,share=on ... -device $L2_BALLOON -qmp unix:...,server=on"
	l2_start "$1" "$mnt/$1" $GUEST_MB
	l2_wait_ready "$1" "$TIMEOUT" || die "$1 did not boot"
}

[ -c /dev/kvm ] || die "no /dev/kvm: nested virtualization is unavailable"
[ -d "$KVMMEM_SYSFS" ] || die "kvmmem.ko is not loaded"
command -v kvmmemd >/dev/null || die "no kvmmemd in PATH"
trap cleanup EXIT
trap 'exit 130' INT TERM

step "mount kvmmem (1 GiB of files, paging to a loop device) with a budget of $BUDGET_MB MiB"
mkdir -p "$mnt"
loopdev=$(l2_store "$L2_WORK/store" 1024) || die "no loop device for the store"
mount -t kvmmem -o "size=1G,swapfile=$loopdev" none "$mnt" || die "cannot mount kvmmem"
mounted=1
echo $((BUDGET_MB * 256)) >"$KVMMEM_SYSFS/budget_pages"
echo 5000 >"$KVMMEM_SYSFS/sample_period_ms"	# estimates follow in seconds
echo 10000 >"$KVMMEM_SYSFS/balloon_timeout_ms"
echo "  mount -t kvmmem -o size=1G,swapfile=$loopdev none $mnt"
echo "  budget_pages=$((BUDGET_MB * 256)) sample_period_ms=5000 balloon_timeout_ms=10000"

step "start kvmmemd: equal shares for the three guests, a record of every scan"
cat >"$L2_WORK/kvmmemd.conf" <<EOF
[defaults]
scan_ms = 1000
qmp_timeout_ms = $((10000 * L2_SLOW))
record = $L2_WORK/record

[vm busy]
shares = 1000

[vm idle]
shares = 1000

[vm late]
shares = 1000
EOF
sed 's/^/  | /' "$L2_WORK/kvmmemd.conf"
kvmmemd -c "$L2_WORK/kvmmemd.conf" 2>"$L2_WORK/daemon.log" &
dpid=$!

step "boot busy and idle; idle writes $IDLE_MB MiB once, busy rewrites $BUSY_MB MiB forever"
t0=$(date +%s)
boot busy
boot idle
echo "  both up after $(($(date +%s) - t0)) s"
l2_run idle "$TIMEOUT" "dd if=/dev/urandom of=/dev/shm/data bs=1M count=$IDLE_MB" ||
	die "idle could not write its data"
# zeros: /dev/urandom is too slow in a nested guest to touch BUSY_MB per
# sampling period (the scanner, off until the end, would merge them)
# typed as a job of the guest's shell, as an operator would start it; the
# loop is out of the guest's OOM killer's reach and each dd first in it
# (a balloon that inflates into the guest's last memory can make it kill,
# and a killed loop would leave busy idle for the rest of the demo)
# shellcheck disable=SC2016 # the guest's shell expands it
l2_type busy '(echo -1000 >/proc/self/oom_score_adj; i=0; while :; do (echo 1000 >/proc/self/oom_score_adj; exec dd if=/dev/zero of=/dev/shm/ws bs=1M count='$BUSY_MB' conv=notrunc 2>/dev/null); i=$((i + 1)); echo $i >/dev/shm/passes; done) &' ||
	die "busy could not start its writer"
sleep 10
echo "  busy's writer: $(writer_passes) passes over its $BUSY_MB MiB so far"
status

step "let it settle for $SETTLE_S s: the sampler, the tax, the balloon, paging"
sleep "$SETTLE_S"
status
echo "  busy's writer: $(writer_passes) passes over its $BUSY_MB MiB so far"

step "boot late; it writes $LATE_MB MiB; settle again"
boot late
l2_run late "$TIMEOUT" "dd if=/dev/urandom of=/dev/shm/data bs=1M count=$LATE_MB" ||
	die "late could not write its data"
sleep "$SETTLE_S"
status

step "what kvmmemd did (its log)"
grep -E 'balloon target|did not move|available|uncooperative' "$L2_WORK/daemon.log" | tail -n 12 | sed 's/^/  /'

step "share identical pages: the scanner runs for 60 s (20000 pages every 20 ms)"
echo 20000 >"$KVMMEM_SYSFS/pages_to_scan"
echo 20 >"$KVMMEM_SYSFS/sleep_millisecs"
echo 1 >"$KVMMEM_SYSFS/run"
sleep $((60 * L2_SLOW))
status
echo "  shared frames $(kvmmem_counter pages_shared), guest pages mapping them $(kvmmem_counter pages_sharing), zero pages $(kvmmem_counter zero_pages)"
echo "  paged out $(kvmmem_counter pages_swapped_out), read back $(kvmmem_counter pages_swapped_in), ballooned $(kvmmem_counter ballooned_pages) pages"

step "every guest still answers"
for vm in $VMS; do
	l2_answers "$vm" 60 || die "$vm does not answer"
	echo "  $vm: echo alive \$((6*7)) -> alive 42"
done
echo "  busy's writer: $(writer_passes) passes over its $BUSY_MB MiB"

step "shut down"
kill -TERM "$dpid"
wait "$dpid" || die "kvmmemd did not stop cleanly"
dpid=""
for vm in $VMS; do
	l2_quit "$vm" 60 || die "$vm did not quit"
done
umount "$mnt"
mounted=0
echo "  kvmmemd stopped, the guests quit, kvmmem unmounted"
echo DEMO-RECORD-BEGIN
cat "$L2_WORK/record"
echo DEMO-RECORD-END
