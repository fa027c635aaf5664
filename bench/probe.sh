#!/usr/bin/env bash
# Benchmark of `vigil probe run` in the censorship testbed (tests/testbed/): 500 URLs on 250
# hosts, 30% of them blocked by a mix of techniques (DNS NXDOMAIN, lying resolver, dropped
# connects — timeouts —, refused connects, a transparent blockpage, SNI resets; see
# tb_bench_technique in tests/testbed/censor.sh). In the same run, measures them with
# `--parallel 1` (OONI Probe's one URL at a time) and with the default parallelism, and reports:
#   - wall time and URLs/minute of each, and the speed-up (target: >= 10x);
#   - the most connections to one host at once (must never exceed 2), counted three ways:
#     the probe's own counter, the client's sockets sampled every 50 ms (SYN-SENT, ESTAB and
#     CLOSE-WAIT per destination address; one address per host), and overlapping requests per
#     Host in nginx's access log (an upper bound at its 1 ms resolution);
#   - whether the verdicts are identical between the two runs, and how many match the
#     technique applied.
# Needs root (network namespaces). Takes about 5-10 minutes, mostly the one-at-a-time run.
#
#   bench/probe.sh [--timeout-ms 4000]
#   VIGIL=path/to/vigil TB_TOOLS=path/to/tests/testbed bench/probe.sh   # skip the release build
#   BENCH_DIR=folder bench/probe.sh    # keep the report, measurements and verdicts there
set -euo pipefail
cd "$(dirname "$0")/.."
TIMEOUT_MS=4000
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout-ms) TIMEOUT_MS="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "probe.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "${VIGIL:-}" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target vigil tb_hostile tb_measure >/dev/null
  VIGIL=$PWD/build/release/apps/vigil/vigil
  TB_TOOLS=$PWD/build/release/tests/testbed
fi
export VIGIL TB_TOOLS
export TB_BENCH_HOSTS=250
# shellcheck source=../tests/testbed/lib.sh
source tests/testbed/lib.sh
tb_require
tb_setup
OUT=${BENCH_DIR:-$TB_DIR}
mkdir -p "$OUT"

# The test list (Citizen Lab format) and the technique expected for each URL.
list="$TB_DIR/bench-list.csv"
expected="$TB_DIR/bench-expected.tsv"
echo "url,category_code,category_description,date_added,source,notes" >"$list"
: >"$expected"
for n in $(seq 1 "$TB_BENCH_HOSTS"); do
  tech=$(tb_bench_technique "$n")
  case "$tech" in
    blockpage) schemes="http http" ;;
    snirst) schemes="https https" ;;
    *) schemes="http https" ;;
  esac
  i=0
  for scheme in $schemes; do
    i=$((i + 1))
    u="$scheme://bench-$n.$TB_DOMAIN/page$i"
    echo "$u,NEWS,News Media,2024-01-01,vigil-testbed," >>"$list"
    case "$tech" in
      none) want=false ;; nxdomain|dnslie) want=dns ;; tcpdrop|tcprst) want=tcp_ip ;;
      blockpage) want=http-diff ;; snirst) want=http-failure ;;
    esac
    printf '%s\t%s\t%s\n' "$u" "$tech" "$want" >>"$expected"
  done
done
total=$(wc -l <"$expected")
blocked=$(awk -F'\t' '$2 != "none"' "$expected" | wc -l)
tb_log "bench: $total URLs, $blocked blocked ($(awk -F'\t' '{print $2}' "$expected" | sort | uniq -c | tr -s ' ' | tr '\n' ','))"

# Samples the client's TCP sockets to the benchmark hosts every 50 ms: "max_count address".
start_monitor() {  # start_monitor FILE
  tb_client bash -c '
    end=$((SECONDS + 3600))
    while [ "$SECONDS" -lt "$end" ]; do
      ss -Htn 2>/dev/null | awk '\''$1 ~ /^(SYN-SENT|ESTAB|CLOSE-WAIT)$/ {
          n = split($5, a, ":"); ip = a[1]; if (ip ~ /^10\.231\.3\./) c[ip]++ }
        END { m = 0; for (k in c) if (c[k] > m) { m = c[k]; h = k } if (m > 0) print m, h }'\''
      sleep 0.05
    done' >"$1" 2>/dev/null &
  TB_MONITOR_PID=$!
}
stop_monitor() { kill "$TB_MONITOR_PID" 2>/dev/null || true; wait "$TB_MONITOR_PID" 2>/dev/null || true; TB_MONITOR_PID=""; }
sampled_max() { sort -n "$1" | tail -n 1 | awk '{print ($1 == "" ? 0 : $1) " (" ($2 == "" ? "-" : $2) ")"}'; }

# Most overlapping requests from the probe per Host in nginx's log since line FROM. The log has
# millisecond times, so requests that touch within a millisecond count as overlapping: an upper
# bound.
nginx_max() {  # nginx_max FROM_LINE
  tail -n +"$1" "$TB_DIR/nginx-access.log" | awk -v me="$TB_CLIENT_IP" '$4 == me {
      printf "%s %.3f 1\n%s %.3f -1\n", $1, $2 - $3, $1, $2 }' |
    sort -k1,1 -k2,2n -k3,3nr | awk '{ if ($1 != h) { h = $1; c = 0 } c += $3; if (c > m) { m = c; mh = h } }
      END { print (m == "" ? 0 : m) " (" (mh == "" ? "-" : mh) ")" }'
}

run() {  # run NAME [flags...]: sets WALL_MS, PROBE_MAX, SAMPLED_MAX, NGINX_MAX
  local name="$1"; shift
  local from
  from=$(($(wc -l <"$TB_DIR/nginx-access.log") + 1))
  start_monitor "$TB_DIR/$name.sockets"
  TB_PROBE_LIMIT=3000 tb_probe "$TB_DIR/$name.jsonl" --list "$list" --timeout-ms "$TIMEOUT_MS" "$@"
  stop_monitor
  WALL_MS=$TB_PROBE_MS
  PROBE_MAX=$(sed -n 's/.*at most \([0-9]*\) at once per host.*/\1/p' "$TB_DIR/$name.jsonl.stderr")
  SAMPLED_MAX=$(sampled_max "$TB_DIR/$name.sockets")
  NGINX_MAX=$(nginx_max "$from")
  "$VIGIL" analyze "$TB_DIR/$name.jsonl" | jq -r '[.input, (.blocking | tostring)] | @tsv' |
    sort >"$TB_DIR/$name.verdicts.tsv"
  tb_log "$name: $(wc -l <"$TB_DIR/$name.verdicts.tsv") measurements in $WALL_MS ms; per host: probe $PROBE_MAX, sockets $SAMPLED_MAX, nginx $NGINX_MAX"
}

run parallel
P_MS=$WALL_MS P_PROBE=$PROBE_MAX P_SOCK=$SAMPLED_MAX P_NGINX=$NGINX_MAX
run serial --parallel 1
S_MS=$WALL_MS S_PROBE=$PROBE_MAX S_SOCK=$SAMPLED_MAX S_NGINX=$NGINX_MAX

same=$(diff -q "$TB_DIR/serial.verdicts.tsv" "$TB_DIR/parallel.verdicts.tsv" >/dev/null && echo yes || echo no)
differ=$(join -t $'\t' "$TB_DIR/serial.verdicts.tsv" "$TB_DIR/parallel.verdicts.tsv" | awk -F'\t' '$2 != $3' | wc -l)
sort "$expected" | cut -f1,3 >"$TB_DIR/expected.sorted"
accuracy() {  # accuracy NAME: "matching/total" and the mismatches by technique
  join -t $'\t' "$TB_DIR/expected.sorted" "$TB_DIR/$1.verdicts.tsv" |
    awk -F'\t' '{ t++; if ($2 == $3) ok++; else bad[$2 " -> " $3]++ }
      END { printf "%d/%d", ok, t; for (k in bad) printf "; %d expected %s", bad[k], k; print "" }'
}
rate() { awk -v n="$total" -v ms="$1" 'BEGIN { printf "%.1f", n / (ms / 60000) }'; }

report="$OUT/probe-bench-report.txt"
{
  echo "bench/probe.sh — $total URLs on $TB_BENCH_HOSTS hosts, $blocked blocked; --timeout-ms $TIMEOUT_MS; vigil: $VIGIL"
  printf '%-22s %10s %10s %14s %18s %24s\n' run "wall (s)" "URLs/min" "probe max/host" "sockets max/host" "nginx max/host"
  printf '%-22s %10.1f %10s %14s %18s %24s\n' "--parallel 1" "$(echo "$S_MS / 1000" | bc -l)" "$(rate "$S_MS")" \
    "$S_PROBE" "$S_SOCK" "$S_NGINX"
  printf '%-22s %10.1f %10s %14s %18s %24s\n' "default (--parallel 16)" "$(echo "$P_MS / 1000" | bc -l)" \
    "$(rate "$P_MS")" "$P_PROBE" "$P_SOCK" "$P_NGINX"
  echo "speed-up: $(awk -v s="$S_MS" -v p="$P_MS" 'BEGIN { printf "%.1fx", s / p }') (target >= 10x)"
  echo "verdicts identical between the runs: $same ($differ differ)"
  echo "verdicts as expected from the technique: serial $(accuracy serial), parallel $(accuracy parallel)"
} | tee "$report"
if [ "$OUT" != "$TB_DIR" ]; then  # keep the measurements and verdicts beside the report
  cp "$TB_DIR"/{serial,parallel}.jsonl "$TB_DIR"/{serial,parallel}.verdicts.tsv "$expected" "$OUT"/
fi
