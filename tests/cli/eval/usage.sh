# usage: usage errors exit 2 with a message; --help documents the options.
printf 'u1\ti1\n' > truth.tsv
printf 'u1\ti1\t1\t1\n' > recs.tsv
run tide-eval --recs recs.tsv
assert_exit 2
assert_stderr_has '--truth is required'
run tide-eval --truth truth.tsv
assert_exit 2
assert_stderr_has 'at least one --recs'
run tide-eval --truth truth.tsv --recs recs.tsv --k 5,x
assert_exit 2
assert_stderr_has '--k expects'
run tide-eval --truth truth.tsv --recs recs.tsv --k 0
assert_exit 2
run tide-eval --truth truth.tsv --recs recs.tsv --format csv
assert_exit 2
run tide-eval --truth truth.tsv --recs recs.tsv --item-vectors v.npy
assert_exit 2
assert_stderr_has '--item-vectors needs an item dictionary'
run tide-eval --truth truth.tsv --recs - --compare -
assert_exit 2
run tide-eval --truth truth.tsv --recs missing.tsv
assert_exit 1
assert_stderr_has 'missing.tsv: cannot open'
run tide-eval --help
assert_exit 0
assert_stdout_has '--bootstrap'
assert_stdout_has '--segments'
