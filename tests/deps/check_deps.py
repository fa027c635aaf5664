#!/usr/bin/env python3
"""Checks that the libraries under src/ depend on each other only as HACKING.md draws it.

Every `#include "<lib>/..."` in src/<lib>/ (headers and sources, tests included) is an edge
lib -> other; an edge that is not in ALLOWED fails the check, naming the file and the line.
The same table is HACKING.md's "Libraries depend one way" list: change both together.

  check_deps.py SOURCE_DIR        exit 0 when every edge is allowed, 1 otherwise
"""
import os
import re
import sys

# library -> the libraries it may include (besides itself).
ALLOWED = {
    "core": set(),
    "geo": {"core"},
    "net": {"core"},
    "evidence": {"core"},
    "measure": {"core", "net", "geo"},
    "analysis": {"core", "measure", "geo"},
    "bgp": {"core", "geo"},
    "disruption": {"core", "geo"},
    "records": {"core", "evidence"},
    "store": {"core", "measure", "analysis", "disruption", "records", "evidence"},
    "ingest": {"core", "measure", "analysis", "bgp", "records", "store", "geo"},
    "probe": {"core", "net", "measure", "analysis", "evidence", "geo"},
    "watch": {"core", "net", "measure", "analysis", "evidence", "geo"},
    "prober": {"core", "net", "measure", "analysis", "evidence", "geo"},
    "helper": {"core", "net", "measure", "geo"},
    "report": {"core", "records", "disruption", "evidence", "store", "geo"},
    "server": {"core", "geo", "net", "evidence", "measure", "analysis", "bgp", "disruption", "records",
               "ingest", "store", "report"},
}
# Test files may also use the shared test support and the test servers of net.
TEST_EXTRA = {"tests"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def main():
    src = os.path.join(sys.argv[1], "src")
    problems, edges = [], 0
    for lib in sorted(os.listdir(src)):
        root = os.path.join(src, lib)
        if not os.path.isdir(root):
            continue
        if lib not in ALLOWED:
            problems.append(f"src/{lib}/: a library that is not in the dependency table (tests/deps/check_deps.py)")
            continue
        for dirpath, _, files in os.walk(root):
            for name in sorted(files):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, name)
                is_test = name.endswith("_test.cc")
                with open(path, encoding="utf-8", errors="replace") as f:
                    for n, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        other = m.group(1)
                        if other == lib:
                            continue
                        edges += 1
                        if other in ALLOWED[lib] or (is_test and other in TEST_EXTRA):
                            continue
                        rel = os.path.relpath(path, sys.argv[1])
                        problems.append(f"{rel}:{n}: {lib} includes {other} ({line.strip()})")
    for p in problems:
        print(p)
    print(f"{edges} cross-library includes checked, {len(problems)} not allowed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
