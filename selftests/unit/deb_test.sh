#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# deb_test.sh: the Debian packages (debian/), built from a copy of the
# tree with dpkg-buildpackage and checked (native, as root or not):
#
#   1 dpkg-buildpackage -b builds kvmmem-dkms and kvmmem-utils
#   2 lintian finds no error and no warning in them
#   3 kvmmem-dkms holds the module's sources with a dkms.conf of the
#     package's version, and its maintainer scripts call dkms
#   4 kvmmem-utils holds the programs (linked dynamically, hardened),
#     units, man pages, configuration (a conffile) and documentation
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=selftests/kvmmem/tap.sh
. "$top/selftests/kvmmem/tap.sh"
echo "TAP version 13"
echo "1..4"
for tool in dpkg-buildpackage dh lintian dh_dkms; do
	command -v "$tool" >/dev/null ||
		tap_skip_all 4 deb "no $tool (apt-get install dpkg-dev debhelper dh-dkms lintian)"
done
work=$(mktemp -d /tmp/kvmmem-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
# the tree as committed plus what is not yet: every file but build output
(cd "$top" && find . -path ./build -prune -o -path ./.git -prune -o \
	-path '*/build' -prune -o -type f -print | cpio -pdm --quiet "$work/src")
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)

rc=0
(cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || rc=1
dkms_deb=$work/kvmmem-dkms_${version}_all.deb
utils_deb=$(find "$work" -maxdepth 1 -name "kvmmem-utils_${version}_*.deb" | head -n 1)
[ -f "$dkms_deb" ] && [ -f "$utils_deb" ] || rc=1
[ $rc -eq 0 ] || tail -n 30 "$work/build.log" | sed 's/^/# /'
tap_result $rc "dpkg-buildpackage -b builds kvmmem-dkms and kvmmem-utils"

rc=0
lintian --tag-display-limit 0 "$work"/kvmmem_"${version}"_*.changes >"$work/lintian.log" 2>&1
grep -q '^[EW]: ' "$work/lintian.log" && rc=1
sed 's/^/# /' "$work/lintian.log" | grep -v 'root privileges'
tap_result $rc "lintian: no error, no warning"

rc=0
mkdir "$work/dkms" "$work/utils"
dpkg-deb -x "$dkms_deb" "$work/dkms" && dpkg-deb -e "$dkms_deb" "$work/dkms/DEBIAN" || rc=1
src=$work/dkms/usr/src/kvmmem-$version
grep -q "^PACKAGE_VERSION=\"$version\"\$" "$src/dkms.conf" || { echo "# no PACKAGE_VERSION=$version in dkms.conf"; rc=1; }
for o in $(sed -n 's/\\$//; s/^kvmmem-y :=//; s/^[[:space:]]*//; /^module\//p' "$top/Kbuild" | tr ' ' '\n' | grep '\.o$'); do
	[ -f "$src/${o%.o}.c" ] || { echo "# kvmmem-dkms lacks ${o%.o}.c"; rc=1; }
done
grep -q 'dkms' "$work/dkms/DEBIAN/postinst" && grep -q 'dkms' "$work/dkms/DEBIAN/prerm" || rc=1
tap_result $rc "kvmmem-dkms: every source, dkms.conf at $version, dkms in postinst and prerm"

rc=0
dpkg-deb -x "$utils_deb" "$work/utils" && dpkg-deb -e "$utils_deb" "$work/utils/DEBIAN" || rc=1
for f in usr/bin/kvmmemctl usr/sbin/kvmmemd lib/systemd/system/kvmmemd.service \
	 lib/systemd/system/run-kvmmem.mount usr/lib/modules-load.d/kvmmem.conf \
	 etc/kvmmem/kvmmemd.conf usr/share/man/man8/kvmmemd.8.gz \
	 usr/share/man/man8/kvmmemctl.8.gz usr/share/man/man5/kvmmemd.conf.5.gz \
	 usr/share/doc/kvmmem/kvmmemd.rst; do
	[ -f "$work/utils/$f" ] || { echo "# kvmmem-utils lacks $f"; rc=1; }
done
grep -qx /etc/kvmmem/kvmmemd.conf "$work/utils/DEBIAN/conffiles" || { echo "# kvmmemd.conf is no conffile"; rc=1; }
file "$work/utils/usr/sbin/kvmmemd" | grep -q 'dynamically linked' || { echo "# kvmmemd is not linked dynamically"; rc=1; }
"$work/utils/usr/bin/kvmmemctl" --help >/dev/null || rc=1
tap_result $rc "kvmmem-utils: programs, units, man pages, a conffile, docs"
exit $((tap_failed > 0))
