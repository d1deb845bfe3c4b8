#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# notify_test.sh: kvmmemd speaks systemd's notification protocol (native,
# no root, no kvmmem mount: it runs with no VMs).  socat stands for
# systemd, receiving the datagrams on $NOTIFY_SOCKET:
#
#   1 READY=1 once started
#   2 SIGHUP: RELOADING=1, then READY=1 again
#   3 SIGTERM: STOPPING=1, exit status 0
#   4 an abstract socket (@NAME) works too
#   5 a NOTIFY_SOCKET that is no socket is said, and kvmmemd runs on
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
daemon=$top/userspace/build/kvmmemd
# shellcheck source=selftests/kvmmem/tap.sh
. "$top/selftests/kvmmem/tap.sh"
echo "TAP version 13"
echo "1..5"
command -v socat >/dev/null || tap_skip_all 5 notify "no socat (apt-get install socat)"
make -s -C "$top" userspace >/dev/null || tap_bail "userspace does not build"
dir=$(mktemp -d /tmp/kvmmem-notify.XXXXXX)
pids=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
printf '[defaults]\nscan_ms = 200\n' > "$dir/kvmmemd.conf"

# wait_for FILE TEXT: up to 10 s for TEXT in FILE (datagrams, no newlines)
wait_for() {
	for _ in $(seq 1 50); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# listen ADDRESS FILE: socat receiving datagrams on ADDRESS into FILE
listen() {
	: > "$2"
	socat -u "$1" "OPEN:$2,creat,append" &
	pids="$pids $!"
	sleep 0.5
}

listen "UNIX-RECV:$dir/notify.sock" "$dir/got"
NOTIFY_SOCKET=$dir/notify.sock "$daemon" -c "$dir/kvmmemd.conf" 2> "$dir/log" &
dpid=$!
pids="$pids $dpid"
wait_for "$dir/got" 'READY=1'
tap_result $? "READY=1 once started"

kill -HUP "$dpid"
wait_for "$dir/got" 'READY=1RELOADING=1READY=1'
tap_result $? "SIGHUP: RELOADING=1, then READY=1"

kill -TERM "$dpid"
wait "$dpid"
st=$?
rc=0
[ $st -eq 0 ] || { echo "# kvmmemd exited $st"; rc=1; }
wait_for "$dir/got" 'READY=1STOPPING=1$' || { echo "# got: $(cat "$dir/got")"; rc=1; }
tap_result $rc "SIGTERM: STOPPING=1, exit status 0"

name=kvmmem-notify-test-$$
listen "ABSTRACT-RECV:$name" "$dir/got2"
NOTIFY_SOCKET=@$name "$daemon" -c "$dir/kvmmemd.conf" 2>> "$dir/log" &
dpid=$!
pids="$pids $dpid"
wait_for "$dir/got2" 'READY=1'
tap_result $? "an abstract socket (@NAME)"
kill -TERM "$dpid"
wait "$dpid"

rc=0
NOTIFY_SOCKET=$dir/nosuch.sock "$daemon" -c "$dir/kvmmemd.conf" 2> "$dir/log3" &
dpid=$!
pids="$pids $dpid"
wait_for "$dir/log3" 'warning: NOTIFY_SOCKET: No such file or directory' || rc=1
kill -0 "$dpid" || rc=1
kill -TERM "$dpid"
wait "$dpid" || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$dir/log3"
tap_result $rc "a NOTIFY_SOCKET that is no socket is said; kvmmemd runs on"
exit $((tap_failed > 0))
