#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kvmmemd_test.sh: the daemon against QEMU stand-ins (fake_qemu: QEMU's
# command line, guest RAM held open, a QMP socket) on one mount:
#
#   1 bad configurations: exit 1, FILE:LINE and what is wrong
#   2 --once: policy from [vm NAME] applied, NAME being QEMU's -name or
#     the file's name; not to a file of an untrusted user that bears a
#     configured name, nor by the -name of a "qemu" an untrusted user runs
#   3 the free state leaves high: each VM's new balloon target reaches its
#     QMP socket, while a VM whose QMP socket never answers is logged and
#     does not stop the others
#   4 back to high: the targets go back to all of the guest
#   5 metrics: a scrape over HTTP (busybox wget) is valid exposition
#     format, its numbers are sysfs's and the daemon's; the record (record =)
#     has a line per VM and scan
#   6 SIGHUP reloads: a new policy is applied; a bad file is reported with
#     its line and the policy in force stays
#   7 kvmmemctl balloon VM SIZE (MiB, or with a suffix): the QMP socket of
#     the QEMU that holds the file, never that of a QEMU another user runs
#   8 the guest's statistics: turned on at each QEMU; a guest that says it
#     has less available than guest_reserve is not ballooned further (the
#     target QEMU gets is raised, counted, said); a guest whose balloon
#     never moves (no driver) is said to be so
#   9 a QEMU killed mid-run: the daemon lives on and says so; SIGTERM
#     stops it with status 0
set -u
for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/tap.sh" ] && break
done
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

SYS=/sys/kernel/mm/kvmmem
DAEMON=${KVMMEMD:-kvmmemd}
NTESTS=9
PORT=19470
PG=4096

echo "TAP version 13"
echo "1..$NTESTS"
[ -d "$SYS" ] || tap_bail "$SYS missing: kvmmem.ko is not loaded"
command -v "$DAEMON" >/dev/null || tap_skip_all $NTESTS kvmmemd "no kvmmemd in PATH"
fake=$lib/fake_qemu
[ -x "$fake" ] || fake=$lib/build/fake_qemu
[ -x "$fake" ] || tap_bail "fake_qemu not found"
as_nobody=$lib/as_nobody
[ -x "$as_nobody" ] || as_nobody=$lib/build/as_nobody
dir=$(mktemp -d /tmp/kvmmemd.XXXXXX)
mnt=$dir/mnt
mkdir -p "$mnt"
old_period=$(cat "$SYS/sample_period_ms")
pids=""
dpid=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ -z "$dpid" ] || kill "$dpid" 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	echo 0 > "$SYS/budget_pages"
	echo "$old_period" > "$SYS/sample_period_ms"
	umount "$mnt" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
mount -t kvmmem -o size=64M none "$mnt" || tap_bail "cannot mount kvmmem"
chmod 755 "$dir" "$mnt"
for f in a.ram vmB c.ram; do
	truncate -s 8M "$mnt/$f"
	dd if=/dev/urandom of="$mnt/$f" bs=1M count=4 conv=notrunc 2>/dev/null
done
ino() { stat -c %i "$mnt/$1"; }
attr() { cat "$SYS/backends/$(ino "$1")/$2"; }
# the last balloon value a fake QEMU took
got() { grep '^balloon ' "$dir/$1.log" 2>/dev/null | tail -n 1 | awk '{ print $2 }'; }
"$fake" -name guest=vmA -qmp "unix:$dir/a.qmp,server=on,wait=off" \
	-mem-path "$mnt/a.ram" -log "$dir/a.log" &
pids="$pids $!"
apid=$!
"$fake" -name guest=vmC -qmp "unix:$dir/c.qmp,server=on,wait=off" \
	-mem-path "$mnt/c.ram" -hang &
pids="$pids $!"
# vmB has no QEMU: it is found by its file name, and told its QMP socket
"$fake" -name guest=other -qmp "unix:$dir/b.qmp,server=on,wait=off" \
	-mem-path "$mnt/vmB" -log "$dir/b.log" &
pids="$pids $!"
# an untrusted user: a file named like a configured VM, and a "qemu" that
# claims vmA's name for a file it can write
truncate -s 8M "$mnt/evil" "$mnt/x.ram"
chown 65534 "$mnt/evil"
chmod 666 "$mnt/x.ram"
mkdir -m 777 "$dir/evil.d"
"$as_nobody" "$fake" -name guest=vmA -qmp "unix:$dir/evil.d/x.qmp,server=on,wait=off" \
	-mem-path "$mnt/x.ram" &
pids="$pids $!"
sleep 1
ip link set lo up 2>/dev/null

conf=$dir/kvmmemd.conf
cat > "$conf" <<EOF
# test configuration
[defaults]
qmp_timeout_ms = 500
scan_ms = 300
metrics = 127.0.0.1:$PORT
record = $dir/record

[vm vmA]
shares = 300
min = 2M
max = 8M
domain = 5

[vm vmB]
shares = 200
qmp = $dir/b.qmp

[vm vmC]
shares = 100

[vm vmD]
max = 4M

[vm evil]
shares = 4000
EOF

# 1
rc=0
bad() {	# bad LINE-NUMBER TEXT...: a file with TEXT must fail at that line
	printf '%s\n' "$@" | tail -n +2 > "$dir/bad.conf"
	"$DAEMON" -c "$dir/bad.conf" --once 2> "$dir/err"
	st=$?
	if [ $st -ne 1 ] || ! grep -q "bad.conf:$1: " "$dir/err"; then
		echo "# line $1: exit $st: $(cat "$dir/err")"
		rc=1
	fi
}
bad 2 '[vm x]' 'shares = many'
bad 1 'shares = 5'
bad 3 '[vm x]' 'min = 1M' '[vm x]'
bad 2 '[defaults]' 'qmp_timeout_ms = 1'
bad 2 '[vm x]' 'colour = blue'
bad 1 '[vm bad/name]'
bad 2 '[vm x]' 'qmp = relative.sock'
bad 2 '[defaults]' 'no equals sign'
"$DAEMON" -c "$dir/nosuch.conf" --once 2> "$dir/err"
[ $? -eq 1 ] && grep -q 'nosuch.conf: No such file' "$dir/err" || rc=1
printf '[vm x]\nmin = 8M\nmax = 2M\n' > "$dir/bad.conf"
"$DAEMON" -c "$dir/bad.conf" --once 2> "$dir/err"
[ $? -eq 1 ] && grep -q 'min is above max' "$dir/err" || rc=1
tap_result $rc "bad configurations: exit 1 with file, line and reason"

# 2
rc=0
"$DAEMON" -c "$conf" --once 2> "$dir/once.log" || rc=1
[ "$(attr a.ram shares)" = 300 ] && [ "$(attr a.ram min)" = $((2 * 1048576 / PG)) ] &&
	[ "$(attr a.ram domain)" = 5 ] || rc=1
[ "$(attr vmB shares)" = 200 ] && [ "$(attr c.ram shares)" = 100 ] || rc=1
echo "# untrusted: evil has $(attr evil shares) shares, x.ram $(attr x.ram shares)"
[ "$(attr evil shares)" != 4000 ] && [ "$(attr x.ram shares)" != 300 ] || rc=1
grep -q 'evil: owned by uid 65534, not in trusted_uids' "$dir/once.log" || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$dir/once.log"
tap_result $rc "--once applies [vm NAME] by QEMU's -name or file name, for trusted uids only"

# 3
rc=0
"$DAEMON" -c "$conf" -v 2> "$dir/daemon.log" &
dpid=$!
sleep 1
echo 200 > "$SYS/sample_period_ms"
alloc=$(cat "$SYS/pages_allocated")
echo $((alloc * 100 / 97)) > "$SYS/budget_pages"	# 3% free: soft
got_a="" got_b=""
for _ in $(seq 1 50); do
	sleep 0.2
	want_a=$(($(attr a.ram balloon_target) * PG))
	want_b=$(($(attr vmB balloon_target) * PG))
	got_a=$(got a)
	got_b=$(got b)
	[ "$got_a" = "$want_a" ] && [ "$got_b" = "$want_b" ] &&
		[ "$want_a" -lt $((8 * 1048576)) ] &&
		grep -q 'VM vmC: QMP' "$dir/daemon.log" && break
done
echo "# state $(cat "$SYS/free_state"): vmA target $want_a, QEMU got $got_a; vmB target $want_b, QEMU got $got_b"
[ "$got_a" = "$want_a" ] && [ "$got_b" = "$want_b" ] && [ "$want_a" -lt $((8 * 1048576)) ] || rc=1
grep -q 'VM vmC: QMP .*c.qmp' "$dir/daemon.log" || { echo "# no word of vmC's silent QMP"; rc=1; }
[ $rc -eq 0 ] || sed 's/^/# /' "$dir/daemon.log"
tap_result $rc "targets reach each QEMU; a QMP socket that never answers is logged, the others go on"

# 4
rc=0
echo 0 > "$SYS/budget_pages"
for _ in $(seq 1 50); do
	sleep 0.2
	got_a=$(got a)
	[ "$got_a" = $((8 * 1048576)) ] && break
done
[ "$got_a" = $((8 * 1048576)) ] || { echo "# vmA's QEMU got $got_a"; rc=1; }
tap_result $rc "back to high: the target is all of the guest again"

# 5
rc=0
wget -q -O "$dir/metrics" "http://127.0.0.1:$PORT/metrics" || rc=1
resident=$(($(attr a.ram resident) * PG))
grep -q "^kvmmem_vm_resident_bytes{vm=\"vmA\",file=\"/a.ram\"} $resident\$" "$dir/metrics" ||
	{ echo "# no kvmmem_vm_resident_bytes $resident for vmA"; rc=1; }
grep -q '^kvmmemd_balloon_sent_total{vm="vmA",file="/a.ram"} [1-9]' "$dir/metrics" || rc=1
grep -q '^kvmmemd_balloon_failures_total{vm="vmC",file="/c.ram"} [1-9]' "$dir/metrics" || rc=1
grep -q "^kvmmem_pages_allocated [0-9]" "$dir/metrics" || rc=1
grep -q '^kvmmem_vm_hot_io_bytes{vm="vmA",file="/a.ram"} 0$' "$dir/metrics" || rc=1
grep -q "^kvmmem_hot_io_pages [0-9]" "$dir/metrics" || rc=1
bad=$(grep -v '^# \(HELP\|TYPE\) ' "$dir/metrics" |
	grep -cv '^[a-zA-Z_:][a-zA-Z0-9_:]*\({[a-z_]*="[^"]*"\(,[a-z_]*="[^"]*"\)*}\)\? [0-9][0-9.e+]*$')
[ "$bad" -eq 0 ] || { echo "# $bad lines are not exposition format"; rc=1; }
head -n 1 "$dir/record" | grep -q '^# seconds vm size resident' || { echo "# the record has no header"; rc=1; }
[ "$(grep -c '^[0-9.]* vmA 8\.0 [0-9.]* [0-9.]* [0-9.]* [0-9.]* [0-9.]* [0-9.]* [0-9]* [a-z]*$' "$dir/record")" -ge 5 ] ||
	{ echo "# the record has too few lines of vmA:"; tail -n 5 "$dir/record" | sed 's/^/#   /'; rc=1; }
[ $rc -eq 0 ] || head -n 40 "$dir/metrics" | sed 's/^/# /'
tap_result $rc "metrics: a scrape is exposition format, with sysfs's and the daemon's numbers; the record"

# 6
rc=0
sed -i 's/^shares = 300/shares = 350/' "$conf"
kill -HUP "$dpid"
for _ in $(seq 1 25); do
	sleep 0.2
	[ "$(attr a.ram shares)" = 350 ] && break
done
[ "$(attr a.ram shares)" = 350 ] || rc=1
printf '[vm vmA]\nshares = 9\nbogus\n' > "$conf"
kill -HUP "$dpid"
sleep 1
grep -q 'kvmmemd.conf:3: .*keeping the configuration in force' "$dir/daemon.log" || rc=1
[ "$(attr a.ram shares)" = 350 ] || rc=1
kill -0 "$dpid" || rc=1
tap_result $rc "SIGHUP reloads; a bad file is reported by line and changes nothing"

# 7
rc=0
kvmmemctl balloon -t 10 vmB 6 > "$dir/ctl.log" 2>&1 || rc=1
[ "$(got b)" = $((6 * 1048576)) ] || rc=1
kvmmemctl balloon -t 10 vmB 5120K >> "$dir/ctl.log" 2>&1 || rc=1
[ "$(got b)" = $((5 * 1048576)) ] || rc=1
kvmmemctl balloon -t 10 vmB 5Q 2>> "$dir/ctl.log"
[ $? -eq 2 ] || rc=1
kvmmemctl balloon -t 10 "$mnt/x.ram" 6 >> "$dir/ctl.log" 2>&1
[ $? -eq 1 ] || rc=1
grep -q 'x.ram: no QEMU process holds it' "$dir/ctl.log" || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$dir/ctl.log"
tap_result $rc "kvmmemctl balloon VM SIZE: its own QEMU's socket, not another user's"

# 8: two more VMs, started now so that tests 3-7 see the targets of three
# vmD says it has 1 MiB available; vmE's guest has no balloon driver
rc=0
for f in d.ram e.ram; do
	truncate -s 8M "$mnt/$f"
	dd if=/dev/urandom of="$mnt/$f" bs=1M count=4 conv=notrunc 2>/dev/null
done
echo "1048576 0 5" > "$dir/d.stats"
"$fake" -name guest=vmD -qmp "unix:$dir/d.qmp,server=on,wait=off" \
	-mem-path "$mnt/d.ram" -log "$dir/d.log" -stats "$dir/d.stats" &
de_pids=$!
"$fake" -name guest=vmE -qmp "unix:$dir/e.qmp,server=on,wait=off" \
	-mem-path "$mnt/e.ram" -log "$dir/e.log" -no-driver &
de_pids="$de_pids $!"
pids="$pids $de_pids"
for _ in $(seq 1 50); do
	sleep 0.2
	grep -q 'VM vmE: guest statistics every' "$dir/daemon.log" &&
		grep -q 'VM vmD: guest statistics every' "$dir/daemon.log" && break
done
grep -q '^stats-interval 2$' "$dir/a.log" || { echo "# vmA's QEMU was not asked for statistics"; rc=1; }
grep -q 'VM vmA: guest statistics every 2 s (/machine/peripheral-anon/device\[0\])' "$dir/daemon.log" || rc=1
echo $(($(cat "$SYS/pages_allocated") * 100 / 97)) > "$SYS/budget_pages"
for _ in $(seq 1 100); do
	sleep 0.2
	grep -q 'VM vmE: the balloon did not move' "$dir/daemon.log" &&
		grep -q 'VM vmD: the guest has 1 MiB available' "$dir/daemon.log" && break
done
want_d=$(($(attr d.ram balloon_target) * PG))
echo "# vmD: target $want_d, QEMU got $(got d)"
[ "$want_d" -le $((4 * 1048576)) ] && [ "$(got d)" = $((8 * 1048576)) ] || rc=1
grep -q 'VM vmD: the guest has 1 MiB available: 8 MiB, not [0-9]*, so that it keeps 64 MiB' "$dir/daemon.log" || rc=1
grep -q 'VM vmE: the balloon did not move from 8 MiB towards [0-9]* MiB in 10 s: no balloon driver' "$dir/daemon.log" || rc=1
wget -q -O "$dir/metrics" "http://127.0.0.1:$PORT/metrics" || rc=1
grep -q '^kvmmemd_balloon_limited_total{vm="vmD",file="/d.ram"} [1-9]' "$dir/metrics" || rc=1
grep -q '^kvmmemd_guest_available_bytes{vm="vmD",file="/d.ram"} 1048576$' "$dir/metrics" || rc=1
grep -q '^kvmmemd_balloon_actual_bytes{vm="vmA",file="/a.ram"} [0-9]' "$dir/metrics" || rc=1
echo 0 > "$SYS/budget_pages"
# gone again, so that test 9 sees the targets of test 3
for p in $de_pids; do
	kill "$p"
	wait "$p" 2>/dev/null
done
rm -f "$mnt/d.ram" "$mnt/e.ram"
[ $rc -eq 0 ] || { grep 'vmD\|vmE' "$dir/daemon.log" | sed 's/^/# /'; grep 'vmD' "$dir/metrics" | sed 's/^/# /'; }
tap_result $rc "guest statistics: turned on; a guest short of memory keeps it; no driver is said"

# 9
rc=0
kill "$apid"
wait "$apid" 2>/dev/null
echo $((alloc * 100 / 97)) > "$SYS/budget_pages"
sleep 2
kill -0 "$dpid" || rc=1
grep -q 'VM vmA: QMP' "$dir/daemon.log" || { echo "# no word of vmA's QEMU gone"; rc=1; }
echo 0 > "$SYS/budget_pages"
kill -TERM "$dpid"
wait "$dpid"
st=$?
dpid=""
[ $st -eq 0 ] || { echo "# kvmmemd exited $st"; rc=1; }
[ $rc -eq 0 ] || tail -n 20 "$dir/daemon.log" | sed 's/^/# /'
tap_result $rc "a QEMU killed mid-run: the daemon lives on; SIGTERM: exit 0"

exit $((tap_failed > 0))
