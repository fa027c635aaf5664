#!/usr/bin/env bash
# Detector evaluation: builds bench/detect_eval with the release preset (bench/build.sh) and
# runs it. It generates labelled series (fixed seed), runs IODA's rule and Vigil's detector
# on the same series and prints precision, recall, F1 and onset delay per category, side by
# side, and whether the targets of issue 6 are met (exit status 0 when all are).
# Usage: bench/detect.sh [detect_eval flags, e.g. --seed 7 --entities-per-category 50]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/build.sh
bench_build detect_eval
exec "$BUILD/bench/detect_eval" "$@"
