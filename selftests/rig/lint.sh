#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh: `make lint`.  Runs the kernel's checkpatch.pl --strict over the
# module's sources and its uapi header, and fails on any ERROR, WARNING or
# CHECK.  Userspace is C too, but not kernel code: checkpatch does not
# apply to it.
#
# checkpatch.pl comes from Debian's linux-source-6.1 (installed on demand)
# and is unpacked once into $KVMMEM_CACHE/checkpatch/<version>/: the
# tarball is 130 MB of xz, too slow to read on every run.
# shellcheck disable=SC2317 # functions run through rig_with_lock look unreachable
set -euo pipefail

# shellcheck source=selftests/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOURCE_PKG=linux-source-6.1
SOURCE_TAR=/usr/src/linux-source-6.1.tar.xz
# checkpatch reads the other two from its own directory.
FILES=(checkpatch.pl spelling.txt const_structs.checkpatch)

ensure_source() {
	[ -f "$SOURCE_TAR" ] && return 0
	rig_log "installing $SOURCE_PKG for checkpatch.pl"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "$SOURCE_PKG"
}

# Unpacks FILES from the tarball into DIR (via a temporary directory, so
# an interrupted run leaves nothing half-written).
unpack_checkpatch() {
	local dir=$1 tmp f members=()
	[ -f "$dir/checkpatch.pl" ] && return 0
	ensure_source
	for f in "${FILES[@]}"; do
		members+=("linux-source-6.1/scripts/$f")
	done
	rig_log "unpacking checkpatch.pl from $SOURCE_TAR"
	tmp=$(mktemp -d "$(dirname "$dir")/tmp.XXXXXX")
	tar -xJf "$SOURCE_TAR" -C "$tmp" --strip-components=2 "${members[@]}"
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

checkpatch_dir() {
	local version
	version=$(dpkg-query -W -f='${Version}' "$SOURCE_PKG" 2>/dev/null || echo none)
	echo "$KVMMEM_CACHE/checkpatch/$version"
}

# The files checked, relative to the repository.
lint_files() {
	(cd "$RIG_REPO" && ls module/*.c module/*.h uapi/linux/*.h 2>/dev/null) || true
}

main() {
	local dir files out rc=0
	ensure_source
	dir=$(checkpatch_dir)
	mkdir -p "$(dirname "$dir")"
	rig_with_lock "$(dirname "$dir")/unpack.lock" unpack_checkpatch "$dir"
	mapfile -t files < <(lint_files)
	[ "${#files[@]}" -gt 0 ] || rig_die "no kernel sources to check"
	out=$(cd "$RIG_REPO" && perl "$dir/checkpatch.pl" --strict --no-tree \
		--show-types --color=never -f "${files[@]}" 2>&1) || rc=$?
	echo "$out"
	# checkpatch's status already reflects the findings; the grep is a
	# second opinion in case a future version stops counting CHECKs.
	if [ "$rc" -ne 0 ] || grep -qE '^(ERROR|WARNING|CHECK):' <<<"$out"; then
		echo "lint: checkpatch found problems in ${#files[@]} files" >&2
		exit 1
	fi
	echo "lint: ${#files[@]} files clean"
}

main "$@"; exit
