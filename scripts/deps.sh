#!/bin/sh
# Install the Debian packages smsslab needs, only those that are missing.
# As root it runs apt-get; otherwise it uses sudo when that works without a
# password, and else prints the exact command and stops (exit 2).
# `check` installs nothing: it names what `build` needs and is missing.
# Usage: scripts/deps.sh [build|check|test|fuzz|bench|deb|container]   (default: build)
set -eu

need="pkg-config gcc g++ make libyaml-dev libsimdjson-dev libcjson-dev libxml2-dev libevtx-dev libbfio-dev libcsv-dev libhivex-dev graphviz"
case "${1:-build}" in
    build) ;;
    check) need=$(echo "$need" | sed 's/ graphviz//') ;; # what compiling needs
    test) need="$need libcmocka-dev python3 python3-jsonschema clang libclang-rt-14-dev libevtx-utils python3-evtx libhivex-bin libwin-hivex-perl libregf-utils chromium" ;;
    fuzz) need="$need libcmocka-dev clang libclang-rt-14-dev" ;;
    bench) need="$need jq time libevtx-utils" ;;
    deb) need="$need dpkg-dev" ;;
    container) need="podman debootstrap" ;; # tests/container_build.sh
    *) echo "usage: $0 [build|check|test|fuzz|bench|deb|container]" >&2; exit 2 ;;
esac

missing=""
for p in $need; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "${1:-build}" = check ]; then
    command -v dpkg-query >/dev/null 2>&1 || exit 0 # not Debian: let the compiler speak
    echo "smsslab: missing Debian packages:$missing" >&2
    echo "    run 'make deps' (it installs them as root or with password-less sudo), or:" >&2
    echo "    sudo apt-get install -y$missing" >&2
    exit 2
fi

echo "smsslab: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "smsslab: cannot install packages (not root, no password-less sudo). Run:" >&2
    echo "    sudo apt-get install -y$missing" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have empty package lists: update once if install fails.
if ! $SUDO apt-get install -y --no-install-recommends $missing >&2; then
    $SUDO apt-get update >&2
    $SUDO apt-get install -y --no-install-recommends $missing >&2
fi
