#!/usr/bin/env bash
# Benchmark of `vigil import mrt` (visible /24s per AS and country, JSON lines to /dev/null)
# against Debian's `bgpdump -m FILE > /dev/null` on the same files, measured in the same run;
# `vigil bgp dump` (the same text as bgpdump) is shown too.
#
# Inputs: (1) the 12 shared RIPE RIS files (../shared/data/bgp/mrt; small, so every
# contender runs over all of them --repeat times and the best total counts); (2) a large
# file bench/gen_mrt derives from the shared 2002 RIB dump: a TABLE_DUMP_V2 dump seen by
# --peers peers, then --hours of BGP4MP updates (--updates prefix events, session resets,
# a 30-minute outage of the largest origin AS). bgpdump reads it like any RIS file.
# Builds the release preset (RelWithDebInfo, -O2 -g) in build/release (VIGIL_MRT_BUILD overrides).
# Target (issue 6): vigil import mrt at least 3x faster than bgpdump -m.
#
#   bench/mrt.sh [--repeat 3] [--peers 12] [--hours 6] [--updates 400000]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=3
PEERS=12
HOURS=6
UPDATES=400000
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) REPEAT="$2"; shift 2 ;;
    --peers) PEERS="$2"; shift 2 ;;
    --hours) HOURS="$2"; shift 2 ;;
    --updates) UPDATES="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "mrt.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v bgpdump >/dev/null || { echo "mrt.sh: bgpdump is not installed (apt-get install bgpdump)" >&2; exit 1; }
DATA=${VIGIL_SHARED_DATA:-../shared/data}
MRT_DIR="$DATA/bgp/mrt"
[ -d "$MRT_DIR" ] || { echo "mrt.sh: no shared MRT files in $MRT_DIR (set VIGIL_SHARED_DATA)" >&2; exit 1; }
BUILD=${VIGIL_MRT_BUILD:-${BUILD:-}}
. bench/build.sh
bench_build vigil gen_mrt
VIGIL="$BUILD/apps/vigil/vigil"
WORK=${BENCH_DIR:-build/bench}
mkdir -p "$WORK"
BIG="$WORK/mrt-${PEERS}p-${HOURS}h-${UPDATES}u.mrt.gz"
[ -s "$BIG" ] || "$BUILD/bench/gen_mrt" "$MRT_DIR/bview.20020722.2337.gz" "$BIG" \
  --peers "$PEERS" --hours "$HOURS" --updates "$UPDATES"
SHARED=("$MRT_DIR"/*)
cat "${SHARED[@]}" "$BIG" > /dev/null  # warm the page cache for every contender alike

# best_of CMD...: "wall cpu" seconds, each the best of REPEAT runs of CMD over every file in
# FILES (cpu = user + system time of the processes; wall is noisy on a shared machine).
best_of() {
  local best_wall="" best_cpu="" f tf
  tf=$(mktemp)
  for _ in $(seq "$REPEAT"); do
    : > "$tf"
    for f in "${FILES[@]}"; do
      /usr/bin/time -a -o "$tf" -f '%e %U %S' "$@" "$f" > /dev/null 2>> "$WORK/mrt-bench.log" || true
    done
    read -r w c < <(awk '/^[0-9]/ {w += $1; c += $2 + $3} END {printf "%.3f %.3f\n", w, c}' "$tf")
    if [ -z "$best_wall" ] || [ "$(echo "$w < $best_wall" | bc -l)" = 1 ]; then best_wall=$w; fi
    if [ -z "$best_cpu" ] || [ "$(echo "$c < $best_cpu" | bc -l)" = 1 ]; then best_cpu=$c; fi
  done
  rm -f "$tf"
  echo "$best_wall $best_cpu"
}
# all_at_once CMD...: the same, with every file of FILES given to one CMD process.
all_at_once() {
  local best_wall="" best_cpu="" tf w c
  tf=$(mktemp)
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -o "$tf" -f '%e %U %S' "$@" "${FILES[@]}" > /dev/null 2>> "$WORK/mrt-bench.log" || true
    read -r w c < <(awk '/^[0-9]/ {printf "%.3f %.3f\n", $1, $2 + $3}' "$tf")
    if [ -z "$best_wall" ] || [ "$(echo "$w < $best_wall" | bc -l)" = 1 ]; then best_wall=$w; fi
    if [ -z "$best_cpu" ] || [ "$(echo "$c < $best_cpu" | bc -l)" = 1 ]; then best_cpu=$c; fi
  done
  rm -f "$tf"
  echo "$best_wall $best_cpu"
}

: > "$WORK/mrt-bench.log"
report() {  # title
  local mb lines bgp dump imp
  mb=$(du -cb "${FILES[@]}" | tail -1 | cut -f1)
  lines=$(for f in "${FILES[@]}"; do bgpdump -m "$f" 2>/dev/null; done | wc -l)
  read -r bgp_w bgp_c < <(best_of bgpdump -m)
  read -r dump_w dump_c < <(best_of "$VIGIL" bgp dump)
  read -r imp_w imp_c < <(best_of "$VIGIL" import mrt --out /dev/null)
  printf '%s: %d file(s), %.1f MB compressed, %d bgpdump lines; best of %d runs\n' \
    "$1" "${#FILES[@]}" "$(echo "$mb / 1000000" | bc -l)" "$lines" "$REPEAT"
  printf '  %-36s %8s %8s %12s %11s %11s\n' contender "wall s" "cpu s" "lines/s" "wall ratio" "cpu ratio"
  row() {
    printf '  %-36s %8.2f %8.2f %12.0f %10.2fx %10.2fx\n' "$1" "$2" "$3" "$(echo "$lines / $2" | bc -l)" \
      "$(echo "$bgp_w / $2" | bc -l)" "$(echo "$bgp_c / $3" | bc -l)"
  }
  row "bgpdump -m > /dev/null (baseline)" "$bgp_w" "$bgp_c"
  row "vigil bgp dump > /dev/null" "$dump_w" "$dump_c"
  row "vigil import mrt --out /dev/null" "$imp_w" "$imp_c"
  if [ "${#FILES[@]}" -gt 1 ]; then
    read -r all_w all_c < <(all_at_once "$VIGIL" import mrt --out /dev/null)
    row "vigil import mrt, one process, all" "$all_w" "$all_c"
  fi
  echo
}

echo "$(nproc) cores (shared); vigil: $VIGIL; $(dpkg-query -W -f='bgpdump ${Version}' bgpdump 2>/dev/null || echo bgpdump)"
echo
FILES=("${SHARED[@]}")
report "Shared RIPE RIS files, one process per file"
FILES=("$BIG")
report "Generated: $PEERS peers, $HOURS h of updates"
echo "Target: vigil import mrt >= 3x faster than bgpdump -m (ratios: bgpdump's time / the contender's)."
echo "Notes: vigil import includes loading the country data (once per process) and writing"
echo "every (entity, bin) point as a JSON line; stderr of all runs is in $WORK/mrt-bench.log."
