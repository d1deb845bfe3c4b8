#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# install_test.sh: `make install DESTDIR=...` and `make uninstall`
# (native, no root): every file lands where the systemd units and the
# documentation say, the DKMS tree holds every source Kbuild builds, an
# existing configuration is kept, and uninstall leaves nothing it
# installed (a changed configuration stays).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(mktemp -d /tmp/kvmmem-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
n=0
failed=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
echo "TAP version 13"
echo "1..4"

rc=0
make -s -C "$top" install DESTDIR="$dest" VERSION=9.9 >"$dest.log" 2>&1 || rc=1
for f in usr/bin/kvmmemctl usr/sbin/kvmmemd usr/include/linux/kvmmem.h \
	 lib/systemd/system/kvmmemd.service lib/systemd/system/run-kvmmem.mount \
	 usr/lib/modules-load.d/kvmmem.conf etc/kvmmem/kvmmemd.conf \
	 usr/share/doc/kvmmem/kvmmemd.rst usr/src/kvmmem-9.9/dkms.conf; do
	[ -f "$dest/$f" ] || { echo "# missing $f"; rc=1; }
done
[ -x "$dest/usr/sbin/kvmmemd" ] || rc=1
grep -q '^ExecStart=/usr/sbin/kvmmemd ' "$dest/lib/systemd/system/kvmmemd.service" || rc=1
grep -q '^Where=/run/kvmmem$' "$dest/lib/systemd/system/run-kvmmem.mount" || rc=1
[ $rc -eq 0 ] || sed 's/^/# /' "$dest.log"
result $rc "install: programs, header, units, modules-load.d, config, docs"

rc=0
grep -q '^PACKAGE_VERSION="9.9"$' "$dest/usr/src/kvmmem-9.9/dkms.conf" || rc=1
for o in $(sed -n 's/\\$//; s/^kvmmem-y :=//; s/^[[:space:]]*//; /^module\//p' "$top/Kbuild" | tr ' ' '\n' | grep '\.o$'); do
	[ -f "$dest/usr/src/kvmmem-9.9/${o%.o}.c" ] || { echo "# DKMS tree lacks ${o%.o}.c"; rc=1; }
done
[ -f "$dest/usr/src/kvmmem-9.9/Kbuild" ] && [ -f "$dest/usr/src/kvmmem-9.9/uapi/linux/kvmmem.h" ] || rc=1
result $rc "the DKMS tree: dkms.conf with the version, every source Kbuild builds"

rc=0
echo "# mine" >> "$dest/etc/kvmmem/kvmmemd.conf"
make -s -C "$top" install DESTDIR="$dest" VERSION=9.9 >"$dest.log" 2>&1 || rc=1
tail -n 1 "$dest/etc/kvmmem/kvmmemd.conf" | grep -q '^# mine$' || rc=1
result $rc "install again: an existing configuration is kept"

rc=0
make -s -C "$top" uninstall DESTDIR="$dest" VERSION=9.9 >"$dest.log" 2>&1 || rc=1
left=$(find "$dest" -type f | sed "s|^$dest/||")
[ "$left" = "etc/kvmmem/kvmmemd.conf" ] || { echo "# left: $left"; rc=1; }
grep -q 'kept /etc/kvmmem/kvmmemd.conf' "$dest.log" || rc=1
rm -f "$dest.log"
result $rc "uninstall: removes what it installed, keeps a changed configuration"
exit $((failed > 0))
