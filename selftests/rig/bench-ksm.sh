#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench-ksm.sh: kvmmem's page sharing against KSM.  Boots the test VM
# (kernel $KERNEL, default 6.1) and runs selftests/kvmmem/bench_ksm.sh in
# it: the same stock-QEMU guests once on anonymous memory with KSM, once
# on kvmmem, both scanners at the same rate; prints a table of the two.
# Arguments BENCH_NAME=VALUE change its settings (see bench_ksm.sh), e.g.
# BENCH_PAGES=500 BENCH_ORDER="kvmmem ksm".  A run takes 4-15 minutes;
# VM_TIMEOUT defaults to 2400 s here.
set -eu
cd "$(dirname "$0")/../.."
export VM_TIMEOUT="${VM_TIMEOUT:-2400}"
exec selftests/rig/vm-run.sh "${KERNEL:-6.1}" selftests/kvmmem/bench_ksm.sh "$@"
