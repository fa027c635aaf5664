#!/usr/bin/env bash
# `vigil prober` in network namespaces: two namespaces joined by a veth pair, a target holding
# seven /24 blocks of addresses on its end of the veth, the prober in the other. A survey, then
# rounds of 2 s while blocks go down (an iptables DROP, or their addresses deleted) and come
# back, one block losing only a quarter of its addresses. Asserts that every full change is found
# within one round, that the partial block is never reported down, that stable blocks never
# change, and that the probes sent (counted by vigil and by iptables rules in the target, which
# also count any probe over the cap's token bucket) stay within the rate cap and 15 per block per
# round. The run posts its signal to a vigil serve on the prober's loopback, checked at the end.
#
#   VIGIL=build/.../apps/vigil/vigil tests/prober/prober_netns.sh icmp|tcp
#   (or: ctest -R prober_netns --output-on-failure)
#
# Safety: addresses live only in the namespaces made here (10.232.0.0/16); nothing is added to
# the root namespace; namespaces are named vpr<pid>-* and removed on every exit (and leftovers of
# dead runs are removed first). Every wait is bounded.
# Exit status: 0 pass, 1 fail, 77 skipped (not root, no ip netns, missing tools).
set -euo pipefail

method="${1:-}"
case "$method" in icmp | tcp) ;; *) echo "usage: prober_netns.sh icmp|tcp" >&2; exit 2 ;; esac

log() { printf 'prober_netns[%s]: %s\n' "$method" "$*" >&2; }
die() { printf 'prober_netns[%s]: FAIL: %s\n' "$method" "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then log "SKIP: needs root (network namespaces)"; exit 77; fi
if ! ip netns list >/dev/null 2>&1; then log "SKIP: 'ip netns' is not available"; exit 77; fi
for tool in iptables python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || { log "SKIP: missing $tool"; exit 77; }
done
[ -x "${VIGIL:-}" ] || die "VIGIL must name the vigil binary (got '${VIGIL:-}')"

PREFIX=vpr
ID="${PREFIX}$$"
NS_P="${ID}-p"   # the prober
NS_T="${ID}-t"   # the target blocks
DIR=""
RUN_PID=""
SERVE_PID=""

# The testbed's namespace helpers: tb_kill_ns (every process in a namespace) and tb_clean_stale
# (namespaces of dead runs, by TB_PREFIX).
# shellcheck source=../testbed/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/../testbed/lib.sh"
TB_PREFIX="$PREFIX"

teardown() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null
  for ns in "$NS_P" "$NS_T"; do
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns"; then
      tb_kill_ns "$ns"
      ip netns del "$ns" 2>/dev/null
    fi
  done
  if [ -n "$DIR" ] && [ -d "$DIR" ]; then
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] || [ -n "${PROBER_KEEP:-}" ]; then
      log "kept $DIR for inspection"
    else
      rm -rf "$DIR"
    fi
  fi
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

tb_clean_stale  # leftovers of earlier runs whose owner is gone

DIR=$(mktemp -d "/tmp/prober_netns.$method.XXXXXX")

# ---- topology -------------------------------------------------------------------------------
# Blocks: 10.232.N.0/24 with COUNT[N] addresses (block 3 sparse: every 12th address); block 7
# has none (unmeasurable).
declare -A COUNT=([1]=60 [2]=40 [3]=20 [4]=48 [5]=30 [6]=25 [7]=0)
host_of() {  # host_of BLOCK I: the I-th (1-based) address's last octet
  if [ "$1" -eq 3 ]; then echo $(( $2 * 12 )); else echo "$2"; fi
}

ip netns add "$NS_P"
ip netns add "$NS_T"
ip -n "$NS_P" link add p0 type veth peer name t0 netns "$NS_T"
ip -n "$NS_P" link set lo up
ip -n "$NS_T" link set lo up
ip -n "$NS_P" addr add 10.232.0.1/30 dev p0
ip -n "$NS_T" addr add 10.232.0.2/30 dev t0
ip -n "$NS_P" link set p0 up
ip -n "$NS_T" link set t0 up
ip -n "$NS_P" route add 10.232.0.0/16 via 10.232.0.2
# The target answers only for addresses it holds: no forwarding, so others are dropped silently.
ip netns exec "$NS_T" sysctl -qw net.ipv4.ip_forward=0
{
  for b in 1 2 3 4 5 6; do
    for i in $(seq 1 "${COUNT[$b]}"); do echo "addr add 10.232.$b.$(host_of "$b" "$i")/32 dev t0"; done
  done
} >"$DIR/addrs.batch"
ip -n "$NS_T" -batch "$DIR/addrs.batch"
# An independent count of the probes: every echo request or SYN the target receives.
if [ "$method" = icmp ]; then
  COUNTER=(-p icmp --icmp-type echo-request)
else
  COUNTER=(-p tcp --syn --dport 80)
fi
# (raw PREROUTING sees them all, also those for addresses the target does not hold.)
# Rules 2 and 3 count the probes over a cap, as the target sees them: within a token bucket of
# the cap's rate (its burst allowing for packets bunched on the way), a probe leaves the chain.
ip netns exec "$NS_T" iptables -w -t raw -A PREROUTING -d 10.232.0.0/16 "${COUNTER[@]}"
ip netns exec "$NS_T" iptables -w -t raw -A PREROUTING -d 10.232.0.0/16 "${COUNTER[@]}" \
  -m limit --limit 1/second --limit-burst 10 -j ACCEPT
ip netns exec "$NS_T" iptables -w -t raw -A PREROUTING -d 10.232.0.0/16 "${COUNTER[@]}"
target_probes() {  # target_probes RULE: packets counted by rule RULE (1: all, 3: over the cap)
  ip netns exec "$NS_T" iptables -w -t raw -L PREROUTING -v -x -n | awk -v n=$(( $1 + 2 )) 'NR==n {print $1}'
}
target_cap() {  # target_cap RATE: the over-the-cap bucket's rate
  ip netns exec "$NS_T" iptables -w -t raw -R PREROUTING 2 -d 10.232.0.0/16 "${COUNTER[@]}" \
    -m limit --limit "$1/second" --limit-burst 10 -j ACCEPT
}

cat >"$DIR/blocks.txt" <<'EOF'
# test blocks
10.232.1.0/24,asn,AS64500
10.232.2.0/23,asn,AS64500
10.232.4.0/24,country,CM
10.232.5.0/24
10.232.6.0/24
10.232.7.0/24
EOF

# ---- survey ---------------------------------------------------------------------------------
SURVEY_RATE=500
target_cap "$SURVEY_RATE"
log "survey"
timeout 120 ip netns exec "$NS_P" "$VIGIL" prober survey --blocks "$DIR/blocks.txt" \
  --state "$DIR/state.json" --method "$method" --passes 2 --max-rate "$SURVEY_RATE" \
  --timeout-ms 300 2>"$DIR/survey.log" || { cat "$DIR/survey.log" >&2; die "survey failed"; }
cat "$DIR/survey.log" >&2
survey_target=$(target_probes 1)
survey_over=$(target_probes 3)
[ "$survey_over" -eq 0 ] || die "the target saw $survey_over survey probes over the cap"
python3 - "$DIR/state.json" "$DIR/survey.log" "$survey_target" "$SURVEY_RATE" <<'EOF' || die "survey state"
import json, re, sys
state = json.load(open(sys.argv[1]))
want = {"10.232.1.0/24": 60, "10.232.2.0/24": 40, "10.232.3.0/24": 20, "10.232.4.0/24": 48,
        "10.232.5.0/24": 30, "10.232.6.0/24": 25, "10.232.7.0/24": 0}
got = {b["block"]: b for b in state["blocks"]}
assert set(got) == set(want), sorted(got)
for name, n in want.items():
    b = got[name]
    assert len(b["ever_responsive"]) == n, (name, len(b["ever_responsive"]))
    assert b["availability"] == (1.0 if n else 0.0), (name, b["availability"])
assert got["10.232.3.0/24"]["ever_responsive"][:3] == [12, 24, 36]
assert got["10.232.1.0/24"]["entities"] == [{"type": "asn", "code": "AS64500"}]
assert got["10.232.3.0/24"]["entities"] == [{"type": "asn", "code": "AS64500"}]
assert got["10.232.4.0/24"]["entities"] == [{"type": "country", "code": "CM"}]
probes, secs = state["probes"], state["seconds"]
assert state["max_rate"] == float(sys.argv[4]), state["max_rate"]
assert probes == 7 * 254 * 2, probes
assert int(sys.argv[3]) == probes, ("target counted", sys.argv[3], "vigil sent", probes)
# The cap: at most rate * elapsed + 1 (the first probe is sent at time 0).
assert probes <= float(sys.argv[4]) * secs + 1, (probes, secs)
print(f"survey ok: {probes} probes in {secs} s, cap {sys.argv[4]}/s")
EOF

# ---- a Vigil server on the prober's loopback, to receive the signals -----------------------
SERVER_PORT=18093
server_args=(--data "$DIR/server")
log "server on 127.0.0.1:$SERVER_PORT (prober namespace)"
echo "probe-password" | ip netns exec "$NS_P" "$VIGIL" user add prober1 --role probe --password-stdin \
  "${server_args[@]}" >/dev/null 2>"$DIR/user.log" || { cat "$DIR/user.log" >&2; die "user add"; }
TOKEN=$(ip netns exec "$NS_P" "$VIGIL" token create --user prober1 "${server_args[@]}" 2>>"$DIR/user.log")
ip netns exec "$NS_P" "$VIGIL" serve --listen "127.0.0.1:$SERVER_PORT" "${server_args[@]}" --no-geo \
  --detect-every 0 --threads 1 >"$DIR/serve.log" 2>&1 &
SERVE_PID=$!
server_get() {  # server_get PATH: GET from inside the prober namespace
  ip netns exec "$NS_P" python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:'"$SERVER_PORT"'" + sys.argv[1], timeout=5).read().decode())' "$1"
}
for _ in $(seq 1 100); do
  server_get /api/v1/health >/dev/null 2>&1 && break
  sleep 0.1
done
server_get /api/v1/health >/dev/null 2>&1 || { cat "$DIR/serve.log" >&2; die "the server did not start"; }

# ---- rounds ---------------------------------------------------------------------------------
ROUND=2
ROUNDS=15
RATE=10
ip netns exec "$NS_T" iptables -w -t raw -Z PREROUTING
target_cap "$RATE"
log "run: $ROUNDS rounds of ${ROUND}s, at most $RATE probes/s"
timeout 120 ip netns exec "$NS_P" "$VIGIL" prober run --state "$DIR/state.json" --method "$method" \
  --round-seconds "$ROUND" --rounds "$ROUNDS" --max-rate "$RATE" --timeout-ms 150 \
  --server "http://127.0.0.1:$SERVER_PORT" --token "$TOKEN" \
  --out "$DIR/run.jsonl" 2>"$DIR/run.log" &
RUN_PID=$!

# The run's start time (its first line), bounded.
for _ in $(seq 1 100); do
  [ -s "$DIR/run.jsonl" ] && break
  sleep 0.1
done
[ -s "$DIR/run.jsonl" ] || die "the run wrote nothing"
t0=$(head -n 1 "$DIR/run.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"])')

now() { date +%s.%N; }
sleep_until() {  # sleep_until OFFSET: until t0 + OFFSET seconds
  local s
  s=$(python3 -c "import time; print(max(0.0, $t0 + $1 - time.time()))")
  sleep "$s"
}
: >"$DIR/changes.txt"
change() {  # change BLOCK STATE CMD...: applies CMD, recording the time around it
  local block="$1" state="$2"; shift 2
  local before after
  before=$(now)
  "$@"
  after=$(now)
  echo "$block $state $before $after" >>"$DIR/changes.txt"
  log "$block -> $state"
}
del_addrs() {  # del_addrs BLOCK FIRST LAST (address indexes)
  local i
  for i in $(seq "$2" "$3"); do echo "addr del 10.232.$1.$(host_of "$1" "$i")/32 dev t0"; done >"$DIR/del.batch"
  ip -n "$NS_T" -batch "$DIR/del.batch"
}
add_addrs() {
  local i
  for i in $(seq "$2" "$3"); do echo "addr add 10.232.$1.$(host_of "$1" "$i")/32 dev t0"; done >"$DIR/add.batch"
  ip -n "$NS_T" -batch "$DIR/add.batch"
}
drop_block() { ip netns exec "$NS_T" iptables -w -"$2" INPUT -d "10.232.$1.0/24" -j DROP; }
# A quarter of block 4: every 4th address.
quarter_of_4() {
  local i
  for i in $(seq 4 4 48); do echo "addr $1 10.232.4.$i/32 dev t0"; done >"$DIR/q.batch"
  ip -n "$NS_T" -batch "$DIR/q.batch"
}

# Changes fall mid-round (rounds start at 0, 2, 4, ... s).
sleep_until 7
change 10.232.2.0/24 down drop_block 2 A
quarter_of_4 del
log "10.232.4.0/24 lost a quarter of its addresses"
sleep_until 15
change 10.232.2.0/24 up drop_block 2 D
quarter_of_4 add
change 10.232.5.0/24 down del_addrs 5 1 30
sleep_until 23
change 10.232.5.0/24 up add_addrs 5 1 30

wait "$RUN_PID" || { cat "$DIR/run.log" >&2; die "vigil prober run failed"; }
RUN_PID=""
cat "$DIR/run.log" >&2
run_target=$(target_probes 1)
run_over=$(target_probes 3)
[ "$run_over" -eq 0 ] || die "the target saw $run_over probes over the cap"

python3 - "$DIR/run.jsonl" "$DIR/changes.txt" "$run_target" "$RATE" "$ROUND" <<'EOF' || die "run assertions"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
changes = [l.split() for l in open(sys.argv[2])]
target_count, rate, round_s = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
start = next(l for l in lines if l["type"] == "start")
end = next(l for l in lines if l["type"] == "end")
rounds = [l for l in lines if l["type"] == "round"]
states = [l for l in lines if l["type"] == "state"]
assert start["measurable"] == 6 and start["blocks"] == 7, start
assert len(rounds) == 15, len(rounds)

# First round: every measurable block goes from uncertain to up.
first = [s for s in states if s["round"] == 1]
assert sorted(s["block"] for s in first) == [f"10.232.{b}.0/24" for b in range(1, 7)], first
assert all(s["state"] == "up" for s in first), first

# Each full change is found within one round: in the round under way when it happened (if the
# block was probed after it) or in the first round that started after it.
delays = []
for block, state, before, after in changes:
    before, after = float(before), float(after)
    next_round = min((r["round"] for r in rounds if r["start"] >= after), default=None)
    found = [s for s in states if s["block"] == block and s["state"] == state and s["time"] >= before]
    assert found, f"{block} {state} after {before} was never reported"
    e = found[0]
    assert next_round is not None and e["round"] <= next_round, (block, state, e, next_round)
    delays.append(e["time"] - after)
    print(f"{block} {state}: found in round {e['round']} after {e['time'] - after:.2f} s, "
          f"{e['probes']} probes, belief {e['belief']}")

# No other change: stable blocks and the partially down block never move after round 1; the
# changed blocks move exactly as scripted.
for s in states:
    if s["round"] == 1:
        continue
    assert s["block"] in ("10.232.2.0/24", "10.232.5.0/24"), f"unexpected change {s}"
    assert s["state"] in ("up", "down"), f"unexpected change {s}"
assert not any(s["block"] == "10.232.4.0/24" and s["state"] == "down" for s in states)

# Probe counts: vigil's total equals the target's count; within the cap over the run; at most
# 15 per block per round.
total = end["probes_total"]
assert sum(r["probes"] for r in rounds) == total, (sum(r["probes"] for r in rounds), total)
assert target_count == total, ("target counted", target_count, "vigil sent", total)
assert total <= rate * end["elapsed"] + 1, (total, end["elapsed"])
for r in rounds:
    assert r["max_block_probes"] <= 15, r
    assert r["probes"] <= 15 * 6, r
    assert r["probes_total"] <= rate * (r["start"] + r["duration"] - start["time"]) + 1, r
stable = [r["probes"] for r in rounds if r["round"] in (2, 3, 14, 15)]
per_round = [r["probes"] for r in rounds]
print(f"probes per round: {per_round} (total {total} in {end['elapsed']:.1f} s, cap {rate}/s)")
print(f"detection delays (s): {[round(d, 2) for d in delays]}; max {max(delays):.2f} s, round {round_s} s")
assert all(p == 6 for p in stable), stable
EOF
# The server holds the active-probing signal of each entity of the blocks file.
from=$(python3 -c "print(int($t0) - 60)")
server_get "/api/v1/signals/asn/AS64500?source=active-probing&from=$from" >"$DIR/signal_asn.json" ||
  die "GET signals"
server_get "/api/v1/signals/country/CM?source=active-probing&from=$from" >"$DIR/signal_cm.json" ||
  die "GET signals"
python3 - "$DIR/run.jsonl" "$DIR/signal_asn.json" "$DIR/signal_cm.json" <<'EOF' || die "signals"
import json, sys
end = [json.loads(l) for l in open(sys.argv[1]) if '"type":"end"' in l][0]
assert end["failed_posts"] == 0, end
# The expected mean over the run of the up blocks of each entity, replayed from the state lines.
lines = [json.loads(l) for l in open(sys.argv[1])]
rounds = [l["round"] for l in lines if l["type"] == "round"]
state = {}
up = {"AS64500": [], "CM": []}
members = {"AS64500": ["10.232.1.0/24", "10.232.2.0/24", "10.232.3.0/24"], "CM": ["10.232.4.0/24"]}
for r in rounds:
    for l in lines:
        if l["type"] == "state" and l["round"] == r:
            state[l["block"]] = l["state"]
    for e, blocks in members.items():
        up[e].append(sum(state.get(b) == "up" for b in blocks))
for path, entity in ((sys.argv[2], "AS64500"), (sys.argv[3], "CM")):
    doc = json.load(open(path))
    series = [s for group in doc["data"] for s in group if s["datasource"] == "active-probing"]
    assert len(series) == 1 and series[0]["nativeStep"] == 2, doc
    values = [v for v in series[0]["values"] if v is not None]
    want = sum(up[entity]) / len(up[entity])
    assert len(values) == 1 and abs(values[0] - want) < 1e-9, (entity, values, want, up[entity])
    print(f"server: {entity} active-probing = {values[0]:.4f} (mean of {up[entity]})")
EOF
kill "$SERVE_PID" 2>/dev/null || true
SERVE_PID=""
log "PASS"
