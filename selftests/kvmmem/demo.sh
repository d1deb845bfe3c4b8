#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: kvmmem with stock QEMU, shown step by step.  Runs inside the test
# VM (selftests/rig/demo.sh starts it there): two L2 guests whose RAM are
# files on kvmmem; both use memory, one frees its data and is ballooned to
# half its size, and the machine pages come back to the host; then the
# page sharing scanner merges what the two guests have in common.
set -eu

# vm-run.sh runs a script as /run-script, run_all.sh from /selftests.
for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
. "$lib/l2guest.sh"

GUEST_MB=256
DATA_MB=128
BALLOON_MB=$((GUEST_MB / 2))
TIMEOUT=300

L2_WORK=$(mktemp -d /tmp/kvmmem_demo.XXXXXX)
mnt=$L2_WORK/mnt
mounted=0

cleanup() {
	l2_kill_all
	echo 2 >"$KVMMEM_SYSFS/run" 2>/dev/null || true
	echo 0 >"$KVMMEM_SYSFS/run" 2>/dev/null || true
	[ $mounted -eq 0 ] || umount "$mnt" 2>/dev/null || true
	rm -rf "$L2_WORK"
}

die() {
	echo "demo: $*" >&2
	for vm in vm1 vm2; do
		[ -d "$(l2_dir $vm)" ] && l2_tail $vm >&2
	done
	exit 1
}

step() {
	echo
	echo "== $* =="
}

mib() {
	echo $(($(kvmmem_held_kb) / 1024))
}

show() {
	local f
	"$KVMMEMCTL" stats | sed 's/^/  /'
	echo "  kvmmem holds $(mib) MiB of machine memory"
	for f in "$mnt"/*; do
		[ -f "$f" ] && echo "  $(basename "$f"): $(du -k "$f" | cut -f1) KiB in use (du), $(($(stat -c %s "$f") / 1048576)) MiB long"
	done
}

[ -c /dev/kvm ] || die "no /dev/kvm: nested virtualization is unavailable"
[ -d "$KVMMEM_SYSFS" ] || die "kvmmem.ko is not loaded"
trap cleanup EXIT
trap 'exit 130' INT TERM

step "mount kvmmem and boot two $GUEST_MB MiB guests with their RAM on it"
mkdir -p "$mnt"
mount -t kvmmem -o size=1G none "$mnt" || die "cannot mount kvmmem"
mounted=1
echo "  before: kvmmem holds $(mib) MiB"
t0=$(date +%s)
for vm in vm1 vm2; do
	echo "  qemu-system-x86_64 -m ${GUEST_MB}M -object memory-backend-file,mem-path=$mnt/$vm,share=on ... -device virtio-balloon-pci"
	l2_start $vm "$mnt/$vm" $GUEST_MB
done
for vm in vm1 vm2; do
	l2_wait_ready $vm $TIMEOUT || die "$vm did not boot"
	echo "  $vm is up after $(($(date +%s) - t0)) s"
done
show

step "each guest writes $DATA_MB MiB into its tmpfs; vm1 then deletes it"
for vm in vm1 vm2; do
	l2_run $vm $TIMEOUT "dd if=/dev/zero of=/dev/shm/data bs=1M count=$DATA_MB" ||
		die "$vm could not write its data"
done
l2_run vm1 60 "rm /dev/shm/data" || die "vm1 could not delete its data"
echo "  vm1's memory is free inside the guest, but kvmmem still holds it:"
show
before=$(mib)
punched=$(kvmmem_counter pages_freed_by_punch)

step "balloon vm1 to $BALLOON_MB MiB (QMP balloon via kvmmemctl)"
t0=$(date +%s)
l2_balloon vm1 $BALLOON_MB $TIMEOUT | tail -n 1 | sed 's/^/  /'
[ "$(l2_actual_mb vm1)" -eq $BALLOON_MB ] || die "vm1 did not reach $BALLOON_MB MiB"
show
after=$(mib)
echo "  => reclaimed $((before - after)) MiB from vm1 in $(($(date +%s) - t0)) s ($before -> $after MiB);"
echo "     pages_freed_by_punch +$(($(kvmmem_counter pages_freed_by_punch) - punched)) pages"

step "deflate vm1 back to $GUEST_MB MiB; both guests still answer"
l2_balloon vm1 $GUEST_MB $TIMEOUT | tail -n 1 | sed 's/^/  /'
[ "$(l2_actual_mb vm1)" -eq $GUEST_MB ] || die "vm1 did not deflate"
for vm in vm1 vm2; do
	l2_answers $vm 60 || die "$vm does not answer"
	echo "  $vm: echo alive \$((6*7)) -> alive 42 (balloon: $(l2_actual_mb $vm) MiB)"
done

step "share identical pages: start the scanner (run=1, 20000 pages every 20 ms)"
before=$(mib)
echo 20000 >"$KVMMEM_SYSFS/pages_to_scan"
echo 20 >"$KVMMEM_SYSFS/sleep_millisecs"
echo 1 >"$KVMMEM_SYSFS/run"
t0=$(date +%s)
last=-1
while [ "$(kvmmem_saved_pages)" -ne "$last" ] && [ $(($(date +%s) - t0)) -lt 180 ]; do
	last=$(kvmmem_saved_pages)
	sleep 10
done
show
echo "  => the guests share: $(kvmmem_counter pages_shared) shared frames back" \
	"$(kvmmem_counter pages_sharing) more guest pages, and $(kvmmem_counter zero_pages)" \
	"zero pages map the zero frame"
echo "     kvmmem holds $before -> $(mib) MiB after $(($(date +%s) - t0)) s;" \
	"$(kvmmem_counter full_scans) full scans, $(kvmmem_counter cow_breaks) copy-on-write breaks"
for vm in vm1 vm2; do
	l2_run $vm $TIMEOUT "dd if=/dev/zero of=/dev/shm/after bs=1M count=16" ||
		die "$vm cannot write after merging"
	l2_answers $vm 60 || die "$vm does not answer after merging"
	echo "  $vm: wrote 16 MiB more and answers (copy-on-write works)"
done

step "shut down"
for vm in vm1 vm2; do
	l2_quit $vm 60 || die "$vm did not quit"
	echo "  $vm: QEMU quit"
done
umount "$mnt"
mounted=0
echo "  kvmmem unmounted; it holds $(mib) MiB"
