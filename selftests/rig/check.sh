#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: `make check`.  Installs what the rig needs, runs the native unit
# tests (selftests/unit, when it exists), then the VM suite
# (selftests/kvmmem/run_all.sh, two boots: tests.list and tests-kvm.list,
# the tests that run KVM guests) on each supported kernel, and sums up the
# TAP results:
#
#   <series>: <test>: ok 1 - ...        one line per result
#   # <series>: N s                      wall time of that kernel's run
#   N passed, N failed[, N skipped]      the last line, exactly once
#
# Counting rules (TAP as the kernel's kselftest prints it): "ok" lines pass
# unless they carry "# SKIP"; "not ok" lines fail; a plan "1..N" with fewer
# results counts the missing ones as failed (the program crashed); a
# non-zero exit with no failure reported counts one failure, except
# kselftest's skip status 4; a test that printed no result at all fails
# (a test must assert something); a test that never printed its "# END" line,
# or a VM that never printed RIG-EXIT, counts one failure.  The output of
# a failing test is shown, prefixed with "<series>: <test> | ".
#
# Environment: KVMMEM_SERIES="6.1 6.12" to choose kernels; VM_TIMEOUT as
# for vm-run.sh.
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERIES=${KVMMEM_SERIES:-6.1 6.12}
PASSED=0
FAILED=0
SKIPPED=0

# tap_count PREFIX: reads the console of one run_all.sh on stdin, prints
# the result lines and the output of failing tests with PREFIX, and ends
# with "COUNTS <passed> <failed> <skipped>".
tap_count() {
	awk -v pre="$1" '
	function start(name) {
		test = name; inside = 1; nout = 0
		pass = fail = skip = 0; plan = -1; planskip = 0
	}
	function note(msg) { print pre ": " test ": " msg }
	function finish(rc, ended,    results, i) {
		results = pass + fail + skip
		if (plan == 0 && planskip && results == 0) { skip++; note("ok # SKIP (plan 1..0)") }
		if (plan > results) { fail += plan - results; note("not ok - " plan - results " of " plan " planned results missing") }
		if (!ended) { fail++; note("not ok - did not finish") }
		else if (rc == 4 && fail == 0 && pass + skip == 0) { skip++; note("ok # SKIP (exit status 4)") }
		else if (rc != 0 && rc != 4 && fail == 0) { fail++; note("not ok - exit status " rc) }
		else if (results == 0 && plan < 0) { fail++; note("not ok - printed no TAP results") }
		if (fail)
			for (i = 1; i <= nout; i++) print pre ": " test " | " out[i]
		P += pass; F += fail; S += skip; inside = 0
	}
	{ sub(/\r$/, "") }
	/^# TEST / { if (inside) finish(0, 0); start(substr($0, 8)); next }
	/^# END / && inside {
		rc = $0; sub(/.* rc=/, "", rc)
		finish(rc + 0, 1); next
	}
	!inside { next }
	{ out[++nout] = $0 }
	/^1\.\.[0-9]+/ {
		plan = substr($1, 4) + 0
		if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) planskip = 1
		next
	}
	/^ok( |$)/ {
		if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) skip++; else pass++
		note($0); next
	}
	/^not ok( |$)/ { fail++; note($0); next }
	END {
		if (inside) finish(0, 0)
		print "COUNTS " P + 0, F + 0, S + 0
	}'
}

# Adds the COUNTS line of tap_count (in $1) to the totals.
add_counts() {
	local p f s
	read -r _ p f s <<<"$1"
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	SKIPPED=$((SKIPPED + s))
}

# The native unit tests: counted from their TAP output if they print any,
# else as one result from make's status.
run_unit() {
	local log rc=0 counts
	[ -d "$RIG_REPO/selftests/unit" ] || return 0
	log=$(mktemp)
	make -C "$RIG_REPO/selftests/unit" check >"$log" 2>&1 || rc=$?
	counts=$({ echo "# TEST unit"; cat "$log"; echo "# END unit rc=$rc"; } | tap_count unit)
	grep -v '^COUNTS ' <<<"$counts" || true
	add_counts "$(tail -n 1 <<<"$counts")"
	rm -f "$log"
}

# prefixed PREFIX: stdin with PREFIX before each line.
prefixed() {
	awk -v p="$1" '{ print p $0 }'
}

# Boots once: vm-run.sh with run_all.sh on one list and $3 vCPUs; the
# console goes to $4.  Succeeds if the VM reported RIG-EXIT.
boot_once() {
	local series=$1 list=$2 smp=$3 log=$4
	VM_SMP=$smp VM_STALL=300 KVMMEM_SKIP_DEPS=1 "$RIG_DIR/vm-run.sh" \
		"$series" "$RIG_REPO/selftests/kvmmem/run_all.sh" -l "$list" \
		>"$log" 2>&1
	tr -d '\r' <"$log" | grep -q '^RIG-EXIT [0-9]*$'
}

# One boot, its console parsed.  A VM that dies without RIG-EXIT (the
# emulator's faults under nested KVM, see VM_SMP in vm-run.sh) is booted
# once more, and says so; test failures are never retried.
run_boot() {
	local series=$1 list=$2 smp=$3 name=$1/$2 log counts
	log=$RIG_REPO/build/check-$series-$list.log
	mkdir -p "$RIG_REPO/build"
	if ! boot_once "$series" "$list" "$smp" "$log"; then
		echo "# $name: the VM died without RIG-EXIT; booting it once more. What it said:"
		grep -m 3 -E 'Oops|BUG:|panic|stall' "$log" | prefixed "# $name: | "
		tail -n 15 "$log" | prefixed "# $name: | "
		boot_once "$series" "$list" "$smp" "$log" || true
	fi
	counts=$(tap_count "$name" <"$log")
	grep -v '^COUNTS ' <<<"$counts" || true
	add_counts "$(tail -n 1 <<<"$counts")"
	if ! tr -d '\r' <"$log" | grep -q '^RIG-EXIT [0-9]*$'; then
		echo "$name: not ok - the VM run failed twice; log tail:"
		tail -n 40 "$log" | prefixed "$name: | "
		FAILED=$((FAILED + 1))
	fi
}

# One kernel: two boots, so that an emulator fault in the one that runs
# KVM guests costs only that boot's retry.  The tests without guests get
# two vCPUs, so that kvmmem's races meet real parallelism; the tests with
# guests get one, as the emulator's SVM breaks L1 under nested guests with
# two (see VM_SMP in vm-run.sh).
run_series() {
	local series=$1 start
	start=$(rig_now)
	run_boot "$series" tests.list 2
	run_boot "$series" tests-kvm.list 1
	echo "# $series: $(($(rig_now) - start)) s"
}

main() {
	local series summary
	"$RIG_DIR/deps.sh"
	run_unit
	for series in $SERIES; do
		run_series "$series"
	done
	summary="$PASSED passed, $FAILED failed"
	[ "$SKIPPED" -eq 0 ] || summary="$summary, $SKIPPED skipped"
	echo "$summary"
	[ "$FAILED" -eq 0 ]
}

main "$@"
