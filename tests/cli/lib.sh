# lib.sh — helpers for CLI test cases (sourced by run-case.sh before the case).
# A case runs programs with `run PROG ARGS...`, which records exit code, stdout and stderr, then
# asserts with the functions below. Any failed assertion exits the case non-zero.

RUN_OUT="$T/stdout"; RUN_ERR="$T/stderr"; RUN_RC=0

run() {
    local prog="$1"; shift
    set +e
    "$TIDE_BIN/$prog" "$@" >"$RUN_OUT" 2>"$RUN_ERR"
    RUN_RC=$?
    set -e
}

# Like run, with standard input from a file.
run_in() {
    local input="$1" prog="$2"; shift 2
    set +e
    "$TIDE_BIN/$prog" "$@" <"$input" >"$RUN_OUT" 2>"$RUN_ERR"
    RUN_RC=$?
    set -e
}

# A case that cannot run here exits 77, which ctest reports as skipped (never as passed).
skip() { echo "SKIP: $*"; exit 77; }
# The same for want of the language model; CI sets TIDE_REQUIRE_LM=1 to make it a failure.
skip_lm() { if [ "${TIDE_REQUIRE_LM:-0}" = 1 ]; then fail "$* (and TIDE_REQUIRE_LM=1)"; fi; skip "$*"; }

fail() { echo "FAIL: $*" >&2; echo "--- stdout"; head -c 4000 "$RUN_OUT"; echo "--- stderr"; head -c 4000 "$RUN_ERR"; exit 1; }

assert_exit() { [ "$RUN_RC" -eq "$1" ] || fail "exit code $RUN_RC, expected $1"; }
assert_stderr_has() { grep -qF -- "$1" "$RUN_ERR" || fail "stderr lacks: $1"; }
assert_stdout_has() { grep -qF -- "$1" "$RUN_OUT" || fail "stdout lacks: $1"; }
assert_stdout_empty() { [ ! -s "$RUN_OUT" ] || fail "stdout not empty"; }
assert_stdout_eq() { diff -u "$1" "$RUN_OUT" >&2 || fail "stdout differs from $1"; }
assert_file() { [ -e "$1" ] || fail "missing file $1"; }
assert_no_file() { [ ! -e "$1" ] || fail "file should not exist: $1"; }
assert_eq() { [ "$1" = "$2" ] || fail "expected '$2', got '$1' ${3:-}"; }
# No temporary leftovers (".name.tmp.XXXXXX") in a directory.
assert_no_tmp() { ! ls -a "$1" | grep -q '\.tmp\.' || fail "temporary files left in $1"; }
# JSON value at a jq path: json_get FILE .counts.users
json_get() { jq -r "$2" "$1"; }
