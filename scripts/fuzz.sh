#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...] — builds the libFuzzer targets (build/fuzz: clang, libtide itself
# instrumented with -fsanitize=fuzzer-no-link,address,undefined) and runs each for SECONDS
# (default 5) on a scratch copy of its corpus tests/fuzz/corpus/<target>, so the repository's
# corpus is never modified. Exits non-zero when a target finds a crash, leak, timeout or
# sanitizer report (the reproducer is kept under build/fuzz/findings/<target>/). CI runs it from
# scripts/test.sh with a few seconds per target; long campaigns: see tests/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
shift || true
if ! command -v clang >/dev/null; then
    echo "fuzz.sh: clang not found (scripts/install-deps.sh installs it)" >&2
    exit 77
fi
probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$probe/p.c"
if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null; then
    rm -rf "$probe"
    echo "fuzz.sh: clang has no libFuzzer (install libclang-rt-dev)" >&2
    exit 77
fi
rm -rf "$probe"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz-*.c; do t=$(basename "$f" .c); targets+=("${t#fuzz-}"); done
fi
CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIDE_FUZZ=ON -DTIDE_BUILD_TOOLS=OFF \
    -DTIDE_BUILD_BENCH=OFF >/dev/null
# clang's warnings on the library are not this script's business: in the log, shown on failure
if ! cmake --build build/fuzz -j "$(nproc)" --target $(printf 'fuzz-%s ' "${targets[@]}") > build/fuzz/build.log 2>&1; then
    tail -50 build/fuzz/build.log >&2
    exit 1
fi
export TIDE_SOURCE_DIR="$PWD"
failed=0
for t in "${targets[@]}"; do
    work=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$t/." "$work/" 2>/dev/null || true
    mkdir -p "build/fuzz/findings/$t"
    set +e
    build/fuzz/bin/fuzz-"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="build/fuzz/findings/$t/" "$work" > "build/fuzz/findings/$t.log" 2>&1
    rc=$?
    set -e
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build/fuzz/findings/$t.log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "build/fuzz/findings/$t.log" | tail -1 | grep -o '[0-9]*' || echo '?')
    echo "fuzz $t: ${secs}s, $execs execs, $cov edges, exit $rc" >&2
    if [ "$rc" -ne 0 ]; then
        failed=1
        tail -40 "build/fuzz/findings/$t.log" >&2
    fi
    rm -rf "$work"
done
exit $failed
