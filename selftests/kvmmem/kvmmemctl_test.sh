#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kvmmemctl_test.sh: the operator's tool, its output parsed as a script
# would (awk on the table, grep on the JSON), and what it must refuse:
#
#   1 knobs: every writable file of /sys/kernel/mm/kvmmem, each with the
#     admin guide's meaning (a knob the guide lacks fails the command)
#   2 status: a line per VM with its size and resident memory
#   3 status --json: the same numbers, in bytes
#   4 set shares, min and max; show and sysfs read them back
#   5 set domain; show reads it back
#   6 bad values and unknown settings: exit 2, nothing changed
#   7 no such VM, a file of another file system, min above max: exit 1
#     with a message
#   8 an unprivileged user with a writable fd may lower shares, not raise
#     them, and cannot read status (the counters are root's)
#   9 watch -c 2 prints the table twice
set -u
for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/tap.sh" ] && break
done
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

SYS=/sys/kernel/mm/kvmmem
CTL=${KVMMEMCTL:-kvmmemctl}
NTESTS=9

echo "TAP version 13"
echo "1..$NTESTS"
[ -d "$SYS" ] || tap_bail "$SYS missing: kvmmem.ko is not loaded"
command -v "$CTL" >/dev/null || tap_skip_all $NTESTS kvmmemctl "no kvmmemctl in PATH"
dir=$(mktemp -d /tmp/kvmmemctl.XXXXXX)
mnt=$dir/mnt
mkdir -p "$mnt"
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	umount "$mnt" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
mount -t kvmmem -o size=64M none "$mnt" || tap_bail "cannot mount kvmmem"
chmod 755 "$dir" "$mnt"
truncate -s 16M "$mnt/vm1" "$mnt/vm2"
dd if=/dev/urandom of="$mnt/vm1" bs=1M count=4 conv=notrunc 2>/dev/null
dd if=/dev/urandom of="$mnt/vm2" bs=1M count=2 conv=notrunc 2>/dev/null
ino1=$(stat -c %i "$mnt/vm1")
out=$dir/out

# 1
rc=0
$CTL knobs > "$out" 2>&1 || rc=1
knobs=$(find "$SYS" -maxdepth 1 -type f -perm -200 | wc -l)
lines=$(wc -l < "$out")
echo "# knobs: $lines lines, $knobs writable files"
grep -q '^tax_rate .*idle memory tax' "$out" || rc=1
[ "$lines" -eq "$knobs" ] && [ "$knobs" -gt 10 ] || rc=1
$CTL knobs --json | grep -q '^\[{"name":".*"meaning":"idle memory tax' || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$out"
tap_result $rc "knobs: every writable knob, with the admin guide's meaning"

# 2
rc=0
$CTL status > "$out" || rc=1
awk '$1 == "/vm1" && $2 == "16.0M" && $3 == "4.0M" { a++ }
     $1 == "/vm2" && $2 == "16.0M" && $3 == "2.0M" { b++ }
     $1 == "free_state" { s++ }
     END { exit !(a == 1 && b == 1 && s == 1) }' "$out" || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$out"
tap_result $rc "status: a line per VM, size and resident"

# 3
rc=0
$CTL status --json > "$out" || rc=1
grep -q "{\"name\":\"/vm1\",\"ino\":$ino1,\"size\":16777216,\"resident\":4194304," "$out" || rc=1
grep -q '"name":"/vm2",.*"resident":2097152,' "$out" || rc=1
grep -q '"name":"/vm2",.*"hot_io":0,' "$out" || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$out"
tap_result $rc "status --json: the same numbers in bytes"

# 4
rc=0
$CTL set vm1 shares=500 min=4M max=12M || rc=1
$CTL show "$mnt/vm1" > "$out" || rc=1
awk '$1 == "shares" && $2 == 500 { n++ } $1 == "min" && $2 == 4194304 { n++ }
     $1 == "max" && $2 == 12582912 { n++ } END { exit n != 3 }' "$out" || rc=1
[ "$(cat "$SYS/backends/$ino1/shares")" = 500 ] || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$out"
tap_result $rc "set shares, min, max: show and sysfs read them back"

# 5
rc=0
$CTL set "$mnt/vm1" domain=7 || rc=1
$CTL show vm1 --json | grep -q '^{"domain":7,"shares":500,' || rc=1
$CTL set vm1 domain=0 || rc=1
tap_result $rc "set domain: show reads it back"

# 6
rc=0
for bad in shares=abc shares=0 shares=-1 min=5Q max= bogus=1 shares; do
	$CTL set vm1 "$bad" 2>"$out"
	st=$?
	[ $st -eq 2 ] || { echo "# set vm1 $bad: exit $st"; rc=1; }
done
[ "$(cat "$SYS/backends/$ino1/shares")" = 500 ] || rc=1
$CTL status extra 2>/dev/null
[ $? -eq 2 ] || rc=1
$CTL watch -n 0 2>/dev/null
[ $? -eq 2 ] || rc=1
tap_result $rc "bad values, unknown settings, bad usage: exit 2, nothing changed"

# 7
rc=0
$CTL set nosuch shares=1 2>"$out"
[ $? -eq 1 ] && grep -q 'nosuch' "$out" || rc=1
echo x > "$dir/plain"
$CTL set "$dir/plain" shares=1 2>"$out"
[ $? -eq 1 ] && grep -q 'not a file of a kvmmem mount' "$out" || rc=1
$CTL set vm1 min=12M max=8M 2>"$out"
[ $? -eq 1 ] && grep -q 'Invalid argument' "$out" || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$out"
tap_result $rc "no such VM, another file system, min above max: exit 1, said why"

# 8
rc=0
chmod 666 "$mnt/vm1"
as_nobody=$lib/as_nobody
[ -x "$as_nobody" ] || as_nobody=$lib/build/as_nobody
nobody() {
	"$as_nobody" "$@"
}
nobody "$CTL" set "$mnt/vm1" shares=100000 2>"$out"
[ $? -eq 1 ] && grep -q 'Operation not permitted' "$out" || rc=1
nobody "$CTL" set "$mnt/vm1" shares=100 || rc=1
[ "$(cat "$SYS/backends/$ino1/shares")" = 100 ] || rc=1
nobody "$CTL" status >/dev/null 2>"$out"
[ $? -eq 1 ] && grep -q 'Permission denied' "$out" || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$out"
tap_result $rc "unprivileged: may lower shares, not raise them; no status"

# 9
rc=0
$CTL watch -n 1 -c 2 > "$out" || rc=1
[ "$(grep -c '^free_state' "$out")" -eq 2 ] || rc=1
tap_result $rc "watch -c 2: the table twice"

exit $((tap_failed > 0))
