# --shard I/N: the N outputs concatenated are byte-for-byte the unsharded output, for several N,
# with small blocks (so shards hold several blocks and some are empty), TSV and JSONL, --users.
source "$SRC/tests/cli/recommend/fixture.bash"
fixture fx
for fmt in tsv jsonl; do
    run tide-recommend --data fx/data --model fx/als --k 4 --user-block 4 --format $fmt --out full.$fmt
    assert_exit 0
    for n in 1 2 3 7 20; do
        rm -f cat.$fmt
        for ((i = 0; i < n; i++)); do
            run tide-recommend --data fx/data --model fx/als --k 4 --user-block 4 --format $fmt --shard $i/$n --out part.$i
            assert_exit 0
            cat part.$i >> cat.$fmt
        done
        cmp full.$fmt cat.$fmt || fail "shards of $n ($fmt) do not concatenate to the full output"
    done
done
# With a user list (its order is the output order) and real-valued factors.
"$GEN" --models fr --users 90 --items 70 --dim 16 --seen 5 --seed 3 --algos als || fail "gen"
printf 'u17\nu3\nu88\nu0\nu42\nu5\nu6\nu61\nu9\n' > users.txt
run tide-recommend --data fr/data --model fr/als --k 5 --user-block 2 --users users.txt --out full.tsv
assert_exit 0
assert_eq "$(cut -f1 full.tsv | uniq | tr '\n' ' ')" "u17 u3 u88 u0 u42 u5 u6 u61 u9 "
rm -f cat.tsv
for i in 0 1 2; do
    run tide-recommend --data fr/data --model fr/als --k 5 --user-block 2 --users users.txt --shard $i/3 --out -
    assert_exit 0
    cat "$RUN_OUT" >> cat.tsv
done
cmp full.tsv cat.tsv || fail "sharded user list differs"
