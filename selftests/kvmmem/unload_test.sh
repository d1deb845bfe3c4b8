#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Module lifetime, run last in the suite: the module cannot go while
# mounted, every frame is back after the last unmount, rmmod succeeds and
# the module loads again; and nothing in the whole run made the kernel
# complain.
set -u
SYS=/sys/kernel/mm/kvmmem
KO=${KVMMEM_KO:-/lib/kvmmem/kvmmem.ko}
# run_all.sh runs it from /selftests, vm-run.sh as /run-script.
for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/tap.sh" ] && break
done
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

echo "TAP version 13"
echo "1..5"

dir=$(mktemp -d /tmp/kvmmem-unload-XXXXXX)
mount -t kvmmem -o size=4M none "$dir" && dd if=/dev/zero of="$dir/f" bs=4096 count=8 2>/dev/null
if rmmod kvmmem 2>/dev/null; then busy=1; else busy=0; fi
tap_result "$busy" "rmmod refused while mounted"

umount "$dir"
rmdir "$dir"
left=$(grep -c ' kvmmem ' /proc/mounts)
pages=$(cat $SYS/pages_allocated)
files=$(cat $SYS/files)
echo "# after the last unmount: mounts=$left pages_allocated=$pages files=$files"
[ "$left" -eq 0 ] && [ "$pages" -eq 0 ] && [ "$files" -eq 0 ]
tap_result $? "no mounts, pages_allocated 0 and files 0 after unmount"

rmmod kvmmem
rc=$?
[ $rc -eq 0 ] && [ ! -e $SYS ] && ! grep -q '^kvmmem ' /proc/modules
tap_result $? "rmmod succeeds and removes $SYS"

insmod "$KO" && [ -r $SYS/pages_allocated ] && rmmod kvmmem && insmod "$KO"
tap_result $? "the module loads and unloads again"

# The whole suite ran before this test: any BUG, WARNING or Oops in the
# kernel log is a failure of some test, even one that reported ok.  An
# idle CPU's soft lockup ("[swapper/N:0]") is left to check.sh, which
# knows whether the rig woke a lost interrupt then (selftests/rig/lib.sh,
# RIG_IDLE_LOCKUP): from inside L1 it looks the same as a real one.
idle='soft lockup - CPU#[0-9]* stuck for [0-9]*s! \[swapper/[0-9]*:0\]'
bad=$(dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|kernel BUG|list_del corruption|Bad page|refcount_t:' |
	grep -v -e "$idle" | head -5)
[ -z "$bad" ]
tap_result $? "kernel log has no BUG, WARNING or Oops"
[ -n "$bad" ] && echo "$bad" | sed 's/^/# /'
dmesg | grep -e "$idle" | sed 's/^/# left to check.sh: /'

exit $((tap_failed > 0))
