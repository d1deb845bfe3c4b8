#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest-initramfs.sh KVER OUT
#
# Builds the initramfs (uncompressed newc cpio) of the L2 guest that the
# kvmmem tests boot inside the test VM: busybox-static and the virtio
# balloon and block drivers of kernel KVER, with an /init that loads them,
# prints KVMMEM-GUEST-READY on the console and then keeps an interactive
# shell on it, so that a test can drive the guest through its serial port.
#
# The kernel's modules are taken from the tree the rig extracted with
# `dpkg -x` (see lib.sh): ${KVMMEM_CACHE:-~/.cache/kvmmem}/KVER/root, or
# from KVMMEM_GUEST_ROOT if set.  Either must hold lib/modules/<release>/.
# Modules the kernel has built in are skipped; compressed modules are
# decompressed, because busybox insmod reads only plain ELF.
set -eu

# The balloon driver and its stack, in load order.
WANTED="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_balloon virtio_blk"

die() {
	echo "guest-initramfs: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 KVER OUT" >&2
	echo "  KVER  kernel version as the rig names it (its cache directory)" >&2
	echo "  OUT   cpio archive to write" >&2
	echo "  env:  KVMMEM_GUEST_ROOT=DIR  tree holding lib/modules/<release>" >&2
	echo "        KVMMEM_CACHE=DIR       rig cache (default ~/.cache/kvmmem)" >&2
	echo "        BUSYBOX=PATH           static busybox (default /bin/busybox)" >&2
	exit 2
}

# Sets $moddir to the one lib/modules/<release> directory under $1.
find_moddir() {
	set -- "$1"/lib/modules/*/
	[ $# -eq 1 ] && [ -d "$1" ] || die "expected one lib/modules/<release> in $root"
	moddir=${1%/}
}

# Prints the path of module $1 (any compression), or nothing.
module_file() {
	find "$moddir/kernel" -name "$1.ko" -o -name "$1.ko.xz" \
		-o -name "$1.ko.gz" -o -name "$1.ko.zst" | head -n 1
}

is_builtin() {
	[ -f "$moddir/modules.builtin" ] &&
		grep -q "/$1\.ko\$" "$moddir/modules.builtin"
}

# Appends module $1 to $order after the modules it depends on.
add_module() {
	local name file dep
	name=$(echo "$1" | tr - _)
	case " $order " in *" $name "*) return 0 ;; esac
	file=$(module_file "$name")
	if [ -z "$file" ]; then
		is_builtin "$name" || die "$name: neither built in nor in $moddir"
		return 0
	fi
	for dep in $(modinfo -F depends "$file" | tr , ' '); do
		add_module "$dep"
	done
	order="$order $name"
	files="$files $file"
}

# Copies module file $1 to $2, decompressed.
copy_module() {
	case "$1" in
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

install_busybox() {
	local applet
	cp "$busybox" "$stage/bin/busybox"
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
	done
}

install_modules() {
	local n file name
	n=10
	for file in $files; do
		name=$(basename "$file")
		name=${name%%.ko*}
		copy_module "$file" "$stage/lib/modules/$n-$name.ko"
		n=$((n + 1))
	done
}

write_init() {
	cat >"$stage/init" <<'EOF'
#!/bin/sh
# kvmmem L2 test guest: load the balloon driver (not with kvmmem_noballoon
# on the kernel command line: a guest that cannot balloon), announce
# readiness on the console, then serve a shell on it for the test to type
# into.
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /dev/shm /dev/pts
# Tests fill guest memory through this tmpfs; let it take most of RAM.
mount -t tmpfs -o size=90% shm /dev/shm
for m in /lib/modules/*.ko; do
	case "$m" in
	*-virtio_balloon.ko) grep -qw kvmmem_noballoon /proc/cmdline && continue ;;
	esac
	insmod "$m" || echo "kvmmem-guest: insmod $m failed"
done
balloon=absent
for d in /sys/bus/virtio/drivers/virtio_balloon/virtio*; do
	[ -e "$d" ] && balloon=bound
done
echo "kvmmem-guest: $(uname -r), $(awk '/^MemTotal/ {print $2}' /proc/meminfo) kB, balloon $balloon"
echo KVMMEM-GUEST-READY
export HOME=/root PATH=/bin PS1='guest# '
cd /root
while :; do
	setsid cttyhack sh
done
EOF
	chmod 755 "$stage/init"
}

[ $# -eq 2 ] || usage
kver=$1
out=$2
root=${KVMMEM_GUEST_ROOT:-${KVMMEM_CACHE:-$HOME/.cache/kvmmem}/$kver/root}
busybox=${BUSYBOX:-/bin/busybox}

[ -d "$root" ] || die "no extracted kernel tree at $root"
[ -x "$busybox" ] || die "no busybox at $busybox (apt-get install busybox-static)"
command -v modinfo >/dev/null || die "modinfo missing (apt-get install kmod)"
command -v cpio >/dev/null || die "cpio missing (apt-get install cpio)"
find_moddir "$root"

order=
files=
for m in $WANTED; do
	add_module "$m"
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys" \
	"$stage/lib/modules" "$stage/root" "$stage/tmp"
install_busybox
install_modules
write_init

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
echo "guest-initramfs: $out: $(basename "$moddir"), modules:${order:- none}"
