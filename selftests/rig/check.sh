#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: `make check`.  Installs what the rig needs, runs the native
# tests on the host (selftests/unit, and the rig's own tests,
# selftests/rig/*_test.sh), then the VM suite (selftests/kvmmem/run_all.sh,
# three boots: tests.list; tests-kvm.list, the tests that run KVM guests;
# tests-iommu.list, on a machine with an IOMMU) on each kernel, and sums up
# the TAP results:
#
#   <series>/<list>: <test>: ok 1 - ...   one line per result
#   # <series>: N s                        wall time of that kernel's run
#   # recap: <series>/<list>: <test>: not ok ...
#                                          the failures once more, just
#                                          before the last line, as CI
#                                          keeps only the tail of a log
#   N passed, N failed[, N skipped]        the last line, exactly once
#
# Counting rules (TAP as the kernel's kselftest prints it): "ok" lines pass
# unless they carry "# SKIP"; "not ok" lines fail; a plan "1..N" with fewer
# results counts the missing ones as failed (the program crashed); a
# non-zero exit with no failure reported counts one failure, except
# kselftest's skip status 4; a test that printed no result at all fails
# (a test must assert something); a test that never printed its "# END" line,
# or a VM that never printed RIG-EXIT, counts one failure.  The output of
# a failing test is shown, prefixed with "<series>/<list>: <test> | ".
# A kernel log (ttyS1 of the VM) with a report in it (BUG, WARNING, Oops,
# lockdep, KASAN, KFENCE, a bad page, a list or debug-objects check) counts
# one failure per boot, with the report shown.  Each boot also counts one
# result of the rig's own: L1 ran the tick VM_TICK asks for (tick_check).
#
# A boot whose VM dies without RIG-EXIT is booted once more, and only the
# second boot's results count; a failing test is never retried, and a
# dead boot whose kernel log reports a bug counts that failure.
#
# Environment:
#   KVMMEM_SERIES="6.1 6.12"   kernels (6.1-debug: the debug kernel)
#   TESTS="fs_test share_test" only these tests (each in the boot of the
#                              list that names it)
#   KVMMEM_LISTS="tests.list:2 tests-kvm.list:1 tests-iommu.list:1"
#                              the boots of one kernel: list:vCPUs
#   KVMMEM_CHECK_NATIVE=0      skip the native tests (the rig's tests of
#                              this script set it)
#   KVMMEM_TEST_TIMEOUT=600    seconds before one test is killed in the VM
#   VM_TIMEOUT=2400, VM_STALL=300
#                              as for vm-run.sh.  A hang is caught by
#                              VM_STALL (a silent L1) or by
#                              KVMMEM_TEST_TIMEOUT (a test that never
#                              ends); VM_TIMEOUT only bounds a boot that
#                              keeps going, and emulation runs at the
#                              host's speed: on one fresh machine the
#                              6.1 tests-kvm.list boot needed over 900 s
#                              (vm-run.sh's default), where another had
#                              run all three boots of 6.1 in 754 s
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERIES=${KVMMEM_SERIES:-6.1 6.12}
LISTS=${KVMMEM_LISTS:-tests.list:2 tests-kvm.list:1 tests-iommu.list:1}
# The VM settings of the list booting now (run_boot, list_vm_env).
BOOT_ENV=()
SELFTESTS=$RIG_REPO/selftests/kvmmem
PASSED=0
FAILED=0
SKIPPED=0
RECAP=$(mktemp)
trap 'rm -f "$RECAP"' EXIT

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

# Adds the COUNTS line of tap_count (in $1) to the totals, and its
# failures (the "not ok" lines of tap_count, not a failing test's own
# output, which comes after a "|") to the recap.
add_counts() {
	local p f s
	read -r _ p f s <<<"$(tail -n 1 <<<"$1")"
	grep -a '^[^|]*: not ok' <<<"$1" >>"$RECAP" || true
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	SKIPPED=$((SKIPPED + s))
}

# run_native NAME CMD...: a native test on the host, counted from its TAP
# output if it prints any, else as one result from its status.
run_native() {
	local name=$1 log rc=0 counts
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1 || rc=$?
	counts=$({ echo "# TEST $name"; cat "$log"; echo "# END $name rc=$rc"; } | tap_count native)
	grep -v '^COUNTS ' <<<"$counts" || true
	add_counts "$counts"
	rm -f "$log"
}

# The native tests: the unit tests of the module's pure code, and the
# rig's tests of itself.
run_natives() {
	local t
	[ "${KVMMEM_CHECK_NATIVE:-1}" = 1 ] || return 0
	run_native unit make -C "$RIG_REPO/selftests/unit" check
	for t in "$RIG_DIR"/*_test.sh; do
		run_native "rig/$(basename "$t" .sh)" "$t"
	done
}

# prefixed PREFIX: stdin with PREFIX before each line.
prefixed() {
	awk -v p="$1" '{ print p $0 }'
}

# boot_once SERIES VCPUS LOG ARGS...: one boot running run_all.sh ARGS;
# the console goes to LOG, the kernel log to LOG.kernel.  Succeeds if the
# VM reported RIG-EXIT.
boot_once() {
	local series=$1 smp=$2 log=$3
	shift 3
	env "${BOOT_ENV[@]}" VM_SMP="$smp" VM_STALL="${VM_STALL:-300}" \
		VM_TIMEOUT="${VM_TIMEOUT:-2400}" KVMMEM_SKIP_DEPS=1 \
		VM_KERNEL_LOG="$log.kernel" "$RIG_DIR/vm-run.sh" \
		"$series" "$SELFTESTS/run_all.sh" "$@" >"$log" 2>&1
	tr -d '\r' <"$log" | grep -q '^RIG-EXIT [0-9]*$'
}

# say_dead NAME LOG: what a dead boot said last, as comments: the rig's
# stall report and the kernel's, then the console's tail.
say_dead() {
	local name=$1 log=$2
	{
		grep -a '^rig: stall: ' "$log" || true
		grep -a -m 10 -E "$KERNEL_REPORTS|stall|lockup|hung task" "$log.kernel" 2>/dev/null || true
		tail -n 15 "$log"
	} | prefixed "# $name: | "
}

# kernel_reports NAME LOG: one failure if the boot's kernel log reports a
# bug; the report (from its first line on, 60 lines) is shown.
kernel_reports() {
	local name=$1 klog=$2.kernel first
	[ -f "$klog" ] || return 0
	rig_idle_lockups "$klog" "$2" | prefixed "$name: note: not counted (an idle CPU woken from a lost interrupt: time jumped): "
	first=$(rig_first_report "$klog" "$2")
	[ -n "$first" ] || return 0
	echo "$name: not ok - the kernel log reports a bug:"
	echo "$name: not ok - the kernel log reports a bug: $(sed -n "${first}p" "$klog")" >>"$RECAP"
	tail -n "+$first" "$klog" | head -n 60 | prefixed "$name: | "
	FAILED=$((FAILED + 1))
}

# run_boot SERIES LIST VCPUS [NAME...]: one boot of LIST (or only NAMEs
# of it), its console parsed.  A VM that dies without RIG-EXIT (the
# emulator's faults under nested KVM, see VM_SMP in vm-run.sh) is booted
# once more, and says so in one line; only that second boot counts.  Test
# failures are never retried.
run_boot() {
	local series=$1 list=$2 smp=$3 name=$1/$2 log counts args
	shift 3
	args=(-l "$list")
	[ -z "${KVMMEM_TEST_TIMEOUT:-}" ] || args+=(-t "$KVMMEM_TEST_TIMEOUT")
	args+=("$@")
	log=$RIG_REPO/build/check-$series-$list.log
	mkdir -p "$RIG_REPO/build"
	mapfile -t BOOT_ENV < <(list_vm_env "$list")
	if ! boot_once "$series" "$smp" "$log" "${args[@]}"; then
		echo "# $name: the VM died without RIG-EXIT; booting it once more (only the second boot's results count). What it said:"
		say_dead "$name" "$log"
		# kept for a look later: the retry writes $log anew
		mv -f "$log" "$log.dead"
		mv -f "$log.kernel" "$log.dead.kernel" 2>/dev/null || true
		# a bug the kernel reported is no emulator fault to retry away
		kernel_reports "$name (the boot that died)" "$log.dead"
		boot_once "$series" "$smp" "$log" "${args[@]}" || true
	fi
	if grep -aq '^rig: stall: L1 resumed\|^rig: lost interrupt' "$log"; then
		echo "# $name: L1 went silent and the rig woke it:"
		grep -a '^rig: stall: L1 resumed\|^rig: lost interrupt' "$log" | prefixed "# $name: | "
	fi
	counts=$(tap_count "$name" <"$log")
	grep -v '^COUNTS ' <<<"$counts" || true
	add_counts "$counts"
	kernel_reports "$name" "$log"
	tick_check "$name" "$log"
	if ! tr -d '\r' <"$log" | grep -q '^RIG-EXIT [0-9]*$'; then
		echo "$name: not ok - the VM died twice; what the second boot said:"
		echo "$name: not ok - the VM died twice" >>"$RECAP"
		say_dead "$name" "$log" | sed 's/^# //'
		FAILED=$((FAILED + 1))
	fi
}

# tick_check NAME LOG: one result: L1 ran the tick that VM_TICK asks for
# (vm-run.sh prints it in its "L1 up" line).  With a one-shot tick an
# interrupt that QEMU 7.2 loses halts L1 for good (Documentation/
# testing.rst, "L1 silences"); a kernel that ignored nohz=off highres=off
# would bring that back unseen.
tick_check() {
	local name=$1 want=${VM_TICK:-periodic} got
	got=$(rig_l1_tick "$2")
	if [ "$got" = "$want" ]; then
		echo "$name: rig: ok - L1 ran a $want tick"
		PASSED=$((PASSED + 1))
	else
		echo "$name: rig: not ok - L1 ran a ${got:-unknown} tick, not $want" | tee -a "$RECAP"
		FAILED=$((FAILED + 1))
	fi
}

# list_vm_env LIST: the machine LIST's tests need, from its "#@ NAME=VALUE"
# lines, as NAME=VALUE lines for env(1).  Only VM_MACHINE, VM_QEMU_ARGS,
# VM_APPEND and VM_MEM (vm-run.sh) may be set so.
list_vm_env() {
	sed -n 's/^#@ \(VM_MACHINE\|VM_QEMU_ARGS\|VM_APPEND\|VM_MEM\)=/\1=/p' "$SELFTESTS/$1"
}

# list_names LIST: the test names LIST holds (comments and blanks out).
list_names() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$SELFTESTS/$1"
}

# One kernel: a boot per list, so that an emulator fault in the one that
# runs KVM guests costs only that boot's retry.  The tests without guests
# get two vCPUs, so that kvmmem's races meet real parallelism; the tests
# with guests get one, as the emulator's SVM breaks L1 under nested guests
# with two (see VM_SMP in vm-run.sh).  With TESTS, a list boots only if it
# names one of them, and runs only those.
run_series() {
	local series=$1 start entry list smp names t
	start=$(rig_now)
	for entry in $LISTS; do
		list=${entry%:*}
		smp=${entry##*:}
		names=()
		if [ -n "${TESTS:-}" ]; then
			for t in $TESTS; do
				list_names "$list" | grep -qxF "$t" && names+=("$t")
			done
			[ "${#names[@]}" -gt 0 ] || continue
		fi
		run_boot "$series" "$list" "$smp" "${names[@]}"
	done
	echo "# $series: $(($(rig_now) - start)) s"
}

# With TESTS, every name must be in some list: a typo must not pass.
check_tests_named() {
	local t entry found
	for t in ${TESTS:-}; do
		found=0
		for entry in $LISTS; do
			list_names "${entry%:*}" | grep -qxF "$t" && found=1
		done
		[ "$found" = 1 ] || rig_die "TESTS: no list names '$t' (lists: $LISTS)"
	done
}

main() {
	local series summary
	[ "${KVMMEM_SKIP_DEPS:-0}" = 1 ] || "$RIG_DIR/deps.sh"
	check_tests_named
	[ -n "${TESTS:-}" ] || run_natives
	for series in $SERIES; do
		run_series "$series"
	done
	if [ -s "$RECAP" ]; then
		echo "# recap: the failures, with their output above:"
		head -n 30 "$RECAP" | prefixed "# recap: "
		[ "$(wc -l <"$RECAP")" -le 30 ] || echo "# recap: ... and $(($(wc -l <"$RECAP") - 30)) more"
	fi
	summary="$PASSED passed, $FAILED failed"
	[ "$SKIPPED" -eq 0 ] || summary="$summary, $SKIPPED skipped"
	echo "$summary"
	[ "$FAILED" -eq 0 ]
}

main "$@"; exit
