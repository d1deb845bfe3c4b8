#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run.sh SERIES SCRIPT [ARGS...]
#
# Runs SCRIPT (a shell script or a static binary) with ARGS inside a test
# VM ("L1") that boots Debian's kernel of SERIES (6.1 or 6.12) under
# QEMU/TCG, with kvm_amd (nested SVM) and kvmmem.ko loaded and the
# selftests at /selftests.  The script's working directory is /selftests;
# stock QEMU is at /usr/bin/qemu-system-x86_64 and the L2 guest's kernel
# and initramfs are at /guest/ (see initramfs.sh); libvirtd and virsh
# come from a layer of their own (libvirt-layer.sh).
#
# Exit status: the script's, which the VM's /init prints as "RIG-EXIT <rc>"
# on the console; 124 if the VM ran out of time, 125 if it stopped without
# saying (a panic, a crash of QEMU).  The console (ttyS0: what /init and
# the script print) is shown on stdout and kept in build/<kver>/console.log;
# the kernel's own log (ttyS1, loglevel 7, so that lockup, hung-task and
# RCU-stall reports come out, and never split a test's output line) in
# build/<kver>/kernel.log.
#
# Environment:
#   VM_TIMEOUT=900        seconds before the VM is killed
#   VM_APPEND=...         extra kernel command-line arguments for L1
#   VM_TICK=periodic      L1's timer tick.  periodic: L1 boots with
#                         "nohz=off highres=off", so its local APIC timer
#                         runs in periodic mode and QEMU raises it anew
#                         every tick; an interrupt that QEMU 7.2 loses
#                         (below, VM_POKE) is then taken at the next tick.
#                         oneshot: Linux's default (tickless, high
#                         resolution), where Linux re-arms the timer from
#                         its own interrupt, so a lost timer interrupt
#                         halts an idle L1 for good; for measurements
#                         (Documentation/testing.rst, "L1 silences")
#   VM_ACCEL=tcg          QEMU's -accel for L1 (e.g. tcg,thread=single)
#   VM_CPU=max            QEMU's -cpu for L1 (it must offer svm)
#   VM_KVM_AMD_PARAMS=    parameters for kvm_amd in L1 (e.g. vgif=0)
#   VM_QEMU_ARGS=         extra arguments for L1's QEMU, for experiments
#                         (e.g. "-device intel-iommu -device edu", with
#                         VM_MACHINE=q35)
#   VM_MACHINE=pc         L1's machine type
#   VM_MEM=3G             L1's RAM (QEMU's -m); more than 4G puts some
#                         above 4 GiB, for hot I/O remapping
#   VM_SMP=1              vCPUs of L1.  With two, QEMU 7.2's emulated SVM
#                         breaks L1 while it runs nested guests, whatever
#                         backs their RAM: "corrupted stack end detected
#                         inside scheduler" or "stack guard page was hit"
#                         in error_entry of a QEMU vCPU thread (three
#                         guests booting at once on tmpfs, kvmmem.ko
#                         unloaded: dead within 4 minutes), "Oops: int3"
#                         as KVM flips a static key, guests that reset
#                         mid-boot.  With one vCPU and a one-shot tick,
#                         L1 now and then stops dead, with guests on tmpfs
#                         too: QEMU leaves an interrupt pending in the
#                         vCPU's local APIC and never delivers it
#                         (VM_TICK, VM_STALL and VM_POKE;
#                         Documentation/testing.rst, "L1 silences").  One
#                         vCPU fails less often; make check gives its
#                         tests without guests two.
#   VM_STALL=0            stop the VM when its console and kernel log have
#                         been silent this many seconds (0: never; make
#                         check uses 300).  Before it stops L1, the rig
#                         asks QEMU's monitor for L1's registers, a few
#                         stack words and the local APIC, and names the
#                         kernel symbols they point into (stderr); it
#                         also says how much CPU L1's QEMU (and its vCPU
#                         threads) used during the silence, and samples
#                         the RIPs a second apart
#   VM_POKE=1             after 30 s of silence, and every 10 s then, look
#                         for a vCPU of L1 that does not take a pending
#                         interrupt (lost_interrupt), and if there is one,
#                         send a key press; said in a "rig: lost
#                         interrupt" line.  It woke one stuck L1 and not
#                         another (Documentation/testing.rst); with
#                         VM_TICK=periodic it should find none.  0: never
#   VM_STALL_NMI=1        on such a silence, after the report, send L1 an
#                         NMI and let it run on if that wakes it (said in a
#                         "rig: stall:" line); 0: stop it at once
#   VM_KERNEL_LOG=PATH    also copy the kernel log there
#   KVMMEM_RIG_FAULT=     kill-once: kill L1 (SIGKILL) right after the first
#                         "# END" line of a test, once: the state file
#                         KVMMEM_RIG_FAULT_STATE (default
#                         build/rig-fault-done) says it was done; remove it
#                         to arm the fault again.  kill-always: every boot.
#                         For the rig's own test of check.sh's retry
#   KVMMEM_SKIP_DEPS=1    do not run deps.sh
#   KVMMEM_CACHE=DIR      download cache (default ~/.cache/kvmmem)
# shellcheck disable=SC2317 # functions run through rig_with_lock look unreachable
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VM_TIMEOUT=${VM_TIMEOUT:-900}
VM_APPEND=${VM_APPEND:-}

# tick_args: L1's kernel arguments for VM_TICK.
tick_args() {
	case ${VM_TICK:-periodic} in
	periodic) echo "nohz=off highres=off" ;;
	oneshot) ;;
	*) rig_die "VM_TICK: periodic or oneshot, not '$VM_TICK'" ;;
	esac
}

usage() {
	echo "usage: $0 6.1|6.12 SCRIPT [ARGS...]" >&2
	exit 2
}

# Builds kvmmem.ko for KVER in build/KVER/mod: a copy of the sources, so
# that the two kernels' objects never mix, nor mix with an in-tree build.
build_module() {
	local kver=$1 mod=$2
	mkdir -p "$mod"
	sync_sources "$RIG_REPO/module" "$mod/module"
	sync_sources "$RIG_REPO/uapi" "$mod/uapi"
	cp -p "$RIG_REPO/Kbuild" "$mod/Kbuild"
	rig_log "building kvmmem.ko for $kver"
	make -s -C "$(rig_headers_dir "$kver")" M="$mod" modules >&2 ||
		rig_die "kvmmem.ko does not build for $kver"
	[ -f "$mod/kvmmem.ko" ] || rig_die "the build made no $mod/kvmmem.ko"
}

# Copies the C sources and headers under SRC to DST, keeping their times
# (so make rebuilds only what changed), and deletes those DST has but SRC
# no longer has (a stale header could still be included).  Objects of an
# in-tree build in SRC are left out: they are for some other kernel.
sync_sources() {
	local src=$1 dst=$2 f
	mkdir -p "$dst"
	while read -r f; do
		[ -e "$src/$f" ] || rm -f "$dst/$f"
	done < <(cd "$dst" && find . -type f \( -name '*.c' -o -name '*.h' \))
	while read -r f; do
		mkdir -p "$dst/$(dirname "$f")"
		cp -p "$src/$f" "$dst/$f"
	done < <(cd "$src" && find . -type f \( -name '*.c' -o -name '*.h' \))
}

# The CLI and the test programs, built on the host (their Makefiles link
# them statically: L1 carries only the libraries QEMU needs).
build_userspace() {
	if [ -f "$RIG_REPO/userspace/Makefile" ]; then
		make -s -C "$RIG_REPO/userspace" >&2 || rig_die "userspace does not build"
	fi
	make -s -C "$RIG_REPO/selftests/kvmmem" >&2 || rig_die "selftests do not build"
}

# Quotes the arguments for sh on one line, for /init's "eval set --":
# it's -> 'it'\''s'.
quote_args() {
	local a q="'\\''"
	for a in "$@"; do
		printf "'%s' " "${a//\'/$q}"
	done
	echo
}

# The VM's /init: sets up the mounts, loads the modules, runs the script
# and reports its status on the console in a line the host looks for.
write_init() {
	cat >"$1" <<'EOF'
#!/bin/sh
# kvmmem test VM (L1) init, written by selftests/rig/vm-run.sh.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t devtmpfs devtmpfs /dev
# The kernel's console is ttyS1; the script's output goes to ttyS0 alone.
exec </dev/ttyS0 >/dev/ttyS0 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
ip link set lo up 2>/dev/null

for m in $(cat /lib/rig-modules/order); do
	params=
	case $m in *-kvm-amd.ko) params=$(cat /rig/kvm_amd.params) ;; esac
	# shellcheck disable=SC2086 # one parameter a word
	insmod "/lib/rig-modules/$m" $params || echo "rig: WARNING: insmod $m failed"
done
if ! insmod /lib/kvmmem/kvmmem.ko; then
	echo "rig: WARNING: insmod kvmmem.ko failed; kernel log:"
	dmesg | tail -n 20 | sed 's/^/# /'
fi
[ -c /dev/kvm ] || echo "rig: WARNING: no /dev/kvm: L2 guests cannot use KVM"
# The local APIC timer's tick mode (VM_TICK): 0 periodic, 1 one-shot.
tick=$(awk '/^Tick Device: mode:/ { m = $4 }
	/^Clock Event Device: lapic/ { print (m == 0 ? "periodic" : "oneshot"); exit }' /proc/timer_list)
echo "rig: L1 up: $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2}' /proc/meminfo) kB, tick ${tick:-unknown}"
# Where the modules sit, and every function's address (gzipped, on ttyS2:
# Debian's System.map is a stub), so that a stalled RIP can be named
# (watch_stall).
sed 's/^/rig: module /' /proc/modules
stty -F /dev/ttyS2 raw -echo 2>/dev/null
(grep ' [tTwW] ' /proc/kallsyms | gzip -1 >/dev/ttyS2) &

cd /selftests
eval "set -- $(cat /rig/args)"
chmod +x /run-script
# A text file runs under busybox sh whatever its #! line names.
if [ "$(head -c 4 /run-script)" = "$(printf '\177ELF')" ]; then
	/run-script "$@"
else
	sh /run-script "$@"
fi
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "# rig: kernel log (last 50 lines):"
	dmesg | tail -n 50 | sed 's/^/# /'
fi
echo "RIG-EXIT $rc"
poweroff -f
EOF
	chmod 755 "$1"
}

# Copies the files of the tests into the overlay: scripts, the list, and
# the binaries built from the C sources.
stage_selftests() {
	local dir=$1/selftests src=$RIG_REPO/selftests/kvmmem f
	mkdir -p "$dir"
	for f in "$src"/*.sh "$src"/*.list "$src"/build/*; do
		[ -f "$f" ] && cp "$f" "$dir/"
	done
	return 0
}

# The CLI and daemon, when they are built.
stage_userspace() {
	local dir=$1/usr/bin f
	mkdir -p "$dir"
	for f in "$RIG_REPO"/userspace/build/*; do
		[ -f "$f" ] && [ -x "$f" ] && cp "$f" "$dir/"
	done
	return 0
}

# make_overlay OUT MOD SCRIPT ARGS...: the per-run archive.
make_overlay() {
	local out=$1 mod=$2 script=$3 stage
	shift 3
	stage=$(dirname "$out")/overlay
	rm -rf "$stage"
	mkdir -p "$stage/lib/kvmmem" "$stage/rig"
	write_init "$stage/init"
	cp "$mod/kvmmem.ko" "$stage/lib/kvmmem/"
	stage_selftests "$stage"
	stage_userspace "$stage"
	cp "$script" "$stage/run-script"
	quote_args "$@" >"$stage/rig/args"
	echo "${VM_KVM_AMD_PARAMS:-}" >"$stage/rig/kvm_amd.params"
	rig_cpio "$stage" "$out"
}

# SeaBIOS resets and clears the terminal ("ESC c", "ESC [2J") and a
# shell on L2's console asks for the cursor position: drop such escapes,
# so that a run in a terminal keeps its scrollback and the log reads well;
# and the serial console's CRs.
strip_escapes() {
	sed -u -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r$//'
}

# Boots L1 and returns QEMU's exit status; the console goes to stdout
# and to LOG, the kernel log to LOG's directory, kernel.log.  Standard
# input is closed so that QEMU leaves the terminal alone and CI (which has
# no stdin) behaves as a terminal does.  L1 boots with nokaslr, so that
# System.map names the addresses a stall report shows.
boot() {
	local kver=$1 initrd=$2 log=$3 rc run tick helpers=()
	run=$(dirname "$log")
	tick=$(tick_args)
	rm -f "$run/qemu.pid"
	: >"$run/kernel.log"
	if [ "${VM_STALL:-0}" -gt 0 ]; then
		watch_stall "$kver" "$run" &
		helpers+=($!)
	fi
	if [ -n "${KVMMEM_RIG_FAULT:-}" ]; then
		inject_fault "$run" &
		helpers+=($!)
	fi
	set +e
	# shellcheck disable=SC2086 # VM_QEMU_ARGS: words
	timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 -accel "${VM_ACCEL:-tcg}" -cpu "${VM_CPU:-max}" \
		-M "${VM_MACHINE:-pc}" -m "${VM_MEM:-3G}" -smp "${VM_SMP:-1}" -nographic -no-reboot -nic none \
		-pidfile "$run/qemu.pid" \
		-monitor "unix:$run/monitor.sock,server=on,wait=off" \
		-serial stdio -serial "file:$run/kernel.log" \
		-serial "file:$run/kallsyms.gz" \
		-kernel "$(rig_vmlinuz "$kver")" -initrd "$initrd" \
		-append "console=ttyS1 loglevel=7 nokaslr panic=-1 $tick $VM_APPEND" \
		${VM_QEMU_ARGS:-} </dev/null 2>&1 | strip_escapes | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	[ "${#helpers[@]}" -eq 0 ] || kill "${helpers[@]}" 2>/dev/null || true
	return "$rc"
}

# output_size RUN: bytes L1 has printed, on the console and in the kernel
# log, leaving out the kernel's lines about an NMI (the rig's own, below).
output_size() {
	{
		cat "$1/console.log"
		grep -av 'NMI\|Dazed and confused' "$1/kernel.log"
	} 2>/dev/null | wc -c
}

# The PID of L1's QEMU, once it has written it.
qemu_pid() {
	cat "$1/qemu.pid" 2>/dev/null
}

# Stops the VM once its console and kernel log have not grown for
# VM_STALL seconds: an emulated L1 that stops dead would otherwise sit
# until VM_TIMEOUT.  First it says where L1 is (l1_state).
watch_stall() {
	local kver=$1 run=$2 pid size last=-1 quiet=0 lost ticks=
	while sleep 10; do
		pid=$(qemu_pid "$run") || continue
		kill -0 "$pid" 2>/dev/null || return 0
		size=$(output_size "$run")
		if [ "$size" = "$last" ]; then
			quiet=$((quiet + 10))
		else
			quiet=0
			last=$size
			ticks=$(cpu_ticks "$pid")
		fi
		if [ "$quiet" -ge 30 ] && [ "${VM_POKE:-1}" = 1 ] &&
			lost=$(lost_interrupt "$run"); then
			echo "rig: stall: $(cpu_use "$pid" "$ticks" "$quiet")" >&2
			monitor "$run" "sendkey shift" >/dev/null
			echo "rig: lost interrupt after $quiet s of silence: $lost; sent a key press" >&2
			continue
		fi
		if [ "$quiet" -ge "$VM_STALL" ]; then
			echo "rig: console silent for $quiet s" >&2
			echo "rig: stall: $(cpu_use "$pid" "$ticks" "$quiet")" >&2
			echo "rig: stall: RIP samples a second apart: $(rip_samples "$run")" >&2
			l1_state "$kver" "$run" 2>&1 | sed 's/^/rig: stall: /' >&2
			if [ "${VM_STALL_NMI:-1}" = 1 ] && nmi_wakes "$run" "$size"; then
				echo "rig: stall: L1 resumed after an NMI" >&2
				quiet=0
				last=-1
				continue
			fi
			echo "rig: stopping the VM" >&2
			kill "$pid" 2>/dev/null
			return 0
		fi
	done
}

# cpu_ticks PID: the CPU time (clock ticks, user and system) that QEMU's
# process PID has used, all threads together and its vCPU threads alone
# ("CPU n/TCG"): "ALL VCPU".
cpu_ticks() {
	local stat all=0 vcpu=0 comm rest t
	for stat in /proc/"$1"/task/*/stat; do
		t=$(cat "$stat" 2>/dev/null) || continue
		comm=${t#*(}
		comm=${comm%)*}
		rest=${t##*) }
		# shellcheck disable=SC2086 # split the fields after the name
		set -- $rest
		all=$((all + ${12} + ${13}))
		case $comm in CPU\ *) vcpu=$((vcpu + ${12} + ${13})) ;; esac
	done
	echo "$all $vcpu"
}

# cpu_use PID TICKS SECONDS: how busy QEMU was over a silence of SECONDS
# that began when cpu_ticks said TICKS.  A vCPU that waits for an
# interrupt leaves its thread asleep; one that spins (a loop of faults,
# a lock) keeps it at a full core.
cpu_use() {
	local hz now secs=$(($3 > 0 ? $3 : 1))
	hz=$(getconf CLK_TCK)
	now=$(cpu_ticks "$1")
	# shellcheck disable=SC2086 # "ALL VCPU" pairs
	set -- $2 $now
	echo "over the last $secs s QEMU used $((100 * ($3 - $1) / hz / secs))% of a core," \
		"its vCPU threads $((100 * ($4 - $2) / hz / secs))%"
}

# rip_samples RUN: each vCPU's RIP, three times a second apart, without
# stopping L1: one address every time is a vCPU stuck there.
rip_samples() {
	local i
	for i in 1 2 3; do
		[ "$i" = 1 ] || sleep 1
		monitor "$1" "info registers -a" | grep -o 'RIP=[0-9a-f]*' | tr '\n' ' '
	done
}

# stuck_cpus RUN: a line per vCPU of L1 with interrupts enabled (IF in
# RFL) while its local APIC holds a pending vector of a higher priority
# class than its PPR: "CPU#n RIP HLT vector PPR".  Halted or not: a vCPU
# running a nested guest shows that guest's registers, and the guest runs
# on while the interrupt that should make it exit to L1 is lost.
stuck_cpus() {
	local run=$1 regs cpu rfl n=0 lapic
	regs=$(monitor "$run" "info registers -a" | grep -E '^CPU#|RFL=')
	while read -r cpu; do
		case $cpu in CPU#*) ;; *) continue ;; esac
		read -r rfl || break
		lapic=$(monitor "$run" "cpu $n" "info lapic" | grep -E '^(IRR|APR)')
		n=$((n + 1))
		awk -v rfl="$rfl" -v cpu="$cpu" '
			function hex(s,   v, i) {
				v = 0
				for (i = 1; i <= length(s); i++)
					v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
				return v
			}
			/^IRR/ { for (i = 2; i <= NF; i++) if ($i + 0 > irr) irr = $i + 0 }
			/^APR/ { for (i = 1; i < NF; i++) if ($i == "PPR") ppr = hex(substr($(i + 1), 3)) }
			END {
				split(rfl, f, "[= ]")
				if (int(hex(f[4]) / 512) % 2 && int(irr / 16) > int(ppr / 16))
					printf "%s RIP=%s %s vector %d pending, PPR 0x%02x\n", cpu, f[2],
						(index(rfl, "HLT=1") ? "HLT=1" : "HLT=0"), irr, ppr
			}' <<<"$lapic"
	done <<<"$regs"
}

# lost_interrupt RUN: succeeds, and says where, if some vCPU stays stuck
# (stuck_cpus) over 5 s, at the same RIP with the same vector pending: an
# interrupt it had to take and did not.  A snapshot alone proves nothing:
# QEMU may be just about to deliver it.  QEMU 7.2's TCG leaves L1 so until
# some other interrupt makes the APIC signal the CPU again
# (Documentation/testing.rst, "L1 silences").
lost_interrupt() {
	local run=$1 first
	first=$(stuck_cpus "$run")
	[ -n "$first" ] || return 1
	sleep 5
	[ "$(stuck_cpus "$run")" = "$first" ] || return 1
	echo "$first" | tr '\n' ' '
}

# nmi_wakes RUN SIZE: sends L1 an NMI, and succeeds if L1 prints more
# than SIZE bytes (output_size) within 60 s.  A vCPU halted with
# interrupts on (HLT=1, IF set in RFL) that carries on after an NMI was
# waiting for an interrupt that never came, unless its timer (info lapic)
# was still counting down: then it was only idle.
nmi_wakes() {
	local run=$1 size=$2 i
	monitor "$run" nmi >/dev/null
	for i in $(seq 1 12); do
		sleep 5
		[ "$(output_size "$run")" -gt "$size" ] && return 0
	done
	return 1
}

# monitor RUN COMMAND...: the answers of L1's QEMU monitor (HMP) to the
# commands, without its banner, prompts, the echo of the commands, and the
# FPU and vector registers.
monitor() {
	local run=$1 cmd
	shift
	for cmd in "$@"; do
		printf '%s\n' "$cmd"
	done | socat -t 5 - "UNIX-CONNECT:$run/monitor.sock" 2>&1 |
		tr -d '\r' | sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e '/^QEMU .* monitor/d' \
			-e 's/^(qemu) //' -e '/^\(FCW\|FPR\|[XYZ]MM\|DR[0-9]\)/d' |
		awk -v cmds="$(printf '%s\n' "$@")" '
			BEGIN { n = split(cmds, c, "\n") }
			{ for (i = 1; i <= n; i++) if (c[i] != "" && index($0, c[i])) next; print }'
}

# l1_state KVER RUN: L1's vCPUs as QEMU sees them (halted or running, the
# interrupt flag in RFLAGS), their registers and top stack words, and the
# local APIC; then the kernel symbols those addresses fall in.
l1_state() {
	local kver=$1 run=$2 out map rsp
	out=$(monitor "$run" stop "info cpus" "info registers -a" "info lapic" "info pic")
	# The monitor has no $rsp: read it off the registers (of each vCPU).
	for rsp in $(grep -o 'RSP=[0-9a-f]*' <<<"$out" | cut -d= -f2); do
		out+=$'\n'"stack at $rsp:"$'\n'$(monitor "$run" "x/16gx 0x$rsp")
	done
	monitor "$run" cont >/dev/null
	echo "$out"
	map=$run/symbols
	if [ -s "$run/kallsyms.gz" ]; then
		zcat "$run/kallsyms.gz" 2>/dev/null >"$map" || true
	fi
	[ -s "$map" ] || grep ' [tTwW] ' "$(rig_image_root "$kver")/boot/System.map-$kver" >"$map" || true
	[ -s "$map" ] || { echo "no kallsyms nor System.map: addresses left unnamed"; return 0; }
	grep -oE '(RIP=|0x)?ffffffff[0-9a-f]{8}\b' <<<"$out" | sed -E 's/^(RIP=|0x)//' |
		awk '!seen[$0]++' | name_addresses "$map" "$run/console.log"
}

# name_addresses SYMBOLS CONSOLE: for each kernel address on stdin, the
# function it falls in (SYMBOLS: L1's kallsyms, or System.map; nokaslr),
# or else the module whose range holds it (the "rig: module" lines /init
# printed).
name_addresses() {
	awk -v mapfile="$1" -v console="$2" '
	# Kernel text and modules lie in the top 4 GiB: the low 32 bits
	# name an address there, and stay exact in floating point.
	function hex(s,    i, c, v) {
		s = substr(s, length(s) - 7)
		v = 0
		for (i = 1; i <= length(s); i++) {
			c = index("0123456789abcdef", substr(s, i, 1)) - 1
			v = v * 16 + c
		}
		return v
	}
	BEGIN {
		while ((getline line < mapfile) > 0) {
			split(line, f, " ")
			if (f[2] !~ /^[tTwW]$/) continue
			n++; addr[n] = hex(f[1]); sym[n] = f[3] (f[4] != "" ? " " f[4] : "")
		}
		while ((getline line < console) > 0) {
			if (line !~ /^rig: module /) continue
			split(line, f, " ")
			m++; mname[m] = f[3]; msize[m] = f[4] + 0
			mbase[m] = hex(substr(f[8], 3))
		}
	}
	{
		a = hex($1); lo = 1; hi = n; best = 0
		while (lo <= hi) {
			mid = int((lo + hi) / 2)
			if (addr[mid] <= a) { best = mid; lo = mid + 1 } else hi = mid - 1
		}
		where = ""
		if (best && a - addr[best] < 65536)
			where = sprintf("%s+0x%x", sym[best], a - addr[best])
		for (i = 1; i <= m && where == ""; i++)
			if (a >= mbase[i] && a < mbase[i] + msize[i])
				where = sprintf("%s+0x%x (module)", mname[i], a - mbase[i])
		if (where != "")
			print $1 " = " where
	}'
}

# Kills L1 with SIGKILL after the first "# END" line of a test, as a
# dead VM would stop: check.sh must boot once more (KVMMEM_RIG_FAULT).
inject_fault() {
	local run=$1 state=${KVMMEM_RIG_FAULT_STATE:-$RIG_REPO/build/rig-fault-done} pid
	case $KVMMEM_RIG_FAULT in
	kill-once) [ -e "$state" ] && return 0 ;;
	kill-always) ;;
	*) rig_die "KVMMEM_RIG_FAULT=$KVMMEM_RIG_FAULT: want kill-once or kill-always" ;;
	esac
	until grep -qa '^# END ' "$run/console.log" 2>/dev/null; do
		sleep 0.5
	done
	pid=$(qemu_pid "$run") || return 0
	touch "$state"
	echo "rig: KVMMEM_RIG_FAULT=$KVMMEM_RIG_FAULT: killing L1" >&2
	kill -9 "$pid" 2>/dev/null || true
}

# Turns the console log into the exit status of vm-run.sh.
script_status() {
	local log=$1 qrc=$2 line
	line=$(tr -d '\r' <"$log" | grep -a '^RIG-EXIT [0-9][0-9]*$' | tail -n 1 || true)
	if [ -n "$line" ]; then
		echo "${line#RIG-EXIT }"
		return 0
	fi
	{
		echo "rig: the VM stopped without RIG-EXIT (qemu/timeout status $qrc); console tail:"
		tr -d '\r' <"$log" | tail -n 40 | sed 's/^/rig: | /'
	} >&2
	[ "$qrc" -eq 124 ] && echo 124 && return 0
	echo 125
}

# Builds everything made from the work tree and packs this run's overlay,
# under one lock per tree: two runs in one tree (say a developer's and a
# test's) would otherwise race in make or pack a half-written file.
build_and_pack() {
	local kver=$1 out=$2 run=$3
	shift 3
	build_module "$kver" "$out/mod"
	build_userspace
	make_overlay "$run/overlay.cpio" "$out/mod" "$@"
}

# Per-run files live in their own directory, so runs can overlap; the last
# console log to finish is kept as build/<kver>/console.log.
finish_run() {
	local run=$1 out=$2
	[ -f "$run/console.log" ] && mv -f "$run/console.log" "$out/console.log"
	if [ -f "$run/kernel.log" ]; then
		[ -z "${VM_KERNEL_LOG:-}" ] || cp "$run/kernel.log" "$VM_KERNEL_LOG"
		mv -f "$run/kernel.log" "$out/kernel.log"
	fi
	rm -rf "$run"
}

main() {
	local series script kver out run qrc start rc
	[ $# -ge 2 ] || usage
	series=$1
	script=$2
	shift 2
	[ "${KVMMEM_SKIP_DEPS:-0}" = 1 ] || "$RIG_DIR/deps.sh"
	# A test binary (selftests/kvmmem/build/...) exists only once built.
	[ -f "$script" ] || rig_with_lock "$RIG_REPO/build/.lock" build_userspace
	[ -f "$script" ] || rig_die "no such script: $script"
	kver=$(kver_for "$series")
	out=$RIG_REPO/build/$kver
	mkdir -p "$out"
	rig_image_root "$kver" >/dev/null
	run=$(mktemp -d "$out/run.XXXXXX")
	# shellcheck disable=SC2064 # expand now: the paths are local
	trap "finish_run '$run' '$out'" EXIT
	rig_with_lock "$RIG_REPO/build/.lock" build_and_pack "$kver" "$out" "$run" "$script" "$@"
	"$RIG_DIR/initramfs.sh" "$kver" "$run/initrd.cpio"
	"$RIG_DIR/libvirt-layer.sh" "$run/libvirt.cpio"
	cat "$run/libvirt.cpio" "$run/overlay.cpio" >>"$run/initrd.cpio"
	rig_log "booting $kver (timeout ${VM_TIMEOUT}s)"
	start=$(rig_now)
	qrc=0
	boot "$kver" "$run/initrd.cpio" "$run/console.log" || qrc=$?
	rc=$(script_status "$run/console.log" "$qrc")
	rig_log "$kver: RIG-EXIT $rc after $(($(rig_now) - start)) s; console in $out/console.log"
	exit "$rc"
}

main "$@"; exit
