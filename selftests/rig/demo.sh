#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: `make demo`.  Boots the test VM (kernel $KERNEL, default 6.1)
# and runs selftests/kvmmem/demo.sh in it: three stock-QEMU guests on
# kvmmem under kvmmemd, one busy, one idle, one late.  The console is
# kept in build/demo.log; the record kvmmemd wrote is drawn with
# kvmmem-plot into build/demo.svg (each guest's resident memory and
# balloon target over time).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build
rc=0
# As make check: the watchdog that presses a key when QEMU 7.2 loses one
# of L1's interrupts (vm-run.sh, VM_POKE), and stops a dead L1 after 300 s
# instead of waiting for VM_TIMEOUT.  Without it, one run sat 9 minutes
# in the guests' boot.
VM_STALL=${VM_STALL:-300} \
	selftests/rig/vm-run.sh "${KERNEL:-6.1}" selftests/kvmmem/demo.sh 2>&1 |
	tee build/demo.log || rc=$?
tr -d '\r' <build/demo.log |
	sed -n '/^DEMO-RECORD-BEGIN$/,/^DEMO-RECORD-END$/p' | sed '1d;$d' >build/demo.record
if [ -s build/demo.record ]; then
	make -s -C userspace build/kvmmem-plot
	userspace/build/kvmmem-plot -t "make demo: three guests on kvmmem under kvmmemd" \
		build/demo.record build/demo.svg
	echo "demo: the chart of this run is build/demo.svg (its numbers: build/demo.record)"
fi
exit "$rc"
