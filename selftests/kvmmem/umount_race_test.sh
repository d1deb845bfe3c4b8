#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# umount_race_test.sh: unmounting while the scanner (and sampling) works
# on the mount's files.  The VFS evicts every inode of a mount when it is
# unmounted; one that kvmmem's background threads still pin then is a
# "Busy inodes after unmount" BUG.  Each round mounts, writes files with
# pages alike (so the scanner merges, takes hints and frames), runs the
# scanner flat out and sampling every few milliseconds, and unmounts in
# the middle of it:
#
#   1 every umount succeeds and the kernel says nothing about busy inodes
#   2 after the last round, pages_allocated and files are back where they
#     were before the test
set -u
for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/tap.sh" ] && break
done
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

SYS=/sys/kernel/mm/kvmmem
ROUNDS=30
FILES=4
FILE_MB=4

knob() {
	cat "$SYS/$1"
}

echo "TAP version 13"
echo "1..2"
[ -d "$SYS" ] || tap_bail "$SYS missing: kvmmem.ko is not loaded"
dir=$(mktemp -d /tmp/umount_race.XXXXXX)
mnt=$dir/mnt
mkdir -p "$mnt"
old_run=$(knob run)
old_pages=$(knob pages_to_scan)
old_sleep=$(knob sleep_millisecs)
old_period=$(knob sample_period_ms)
start_pages=$(knob pages_allocated)
start_files=$(knob files)
log_lines=$(dmesg | wc -l)
# 1 MiB of random bytes, twice in each file: half of every file merges.
head -c 1048576 /dev/urandom >"$dir/seed"

echo 5000 >"$SYS/pages_to_scan"
echo 1 >"$SYS/sleep_millisecs"
echo 100 >"$SYS/sample_period_ms"
echo 1 >"$SYS/run"
rc=0
round=1
while [ $round -le $ROUNDS ]; do
	mount -t kvmmem -o size=64M none "$mnt" || { rc=1; break; }
	i=1
	while [ $i -le $FILES ]; do
		{ cat "$dir/seed" "$dir/seed"; head -c $(((FILE_MB - 2) * 1048576)) /dev/urandom; } >"$mnt/f$i"
		i=$((i + 1))
	done
	# Half the rounds unlink a file first: its inode goes with its
	# dentry, not at eviction time.
	[ $((round % 2)) -eq 0 ] && rm -f "$mnt/f1"
	sleep 0.$((round % 5))
	if ! umount "$mnt"; then
		echo "# round $round: umount failed"
		rc=1
		break
	fi
	round=$((round + 1))
done
echo 0 >"$SYS/run"
busy=$(dmesg | tail -n +$((log_lines + 1)) | grep -E 'Busy inodes|BUG|WARNING|Oops' | head -5)
[ -z "$busy" ] || { echo "$busy" | sed 's/^/# /'; rc=1; }
echo "# $((round - 1)) rounds; pages_scanned $(knob pages_scanned), full_scans $(knob full_scans)"
tap_result $rc "umount with the scanner and sampling running, $ROUNDS times"

i=0
while [ "$(knob pages_allocated)" -ne "$start_pages" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "# pages_allocated $(knob pages_allocated) (before: $start_pages), files $(knob files) (before: $start_files)"
[ "$(knob pages_allocated)" -eq "$start_pages" ] && [ "$(knob files)" -eq "$start_files" ]
tap_result $? "every frame and file is gone after the last umount"

echo "$old_period" >"$SYS/sample_period_ms"
echo "$old_sleep" >"$SYS/sleep_millisecs"
echo "$old_pages" >"$SYS/pages_to_scan"
echo "$old_run" >"$SYS/run"
rm -rf "$dir"
exit $((tap_failed > 0))
