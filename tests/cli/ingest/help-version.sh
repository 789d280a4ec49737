# --help and --version exit 0 on stdout; the help names every option group and the exit codes.
run tide-ingest --help
assert_exit 0
assert_stdout_has "Usage: tide-ingest [options] INPUT... --out DIR"
assert_stdout_has "--max-errors N"
assert_stdout_has "--text-events FILE"
assert_stdout_has "Exit codes: 0 ok"
run tide-ingest --version
assert_exit 0
assert_stdout_has "tide-ingest 0.1.0"
run tide ingest --version
assert_exit 0
assert_stdout_has "tide-ingest"
