#!/usr/bin/env bash
# Collector benchmark: wrk posting real OONI measurements to `vigil serve`'s collector over
# 64 connections, against the same server answering GET /api/v1/health in the same run (the
# server's own ceiling). Prints requests/s, p50 and p99 of each and the ratio.
# Target (issue 4): collector >= 30% of the health rate, collector p99 < 50 ms.
#
# Builds the release preset in build/release (bench/build.sh); the store is a fresh SQLite file (synchronous=FULL:
# each acknowledged measurement is on disk) or, with --postgres, a private cluster
# (scripts/with-postgres). Every request stores a new measurement (unique serial).
# VIGIL_BENCH_PERF=FILE also records a perf profile of the server during the collector run.
#
# --rounds N alternates N health and collector runs on the same server and reports each
# round and the median ratio: one pair of runs on shared cores is noisy (±15%).
#
#   bench/collector.sh [--seconds 15] [--rounds 3] [--connections 64] [--threads N] [--workers N] [--postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=15 ROUNDS=3 CONNS=64 THREADS=0 PG=0 WORKERS=0  # 0: vigil serve's default
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --connections) CONNS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --postgres) PG=1; shift ;;
    --inner) INNER=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "collector.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ "$PG" = 1 ] && [ -z "${INNER:-}" ]; then
  exec scripts/with-postgres "$0" --inner --postgres --seconds "$SECONDS_RUN" --rounds "$ROUNDS" --connections "$CONNS" \
    --threads "$THREADS"
fi
command -v wrk >/dev/null || { echo "collector.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
. bench/build.sh
bench_build vigil
VIGIL="$BUILD/apps/vigil/vigil"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-collector-XXXXXX")
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
if [ "$PG" = 1 ]; then STORE=(--db "$VIGIL_TEST_PG"); BACKEND=postgresql; else STORE=(--data "$WORK/data"); BACKEND=sqlite; fi

# Measurements under 16 KB (most real ones), without a measurement_uid so each is keyed by its bytes.
python3 - data/samples/ooni-sample.jsonl "$WORK/sample.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        if 0 < len(line) < 16384:
            m = json.loads(line); m.pop("measurement_uid", None)
            out.write(json.dumps(m, separators=(",", ":")) + "\n")
PY
echo "bench-password" | "$VIGIL" user add bench --role probe --password-stdin "${STORE[@]}" >/dev/null
TOKEN=$("$VIGIL" token create --user bench "${STORE[@]}" 2>/dev/null)
echo "bench-password" | "$VIGIL" user add bench-admin --role admin --password-stdin "${STORE[@]}" >/dev/null
ADMIN_TOKEN=$("$VIGIL" token create --user bench-admin "${STORE[@]}" 2>/dev/null)  # for /metrics
"$VIGIL" serve --listen 127.0.0.1:0 --no-geo --threads "$THREADS" --workers "$WORKERS" "${STORE[@]}" \
  --report-key "$WORK/report.key" > "$WORK/serve.out" 2> "$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out")
REPORT=$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$URL/report" \
  -d '{"probe_cc":"IT","probe_asn":"AS30722","software_name":"bench","software_version":"1","test_name":"web_connectivity","test_version":"0.4.3","data_format_version":"0.2.0","format":"json"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["report_id"])')

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }  # the server's user + system time
written() { awk '$1 == "wchar:" {print $2}' "/proc/$SERVER_PID/io"; }  # bytes it has written (files and sockets)
# The CPU seconds (user + system) a shell's finished children have used (wrk's, in run()); FILE is
# what `times` printed in that shell (a command substitution's own fork has no children).
children_cpu() { tail -1 "$1" | awk '{split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2]}'; }
run() {  # name script url: wrk's RESULT line, plus the server's CPU ticks, bytes written and wrk's CPU
  local before after wbefore wafter
  before=$(cpu_ticks); wbefore=$(written)
  times > "$WORK/times0.txt"
  wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" --timeout 10s -s "$2" "$3" > "$WORK/$1.txt" 2>&1
  times > "$WORK/times1.txt"
  after=$(cpu_ticks); wafter=$(written)
  echo "$(grep RESULT "$WORK/$1.txt" | sed 's/RESULT //') cpu_ticks=$(( after - before )) written=$(( wafter - wbefore ))" \
    "client_cpu=$(echo "$(children_cpu "$WORK/times1.txt") - $(children_cpu "$WORK/times0.txt")" | bc -l)"
}
echo "vigil serve ($BACKEND store, --threads $([ "$THREADS" = 0 ] && echo "default (1)" || echo "$THREADS"), Release) on $(nproc) shared cores; wrk -t2 -c$CONNS -d${SECONDS_RUN}s; $ROUNDS round(s)"
export VIGIL_BENCH_SAMPLE="$WORK/sample.jsonl" VIGIL_BENCH_REPORT="$REPORT" VIGIL_BENCH_TOKEN="$TOKEN"
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# The server's CPU time per request (user + system, from /proc; wrk shares the cores).
TICK=$(getconf CLK_TCK)
cpu_us() { echo "1000000 * $(get "$1" cpu_ticks) / $TICK / $(get "$1" requests)" | bc -l; }
row() {  # label result
  printf '%-28s %10.0f %9.2f %9.2f %8s %8s %14.0f %14.0f %10.1f\n' "$1" "$(get "$2" rps)" "$(get "$2" p50_ms)" "$(get "$2" p99_ms)" \
    "$(get "$2" errors)" "$(get "$2" non2xx)" "$(cpu_us "$2")" \
    "$(echo "1000000 * $(get "$2" client_cpu) / $(get "$2" requests)" | bc -l)" \
    "$(echo "$(get "$2" written) / 1000 / $(get "$2" requests)" | bc -l)"
}
printf '\n%-28s %10s %9s %9s %8s %8s %14s %14s %10s\n' contender requests/s p50_ms p99_ms errors non-2xx server_cpu_us client_cpu_us \
  written_kB
RATIOS=() P99S=()
for round in $(seq "$ROUNDS"); do
  HEALTH=$(run health bench/health_get.lua "$URL/api/v1/health")
  PERF_PID=
  if [ -n "${VIGIL_BENCH_PERF:-}" ] && [ "$round" = 1 ]; then  # profile the server during the first collector run
    perf record -F 999 --call-graph dwarf,16384 -p "$SERVER_PID" -o "$VIGIL_BENCH_PERF" -- sleep "$SECONDS_RUN" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  COLLECT=$(VIGIL_BENCH_RUN=$round run collector bench/collector_post.lua "$URL")
  [ -n "$PERF_PID" ] && wait "$PERF_PID"
  row "GET /api/v1/health" "$HEALTH"
  row "POST /report/{id} (collect)" "$COLLECT"
  RATIO=$(echo "100 * $(get "$COLLECT" rps) / $(get "$HEALTH" rps)" | bc -l)
  printf 'round %d: collector / health %.1f%%\n' "$round" "$RATIO"
  RATIOS+=("$RATIO") P99S+=("$(get "$COLLECT" p99_ms)")
  REQUESTS=$(( ${REQUESTS:-0} + $(get "$COLLECT" requests) ))
done
STORED=$(curl -sf "$URL/api/v1/measurements?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["count"])')
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# The group commit, from /metrics: rows per transaction and the mean WAL flush.
METRICS=$(curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "$URL/metrics" || true)
metric() { echo "$METRICS" | awk -v n="$1" '$1 == n {print $2}'; }
COMMITS=$(metric vigil_collector_commits_total); ROWS=$(metric vigil_collector_committed_rows_total)
FLUSH_SUM=$(metric vigil_collector_flush_duration_seconds_sum); FLUSHES=$(metric vigil_collector_flush_duration_seconds_count)
printf '\ncollector / health, median of %d round(s): %.1f%% (target >= 30%%); collector p99 median %.2f ms, worst %.2f ms (target < 50 ms); %s measurements stored (%s requests)\n' \
  "$ROUNDS" "$(median "${RATIOS[@]}")" "$(median "${P99S[@]}")" "$(printf '%s\n' "${P99S[@]}" | sort -g | tail -1)" "$STORED" \
  "$REQUESTS"
# Every submission must have stored a new measurement (a duplicate costs far less).
[ "$STORED" -ge "$REQUESTS" ] || { echo "collector.sh: only $STORED of $REQUESTS submissions were stored" >&2; exit 1; }
echo "server_cpu_us, client_cpu_us: CPU time per request of the server and of wrk (which shares the cores);"
echo "written_kB: what the server wrote per request (WAL, checkpoints and answers for a submission)"
if [ -n "$COMMITS" ] && [ "${COMMITS%.*}" -gt 0 ] && [ -n "$FLUSHES" ] && [ "${FLUSHES%.*}" -gt 0 ]; then
  printf 'group commit: %.1f rows per transaction; %s flushes, %.2f ms each on average\n' \
    "$(echo "$ROWS / $COMMITS" | bc -l)" "$FLUSHES" "$(echo "1000 * $FLUSH_SUM / $FLUSHES" | bc -l)"
fi
