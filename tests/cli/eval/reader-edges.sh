# reader-edges: CRLF, a last line without newline, blank lines, long lists (the duplicate set
# grows), rank gaps (ranks, not line order, give positions) and exact field-count messages.
printf 'u1\ti1\nu1\ti2\nu2\ti3\n' > truth.tsv
printf 'u1\ti9\t1\t0.5\r\nu1\ti1\t2\t0.4\r\n\r\nu2\ti3\t1\t1' > crlf.tsv
run tide-eval --truth truth.tsv --recs crlf.tsv --k 1,2 -B 0 --json a.json
assert_exit 0
assert_eq "$(json_get a.json '.runs[0].metrics["hit@2"]')" 1
assert_eq "$(json_get a.json '.runs[0].metrics["precision@1"]')" 0.5
assert_eq "$(json_get a.json '.inputs.recs[0].lines')" 4
# u1: i1 at rank 3 (ranks 1 and 2 absent): not in the top 2, reciprocal rank 1/3 at K = 5.
printf 'u1\ti1\t3\t0.5\nu2\ti3\t1\t1\n' > gap.tsv
run tide-eval --truth truth.tsv --recs gap.tsv --k 2,5 -B 0 --json g.json
assert_exit 0
assert_eq "$(json_get g.json '.runs[0].metrics["hit@2"]')" 0.5
awk -v v="$(json_get g.json '.runs[0].metrics["mrr@5"]')" 'BEGIN { d = v - (1/3 + 1)/2; exit !(d < 1e-12 && d > -1e-12) }' || fail "mrr@5 with a gap: $(json_get g.json '.runs[0].metrics["mrr@5"]')"
# 3000 recommendations for one user, then a duplicate at the end.
awk 'BEGIN { for (r = 1; r <= 3000; r++) printf "u1\tx%d\t%d\t%g\n", r, r, 1 / r }' > long.tsv
run tide-eval --truth truth.tsv --recs long.tsv -B 0
assert_exit 0
printf 'u1\tx17\t3001\t0\n' >> long.tsv
run tide-eval --truth truth.tsv --recs long.tsv -B 0
assert_exit 3
assert_stderr_has "long.tsv:3001: duplicate item 'x17' in the list of user 'u1'"
printf 'u1\ti1\t1\t0.5\textra\n' > five.tsv
run tide-eval --truth truth.tsv --recs five.tsv
assert_exit 3
assert_stderr_has 'five.tsv:1: malformed line: expected 4 tab-separated fields'
assert_stderr_has 'found 5'
printf 'u1 i1 1 0.5\n' > spaces.tsv
run tide-eval --truth truth.tsv --recs spaces.tsv
assert_exit 3
assert_stderr_has 'spaces.tsv:1: malformed line'
assert_stderr_has 'found 1'
# scores: exponents and infinities are numbers
printf 'u1\ti1\t1\t-1.5e-3\nu1\ti2\t2\t-inf\n' > sc.tsv
run tide-eval --truth truth.tsv --recs sc.tsv -B 0
assert_exit 0
