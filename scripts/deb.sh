#!/bin/sh
# Package an installed tree (make install DESTDIR=ROOT PREFIX=/usr) as a .deb.
# Usage: scripts/deb.sh ROOT VERSION ARCH OUT.deb
set -eu
root=$1 version=$2 arch=$3 out=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps reads a debian/control beside the tree it is given.
mkdir -p "$work/debian" "$root/DEBIAN"
printf 'Source: smsslab\n\nPackage: smsslab\nArchitecture: any\n' > "$work/debian/control"
bin=$(cd "$root" && pwd)/usr/bin/smsslab
depends=$(cd "$work" && dpkg-shlibdeps -O "$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk "$root/usr" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: smsslab
Version: $version
Architecture: $arch
Maintainer: smsslab maintainers <smsslab@localhost>
Installed-Size: $size
Depends: $depends
Recommends: graphviz
Section: utils
Priority: optional
Description: simulate, check and draw how Windows starts its core processes
 smsslab simulates Windows boots deterministically from YAML scenarios,
 checks snapshots or real host logs (EVTX, Sysmon XML, ECS, NXLog,
 Volatility) against a rule base of the normal System -> smss -> csrss,
 wininit and winlogon tree, draws the tree with Graphviz and generates
 labelled corpora for detectors.
CONTROL
mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
echo "wrote $out"
