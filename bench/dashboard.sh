#!/usr/bin/env bash
# Dashboard benchmark (issue 5): with COUNT measurements (default 100,000) in the store, the time
# until the country page is fully drawn (the page sets data-ready when its matrix, per-network view
# and timeline are drawn; measured from navigation start in headless Chromium, cold cache, median of
# RUNS loads) and the size of the scripts the page loads (bytes on the wire as `vigil serve` sent
# them, and gzip -9). Targets: < 1.5 s and < 300 kB of compressed JavaScript.
# The country shown is the one with the most measurements.
#
#   bench/dashboard.sh [--count 100000] [--runs 5]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=100000
RUNS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --count) COUNT="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "dashboard.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/chromium ] || { echo "dashboard.sh: needs Debian's chromium" >&2; exit 1; }
[ -d web/node_modules ] || { echo "dashboard.sh: run scripts/setup (web/node_modules missing)" >&2; exit 1; }
. bench/build.sh
bench_build vigil gen_measurements
VIGIL="$BUILD/apps/vigil/vigil"
"$VIGIL" --help | grep -qE '^\s+serve\s' || { echo "dashboard.sh: $VIGIL has no serve subcommand" >&2; exit 1; }
(cd web && npm run build >/dev/null)

WORK=${BENCH_DIR:-build/bench}
mkdir -p "$WORK"
SAMPLE="$WORK/dashboard-sample.jsonl"
awk 'length($0) < 16384' data/samples/ooni-sample.jsonl > "$SAMPLE"
CORPUS="$WORK/dashboard-${COUNT}.jsonl"
[ -s "$CORPUS" ] || "$BUILD/bench/gen_measurements" "$SAMPLE" "$CORPUS" --count "$COUNT"
DATA="$WORK/dashboard-data-${COUNT}"
if [ ! -d "$DATA" ]; then
  "$VIGIL" import ooni "$CORPUS" --data "$DATA.tmp" >/dev/null
  mv "$DATA.tmp" "$DATA"
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ORIGIN="http://127.0.0.1:$PORT"
"$VIGIL" serve --listen "127.0.0.1:$PORT" --data "$DATA" --web web/dist > "$WORK/dashboard-serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS -m 1 "$ORIGIN/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS -m 2 "$ORIGIN/api/v1/health" >/dev/null || { cat "$WORK/dashboard-serve.log" >&2; exit 1; }
STORED=$(curl -fsS -m 30 "$ORIGIN/api/v1/aggregation" | jq '.result.measurement_count')
CC=$(curl -fsS -m 30 "$ORIGIN/api/v1/aggregation?axis_x=probe_cc" | jq -r '.result | max_by(.measurement_count) | .probe_cc')
CC_N=$(curl -fsS -m 30 "$ORIGIN/api/v1/aggregation?axis_x=probe_cc" | jq -r '.result | max_by(.measurement_count) | .measurement_count')
printf 'Store: %s measurements (corpus %s); country page of %s (%s measurements); %d cores (shared)\n' \
  "$STORED" "$CORPUS" "$CC" "$CC_N" "$(nproc)"
for path in "/api/v1/aggregation?probe_cc=$CC&axis_x=measurement_start_day&axis_y=domain" \
            "/api/v1/measurements?probe_cc=$CC&anomaly=true&limit=1000&order_by=measurement_start_time"; do
  printf '  API %-90s %s s\n' "$path" "$(curl -fsS -m 30 -o /dev/null -w '%{time_total}' "$ORIGIN$path")"
done
(cd web && node tests/bench-country.mjs "$ORIGIN" "$CC" "$RUNS")
