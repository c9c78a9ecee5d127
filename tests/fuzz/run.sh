#!/bin/sh
# Build every smsslab fuzz target with clang (libFuzzer + ASan + UBSan, the
# project sources compiled afresh, never the gcc-built archive) into
# build/fuzz, then run each for SECONDS, two at a time (the machines have two
# cores). The corpus grows in tests/fuzz/corpus-NAME/ across runs (gitignored);
# crashes land in tests/fuzz/crashes-NAME/ (gitignored) and are copied to
# tests/fuzz/regress/NAME/, which tests/test_fuzz_regress.c replays under
# `make test`. Exit 1 when any target crashed.
#
# Usage: tests/fuzz/run.sh SECONDS [TARGET...]     (default: every target)
#        tests/fuzz/run.sh build                  (build only)
# Env:   JOBS (parallel targets, default 2), CLANG (default clang-14 or clang)
set -eu

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=build/fuzz
SECS=${1:-60}
[ $# -gt 0 ] && shift
JOBS=${JOBS:-2}
CLANG=${CLANG:-$(command -v clang-14 || command -v clang)}
CLANGXX=${CLANGXX:-$(command -v clang++-14 || command -v clang++)}
ALL="scenario snapshot readers_xml readers_ndjson readers_json readers_csv readers_evtx readers_auto
    readers_stdin readers_hive score"
TARGETS=${*:-$ALL}

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
FCFLAGS="-O1 -g $SAN -fsanitize=fuzzer-no-link"

# The library objects through the project's own Makefile rules (dependency
# tracking included), with clang and instrumentation; CFLAGS comes last there.
# snap/sjson.cpp (simdjson) with clang++ and the same instrumentation; UBSan's
# vptr check needs a C++ link, and the targets link with clang.
make --no-print-directory -s O=$OUT/obj VARIANT=debug CC="$CLANG" CFLAGS="$FCFLAGS" \
    CXX="$CLANGXX" CXXFLAGS="$FCFLAGS -fno-sanitize=vptr" $OUT/obj/libsmsslab.a >&2
LIBS="$(pkg-config --libs yaml-0.1 libcjson libxml-2.0 libevtx hivex simdjson) -lcsv -lstdc++ -lm"
CF="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -O1 -g $SAN -fsanitize=fuzzer"
CF="$CF $(pkg-config --cflags yaml-0.1 libcjson libxml-2.0 libevtx hivex)"

fmt_of() {
    case $1 in
    readers_xml) echo 1 ;; readers_ndjson) echo 2 ;; readers_json) echo 3 ;;
    readers_csv) echo 4 ;; readers_evtx) echo 5 ;; readers_auto) echo 6 ;;
    readers_stdin) echo 7 ;; readers_hive) echo 8 ;;
    esac
}

for t in $TARGETS; do
    case $t in
    scenario | snapshot | score) src=tests/fuzz/fuzz_$t.c def= ;;
    readers_*) src=tests/fuzz/fuzz_readers.c def=-DFUZZ_FMT=$(fmt_of "$t") ;;
    *) echo "run.sh: unknown target '$t' (known: $ALL)" >&2; exit 2 ;;
    esac
    bin=$OUT/fuzz_$t
    if [ ! -x "$bin" ] || [ -n "$(find "$src" tests/fuzz/fuzz_common.h $OUT/obj/libsmsslab.a \
        -newer "$bin" 2>/dev/null)" ]; then
        echo "== build $bin" >&2
        # shellcheck disable=SC2086
        $CLANG $CF $def -o "$bin" "$src" $OUT/obj/libsmsslab.a $LIBS
    fi
done
[ "$SECS" = build ] && exit 0

# Seeds: the project's own fixtures, regenerated on each run so they follow
# the formats. Snapshot seeds are smsslab's own output, events dropped and cut
# to a few snapshots so they fit -max_len.
# Per run, so runs of different targets may overlap.
SEEDS=$OUT/seeds-$$
rm -rf "$SEEDS"
mkdir -p "$SEEDS"
trap 'rm -rf "$SEEDS" "$OUT/.run-start-$$"' EXIT
make --no-print-directory -s O=$OUT/cli all >&2
for t in $ALL; do mkdir -p "$SEEDS/$t"; done
cp scenarios/*.yaml "$SEEDS/scenario/"
for s in default normal-win7 normal-win10-rdp anomaly-ppid-spoof hard-negative-pid-reuse \
    anomaly-smss-lookalike anomaly-knowndlls-changed; do
    f=scenarios/$s.yaml
    [ "$s" = default ] && f=
    # shellcheck disable=SC2086
    $OUT/cli/smsslab run -o "$SEEDS/$s.run.json" $f
done
python3 - "$SEEDS" <<'EOF'
import json, pathlib, sys
seeds = pathlib.Path(sys.argv[1])
for f in sorted(seeds.glob("*.run.json")):
    d = json.loads(f.read_text())
    d["events"] = d["events"][:20]
    d["snapshots"] = d["snapshots"][-1:]
    (seeds / "snapshot" / f.name).write_text(json.dumps(d, separators=(",", ":")) + "\n")
    snap = dict(d["snapshots"][0])
    snap["schema"] = "smsslab.snapshot/1"
    for k in ("host", "os", "boot_time", "fields", "sessions", "labels", "source"):
        if k in d:
            snap[k] = d[k]
    (seeds / "snapshot" / (f.stem + ".snap.json")).write_text(json.dumps(snap) + "\n")
    f.unlink()
EOF
cp tests/fixtures/real-like/native.json "$SEEDS/snapshot/"
RL=tests/fixtures/real-like
cp $RL/*.xml "$SEEDS/readers_xml/"
cp $RL/*.jsonl $RL/*.ndjson "$SEEDS/readers_ndjson/"
cp $RL/*.json "$SEEDS/readers_json/"
cp $RL/*.csv "$SEEDS/readers_csv/"
cp $RL/*.evtx "$SEEDS/readers_evtx/"
find ../shared/real -name '*.evtx' -size -2M -exec cp {} "$SEEDS/readers_evtx/" \; 2>/dev/null || true
# Known hostile inputs, kept as patches of those public logs (never copies).
for p in tests/fuzz/known/*.patch.json; do
    n=$(basename "$p" .patch.json)
    python3 tests/fuzz/known/patches.py build "$n" ../shared/real "$SEEDS/readers_evtx/$n.evtx" || true
done
cp $RL/* "$SEEDS/readers_auto/"
cp $RL/* "$SEEDS/readers_stdin/"
# Score seeds: byte 0 even = detection lines (the checker's own alerts on the
# corpus fuzz_score generates, and the documented forms); odd = a manifest.
$OUT/cli/smsslab corpus -n 6 --seed 7 --anomaly-rate 1 --per-file 3 -q -o "$SEEDS/c"
$OUT/cli/smsslab check --format json "$SEEDS"/c/native/*.jsonl >"$SEEDS/c/alerts.jsonl" || true
{ printf 'D'; head -c 12000 "$SEEDS/c/alerts.jsonl"; } >"$SEEDS/score/checker.jsonl"
{ printf 'D'; sed -n '/^```json$/,/^```$/p' docs/corpus.md | grep '^{"sample"'; } >"$SEEDS/score/doc.jsonl"
{ printf 'M'; head -c 12000 "$SEEDS/c/manifest.jsonl"; } >"$SEEDS/score/manifest.jsonl"
rm -rf "$SEEDS/c"
# Hive seeds: SYSTEM and SOFTWARE hives of a few samples, clean and planted.
$OUT/cli/smsslab corpus -n 4 --seed 5 --anomaly-rate 1 --anomalies \
    winlogon-shell,ifeo-debugger,bootexecute-extra,wdigest-enabled --formats hive -q -o "$SEEDS/h"
for d in "$SEEDS"/h/hive/part-*/sample-*; do
    cp "$d/SYSTEM" "$SEEDS/readers_hive/$(basename "$d")-SYSTEM"
    cp "$d/SOFTWARE" "$SEEDS/readers_hive/$(basename "$d")-SOFTWARE"
done
cp "$SEEDS"/readers_hive/sample-000000000-* "$SEEDS/readers_auto/" # detection by regf
rm -rf "$SEEDS/h"
for t in $ALL; do
    [ -d tests/fuzz/regress/$t ] && cp tests/fuzz/regress/$t/* "$SEEDS/$t/" 2>/dev/null || true
done

run_one() {
    t=$1
    case $t in
    scenario) max=16384 dict=tests/fuzz/dict/scenario.dict ;;
    snapshot) max=65536 dict=tests/fuzz/dict/snapshot.dict ;;
    readers_xml) max=32768 dict=tests/fuzz/dict/xml.dict ;;
    readers_evtx) max=262144 dict= ;;
    readers_hive) max=65536 dict= ;;
    readers_auto | readers_stdin) max=32768 dict=tests/fuzz/dict/json.dict ;;
    score) max=16384 dict=tests/fuzz/dict/score.dict ;;
    *) max=16384 dict=tests/fuzz/dict/json.dict ;;
    esac
    mkdir -p tests/fuzz/corpus-$t tests/fuzz/crashes-$t
    log=$OUT/log-$t.txt
    echo "== fuzz $t for $SECS s (log $log)" >&2
    set +e
    # shellcheck disable=SC2086
    # A single allocation over 1 GiB returns NULL, as RLIMIT_AS makes it in
    # release builds (readers/rd_evtx.c), instead of stopping the run.
    ASAN_OPTIONS="allocator_may_return_null=1:max_allocation_size_mb=1024${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    LSAN_OPTIONS="suppressions=$ROOT/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    $OUT/fuzz_$t -max_total_time="$SECS" -max_len=$max -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 ${dict:+-dict=$dict} -artifact_prefix=tests/fuzz/crashes-$t/ \
        tests/fuzz/corpus-$t "$SEEDS/$t" >"$log" 2>&1
    rc=$?
    set -e
    stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" |
        sed 's/stat:://' | tr '\n' ' ')
    cov=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
    echo "== $t: exit $rc; $stats$cov" >&2
    if [ $rc -ne 0 ]; then
        { grep -E 'ERROR: |SUMMARY|runtime error' "$log" || tail -3 "$log"; } | head -5 >&2
    fi
    return 0
}

# Two at a time; each waits for its own pair.
STAMP=$OUT/.run-start-$$
touch "$STAMP"
set -- $TARGETS
while [ $# -gt 0 ]; do
    pids=
    n=0
    while [ $# -gt 0 ] && [ $n -lt "$JOBS" ]; do
        run_one "$1" &
        pids="$pids $!"
        n=$((n + 1))
        shift
    done
    for p in $pids; do wait "$p"; done
done

# Keep every crash as a regression case.
fail=0
for t in $TARGETS; do
    for c in $(find tests/fuzz/crashes-$t -type f -newer "$STAMP" 2>/dev/null); do
        mkdir -p tests/fuzz/regress/$t
        cp "$c" tests/fuzz/regress/$t/
        echo "run.sh: $t crashed: $c (kept in tests/fuzz/regress/$t/)" >&2
        fail=1
    done
done
exit $fail
