#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run_all.sh: runs, inside the test VM (busybox sh, kvmmem.ko loaded), each
# test named in tests.list, in order.  A name is a program or a *.sh
# script in this directory.  Around each test it prints
#
#   # TEST <name>
#   ... the test's own TAP output ...
#   # END <name> rc=<exit status>
#
# which selftests/rig/check.sh reads on the host.  A listed test whose file
# is missing is reported as a failure, never skipped silently.
#
# Usage: run_all.sh [-l LIST] [-t SECONDS] [NAME...]
#   LIST: a list file in this directory (default tests.list); NAMEs given
#   instead run just those.  SECONDS (default 600, or KVMMEM_TEST_TIMEOUT)
#   before a test is killed, so that one hung test cannot use up the whole
#   VM's time.

# shellcheck disable=SC3043 # busybox sh, which runs this, has "local"
dir=${KVMMEM_SELFTESTS:-/selftests}
timeout=${KVMMEM_TEST_TIMEOUT:-600}
failed=0

list=tests.list

# Prints the test names of $list: one a line, '#' starts a comment.
list_tests() {
	if [ ! -f "$dir/$list" ]; then
		echo "not ok - $list missing in $dir" >&2
		return 1
	fi
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$dir/$list"
}

# Runs test $1 and prints its exit status; 127 when the file is missing.
run_test() {
	case $1 in
	*.sh)
		[ -f "$dir/$1" ] || return 127
		timeout "$timeout" sh "$dir/$1"
		;;
	*)
		[ -f "$dir/$1" ] || return 127
		timeout "$timeout" "$dir/$1"
		;;
	esac
}

run_one() {
	local name="$1" rc
	echo "# TEST $name"
	run_test "$name"
	rc=$?
	case $rc in
	0 | 4) ;;
	127) [ -f "$dir/$name" ] || echo "not ok - $name missing" ;;
	143) echo "not ok - $name killed after ${timeout}s" ;;
	esac
	echo "# END $name rc=$rc"
	# 4 is kselftest's "skipped".
	[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || failed=1
}

main() {
	local names name
	cd "$dir" || exit 1
	while [ $# -ge 2 ]; do
		case $1 in
		-l) list=$2 ;;
		-t) timeout=$2 ;;
		*) break ;;
		esac
		shift 2
	done
	if [ $# -gt 0 ]; then
		names=$*
	else
		names=$(list_tests) || { echo "not ok - $list missing"; exit 1; }
	fi
	for name in $names; do
		run_one "$name"
	done
	return $failed
}

main "$@"
