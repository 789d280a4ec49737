# --diversity: LAMBDA=0 gives exactly the plain top-K (with and without a larger pool); LAMBDA>0
# re-ranks within the pool (first item unchanged, lists differ somewhere); models without factors
# need --item-vectors.
source "$SRC/tests/cli/recommend/fixture.bash"
"$GEN" --models fr --users 80 --items 120 --dim 8 --seen 5 --seed 9 --algos als,ease || fail "gen"
run tide-recommend --data fr/data --model fr/als --k 6 --out plain.tsv
assert_exit 0
run tide-recommend --data fr/data --model fr/als --k 6 --diversity 0 --out d0.tsv
assert_exit 0
cmp plain.tsv d0.tsv || fail "lambda 0 differs from plain"
run tide-recommend --data fr/data --model fr/als --k 6 --diversity 0 --pool 60 --out d0p.tsv
assert_exit 0
cmp plain.tsv d0p.tsv || fail "lambda 0 with a pool differs from plain"
run tide-recommend --data fr/data --model fr/als --k 6 --diversity 0.6 --out d6.tsv
assert_exit 0
cmp -s plain.tsv d6.tsv && fail "lambda 0.6 changed nothing"
assert_eq "$(awk -F'\t' '$3 == 1' d6.tsv | cut -f1,2)" "$(awk -F'\t' '$3 == 1' plain.tsv | cut -f1,2)"
assert_eq "$(wc -l < d6.tsv)" "$(wc -l < plain.tsv)"
run tide-recommend --data fr/data --model fr/ease --k 6 --diversity 0.5
assert_exit 2
assert_stderr_has "needs --item-vectors"
run tide-recommend --data fr/data --model fr/ease --k 6 --diversity 0.5 --item-vectors fr/item_vectors.npy --out e.tsv
assert_exit 0
run tide-recommend --data fr/data --model fr/als --k 6 --diversity 1.5
assert_exit 2
assert_stderr_has "diversity"
