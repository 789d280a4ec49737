# Usage errors exit 2 with a message and write nothing.
printf 'u,i,t\na,x,1\n' > in.csv
run tide-ingest in.csv --user-col u --item-col i --time-col t
assert_exit 2
assert_stderr_has "--out DIR is required"
run tide-ingest --user-col u --item-col i --time-col t --out ds
assert_exit 2
assert_stderr_has "missing argument"
run tide-ingest in.csv --item-col i --time-col t --out ds
assert_exit 2
assert_stderr_has "--user-col is required"
run tide-ingest in.csv --user-col u --item-col i --time-col t --time-format days --out ds
assert_exit 2
assert_stderr_has "--time-format must be"
run tide-ingest in.csv --user-col u --item-col i --time-col t --aggregate mean --out ds
assert_exit 2
run tide-ingest in.csv --user-col u --item-col i --time-col t --event-weight view=1 --out ds
assert_exit 2
assert_stderr_has "--event-weight needs --event-col"
run tide-ingest in.csv --user-col u --item-col i --time-col t --event-col e --event-weight view --out ds
assert_exit 2
assert_stderr_has "not NAME=WEIGHT"
run tide-ingest in.csv --user-col u --item-col i --time-col t --bogus --out ds
assert_exit 2
assert_stderr_has "unknown option '--bogus'"
run tide-ingest - - --user-col u --item-col i --time-col t --out ds
assert_exit 2
assert_stderr_has "standard input"
assert_no_file ds
