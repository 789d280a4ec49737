# --name a,b,c names three runs (comma-separated, like --k; repeating --name works too) and never
# one run called "a,b,c"; an empty name is a usage error. A metric no user defines
# (diversity@1: a one-item list has no pairs) prints "-" in the comparison table, never "nan".
"$TIDE_BIN/../tests/test-synth" --models fx --int --users 40 --items 30 --dim 4 --seen 4 --seed 2 --algos als,pop || fail gen
run tide-recommend --data fx/data --model fx/als --k 5 --out a.tsv
assert_exit 0
run tide-recommend --data fx/data --model fx/pop --k 5 --out b.tsv
assert_exit 0
awk 'NR % 3 == 0 {print $1 "\t" $2}' a.tsv > truth.tsv
awk 'NR % 4 == 0 {print $1 "\t" $2}' b.tsv >> truth.tsv
run tide-eval --truth truth.tsv --recs a.tsv --recs b.tsv --recs a.tsv --name x,y,z --bootstrap 0 --json out.json
assert_exit 0
assert_eq "$(json_get out.json '[.runs[].name] | join(" ")')" "x y z"
run tide-eval --truth truth.tsv --recs a.tsv --recs b.tsv --name x --name y --bootstrap 0 --json out2.json
assert_exit 0
assert_eq "$(json_get out2.json '[.runs[].name] | join(" ")')" "x y"
run tide-eval --truth truth.tsv --recs a.tsv --name x,y
assert_exit 2
assert_stderr_has "more --name than runs"
for bad in "x," ",x" "x,,y" ""; do
    run tide-eval --truth truth.tsv --recs a.tsv --recs b.tsv --name "$bad"
    assert_exit 2
    assert_stderr_has "--name: empty run name"
done
run tide-eval --truth truth.tsv --recs a.tsv --compare b.tsv --item-vectors fx/item_vectors.npy --train fx/data \
    --k 1,5 --bootstrap 50 --permutations 50
assert_exit 0
grep -qi nan "$RUN_OUT" && fail "the table prints nan"
grep -E '^diversity@1 +- +- +- ' "$RUN_OUT" >/dev/null || fail "diversity@1 is not shown as undefined"
grep -E '^diversity@5 +[0-9]' "$RUN_OUT" >/dev/null || fail "diversity@5 missing"
