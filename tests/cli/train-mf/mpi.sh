# Distributed ALS: 2 MPI ranks give the single-process factors (to 1e-4). Skipped (77) unless
# tide-train-mf was built with -DTIDE_MPI=ON and mpirun is available; with TIDE_REQUIRE_MPI=1
# (the CI's MPI job) those are failures instead.
. "$(dirname "${BASH_SOURCE[0]}")/common.inc"
skip() { if [ "${TIDE_REQUIRE_MPI:-0}" = 1 ]; then fail "$1 (TIDE_REQUIRE_MPI=1)"; fi; echo "skip: $1"; exit 77; }
command -v mpirun >/dev/null || skip "no mpirun"
# ldd's output taken whole (a `ldd | grep -q` pipe can fail on SIGPIPE under pipefail)
case "$(ldd "$TIDE_BIN/tide-train-mf")" in *libmpi*) ;; *) skip "tide-train-mf built without MPI" ;; esac
"$SYNTH" --write "$T/d" 500 200 10000 6
# k = 8 runs the portable CG solve, k = 32 the AVX-512 one where the CPU has it.
for f in 8 32; do
args=(--data "$T/d" --factors $f --iterations 5 --threads 1 --seed 2)
run tide-train-mf "${args[@]}" --out "$T/single"
assert_exit 0
set +e
mpirun --oversubscribe --allow-run-as-root -np 2 "$TIDE_BIN/tide-train-mf" "${args[@]}" --out "$T/dist" >"$T/mpi.out" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || { cat "$T/mpi.out"; fail "mpirun exit $rc"; }
if [ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null; then
    "$TIDE_PYTHON" -c '
import sys, numpy as np
for f in ("user_factors", "item_factors"):
    a = np.load(sys.argv[1] + "/single/" + f + ".npy"); b = np.load(sys.argv[1] + "/dist/" + f + ".npy")
    d = np.abs(a - b).max(); print(sys.argv[2], f, "max abs diff", d); assert d <= 1e-4
' "$T" "k=$f" || fail "distributed factors differ (k=$f)"
else
    cmp "$T/single/user_factors.npy" "$T/dist/user_factors.npy" || fail "distributed factors differ (k=$f)"
fi
rm -rf "$T/single" "$T/dist"
done
# Only ALS is distributed.
set +e
mpirun --oversubscribe --allow-run-as-root -np 2 "$TIDE_BIN/tide-train-mf" --algo ease --data "$T/d" --out "$T/e" >"$T/mpi.out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || { cat "$T/mpi.out"; fail "expected exit 2 for ease under MPI, got $rc"; }
