# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# l2guest.sh: start and drive L2 guests with stock QEMU, their RAM in a file
# (on kvmmem).  Sourced by the qemu_*_test.sh scripts and demo.sh inside the test
# VM (busybox sh); never run on its own.
#
# Each guest NAME gets a directory $L2_WORK/NAME with:
#   serial.in, serial.out  fifos of `-serial pipe:`: what the test types
#                          into the guest's console and what it prints
#   console.log            everything the guest printed, "\r" and all
#   qmp.sock               QEMU's QMP socket (driven by kvmmemctl)
#   qemu.log               QEMU's own stderr
#   pid, reader            PIDs of QEMU and of the cat filling console.log
#
# The guest (guest-initramfs.sh) prints KVMMEM-GUEST-READY and then runs a
# shell on the console.  Two things make reading its answers tricky: the
# serial console delivers output in pieces, and the tty echoes what is
# typed.  So l2_wait looks only at complete lines (ended by a newline), and
# an answer is framed by markers the guest shell has to compute: the typed
# line holds `R$((7+0))=... E$((7+0))`, only the output `R7=... E7`.
# selftests/rig/l2guest_test.sh checks both against a fake guest that
# answers in pieces.

L2_WORK=${L2_WORK:-/tmp/l2guest}
L2_KERNEL=${KVMMEM_GUEST_KERNEL:-/guest/vmlinuz}
L2_INITRD=${KVMMEM_GUEST_INITRD:-/guest/initrd.cpio}
# kvm in the test VM; tcg lets the scripts be tried where KVM is unusable.
L2_ACCEL=${KVMMEM_GUEST_ACCEL:-kvm}
L2_APPEND="console=ttyS0 quiet panic=-1"
# Extra QEMU arguments, for debugging: e.g. "-d cpu_reset -D /tmp/reset.log".
L2_QEMU_ARGS=${KVMMEM_GUEST_QEMU_ARGS:-}
# The balloon device, with its properties (free-page-reporting=on...).
L2_BALLOON=${L2_BALLOON:-virtio-balloon-pci}
KVMMEMCTL=${KVMMEMCTL:-kvmmemctl}
KVMMEM_SYSFS=${KVMMEM_SYSFS:-/sys/kernel/mm/kvmmem}

# Timeouts of the tests' waits.  An L2 guest boots in 10-30 s in the test
# VM.  Under lockdep and KASAN (make check-debug) every L1 fault costs
# several times more, and a guest's 133 MiB fill took over 120 s once an
# interrupt the emulator lost had cost 30 s more: L2_SLOW times the time,
# for the tests' own waits too.
L2_SLOW=1
[ ! -e /proc/lockdep ] || L2_SLOW=3
BOOT_TIMEOUT=$((${KVMMEM_BOOT_TIMEOUT:-240} * L2_SLOW))
CMD_TIMEOUT=$((120 * L2_SLOW))

l2_dir() {
	echo "$L2_WORK/$1"
}

# kvmmem_counter NAME: a global kvmmem counter.
kvmmem_counter() {
	cat "$KVMMEM_SYSFS/$1"
}

# kvmmem_held_kb: KiB of machine memory kvmmem holds now (4 KiB pages).
kvmmem_held_kb() {
	echo $(($(kvmmem_counter pages_allocated) * 4))
}

# kvmmem_saved_pages: guest pages sharing saves now: pages sharing a frame
# and pages on the zero frame.
kvmmem_saved_pages() {
	echo $(($(kvmmem_counter pages_sharing) + $(kvmmem_counter zero_pages)))
}

# kvmmem_frames_back KB: waits up to 10 s for kvmmem to hold KB KiB again
# (it may free frames after umount returns); says how it went.
kvmmem_frames_back() {
	local i=0
	while [ "$(kvmmem_held_kb)" -ne "$1" ] && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	echo "# after umount: kvmmem holds $(kvmmem_held_kb) KiB (before the test: $1 KiB)"
	[ "$(kvmmem_held_kb)" -eq "$1" ]
}

# kvmmem_file_stat FILE NAME: a counter of one kvmmem file (its backends/
# directory in sysfs), e.g. resident, swapped_out.
kvmmem_file_stat() {
	cat "$KVMMEM_SYSFS/backends/$(stat -c %i "$1")/$2"
}

# kvmmem_file_resident FILE: guest pages of one kvmmem file with a frame.
kvmmem_file_resident() {
	kvmmem_file_stat "$1" resident
}

# l2_mount DIR: a kvmmem mount of 1 GiB on DIR (created) for a test, or
# bail out; sets mounted=1 for the test's cleanup.
l2_mount() {
	mkdir -p "$1"
	mount -t kvmmem -o size=1G none "$1" || tap_bail "cannot mount kvmmem on $1"
	# shellcheck disable=SC2034 # the test's cleanup reads it
	mounted=1
}

# l2_store FILE MiB: a loop device over a new sparse file FILE of MiB, to
# be a mount's swapfile=; prints the device.
l2_store() {
	local dev
	dd if=/dev/zero of="$1" bs=1M count=0 seek="$2" 2>/dev/null || return 1
	dev=$(losetup -f) && losetup "$dev" "$1" && echo "$dev"
}

l2_alive() {
	kill -0 "$(cat "$(l2_dir "$1")/pid" 2>/dev/null)" 2>/dev/null
}

# l2_start NAME MEMFILE MiB: boots guest NAME in the background with MiB of
# RAM backed by MEMFILE (created by QEMU) and a virtio balloon.  MEMFILE
# "anon" gives QEMU's anonymous RAM instead, with mem-merge on (for KSM).
l2_start() {
	local dir cpu=host name=$1 mb=$3
	dir=$(l2_prepare "$name")
	[ "$L2_ACCEL" = kvm ] || cpu=max
	if [ "$2" = anon ]; then
		set -- -machine mem-merge=on
	else
		set -- -object "memory-backend-file,id=ram0,size=${mb}M,mem-path=$2,share=on" \
			-machine memory-backend=ram0
	fi
	qemu-system-x86_64 -accel "$L2_ACCEL" -cpu "$cpu" -m "${mb}M" -smp 1 \
		-nodefaults -no-user-config -display none -no-reboot "$@" \
		-device "$L2_BALLOON" \
		-kernel "$L2_KERNEL" -initrd "$L2_INITRD" -append "$L2_APPEND" \
		-serial "pipe:$dir/serial" \
		-qmp "unix:$dir/qmp.sock,server=on,wait=off" $L2_QEMU_ARGS \
		</dev/null >"$dir/qemu.log" 2>&1 &
	echo $! >"$dir/pid"
	l2_read_console "$name"
}

# l2_prepare NAME: makes guest NAME's directory afresh, with the fifos of
# its serial console (for QEMU's `-serial pipe:DIR/serial`, libvirt's
# <serial type='pipe'>), and prints its path.
l2_prepare() {
	local dir
	dir=$(l2_dir "$1")
	rm -rf "$dir"
	mkdir -p "$dir"
	mkfifo "$dir/serial.in" "$dir/serial.out"
	echo "$dir"
}

# l2_read_console NAME: copies what guest NAME prints into its console.log,
# in the background.  QEMU opens both fifos read-write, so this open does
# not block once QEMU runs (and waits for it before).
l2_read_console() {
	local dir
	dir=$(l2_dir "$1")
	cat "$dir/serial.out" >"$dir/console.log" &
	echo $! >"$dir/reader"
}

# l2_console NAME [OFFSET]: what the guest printed (from byte OFFSET on),
# without carriage returns.
l2_console() {
	tail -c +$((${2:-0} + 1)) "$(l2_dir "$1")/console.log" | tr -d '\r'
}

# l2_lines NAME OFFSET: the complete lines the guest printed from byte
# OFFSET on, without carriage returns.  A last line still arriving (no
# newline yet) is left out: a pattern must never match half an answer.
l2_lines() {
	local f n drop=
	f=$(l2_dir "$1")/console.log
	n=$(wc -c <"$f")
	# $(...) strips a trailing newline: empty means the last byte is one.
	[ -z "$(head -c "$n" "$f" | tail -c 1)" ] || drop='$d'
	head -c "$n" "$f" | tail -c +$(($2 + 1)) | tr -d '\r' | sed "$drop"
}

# l2_wait NAME SECONDS PATTERN: waits until a complete line printed after
# what was there when l2_type last typed matches PATTERN (grep -o, basic
# regex), and prints the last match.  Lines holding the typed line (its
# echo) never match.  Fails if the time runs out or QEMU exits first.
l2_wait() {
	local end match mark dir typed
	dir=$(l2_dir "$1")
	mark=$(cat "$dir/mark" 2>/dev/null || echo 0)
	typed=$(cat "$dir/typed" 2>/dev/null)
	end=$(($(date +%s) + $2))
	while :; do
		match=$(l2_lines "$1" "$mark" | { [ -z "$typed" ] && cat || grep -vF -- "$typed"; } |
			grep -o -- "$3" | tail -n 1)
		if [ -n "$match" ]; then
			echo "$match"
			return 0
		fi
		l2_alive "$1" || return 1
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# l2_wait_ready NAME SECONDS: waits for the guest's shell.  If QEMU exits
# first, says with which status (a guest that resets exits with 0, as
# QEMU runs with -no-reboot).  Not in a subshell: it reaps QEMU.
l2_wait_ready() {
	local pid rc=0
	l2_wait "$1" "$2" KVMMEM-GUEST-READY >/dev/null && return 0
	pid=$(cat "$(l2_dir "$1")/pid")
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" || rc=$?
		echo "# $1: QEMU exited with status $rc before the guest was ready"
	fi
	return 1
}

# l2_type NAME LINE: types LINE into the guest's console.
l2_type() {
	local dir
	dir=$(l2_dir "$1")
	l2_alive "$1" || return 1
	wc -c <"$dir/console.log" >"$dir/mark"
	printf '%s\n' "$2" >"$dir/typed"
	# Read-write: opening a fifo so never blocks, even if QEMU has just gone.
	printf '%s\n' "$2" 1<>"$dir/serial.in"
}

# l2_query NAME SECONDS EXPR: has the guest shell evaluate EXPR (shell
# words, e.g. '$(cat /proc/loadavg)') and prints the result's first word.
# The answer counts only once its end marker has arrived on a complete
# line, so it is never a prefix of the answer nor the echo of the command.
l2_query() {
	local n r
	# The console's length makes the markers unique; l2_type records the same.
	n=$(wc -c <"$(l2_dir "$1")/console.log")
	l2_type "$1" "echo \"R\$(($n+0))=$3 E\$(($n+0))\"" || return 1
	r=$(l2_wait "$1" "$2" "R$n=.* E$n\$") || return 1
	r=${r#R$n=}
	r=${r% E$n}
	echo "$r" | awk '{ print $1 }'
}

# l2_run NAME SECONDS COMMAND: runs COMMAND in the guest shell and returns
# its exit status (1 as well if no answer comes in time).
l2_run() {
	local rc
	rc=$(l2_query "$1" "$2" "\$( ($3) >/dev/null 2>&1; echo \$?)") || return 1
	[ -n "$rc" ] && return "$rc"
	return 1
}

# l2_answers NAME SECONDS: the guest's shell still computes.
l2_answers() {
	l2_type "$1" 'echo alive $((6*7))' || return 1
	l2_wait "$1" "$2" 'alive 42' >/dev/null
}

# l2_meminfo NAME FIELD: a /proc/meminfo field of the guest, in KiB.
l2_meminfo() {
	l2_query "$1" 60 "\$(awk '/^$2:/ {print \$2}' /proc/meminfo)"
}

l2_qmp() {
	"$KVMMEMCTL" qmp "$(l2_dir "$1")/qmp.sock" "$2"
}

# l2_balloon NAME MiB SECONDS: sets the balloon and waits for the guest.
l2_balloon() {
	"$KVMMEMCTL" balloon -t "$3" "$(l2_dir "$1")/qmp.sock" "$2"
}

# l2_actual_mb NAME: the guest's memory as QEMU's balloon sees it, in MiB.
l2_actual_mb() {
	local reply
	reply=$(l2_qmp "$1" '{"execute":"query-balloon"}') || return 1
	reply=${reply#*\"actual\": }
	echo $((${reply%%\}*} / 1048576))
}

# l2_quit NAME SECONDS: asks QEMU to quit, waits for it, kills it if it
# hangs.  Fails if QEMU had to be killed.
l2_quit() {
	local dir pid end rc=0
	dir=$(l2_dir "$1")
	pid=$(cat "$dir/pid")
	l2_qmp "$1" '{"execute":"quit"}' >/dev/null 2>&1 || true
	end=$(($(date +%s) + $2))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$end" ]; then
			kill -9 "$pid" 2>/dev/null || true
			rc=1
			break
		fi
		sleep 0.2
	done
	wait "$pid" 2>/dev/null || true
	kill "$(cat "$dir/reader")" 2>/dev/null || true
	wait "$(cat "$dir/reader")" 2>/dev/null || true
	return $rc
}

# l2_kill_all: for traps; stops every guest still running, and its reader.
l2_kill_all() {
	local dir
	for dir in "$L2_WORK"/*/; do
		[ -f "$dir/pid" ] || continue
		kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
		kill "$(cat "$dir/reader")" 2>/dev/null || true
	done
	wait 2>/dev/null || true
}

# l2_tail NAME: for a failure report, as TAP diagnostics: QEMU's state,
# the end of the guest's console and of QEMU's log.  If QEMU still runs, it
# also types an empty line and shows what that brings: output that resumes
# after a keystroke means the guest's serial transmit interrupt got lost.
# l2_comment: stdin as TAP comments, every line ended, the last too (a
# guest's prompt has no newline, and the next TAP line must not join it).
l2_comment() {
	awk '{ print "# " $0 }'
}

l2_tail() {
	local dir
	dir=$(l2_dir "$1")
	echo "# --- $1 console (last 15 lines) ---"
	l2_console "$1" | tail -n 15 | l2_comment
	echo "# --- $1 qemu.log ---"
	tail -n 15 "$dir/qemu.log" | l2_comment
	l2_alive "$1" || return 0
	echo "# --- $1: $(l2_qmp "$1" '{"execute":"query-status"}' 2>&1)"
	l2_type "$1" "" && sleep 5
	echo "# --- $1 console after typing a newline ---"
	l2_console "$1" "$(cat "$dir/mark")" | l2_comment
}

# l2_preflight NTESTS NAME [kvmmemctl]: a stock-QEMU test's TAP header,
# then what it needs: skips all NTESTS when nested KVM is missing, bails
# out when the module, the L2 guest, QEMU (or, if asked, kvmmemctl) is.
l2_preflight() {
	echo "TAP version 13"
	echo "1..$1"
	[ -c /dev/kvm ] || [ "$L2_ACCEL" != kvm ] ||
		tap_skip_all "$1" "$2" "no /dev/kvm (nested virtualization unavailable)"
	[ -d "$KVMMEM_SYSFS" ] || tap_bail "$KVMMEM_SYSFS missing: kvmmem.ko is not loaded"
	[ -f "$L2_KERNEL" ] && [ -f "$L2_INITRD" ] ||
		tap_bail "no L2 guest at $L2_KERNEL, $L2_INITRD"
	command -v qemu-system-x86_64 >/dev/null || tap_bail "qemu-system-x86_64 not found"
	[ "${3:-}" != kvmmemctl ] || command -v "$KVMMEMCTL" >/dev/null ||
		tap_bail "$KVMMEMCTL not found"
}

# l2_helper DIR NAME: the path of the test helper NAME, built beside the
# scripts in DIR (the test VM) or in DIR/build (a work tree); fails if
# neither has it.
l2_helper() {
	local path=$1/$2
	[ -x "$path" ] || path=$1/build/$2
	[ -x "$path" ] && echo "$path"
}
