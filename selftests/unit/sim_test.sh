#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sim_test.sh: kvmmem-sim's models of other balloon policies (peers.c),
# on the idle-tax scenario (two VMs of at most 256 MB on 358 MB, one idle
# at 16 MB, one busy at 256 MB from 64 MB), against hand-computed ends:
#
#   1 squeezed: one fraction for both, 358 / 2 = 179.0 MB each
#   2 pvestatd: 80% of the host split by equal shares, 143.2 MB each
#   3 MOM with guests that cache: the host stays under pressure and the
#     idle VM reports nothing free, so nothing moves (256.0 and 64.0 MB)
#   4 MOM with guests that leave idle memory free: the idle VM goes down
#     to about its working set plus 20% and the busy one gets 256.0 MB
#   5 kvmmem at tax 75: the busy VM gets 256.0 MB, the idle one what is
#     left (102.0 MB)
#   6 kvmmem-plot draws a kvmmemd record (a VM that appears late, too) as
#     an SVG with two lines per VM, a point per scan even when a scan's
#     lines straddle a tick, and refuses a malformed record
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
sim=$top/userspace/build/kvmmem-sim
scn=$top/userspace/scenarios/idle-tax.scn
# shellcheck source=selftests/kvmmem/tap.sh
. "$top/selftests/kvmmem/tap.sh"
echo "TAP version 13"
echo "1..6"
make -s -C "$top/userspace" build/kvmmem-sim build/kvmmem-plot >/dev/null ||
	tap_bail "kvmmem-sim or kvmmem-plot does not build"

# ends POLICY GUEST_FREE: "IDLE BUSY", the final allocations in MB
ends() {
	"$sim" -q -t 75 -p "$1" -f "$2" "$scn" |
		sed -n 's/^# t=3600s.*idle alloc \([0-9.]*\) MB.*busy alloc \([0-9.]*\) MB.*/\1 \2/p'
}

check() {	# check DESCRIPTION WANT POLICY GUEST_FREE
	got=$(ends "$3" "$4")
	[ "$got" = "$2" ] || echo "# $3 -f $4: got '$got', want '$2'"
	tap_result "$([ "$got" = "$2" ] && echo 0 || echo 1)" "$1"
}

check "squeezed: one fraction for both, 179.0 MB each" "179.0 179.0" squeezed 0
check "pvestatd: 80% of the host by equal shares, 143.2 MB each" "143.2 143.2" pvestatd 0
check "MOM, guests that cache: nothing moves" "256.0 64.0" mom 0
got=$(ends mom 100)
idle=${got% *}
echo "# mom -f 100: $got"
tap_result "$([ "${got#* }" = 256.0 ] && [ "${idle%.*}" -ge 19 ] && [ "${idle%.*}" -le 40 ] && echo 0 || echo 1)" \
	"MOM, guests that leave idle memory free: the idle VM near its working set + 20%"
check "kvmmem at tax 75: the busy VM gets all it touches" "102.0 256.0" kvmmem 0

dir=$(mktemp -d /tmp/kvmmem-plot.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/rec" <<'REC'
# seconds vm size resident target balloon_target ballooned swapped_out sharing active% state (MiB)
2.0 busy 256.0 10.0 256.0 256.0 0.0 0.0 0.0 100 high
2.0 idle 256.0 20.0 256.0 256.0 0.0 0.0 0.0 100 high
62.0 busy 256.0 200.0 256.0 256.0 0.0 0.0 0.0 90 soft
62.0 idle 256.0 100.0 128.0 128.0 128.0 0.0 0.0 10 soft
122.0 busy 256.0 220.0 256.0 256.0 0.0 0.0 0.0 95 soft
122.1 idle 256.0 90.0 100.0 100.0 156.0 0.0 0.0 8 soft
122.1 late 256.0 50.0 120.0 120.0 0.0 0.0 0.0 50 soft
REC
rc=0
"$top/userspace/build/kvmmem-plot" "$dir/rec" "$dir/out.svg" || rc=1
[ "$(grep -c '<polyline' "$dir/out.svg")" -eq 6 ] || { echo "# $(grep -c '<polyline' "$dir/out.svg") lines"; rc=1; }
# The last scan's lines straddle a tick: still one point, busy not at 0.
points=$(grep -m 1 '<polyline' "$dir/out.svg" | sed "s/.*points='\([^']*\)'.*/\1/" | wc -w)
[ "$points" -eq 3 ] || { echo "# busy's line has $points points, not 3"; rc=1; }
grep -q 'late balloon target' "$dir/out.svg" || rc=1
printf '5.0 vm1 oops\n' > "$dir/bad"
"$top/userspace/build/kvmmem-plot" "$dir/bad" "$dir/bad.svg" 2> "$dir/err" && rc=1
grep -q 'bad:1: not a record line' "$dir/err" || rc=1
tap_result $rc "kvmmem-plot: a record drawn, a line per VM and series; a bad line refused"
exit $((tap_failed > 0))
