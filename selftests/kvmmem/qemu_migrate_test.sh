#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_migrate_test.sh: live migration of a stock-QEMU guest from a file
# on one kvmmem mount to a file on another (QMP "migrate", the destination
# started with -incoming), inside the test VM, printing TAP:
#
#   1 the guest boots on mount src, writes DATA_MB of random data into its
#     tmpfs with a checksum, and gives BALLOON_MB to its balloon
#   2 the migration completes, and meanwhile the source file's frames do
#     not grow: QEMU reads all guest memory, and holes and ballooned pages
#     read as zeros without a frame
#   3 the guest runs on the destination and its data is intact (the
#     checksum it took before the migration)
#   4 the destination holds frames only for pages that are not zero: its
#     file's resident pages, right after the migration, are at most the
#     source's non-zero pages (plus what the running guest wrote since)
#   5 once both QEMUs quit and the mounts are gone, every frame is back
set -eu

for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
. "$lib/l2guest.sh"
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

GUEST_MB=256
DATA_MB=16
BALLOON_MB=192
# what the destination guest may write between the migration's end and
# the look at its file: its kernel's own activity
SLACK_PAGES=1024
MIGRATE_TIMEOUT=$((300 * L2_SLOW))
NTESTS=5

L2_WORK=$(mktemp -d /tmp/qemu_migrate.XXXXXX)
src=$L2_WORK/src
dst=$L2_WORK/dst
mounted=""

cleanup() {
	l2_kill_all
	for m in $mounted; do
		umount "$m" 2>/dev/null || true
	done
	rm -rf "$L2_WORK"
}

resident_of() {
	kvmmem_file_resident "$1" 2>/dev/null || echo 0
}

# migrate_status: the "status" of QMP query-migrate on vm1.
migrate_status() {
	local reply
	reply=$(l2_qmp vm1 '{"execute":"query-migrate"}') || return 1
	reply=${reply#*\"status\": \"}
	echo "${reply%%\"*}"
}

l2_preflight $NTESTS qemu_migrate
NONZERO=$(l2_helper "$lib" nonzero_pages) || tap_bail "nonzero_pages not found"

trap cleanup EXIT
trap 'exit 130' INT TERM
start_kb=$(kvmmem_held_kb)
for m in "$src" "$dst"; do
	mkdir -p "$m"
	mount -t kvmmem -o size=1G none "$m" || tap_bail "cannot mount kvmmem on $m"
	mounted="$mounted $m"
done

# 1: boot, data, balloon
rc=1
l2_start vm1 "$src/vm1" $GUEST_MB
if l2_wait_ready vm1 "$BOOT_TIMEOUT" && l2_answers vm1 60 &&
	l2_run vm1 $CMD_TIMEOUT "dd if=/dev/urandom of=/dev/shm/data bs=1M count=$DATA_MB && md5sum /dev/shm/data > /dev/shm/sum" &&
	l2_balloon vm1 $BALLOON_MB $CMD_TIMEOUT >/dev/null 2>&1; then
	echo "# vm1 up on src, $DATA_MB MiB written, ballooned to $(l2_actual_mb vm1) MiB; src/vm1 ballooned $(cat "$KVMMEM_SYSFS/backends/$(stat -c %i "$src/vm1")/ballooned") pages"
	rc=0
fi
[ $rc -eq 0 ] || l2_tail vm1
tap_result $rc "a guest on src writes data and balloons"
up=$rc

# 2: migrate, watching the source's frames
rc=1
if [ $up -eq 0 ]; then
	before=$(resident_of "$src/vm1")
	L2_QEMU_ARGS="-incoming unix:$L2_WORK/mig.sock"
	l2_start vm2 "$dst/vm2" $GUEST_MB
	L2_QEMU_ARGS=
	i=0
	while [ ! -S "$L2_WORK/mig.sock" ] && [ $i -lt 100 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	t0=$(date +%s)
	most=$before
	status=none
	if l2_qmp vm1 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:$L2_WORK/mig.sock\"}}" >/dev/null; then
		while [ $(($(date +%s) - t0)) -lt $MIGRATE_TIMEOUT ]; do
			now=$(resident_of "$src/vm1")
			[ "$now" -le "$most" ] || most=$now
			status=$(migrate_status) || status=unknown
			case $status in completed | failed | cancelled) break ;; esac
			sleep 0.5
		done
	fi
	echo "# migration $status after $(($(date +%s) - t0)) s; src/vm1 resident $before pages before, at most $most during"
	[ "$status" = completed ] && [ "$most" -le "$before" ] && rc=0
fi
[ $rc -eq 0 ] || [ $up -ne 0 ] || { l2_tail vm1; l2_tail vm2; }
tap_result $rc "the migration completes, the source's frames do not grow"
migrated=$rc

# 3 and 4: the destination
rc=1
rc4=1
if [ $migrated -eq 0 ]; then
	dst_pages=$(resident_of "$dst/vm2")
	nonzero=$("$NONZERO" "$src/vm1")
	echo "# dst/vm2 resident $dst_pages pages; src/vm1 has $nonzero non-zero pages"
	[ "$dst_pages" -le $((nonzero + SLACK_PAGES)) ] && rc4=0
	l2_answers vm2 60 && l2_run vm2 $CMD_TIMEOUT "md5sum -c /dev/shm/sum" && rc=0
fi
[ $rc -eq 0 ] || [ $migrated -ne 0 ] || l2_tail vm2
tap_result $rc "the guest runs on dst, its data intact"
tap_result $rc4 "dst holds frames only for non-zero pages"

# 5: everything given back
rc=0
l2_quit vm1 60 || rc=1
l2_quit vm2 60 2>/dev/null || true
for m in $mounted; do
	umount "$m" || rc=1
done
mounted=""
kvmmem_frames_back "$start_kb" || rc=1
tap_result $rc "quit and umount give every frame back"

[ $tap_failed -eq 0 ]
