#!/bin/sh
# Install a smsslab .deb with dpkg into a temporary root (a copy of the
# machine's dpkg database, so its Depends are checked against what is
# installed, while the machine itself is not touched; the shared libraries
# come from the machine) and use what it installed: the binary on a
# packaged scenario, the man page, the bash completion.
# Usage: tests/deb_smoke.sh build/deb/smsslab_VERSION_ARCH.deb
set -eu
deb=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
# The copied database lists no files of other packages: dpkg warns about
# each, so its output is shown only when it fails.
if ! dpkg --root="$root" --force-not-root --force-script-chrootless --log=/dev/null \
    -i "$deb" >"$root/dpkg.log" 2>&1; then
    grep -v 'files list file for package' "$root/dpkg.log" >&2
    exit 1
fi
dpkg --root="$root" -s smsslab | grep -q '^Status: install ok installed'
bin=$root/usr/bin/smsslab
"$bin" --version | grep -q '^smsslab '
"$bin" check "$root/usr/share/smsslab/scenarios/default.yaml" | grep -q '^no findings'
rc=0
"$bin" check "$root/usr/share/smsslab/scenarios/anomaly-smss-wrong-parent.yaml" >/dev/null || rc=$?
[ "$rc" = 1 ] || { echo "deb smoke: the anomaly scenario gave exit $rc, not 1" >&2; exit 1; }
man -l "$root/usr/share/man/man1/smsslab.1" 2>/dev/null | grep -q 'smsslab check' ||
    { echo "deb smoke: the man page lacks 'smsslab check'" >&2; exit 1; }
words=$(bash -c ". '$root/usr/share/bash-completion/completions/smsslab'
    COMP_WORDS=(smsslab ch); COMP_CWORD=1; _smsslab; echo \${COMPREPLY[*]}")
[ "$words" = check ] || { echo "deb smoke: completing 'ch' gave '$words'" >&2; exit 1; }
dpkg --root="$root" --force-not-root --force-script-chrootless --log=/dev/null -r smsslab \
    >"$root/dpkg.log" 2>&1 || { grep -v 'files list file' "$root/dpkg.log" >&2; exit 1; }
[ ! -e "$bin" ] || { echo "deb smoke: dpkg -r left the binary" >&2; exit 1; }
echo "deb smoke: $deb installs (dependencies met), runs and removes cleanly"
