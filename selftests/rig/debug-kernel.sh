#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh: builds, once, the kernel of `make check-debug` and
# prints its release (e.g. 6.1.192-kvmmem-debug).
#
# Source: Debian's linux-source-6.1, the tree Debian's 6.1 image is built
# from.  Configuration: x86_64_defconfig with debug.config merged over it
# (lockdep, KASAN, KFENCE, DEBUG_VM, DEBUG_LIST, debug objects, plus
# what the rig loads), not Debian's full configuration, so that the build
# fits in about half an hour on two cores.  The result is laid out like
# an unpacked image package, so the rest of the rig treats it as one:
#
#   $KVMMEM_CACHE/debug/src/              the unpacked source
#   $KVMMEM_CACHE/debug/obj/              the build (O=), also the tree
#                                         kvmmem.ko is built against
#   $KVMMEM_CACHE/<release>/root/         boot/vmlinuz-<release>,
#                                         boot/System.map-<release>,
#                                         lib/modules/<release>/
#   $KVMMEM_CACHE/<release>/root.version  source version + config hash
#
# A change of the source package or of debug.config rebuilds; otherwise
# the cached kernel is used as it is.  The build time goes to stderr.
# shellcheck disable=SC2317 # functions run through rig_with_lock look unreachable
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOURCE_PKG=linux-source-6.1
SOURCE_TAR=/usr/src/linux-source-6.1.tar.xz
FRAGMENT=$RIG_DIR/debug.config
DEBUG_DIR=$KVMMEM_CACHE/debug

# The version that names a build: the source package and the fragment.
build_key() {
	echo "$(dpkg-query -W -f='${Version}' "$SOURCE_PKG")-$(rig_hash "$FRAGMENT" "${BASH_SOURCE[0]}")"
}

unpack_source() {
	local version=$1
	[ "$(cat "$DEBUG_DIR/src.version" 2>/dev/null)" = "$version" ] && return 0
	rig_log "unpacking $SOURCE_TAR"
	rm -rf "$DEBUG_DIR/src" "$DEBUG_DIR/src.tmp" "$DEBUG_DIR/obj"
	mkdir -p "$DEBUG_DIR/src.tmp"
	tar -xJf "$SOURCE_TAR" -C "$DEBUG_DIR/src.tmp" --strip-components=1
	mv "$DEBUG_DIR/src.tmp" "$DEBUG_DIR/src"
	echo "$version" >"$DEBUG_DIR/src.version"
}

# defconfig, the fragment merged over it, and a check that every option
# the fragment sets survived olddefconfig (a dependency it lacks would
# drop it silently).
configure() {
	local src=$DEBUG_DIR/src obj=$DEBUG_DIR/obj line missing=0
	mkdir -p "$obj"
	make -s -C "$src" O="$obj" x86_64_defconfig >&2
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$obj" \
		"$obj/.config" "$FRAGMENT" >/dev/null)
	make -s -C "$src" O="$obj" olddefconfig >&2
	while read -r line; do
		case $line in
		CONFIG_*=*) grep -qxF -- "$line" "$obj/.config" ||
			{ rig_log "debug.config: '$line' did not survive olddefconfig"; missing=1; } ;;
		esac
	done <"$FRAGMENT"
	[ "$missing" -eq 0 ] || rig_die "debug.config does not apply to $SOURCE_PKG"
}

# Builds and lays the result out as an unpacked image under the cache.
build() {
	local key=$1 obj=$DEBUG_DIR/obj release root start
	start=$(rig_now)
	configure
	rig_log "building the debug kernel ($(nproc) jobs; about 30 minutes on 2 cores)"
	make -s -C "$DEBUG_DIR/src" O="$obj" -j"$(nproc)" bzImage modules >&2 ||
		rig_die "the debug kernel does not build"
	release=$(make -s -C "$DEBUG_DIR/src" O="$obj" kernelrelease)
	root=$(rig_kver_cache "$release")/root
	rm -rf "$root"
	mkdir -p "$root/boot"
	cp "$obj/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$release"
	cp "$obj/System.map" "$root/boot/System.map-$release"
	make -s -C "$DEBUG_DIR/src" O="$obj" INSTALL_MOD_PATH="$root" \
		modules_install >&2
	echo "$key" >"$(rig_kver_cache "$release")/root.version"
	echo "$release" >"$DEBUG_DIR/release"
	echo "$key" >"$DEBUG_DIR/built.version"
	rig_log "debug kernel $release built in $(($(rig_now) - start)) s"
}

build_once() {
	local key
	key=$(build_key)
	[ "$(cat "$DEBUG_DIR/built.version" 2>/dev/null)" = "$key" ] && return 0
	unpack_source "$(dpkg-query -W -f='${Version}' "$SOURCE_PKG")"
	build "$key"
}

main() {
	rig_install_packages "$SOURCE_PKG" flex bison bc libelf-dev libssl-dev
	mkdir -p "$DEBUG_DIR"
	rig_with_lock "$DEBUG_DIR/build.lock" build_once
	cat "$DEBUG_DIR/release"
}

main "$@"; exit
