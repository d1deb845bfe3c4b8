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
#   $KVMMEM_CACHE/<kver>/image.deb           the linux-image package
#   $KVMMEM_CACHE/<kver>/root/               its contents (dpkg -x), with
#                                            modules.dep made by depmod
#   $KVMMEM_CACHE/<kver>/root.version        package version of root/
#   $KVMMEM_CACHE/<kver>/base-<hash>.cpio    base initramfs (initramfs.sh)
#   $KVMMEM_CACHE/checkpatch/                checkpatch.pl (lint.sh)
#
# Build products of the work tree go to $RIG_REPO/build/<kver>/.

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

# kver_for SERIES: the release of the installed headers of SERIES (6.1 or
# 6.12), e.g. 6.1.0-56-amd64.  The ABI number in it moves with Debian's
# security updates, so it is read from /usr/src instead of written down;
# if two ABIs are installed side by side, the newest wins.
kver_for() {
	local series=$1 dir best=
	case $series in
	6.1 | 6.12) ;;
	*) rig_die "unknown kernel series '$series' (want 6.1 or 6.12)" ;;
	esac
	# "6.1.*" cannot match 6.12's headers: the character after "6.1" must be ".".
	for dir in /usr/src/linux-headers-"$series".*-amd64; do
		[ -f "$dir/Makefile" ] || continue
		best=$(printf '%s\n%s\n' "$best" "${dir#/usr/src/linux-headers-}" |
			sed '/^$/d' | sort -V | tail -n 1)
	done
	[ -n "$best" ] || rig_die "no linux-headers for $series in /usr/src (run selftests/rig/deps.sh)"
	echo "$best"
}

rig_headers_dir() {
	echo "/usr/src/linux-headers-$1"
}

# The image package must be the very build the headers describe, so its
# version is taken from the installed headers package.
rig_headers_version() {
	dpkg-query -W -f='${Version}' "linux-headers-$1" 2>/dev/null ||
		rig_die "linux-headers-$1 is not installed as a package"
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
	tmp=$(mktemp -d "$dir/download.XXXXXX")
	# Sandbox user root: _apt may not write into root's home.
	if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root \
		"$pkg=$version" >&2); then
		rm -rf "$tmp"
		rig_die "apt-get download $pkg=$version failed"
	fi
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
	version=$(rig_headers_version "$kver")
	dir=$(rig_kver_cache "$kver")
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
