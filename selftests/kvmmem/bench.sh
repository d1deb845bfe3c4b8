#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh: fault cost of kvmmem against tmpfs and anonymous memory, run
# inside the test VM by `make bench` (busybox sh, kvmmem.ko loaded).
#
# The VM is emulated (TCG), 10-50x slower than hardware: read the ratio
# rows, not the absolute ns.  There, re-access (no fault at all) measures
# QEMU's software TLB and swings 10x between boots: only first-touch and
# refault say something about kvmmem.  256 MiB x 5 runs fits the VM's 3 GiB with
# room to spare (one backing at a time) and takes about 15 s there; pass
# other values as arguments to run it by hand.

mib=${1:-256}
runs=${2:-5}

echo "bench: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
/selftests/bench_fault "$mib" "$runs"
status=$?
[ "$status" -eq 0 ] || echo "bench: bench_fault failed (exit $status)" >&2
exit "$status"
