# bad-input: every rejected recommendation/truth/segments line is exit 3 with "file:line: reason",
# and a failed run leaves an existing --json output untouched.
printf 'u1\ti1\nu2\ti2\t2\n' > truth.tsv
printf 'u1\tlight\n' > seg.tsv
expect_bad() { # expect_bad CONTENT FILE:LINE REASON [extra args]
    local content="$1" where="$2" reason="$3"; shift 3
    printf "$content" > recs.tsv
    run tide-eval --truth truth.tsv --recs recs.tsv "$@"
    assert_exit 3
    assert_stderr_has "$where: $reason"
}
expect_bad 'u1\ti1\t1\n' 'recs.tsv:1' 'malformed line: expected 4 tab-separated fields'
expect_bad 'u1\ti1\t1\t0.5\t7\n' 'recs.tsv:1' 'malformed line'
expect_bad 'u1\ti1\t1\t0.5\nu1\ti2\tx2\t0.4\n' 'recs.tsv:2' "rank 'x2' is not a positive integer"
expect_bad 'u1\ti1\t0\t0.5\n' 'recs.tsv:1' "rank '0' is not a positive integer"
expect_bad 'u1\ti1\t1\tabc\n' 'recs.tsv:1' "score 'abc' is not a number"
expect_bad 'u1\ti1\t1\tnan\n' 'recs.tsv:1' "score 'nan' is not a number"
expect_bad 'u1\ti1\t2\t0.5\nu1\ti2\t2\t0.4\n' 'recs.tsv:2' 'rank 2 does not increase'
expect_bad 'u1\ti1\t2\t0.5\nu1\ti2\t1\t0.4\n' 'recs.tsv:2' 'rank 1 does not increase'
expect_bad 'u1\ti1\t1\t0.5\nu1\ti1\t2\t0.4\n' 'recs.tsv:2' "duplicate item 'i1' in the list of user 'u1'"
expect_bad 'u1\ti1\t1\t0.5\nu2\ti2\t1\t0.4\nu1\ti3\t2\t0.1\n' 'recs.tsv:3' "lines of user 'u1' are not grouped"
expect_bad '\ti1\t1\t0.5\n' 'recs.tsv:1' 'empty user id'
# JSONL
printf '{"user":"u1","item":"i1","rank":1,"score":0.5}\n{"user":"u1","item":"i2","rank":"2","score":0.4}\n' > recs.jsonl
run tide-eval --truth truth.tsv --recs recs.jsonl
assert_exit 3
assert_stderr_has 'recs.jsonl:2: rank is missing or not a positive integer'
printf '{"user":"u1","item":"i1","rank":1,"score":0.5}\n{"user":"u1",\n' > recs.jsonl
run tide-eval --truth truth.tsv --recs recs.jsonl
assert_exit 3
assert_stderr_has 'recs.jsonl:2: malformed line: not a JSON object'
printf '{"user":"u1","item":"i1","rank":1,"score":"high"}\n' > recs.jsonl
run tide-eval --truth truth.tsv --recs recs.jsonl
assert_exit 3
assert_stderr_has 'recs.jsonl:1: score is missing or not a number'
# truth and segments files
printf 'u1\ti1\t1\t0.5\n' > recs.tsv
printf 'u1\ti1\nu2\n' > badtruth.tsv
run tide-eval --truth badtruth.tsv --recs recs.tsv
assert_exit 3
assert_stderr_has 'badtruth.tsv:2: malformed line'
printf 'u1\ti1\tmany\n' > badtruth.tsv
run tide-eval --truth badtruth.tsv --recs recs.tsv
assert_exit 3
assert_stderr_has "badtruth.tsv:1: weight 'many' is not a number"
printf 'u1\tlight\nu1\theavy\n' > seg.tsv
run tide-eval --truth truth.tsv --recs recs.tsv --segments seg.tsv
assert_exit 3
assert_stderr_has "seg.tsv:2: user 'u1' has a label already"
printf 'u1 light\n' > seg.tsv
run tide-eval --truth truth.tsv --recs recs.tsv --segments seg.tsv
assert_exit 3
assert_stderr_has 'seg.tsv:1: malformed line'
# A failed run keeps the previous output.
run tide-eval --truth truth.tsv --recs recs.tsv --json out.json -B 10
assert_exit 0
cp out.json before.json
printf 'u1\ti1\t1\n' > recs.tsv
run tide-eval --truth truth.tsv --recs recs.tsv --json out.json -B 10
assert_exit 3
cmp -s out.json before.json || fail "out.json changed by a failed run"
assert_no_tmp .
# A negative weight is only an error for graded gains.
printf 'u1\ti1\t-2\n' > negtruth.tsv
printf 'u1\ti1\t1\t0.5\n' > recs.tsv
run tide-eval --truth negtruth.tsv --recs recs.tsv -B 0
assert_exit 0
run tide-eval --truth negtruth.tsv --recs recs.tsv -B 0 --graded
assert_exit 3
assert_stderr_has 'negtruth.tsv:1: weight -2 (--graded needs finite weights >= 0'
