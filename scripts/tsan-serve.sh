#!/usr/bin/env bash
# tsan-serve.sh — tide-serve's CLI cases (tests/cli/serve) against a ThreadSanitizer build of
# tide-serve (build/tsan), the other programs they call from build/release (a TSan build of the
# BLAS programs is not what is under test). OpenMP runs serially (TIDE_THREADS=1): libgomp is not
# TSan-instrumented, so its barriers are invisible and every parallel region reports false races;
# the server's own threads (libmicrohttpd's connection threads, the log writer, the
# --events-from reader) are all still there. Exits 1 when a case fails or TSan reports anything;
# reports are kept under build/tsan/reports/. TSAN_THREADS=2 runs OpenMP with 2 threads instead
# (expect libgomp false positives). Results: tests/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ -x build/release/bin/tide-ingest ] || { echo "tsan-serve.sh: build the release build first" >&2; exit 2; }
cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIDE_SANITIZE_THREAD=ON -DTIDE_BUILD_BENCH=OFF >/dev/null
cmake --build build/tsan -j "$(nproc)" --target tide-serve >/dev/null
bin=build/tsan/mixed/bin
rm -rf build/tsan/mixed build/tsan/reports
mkdir -p "$bin" build/tsan/reports build/tsan/test-tmp
ln -s "$root/build/release/tests" build/tsan/mixed/tests
for f in build/release/bin/*; do ln -s "$root/$f" "$bin/"; done
ln -sf "$root/build/tsan/bin/tide-serve" "$bin/tide-serve"
failed=0
for c in tests/cli/serve/*.sh; do
    n=$(basename "$c" .sh)
    rc=0
    TIDE_BIN="$root/$bin" TIDE_TEST_TMP="$root/build/tsan/test-tmp" TIDE_SOURCE_DIR="$root" TIDE_THREADS="${TSAN_THREADS:-1}" \
        OMP_NUM_THREADS="${TSAN_THREADS:-1}" OPENBLAS_NUM_THREADS=1 \
        TSAN_OPTIONS="log_path=$root/build/tsan/reports/$n exitcode=0 second_deadlock_stack=1" \
        bash "$root/tests/cli/run-case.sh" "$root/$c" > "build/tsan/reports/out-$n.txt" 2>&1 || rc=$?
    reports=$(cat build/tsan/reports/"$n".* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer' || true)
    echo "tsan-serve: $n: exit $rc, $reports report(s)"
    [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || failed=1
    [ "$reports" -eq 0 ] || failed=1
done
exit $failed
