#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stress_swap_test.sh: stress_test with host paging under it.  The writers'
# mount gets size=1M and a 64 MiB loop device as its backing store, so
# that their pages, private and shared, are paged out and in while they
# write, check and punch, and the scanner merges at full speed; every page
# must still read what its writer last wrote (stress_test's checks).  The
# TAP is stress_test's.
set -u
for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/tap.sh" ] && break
done
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

stress=$lib/stress_test
[ -x "$stress" ] || stress=$lib/build/stress_test
[ -x "$stress" ] || tap_bail "stress_test not found"
[ -e /dev/loop-control ] || tap_skip_all 11 stress_swap "no loop devices"
store=$(mktemp /tmp/stress-store.XXXXXX)
truncate -s 64M "$store"
dev=$(losetup -f) || tap_bail "no free loop device"
losetup "$dev" "$store" || tap_bail "cannot attach $store to $dev"
rc=0
"$stress" -t 10 -w "$dev" || rc=$?
losetup -d "$dev"
rm -f "$store"
exit $rc
