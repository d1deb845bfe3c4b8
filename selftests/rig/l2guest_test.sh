#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# l2guest_test.sh: the rig's test of selftests/kvmmem/l2guest.sh, native
# (run by check.sh on the host, no VM).  A fake guest stands in for an L2
# guest's serial console the way the real one behaves: it echoes what is
# typed and prints its answers a few bytes at a time, with pauses, with
# "\r\n" line ends.  The helpers run under busybox sh, as in the test VM.
# They must return only whole answers: never a prefix of one, never the
# echo of the typed line.
set -euo pipefail

HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../kvmmem" && pwd)/l2guest.sh
WORK=$(mktemp -d)
GUEST=$WORK/g
count=0
failed=0
trap 'kill "$(cat "$GUEST/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# dribble TEXT: appends TEXT to the console three bytes at a time, 0.1 s
# apart, as a slow serial line does.
dribble() {
	local s=$1 i
	for ((i = 0; i < ${#s}; i += 3)); do
		printf '%s' "${s:i:3}" >>"$GUEST/console.log"
		sleep 0.1
	done
}

# The fake guest: a prompt with no newline; each typed line is echoed
# after it, then run by sh and its output printed, each line ended by
# "\r\n", then the next prompt.
fake_guest() {
	local line out
	exec 3<>"$GUEST/serial.in"
	printf 'guest# ' >>"$GUEST/console.log"
	while IFS= read -r line <&3; do
		dribble "$line"$'\r\n'
		out=$(sh -c "$line" 2>&1 || true)
		[ -z "$out" ] || dribble "${out//$'\n'/$'\r\n'}"$'\r\n'
		dribble 'guest# '
	done
}

start_guest() {
	mkdir -p "$GUEST"
	mkfifo "$GUEST/serial.in"
	printf 'KVMMEM-GUEST-READY\r\n' >"$GUEST/console.log"
	fake_guest &
	echo $! >"$GUEST/pid"
}

# in_guest_helpers SCRIPT: SCRIPT run by busybox sh with l2guest.sh sourced.
in_guest_helpers() {
	L2_WORK=$WORK busybox sh -c ". '$HELPERS'; $1"
}

result() {
	count=$((count + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $count - $3"
	else
		echo "not ok $count - $3"
		echo "#   got '$1', want '$2'"
		failed=$((failed + 1))
	fi
}

main() {
	local answer hex=0123456789abcdef0123456789abcdef
	echo "1..7"
	start_guest
	answer=$(in_guest_helpers "l2_query g 30 '\$(echo $hex)'" || echo "(failed)")
	result "$answer" "$hex" "l2_query: a 32-character answer that arrives in pieces is read whole"
	answer=$(in_guest_helpers "l2_query g 30 '\$(echo one two)'" || echo "(failed)")
	result "$answer" one "l2_query: the first word of the answer, not the echo of the command"
	answer=$(in_guest_helpers "l2_type g 'echo RC=\$?' && l2_wait g 30 'RC=[0-9]*'" || echo "(failed)")
	result "$answer" RC=0 "l2_wait: a pattern the echo also matches waits for the output"
	answer=$(in_guest_helpers "l2_type g 'echo PIECE=abcdefghijklmnopq' && l2_wait g 30 'PIECE=[a-z]*'" || echo "(failed)")
	result "$answer" PIECE=abcdefghijklmnopq "l2_wait: a line still arriving is not matched half-way"
	answer=$(in_guest_helpers "l2_run g 30 'exit 3'; echo \$?")
	result "$answer" 3 "l2_run: the command's exit status"
	answer=$(in_guest_helpers "l2_run g 30 'true'; echo \$?")
	result "$answer" 0 "l2_run: success"
	answer=$(in_guest_helpers "l2_tail g 2>/dev/null; echo 'ok 2 - next'" | tail -n 1)
	result "$answer" "ok 2 - next" "l2_tail: a prompt with no newline does not swallow the next TAP line"
	echo "# $((count - failed)) of $count passed"
	[ "$failed" -eq 0 ]
}

main "$@"; exit
