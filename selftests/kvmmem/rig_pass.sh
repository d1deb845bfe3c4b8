#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig_pass.sh: passes; for selftests/rig/retry_test.sh (rig-selftest.list).
echo "1..1"
echo "ok 1 - the rig ran a test"
