#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# l1-reliability.sh BACKING RUNS [SERIES]: boots L1 RUNS times (SERIES,
# default 6.1; VM_SMP vCPUs, default 1) with selftests/kvmmem/l1_soak.sh
# BACKING (kvmmem, tmpfs, or both: the two alternately, so that both cells
# see the same load on the host) and records how each boot ended, one line
# each, in build/soak/<series>-<smp>cpu-[<VM_LABEL>-]<backing>.results
# (VM_LABEL names a configuration under test, e.g. with
# VM_KVM_AMD_PARAMS=vgif=0):
#
#   ok          three guests booted, wrote and answered; RIG-EXIT 0
#   ok-poked    the same, but L1 had to be woken from a lost interrupt by
#               the rig's key press (vm-run.sh, VM_POKE)
#   guest-fail  L1 lived (RIG-EXIT non-zero) but a guest did not boot or
#               answer
#   silent      no console or kernel output for VM_STALL (300) s: the rig
#               stopped L1 after dumping its registers (the boot's log)
#   died        L1 stopped without RIG-EXIT (a panic, a reset)
#
# Each boot's log is kept beside it (<...>.<n>.log), and its kernel log
# (<...>.<n>.log.kernel).  `l1-reliability.sh summary` prints the table of
# Documentation/testing.rst from the files.
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT=$RIG_REPO/build/soak

# classify LOG: how the boot in LOG ended.
classify() {
	if grep -aq '^rig: console silent' "$1"; then
		echo silent
	elif grep -aq '^RIG-EXIT 0$' "$1" && grep -aq '^rig: lost interrupt' "$1"; then
		echo ok-poked
	elif grep -aq '^RIG-EXIT 0$' "$1"; then
		echo ok
	elif grep -aq '^RIG-EXIT [0-9]*$' "$1"; then
		echo guest-fail
	else
		echo died
	fi
}

# summary: a row per cell, each boot classified anew from its log.
summary() {
	local f cell log
	printf '%-34s %5s %4s %9s %10s %6s %4s\n' cell boots ok ok-poked guest-fail silent died
	for f in "$OUT"/*.results; do
		[ -f "$f" ] || continue
		cell=$(basename "$f" .results)
		for log in "$OUT/$cell".*.log; do
			classify "$log"
		done | awk -v cell="$cell" '
			{ n++; c[$1]++ }
			END { printf "%-34s %5d %4d %9d %10d %6d %4d\n", cell, n, c["ok"],
				c["ok-poked"], c["guest-fail"], c["silent"], c["died"] }'
	done
}

# soak_once SERIES SMP BACKING: one boot, its outcome appended to the
# cell's results.
soak_once() {
	local series=$1 smp=$2 backing=$3 cell n log how
	cell=$series-${smp}cpu-${VM_LABEL:+$VM_LABEL-}$backing
	n=$(($({ cat "$OUT/$cell.results" 2>/dev/null || true; } | wc -l) + 1))
	log=$OUT/$cell.$n.log
	VM_SMP=$smp VM_STALL=${VM_STALL:-300} VM_TIMEOUT=${VM_TIMEOUT:-1500} \
		VM_KERNEL_LOG=$log.kernel KVMMEM_SKIP_DEPS=1 "$RIG_DIR/vm-run.sh" "$series" \
		"$RIG_REPO/selftests/kvmmem/l1_soak.sh" "$backing" >"$log" 2>&1 || true
	how=$(classify "$log")
	echo "$how $(basename "$log")" >>"$OUT/$cell.results"
	echo "$cell run $n: $how"
}

main() {
	local backing=$1 runs=${2:-} series=${3:-6.1} smp=${VM_SMP:-1} i b backings
	[ "$backing" = summary ] && { summary; return; }
	case $backing in
	kvmmem | tmpfs) backings=$backing ;;
	both) backings="tmpfs kvmmem" ;;
	*) rig_die "backing: kvmmem, tmpfs or both" ;;
	esac
	mkdir -p "$OUT"
	for ((i = 1; i <= runs; i++)); do
		for b in $backings; do
			soak_once "$series" "$smp" "$b"
		done
	done
}

main "$@"; exit
