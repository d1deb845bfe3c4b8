#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_migrate_test.sh: live migration of a stock-QEMU guest from a file
# on one kvmmem mount to a file on another (QMP "migrate", the destination
# started with -incoming), and on to a third file, inside the test VM,
# printing TAP:
#
#   1 the guest boots on mount src, writes DATA_MB of random data into its
#     tmpfs with a checksum, and gives BALLOON_MB to its balloon
#   2 the migration to mount dst completes, and meanwhile the source
#     file's frames do not grow: QEMU reads all guest memory, and holes and
#     ballooned pages read as zeros without a frame
#   3 the guest runs on dst and its data is intact (the checksum it took
#     before the migration).  dst is DST_MB with a backing store, less than
#     the guest's non-zero memory: dst pages while the migration writes
#   4 dst holds frames only for pages that are not zero: its file's
#     resident and paged-out pages, right after the migration, are at most
#     the source's non-zero pages (plus what the running guest wrote since)
#   5 the guest, some of its pages out, migrates on from dst to a new file
#     on src: pages are read back once per sending (pages_swapped_in grows
#     by at most the pages QEMU sent, query-migrate's ram.normal, plus
#     SLACK_PAGES: a page the running guest writes again is sent again,
#     and may have gone out in between; a page read ahead and pushed out
#     before the migration got to it costs a read too many), what it
#     reads back goes again without a write (pages_swapped_out_clean: at
#     least 9 in 10 page-outs meanwhile), dst's frames do not grow, and the
#     guest's data is intact on src.  With tracefs the test also says how
#     many gfns were read twice, and by which thread.  (On the debug
#     kernel, until pages read back were paged again in two generations,
#     reads went 10-16% past the bound: 2603 second reads by the migration
#     thread and 7578 reads by the guest's vCPU, its own pages paged out at
#     every pass; since, 69-101 and about 4600-4900.)
#   6 once the QEMUs quit and the mounts are gone, every frame and every
#     slot is back
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
# dst: below what the guest keeps after its balloon (about 60 MiB)
DST_MB=32
# what the destination guest may write between the migration's end and
# the look at its file: its kernel's own activity
SLACK_PAGES=1024
MIGRATE_TIMEOUT=$((300 * L2_SLOW))
NTESTS=6

L2_WORK=$(mktemp -d /tmp/qemu_migrate.XXXXXX)
src=$L2_WORK/src
dst=$L2_WORK/dst
mounted=""
loopdev=""

cleanup() {
	l2_kill_all
	for m in $mounted; do
		umount "$m" 2>/dev/null || true
	done
	[ -z "$loopdev" ] || losetup -d "$loopdev" 2>/dev/null || true
	rm -rf "$L2_WORK"
}

resident_of() {
	kvmmem_file_resident "$1" 2>/dev/null || echo 0
}

# migrate_status NAME: the "status" of QMP query-migrate on guest NAME.
migrate_status() {
	local reply status
	reply=$(l2_qmp "$1" '{"execute":"query-migrate"}') || return 1
	status=${reply#*\"status\": \"}
	echo "${status%%\"*}"
	case $reply in *'"normal": '*) ;; *) return 0 ;; esac
	sent=${reply#*\"normal\": }
	sent=${sent%%[,\}]*}
}

# migrate FROM FROMFILE TO TOFILE: starts guest TO on TOFILE with
# -incoming and migrates guest FROM (RAM in FROMFILE) into it, watching
# FROMFILE's frames.  Sets status (QMP's last word), before and most (the
# source's resident pages before and at most during); says how it went.
migrate() {
	local sock=$L2_WORK/mig-$3.sock t0 now i=0
	before=$(resident_of "$2")
	L2_QEMU_ARGS="$THREADS -incoming unix:$sock"
	l2_start "$3" "$4" $GUEST_MB
	L2_QEMU_ARGS=$THREADS
	while [ ! -S "$sock" ] && [ $i -lt 100 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	t0=$(date +%s)
	most=$before
	status=none
	sent=0
	if l2_qmp "$1" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:$sock\"}}" >/dev/null; then
		while [ $(($(date +%s) - t0)) -lt $MIGRATE_TIMEOUT ]; do
			now=$(resident_of "$2")
			[ "$now" -le "$most" ] || most=$now
			migrate_status "$1" >"$L2_WORK/status" || echo unknown >"$L2_WORK/status"
			status=$(cat "$L2_WORK/status")
			case $status in completed | failed | cancelled) break ;; esac
			sleep 0.5
		done
	fi
	echo "# migration $1 -> $3 $status after $(($(date +%s) - t0)) s, $sent pages sent; source resident $before pages before, at most $most during"
}

l2_preflight $NTESTS qemu_migrate
NONZERO=$(l2_helper "$lib" nonzero_pages) || tap_bail "nonzero_pages not found"

trap cleanup EXIT
trap 'exit 130' INT TERM
start_kb=$(kvmmem_held_kb)
[ -e /dev/loop-control ] || tap_skip_all $NTESTS qemu_migrate "no loop devices"
loopdev=$(l2_store "$L2_WORK/store" 512) || tap_bail "no loop device for dst's store"
mkdir -p "$src" "$dst"
mount -t kvmmem -o size=1G none "$src" || tap_bail "cannot mount kvmmem on $src"
mounted="$src"
mount -t kvmmem -o "size=${DST_MB}M,swapfile=$loopdev" none "$dst" ||
	tap_bail "cannot mount kvmmem on $dst with swapfile=$loopdev"
mounted="$mounted $dst"

# QEMU names its threads (live_migration, CPU 0/KVM) for trace_page_ins
THREADS="-name debug-threads=on"
L2_QEMU_ARGS=$THREADS

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
	migrate vm1 "$src/vm1" vm2 "$dst/vm2"
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
	dst_out=$(kvmmem_file_stat "$dst/vm2" swapped_out)
	nonzero=$("$NONZERO" "$src/vm1")
	echo "# dst/vm2 resident $dst_pages pages, $dst_out paged out; src/vm1 has $nonzero non-zero pages"
	[ $((dst_pages + dst_out)) -le $((nonzero + SLACK_PAGES)) ] && rc4=0
	l2_answers vm2 60 && l2_run vm2 $CMD_TIMEOUT "md5sum -c /dev/shm/sum" && rc=0
fi
[ $rc -eq 0 ] || [ $migrated -ne 0 ] || l2_tail vm2
tap_result $rc "the guest runs on dst, its data intact"
tap_result $rc4 "dst holds frames only for non-zero pages"
on_dst=$rc

# trace_page_ins on INO | off: records kvmmem_page_in of file INO while
# on; off says how many gfns were read back more than once, and by whom
# (the thread of each read: QEMU's migration thread, a vCPU, named by
# debug-threads=on), so that a count above the pages QEMU sent can be
# told apart.
T=/sys/kernel/tracing
trace_page_ins() {
	[ -w "$T/events/kvmmem/kvmmem_page_in/enable" ] || return 0
	if [ "$1" = on ]; then
		echo 0 > "$T/tracing_on"
		: > "$T/trace"
		echo 16384 > "$T/buffer_size_kb" 2>/dev/null
		echo "ino == $2" > "$T/events/kvmmem/kvmmem_page_in/filter"
		echo 1 > "$T/events/kvmmem/kvmmem_page_in/enable"
		echo 1 > "$T/tracing_on"
		return 0
	fi
	echo 0 > "$T/events/kvmmem/kvmmem_page_in/enable"
	echo 0 > "$T/events/kvmmem/kvmmem_page_in/filter"
	awk '/kvmmem_page_in:/ {
		task = $1; sub(/-[0-9]+$/, "", task)
		gfn = $0; sub(/.* gfn=/, "", gfn); sub(/ .*/, "", gfn)
		reads++; by[task]++
		if (++n[gfn] == 1) gfns++
		if (n[gfn] == 2) { twice++; again[task]++ }
	}
	END {
		printf "# page-in trace: %d reads of %d gfns, %d gfns read more than once\n", reads, gfns, twice
		for (t in by) printf "#   %s: %d reads, %d of them a second read\n", t, by[t], again[t] + 0
	}' "$T/trace"
	grep -c 'LOST' "$T/trace" | awk '$1 > 0 { print "#   (the trace lost events)" }'
}

# 5: on from dst, where pages are out, to src
rc=1
quit=0
l2_quit vm1 60 || quit=1
if [ $on_dst -eq 0 ]; then
	out=$(kvmmem_file_stat "$dst/vm2" swapped_out)
	in0=$(kvmmem_counter pages_swapped_in)
	out0=$(kvmmem_counter pages_swapped_out)
	clean0=$(kvmmem_counter pages_swapped_out_clean)
	ra0=$(kvmmem_counter swap_readahead_pages)
	trace_page_ins on "$(stat -c %i "$dst/vm2")"
	migrate vm2 "$dst/vm2" vm3 "$src/vm3"
	trace_page_ins off
	in=$(($(kvmmem_counter pages_swapped_in) - in0))
	went=$(($(kvmmem_counter pages_swapped_out) - out0))
	clean=$(($(kvmmem_counter pages_swapped_out_clean) - clean0))
	echo "# dst/vm2 had $out pages out, $before resident; during the migration $in pages read back ($(($(kvmmem_counter swap_readahead_pages) - ra0)) ahead of a fault), $went paged out ($clean without a write)"
	[ "$status" = completed ] && [ "$out" -gt 0 ] &&
		[ "$in" -le $((sent + SLACK_PAGES)) ] &&
		[ $((10 * clean)) -ge $((9 * went)) ] &&
		[ "$most" -le $((before + SLACK_PAGES)) ] &&
		l2_answers vm3 60 && l2_run vm3 $CMD_TIMEOUT "md5sum -c /dev/shm/sum" && rc=0
	[ $rc -eq 0 ] || { l2_tail vm2; l2_tail vm3; }
fi
tap_result $rc "a guest with pages out migrates on: read back once, gone again without a write"

# 6: everything given back
rc=$quit
l2_quit vm2 60 2>/dev/null || true
l2_quit vm3 60 2>/dev/null || true
for m in $mounted; do
	umount "$m" || rc=1
done
mounted=""
losetup -d "$loopdev" || rc=1
loopdev=""
echo "# swap_slots_used $(kvmmem_counter swap_slots_used)"
[ "$(kvmmem_counter swap_slots_used)" -eq 0 ] || rc=1
kvmmem_frames_back "$start_kb" || rc=1
tap_result $rc "quit and umount give every frame and slot back"

[ $tap_failed -eq 0 ]
