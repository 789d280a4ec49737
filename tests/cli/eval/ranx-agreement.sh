# ranx-agreement: on the committed fixture (tests/fixtures/eval, made by make_fixtures.py with
# ranx), every metric@K of tide-eval equals ranx's to 1e-9, binary and graded, TSV and JSONL.
F="$SRC/tests/fixtures/eval"
check() { # check JSON MODE
    local bad
    bad=$(jq -n --slurpfile a "$1" --slurpfile e "$F/expected.json" --arg mode "$2" '
        [$e[0][$mode] | to_entries[] | . as $x
         | ($a[0].runs[0].metrics[$x.key]) as $v
         | select($v == null or (($v - $x.value) | if . < 0 then -. else . end) > 1e-9)
         | "\($x.key): tide \($v) ranx \($x.value)"] | .[]')
    [ -z "$bad" ] || fail "disagreement with ranx ($2): $bad"
}
run tide-eval --truth "$F/truth.tsv" --recs "$F/run.tsv" --k 1,3,5,10,20 --bootstrap 0 --permutations 0 --json out.json -q
assert_exit 0
check out.json binary
assert_eq "$(json_get out.json '.runs[0].users.evaluated')" "$(json_get "$F/expected.json" .users_evaluated)"
assert_eq "$(json_get out.json '.runs[0].users.without_recs')" "$(json_get "$F/expected.json" .users_without_recs)"
assert_eq "$(json_get out.json '.runs[0].users.without_truth')" "$(json_get "$F/expected.json" .users_without_truth)"
run tide-eval --truth "$F/truth.tsv" --recs "$F/run.jsonl" --k 1,3,5,10,20 --bootstrap 0 --json out2.json -q
assert_exit 0
check out2.json binary
run tide-eval --truth "$F/truth.tsv" --recs "$F/run.tsv" --k 1,3,5,10,20 --graded --bootstrap 0 --json out3.json -q
assert_exit 0
jq '.graded |= with_entries(select(.key | startswith("ndcg")))' "$F/expected.json" > exp-graded.json
F_SAVE="$F"; F="$T"; cp exp-graded.json "$T/expected.json"; check out3.json graded; F="$F_SAVE"
