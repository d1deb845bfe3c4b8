#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench_ksm.sh: kvmmem's page sharing against Linux KSM, in one boot of the
# test VM (selftests/rig/bench-ksm.sh starts it; busybox sh, kvmmem.ko
# loaded, nested KVM).  The same N stock-QEMU guests run twice:
#
#   ksm     anonymous guest RAM (-m, no memory backend), -machine
#           mem-merge=on (QEMU's default: MADV_MERGEABLE on guest RAM),
#           KSM's ksmd scanning
#   kvmmem  guest RAM in files on a kvmmem mount, kvmmem_scand scanning
#
# Both scanners get the same pages_to_scan and sleep_millisecs; every
# other knob stays at its default (KSM: use_zero_pages=0, so KSM merges
# zero pages into ordinary KSM pages that pages_sharing counts;
# max_page_sharing 256 on both).  Transparent huge pages are turned off
# while it runs, so that both sides start from guest memory in 4 KiB pages
# (with THP, QEMU's anonymous RAM is backed by 2 MiB pages whose untouched
# parts are resident zeros; kvmmem has no huge pages).
#
# Per side: the guests boot with the scanner stopped, each runs the same
# workload (below), then the scanner is started and the clock with it.
# Every SAMPLE_S the counters are read until the saving (KSM:
# pages_sharing + ksm_zero_pages where it exists; kvmmem: pages_sharing +
# zero_pages) has not grown by more than 0.5% for STABLE_SCANS full scans
# (or MAX_SCAN_S passed).  Printed: the saving then (by the scanner's
# counters, and within guest RAM alone: see saved_in_ram), the time to
# 90% of it, the scanner thread's CPU time (utime + stime from
# /proc/PID/stat), and its metadata per resident guest page; then a table
# with the ratios kvmmem / KSM.  Numbers are as measured, nothing is
# adjusted.  The guests boot without KASLR, so that both sides' guests
# hold the same kernel text.
#
# The guests' workload, identical for both sides: each guest writes into
# its tmpfs SHARED_COPIES copies of its /bin/busybox, each shifted by one
# more byte (the same bytes in every guest, but no two pages alike),
# UNIQUE_COPIES copies shifted by amounts only that guest uses, and
# ZERO_MB MiB of zeros.
#
# Settings, as NAME=VALUE arguments (the host's environment does not reach
# the test VM: selftests/rig/bench-ksm.sh BENCH_PAGES=500 passes them on)
# or in the environment: BENCH_GUESTS=3, BENCH_GUEST_MB=256,
# BENCH_PAGES=2000, BENCH_SLEEP_MS=20, BENCH_ORDER="ksm kvmmem",
# BENCH_MAX_SCAN_S=300, BENCH_STABLE_SCANS=3.
# shellcheck disable=SC3043 # busybox sh, which runs this, has "local"
set -eu

for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
# shellcheck source=selftests/kvmmem/l2guest.sh
. "$lib/l2guest.sh"

for arg in "$@"; do
	case $arg in
	BENCH_*=*) export "${arg?}" ;;
	*)
		echo "usage: $0 [BENCH_NAME=VALUE...]" >&2
		exit 2
		;;
	esac
done

NGUESTS=${BENCH_GUESTS:-3}
GUEST_MB=${BENCH_GUEST_MB:-256}
PAGES=${BENCH_PAGES:-2000}
SLEEP_MS=${BENCH_SLEEP_MS:-20}
ORDER=${BENCH_ORDER:-ksm kvmmem}
MAX_SCAN_S=${BENCH_MAX_SCAN_S:-300}
SAMPLE_S=0.25
STABLE_SCANS=${BENCH_STABLE_SCANS:-3}
SHARED_COPIES=16
UNIQUE_COPIES=8
ZERO_MB=16
BOOT_TIMEOUT=300
CMD_TIMEOUT=300
# /proc/PID/stat counts CPU time in USER_HZ ticks: 100 a second on x86,
# the same unit as /proc/uptime's hundredths; secs() converts both.

# sizeof(struct ksm_rmap_item) and of struct ksm_stable_node: 64 bytes
# each in Debian's 6.1 and 6.12 builds (pahole on their BTF).
KSM_RMAP_ITEM_BYTES=64
KSM_STABLE_NODE_BYTES=64

# The guest kernel's text is relocated at boot; with KASLR each boot
# gets other offsets and so other page contents, which would make the
# two sides' guests differ by thousands of shareable pages.
L2_APPEND="$L2_APPEND nokaslr"

KSM=/sys/kernel/mm/ksm
THP=/sys/kernel/mm/transparent_hugepage/enabled
L2_WORK=$(mktemp -d /tmp/bench_ksm.XXXXXX)
mnt=$L2_WORK/mnt
mounted=0
old_thp=
guests=
i=1
while [ $i -le "$NGUESTS" ]; do
	guests="$guests vm$i"
	i=$((i + 1))
done

die() {
	echo "bench_ksm: $*" >&2
	exit 1
}

cleanup() {
	l2_kill_all
	echo 0 >"$KVMMEM_SYSFS/run" 2>/dev/null || true
	echo 2 >"$KSM/run" 2>/dev/null || true
	echo 0 >"$KSM/run" 2>/dev/null || true
	[ $mounted -eq 0 ] || umount "$mnt" 2>/dev/null || true
	[ -z "$old_thp" ] || echo "$old_thp" >"$THP" 2>/dev/null || true
	rm -rf "$L2_WORK"
}

now_cs() {
	awk '{ printf "%d\n", $1 * 100 }' /proc/uptime
}

# secs CENTISECONDS: as seconds with two decimals.
secs() {
	awk -v c="$1" 'BEGIN { printf "%.2f", c / 100 }'
}

# thread_pid COMM: the PID of the kernel thread named COMM.
thread_pid() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}" && return 0
	done
	return 1
}

# cpu_ticks PID: utime + stime (fields 14 and 15; comm has no spaces).
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

ksm() {
	cat "$KSM/$1" 2>/dev/null || echo 0
}

# saved SIDE: pages the side's scanner saves now.
saved() {
	if [ "$1" = ksm ]; then
		echo $(($(ksm pages_sharing) + $(ksm ksm_zero_pages)))
	else
		kvmmem_saved_pages
	fi
}

full_scans() {
	if [ "$1" = ksm ]; then ksm full_scans; else kvmmem_counter full_scans; fi
}

# metadata SIDE: bytes of the scanner's bookkeeping now.  kvmmem counts
# its own (content table + shared frame descriptors).  KSM has no such
# counter: one ksm_rmap_item per page it has scanned, one ksm_stable_node
# per KSM page and per stable node chain.  Its rmap_items are
# pages_shared + pages_sharing + pages_unshared + pages_volatile (KSM
# derives pages_volatile from its rmap_item count that way); its mm_slots
# (one per process) are left out.
metadata() {
	if [ "$1" = ksm ]; then
		echo $(($(ksm_rmap_items) * KSM_RMAP_ITEM_BYTES +
			($(ksm pages_shared) + $(ksm stable_node_chains)) * KSM_STABLE_NODE_BYTES))
	else
		kvmmem_counter metadata_bytes
	fi
}

ksm_rmap_items() {
	echo $(($(ksm pages_shared) + $(ksm pages_sharing) + $(ksm pages_unshared) + $(ksm pages_volatile)))
}

# start_guest SIDE NAME
start_guest() {
	if [ "$1" = ksm ]; then
		l2_start "$2" anon "$GUEST_MB"
	else
		rm -f "$mnt/$2"
		l2_start "$2" "$mnt/$2" "$GUEST_MB"
	fi
}

guest_failed() {
	l2_tail "$1"
	dmesg | tail -n 30 | sed 's/^/# /'
	die "$2"
}

# boot_guests SIDE: boots them one after the other (side by side, the
# emulator now and then resets a booting guest whatever its RAM is; see
# Documentation/testing.rst).  A guest that resets anyway is started once
# more.
boot_guests() {
	local vm
	for vm in $guests; do
		start_guest "$1" "$vm"
		l2_wait_ready "$vm" $BOOT_TIMEOUT && continue
		l2_alive "$vm" && guest_failed "$vm" "$vm did not boot"
		echo "($vm reset while booting; starting it once more)"
		start_guest "$1" "$vm"
		l2_wait_ready "$vm" $BOOT_TIMEOUT || guest_failed "$vm" "$vm did not boot"
	done
}

# workload N: guest N's writes into its tmpfs.
workload() {
	local vm=vm$1 shift0=$((1000 * $1))
	l2_run "$vm" "$CMD_TIMEOUT" "k=2; while [ \$k -le $((SHARED_COPIES + 1)) ]; do tail -c +\$k /bin/busybox; k=\$((k+1)); done >/dev/shm/shared" ||
		guest_failed "$vm" "$vm: shared part of the workload failed"
	l2_run "$vm" "$CMD_TIMEOUT" "k=1; while [ \$k -le $UNIQUE_COPIES ]; do tail -c +\$((k+$shift0)) /bin/busybox; k=\$((k+1)); done >/dev/shm/unique" ||
		guest_failed "$vm" "$vm: unique part of the workload failed"
	l2_run "$vm" "$CMD_TIMEOUT" "dd if=/dev/zero of=/dev/shm/zero bs=1M count=$ZERO_MB" ||
		guest_failed "$vm" "$vm: zero part of the workload failed"
}

# ram_kb VM: "Rss Pss" in KiB of VM's QEMU's guest RAM mapping (its
# largest).
ram_kb() {
	awk '/^Size:/ { size = $2 } /^Rss:/ { rss = $2 }
		/^Pss:/ { if (size > max) { max = size; r = rss; p = $2 } }
		END { print r + 0, p + 0 }' "/proc/$(cat "$(l2_dir "$1")/pid")/smaps"
}

# resident SIDE: guest pages resident now.  kvmmem: the files' resident
# pages; KSM: Rss of each QEMU's guest RAM mapping, in pages.
resident() {
	local vm sum=0 kb
	for vm in $guests; do
		if [ "$1" = ksm ]; then
			kb=$(ram_kb "$vm")
			sum=$((sum + ${kb% *} / 4))
		else
			sum=$((sum + $(kvmmem_file_resident "$mnt/$vm")))
		fi
	done
	echo $sum
}

# saved_in_ram SIDE: pages saved within the guests' RAM alone.  KSM also
# merges QEMU's other RAM blocks (BIOS, option ROMs, ACPI tables: QEMU
# marks them all mergeable; about 600 pages a guest), which kvmmem never
# sees, so its counters overstate what it saves in guest RAM.  There,
# Rss - Pss of the RAM mappings is what sharing saved (a page mapped n
# times counts 1/n in each mapping's Pss).  kvmmem's counters are all
# within guest RAM.
saved_in_ram() {
	local vm rss=0 pss=0 kb
	[ "$1" = ksm ] || {
		saved kvmmem
		return
	}
	for vm in $guests; do
		kb=$(ram_kb "$vm")
		rss=$((rss + ${kb% *}))
		pss=$((pss + ${kb#* }))
	done
	echo $(((rss - pss) / 4))
}

set_run() {
	if [ "$1" = ksm ]; then echo "$2" >"$KSM/run"; else echo "$2" >"$KVMMEM_SYSFS/run"; fi
}

# measure SIDE: boots, loads, scans; sets r_* for the table.
measure() {
	local side=$1 comm pid t0 c0 t cpu s fs best=0 best_fs best_t=0 slack
	local samples=$L2_WORK/$side.samples n=0 vm boot
	echo
	echo "== $side: $NGUESTS guests x $GUEST_MB MiB, scanner stopped while they boot"
	comm=kvmmem_scand
	[ "$side" = kvmmem ] || comm=ksmd
	pid=$(thread_pid $comm) || die "no $comm thread"
	if [ "$side" = kvmmem ]; then
		mkdir -p "$mnt"
		mount -t kvmmem -o size=1G none "$mnt" || die "cannot mount kvmmem"
		mounted=1
	fi
	boot=$(now_cs)
	boot_guests "$side"
	echo "booted in $(secs $(($(now_cs) - boot))) s; running the workload"
	i=1
	for vm in $guests; do
		workload $i
		i=$((i + 1))
	done
	sleep 5
	r_resident=$(resident "$side")
	echo "resident guest pages: $r_resident; saved before scanning: $(saved "$side"); L1 $(awk '/^(MemFree|AnonPages|AnonHugePages):/ { printf "%s %d MiB ", $1, $2 / 1024 }' /proc/meminfo)"

	t0=$(now_cs)
	c0=$(cpu_ticks "$pid")
	best_fs=$(full_scans "$side")
	set_run "$side" 1
	echo "scanner started: $PAGES pages every $SLEEP_MS ms"
	: >"$samples"
	while :; do
		sleep $SAMPLE_S
		t=$(($(now_cs) - t0))
		cpu=$(($(cpu_ticks "$pid") - c0))
		s=$(saved "$side")
		fs=$(full_scans "$side")
		echo "$t $s $fs $cpu $(metadata "$side")" >>"$samples"
		n=$((n + 1))
		[ $((n % 10)) -ne 0 ] || echo "  t=$(secs "$t") s saved=$s full_scans=$fs cpu=$(secs "$cpu") s"
		slack=$((best / 200))
		[ $slack -ge 16 ] || slack=16
		if [ "$s" -gt $((best + slack)) ]; then
			best=$s
			best_fs=$fs
			best_t=$t
		elif [ "$best" -gt 0 ] && [ $((fs - best_fs)) -ge $STABLE_SCANS ]; then
			r_converged=yes
			break
		fi
		if [ "$t" -ge $((MAX_SCAN_S * 100)) ]; then
			r_converged="no (stopped after $MAX_SCAN_S s)"
			break
		fi
	done
	r_saved=$s
	r_saved_ram=$(saved_in_ram "$side")
	r_last_growth=$(secs "$best_t")
	r_window=$(secs "$t")
	r_scans=$fs
	r_cpu_window=$(secs "$cpu")
	# The first sample at 90% of the final saving, and the CPU used by then.
	t=$(awk -v goal="$r_saved" '$2 * 10 >= goal * 9 { print $1; exit }' "$samples")
	cpu=$(awk -v goal="$r_saved" '$2 * 10 >= goal * 9 { print $4; exit }' "$samples")
	r_t90=$(secs "${t:-0}")
	r_cpu90=$(secs "${cpu:-0}")
	r_meta=$(metadata "$side")
	r_meta_peak=$(awk 'BEGIN { m = 0 } $5 > m { m = $5 } END { print m }' "$samples")
	echo "$n samples in $r_window s: one every $(awk -v n=$n -v t="$r_window" 'BEGIN { printf "%.2f", t / n }') s on average (reading the counters takes time too)"
	echo "converged: $r_converged; saved $r_saved pages at $r_window s (last growth at $r_last_growth s, 90% at $r_t90 s); full_scans $r_scans; saved in guest RAM alone $r_saved_ram; $comm CPU $r_cpu_window s ($r_cpu90 s to 90%)"
	if [ "$side" = ksm ]; then
		rmap_items=$(ksm_rmap_items)
		echo "KSM: pages_shared $(ksm pages_shared) pages_sharing $(ksm pages_sharing) pages_unshared $(ksm pages_unshared) pages_volatile $(ksm pages_volatile) stable_node_chains $(ksm stable_node_chains) stable_node_dups $(ksm stable_node_dups) ksm_zero_pages $(ksm ksm_zero_pages)"
		echo "KSM: rmap_items $rmap_items x $KSM_RMAP_ITEM_BYTES B + stable nodes $(($(ksm pages_shared) + $(ksm stable_node_chains))) x $KSM_STABLE_NODE_BYTES B = $r_meta B (estimate)"
		if [ -f "$KSM/general_profit" ]; then
			echo "KSM: general_profit $(ksm general_profit) B, so rmap_items = ((pages_sharing + ksm_zero_pages) * 4096 - general_profit) / $KSM_RMAP_ITEM_BYTES = $(((($(ksm pages_sharing) + $(ksm ksm_zero_pages)) * 4096 - $(ksm general_profit)) / KSM_RMAP_ITEM_BYTES))"
		fi
		if [ -f "$KSM/pages_scanned" ]; then
			echo "KSM: pages_scanned $(ksm pages_scanned) pages_skipped $(ksm pages_skipped)"
		fi
	else
		echo "kvmmem: pages_shared $(kvmmem_counter pages_shared) pages_sharing $(kvmmem_counter pages_sharing) zero_pages $(kvmmem_counter zero_pages) pages_unshared $(kvmmem_counter pages_unshared) pages_scanned $(kvmmem_counter pages_scanned) cow_breaks $(kvmmem_counter cow_breaks) hash_false_matches $(kvmmem_counter hash_false_matches) metadata_bytes $r_meta general_profit $(kvmmem_counter general_profit)"
	fi

	for vm in $guests; do
		l2_answers "$vm" 60 || guest_failed "$vm" "$vm does not answer after merging"
	done
	echo "every guest still answers"
	# Stop the scanner before the files go away.
	if [ "$side" = ksm ]; then
		set_run ksm 2
		set_run ksm 0
	else
		set_run kvmmem 0
	fi
	for vm in $guests; do
		l2_quit "$vm" 60 || echo "($vm: QEMU had to be killed)"
	done
	if [ "$side" = kvmmem ]; then
		umount "$mnt" || die "umount failed"
		mounted=0
		set_run kvmmem 2
		set_run kvmmem 0
	fi
	put "$side" resident "$r_resident"
	put "$side" saved "$r_saved"
	put "$side" saved_ram "$r_saved_ram"
	put "$side" t90 "$r_t90"
	put "$side" last "$r_last_growth"
	put "$side" window "$r_window"
	put "$side" scans "$r_scans"
	put "$side" cpu90 "$r_cpu90"
	put "$side" cpu "$r_cpu_window"
	put "$side" meta "$r_meta"
	put "$side" meta_peak "$r_meta_peak"
	put "$side" converged "$r_converged"
}

# put SIDE KEY VALUE, get SIDE KEY: a side's results.
put() {
	echo "$2 $3" >>"$L2_WORK/$1.result"
}

get() {
	awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); v = $0 } END { print v }' "$L2_WORK/$1.result"
}

# row NAME KEY: a table row with the ratio kvmmem / KSM.
row() {
	row_of "$1" "$(get ksm "$2")" "$(get kvmmem "$2")"
}

row_of() {
	awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {
		r = (a + 0 != 0) ? sprintf("%.2f", b / a) : "-"
		printf "%-34s %14s %14s %10s\n", n, a, b, r
	}'
}

per_page() {
	awk -v m="$1" -v p="$2" 'BEGIN { if (p > 0) printf "%.1f", m / p; else print "-" }'
}

pct() {
	awk -v s="$1" -v p="$2" 'BEGIN { if (p > 0) printf "%.1f", 100 * s / p; else print "-" }'
}

[ -c /dev/kvm ] || die "no /dev/kvm: nested virtualization is unavailable"
[ -d "$KVMMEM_SYSFS" ] || die "kvmmem.ko is not loaded"
[ -d "$KSM" ] || die "no $KSM: this kernel has no KSM"
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bench_ksm: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
echo "guests: $NGUESTS x $GUEST_MB MiB, $L2_KERNEL + $L2_INITRD, booted with \"$L2_APPEND\"; workload per guest: $SHARED_COPIES shifted busybox copies alike in all guests, $UNIQUE_COPIES unique ones, $ZERO_MB MiB of zeros"
echo "both scanners: pages_to_scan $PAGES, sleep_millisecs $SLEEP_MS; sampled every $SAMPLE_S s; converged when the saving grew < 0.5% over $STABLE_SCANS full scans"
if [ -f "$THP" ]; then
	old_thp=$(sed 's/.*\[\(.*\)\].*/\1/' "$THP")
	echo never >"$THP"
	echo "transparent_hugepage: $old_thp -> never for the run"
fi
echo 0 >"$KSM/run"
echo 0 >"$KVMMEM_SYSFS/run"
echo "$PAGES" >"$KSM/pages_to_scan"
echo "$SLEEP_MS" >"$KSM/sleep_millisecs"
echo "$PAGES" >"$KVMMEM_SYSFS/pages_to_scan"
echo "$SLEEP_MS" >"$KVMMEM_SYSFS/sleep_millisecs"
printf 'KSM knobs:'
for f in pages_to_scan sleep_millisecs max_page_sharing use_zero_pages merge_across_nodes smart_scan advisor_mode; do
	[ -f "$KSM/$f" ] && printf ' %s=%s' "$f" "$(cat "$KSM/$f")"
done
echo
echo "kvmmem knobs: pages_to_scan=$(kvmmem_counter pages_to_scan) sleep_millisecs=$(kvmmem_counter sleep_millisecs) max_page_sharing=$(kvmmem_counter max_page_sharing) pages_to_scan_per_file=$(kvmmem_counter pages_to_scan_per_file) default_domain=$(kvmmem_counter default_domain)"

for side in $ORDER; do
	case $side in
	ksm | kvmmem) measure "$side" ;;
	*) die "BENCH_ORDER: unknown side $side" ;;
	esac
done

echo
echo "== result: $(uname -r), $NGUESTS guests x $GUEST_MB MiB, both scanners $PAGES pages / $SLEEP_MS ms, order: $ORDER"
printf '%-34s %14s %14s %10s\n' "" KSM kvmmem kvmmem/KSM
row "resident guest pages at start" resident
row "pages saved at convergence" saved
row "pages saved in guest RAM alone" saved_ram
row_of "saved in guest RAM / resident (%)" "$(pct "$(get ksm saved_ram)" "$(get ksm resident)")" \
	"$(pct "$(get kvmmem saved_ram)" "$(get kvmmem resident)")"
row "time to 90% of the saving (s)" t90
row "time to the last growth (s)" last
row "scanner CPU to 90% (s)" cpu90
row "scanner CPU, whole window (s)" cpu
row "window: start to convergence (s)" window
row "full scans in the window" scans
row "metadata bytes at convergence" meta
row "metadata bytes, peak in window" meta_peak
row_of "metadata bytes / resident page" "$(per_page "$(get ksm meta)" "$(get ksm resident)")" \
	"$(per_page "$(get kvmmem meta)" "$(get kvmmem resident)")"
echo "converged: KSM $(get ksm converged), kvmmem $(get kvmmem converged)"
echo "(KSM's own counters include QEMU's ROM and ACPI blocks; in guest RAM alone its saving is Rss - Pss of the RAM mappings.)"
echo "(KSM metadata is an estimate from its counters, see above; kvmmem's is its metadata_bytes counter.  TCG timings: compare the ratios only.)"
