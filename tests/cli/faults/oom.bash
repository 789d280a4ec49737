# oom.bash — out-of-memory fault injection for one program (sourced by oom-<program>.sh with
# OOM_PROG set): counts the allocations tide's code makes on the fixture run (TIDE_FAIL_ALLOC=0),
# then fails the N-th for every N up to that count (a stride above the first OOM_DENSE, so a run
# stays within OOM_MAX tries) and requires exit 1 with a message naming memory each time, or exit
# 0 where the failure was survivable. In the AddressSanitizer build leak checking is on, so a
# failure path that leaks (or any memory error) fails the case; only the OpenMP and OpenBLAS
# runtimes' own allocations are suppressed (lsan.supp).
source "$SRC/tests/cli/faults/common.bash"
fixture fx
mkdir -p out
set -- $(prog_cmd "$OOM_PROG" fx out | sed "s|^tide-|$B/tide-|")
DENSE=60 MAX=90
if is_asan; then
    DENSE=30 MAX=50
    export ASAN_OPTIONS="detect_leaks=1:exitcode=86"
    export LSAN_OPTIONS="suppressions=$SRC/tests/cli/faults/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:exitcode=88"
fi
# TIDE_OOM_FULL=1: every N, however many (for a full sweep by hand; CI keeps the bound)
[ "${TIDE_OOM_FULL:-0}" = 1 ] && DENSE=1000000 MAX=1000001
TIDE_FAIL_ALLOC=0 "$@" -q >/dev/null 2>count.err || { cat count.err; fail "$OOM_PROG: the fixture run failed"; }
K=$(sed -n 's/^tide: \([0-9]*\) allocations$/\1/p' count.err)
[ -n "$K" ] && [ "$K" -gt 0 ] || fail "$OOM_PROG: no allocation count (is the --wrap hook linked?)"
stride=1
[ "$K" -gt "$DENSE" ] && stride=$(( (K - DENSE + MAX - DENSE - 1) / (MAX - DENSE) ))
tried=0 failed_clean=0
for ((n = 1; n <= K; n += (n < DENSE ? 1 : stride))); do
    set +e
    TIDE_FAIL_ALLOC=$n timeout -s KILL 60 "$@" -q >/dev/null 2>err
    rc=$?
    set -e
    tried=$((tried + 1))
    case $rc in
    0) ;;
    1) grep -qi "memory" err || { cat err; fail "$OOM_PROG: allocation $n failed: exit 1 without naming memory"; }
       failed_clean=$((failed_clean + 1)) ;;
    *) head -c 3000 err; fail "$OOM_PROG: allocation $n failed: exit $rc (crash, leak or hang)" ;;
    esac
    ls -a out | grep -q '\.tmp\.' && { ls -a out; fail "$OOM_PROG: allocation $n failed: temporaries left"; }
done
echo "$OOM_PROG: $K allocations, $tried injected failures ($failed_clean exit 1, $((tried - failed_clean)) survived), all clean$(is_asan && echo ' under ASan with leak checking')"
