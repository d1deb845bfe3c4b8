#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# qemu_libvirt_test.sh: libvirt starts a guest on kvmmem, set up as
# Documentation/admin-guide.rst ("libvirt") tells an operator to: qemu.conf's
# memory_backing_dir on a kvmmem mount, and a domain with
# <memoryBacking><source type='file'/><access mode='shared'/> and
# <memballoon model='virtio' freePageReporting='on' autodeflate='on'>.
# Debian's libvirtd, its QEMU driver and virsh come from the test VM's
# libvirt layer (selftests/rig/libvirt-layer.sh).  Runs inside the test
# VM; prints TAP.
#
#   1 libvirtd starts and virsh reaches its QEMU driver
#   2 `virsh create` starts the guest: its RAM is a file under the mount,
#     created by QEMU, kvmmem holds frames for it, and the guest's shell
#     answers on its serial console
#   3 `virsh dommemstat` shows the balloon's view and the guest's own
#     statistics (<stats period>), through the balloon
#   4 `virsh setmem` inflates the balloon: the guest's memory and the
#     balloon's actual size follow, and kvmmem counts the pages it gave
#     back as ballooned, for that file
#   5 `kvmmemctl status` lists the guest's file
#   6 kvmmemd, as Documentation/operators-guide.rst sets it up for
#     libvirt: it finds the guest by its name (libvirt names every file
#     pc.ram), applies its [vm] section, and reaches QEMU through a second
#     QMP monitor (<qemu:commandline>), libvirt keeping its own; virsh
#     still reads the balloon
#   7 `virsh destroy` stops QEMU, libvirt removes the file, the mount
#     unmounts and kvmmem holds no frame more than before
set -eu

for lib in "$(dirname "$0")" "${KVMMEM_SELFTESTS:-/selftests}"; do
	[ -f "$lib/l2guest.sh" ] && break
done
. "$lib/l2guest.sh"
# shellcheck source=selftests/kvmmem/tap.sh
. "$lib/tap.sh"

GUEST_MB=256
SETMEM_MB=160
DOMAIN=lv1
SHARES=700
NTESTS=7
DAEMON=${KVMMEMD:-kvmmemd}
LIBVIRTD_TIMEOUT=$((180 * L2_SLOW))
VIRSH="virsh -q -c qemu:///system"

L2_WORK=$(mktemp -d /tmp/qemu_libvirt.XXXXXX)
mnt=$L2_WORK/mnt
conf=$L2_WORK/libvirt
mounted=0

cleanup() {
	[ -z "${dpid:-}" ] || kill "$dpid" 2>/dev/null || true
	$VIRSH destroy $DOMAIN >/dev/null 2>&1 || true
	[ ! -f "$conf/libvirtd.pid" ] || kill "$(cat "$conf/libvirtd.pid")" 2>/dev/null || true
	l2_kill_all
	[ $mounted -eq 0 ] || umount "$mnt" 2>/dev/null || true
	rm -rf "$L2_WORK"
}

# lv_tail: libvirtd's log and the guest's QEMU log, for a failure report.
lv_tail() {
	echo "# --- libvirtd.log (last 20 lines) ---"
	tail -n 20 "$conf/libvirtd.log" 2>/dev/null | l2_comment
	echo "# --- /var/log/libvirt/qemu/$DOMAIN.log (last 10 lines) ---"
	tail -n 10 "/var/log/libvirt/qemu/$DOMAIN.log" 2>/dev/null | l2_comment
}

# The test VM runs libvirtd as root, without systemd, D-Bus, cgroups or
# an LSM: the settings below say so to libvirt.  memory_backing_dir is the
# one line an operator's qemu.conf needs for kvmmem.
write_config() {
	mkdir -p "$conf/qmp" /etc/libvirt /run/libvirt /var/lib/libvirt/qemu \
		/var/cache/libvirt/qemu /var/log/libvirt/qemu
	# libvirt resolves its built-in user and group (Debian's: libvirt-qemu
	# and kvm) before it reads qemu.conf, which then names root.
	grep -q '^root:' /etc/passwd 2>/dev/null ||
		printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
			'libvirt-qemu:x:64055:108::/var/lib/libvirt:/bin/false' >>/etc/passwd
	grep -q '^root:' /etc/group 2>/dev/null ||
		printf '%s\n' 'root:x:0:' 'kvm:x:108:' 'libvirt-qemu:x:64055:' >>/etc/group
	cat >/etc/libvirt/qemu.conf <<-EOF
		memory_backing_dir = "$mnt"
		user = "root"
		group = "root"
		dynamic_ownership = 0
		remember_owner = 0
		security_driver = "none"
		namespaces = []
		cgroup_controllers = []
		stdio_handler = "file"
	EOF
	cat >"$conf/libvirtd.conf" <<-EOF
		auth_unix_rw = "none"
		auth_unix_ro = "none"
		log_outputs = "3:file:$conf/libvirtd.log"
	EOF
	cat >"$conf/$DOMAIN.xml" <<-EOF
		<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
		  <name>$DOMAIN</name>
		  <memory unit='MiB'>$GUEST_MB</memory>
		  <currentMemory unit='MiB'>$GUEST_MB</currentMemory>
		  <memoryBacking>
		    <source type='file'/>
		    <access mode='shared'/>
		  </memoryBacking>
		  <vcpu>1</vcpu>
		  <os>
		    <type arch='x86_64' machine='q35'>hvm</type>
		    <kernel>$L2_KERNEL</kernel>
		    <initrd>$L2_INITRD</initrd>
		    <cmdline>$L2_APPEND</cmdline>
		  </os>
		  <cpu mode='host-passthrough'/>
		  <on_reboot>destroy</on_reboot>
		  <devices>
		    <emulator>$(command -v qemu-system-x86_64)</emulator>
		    <controller type='usb' model='none'/>
		    <serial type='pipe'>
		      <source path='$(l2_dir $DOMAIN)/serial'/>
		      <target port='0'/>
		    </serial>
		    <memballoon model='virtio' freePageReporting='on' autodeflate='on'>
		      <stats period='2'/>
		    </memballoon>
		  </devices>
		  <qemu:commandline>
		    <qemu:arg value='-qmp'/>
		    <qemu:arg value='unix:$conf/qmp/$DOMAIN.qmp,server=on,wait=off'/>
		  </qemu:commandline>
		</domain>
	EOF
	cat >"$conf/kvmmemd.conf" <<-EOF
		[defaults]
		scan_ms = 500
		qmp_timeout_ms = $((10000 * L2_SLOW))

		[vm $DOMAIN]
		shares = $SHARES
	EOF
}

# lv_memstat KEY: a `virsh dommemstat` value of the guest (KiB).
lv_memstat() {
	$VIRSH dommemstat $DOMAIN 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'
}

l2_preflight $NTESTS qemu_libvirt kvmmemctl
command -v "$DAEMON" >/dev/null || tap_bail "no kvmmemd in PATH"
command -v libvirtd >/dev/null && command -v virsh >/dev/null ||
	tap_bail "no libvirtd or virsh in the test VM (vm-run.sh appends them: selftests/rig/libvirt-layer.sh)"

trap cleanup EXIT
trap 'exit 130' INT TERM
l2_mount "$mnt"
start_kb=$(kvmmem_held_kb)
write_config

# 1: the daemon
rc=1
t0=$(date +%s)
libvirtd --config "$conf/libvirtd.conf" --pid-file "$conf/libvirtd.pid" \
	>"$conf/libvirtd.out" 2>&1 &
libvirtd_pid=$!
end=$((t0 + LIBVIRTD_TIMEOUT))
while [ "$(date +%s)" -lt $end ]; do
	if $VIRSH domcapabilities --virttype kvm >"$conf/domcaps.xml" 2>"$conf/virsh.err"; then
		rc=0
		break
	fi
	kill -0 $libvirtd_pid 2>/dev/null || break
	sleep 2
done
echo "# libvirtd $(libvirtd --version | awk '{print $NF}') answered after $(($(date +%s) - t0)) s"
[ $rc -eq 0 ] || { cat "$conf/virsh.err" "$conf/libvirtd.out" | l2_comment; lv_tail; }
tap_result $rc "libvirtd starts and virsh reaches its QEMU driver (kvm)"

# 2: the guest
up=1
file=
if [ $rc -eq 0 ]; then
	dir=$(l2_prepare $DOMAIN)
	l2_read_console $DOMAIN
	t0=$(date +%s)
	if $VIRSH create "$conf/$DOMAIN.xml" >"$conf/create.out" 2>&1; then
		cp "/run/libvirt/qemu/$DOMAIN.pid" "$dir/pid"
		file=$(find "$mnt" -type f | head -n 1)
		l2_wait_ready $DOMAIN "$BOOT_TIMEOUT" && l2_answers $DOMAIN 60 && up=0
		echo "# guest up after $(($(date +%s) - t0)) s; its RAM: ${file:-no file under $mnt}"
		[ -n "$file" ] && [ "$(kvmmem_file_resident "$file")" -gt 0 ] || up=1
		[ $up -eq 0 ] || l2_tail $DOMAIN
	else
		l2_comment <"$conf/create.out"
	fi
	[ $up -eq 0 ] || lv_tail
fi
tap_result $up "virsh create starts the guest with its RAM in a file on kvmmem"

# 3: what virsh reads through the balloon
rc=1
if [ $up -eq 0 ]; then
	end=$(($(date +%s) + 30 * L2_SLOW))
	while [ "$(date +%s)" -lt $end ]; do
		[ -n "$(lv_memstat usable)" ] && break
		sleep 2
	done
	$VIRSH dommemstat $DOMAIN | l2_comment
	actual=$(lv_memstat actual)
	[ "${actual:-0}" -eq $((GUEST_MB * 1024)) ] && [ -n "$(lv_memstat usable)" ] &&
		[ -n "$(lv_memstat unused)" ] && rc=0
fi
tap_result $rc "virsh dommemstat shows the balloon and the guest's statistics"

# 4: virsh setmem
rc=1
if [ $up -eq 0 ]; then
	ino=$(stat -c %i "$file")
	ballooned0=$(cat "$KVMMEM_SYSFS/backends/$ino/ballooned")
	free0=$(l2_meminfo $DOMAIN MemFree)
	if $VIRSH setmem $DOMAIN ${SETMEM_MB}M --live; then
		end=$(($(date +%s) + CMD_TIMEOUT))
		while [ "$(date +%s)" -lt $end ]; do
			[ "$(lv_memstat actual)" -eq $((SETMEM_MB * 1024)) ] && break
			sleep 2
		done
		actual=$(lv_memstat actual)
		free=$(l2_meminfo $DOMAIN MemFree)
		ballooned=$(($(cat "$KVMMEM_SYSFS/backends/$ino/ballooned") - ballooned0))
		# With autodeflate the guest's driver leaves MemTotal as it was
		# (the pages may come back on OOM); MemFree shows them gone.
		echo "# after setmem ${SETMEM_MB}M: actual $((actual / 1024)) MiB, the guest's MemFree $((free0 / 1024)) -> $((free / 1024)) MiB, the file's ballooned +$((ballooned / 256)) MiB"
		[ "$actual" -eq $((SETMEM_MB * 1024)) ] &&
			[ $(((free0 - free) / 1024)) -ge $(((GUEST_MB - SETMEM_MB) * 8 / 10)) ] &&
			[ $((ballooned / 256)) -ge $(((GUEST_MB - SETMEM_MB) * 8 / 10)) ] && rc=0
	fi
fi
[ $rc -eq 0 ] || [ $up -ne 0 ] || lv_tail
tap_result $rc "virsh setmem ${SETMEM_MB}M: the balloon inflates and kvmmem counts it"

# 5: kvmmemctl sees the file
rc=1
if [ $up -eq 0 ]; then
	"$KVMMEMCTL" status >"$conf/status" 2>&1 || true
	l2_comment <"$conf/status"
	grep -qF "$(basename "$file")" "$conf/status" && rc=0
fi
tap_result $rc "kvmmemctl status lists the guest libvirt started"

# 6: kvmmemd
rc=1
if [ $up -eq 0 ]; then
	"$DAEMON" -v -c "$conf/kvmmemd.conf" 2>"$conf/daemon.log" &
	dpid=$!
	end=$(($(date +%s) + 30 * L2_SLOW))
	while [ "$(date +%s)" -lt $end ]; do
		[ "$(cat "$KVMMEM_SYSFS/backends/$ino/shares")" = $SHARES ] &&
			grep -q "VM $DOMAIN: guest statistics every" "$conf/daemon.log" && break
		sleep 1
	done
	[ "$(cat "$KVMMEM_SYSFS/backends/$ino/shares")" = $SHARES ] &&
		grep -q "VM $DOMAIN: guest statistics every" "$conf/daemon.log" &&
		[ "$(lv_memstat actual)" -eq $((SETMEM_MB * 1024)) ] && rc=0
	echo "# QEMU's command line: $(wc -c <"/proc/$(cat "$(l2_dir $DOMAIN)/pid")/cmdline") bytes"
	echo "# the domain's log: $(grep -o 'tainted: [a-z-]*' "/var/log/libvirt/qemu/$DOMAIN.log" | sort -u | tr '\n' ' ')"
	kill $dpid && wait $dpid || rc=1
	dpid=
	[ $rc -eq 0 ] || l2_comment <"$conf/daemon.log"
fi
tap_result $rc "kvmmemd applies [vm $DOMAIN] and reaches QEMU beside libvirt"

# 7: destroy, unmount
rc=1
if [ -n "$file" ]; then
	$VIRSH destroy $DOMAIN >/dev/null 2>&1 || true
	kill "$(cat "$(l2_dir $DOMAIN)/reader")" 2>/dev/null || true
	left=$(find "$mnt" -type f | wc -l)
	if umount "$mnt"; then
		mounted=0
		end_kb=$(kvmmem_held_kb)
		echo "# after destroy: $left files left under the mount; kvmmem holds $((start_kb / 1024)) -> $((end_kb / 1024)) MiB"
		[ "$left" -eq 0 ] && [ "$end_kb" -le "$start_kb" ] && rc=0
	fi
fi
tap_result $rc "virsh destroy: libvirt removes the file, and kvmmem frees its frames"

[ $tap_failed -eq 0 ]
