#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_share_test.sh: page sharing between stock QEMU guests on kvmmem.
# Runs inside the test VM (busybox sh, kvmmem.ko loaded, /dev/kvm from
# nested SVM) and prints TAP.  Three L2 guests boot the same kernel and
# initramfs, each with GUEST_MB of RAM in its own kvmmem file; the scanner
# runs at a high rate:
#
#   1 the three guests boot from their kvmmem files and reach their shells
#     (a guest that resets while booting gets one more try, reported)
#   2 the scanner converges: pages_sharing + zero_pages stop growing for
#     STABLE_SCANS full scans, within CONVERGE_TIMEOUT
#   3 the guests save at least MIN_SAVED_PCT% of their resident memory:
#     (pages_sharing + zero_pages) / sum of the files' resident pages
#   4 shared pages read back right: each guest's /bin/busybox (page cache
#     that is now shared between the guests) has the checksum of the copy
#     in the guests' initramfs
#   5 each guest still runs: its shell computes an answer
#   6 a guest that then writes much of its memory (dd into its tmpfs, over
#     pages that were shared or zero: copy-on-write under KVM) still works:
#     data it writes reads back with the expected checksum, cow_breaks
#     rises, and the other guests still answer
#   7 after QEMU quit and kvmmem is unmounted (the scanner still running),
#     pages_allocated is back where it was before the test
#   8 run=2 then run=0 leave the scanner stopped: on a small new file that
#     it merges with run=1, run=2 unshares every page and run reads 2, run=0
#     reads 0, and in neither does pages_scanned move
# shellcheck disable=SC3043 # busybox sh, which runs this, has "local"
set -eu

# vm-run.sh runs a script as /run-script, run_all.sh from /selftests.
for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
# shellcheck source=selftests/kvmmem/l2guest.sh
. "$lib/l2guest.sh"
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

GUESTS="vm1 vm2 vm3"
GUEST_MB=256
# The scanner flat out: measured in the test VM, it looks at ~100k pages
# a second at this setting and converges on three idle guests in < 5 s.
SCAN_PAGES=10000
SCAN_SLEEP_MS=10
STABLE_SCANS=3
CONVERGE_TIMEOUT=120
MIN_SAVED_PCT=30
# Test 6: the guest writes this many copies of its busybox, each shifted
# by one more byte so that no two pages are alike, after filling its free
# memory with zeros (minus FILL_MARGIN_MB, so that it does not go OOM).
DATA_COPIES=8
FILL_MARGIN_MB=48
CONVERGE_TIMEOUT=$((CONVERGE_TIMEOUT * L2_SLOW))
NTESTS=8

L2_WORK=$(mktemp -d /tmp/qemu_share.XXXXXX)
mnt=$L2_WORK/mnt
mounted=0
knobs_saved=0

set_knob() {
	echo "$2" >"$KVMMEM_SYSFS/$1"
}

save_knobs() {
	old_run=$(kvmmem_counter run)
	old_pages=$(kvmmem_counter pages_to_scan)
	old_sleep=$(kvmmem_counter sleep_millisecs)
	knobs_saved=1
}

restore_knobs() {
	[ $knobs_saved -eq 1 ] || return 0
	set_knob pages_to_scan "$old_pages"
	set_knob sleep_millisecs "$old_sleep"
	set_knob run "$old_run"
}

cleanup() {
	l2_kill_all
	# On a failure path: stop the scanner before unmounting, so that a
	# problem of umount against a running scanner (test 7) is not hit
	# again here.
	[ $knobs_saved -eq 0 ] || set_knob run 0 2>/dev/null || true
	[ $mounted -eq 0 ] || umount "$mnt" 2>/dev/null || true
	restore_knobs 2>/dev/null || true
	rm -rf "$L2_WORK"
}

# resident_pages: guest pages with a frame, summed over the guests' files.
resident_pages() {
	local vm sum=0
	for vm in $GUESTS; do
		sum=$((sum + $(kvmmem_file_resident "$mnt/$vm")))
	done
	echo $sum
}

counters() {
	echo "pages_shared $(kvmmem_counter pages_shared) pages_sharing $(kvmmem_counter pages_sharing) zero_pages $(kvmmem_counter zero_pages) pages_unshared $(kvmmem_counter pages_unshared) full_scans $(kvmmem_counter full_scans) cow_breaks $(kvmmem_counter cow_breaks) hash_false_matches $(kvmmem_counter hash_false_matches) pages_allocated $(kvmmem_counter pages_allocated)"
}

# converge: waits until the saving has not grown (by more than 0.5%) for
# STABLE_SCANS full scans; fails after CONVERGE_TIMEOUT seconds.
converge() {
	local t0 now saved best=0 best_scans scans slack
	t0=$(date +%s)
	best_scans=$(kvmmem_counter full_scans)
	while :; do
		now=$(($(date +%s) - t0))
		saved=$(kvmmem_saved_pages)
		scans=$(kvmmem_counter full_scans)
		slack=$((best / 200))
		[ $slack -ge 16 ] || slack=16
		if [ "$saved" -gt $((best + slack)) ]; then
			best=$saved
			best_scans=$scans
		elif [ "$best" -gt 0 ] && [ $((scans - best_scans)) -ge $STABLE_SCANS ]; then
			echo "# converged after $now s: saved $saved pages, full_scans $scans (last growth at full scan $best_scans)"
			return 0
		fi
		if [ $now -ge $CONVERGE_TIMEOUT ]; then
			echo "# no convergence in $CONVERGE_TIMEOUT s: saved $saved (best $best), full_scans $scans (last growth at $best_scans)"
			return 1
		fi
		sleep 1
	done
}

# The expected checksum of test 6's data, from the guests' own busybox.
expected_sums() {
	local dir k
	dir=$L2_WORK/initrd
	mkdir -p "$dir"
	(cd "$dir" && cpio -i -d '*bin/busybox' <"$L2_INITRD" 2>/dev/null) || return 1
	[ -f "$dir/bin/busybox" ] || return 1
	busybox_sum=$(md5sum <"$dir/bin/busybox" | cut -d' ' -f1)
	k=1
	data_sum=$(while [ $k -le $DATA_COPIES ]; do
		tail -c +$k "$dir/bin/busybox"
		k=$((k + 1))
	done | md5sum | cut -d' ' -f1)
}

# The guest's side of it: the same stream into its tmpfs, then its sum.
guest_data_sum() {
	l2_query "$1" $CMD_TIMEOUT "\$(k=1; while [ \$k -le $DATA_COPIES ]; do tail -c +\$k /bin/busybox; k=\$((k+1)); done >/dev/shm/data; md5sum </dev/shm/data)"
}

# still WHAT: the scanner looks at no page for 2 s.
still() {
	local before after
	before=$(kvmmem_counter pages_scanned)
	sleep 2
	after=$(kvmmem_counter pages_scanned)
	echo "# $1: run reads $(kvmmem_counter run); pages_scanned $before -> $after in 2 s; pages_sharing $(kvmmem_counter pages_sharing) zero_pages $(kvmmem_counter zero_pages)"
	[ "$after" -eq "$before" ]
}

all_answer() {
	local vm rc=0
	for vm in $GUESTS; do
		if l2_answers "$vm" 60; then
			echo "# $vm: echo alive \$((6*7)) -> alive 42"
		else
			echo "# $vm does not answer"
			l2_tail "$vm"
			rc=1
		fi
	done
	return $rc
}

l2_preflight $NTESTS qemu_share kvmmemctl

trap cleanup EXIT
trap 'exit 130' INT TERM
expected_sums || tap_bail "cannot read bin/busybox from $L2_INITRD"
save_knobs
set_knob run 0
set_knob pages_to_scan $SCAN_PAGES
set_knob sleep_millisecs $SCAN_SLEEP_MS
l2_mount "$mnt"
start_pages=$(kvmmem_counter pages_allocated)
echo "# kvmmem holds $start_pages pages before the test; scanner: $SCAN_PAGES pages every $SCAN_SLEEP_MS ms"

# 1: boot the three guests, one after the other.  Under the emulator, L2
# guests booting side by side now and then reset mid-boot (triple fault)
# or take L1 down, on tmpfs as well as on kvmmem and with kvmmem unloaded
# (Documentation/testing.rst, "Known emulator faults"); one at a time is
# gentler.  A guest that resets anyway gets one more try, said aloud.
t0=$(date +%s)
up=0
for vm in $GUESTS; do
	l2_start "$vm" "$mnt/$vm" $GUEST_MB
	if ! l2_wait_ready "$vm" "$BOOT_TIMEOUT" && ! l2_alive "$vm"; then
		echo "# $vm reset while booting; console: $(l2_console "$vm" | tail -n 3 | tr '\n' ' ')"
		echo "# $vm: booting it once more"
		rm -f "$mnt/$vm"
		l2_start "$vm" "$mnt/$vm" $GUEST_MB
		l2_wait_ready "$vm" "$BOOT_TIMEOUT" || true
	fi
	if l2_alive "$vm" && l2_answers "$vm" 60; then
		echo "# $vm is up after $(($(date +%s) - t0)) s"
	else
		l2_tail "$vm"
		up=1
	fi
done
tap_result $up "three guests boot with their RAM on kvmmem"
[ $up -eq 0 ] || tap_bail "a guest did not boot"

# 2: the scanner converges
resident0=$(resident_pages)
echo "# before scanning: resident $resident0 pages in the three files; $(counters)"
set_knob run 1
rc=0
converge || rc=1
echo "# $(counters)"
tap_result $rc "the scanner converges within $CONVERGE_TIMEOUT s"

# 3: the saving
saved=$(kvmmem_saved_pages)
resident=$(resident_pages)
pct=0
[ "$resident" -eq 0 ] || pct=$((saved * 1000 / resident))
echo "# saved = pages_sharing + zero_pages = $(kvmmem_counter pages_sharing) + $(kvmmem_counter zero_pages) = $saved pages"
echo "# resident = $resident pages; saved / resident = $((pct / 10)).$((pct % 10))% (at least $MIN_SAVED_PCT% wanted)"
rc=1
[ "$resident" -gt 0 ] && [ $((saved * 100)) -ge $((resident * MIN_SAVED_PCT)) ] && rc=0
tap_result $rc "the guests share at least $MIN_SAVED_PCT% of their resident memory"

# 4: shared page cache reads back right in every guest
rc=0
for vm in $GUESTS; do
	sum=$(l2_query "$vm" $CMD_TIMEOUT "\$(md5sum </bin/busybox)") || sum="(no answer)"
	echo "# $vm: md5 of /bin/busybox $sum (initramfs: $busybox_sum)"
	[ "$sum" = "$busybox_sum" ] || rc=1
done
tap_result $rc "shared pages read back right in every guest"

# 5: every guest still runs
rc=0
all_answer || rc=1
tap_result $rc "every guest still runs after merging"

# 6: vm1 writes most of its memory, then data it can check
rc=1
cow0=$(kvmmem_counter cow_breaks)
avail_kb=$(l2_meminfo vm1 MemAvailable) || avail_kb=0
fill_mb=$((avail_kb / 1024 - FILL_MARGIN_MB))
echo "# vm1: MemAvailable $((avail_kb / 1024)) MiB; fills $fill_mb MiB of zeros, then $DATA_COPIES shifted copies of busybox"
if [ $fill_mb -gt 0 ] &&
	l2_run vm1 $CMD_TIMEOUT "dd if=/dev/zero of=/dev/shm/fill bs=1M count=$fill_mb"; then
	sum=$(guest_data_sum vm1) || sum="(no answer)"
	cow1=$(kvmmem_counter cow_breaks)
	echo "# vm1: md5 of its data $sum (expected $data_sum); cow_breaks $cow0 -> $cow1"
	[ "$sum" = "$data_sum" ] && [ "$cow1" -gt "$cow0" ] && all_answer && rc=0
fi
[ $rc -eq 0 ] || l2_tail vm1
echo "# $(counters)"
tap_result $rc "a guest writing most of its memory still works (copy-on-write)"

# 7: quit, unmount with the scanner running: every frame comes back
rc=0
for vm in $GUESTS; do
	l2_quit "$vm" 60 || { echo "# $vm: QEMU had to be killed"; rc=1; }
done
echo "# after quit: $(counters), files $(kvmmem_counter files), scanner run=$(kvmmem_counter run)"
log_lines=$(dmesg | wc -l)
umount_rc=0
umount "$mnt" || umount_rc=$?
mounted=0
[ $umount_rc -eq 0 ] || { echo "# umount failed with status $umount_rc"; rc=1; }
i=0
while [ "$(kvmmem_counter pages_allocated)" -ne "$start_pages" ] && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
end_pages=$(kvmmem_counter pages_allocated)
echo "# after umount: pages_allocated $end_pages (before the test: $start_pages)"
[ "$end_pages" -eq "$start_pages" ] || rc=1
# What the kernel said meanwhile (e.g. "Busy inodes after unmount").
dmesg | tail -n +$((log_lines + 1)) >"$L2_WORK/umount.log"
if grep -q -e 'Busy inodes' -e 'BUG' -e 'WARNING' -e 'Oops' "$L2_WORK/umount.log"; then
	echo "# kernel log during quit and umount:"
	head -n 60 "$L2_WORK/umount.log" | sed 's/^/# /'
	rc=1
fi
tap_result $rc "quit and umount with the scanner running give every frame back"

# 8: on a small file that the scanner does merge (a positive control),
# run=2 unshares everything and stops it, and run=0 keeps it stopped.
rc=1
if mount -t kvmmem -o size=16M none "$mnt"; then
	mounted=1
	if { dd if=/dev/zero bs=1M count=2 && head -c 1048576 "$L2_WORK/initrd/bin/busybox" &&
		head -c 1048576 "$L2_WORK/initrd/bin/busybox"; } 2>/dev/null >"$mnt/small"; then
		set_knob run 1
		sleep 2
		echo "# run=1 over a 4 MiB file (2 MiB zeros, 1 MiB twice): pages_sharing $(kvmmem_counter pages_sharing) zero_pages $(kvmmem_counter zero_pages)"
		if [ "$(kvmmem_counter pages_sharing)" -gt 0 ] && [ "$(kvmmem_counter zero_pages)" -gt 0 ] &&
			set_knob run 2 && [ "$(kvmmem_counter run)" -eq 2 ] && still "run=2" &&
			[ "$(kvmmem_counter pages_sharing)" -eq 0 ] && [ "$(kvmmem_counter zero_pages)" -eq 0 ] &&
			[ "$(kvmmem_counter pages_shared)" -eq 0 ] &&
			set_knob run 0 && [ "$(kvmmem_counter run)" -eq 0 ] && still "run=0"; then
			rc=0
		fi
	fi
	set_knob run 0
	umount "$mnt" || rc=1
	mounted=0
fi
tap_result $rc "run=2 unshares and stops the scanner, run=0 keeps it stopped"

restore_knobs
[ $tap_failed -eq 0 ]
