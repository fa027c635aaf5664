#!/usr/bin/env python3
"""OONI's binary values ({"format":"base64","data":...}, df-001-httpt) through the vigil binary,
as a user runs it: `vigil analyze`, `vigil import ooni` and the collector of `vigil serve` (on
127.0.0.1) accept measurements in that shape (tests/golden/data/binary-values.jsonl), give them
the verdicts of their decoded values, and store them byte for byte (raw_measurement returns the
exact bytes); malformed binary values are refused with a message naming the field, and nothing
of them is stored.

  binary_values_e2e.py VIGIL SOURCE_DIR
"""
import json, os, re, shutil, subprocess, sys, tempfile, time
import urllib.error, urllib.request

VIGIL, SRC = sys.argv[1], sys.argv[2]
WORK = tempfile.mkdtemp(prefix="vigil-binary-e2e-")
DATA = os.path.join(SRC, "tests", "golden", "data")
GOOD = os.path.join(DATA, "binary-values.jsonl")
BAD = os.path.join(DATA, "binary-values-malformed.jsonl")
SAMPLE = os.path.join(SRC, "data", "samples", "ooni-sample.jsonl")
ORIGINALS = [16, 26, 3]  # sample lines re-encoded as fixture lines 3-5 (make_binary_values.py)
# What each malformed line's error must say.
BAD_WHY = [("test_keys.requests[0].response.body", "invalid base64"),
           ("test_keys.requests[0].response.headers", 'unknown format "hex"'),
           ("test_keys.requests[0].response.headers", '"data" must be a base64 string'),
           ("test_keys.requests[0].response.headers", "expected a string or a binary value"),
           ("test_keys.queries[0].answers.ipv4", "allowed only in HTTP header values and bodies")]
SERVERS = []


class Failed(Exception):
    pass


def fail(msg):
    raise Failed(msg)


def run(*args, stdin=None, ok=True):
    r = subprocess.run([VIGIL, *args], input=stdin, capture_output=True, text=True, timeout=120)
    if ok and r.returncode != 0:
        fail(f"vigil {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def http(url, body=None, token=None):
    req = urllib.request.Request(url, data=body.encode() if body is not None else None,
                                 method="POST" if body is not None else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def serve(data):
    proc = subprocess.Popen([VIGIL, "serve", "--listen", "127.0.0.1:0", "--no-geo", "--threads", "2",
                             "--report-key", os.path.join(WORK, "report.key"), "--data", data],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    SERVERS.append(proc)
    m = re.search(r"http://(127\.0\.0\.1:\d+)", proc.stdout.readline())
    if not m:
        fail("vigil serve did not start")
    return proc, "http://" + m.group(1)


def stop(proc):
    proc.terminate()
    if proc.wait(timeout=60) != 0:
        fail("vigil serve did not exit cleanly on SIGTERM")


def stored(url):
    st, body = http(url + "/api/v1/measurements?limit=1000&order=asc")
    if st != 200:
        fail(f"/api/v1/measurements: {st} {body}")
    return json.loads(body)["results"]


def check_stored(url, good, what):
    rows = stored(url)
    if len(rows) != len(good):
        fail(f"{what}: {len(rows)} measurements stored, {len(good)} submitted")
    fingerprints = set()
    for row in rows:
        st, raw = http(f"{url}/api/v1/raw_measurement?measurement_uid={row['measurement_uid']}")
        if st != 200 or raw not in good:
            fail(f"{what}: raw_measurement of {row['measurement_uid']} is not a submitted line byte for byte")
        if row["vigil"]["fingerprint"]:
            fingerprints.add(row["vigil"]["fingerprint"])
    if not {"ooni.ir_0", "ooni.ae_0"} <= fingerprints:
        fail(f"{what}: the blockpages given in base64 were not recognised (fingerprints {fingerprints})")


def analyze_test(good):
    out = run("analyze", GOOD).stdout.splitlines()
    if len(out) != len(good):
        fail(f"vigil analyze: {len(out)} records for {len(good)} measurements")
    records = [json.loads(l) for l in out]
    for rec, fp in zip(records[:2], ["ooni.ir_0", "ooni.ae_0"]):
        if rec["fingerprint"] != fp or rec["confirmed"] is not True:
            fail(f"vigil analyze: {rec['report_id']}: want confirmed by {fp}, got {rec}")
    sample = lines(SAMPLE)
    plain = os.path.join(WORK, "plain.jsonl")
    with open(plain, "w", encoding="utf-8") as f:
        f.write("\n".join(sample[n - 1] for n in ORIGINALS) + "\n")
    if run("analyze", plain).stdout.splitlines() != out[2:]:
        fail("vigil analyze: the re-encoded measurements differ from their plain originals")
    r = run("analyze", BAD, ok=False)
    if r.returncode == 0 or r.stdout.strip():
        fail(f"vigil analyze of malformed values: exit {r.returncode}, output {r.stdout!r}")
    for i, (field, why) in enumerate(BAD_WHY):
        if not re.search(rf":{i + 1}: {re.escape(field)}: .*{re.escape(why)}", r.stderr):
            fail(f"vigil analyze: line {i + 1} not refused with '{field}: ... {why}':\n{r.stderr}")
    print(f"ok   vigil analyze: {len(good)} measurements with binary values, {len(BAD_WHY)} malformed refused")


def import_test(good):
    data = os.path.join(WORK, "import")
    run("import", "ooni", GOOD, "--data", data)
    r = run("import", "ooni", BAD, "--data", data, ok=False)
    if r.returncode == 0 or f"malformed:  {len(BAD_WHY)}" not in r.stderr:
        fail(f"vigil import of malformed values: exit {r.returncode}:\n{r.stderr}")
    for field, why in BAD_WHY:
        if field not in r.stderr or why not in r.stderr:
            fail(f"vigil import: '{field}: ... {why}' not reported:\n{r.stderr}")
    proc, url = serve(data)
    check_stored(url, good, "vigil import")
    stop(proc)
    print("ok   vigil import: stored byte for byte, verdicts on decoded values, malformed skipped")


def collector_test(good):
    data = os.path.join(WORK, "collector")
    run("user", "add", "probe1", "--role", "probe", "--password-stdin", "--data", data, stdin="probe-password\n")
    token = run("token", "create", "--user", "probe1", "--data", data).stdout.strip()
    proc, url = serve(data)
    st, body = http(url + "/report", json.dumps({
        "probe_cc": "IR", "probe_asn": "AS44244", "software_name": "ooniprobe-android", "software_version": "1.2.0",
        "test_name": "web_connectivity", "test_version": "0.0.1", "data_format_version": "0.2.0",
        "format": "json"}), token)
    if st != 200:
        fail(f"POST /report: {st} {body}")
    report = json.loads(body)["report_id"]
    for line in good:
        st, body = http(f"{url}/report/{report}", '{"format":"json","content":' + line + "}", token)
        if st != 200:
            fail(f"collector refused a measurement with binary values: {st} {body}")
    for line, (field, why) in zip(lines(BAD), BAD_WHY):
        st, body = http(f"{url}/report/{report}", '{"format":"json","content":' + line + "}", token)
        error = json.loads(body).get("error", "") if st == 400 else ""
        if field not in error or why not in error:
            fail(f"collector: want 400 naming '{field}' ({why}), got {st} {body}")
    check_stored(url, good, "collector")
    stop(proc)
    print("ok   collector: accepted and stored byte for byte, malformed answered 400 naming the field")


failed = 0
try:
    good = lines(GOOD)
    for part in (analyze_test, import_test, collector_test):  # each runs whatever the others did
        try:
            part(good)
        except Failed as e:
            failed += 1
            print(f"FAIL {part.__name__}: {e}")
    print("PASS" if failed == 0 else f"FAIL: {failed} of 3 parts")
finally:
    for p in SERVERS:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=30)
    shutil.rmtree(WORK, ignore_errors=True)
sys.exit(1 if failed else 0)
