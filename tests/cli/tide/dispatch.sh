# `tide <cmd>` runs tide-<cmd> from the same directory; unknown commands are usage errors (2).
run tide --version
assert_exit 0
assert_stdout_has "tide 0."
assert_stdout_has "(git "
run tide datagen --help
assert_exit 0
assert_stdout_has "Usage: tide-datagen"
assert_stdout_has "Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data, 4 backend unavailable"
run tide no-such-command
assert_exit 2
assert_stderr_has "unknown command 'no-such-command'"
run tide
assert_exit 2
run tide datagen --version
assert_exit 0
assert_stdout_has "tide-datagen 0."
