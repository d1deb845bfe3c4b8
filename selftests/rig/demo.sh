#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: `make demo`.  Boots the test VM (kernel $KERNEL, default 6.1)
# and runs selftests/kvmmem/demo.sh in it: two stock-QEMU guests with their
# RAM on kvmmem, one ballooned to half, the freed machine memory shown.
set -eu
cd "$(dirname "$0")/../.."
exec selftests/rig/vm-run.sh "${KERNEL:-6.1}" selftests/kvmmem/demo.sh
