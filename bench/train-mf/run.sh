#!/usr/bin/env bash
# run.sh — tide-train-mf benchmarks against implicit/numpy (bench.py) on ml-latest-small
# (leave-last split) and on a generated MovieLens-20M-shaped dataset (138k users, 27k items,
# ~10M interactions, Zipf item popularity). Needs a release build in build/ and
# `scripts/install-deps.sh --bench` (or PYTHON=/path/to/venv/python with implicit, scipy,
# threadpoolctl). Usage: bench/train-mf/run.sh [--skip-20m] [--als-only] [--repeat N] [--threads N]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=2; big=1; extra="--bpr --ease"; extra20="--bpr"; rep=3; rep20=2
while [ $# -gt 0 ]; do case "$1" in
    --skip-20m) big=0 ;; --threads) threads=$2; shift ;; --als-only) extra=""; extra20="" ;;
    --repeat) rep=$2; rep20=$2; shift ;;
esac; shift; done
py=${PYTHON:-build/venv/bin/python}
tmp=${TMPDIR:-/tmp}/tide-bench-mf; mkdir -p "$tmp"
libs="-lopenblas -llapacke -lcjson -lutf8proc -lz -lm -fopenmp"
cc -O2 -Iinclude -I/usr/include/x86_64-linux-gnu/openblas-pthread bench/train-mf/csv2ds.c build/libtide.a $libs -o "$tmp/csv2ds"
cc -O2 -I/usr/include/x86_64-linux-gnu/openblas-pthread bench/train-mf/sgemm.c -lopenblas -o "$tmp/sgemm"
[ -d "$tmp/ml-latest-small" ] || "$tmp/csv2ds" ../shared/data/ml-latest-small/ratings.csv "$tmp/ml-latest-small" --leave-last
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
# tide programs re-exec with the OpenBLAS core the library misdetects (--version names it); the
# sgemm helper does not, so give it the same core for a fair ceiling.
core=$(build/bin/tide-train-mf --version | sed -n 's/^OpenBLAS core: //p')
gf=$(OPENBLAS_CORETYPE=${core:-} "$tmp/sgemm" "$threads")
"$py" bench/train-mf/bench.py --tide build/bin/tide-train-mf --data "$tmp/ml-latest-small" --threads "$threads" \
    --tmp "$tmp" --sgemm-gflops "$gf" --iterations 10 --repeat "$rep" $extra
if [ $big -eq 1 ]; then
    [ -d "$tmp/ml20m-shaped" ] || build/tests/test-synth --split "$tmp/ml20m-shaped" 138000 27000 10000000 20 1.0
    # EASE is left out here: 27,000 items need a 2.9 GB Gram matrix and ~7 TFLOP of Cholesky.
    "$py" bench/train-mf/bench.py --tide build/bin/tide-train-mf --data "$tmp/ml20m-shaped" --threads "$threads" \
        --tmp "$tmp" --sgemm-gflops "$gf" --iterations 4 --repeat "$rep20" $extra20
fi
