#!/usr/bin/env python3
"""End-to-end tests of `vigil serve` on 127.0.0.1, driving the vigil binary.

  serve_e2e.py VIGIL SOURCE_DIR kill sqlite|postgres   SIGKILL (or SIGTERM, every other time) the
                                                        server at random moments during a collector
                                                        load, restart it; every acknowledged
                                                        measurement is stored exactly once, and a
                                                        SIGTERMed server exits 0
  serve_e2e.py VIGIL SOURCE_DIR multinode               two servers on one PostgreSQL act as one
  serve_e2e.py VIGIL SOURCE_DIR revoke sqlite|postgres  a revoked token / disabled account is refused by
                                                        every node (two on PostgreSQL) within a second
  serve_e2e.py VIGIL SOURCE_DIR probe                   `vigil probe run --upload` into the server
  serve_e2e.py VIGIL SOURCE_DIR disruption sqlite|postgres
                                                        signals posted to the server become one event
                                                        and each webhook transition is delivered once
                                                        (two nodes on PostgreSQL)
PostgreSQL modes read $VIGIL_TEST_PG (run under scripts/with-postgres). Every loop is bounded.
"""
import json, os, random, re, shutil, signal, sqlite3, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request

VIGIL, SRC, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
BACKEND = sys.argv[4] if len(sys.argv) > 4 else "postgres"
WORK = tempfile.mkdtemp(prefix="vigil-serve-e2e-")
DEADLINE = time.monotonic() + 400


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def store_args():
    if BACKEND == "sqlite":
        return ["--data", os.path.join(WORK, "data")]
    url = os.environ.get("VIGIL_TEST_PG")
    if not url:
        print("VIGIL_TEST_PG is not set: run under scripts/with-postgres")
        sys.exit(77)
    return ["--db", url]


def vigil(*args, stdin=None):
    r = subprocess.run([VIGIL, *args], input=stdin, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail(f"vigil {' '.join(args)}: {r.stderr}")
    return r.stdout


SERVERS = []  # every server started, killed on the way out whatever happens


class Server:
    def __init__(self, extra=()):
        self.log = open(os.path.join(WORK, f"serve-{time.monotonic_ns()}.log"), "w")
        self.proc = subprocess.Popen(
            [VIGIL, "serve", "--listen", "127.0.0.1:0", "--no-geo", "--threads", "2",
             "--report-key", os.path.join(WORK, "report.key"), *store_args(), *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        SERVERS.append(self.proc)
        line = self.proc.stdout.readline()
        m = re.search(r"http://(127\.0\.0\.1:\d+)", line)
        if not m:
            fail(f"vigil serve did not start: {line!r}")
        self.url = "http://" + m.group(1)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        if self.proc.wait(timeout=60) != 0:
            fail("vigil serve did not exit cleanly on SIGTERM")


def http(url, body=None, token=None, timeout=30):
    req = urllib.request.Request(url, data=body.encode() if body is not None else None,
                                 method="POST" if body is not None else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def measurements(n):
    """n distinct measurements derived from the real samples; half carry a measurement_uid."""
    sample = [l for l in open(os.path.join(SRC, "data/samples/ooni-sample.jsonl")) if 0 < len(l) < 60000]
    out = []
    for i in range(n):
        m = json.loads(sample[i % len(sample)])
        m["measurement_start_time"] = "2024-%02d-%02d %02d:%02d:%02d" % (1 + i % 3, 1 + i % 28, i % 24, i % 60, (i * 7) % 60)
        m["e2e_serial"] = i
        if i % 2:
            m["measurement_uid"] = "20240101000000.%06d_IT_e2e_%016x" % (i, i)
        out.append(json.dumps(m, separators=(",", ":")))
    return out


def probe_token():
    vigil("user", "add", "probe1", "--role", "probe", "--password-stdin", *store_args(), stdin="probe-password\n")
    return vigil("token", "create", "--user", "probe1", *store_args()).strip()


def open_report(url, token):
    st, body = http(url + "/report", json.dumps({
        "probe_cc": "IT", "probe_asn": "AS30722", "software_name": "e2e", "software_version": "1",
        "test_name": "web_connectivity", "test_version": "0.4.3", "data_format_version": "0.2.0",
        "format": "json"}), token)
    if st != 200:
        fail(f"POST /report: {st} {body}")
    return json.loads(body)["report_id"]


def all_uids(url):
    uids, offset = [], 0
    while time.monotonic() < DEADLINE:
        st, body = http(f"{url}/api/v1/measurements?limit=1000&offset={offset}&order=asc")
        if st != 200:
            fail(f"GET /api/v1/measurements: {st} {body}")
        page = json.loads(body)
        uids += [r["measurement_uid"] for r in page["results"]]
        if not page["metadata"]["next_url"]:
            return uids, page["metadata"]["count"]
        offset += 1000
    fail("timed out listing measurements")


def check_store():
    if BACKEND == "sqlite":
        c = sqlite3.connect(os.path.join(WORK, "data", "vigil.sqlite"))
        integrity = c.execute("PRAGMA integrity_check").fetchone()[0]
        # A measurement's raw bytes are its body or inside a stored block.
        rows, keys, uids, bodies = c.execute(
            "SELECT COUNT(*), COUNT(DISTINCT idempotency_key), COUNT(DISTINCT measurement_uid),"
            " (SELECT COUNT(*) FROM measurements m WHERE EXISTS (SELECT 1 FROM measurement_bodies b WHERE b.id = m.id)"
            " OR EXISTS (SELECT 1 FROM raw_blocks k WHERE k.id = m.raw_block)) FROM measurements").fetchone()
        orphans = c.execute("SELECT (SELECT COUNT(*) FROM measurement_bodies b WHERE NOT EXISTS (SELECT 1 FROM"
                            " measurements m WHERE m.id = b.id)) + (SELECT COUNT(*) FROM raw_blocks k WHERE NOT EXISTS"
                            " (SELECT 1 FROM measurements m WHERE m.raw_block = k.id))").fetchone()[0]
    else:
        psql = sorted(p for p in (f"/usr/lib/postgresql/{v}/bin/psql" for v in (15, 16, 17)) if os.path.exists(p))
        def q(sql):
            return subprocess.run([psql[-1] if psql else "psql", os.environ["VIGIL_TEST_PG"], "-At", "-F", "|", "-c", sql],
                                  capture_output=True, text=True, check=True).stdout.strip()
        integrity = "ok"
        rows, keys, uids, bodies = map(int, q("SELECT COUNT(*), COUNT(DISTINCT idempotency_key), COUNT(DISTINCT measurement_uid),"
                                              " (SELECT COUNT(*) FROM measurement_keys) FROM measurements").split("|"))
        orphans = int(q("SELECT (SELECT COUNT(*) FROM measurement_keys k WHERE NOT EXISTS (SELECT 1 FROM measurements m"
                        " WHERE m.measurement_uid = k.measurement_uid AND m.measurement_start_time = k.measurement_start_time))"
                        " + (SELECT COUNT(*) FROM measurements m WHERE m.raw_zstd IS NULL AND NOT EXISTS (SELECT 1 FROM"
                        " raw_blocks k WHERE k.id = m.raw_block)) + (SELECT COUNT(*) FROM raw_blocks k WHERE NOT EXISTS"
                        " (SELECT 1 FROM measurements m WHERE m.raw_block = k.id))"))
    print(f"store: integrity {integrity}; rows {rows}, keys {keys}, uids {uids}, raw bytes/keys {bodies}, orphans {orphans}")
    if integrity != "ok" or not (rows == keys == uids == bodies) or orphans != 0:
        fail("the store is inconsistent")
    return rows


def kill_test():
    n = int(os.environ.get("VIGIL_KILL_N", "1500"))
    kills = int(os.environ.get("VIGIL_KILLS", "4"))
    token = probe_token()
    docs = measurements(n)
    server = Server()
    report = open_report(server.url, token)
    acked = {}          # serial -> uid answered with 200
    state = {"url": server.url, "server": server}
    lock = threading.Lock()
    next_serial = [0]
    errors = []

    def worker():
        while time.monotonic() < DEADLINE:
            with lock:
                i = next_serial[0]
                if i >= n:
                    return
                next_serial[0] += 1
            for _ in range(200):  # retries while the server is down or restarting
                with lock:
                    url = state["url"]
                try:
                    st, body = http(f"{url}/report/{report}", '{"format":"json","content":' + docs[i] + "}", token, timeout=10)
                except (OSError, urllib.error.URLError):
                    time.sleep(0.05)
                    continue
                if st == 200:
                    with lock:
                        acked[i] = json.loads(body)["measurement_uid"]
                    break
                if st < 500:
                    with lock:
                        errors.append(f"submission {i}: {st} {body}")
                    return
                time.sleep(0.05)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    # Other processes open the store the ways the docs allow while the server writes (the
    # SQLite lock bug: a process that dropped its own locks let them delete its WAL).
    opener_stop = threading.Event()
    imported = measurements(n + IMPORT_N)[n:]
    opener = threading.Thread(target=openers, args=(opener_stop, imported, errors))
    opener.start()
    done_kills = midrun = 0
    while done_kills < kills and any(t.is_alive() for t in threads) and time.monotonic() < DEADLINE:
        time.sleep(random.uniform(0.2, 1.0))
        with lock:
            before = len(acked)
        # Alternately SIGKILL and SIGTERM: a graceful stop during the load must drain what it
        # accepted (answered and stored) and exit 0 (stop() checks), like a kill loses nothing.
        graceful = done_kills % 2 == 1
        if graceful:
            state["server"].stop()
        else:
            state["server"].kill()
        done_kills += 1
        midrun += before < n
        how = "stopped (SIGTERM)" if graceful else "SIGKILLed"
        print(f"kill {done_kills}: {how} the server after {before} acknowledged submissions")
        fresh = Server()
        with lock:
            state["url"], state["server"] = fresh.url, fresh
    for t in threads:
        t.join(timeout=max(1, DEADLINE - time.monotonic()))
    opener_stop.set()
    opener.join(timeout=max(1, DEADLINE - time.monotonic()))
    if errors:
        fail(errors[0])
    if len(acked) != n:
        fail(f"only {len(acked)} of {n} submissions were acknowledged before the deadline")
    if midrun == 0:
        fail("no kill landed during the load")
    server = state["server"]
    # The last acknowledgements were answered just before a final SIGKILL, so that nothing
    # but durability stands between them and the store.
    server.kill()
    print(f"final kill: SIGKILLed the server after {len(acked)} acknowledged submissions")
    server = Server()
    state["server"] = server
    uids, count = all_uids(server.url)
    if len(uids) != len(set(uids)) or count != len(uids):
        fail(f"duplicates: {len(uids)} listed, {len(set(uids))} distinct, count {count}")
    missing = [i for i, u in acked.items() if u not in set(uids)]
    if missing:
        fail(f"{len(missing)} acknowledged measurements are missing, e.g. serial {missing[:5]}")
    if count != n + IMPORT_N:
        fail(f"{count} stored, expected exactly {n} submitted + {IMPORT_N} imported")
    # Resubmitting answers the uid acknowledged the first time; raw bytes come back unchanged.
    for i in random.sample(range(n), 20):
        st, body = http(f"{server.url}/report/{report}", '{"format":"json","content":' + docs[i] + "}", token)
        if st != 200 or json.loads(body)["measurement_uid"] != acked[i]:
            fail(f"resubmitting {i} answered {st} {body}, expected {acked[i]}")
        st, raw = http(f"{server.url}/api/v1/raw_measurement?measurement_uid={acked[i]}")
        if st != 200 or raw != docs[i]:
            fail(f"raw measurement {acked[i]} differs")
    server.stop()
    rows = check_store()
    if rows != n + IMPORT_N:
        fail(f"{rows} rows, expected {n + IMPORT_N}")
    print(f"PASS: {n} acknowledged and {IMPORT_N} imported measurements stored exactly once after {done_kills} kills,"
          f" {midrun} during the load, with {OPENED['count']} openings of the store by other processes ({BACKEND})")


IMPORT_N = 40
OPENED = {"count": 0}


def openers(stop, imported, errors):
    """Opens the store from other processes, as docs/deployment.md allows, until `stop`:
    `vigil user list`, `vigil token create`, `vigil import ooni` (once, of `imported`), and on
    SQLite the online backup API (Python's sqlite3) and the `sqlite3` shell. Each backup
    must itself be a sound database."""
    path = os.path.join(WORK, "import.jsonl")
    with open(path, "w") as f:
        f.write("\n".join(imported) + "\n")
    steps = [["user", "list"], ["token", "create", "--user", "probe1"], ["import", "ooni", path]]
    if BACKEND == "sqlite":
        steps += ["backup-api", "sqlite3-shell"]
    db = os.path.join(WORK, "data", "vigil.sqlite")
    i = imports = 0
    while not stop.is_set() and time.monotonic() < DEADLINE and i < 10000:
        step = steps[i % len(steps)]
        i += 1
        if step == ["import", "ooni", path] and imports:
            continue
        try:
            if step == "backup-api":
                dest = os.path.join(WORK, "backup-api.sqlite")
                src = sqlite3.connect(db, timeout=30)
                out = sqlite3.connect(dest)
                src.backup(out)
                out.close()
                src.close()
                check = sqlite3.connect(dest).execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    errors.append(f"the online backup is not sound: {check}")
            elif step == "sqlite3-shell":
                dest = os.path.join(WORK, "backup-shell.sqlite")
                r = subprocess.run(["sqlite3", "-cmd", ".timeout 30000", db, "PRAGMA integrity_check;", f".backup '{dest}'"],
                                   capture_output=True, text=True, timeout=120)
                if r.returncode != 0 or not r.stdout.startswith("ok"):
                    errors.append(f"sqlite3 shell: {r.returncode} {r.stdout[:200]} {r.stderr[:200]}")
            else:
                r = subprocess.run([VIGIL, *step, *store_args()], capture_output=True, text=True, timeout=120)
                if r.returncode != 0:
                    errors.append(f"vigil {' '.join(step)} beside the server: {r.returncode} {r.stderr[-500:]}")
                if step[0] == "import":
                    imports += 1
                    if not re.search(rf"stored:\s+{IMPORT_N}\b", r.stdout + r.stderr):
                        errors.append(f"the import beside the server: {(r.stdout + r.stderr).strip()[-300:]}")
            OPENED["count"] += 1
        except (sqlite3.Error, subprocess.TimeoutExpired) as e:
            errors.append(f"{step}: {e}")
        time.sleep(0.05)
    if not imports:
        errors.append("the import beside the server never ran")


def multinode_test():
    n = 120
    token = probe_token()
    docs = measurements(n)
    a, b = Server(), Server()
    report = open_report(a.url, token)  # a report opened on one node is valid on the other
    uids = {}
    for i, d in enumerate(docs):
        node = a if i % 2 == 0 else b
        st, body = http(f"{node.url}/report/{report}", '{"format":"json","content":' + d + "}", token)
        if st != 200:
            fail(f"submission {i} to {node.url}: {st} {body}")
        uids[i] = json.loads(body)["measurement_uid"]
    # The same measurement through the other node is the same measurement.
    for i in range(0, n, 10):
        node = b if i % 2 == 0 else a
        st, body = http(f"{node.url}/report/{report}", '{"format":"json","content":' + docs[i] + "}", token)
        if st != 200 or json.loads(body)["measurement_uid"] != uids[i]:
            fail(f"resubmission of {i} through the other node: {st} {body}")
    for node in (a, b):
        listed, count = all_uids(node.url)
        if count != n or sorted(listed) != sorted(uids.values()):
            fail(f"{node.url} lists {count} measurements, expected the same {n}")
        for i in (0, 1, n - 1):
            st, raw = http(f"{node.url}/api/v1/raw_measurement?measurement_uid={uids[i]}")
            if st != 200 or raw != docs[i]:
                fail(f"{node.url}: raw measurement {i} differs")
    st, body = http(f"{b.url}/report/{report}/close", "{}", token)
    if st != 200:
        fail(f"close through the other node: {st}")
    a.stop()
    b.stop()
    check_store()
    print(f"PASS: two nodes on one PostgreSQL, {n} measurements, each stored once and visible from both")


def disruption_test():
    import math
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    vigil("user", "add", "editor1", "--role", "editor", "--password-stdin", *store_args(), stdin="editor-password\n")
    token = vigil("token", "create", "--user", "editor1", *store_args()).strip()
    received, lock = [], threading.Lock()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                received.append((self.headers.get("X-Vigil-Delivery"), json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{hook.server_address[1]}/hook"
    extra = ["--detect-every", "1", "--webhook", hook_url]
    nodes = [Server(extra)] + ([Server(extra)] if BACKEND == "postgres" else [])
    # Five weeks of hourly BGP-visible /24s with a daily cycle, then 30 hours at 1%, then 10 normal hours.
    now = int(time.time()) // 3600 * 3600
    hours = 5 * 7 * 24 + 40
    start = now - hours * 3600
    points = []
    for i in range(hours):
        v = 1000 * (1 + 0.2 * math.sin(2 * math.pi * (i % 24) / 24)) + (i * 7919) % 7
        if 5 * 7 * 24 <= i < 5 * 7 * 24 + 30:
            v *= 0.01
        points.append({"entity_type": "country", "entity_code": "CM", "datasource": "bgp",
                       "time": start + i * 3600, "step": 3600, "value": round(v, 3)})
    st, body = http(nodes[0].url + "/api/v1/signals", json.dumps({"points": points}), token)
    if st != 200:
        fail(f"POST /api/v1/signals: {st} {body}")
    events = []
    while time.monotonic() < DEADLINE:
        st, body = http(nodes[-1].url + "/api/v1/events?entity_type=country&entity_code=CM")
        events = json.loads(body)["results"] if st == 200 else []
        with lock:
            done = len(received) >= 2
        if events and done:
            break
        time.sleep(0.5)
    if len(events) != 1 or events[0]["kind"] != "full" or events[0]["ongoing"]:
        fail(f"expected one full event that ended, got {events}")
    hours_long = (time.mktime(time.strptime(events[0]["end"], "%Y-%m-%dT%H:%M:%SZ")) -
                  time.mktime(time.strptime(events[0]["start"], "%Y-%m-%dT%H:%M:%SZ"))) / 3600
    if abs(hours_long - 30) > 2:
        fail(f"the event lasts {hours_long} h, expected about 30")
    time.sleep(4)  # more detection runs on every node: nothing new may be sent
    with lock:
        kinds = sorted(p["type"] for _, p in received)
        ids = [d for d, _ in received]
    if kinds != ["vigil.event.end", "vigil.event.start"] or len(set(ids)) != 2:
        fail(f"webhook deliveries {received}")
    st, body = http(nodes[0].url + "/api/v1/signals/country/CM?source=bgp&step=3600&from=%d&until=%d" % (start, now))
    values = json.loads(body)["data"][0][0]["values"] if st == 200 else []
    if len(values) != hours or values[5 * 7 * 24] > 20:
        fail(f"signals API: {st} {len(values)} values")
    for n in nodes:
        n.stop()
    hook.shutdown()
    print(f"PASS: one full event of {hours_long:.0f} h from posted signals, start and end each delivered once "
          f"({len(nodes)} node(s), {BACKEND})")


def probe_test():
    token = probe_token()
    server = Server()
    site = server.url + "/api/v1/health"  # a loopback web page to measure
    outbox = os.path.join(WORK, "outbox.sqlite")
    collector = server.url.replace("http://", f"http://probe:{token}@")
    r = subprocess.run([VIGIL, "probe", "run", "--input", site, "--outbox", outbox, "--upload", collector,
                        "--geo-dir", "/nonexistent", "--cc", "IT", "--asn", "AS30722", "--upload-attempts", "2",
                        "--timeout-ms", "3000"], capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        fail(f"vigil probe run: {r.returncode} {r.stderr[-2000:]}")
    st, body = http(server.url + "/api/v1/measurements?input=" + urllib.parse.quote(site, safe=""))
    page = json.loads(body)
    if st != 200 or page["metadata"]["count"] != 1:
        fail(f"the probe's measurement is not in the store: {st} {body}")
    m = page["results"][0]
    if m["probe_cc"] != "IT" or m["probe_asn"] != "AS30722" or m["test_name"] != "web_connectivity":
        fail(f"unexpected row {m}")
    st, raw = http(m["measurement_url"])
    if st != 200 or json.loads(raw)["input"] != site:
        fail("raw measurement of the probe's upload")
    # A second upload finds nothing left to send.
    r = subprocess.run([VIGIL, "probe", "upload", "--collector", collector, "--outbox", outbox],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail(f"vigil probe upload: {r.stderr}")
    _, body = http(server.url + "/api/v1/measurements?limit=1")
    if json.loads(body)["metadata"]["count"] != 1:
        fail("the second upload stored something")
    # Without the token (and no --open-collector) the collector refuses the probe.
    st, _ = http(server.url + "/report", "{}")
    if st != 401:
        fail(f"anonymous POST /report answered {st}, expected 401")
    # A second measurement, uploaded by `vigil probe upload` with the token from the
    # environment and a plain URL: without it the upload fails, says why, and keeps it.
    site2 = server.url + "/api/openapi.json"
    r = subprocess.run([VIGIL, "probe", "run", "--input", site2, "--outbox", outbox, "--geo-dir", "/nonexistent",
                        "--cc", "IT", "--asn", "AS30722", "--timeout-ms", "3000"],
                       capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        fail(f"vigil probe run (no upload): {r.returncode} {r.stderr[-2000:]}")
    env = {k: v for k, v in os.environ.items() if k != "VIGIL_PROBE_TOKEN"}
    r = subprocess.run([VIGIL, "probe", "upload", "--collector", server.url, "--outbox", outbox, "--attempts", "1"],
                       capture_output=True, text=True, timeout=120, env=env)
    if r.returncode == 0 or "VIGIL_PROBE_TOKEN" not in r.stderr:
        fail(f"upload without a token: exit {r.returncode}, {r.stderr[-500:]}")
    r = subprocess.run([VIGIL, "probe", "upload", "--collector", server.url, "--outbox", outbox],
                       capture_output=True, text=True, timeout=120, env=dict(env, VIGIL_PROBE_TOKEN=token))
    if r.returncode != 0:
        fail(f"vigil probe upload with VIGIL_PROBE_TOKEN: {r.stderr[-500:]}")
    _, body = http(server.url + "/api/v1/measurements?limit=1")
    if json.loads(body)["metadata"]["count"] != 2:
        fail("the token upload did not store the second measurement")
    server.stop()
    # The server's log names requests, never the addresses they came from.
    server.log.flush()
    with open(server.log.name) as f:
        requests = [l for l in f if "POST /report" in l]
    if not requests or any("127.0.0.1" in l for l in requests):
        fail(f"the request log must exist and hold no client address: {requests[:3]}")
    print("PASS: vigil probe uploaded to vigil serve (token in the URL, then in VIGIL_PROBE_TOKEN) and the "
          "measurements round-trip")


def import_test():
    # `vigil import` packs raw measurements into blocks; every one must come back byte for
    # byte through OONI's raw_measurement API, and the store must stay consistent.
    sample = os.path.join(SRC, "data", "samples", "ooni-sample.jsonl")
    with open(sample, encoding="utf-8") as f:
        lines = {l.rstrip("\n") for l in f if l.strip()}
    vigil("import", "ooni", sample, *store_args())
    server = Server()
    uids, _ = all_uids(server.url)
    if len(uids) != len(lines):
        fail(f"{len(uids)} measurements listed after importing {len(lines)} distinct ones")
    for uid in uids:
        st, raw = http(f"{server.url}/api/v1/raw_measurement?measurement_uid={uid}")
        if st != 200 or raw not in lines:
            fail(f"raw_measurement of {uid}: HTTP {st}, not one of the imported lines byte for byte")
    server.stop()
    check_store()
    print(f"PASS: {len(uids)} imported measurements read back byte for byte ({BACKEND})")


def revoke_test():
    """A token revoked with `vigil token revoke`, and the tokens of an account disabled with
    `vigil user disable`, are refused by every node within the promised second, while the
    server takes submissions with another token (which is never refused)."""
    vigil("user", "add", "probe1", "--role", "probe", "--password-stdin", *store_args(), stdin="probe-password\n")
    vigil("user", "add", "probe2", "--role", "probe", "--password-stdin", *store_args(), stdin="probe-password\n")

    def token(user):
        r = subprocess.run([VIGIL, "token", "create", "--user", user, *store_args()], capture_output=True,
                           text=True, timeout=120)
        m = re.search(r"token (\d+) for", r.stderr)
        if r.returncode != 0 or not m:
            fail(f"vigil token create: {r.stderr}")
        return r.stdout.strip(), m.group(1)

    keep, _ = token("probe1")
    revoked, revoked_id = token("probe1")
    disabled, _ = token("probe2")
    nodes = [Server()] + ([Server()] if BACKEND == "postgres" else [])
    report = open_report(nodes[0].url, keep)
    docs = iter(measurements(3000))
    doc_lock = threading.Lock()

    def submit(node, tok):
        with doc_lock:
            d = next(docs)
        return http(f"{node.url}/report/{report}", '{"format":"json","content":' + d + "}", tok)[0]

    stop, errors, load_count = threading.Event(), [], [0]

    def load():
        for i in range(2000):
            if stop.is_set() or time.monotonic() > DEADLINE:
                return
            st = submit(nodes[i % len(nodes)], keep)
            if st != 200:
                errors.append(f"a valid token was refused with {st} during the revocations")
                return
            load_count[0] += 1

    loader = threading.Thread(target=load)
    loader.start()
    results = []
    for name, tok, change in (("revoked token", revoked, ["token", "revoke", revoked_id]),
                              ("token of a disabled account", disabled, ["user", "disable", "probe2"])):
        for node in nodes:  # every node has the token in its cache
            if submit(node, tok) != 200:
                fail(f"the {name} was refused before the change")
        vigil(*change, *store_args())
        changed = time.monotonic()
        for node in nodes:
            while True:
                st = submit(node, tok)
                if st == 401 or st == 403:
                    break
                if st != 200:
                    fail(f"{name}: unexpected answer {st}")
                if time.monotonic() - changed > 10:
                    fail(f"{node.url} still accepts the {name} 10 s after `vigil {' '.join(change)}`")
                time.sleep(0.02)
            results.append((name, node.url, time.monotonic() - changed))
    stop.set()
    loader.join(timeout=60)
    if errors:
        fail(errors[0])
    for name, url, latency in results:
        print(f"{name}: refused by {url} {latency * 1000:.0f} ms after the command returned")
        # The server re-reads a token at most once a second (CredentialCache's ttl); the rest
        # is the time of one request on a loaded machine.
        if latency > 1.5:
            fail(f"{url} accepted the {name} for {latency:.2f} s, more than the promised second")
    for node in nodes:
        node.stop()
    print(f"PASS: revocation and disabling reached {len(nodes)} node(s) within the second, "
          f"{load_count[0]} submissions with a valid token all accepted ({BACKEND})")


try:
    import urllib.parse
    {"import": import_test, "kill": kill_test, "revoke": revoke_test, "multinode": multinode_test, "probe": probe_test, "disruption": disruption_test}[MODE]()
finally:
    for proc in SERVERS:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    shutil.rmtree(WORK, ignore_errors=True)
