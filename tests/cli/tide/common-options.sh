# The shared option parser: value checks and --threads bounds are usage errors (exit 2);
# a write to a full device is a runtime failure (exit 1), never a silent success.
run tide-datagen --out "$T/x" --threads 0
assert_exit 2
assert_stderr_has "--threads must be between 1 and 4096"
run tide-datagen --out "$T/x" --users abc
assert_exit 2
assert_stderr_has "--users expects an integer, got 'abc'"
run tide-datagen --out "$T/x" --seed
assert_exit 2
assert_stderr_has "--seed needs a value"
run tide-datagen --out=/dev/full/x --users 5 --items 5 --events 10 --topics 2
assert_exit 1
if [ -w /dev/full ]; then
    set +e; "$TIDE_BIN/tide-datagen" --help >/dev/full 2>"$RUN_ERR"; RUN_RC=$?; set -e
    assert_exit 1
    assert_stderr_has "writing standard output failed"
fi
