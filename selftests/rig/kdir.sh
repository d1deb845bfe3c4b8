#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kdir.sh SERIES: prints the kernel tree to build kvmmem.ko against for
# SERIES (6.1, 6.12, 6.1-debug), fetching Debian's headers into the cache
# first if needed (lib.sh: never installed).  `make module` uses it when
# KDIR is not given.
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 6.1|6.12|6.1-debug" >&2; exit 2; }
rig_headers_dir "$(kver_for "$1")"
