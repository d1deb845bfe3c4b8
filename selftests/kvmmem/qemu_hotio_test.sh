#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_hotio_test.sh: hot I/O pages (paper section 7) with stock QEMU.
# Runs inside the test VM, booted with more than 4 GiB (tests-iommu.list),
# and prints TAP.  One L2 guest of GUEST_MB, its RAM on kvmmem, with a
# virtio disk the way a cache=none disk is given (cache=none, aio=native:
# QEMU reads straight into guest RAM with O_DIRECT) over a loop device of
# DISK_MB of random data.  The guest reads the whole disk with O_DIRECT
# again and again, each pass through one dd's buffer, and writes each
# pass's md5 to a file.
#
#   1 the guest boots and sees its disk
#   2 the pages QEMU reads into are found in use by the scanner and become
#     hot: the file's hot_io_pages is seen above 0, and pages_busy grows
#     (the scanner left them)
#   3 with hot_io_remap=1, hot pages move below 4 GiB: hot_io_remapped
#     grows, and the kvmmem_hot_io_remap tracepoint shows every page moved
#     from a frame above 4 GiB to one below
#   4 every pass the guest made, before, during and after the moves, read
#     the disk's data (its md5 is the image's, computed here)
#   5 once QEMU quit and kvmmem is unmounted, every frame is back,
#     frames_below_4g too
#
# The threshold is 1: a page caught in use once is hot.  Under emulation an
# I/O holds its pages for a small share of the time, and the default (3)
# needs three more visits in use than quiet.
set -eu

for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
. "$lib/l2guest.sh"
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

GUEST_MB=128
DISK_MB=16
HOT_WAIT=$((120 * L2_SLOW))
NTESTS=5
TRACE=/sys/kernel/tracing
EVENT=$TRACE/events/kvmmem/kvmmem_hot_io_remap
# The first page frame number at 4 GiB.
PFN_4G=$((1 << 20))

L2_WORK=$(mktemp -d /tmp/qemu_hotio.XXXXXX)
mnt=$L2_WORK/mnt
mounted=0
disk=""
saved=""

cleanup() {
	l2_kill_all
	[ $mounted -eq 0 ] || umount "$mnt" 2>/dev/null || true
	[ -z "$disk" ] || losetup -d "$disk" 2>/dev/null || true
	echo 0 >"$EVENT/enable" 2>/dev/null || true
	restore_knobs
	rm -rf "$L2_WORK"
}

save_knobs() {
	local k
	for k in hot_io_threshold hot_io_remap pages_to_scan sleep_millisecs run; do
		saved="$saved $k=$(cat "$KVMMEM_SYSFS/$k")"
	done
}

restore_knobs() {
	local kv
	for kv in $saved; do
		echo "${kv#*=}" >"$KVMMEM_SYSFS/${kv%%=*}" 2>/dev/null || true
	done
}

knob() {
	echo "$2" >"$KVMMEM_SYSFS/$1"
}

# wait_for SECONDS COMMAND: until COMMAND succeeds, once a second.
wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 1
	done
}

# saw_hot: the file has a hot page now.
saw_hot() {
	[ "$(kvmmem_file_stat "$mnt/vm1" hot_io_pages)" -gt 0 ]
}

# moved_some: eight pages or more moved since moved0.
moved_some() {
	[ "$(kvmmem_counter hot_io_remapped)" -ge $((moved0 + 8)) ]
}

# remaps_below_4g INO: every traced move of INO's pages went from above
# 4 GiB to below; prints how many there were.
remaps_below_4g() {
	local line n=0 old new
	while read -r line; do
		case "$line" in *"kvmmem_hot_io_remap: ino=$1 "*) ;; *) continue ;; esac
		old=${line##*old_pfn=}
		old=${old%% *}
		new=${line##*new_pfn=}
		new=${new%% *}
		if [ $((old)) -lt $PFN_4G ] || [ $((new)) -ge $PFN_4G ]; then
			echo "# moved the wrong way: $line" >&2
			return 1
		fi
		n=$((n + 1))
	done <"$TRACE/trace"
	echo $n
}

l2_preflight $NTESTS qemu_hotio
[ -d "$EVENT" ] || tap_bail "no tracepoint at $EVENT"
above=$(awk '/^Node .* zone +Normal/ { n = 1 } n && /present/ { print $2; exit }' /proc/zoneinfo)
[ "${above:-0}" -gt 0 ] ||
	tap_skip_all $NTESTS qemu_hotio "no memory above 4 GiB (the VM needs VM_MEM over 4G)"

trap cleanup EXIT
trap 'exit 130' INT TERM
save_knobs
l2_mount "$mnt"
start_kb=$(kvmmem_held_kb)
low_start=$(kvmmem_counter frames_below_4g)
dd if=/dev/urandom of="$L2_WORK/disk.img" bs=1M count=$DISK_MB 2>/dev/null
sum=$(md5sum <"$L2_WORK/disk.img" | awk '{ print $1 }')
if ! disk=$(losetup -f) || ! losetup "$disk" "$L2_WORK/disk.img"; then
	disk=""
	tap_bail "no loop device"
fi

# 1: boot with the disk
t0=$(date +%s)
touch "$mnt/vm1"
L2_QEMU_ARGS="$L2_QEMU_ARGS -drive file=$disk,if=virtio,format=raw,cache=none,aio=native,readonly=on"
l2_start vm1 "$mnt/vm1" $GUEST_MB
up=1
l2_wait_ready vm1 "$BOOT_TIMEOUT" && l2_run vm1 60 "test -b /dev/vda" && up=0
echo "# L2 boot took $(($(date +%s) - t0)) s; disk $disk ($DISK_MB MiB, md5 $sum)"
[ $up -eq 0 ] || l2_tail vm1
tap_result $up "a guest with a cache=none, aio=native virtio disk boots with its RAM on kvmmem"

# 2: the guest reads; the scanner finds the pages in use
rc=1
if [ $up -eq 0 ]; then
	knob hot_io_threshold 1
	knob pages_to_scan 1000
	knob sleep_millisecs 20
	l2_type vm1 "{ while [ ! -e /root/stop ]; do dd if=/dev/vda bs=128k iflag=direct 2>/dev/null | md5sum; done >/root/sums 2>&1; touch /root/done; } &"
	busy0=$(kvmmem_counter pages_busy)
	knob run 1
	if wait_for "$HOT_WAIT" saw_hot; then
		rc=0
	fi
	echo "# hot_io_pages of the file $(kvmmem_file_stat "$mnt/vm1" hot_io_pages); pages_busy +$(($(kvmmem_counter pages_busy) - busy0)), pages_hot_skipped $(kvmmem_counter pages_hot_skipped)"
	[ "$(kvmmem_counter pages_busy)" -gt "$busy0" ] || rc=1
fi
[ $rc -eq 0 ] || [ $up -ne 0 ] || l2_tail vm1
tap_result $rc "pages QEMU reads into are found in use and become hot; the scanner leaves them"

# 3: remapping
rc=1
if [ $up -eq 0 ]; then
	moved0=$(kvmmem_counter hot_io_remapped)
	echo >"$TRACE/trace"
	echo 1 >"$EVENT/enable"
	knob hot_io_remap 1
	wait_for "$HOT_WAIT" moved_some && rc=0
	knob hot_io_remap 0
	echo 0 >"$EVENT/enable"
	traced=$(remaps_below_4g "$(stat -c %i "$mnt/vm1")") || rc=1
	echo "# hot_io_remapped +$(($(kvmmem_counter hot_io_remapped) - moved0)), refused $(kvmmem_counter hot_io_remap_refused); traced ${traced:-?} moves, all to below 4 GiB; frames_below_4g $low_start -> $(kvmmem_counter frames_below_4g)"
	[ "${traced:-0}" -ge 8 ] || rc=1
fi
tap_result $rc "with hot_io_remap=1, hot pages move from above 4 GiB to below"

# 4: the data the guest read
rc=1
if [ $up -eq 0 ] && l2_run vm1 60 "touch /root/stop" &&
	wait_for "$CMD_TIMEOUT" l2_run vm1 30 "test -e /root/done"; then
	knob run 0
	passes=$(l2_query vm1 60 '$(wc -l </root/sums)')
	kinds=$(l2_query vm1 60 '$(sort -u /root/sums | wc -l)')
	got=$(l2_query vm1 60 '$(head -n 1 /root/sums)')
	echo "# $passes passes, $kinds distinct md5s, the first $got"
	[ "${passes:-0}" -ge 2 ] && [ "$kinds" = 1 ] && [ "$got" = "$sum" ] && rc=0
fi
[ $rc -eq 0 ] || [ $up -ne 0 ] || l2_tail vm1
tap_result $rc "every pass over the disk, across the moves, read the image's data"

# 5: everything given back
rc=0
knob run 0
l2_quit vm1 60 || rc=1
umount "$mnt" || rc=1
mounted=0
echo "# after umount: frames_below_4g $(kvmmem_counter frames_below_4g) (at start $low_start)"
kvmmem_frames_back "$start_kb" &&
	[ "$(kvmmem_counter frames_below_4g)" -eq "$low_start" ] || rc=1
tap_result $rc "quit and umount give every frame back, those below 4 GiB too"

[ $tap_failed -eq 0 ]
