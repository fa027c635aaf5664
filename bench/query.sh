#!/usr/bin/env bash
# Query benchmark: p50/p99 latency of GET /api/v1/aggregation by day x country and of a
# filtered GET /api/v1/measurements page, over COUNT stored measurements (default
# 1,000,000) in SQLite. Target (issue 4): p99 < 100 ms.
#
# Builds the release preset in build/release (bench/build.sh), derives COUNT measurements from the real ones
# (bench/gen_measurements: fresh uid, time, country and ASN per line; sample lines under
# 16 KB) and loads them with `vigil import ooni` (kept between runs in build/bench/), then
# times REQUESTS sequential requests of each kind from one client (after 5 warm-ups).
#
#   bench/query.sh [--count 1000000] [--requests 200]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=1000000 REQUESTS=200
while [ $# -gt 0 ]; do
  case "$1" in
    --count) COUNT="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "query.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
. bench/build.sh
bench_build vigil gen_measurements
VIGIL="$BUILD/apps/vigil/vigil"
WORK=${BENCH_DIR:-build/bench}
mkdir -p "$WORK"
DATA="$WORK/query-data-$COUNT"
if [ ! -s "$DATA/vigil.sqlite" ] || [ ! -e "$DATA/complete" ]; then
  CORPUS="$WORK/query-$COUNT.jsonl"
  awk 'length($0) < 16384' data/samples/ooni-sample.jsonl > "$WORK/query-sample.jsonl"
  [ -s "$CORPUS" ] || "$BUILD/bench/gen_measurements" "$WORK/query-sample.jsonl" "$CORPUS" --count "$COUNT"
  rm -rf "$DATA"
  echo "loading $COUNT measurements into $DATA (once) ..."
  "$VIGIL" import ooni "$CORPUS" --data "$DATA" 2>&1 | tail -4
  rm -f "$CORPUS"  # the store keeps them; the corpus is several GB
  touch "$DATA/complete"
fi
"$VIGIL" serve --listen 127.0.0.1:0 --no-geo --data "$DATA" > "$WORK/query-serve.out" 2> "$WORK/query-serve.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 300); do grep -q listening "$WORK/query-serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$WORK/query-serve.out")

python3 - "$URL" "$REQUESTS" <<'PY'
import json, sys, time, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
total = json.load(urllib.request.urlopen(url + "/api/v1/measurements?limit=1"))["metadata"]["count"]
# A country and a month that exist in the corpus.
row = json.load(urllib.request.urlopen(url + "/api/v1/measurements?limit=1&order=asc"))["results"][0]
cc, month = row["probe_cc"], row["measurement_start_time"][:7]
cases = [
    ("aggregation day x country (all)", "/api/v1/aggregation?axis_x=measurement_start_day&axis_y=probe_cc"),
    ("aggregation day x country, 1 month",
     f"/api/v1/aggregation?axis_x=measurement_start_day&axis_y=probe_cc&since={month}-01&until={month}-28"),
    (f"measurements probe_cc={cc}&test_name=web_connectivity&anomaly=true, page 1",
     f"/api/v1/measurements?probe_cc={cc}&test_name=web_connectivity&anomaly=true&limit=50"),
    (f"measurements probe_cc={cc}, page 3 (offset 100)", f"/api/v1/measurements?probe_cc={cc}&limit=50&offset=100"),
]
print(f"{total} measurements stored; {n} sequential requests per query after 5 warm-ups\n")
print(f"{'query':70s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}  result")
for name, path in cases:
    for _ in range(5):
        urllib.request.urlopen(url + path).read()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        body = urllib.request.urlopen(url + path).read()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    doc = json.loads(body)
    size = len(doc["result"]) if "result" in doc else doc["metadata"]["count"]
    what = f"{size} cells" if "result" in doc else f"{size} matching"
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"{name:70s} {p(0.5):8.1f} {p(0.99):8.1f} {times[-1]:8.1f}  {what}")
# One measurement's raw JSON: each request a different measurement (its zstd block is
# decompressed up to the row), spread over the store.
uids = []
for off in range(0, min(total, 1000000), max(1, min(total, 1000000) // n)):
    page = json.load(urllib.request.urlopen(f"{url}/api/v1/measurements?limit=1&offset={off}&order=asc"))
    uids += [r["measurement_uid"] for r in page["results"]]
times = []
for uid in uids[:n]:
    t = time.perf_counter()
    body = urllib.request.urlopen(f"{url}/api/v1/raw_measurement?measurement_uid={uid}").read()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
print(f"{'raw_measurement, ' + str(len(times)) + ' different measurements':70s} {p(0.5):8.1f} {p(0.99):8.1f} "
      f"{times[-1]:8.1f}  {len(body)} bytes (last)")
print("\ntarget: p99 < 100 ms on SQLite")
PY
