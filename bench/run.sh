#!/bin/sh
# make bench: every benchmark, one after the other, printing its figures.
# Usage: bench/run.sh BUILD_DIR   (a release build: BUILD_DIR/smsslab and BUILD_DIR/bench/*)
# Quote medians of a few runs; timings on these machines vary by about +-30%.
set -eu
B=${1:-build/release}
BIN=$B/smsslab
TMP=$(mktemp -d /tmp/smsslab-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo

echo "== simulator (issue 2): boots per second on one core"
"$B/bench/bench_sim" 20000
echo

echo "== checker (issue 3): records per second, streaming, vs jq -c ."
N=${BENCH_CHECK_BOOTS:-1500}
i=1
while [ $i -le $N ]; do
    "$BIN" run --seed $i
    i=$((i + 1))
done > "$TMP/boots.jsonl"
python3 - "$TMP/boots.jsonl" <<'PY'
import json, sys
n = s = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    for snap in d["snapshots"]:
        s += 1
        n += len(snap["processes"])
print(f"   input: {s} snapshots, {n} process records", file=sys.stderr)
open(sys.argv[1] + ".count", "w").write(f"{s} {n}\n")
PY
read SNAPS RECS < "$TMP/boots.jsonl.count"
SIZE=$(stat -c %s "$TMP/boots.jsonl")
t0=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$TMP/rss" "$BIN" check --format json "$TMP/boots.jsonl" > /dev/null || true
t1=$(date +%s.%N)
t2=$(date +%s.%N)
jq -c . "$TMP/boots.jsonl" > /dev/null
t3=$(date +%s.%N)
python3 - "$t0" "$t1" "$t2" "$t3" "$SNAPS" "$RECS" "$SIZE" "$(cat "$TMP/rss")" <<'PY'
import sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
snaps, recs, size, rss = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
c, j = t1 - t0, t3 - t2
print(f"   smsslab check: {snaps / c:9.0f} snapshots/s  {recs / c:9.0f} records/s  "
      f"{size / c / 1e6:6.0f} MB/s  peak RSS {rss} KB  ({size / 1e6:.0f} MB input)")
print(f"   jq -c .      : {recs / j:9.0f} records/s  {size / j / 1e6:6.0f} MB/s  "
      f"(check is {j / c:.1f}x jq)")
PY
# Memory must not grow with the number of documents: the same check on a third of the input.
head -n $((N / 3)) "$TMP/boots.jsonl" > "$TMP/third.jsonl"
/usr/bin/time -f "%M" -o "$TMP/rss3" "$BIN" check --format json "$TMP/third.jsonl" > /dev/null || true
echo "   peak RSS on a third of the input: $(cat "$TMP/rss3") KB (streaming: about the same)"
echo

for b in bench_render bench_readers; do
    if [ -x "$B/bench/$b" ]; then
        echo "== $b"
        "$B/bench/$b"
        echo
    fi
done
if [ -x bench/bench_corpus.sh ]; then
    echo "== corpus"
    bench/bench_corpus.sh "$BIN" "${BENCH_CORPUS_N:-10000}" /dev/shm
fi
