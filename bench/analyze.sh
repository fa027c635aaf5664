#!/usr/bin/env bash
# Benchmark of `vigil analyze` against a parse-only baseline, in the same run.
#
# Builds the release preset, generates >= 200 MB of JSONL by repeating the real measurements
# of data/samples/ (fresh uid, time and country on every line), then reports measurements/s
# and MB/s for: the parse-only baseline (simdjson reading every line, nothing else),
# `vigil analyze --jobs 1`, and `vigil analyze --jobs N` for N = 2..cores.
# Target (issue "Foundation"): jobs 1 reaches >= 40% of the baseline's MB/s; jobs N scales
# close to linearly. Each figure is the best of RUNS runs (default 3).
#
#   bench/analyze.sh [--mb 200] [--runs 3]
set -euo pipefail
cd "$(dirname "$0")/.."
MB=200
RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --mb) MB="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "analyze.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
. bench/build.sh
bench_build vigil parse_baseline gen_measurements
WORK=${BENCH_DIR:-build/bench}
mkdir -p "$WORK"
CORPUS="$WORK/analyze-${MB}mb.jsonl"
if [ ! -s "$CORPUS" ]; then
  "$BUILD/bench/gen_measurements" data/samples/ooni-sample.jsonl "$CORPUS" --mb "$MB"
fi
BYTES=$(stat -c %s "$CORPUS")
LINES=$(wc -l < "$CORPUS")
cat "$CORPUS" > /dev/null  # warm the page cache for every contender alike

best() {  # best wall time in seconds of RUNS runs of "$@" (stdout discarded)
  local best=""
  for _ in $(seq "$RUNS"); do
    local s e t
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

printf 'Corpus: %s (%d measurements, %.1f MB); best of %d runs; %d cores\n\n' \
  "$CORPUS" "$LINES" "$(echo "$BYTES / 1000000" | bc -l)" "$RUNS" "$(nproc)"
printf '%-32s %10s %14s %10s %12s\n' "contender" "seconds" "measurements/s" "MB/s" "vs baseline"
row() {  # name seconds baseline_mbps
  local mbps rate
  mbps=$(echo "$BYTES / 1000000 / $2" | bc -l)
  rate=$(echo "$LINES / $2" | bc -l)
  printf '%-32s %10.3f %14.0f %10.1f %11.0f%%\n' "$1" "$2" "$rate" "$mbps" "$(echo "100 * $mbps / $3" | bc -l)"
}
T_BASE=$(best "$BUILD/bench/parse_baseline" "$CORPUS")
BASE_MBPS=$(echo "$BYTES / 1000000 / $T_BASE" | bc -l)
row "parse-only baseline (simdjson)" "$T_BASE" "$BASE_MBPS"
T1=$(best "$BUILD/apps/vigil/vigil" analyze --jobs 1 "$CORPUS")
row "vigil analyze --jobs 1" "$T1" "$BASE_MBPS"
for n in $(seq 2 "$(nproc)"); do
  TN=$(best "$BUILD/apps/vigil/vigil" analyze --jobs "$n" "$CORPUS")
  row "vigil analyze --jobs $n" "$TN" "$BASE_MBPS"
  printf '%-32s %10s %14s %10s %11.2fx\n' "  speed-up over --jobs 1" "" "" "" "$(echo "$T1 / $TN" | bc -l)"
done
RATIO=$(echo "100 * $T_BASE / $T1" | bc -l)
echo
if [ "$(echo "$RATIO >= 40" | bc -l)" = 1 ]; then
  printf 'Target met: one core reaches %.0f%% of the parse-only MB/s (target >= 40%%).\n' "$RATIO"
else
  printf 'Target NOT met: one core reaches %.0f%% of the parse-only MB/s (target >= 40%%).\n' "$RATIO"
fi
