#!/usr/bin/env bash
# accuracy.sh — the ml-latest-small reference protocol (../shared/data/README.md) for
# tide-train-mf: leave-last split with valid, grid-tuned on valid, scored on test; prints the
# markdown table recorded in bench/RESULTS.md. Needs a release build in build/ and the venv.
# Usage: bench/train-mf/accuracy.sh [--quick] [--threads N]
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=${TMPDIR:-/tmp}/tide-accuracy; mkdir -p "$tmp"
cc -O2 -Iinclude bench/train-mf/csv2ds.c build/libtide.a -lopenblas -llapacke -lcjson -lutf8proc -lz -lm -fopenmp \
    -o "$tmp/csv2ds"
[ -d "$tmp/split/trainvalid" ] || "$tmp/csv2ds" ../shared/data/ml-latest-small/ratings.csv "$tmp/split" --leave-last
py=build/venv/bin/python; [ -x "$py" ] || py=python3
"$py" bench/train-mf/accuracy.py --tide build/bin/tide-train-mf --split "$tmp/split" --tmp "$tmp" "$@"
