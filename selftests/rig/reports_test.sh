#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reports_test.sh: the rig's reading of L1's kernel log (lib.sh,
# rig_first_report), native.  A bug report fails the boot, except an idle
# CPU's soft lockup in a boot where the rig woke a lost interrupt: there
# the watchdog saw the clock jump, nothing hogged the CPU.
#
#   1 a clean log: nothing counted
#   2 an idle CPU's soft lockup, the rig having woken a lost interrupt:
#     not counted, and shown as such
#   3 the same without a lost interrupt: counted
#   4 a busy task's soft lockup, lost interrupt or not: counted
#   5 a WARNING after an idle CPU's soft lockup that is not counted: the
#     WARNING is
#   6 the tick L1 ran, read from its "L1 up" line (check.sh, tick_check),
#     also when the line follows the BIOS's last words
#   7 an "L1 up" line without a tick (vm-run.sh before VM_TICK): none
set -euo pipefail

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=selftests/rig/lib.sh
source "$RIG_DIR/lib.sh"
# shellcheck source=selftests/kvmmem/tap.sh
source "$RIG_DIR/../kvmmem/tap.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

IDLE='[  479.653198] watchdog: BUG: soft lockup - CPU#0 stuck for 38s! [swapper/0:0]'
BUSY='[  479.653198] watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [kvmmem_reclaim:91]'
WARN='[  500.000000] WARNING: CPU: 0 PID: 91 at module/paging.c:100 page_out+0x1/0x2'
POKED='rig: lost interrupt after 30 s of silence: CPU#0 RIP=ffffffff8108f764 HLT=1 vector 236 pending, PPR 0x10 ; sent a key press'

# logs KERNEL-LINES... -- CONSOLE-LINES...: writes the two logs
logs() {
	local k=$WORK/k c=$WORK/c
	: >"$k"
	: >"$c"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do echo "$1" >>"$k"; shift; done
	[ $# -eq 0 ] || shift
	while [ $# -gt 0 ]; do echo "$1" >>"$c"; shift; done
}

first() {
	rig_first_report "$WORK/k" "$WORK/c"
}

echo "1..7"
logs '[    1.0] booting' '[    2.0] kvmmem: loaded' -- 'ok 1 - x'
tap_result "$([ -z "$(first)" ] && echo 0 || echo 1)" "a clean log: nothing counted"

logs '[    1.0] booting' "$IDLE" '[  479.7] Call Trace:' -- "$POKED"
tap_result "$([ -z "$(first)" ] && [ "$(rig_idle_lockups "$WORK/k" "$WORK/c")" = "$IDLE" ] && echo 0 || echo 1)" \
	"an idle CPU's soft lockup after a lost interrupt: not counted, shown"

logs '[    1.0] booting' "$IDLE" -- 'ok 1 - x'
tap_result "$([ "$(first)" = 2 ] && [ -z "$(rig_idle_lockups "$WORK/k" "$WORK/c")" ] && echo 0 || echo 1)" \
	"an idle CPU's soft lockup with no lost interrupt: counted"

logs '[    1.0] booting' "$BUSY" -- "$POKED"
tap_result "$([ "$(first)" = 2 ] && echo 0 || echo 1)" \
	"a busy task's soft lockup: counted, lost interrupt or not"

logs '[    1.0] booting' "$IDLE" '[  479.7] Call Trace:' "$WARN" -- "$POKED"
tap_result "$([ "$(first)" = 4 ] && echo 0 || echo 1)" \
	"a WARNING after an idle CPU's soft lockup: the WARNING counts"
logs -- 'Probing EDD (edd=off to disable)... orig: L1 up: 6.1.0-57-amd64, 1 cpus, 3041500 kB, tick periodic'
tap_result "$([ "$(rig_l1_tick "$WORK/c")" = periodic ] && echo 0 || echo 1)" \
	"the tick read from L1's first line, after the BIOS's words"

logs -- 'rig: L1 up: 6.1.0-57-amd64, 1 cpus, 3041500 kB' 'rig: L1 up: x, tick periodic'
tap_result "$([ -z "$(rig_l1_tick "$WORK/c")" ] && echo 0 || echo 1)" \
	"an L1 line without a tick: none read"
exit $((tap_failed > 0))
