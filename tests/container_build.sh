#!/bin/sh
# Build the Dockerfile's image with podman and use it: the help, a small
# sharded corpus written by the image's own smsslab as its unprivileged user,
# checked by the image itself.
#
# Machines without a registry or without a working OCI runtime (CI sandboxes
# such as this project's: no registry, crun refused by cgroups and rlimits)
# still build and use the real image:
#   - base image: when debian:12-slim cannot be pulled, it is made from the
#     same release with `debootstrap --variant=minbase bookworm` (only Debian
#     mirrors needed) and imported under that name;
#   - build: when the OCI runtime cannot start, `podman build --isolation
#     chroot` runs the same Dockerfile steps;
#   - run: when `podman run` cannot start, the image's file system is mounted
#     (`podman mount`) and its binary runs there with chroot as the image's
#     USER in its WORKDIR -- the image's files, libraries and user, without
#     the runtime's namespaces.
# Skips (exit 0, saying why) only where podman is missing or none of these
# can work. Usage: tests/container_build.sh
set -eu
cd "$(dirname "$0")/.."
skip() {
    echo "SKIP container build: $*"
    exit 0
}
command -v podman >/dev/null 2>&1 || skip "podman is not installed (apt-get install podman)"
podman info >/dev/null 2>&1 || skip "podman cannot run here: $(podman info 2>&1 | tail -1)"

base=docker.io/library/debian:12-slim
if ! podman image exists "$base" && ! podman pull -q "$base" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null 2>&1 ||
        skip "$base cannot be pulled (no registry) and debootstrap is missing (apt-get install debootstrap)"
    [ "$(id -u)" = 0 ] || skip "$base cannot be pulled and debootstrap needs root"
    rootfs=$(mktemp -d)
    echo "container: $base cannot be pulled; making it with debootstrap --variant=minbase bookworm"
    if ! debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian \
        >"$rootfs.log" 2>&1; then
        tail -3 "$rootfs.log"
        rm -rf "$rootfs" "$rootfs.log"
        skip "no registry, and debootstrap cannot reach a Debian mirror"
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | podman import -q - "$base" >/dev/null
    rm -rf "$rootfs" "$rootfs.log"
fi

tag=localhost/smsslab-test:$(cat VERSION)
out=$(mktemp -d)
ctr=""
cleanup() {
    if [ -n "$ctr" ]; then
        podman umount "$ctr" >/dev/null 2>&1 || true
        podman rm -f "$ctr" >/dev/null 2>&1 || true
    fi
    rm -rf "$out"
    podman rmi -f "$tag" >/dev/null 2>&1 || true
}
trap cleanup EXIT

if podman run --rm "$base" true >/dev/null 2>&1; then
    runtime=oci
    build_log=$(podman build -q -t "$tag" . 2>&1) || { echo "$build_log" | tail -20 >&2; exit 1; }
else
    runtime=chroot
    echo "container: the OCI runtime cannot start here ($(podman run --rm "$base" true 2>&1 |
        tail -1)); building with --isolation chroot and running in the mounted image"
    build_log=$(podman build -q --isolation chroot -t "$tag" . 2>&1) ||
        { echo "$build_log" | tail -20 >&2; exit 1; }
fi

# img ARGS...: the image's entry point with ARGS, /data being $out.
if [ "$runtime" = oci ]; then
    chmod 777 "$out"
    img() { podman run --rm -v "$out:/data:Z" "$tag" "$@"; }
    data=$out
else
    ctr=$(podman create "$tag")
    root=$(podman mount "$ctr")
    user=$(podman image inspect -f '{{.Config.User}}' "$tag")
    workdir=$(podman image inspect -f '{{.Config.WorkingDir}}' "$tag")
    entry=$(podman image inspect -f '{{index .Config.Entrypoint 0}}' "$tag")
    [ "$workdir" = /data ] || { echo "container: WORKDIR is '$workdir', not /data" >&2; exit 1; }
    img() {
        chroot --userspec="$user:$user" "$root" /bin/sh -c 'cd "$0" && exec "$@"' \
            "$workdir" "$entry" "$@"
    }
    data=$root/data
fi

img --version | grep -q '^smsslab ' || { echo "container: --version failed" >&2; exit 1; }
img --help | grep -q 'usage: smsslab' || { echo "container: --help failed" >&2; exit 1; }
[ "$(podman image inspect -f '{{.Config.User}}' "$tag")" = smsslab ] ||
    { echo "container: the image does not run as its smsslab user" >&2; exit 1; }
for k in 0 1; do
    img corpus -n 4 --seed 7 --per-file 2 -o /data/c -q --formats native --shard "$k/2"
done
[ "$(cat "$data"/c/manifest/*.jsonl | wc -l)" = 4 ] ||
    { echo "container: the two shards' manifests do not hold 4 samples" >&2; exit 1; }
[ "$(find "$data/c" -user 0 | wc -l)" = 0 ] ||
    { echo "container: files written as root, not as the image's user" >&2; exit 1; }
rc=0
for f in "$data"/c/native/*; do
    img check "/data/c/native/$(basename "$f")" >/dev/null || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 1 ] || { echo "container: check gave exit $rc" >&2; exit 1; }
done
echo "container build: $tag builds ($runtime), runs a sharded corpus as its user and checks it"
