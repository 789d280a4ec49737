# --help and --version exit 0 on stdout; the help names both methods and the exit codes.
run tide-split --help
assert_exit 0
assert_stdout_has "Usage: tide-split --data DIR --out OUT --method leave-last|time"
assert_stdout_has "--test-fraction F"
assert_stdout_has "train_valid"
assert_stdout_has "Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data"
run tide-split --version
assert_exit 0
assert_stdout_has "tide-split 0.1.0"
