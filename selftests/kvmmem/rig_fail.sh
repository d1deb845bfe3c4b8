#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig_fail.sh: always fails; selftests/rig/retry_test.sh checks that
# check.sh counts it as failed and never retries it (rig-selftest.list).
# It first waits, so that the rig's fault switch, which kills L1 after
# the END of the test before it, lands while this test runs.
sleep 20
echo "1..1"
echo "not ok 1 - a test that always fails (the rig's own test wants this)"
exit 1
