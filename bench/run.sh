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

# Best-of-3 CPU seconds (user + system) of a command, its output discarded:
# the machines are shared, and wall time would count the others' work.
cpu() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys
best = None
for _ in range(3):
    a = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = b.ru_utime - a.ru_utime + b.ru_stime - a.ru_stime
    best = t if best is None else min(best, t)
print(f"{best:.4f}")
PY
}

# One JSON job against its references, all on the same file in this run:
# the bare parse with cJSON and with simdjson's On-Demand API (bench_json),
# jq -c . and wc -l. Prints the figure and each ratio.
# Usage: json_job LABEL FILE RECORDS UNIT OURS_READ OURS_ALL JSON_MODE
json_job() {
    refs=$("$B/bench/bench_json" "$7" "$2" 3)
    python3 - "$@" "$(cpu jq -c . "$2")" "$(cpu wc -l "$2")" "$refs" "$(cpu cat "$2")" <<'PY'
import os, sys
label, path, recs, unit, read, full, mode, jq, wc, refs, cat = sys.argv[1:12]
recs, read, full, jq, wc, cat = int(recs), float(read), float(full), float(jq), float(wc), float(cat)
r = dict(l.split() for l in refs.splitlines())
cj, sj = float(r["cjson"]), float(r["simdjson"])
mb = os.path.getsize(path) / 1e6
print(f"   {label}: {mb:.0f} MB, {recs} {unit}")
print(f"   smsslab reading  : {recs / read:9.0f} {unit}/s  {mb / read:6.0f} MB/s  "
      f"{read / sj:.2f}x simdjson  {read / (sj + cat):.2f}x simdjson + cat  {read / cj:.2f}x cJSON parse")
if full:
    print(f"   smsslab check    : {recs / full:9.0f} {unit}/s  {mb / full:6.0f} MB/s  "
          f"{full / sj:.2f}x simdjson  {full / (sj + cat):.2f}x simdjson + cat  "
          f"{full / cj:.2f}x cJSON parse  (rules included)")
print(f"   simdjson On-Demand: {recs / sj:9.0f} {unit}/s  {mb / sj:6.0f} MB/s  "
      f"(bare parse, {'every process field' if mode == 'run' else 'every member'})")
print(f"   cJSON parse      : {recs / cj:9.0f} {unit}/s  {mb / cj:6.0f} MB/s  "
      f"({cj / sj:.1f}x simdjson; cJSON_Parse, malloc per node)")
print(f"   cat (read only)  : {recs / cat:9.0f} {unit}/s  {mb / cat:6.0f} MB/s  "
      f"(the file read smsslab pays and the parses above do not: {cat / sj:.2f}x simdjson)")
print(f"   jq -c .          : {recs / jq:9.0f} {unit}/s  {mb / jq:6.0f} MB/s  "
      f"({jq / (full or read):.1f}x the time of smsslab)")
print(f"   wc -l            : {recs / wc:9.0f} {unit}/s  {mb / wc:6.0f} MB/s  "
      f"(smsslab takes {(full or read) / wc:.1f}x its time)")
PY
}

echo "== checker (issue 18): run documents, CPU time, against the parse limits"
N=${BENCH_CHECK_BOOTS:-1500}
i=1
while [ $i -le $N ]; do
    "$BIN" run --seed $i
    i=$((i + 1))
done > "$TMP/boots.jsonl"
RECS=$(python3 -c '
import json, sys
print(sum(len(s["processes"]) for l in open(sys.argv[1]) for s in json.loads(l)["snapshots"]))
' "$TMP/boots.jsonl")
json_job "run documents ($N boots)" "$TMP/boots.jsonl" "$RECS" records \
    "$(cpu "$B/bench/bench_readers" read "$TMP/boots.jsonl" native)" \
    "$(cpu "$BIN" check --format json "$TMP/boots.jsonl")" run
SLOW=$(cpu env SMSSLAB_SIMDJSON=0 "$B/bench/bench_readers" read "$TMP/boots.jsonl" native)
echo "   (the cJSON reader, SMSSLAB_SIMDJSON=0: $(python3 -c "print(f'{$RECS / $SLOW:.0f}')") records/s)"
/usr/bin/time -f "%M" -o "$TMP/rss" "$BIN" check --format json "$TMP/boots.jsonl" > /dev/null || true
# Memory must not grow with the number of documents: the same check on a third of the input.
head -n $((N / 3)) "$TMP/boots.jsonl" > "$TMP/third.jsonl"
/usr/bin/time -f "%M" -o "$TMP/rss3" "$BIN" check --format json "$TMP/third.jsonl" > /dev/null || true
echo "   peak RSS: $(cat "$TMP/rss") KB; on a third of the input $(cat "$TMP/rss3") KB (streaming: about the same)"
echo

REAL=${BENCH_REAL:-../shared/real}
ZIP=$REAL/otrf/empire_persistence_registry_modification_run_keys_standard_user.zip
if [ -r "$ZIP" ]; then
    echo "== NXLog NDJSON reader (issue 18): OTRF's Sysmon lines x5, CPU time"
    unzip -p "$ZIP" | grep -F Microsoft-Windows-Sysmon/Operational | head -20000 > "$TMP/one.jsonl"
    for k in 1 2 3 4 5; do cat "$TMP/one.jsonl"; done > "$TMP/nxlog.jsonl"
    LINES=$(wc -l < "$TMP/nxlog.jsonl")
    json_job "NXLog Sysmon lines" "$TMP/nxlog.jsonl" "$LINES" events \
        "$(cpu "$B/bench/bench_readers" read "$TMP/nxlog.jsonl")" 0 nxlog
    SLOW=$(cpu env SMSSLAB_SIMDJSON=0 "$B/bench/bench_readers" read "$TMP/nxlog.jsonl")
    echo "   (the cJSON reader, SMSSLAB_SIMDJSON=0: $(python3 -c "print(f'{$LINES / $SLOW:.0f}')") events/s)"
    unzip -p "$ZIP" > "$TMP/otrf.jsonl"
    ALL=$(wc -l < "$TMP/otrf.jsonl")
    T=$(cpu "$B/bench/bench_readers" read "$TMP/otrf.jsonl")
    echo "   the whole recording (Sysmon and Security, $ALL lines): $(python3 -c "print(f'{$ALL / $T:.0f}')") lines/s"
    echo
fi

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
