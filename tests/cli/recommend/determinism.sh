# Same inputs → same bytes: across runs, and across thread counts (blocks, not threads, decide
# the arithmetic). Real-valued factors so any change of summation order would show.
source "$SRC/tests/cli/recommend/fixture.bash"
"$GEN" --models fr --users 300 --items 500 --dim 32 --seen 20 --seed 5 --algos als,ease,itemknn || fail "gen"
for algo in als ease itemknn; do
    run tide-recommend --data fr/data --model fr/$algo --k 10 --threads 2 --user-block 16 --out a.tsv
    assert_exit 0
    run tide-recommend --data fr/data --model fr/$algo --k 10 --threads 2 --user-block 16 --out b.tsv
    assert_exit 0
    cmp a.tsv b.tsv || fail "$algo: two runs differ"
    run tide-recommend --data fr/data --model fr/$algo --k 10 --threads 1 --user-block 16 --out c.tsv
    assert_exit 0
    cmp a.tsv c.tsv || fail "$algo: 1 and 2 threads differ"
done
# Score column: 9 significant digits.
awk -F'\t' 'NF != 4 || $3 < 1 || $3 > 10 { exit 1 }' a.tsv || fail "malformed lines"
awk -F'\t' '{ s = $4; sub(/^-/, "", s); sub(/e.*/, "", s); gsub(/\./, "", s); sub(/^0+/, "", s)
               if (length(s) > 9) bad = 1; if (length(s) == 9) nine++ }
             END { exit bad || !nine }' a.tsv || fail "scores not printed with 9 significant digits"
