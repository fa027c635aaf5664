#!/usr/bin/env bash
# Detector evaluation: builds bench/detect_eval in Release and runs it. It generates
# labelled series (fixed seed), runs IODA's rule and Vigil's detector on the same series
# and prints precision, recall, F1 and onset delay per category, side by side, and
# whether the targets of issue 6 are met (exit status 0 when all are).
# Usage: bench/detect.sh [detect_eval flags, e.g. --seed 7 --entities-per-category 50]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${VIGIL_DETECT_BUILD:-$root/build/h-detect-release}"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C "$build" detect_eval >/dev/null
exec "$build/bench/detect_eval" "$@"
