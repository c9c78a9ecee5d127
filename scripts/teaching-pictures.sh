#!/bin/sh
# The pictures of the README's "Teaching" section and of docs/render.md,
# drawn by smsslab itself from a lab it makes and from shipped scenarios --
# never by hand. `make docs-img` runs it; run it again after changing the
# renderer and commit what changed.
#   scripts/teaching-pictures.sh [SMSSLAB [OUTDIR]]
set -eu
BIN=${1:-build/release/smsslab}
OUT=${2:-docs/img}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$OUT"
# The README's lab: ten exercises, two hard negatives each. Exercise 2 is a
# copy of smss.exe started by a user program: what the student gets (no
# findings) and the instructor's solution (the checker's findings in red).
"$BIN" lab -n 10 --seed 7 --hard-negatives 2 -o "$tmp/lab" >/dev/null
"$BIN" render "$tmp/lab/exercise-02/host.json" --no-check -o "$OUT/teach-exercise-02.png"
"$BIN" render "$tmp/lab/exercise-02/host.json" -o "$OUT/teach-exercise-02-key.png"
# Classroom defaults: a terminal server with three RDP sessions in 1920 px,
# and the registry panel with a planted KnownDLLs value.
"$BIN" render tests/fixtures/render/rdp-host-3-sessions.yaml -o "$OUT/teach-rdp-host.png"
"$BIN" render scenarios/anomaly-knowndlls-changed.yaml --registry -o "$OUT/teach-registry.png"
# The README's first picture.
"$BIN" render scenarios/anomaly-smss-wrong-parent.yaml -o "$OUT/anomaly-smss-wrong-parent.png"
echo "wrote $OUT/teach-exercise-02.png teach-exercise-02-key.png teach-rdp-host.png" \
    "teach-registry.png anomaly-smss-wrong-parent.png"
