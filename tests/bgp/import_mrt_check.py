#!/usr/bin/env python3
"""End-to-end check of `vigil import mrt` on the shared RIPE RIS files.

An independent, slow re-implementation of the rules of docs/methodology-detectors.md
("BGP visibility") reads bgpdump's own text output (bgp/bgpdump-expected/*.bgp.gz, the
golden answer of the MRT reader) and computes, per bin, the visible /24s of every origin
AS and of the whole table. `vigil import mrt --out` must give the same value for every
(AS, bin) point, and per-country values that add up to no more than the table's total.

Usage: import_mrt_check.py VIGIL_BINARY
Exit 77 (ctest: skipped) when the shared data is absent.
"""
import collections
import gzip
import json
import os
import subprocess
import sys
import tempfile

BIN = 300
FULL_FEED_SHARE = 0.75
MAX_FILL = 1800
MIN_LENGTH = 6

# Cases: files replayed together, in the order vigil must choose (by first record time).
CASES = [
    ["bview.20020722.2337.gz"],
    ["updates.20070211.0141.gz"],
    ["updates.20020722.2238.gz", "bview.20020722.2337.gz"],
    ["updates.et-header.2015.gz"],
    ["bview.ipv4_unicast_add_path.gz"],
]


def shared_data():
    env = os.environ.get("VIGIL_SHARED_DATA")
    if env:
        return env
    src = os.environ.get("VIGIL_SOURCE_DIR")
    if src:
        return os.path.join(src, "..", "shared", "data")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")


def ipv4(prefix):
    addr, length = prefix.split("/")
    a, b, c, d = (int(x) for x in addr.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d, int(length)


def origin_of(path, peer_as):
    tokens = path.split()
    if not tokens:
        return peer_as
    last = tokens[-1]
    return int(last) if last.isdigit() else 0


class Reference:
    def __init__(self):
        self.tables = {}  # peer -> {(addr, len): {path_id: origin}}
        self.claimed = {}  # peer -> dump number
        self.dump = 0
        self.in_dump = False
        self.bin = None
        self.last_time = None
        self.asns_seen = set()
        self.out = {}  # (asn, time) -> value
        self.totals = {}  # time -> visible /24s

    def table(self, peer):
        return self.tables.setdefault(peer, {})

    def advance(self, t):
        b = t - t % BIN
        if self.bin is None:
            self.bin, self.last_time = b, t
            return
        if b <= self.bin:
            if b == self.bin:
                self.last_time = max(self.last_time, t)
            return
        self.report(self.bin)
        if t - self.last_time <= MAX_FILL:
            for fill in range(self.bin + BIN, b, BIN):
                self.report(fill)
        self.bin, self.last_time = b, t

    def report(self, time):
        counts = {p: len(t) for p, t in self.tables.items()}
        top = max(counts.values(), default=0)
        full_feed = [p for p, c in counts.items() if c > 0 and c >= FULL_FEED_SHARE * top]
        carriers = collections.defaultdict(list)
        for p in full_feed:
            for prefix, paths in self.tables[p].items():
                carriers[prefix].append(min(paths.items())[1])
        per_origin = collections.defaultdict(list)
        every = []
        for (addr, length), origins in carriers.items():
            if 2 * len(origins) <= len(full_feed):
                continue
            start = addr >> 8
            end = start + (1 if length >= 24 else 1 << (24 - length))
            every.append((start, end))
            origin, n = collections.Counter(origins).most_common(1)[0]
            if origin != 0 and 2 * n > len(origins):
                per_origin[origin].append((start, end))
        for asn, ranges in per_origin.items():
            self.asns_seen.add(asn)
        for asn in self.asns_seen:
            self.out[(asn, time)] = union_size(per_origin.get(asn, []))
        self.totals[time] = union_size(every)

    def line(self, fields):
        kind = fields[0]
        t = int(fields[1].split(".")[0])
        self.advance(t)
        what = fields[2]
        if what == "B":
            if not self.in_dump:
                self.dump += 1
                self.in_dump = True
        else:
            self.in_dump = False
        peer = (fields[3], int(fields[4]))
        if what == "STATE":
            if int(fields[6]) != 6:
                self.tables.pop(peer, None)
            return
        prefix = fields[5]
        if ":" in prefix:
            return
        addr, length = ipv4(prefix)
        if length < MIN_LENGTH or length > 32:
            return
        key = (addr & (((1 << length) - 1) << (32 - length)), length)
        add_path = kind.endswith("_AP")
        path_id = int(fields[6]) if add_path else 0
        path = fields[7] if add_path else (fields[6] if len(fields) > 6 else "")
        if what == "B":
            if self.claimed.get(peer) != self.dump:
                self.tables[peer] = {}
                self.claimed[peer] = self.dump
            self.table(peer).setdefault(key, {})[path_id] = origin_of(path, peer[1])
        elif what == "A":
            self.table(peer).setdefault(key, {})[path_id] = origin_of(path, peer[1])
        elif what == "W":
            paths = self.table(peer).get(key)
            if paths is not None:
                paths.pop(path_id, None)
                if not paths:
                    del self.table(peer)[key]

    def finish(self):
        if self.bin is not None:
            self.report(self.bin)


def union_size(ranges):
    total, end = 0, -1
    for s, e in sorted(ranges):
        if s >= end:
            total += e - s
            end = e
        elif e > end:
            total += e - end
            end = e
    return total


def reference(expected_dir, files):
    ref = Reference()
    for name in files:
        ref.in_dump = False
        with gzip.open(os.path.join(expected_dir, name + ".bgp.gz"), "rt") as f:
            for raw in f:
                ref.line(raw.rstrip("\n").split("|"))
    ref.finish()
    return ref


def main():
    vigil = sys.argv[1]
    data = shared_data()
    mrt_dir = os.path.join(data, "bgp", "mrt")
    if not os.path.isdir(mrt_dir):
        print(f"SKIP: shared data not found at {mrt_dir} (set VIGIL_SHARED_DATA)")
        return 77
    expected_dir = os.path.join(data, "bgp", "bgpdump-expected")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            out = os.path.join(tmp, "points.jsonl")
            # Given in reverse order: vigil must sort the files by time itself.
            args = [vigil, "import", "mrt", *[os.path.join(mrt_dir, f) for f in reversed(case)],
                    "--out", out, "--bin", str(BIN)]
            run = subprocess.run(args, capture_output=True, text=True)
            if run.returncode != 0:
                print(f"FAIL {case}: exit {run.returncode}\n{run.stderr}")
                failures += 1
                continue
            asn, country = {}, collections.defaultdict(int)
            with open(out) as f:
                for line in f:
                    p = json.loads(line)
                    assert p["datasource"] == "bgp" and p["step"] == BIN, p
                    if p["entity_type"] == "asn":
                        asn[(int(p["entity_code"][2:]), p["time"])] = p["value"]
                    else:
                        country[p["time"]] += p["value"]
            ref = reference(expected_dir, case)
            if asn != ref.out:
                missing = set(ref.out) - set(asn)
                extra = set(asn) - set(ref.out)
                wrong = [(k, asn[k], ref.out[k]) for k in set(asn) & set(ref.out) if asn[k] != ref.out[k]]
                print(f"FAIL {case}: AS points differ: {len(missing)} missing, {len(extra)} extra, "
                      f"{len(wrong)} wrong, e.g. {sorted(missing)[:3]} {sorted(extra)[:3]} {wrong[:3]}")
                failures += 1
                continue
            for time, total in ref.totals.items():
                # Countries count the same /24s, less those the geolocation data lacks.
                if country and not (0.9 * total <= country.get(time, 0) <= total):
                    print(f"FAIL {case}: bin {time}: countries hold {country.get(time, 0)} /24s "
                          f"of {total} visible")
                    failures += 1
            bins = sorted(ref.totals)
            print(f"ok   {' + '.join(case)}: {len(asn)} AS points in {len(bins)} bin(s); "
                  f"visible /24s {[ref.totals[b] for b in bins][:6]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
