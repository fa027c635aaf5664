#!/usr/bin/env bash
# Kill test for `vigil import` (no data loss, import half): import a few thousand
# measurements derived from the real samples, SIGKILL the import at random moments
# several times, run it to the end, and check that every measurement is stored exactly
# once and the store is consistent.
#
#   import_kill_test.sh VIGIL SOURCE_DIR sqlite|postgres
# For postgres, run it under scripts/with-postgres (it reads $VIGIL_TEST_PG).
set -euo pipefail
VIGIL=$1 SRC=$2 BACKEND=$3
N=${VIGIL_KILL_N:-3000}
KILLS=${VIGIL_KILLS:-6}
STEP=$([ "$BACKEND" = postgres ] && echo 0.8 || echo 0.25)  # kill window grows with each attempt (seconds)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-kill-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# N measurements from the real ones: new times and countries; half carry a
# measurement_uid (keyed by uid), half do not (keyed by the hash of their bytes). Spread
# over OONI's bucket layout, gzip and plain.
python3 - "$SRC/data/samples/ooni-sample.jsonl" "$WORK/raw" "$N" <<'PY'
import gzip, json, os, sys
sample = [l for l in open(sys.argv[1]) if 0 < len(l) < 60000]
out, n = sys.argv[2], int(sys.argv[3])
ccs = ["CM", "UG", "IN", "IR", "RU", "IT"]
files = {}
for i in range(n):
    m = json.loads(sample[i % len(sample)])
    cc = ccs[i % len(ccs)]
    day = 1 + (i // 500) % 28
    m["probe_cc"] = cc
    m["measurement_start_time"] = "2024-%02d-%02d %02d:%02d:%02d" % (1 + i % 3, day, i % 24, i % 60, (i * 7) % 60)
    m["kill_test_serial"] = i
    if i % 2:
        m["measurement_uid"] = "20240101000000.%06d_%s_killtest_%016x" % (i, cc, i)
    d = os.path.join(out, "202401%02d" % day, "00", cc, m["test_name"].replace("_", ""))
    key = (d, i % 2)
    if key not in files:
        os.makedirs(d, exist_ok=True)
        files[key] = gzip.open(os.path.join(d, "a.jsonl.gz"), "wt") if i % 2 else open(os.path.join(d, "b.jsonl"), "w")
    files[key].write(json.dumps(m, separators=(",", ":")) + "\n")
for f in files.values():
    f.close()
PY

if [ "$BACKEND" = sqlite ]; then
  TARGET=(--data "$WORK/data")
else
  : "${VIGIL_TEST_PG:?run under scripts/with-postgres}"
  TARGET=(--db "$VIGIL_TEST_PG")
fi

# Kill at random moments (bounded: KILLS attempts, each at most 3 s).
for k in $(seq "$KILLS"); do
  "$VIGIL" import ooni "$WORK/raw" "${TARGET[@]}" --jobs 2 --batch 10 >"$WORK/run$k.log" 2>&1 &
  PID=$!
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.05, '"$STEP"' * '"$k"'), 2))')"
  kill -9 "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  if grep -q "stored:" "$WORK/run$k.log"; then
    # Faster than the window: later kills come sooner (the window halves).
    echo "kill $k: import had finished before the kill: $(grep -E '^vigil import|error' "$WORK/run$k.log" | head -3)"
    STEP=$(python3 -c "print($STEP / 2)")
  else
    echo "kill $k: SIGKILLed import $PID mid-run"
    MIDRUN=$((${MIDRUN:-0} + 1))
  fi
done
[ "${MIDRUN:-0}" -gt 0 ] || { echo "FAIL: no kill landed during an import"; exit 1; }
if grep -qs "rebuilt the query indexes" "$WORK"/run*.log; then
  echo "a kill landed during the bulk load into the empty store: the next run rebuilt its query indexes"
fi

# Run to the end, then once more: the second run must store nothing.
timeout 300 "$VIGIL" import ooni "$WORK/raw" "${TARGET[@]}" --jobs 2 >"$WORK/final.log" 2>&1 || {
  cat "$WORK/final.log"; echo "FAIL: final import failed"; exit 1; }
timeout 300 "$VIGIL" import ooni "$WORK/raw" "${TARGET[@]}" --jobs 2 >"$WORK/again.log" 2>&1 || {
  cat "$WORK/again.log"; echo "FAIL: re-import failed"; exit 1; }
cat "$WORK/final.log"
grep -q "stored:     0$" "$WORK/again.log" || { cat "$WORK/again.log"; echo "FAIL: re-import stored something"; exit 1; }
grep -q "duplicates: $N " "$WORK/again.log" || { cat "$WORK/again.log"; echo "FAIL: re-import did not see $N duplicates"; exit 1; }

if [ "$BACKEND" = sqlite ]; then
  DB="$WORK/data/vigil.sqlite"
  q() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print("|".join(str(v) for v in c.execute(sys.argv[2]).fetchone()))' "$DB" "$1"; }
  INTEGRITY=$(q "PRAGMA integrity_check")
  # A measurement's raw bytes are its body or inside a stored block (bulk imports pack them).
  COUNTS=$(q "SELECT COUNT(*), COUNT(DISTINCT idempotency_key), COUNT(DISTINCT measurement_uid), (SELECT COUNT(*) FROM measurements m WHERE EXISTS (SELECT 1 FROM measurement_bodies b WHERE b.id = m.id) OR EXISTS (SELECT 1 FROM raw_blocks k WHERE k.id = m.raw_block)) FROM measurements")
  ORPHANS=$(q "SELECT (SELECT COUNT(*) FROM measurement_bodies b WHERE NOT EXISTS (SELECT 1 FROM measurements m WHERE m.id = b.id)) + (SELECT COUNT(*) FROM raw_blocks k WHERE NOT EXISTS (SELECT 1 FROM measurements m WHERE m.raw_block = k.id))")
  # An import killed during its bulk load (into the empty store) left the query indexes
  # out; the next open of the store built them.
  INDEXES=$(q "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('measurements_time', 'measurements_cc_time', 'measurements_asn_time', 'measurements_test_time', 'measurements_domain_time', 'measurements_input')")
  [ "$INDEXES" = 6 ] || { echo "FAIL: $INDEXES of the 6 query indexes exist"; exit 1; }
else
  PSQL=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1)
  q() { "${PSQL:-psql}" "$VIGIL_TEST_PG" -At -F '|' -c "$1"; }
  INTEGRITY=ok
  COUNTS=$(q "SELECT COUNT(*), COUNT(DISTINCT idempotency_key), COUNT(DISTINCT measurement_uid), (SELECT COUNT(*) FROM measurement_keys) FROM measurements")
  ORPHANS=$(q "SELECT (SELECT COUNT(*) FROM measurement_keys k WHERE NOT EXISTS (SELECT 1 FROM measurements m WHERE m.measurement_uid = k.measurement_uid AND m.measurement_start_time = k.measurement_start_time)) + (SELECT COUNT(*) FROM measurements m WHERE m.raw_zstd IS NULL AND NOT EXISTS (SELECT 1 FROM raw_blocks k WHERE k.id = m.raw_block)) + (SELECT COUNT(*) FROM raw_blocks k WHERE NOT EXISTS (SELECT 1 FROM measurements m WHERE m.raw_block = k.id))")
fi
echo "integrity: $INTEGRITY; rows|keys|uids|raw-bytes-or-keys: $COUNTS; orphans: $ORPHANS"
[ "$INTEGRITY" = ok ] || { echo "FAIL: integrity_check"; exit 1; }
[ "$COUNTS" = "$N|$N|$N|$N" ] || { echo "FAIL: expected $N of each"; exit 1; }
[ "$ORPHANS" = 0 ] || { echo "FAIL: orphans"; exit 1; }
echo "PASS: $N measurements stored exactly once after $KILLS kills ($BACKEND)"
