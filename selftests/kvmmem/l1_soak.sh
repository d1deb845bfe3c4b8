#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# l1_soak.sh BACKING: boots L2 guests the way qemu_share_test.sh does
# (three stock-QEMU guests of 256 MiB, one after the other, each then
# writing 32 MiB and answering a checksum), with their RAM on BACKING:
# "kvmmem" (a kvmmem mount, the scanner at qemu_share_test's rate) or
# "tmpfs".  Run by selftests/rig/l1-reliability.sh, once per boot of L1,
# to measure how often L1 goes silent or dies; not in a test list.
# Prints "SOAK-RESULT <backing> <guests up> <answers>" at the end.
# shellcheck disable=SC3043 # busybox sh, which runs this, has "local"
set -eu

for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
# shellcheck source=selftests/kvmmem/l2guest.sh
. "$lib/l2guest.sh"

BACKING=${1:-kvmmem}
L2_WORK=$(mktemp -d /tmp/soak.XXXXXX)
mnt=$L2_WORK/mnt
mkdir -p "$mnt"
case $BACKING in
kvmmem)
	mount -t kvmmem -o size=1G none "$mnt"
	echo 10000 >"$KVMMEM_SYSFS/pages_to_scan"
	echo 10 >"$KVMMEM_SYSFS/sleep_millisecs"
	echo 1 >"$KVMMEM_SYSFS/run"
	;;
tmpfs) mount -t tmpfs -o size=1G none "$mnt" ;;
*) echo "usage: $0 kvmmem|tmpfs" >&2; exit 2 ;;
esac

up=0
answers=0
t0=$(date +%s)
for vm in vm1 vm2 vm3; do
	l2_start "$vm" "$mnt/$vm" 256
	if l2_wait_ready "$vm" 240 && l2_answers "$vm" 60; then
		up=$((up + 1))
		echo "# $vm up after $(($(date +%s) - t0)) s"
	else
		l2_tail "$vm"
	fi
done
for vm in vm1 vm2 vm3; do
	l2_alive "$vm" || continue
	sum=$(l2_query "$vm" 120 "\$(dd if=/dev/zero of=/dev/shm/fill bs=1M count=32 2>/dev/null; md5sum </dev/shm/fill)") || sum=none
	# md5 of 32 MiB of zeros
	[ "$sum" = 58f06dd588d8ffb3beb46ada6309436b ] && answers=$((answers + 1))
	echo "# $vm: $sum"
done
for vm in vm1 vm2 vm3; do
	l2_quit "$vm" 30 || true
done
[ "$BACKING" != kvmmem ] || echo 0 >"$KVMMEM_SYSFS/run"
umount "$mnt"
echo "SOAK-RESULT $BACKING $up $answers"
[ "$up" -eq 3 ] && [ "$answers" -eq 3 ]
