#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# install_test.sh: `make install DESTDIR=...` and `make uninstall`
# (native, no root): every file lands where the systemd units and the
# documentation say, the DKMS tree holds every source Kbuild builds, an
# existing configuration is kept, uninstall leaves nothing it installed
# (a changed configuration stays), and the man pages are well formed
# and name every key of kvmmemd.conf.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(mktemp -d /tmp/kvmmem-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
# shellcheck source=selftests/kvmmem/tap.sh
. "$top/selftests/kvmmem/tap.sh"
echo "TAP version 13"
echo "1..5"

rc=0
make -s -C "$top" install DESTDIR="$dest" VERSION=9.9 >"$dest.log" 2>&1 || rc=1
for f in usr/bin/kvmmemctl usr/sbin/kvmmemd usr/include/linux/kvmmem.h \
	 lib/systemd/system/kvmmemd.service lib/systemd/system/run-kvmmem.mount \
	 usr/lib/modules-load.d/kvmmem.conf etc/kvmmem/kvmmemd.conf \
	 usr/share/doc/kvmmem/kvmmemd.rst usr/src/kvmmem-9.9/dkms.conf \
	 usr/share/man/man8/kvmmemd.8 usr/share/man/man8/kvmmemctl.8 \
	 usr/share/man/man5/kvmmemd.conf.5; do
	[ -f "$dest/$f" ] || { echo "# missing $f"; rc=1; }
done
[ -x "$dest/usr/sbin/kvmmemd" ] || rc=1
grep -q '^ExecStart=/usr/sbin/kvmmemd ' "$dest/lib/systemd/system/kvmmemd.service" || rc=1
grep -q '^Where=/run/kvmmem$' "$dest/lib/systemd/system/run-kvmmem.mount" || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$dest.log"
tap_result $rc "install: programs, header, units, modules-load.d, config, man pages, docs"

rc=0
grep -q '^PACKAGE_VERSION="9.9"$' "$dest/usr/src/kvmmem-9.9/dkms.conf" || rc=1
for o in $(sed -n 's/\\$//; s/^kvmmem-y :=//; s/^[[:space:]]*//; /^module\//p' "$top/Kbuild" | tr ' ' '\n' | grep '\.o$'); do
	[ -f "$dest/usr/src/kvmmem-9.9/${o%.o}.c" ] || { echo "# DKMS tree lacks ${o%.o}.c"; rc=1; }
done
[ -f "$dest/usr/src/kvmmem-9.9/Kbuild" ] && [ -f "$dest/usr/src/kvmmem-9.9/uapi/linux/kvmmem.h" ] || rc=1
tap_result $rc "the DKMS tree: dkms.conf with the version, every source Kbuild builds"

rc=0
echo "# mine" >> "$dest/etc/kvmmem/kvmmemd.conf"
make -s -C "$top" install DESTDIR="$dest" VERSION=9.9 >"$dest.log" 2>&1 || rc=1
tail -n 1 "$dest/etc/kvmmem/kvmmemd.conf" | grep -q '^# mine$' || rc=1
tap_result $rc "install again: an existing configuration is kept"

# every key config.c names in its "unknown key" messages
rc=0
for page in "$top"/packaging/man/*.[58]; do
	if command -v groff >/dev/null; then
		w=$(groff -man -ww -z "$page" 2>&1)
		[ -z "$w" ] || { echo "# $page: $w"; rc=1; }
	fi
done
keys=$(sed -n "s/.*unknown key '%s' in \[[a-z %]*\] (\(.*\))\",*\$/\1/p" "$top/userspace/config.c" | tr -d ' ' | tr ',' '\n')
[ "$(echo "$keys" | wc -l)" -ge 10 ] || { echo "# keys not found in config.c: $keys"; rc=1; }
for k in $keys; do
	grep -q "^\.BI* \"$k = " "$top/packaging/man/kvmmemd.conf.5" || { echo "# kvmmemd.conf.5 lacks $k"; rc=1; }
done
tap_result $rc "man pages: groff -ww finds nothing; kvmmemd.conf(5) names every key"

rc=0
make -s -C "$top" uninstall DESTDIR="$dest" VERSION=9.9 >"$dest.log" 2>&1 || rc=1
left=$(find "$dest" -type f | sed "s|^$dest/||")
[ "$left" = "etc/kvmmem/kvmmemd.conf" ] || { echo "# left: $left"; rc=1; }
grep -q 'kept /etc/kvmmem/kvmmemd.conf' "$dest.log" || rc=1
rm -f "$dest.log"
tap_result $rc "uninstall: removes what it installed, keeps a changed configuration"
exit $((tap_failed > 0))
