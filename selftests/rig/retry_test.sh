#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# retry_test.sh: the rig's test of check.sh's retry of a dead VM, native
# (run by check.sh itself, on the host).  It runs check.sh on the 6.1
# kernel over rig-selftest.list (rig_pass.sh, then rig_fail.sh) with
# vm-run.sh's fault switch:
#
#   KVMMEM_RIG_FAULT=kill-once   L1 is killed after rig_pass.sh's END: the
#                                boot is retried once, said in one line, and
#                                only the second boot counts (2 passed:
#                                rig_pass.sh and L1's tick; 1 failed:
#                                rig_fail.sh fails and is not retried)
#   KVMMEM_RIG_FAULT=kill-always both boots die: one retry, then two
#                                failures (rig_fail.sh did not finish, and
#                                the VM died twice)
#
# Four boots of L1, about a minute each.
set -euo pipefail

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# tap_result STATUS DESCRIPTION, and tap_failed: the shell tests' TAP.
# shellcheck source=selftests/kvmmem/tap.sh
source "$RIG_DIR/../kvmmem/tap.sh"

# run_check FAULT OUT: check.sh over rig-selftest.list with that fault;
# its output to OUT, its status to OUT.rc.
run_check() {
	local rc=0
	KVMMEM_RIG_FAULT=$1 KVMMEM_RIG_FAULT_STATE=$WORK/$1.done \
		KVMMEM_SERIES=6.1 KVMMEM_LISTS=rig-selftest.list:1 \
		KVMMEM_CHECK_NATIVE=0 KVMMEM_SKIP_DEPS=1 \
		"$RIG_DIR/check.sh" >"$2" 2>&1 || rc=$?
	echo "$rc" >"$2.rc"
}

# lines OUT REGEX: how many lines of OUT match.
lines() {
	grep -c -E "$2" "$1" || true
}

show() {
	sed 's/^/# | /' "$1"
}

main() {
	local once=$WORK/once.out always=$WORK/always.out
	echo "1..9"
	run_check kill-once "$once"
	tap_result "$([ -e "$WORK/kill-once.done" ] && echo 0 || echo 1)" \
		"kill-once: the fault fired"
	tap_result "$([ "$(lines "$once" 'the VM died without RIG-EXIT; booting it once more')" = 1 ] && echo 0 || echo 1)" \
		"kill-once: check.sh booted once more and said so in one line"
	tap_result "$([ "$(tail -n 1 "$once")" = "2 passed, 1 failed" ] && echo 0 || echo 1)" \
		"kill-once: only the second boot counts (2 passed: rig_pass.sh and L1's tick; 1 failed)"
	tap_result "$([ "$(cat "$once.rc")" != 0 ] && echo 0 || echo 1)" \
		"kill-once: the failing test fails the run"
	tap_result "$([ "$(lines "$once" 'died twice')" = 0 ] && echo 0 || echo 1)" \
		"kill-once: the failing test was not retried"
	[ "$tap_failed" -eq 0 ] || show "$once"
	run_check kill-always "$always"
	tap_result "$([ "$(lines "$always" 'booting it once more')" = 1 ] && echo 0 || echo 1)" \
		"kill-always: one retry, no more"
	tap_result "$([ "$(lines "$always" '^6\.1/rig-selftest\.list: not ok - the VM died twice')" = 1 ] && echo 0 || echo 1)" \
		"kill-always: a VM that dies twice is a failure"
	tap_result "$([ "$(cat "$always.rc")" != 0 ] && [ "$(tail -n 1 "$always")" = "2 passed, 2 failed" ] && echo 0 || echo 1)" \
		"kill-always: the run fails (2 passed; 2 failed: rig_fail.sh did not finish, the VM died twice)"
	tap_result "$(tail -n 3 "$always" | head -n 2 | tr '\n' ' ' | grep -q '^# recap: .*rig_fail\.sh: not ok .*# recap: .*not ok - the VM died twice' && echo 0 || echo 1)" \
		"kill-always: both failures are recapped just before the last line"
	[ "$tap_failed" -eq 0 ] || show "$always"
	[ "$tap_failed" -eq 0 ]
}

main "$@"; exit
