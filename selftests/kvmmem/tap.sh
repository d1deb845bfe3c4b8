# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# tap.sh: TAP output for the shell tests (busybox sh in the test VM).
# Sourced, never run; not in a test list.  The C tests have ../lib/tap.h.

tap_count=0
tap_failed=0

# tap_result STATUS DESCRIPTION: "ok" for STATUS 0, else "not ok".
tap_result() {
	tap_count=$((tap_count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_count - $2"
	else
		echo "not ok $tap_count - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# tap_skip_all N NAME REASON: N skipped results, then exit 0.
tap_skip_all() {
	local i=1
	while [ $i -le "$1" ]; do
		echo "ok $i - $2 # SKIP $3"
		i=$((i + 1))
	done
	exit 0
}

tap_bail() {
	echo "Bail out! $*"
	exit 1
}
