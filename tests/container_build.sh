#!/bin/sh
# Build the Dockerfile's image with podman and use it: the help, a small
# sharded corpus written to a mounted folder, checked by the image itself.
# Skips (exit 0, saying why) where podman is missing or cannot build on
# this machine (no user namespaces, no storage driver, no registry for the
# base image): not every CI host can run containers. Usage: tests/container_build.sh
set -eu
cd "$(dirname "$0")/.."
if ! command -v podman >/dev/null 2>&1; then
    echo "SKIP container build: podman is not installed (sudo apt-get install podman)"
    exit 0
fi
if ! podman info >/dev/null 2>&1; then
    echo "SKIP container build: podman cannot run here: $(podman info 2>&1 | tail -1)"
    exit 0
fi
if ! podman image exists debian:12-slim && ! podman pull -q debian:12-slim >/dev/null 2>&1; then
    echo "SKIP container build: the base image debian:12-slim cannot be pulled here (no registry)"
    exit 0
fi
tag=smsslab-test:$(cat VERSION)
out=$(mktemp -d)
trap 'rm -rf "$out"; podman rmi -f "$tag" >/dev/null 2>&1 || true' EXIT
podman build -q -t "$tag" . >/dev/null
podman run --rm "$tag" --version | grep -q '^smsslab '
chmod 777 "$out"
for k in 0 1; do
    podman run --rm -v "$out:/data:Z" "$tag" corpus -n 4 --seed 7 --per-file 2 -o /data/c -q \
        --formats native --shard "$k/2"
done
[ "$(wc -l < "$out/c/manifest.jsonl")" = 4 ] || { echo "container: manifest is not 4 lines" >&2; exit 1; }
rc=0
podman run --rm -v "$out:/data:Z" "$tag" check /data/c/native/part-00000.jsonl >/dev/null || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { echo "container: check gave exit $rc" >&2; exit 1; }
echo "container build: $tag builds, runs a sharded corpus and checks it"
