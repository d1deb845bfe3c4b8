# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh: functions shared by the test-rig scripts (sourced, never run).
#
# The rig boots Debian's own kernels under QEMU/TCG because no machine here
# can load a module into the kernel it runs (see ARCHITECTURE.md,
# "Decision 3").  Everything downloaded or derived from a download lives in
# a cache outside the work tree, because CI runs in a fresh clone on the
# same machine and should not fetch 180 MB of kernel images every time:
#
#   $KVMMEM_CACHE/<kver>/headers/            linux-headers-<kver>, its -common
#                                            and linux-kbuild packages (dpkg -x)
#   $KVMMEM_CACHE/<kver>/headers.version     their package version
#   $KVMMEM_CACHE/<kver>/image.deb           the linux-image package
#   $KVMMEM_CACHE/<kver>/root/               its contents (dpkg -x), with
#                                            modules.dep made by depmod
#   $KVMMEM_CACHE/<kver>/root.version        package version of root/
#   $KVMMEM_CACHE/<kver>/base-<hash>.cpio    base initramfs (initramfs.sh)
#   $KVMMEM_CACHE/checkpatch/                checkpatch.pl (lint.sh)
#   $KVMMEM_CACHE/debug/                     the debug kernel (debug-kernel.sh)
#
# Build products of the work tree go to $RIG_REPO/build/<kver>/.
#
# Every rig script ends with 'main "$@"; exit' on one line: bash reads a
# script a line at a time as it runs it, so without the exit on that same
# line, a script edited while it runs would go on to run whatever now
# stands at its old end's offset.

RIG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this one
RIG_DIR=$RIG_REPO/selftests/rig
KVMMEM_CACHE=${KVMMEM_CACHE:-$HOME/.cache/kvmmem}
export KVMMEM_CACHE

rig_log() {
	echo "rig: $*" >&2
}

rig_die() {
	echo "rig: error: $*" >&2
	exit 1
}

# Prints the seconds since the epoch, for wall-time reports.
rig_now() {
	date +%s
}

# Packages of the supported series: the metapackage whose dependency names
# the current ABI, e.g. linux-headers-amd64 -> linux-headers-6.1.0-57-amd64.
rig_series_metapackage() {
	case $1 in
	6.1) echo linux-headers-amd64 ;;
	6.12) echo linux-headers-6.12-amd64 ;;
	*) rig_die "unknown kernel series '$1' (want 6.1, 6.12 or 6.1-debug)" ;;
	esac
}

# rig_apt_depends PKG PREFIX: the first dependency of PKG (apt's candidate)
# whose name starts with PREFIX.
rig_apt_depends() {
	apt-cache depends "$1" 2>/dev/null |
		awk -v pre="$2" '$1 ~ /Depends:$/ && index($2, pre) == 1 { print $2; exit }'
}

# kver_for SERIES: the kernel release the rig tests for SERIES (6.1, 6.12,
# or 6.1-debug, the kernel of `make check-debug`), e.g. 6.1.0-57-amd64.
# The ABI number moves with Debian's security updates, so it is read from
# apt's current metapackage instead of written down; with no apt lists
# (offline), the newest release already in the cache is used.
kver_for() {
	local series=$1 meta kver
	if [ "$series" = 6.1-debug ]; then
		"$RIG_DIR/debug-kernel.sh"
		return
	fi
	meta=$(rig_series_metapackage "$series")
	kver=$(rig_apt_depends "$meta" linux-headers-)
	[ -n "$kver" ] || {
		apt-get update -qq >&2 || true
		kver=$(rig_apt_depends "$meta" linux-headers-)
	}
	kver=${kver#linux-headers-}
	if [ -z "$kver" ]; then
		# "6.1.*" cannot match 6.12: the character after "6.1" must be ".".
		kver=$(cd "$KVMMEM_CACHE" 2>/dev/null && ls -d "$series".*-amd64 2>/dev/null |
			sort -V | tail -n 1)
	fi
	[ -n "$kver" ] || rig_die "apt knows no $meta, and the cache has no $series headers"
	echo "$kver"
}

# rig_is_debug KVER: KVER is the kernel debug-kernel.sh builds.
rig_is_debug() {
	case $1 in *-kvmmem-debug) return 0 ;; esac
	return 1
}

# rig_headers_dir KVER: the tree to build kvmmem.ko against, fetched on
# first use.  For Debian's kernels that is the headers package unpacked into
# the cache (apt-get download + dpkg -x, with its -common and linux-kbuild
# packages), never installed: 6.12's headers package depends on its image
# package, and installing that would put a kernel into the host's /boot.
rig_headers_dir() {
	local kver=$1 dir
	if rig_is_debug "$kver"; then
		echo "$KVMMEM_CACHE/debug/obj"
		return
	fi
	dir=$(rig_kver_cache "$kver")
	if [ ! -f "$dir/headers/usr/src/linux-headers-$kver/Makefile" ] ||
		[ "$(cat "$dir/headers.version" 2>/dev/null)" != "$(rig_headers_version "$kver")" ]; then
		rig_with_lock "$dir/headers.lock" rig_headers_fetch "$kver" "$dir"
	fi
	echo "$dir/headers/usr/src/linux-headers-$kver"
}

# The version of the headers of KVER the rig uses: apt's candidate, or,
# offline, the one already unpacked.  The image must be this very build.
rig_headers_version() {
	local kver=$1 version
	version=$(apt-cache show --no-all-versions "linux-headers-$kver" 2>/dev/null |
		awk '/^Version:/ { print $2; exit }')
	[ -n "$version" ] || version=$(cat "$(rig_kver_cache "$kver")/headers.version" 2>/dev/null) ||
		rig_die "apt knows no linux-headers-$kver, and the cache has none"
	echo "$version"
}

# rig_download DIR PKG=VERSION...: apt-get download into DIR.
rig_download() {
	local dir=$1
	shift
	# Sandbox user root: _apt may not write into root's home.
	(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$@" >&2) ||
		rig_die "apt-get download $* failed"
}

# rig_headers_fetch KVER DIR: unpacks linux-headers-KVER, the -common
# package it includes and its linux-kbuild into DIR/headers.  The headers'
# Makefile includes the -common tree by its /usr/src path: point it into
# the unpacked copy.
rig_headers_fetch() {
	local kver=$1 dir=$2 version pkgs common kbuild tmp deb
	version=$(rig_headers_version "$kver")
	[ "$(cat "$dir/headers.version" 2>/dev/null)" = "$version" ] &&
		[ -f "$dir/headers/usr/src/linux-headers-$kver/Makefile" ] && return 0
	common=$(rig_apt_depends "linux-headers-$kver" "linux-headers-")
	kbuild=$(rig_apt_depends "linux-headers-$kver" "linux-kbuild-")
	[ -n "$common" ] && [ -n "$kbuild" ] ||
		rig_die "cannot tell the -common and kbuild packages of linux-headers-$kver"
	pkgs=("linux-headers-$kver=$version" "$common" "$kbuild")
	rig_log "downloading ${pkgs[*]}"
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/headers-dl.XXXXXX")
	rig_download "$tmp" "${pkgs[@]}"
	mkdir "$tmp/root"
	for deb in "$tmp"/*.deb; do
		dpkg -x "$deb" "$tmp/root"
	done
	sed -i "s|/usr/src/|$dir/headers/usr/src/|" \
		"$tmp/root/usr/src/linux-headers-$kver/Makefile"
	rm -rf "$dir/headers"
	mv "$tmp/root" "$dir/headers"
	rm -rf "$tmp"
	echo "$version" >"$dir/headers.version"
}

# rig_install_packages PKG...: installs those of PKG that dpkg does not
# report as installed (apt's lists are touched only then).
rig_install_packages() {
	local pkg status missing=()
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || missing+=("$pkg")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || rig_die "must run as root to install: ${missing[*]}"
	rig_log "installing ${missing[*]}"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2
}

rig_kver_cache() {
	echo "$KVMMEM_CACHE/$1"
}

# Prints the image package name apt knows for KVER: Debian ships a signed
# linux-image-KVER and an unsigned twin; either has the same vmlinuz and
# modules, and QEMU ignores the signature.
rig_image_pkg() {
	local kver=$1 pkg
	for pkg in "linux-image-$kver" "linux-image-$kver-unsigned"; do
		if apt-cache show --no-all-versions "$pkg" >/dev/null 2>&1; then
			echo "$pkg"
			return 0
		fi
	done
	return 1
}

# apt's package lists may be absent on a fresh machine (or cleaned); one
# update is enough to make apt-cache find the image.
rig_image_pkg_update() {
	rig_image_pkg "$1" && return 0
	rig_log "apt does not know linux-image-$1; running apt-get update"
	apt-get update -qq >&2 || rig_die "apt-get update failed"
	rig_image_pkg "$1" || rig_die "no package linux-image-$1 (or -unsigned) in apt"
}

# rig_download_image KVER VERSION DIR: makes DIR/image.deb the image
# package of KVER at VERSION, downloading it unless it is already there.
rig_download_image() {
	local kver=$1 version=$2 dir=$3 pkg tmp
	if [ -f "$dir/image.deb" ] &&
		[ "$(dpkg-deb -f "$dir/image.deb" Version)" = "$version" ]; then
		return 0
	fi
	pkg=$(rig_image_pkg_update "$kver")
	rig_log "downloading $pkg=$version"
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/download.XXXXXX")
	rig_download "$tmp" "$pkg=$version"
	mv "$tmp"/*.deb "$dir/image.deb"
	rm -rf "$tmp"
}

# Unpacks DEB into DIR/root and runs depmod there: the package carries no
# modules.dep (its postinst makes it), and modprobe --show-depends needs one.
rig_unpack_image() {
	local kver=$1 deb=$2 dir=$3 tmp
	tmp=$dir/root.tmp
	rm -rf "$tmp"
	rig_log "unpacking the image of $kver"
	dpkg -x "$deb" "$tmp"
	# A merged-/usr package would put modules under usr/lib; depmod -b
	# looks under lib/.
	if [ ! -d "$tmp/lib/modules" ] && [ -d "$tmp/usr/lib/modules" ]; then
		ln -s usr/lib "$tmp/lib"
	fi
	[ -f "$tmp/boot/vmlinuz-$kver" ] || rig_die "$deb has no boot/vmlinuz-$kver"
	depmod -b "$tmp" "$kver" || rig_die "depmod failed for $kver"
	rm -rf "$dir/root"
	mv "$tmp" "$dir/root"
}

# rig_with_lock LOCKFILE CMD...: runs CMD in a subshell holding an
# exclusive lock on LOCKFILE.  Several rig runs may share the cache (a
# developer's tree and CI's fresh clone) or a work tree at the same time.
# Each lock file guards one thing; never nest the same one (deadlock).
rig_with_lock() {
	local lock=$1
	shift
	mkdir -p "$(dirname "$lock")"
	(
		flock 8 || rig_die "cannot lock $lock"
		"$@"
	) 8>"$lock"
}

rig_image_fetch() {
	local kver=$1 version=$2 dir=$3
	[ -d "$dir/root" ] && [ "$(cat "$dir/root.version" 2>/dev/null)" = "$version" ] &&
		return 0
	rig_download_image "$kver" "$version" "$dir"
	rig_unpack_image "$kver" "$dir/image.deb" "$dir"
	echo "$version" >"$dir/root.version"
}

# rig_image_root KVER: makes sure the image of KVER is downloaded and
# unpacked, and prints the directory it is unpacked in.  A version change of
# the headers package (same ABI, new upload) unpacks the new image.
rig_image_root() {
	local kver=$1 version dir
	dir=$(rig_kver_cache "$kver")
	if rig_is_debug "$kver"; then
		[ -d "$dir/root" ] || rig_die "no debug kernel $kver (debug-kernel.sh builds it)"
		echo "$dir/root"
		return
	fi
	version=$(rig_headers_version "$kver")
	if ! [ -d "$dir/root" ] || [ "$(cat "$dir/root.version" 2>/dev/null)" != "$version" ]; then
		rig_with_lock "$dir/image.lock" rig_image_fetch "$kver" "$version" "$dir"
	fi
	echo "$dir/root"
}

rig_vmlinuz() {
	echo "$(rig_image_root "$1")/boot/vmlinuz-$1"
}

# rig_mod_order ROOT KVER MODULE...: prints, one a line and in load order,
# the module files (relative to ROOT/lib/modules/KVER) that loading MODULEs
# needs, dependencies first.  modprobe computes this from modules.dep
# exactly as it would at boot; the host's modprobe.d is ignored (-C).
# Built-in modules print nothing.
rig_mod_order() {
	local root=$1 kver=$2 out
	shift 2
	out=$(modprobe -C /dev/null -d "$root" -S "$kver" -a --show-depends "$@") ||
		rig_die "modprobe cannot resolve '$*' in $root"
	awk -v pre="$root/lib/modules/$kver/" '
		$1 == "insmod" && !seen[$2]++ {
			if (index($2, pre) == 1)
				$2 = substr($2, length(pre) + 1)
			print $2
		}
	' <<<"$out"
}

# rig_hash FILE...: a short digest of the named files' contents (missing
# files hash as their name), used to key cached build products.
rig_hash() {
	local f
	for f in "$@"; do
		if [ -f "$f" ]; then
			sha256sum "$f"
		else
			echo "missing $f"
		fi
	done | sha256sum | cut -c1-16
}

# rig_cpio DIR OUT: writes DIR as an uncompressed newc archive owned by
# root.  Uncompressed because the L1 kernel unpacks it under TCG, where
# decompression is slow; the concatenation of such archives is valid too.
rig_cpio() {
	local dir=$1 out=$2
	(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
}

# Lines of a kernel log that report a bug: the kernel's own prefixes.
KERNEL_REPORTS='BUG:|WARNING:|Oops|Kernel panic|general protection fault|'\
'KASAN:|KFENCE:|possible circular locking|possible recursive locking|'\
'inconsistent lock state|suspicious RCU usage|lock held when returning|'\
'sleeping function called from invalid context|Bad page|ODEBUG:|'\
'list_add corruption|list_del corruption|UBSAN:|stack-protector|'\
'VFS: Busy inodes'

# The soft lockup report of an idle CPU ("[swapper/N:0]"): nothing ran
# too long there; the watchdog's timer did not fire because QEMU lost the
# vCPU's timer interrupt (Documentation/testing.rst, "L1 silences"), and
# its first tick after the rig's key press finds the clock far ahead.
RIG_IDLE_LOCKUP='BUG: soft lockup - CPU#[0-9]+ stuck for [0-9]+s! \[swapper/[0-9]+:0\]'

# rig_idle_lockups KLOG CONSOLE: the idle CPUs' soft lockup reports of a
# boot in which the rig woke a lost interrupt (a "rig: lost interrupt"
# line in CONSOLE); they are not bugs.
rig_idle_lockups() {
	grep -aq '^rig: lost interrupt' "$2" 2>/dev/null || return 0
	grep -a -E "$RIG_IDLE_LOCKUP" "$1" || true
}

# rig_l1_tick CONSOLE: the tick L1 ran (periodic or oneshot), from the
# "rig: L1 up" line of vm-run.sh's /init; nothing if the line has none.
# The line may follow the BIOS's last words without a line break.
rig_l1_tick() {
	grep -a -m 1 -o 'rig: L1 up: .*' "$1" 2>/dev/null |
		sed -n 's/.*, tick \(periodic\|oneshot\)$/\1/p'
}

# rig_first_report KLOG CONSOLE: the line number of KLOG's first report
# of a bug, rig_idle_lockups() left out; nothing if there is none.
rig_first_report() {
	local skip='^$'
	grep -aq '^rig: lost interrupt' "$2" 2>/dev/null && skip=$RIG_IDLE_LOCKUP
	grep -a -n -E "$KERNEL_REPORTS" "$1" | grep -a -v -E "$skip" |
		head -n 1 | cut -d: -f1 || true
}
