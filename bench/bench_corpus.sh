#!/bin/sh
# bench_corpus.sh: smsslab corpus throughput per format on one core and with
# two shards in parallel, and peak memory, for N samples written to OUT (a
# fast disk or tmpfs; default /dev/shm). The figures for N = 1,000,000 are
# extrapolated linearly from N (samples are independent and memory is flat:
# the peak RSS at N and N/10 is printed to show it). Not part of make test.
#   bench/bench_corpus.sh [BIN] [N] [OUT]
set -eu
BIN=${1:-build/release/smsslab}
N=${2:-20000}
OUT=${3:-/dev/shm}/smsslab-bench-corpus.$$
trap 'rm -rf "$OUT" "$OUT.time"' EXIT INT TERM
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian: time)"; exit 2; }

run() { # run LABEL COUNT ARGS... -> prints samples/s, MB/s, peak RSS
    label=$1; count=$2; shift 2
    rm -rf "$OUT"
    /usr/bin/time -f '%e %M' -o "$OUT.time" "$BIN" corpus -q --seed 1 -n "$count" "$@" -o "$OUT" \
        || { echo "$label: failed"; exit 1; }
    set -- $(cat "$OUT.time")
    secs=$1; rss=$2
    last_secs=$secs
    bytes=$(du -sb "$OUT" | cut -f1)
    awk -v l="$label" -v n="$count" -v s="$secs" -v b="$bytes" -v r="$rss" 'BEGIN {
        if (s <= 0) s = 0.01
        printf "%-24s %9.0f samples/s %8.1f MB/s %8.0f MB total  peak %6.1f MB  1M: %6.0f s, %7.0f GB\n",
               l, n / s, b / s / 1e6, b / 1e6, r / 1024, 1e6 * s / n, b / n * 1e6 / 1e9 }'
}

par2() { # two shards in parallel into one folder
    label=$1; shift
    rm -rf "$OUT"
    start=$(date +%s.%N)
    "$BIN" corpus -q --seed 1 "$@" -o "$OUT" --shard 0/2 &
    a=$!
    "$BIN" corpus -q --seed 1 "$@" -o "$OUT" --shard 1/2 &
    b=$!
    wait $a; wait $b
    end=$(date +%s.%N)
    bytes=$(du -sb "$OUT" | cut -f1)
    awk -v l="$label" -v n="$N" -v s="$(echo "$end - $start" | bc)" -v b="$bytes" 'BEGIN {
        printf "%-24s %9.0f samples/s %8.1f MB/s  1M: %6.0f s\n", l, n / s, b / s / 1e6, 1e6 * s / n }'
}

echo "smsslab corpus bench: N=$N into $(dirname "$OUT") ($(nproc) cores)"
for f in native sysmon ecs csv evtx all security-xml security-evtx hive; do
    run "1 core, $f" "$N" --formats "$f"
    eval "secs_$(echo "$f" | tr - _)=\$last_secs"
done
# EVTX and Sysmon XML hold the same events: the time ratio is per event.
awk -v x="$secs_sysmon" -v v="$secs_evtx" 'BEGIN {
    if (x <= 0) x = 0.01
    printf "evtx / sysmon time per event: %.2f (below 1: evtx is faster)\n", v / x }'
# The same for the Security channel's 4688/4689 records.
awk -v x="$secs_security_xml" -v v="$secs_security_evtx" 'BEGIN {
    if (x <= 0) x = 0.01
    printf "security evtx / security xml time per event: %.2f\n", v / x }'
par2 "2 shards, all" -n "$N" --formats all
par2 "2 shards, csv" -n "$N" --formats csv
echo "memory is flat in N (peak RSS):"
run "N/10, all" $((N / 10)) --formats all
