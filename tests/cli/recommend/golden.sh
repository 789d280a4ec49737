# Golden lists: tide-recommend's output for every algorithm and scoring rule (als, bpr, ease,
# itemknn, pop, contextual pop with both kernels, ALS fold-in with and without the fading
# preference, decayed ease/itemknn, users not in the model (fold-in, popularity), candidates,
# MMR, exclusions, --users, jsonl, content retrieval, another dataset) must stay byte-identical.
# The datasets and model dirs are committed (tests/fixtures/recommend-golden/make-models.sh made
# them) so that only scoring is under test. The expected files were recorded with main before
# the scorer redesign of issue 12. TIDE_GOLDEN_UPDATE=1 rewrites them (then review the diff).
G="$SRC/tests/fixtures/recommend-golden"
D="$G/d/train"
V="$G/d/valid"
M="$G/m"
FR="$G/fr"
printf 'i3\ni7\ni11\ni12\ni20\ni21\ni30\ni33\ni40\ni41\ni42\ni50\ni55\ni58\ni59\n' > cand.txt
printf 'u5\nu0\nu77\nu31\n' > users.txt
printf 'u0\ti19\nu0\ti2\nu5\ti28\nu9\tnope\n' > excl.txt
n=0
check() { # check NAME ARGS... — run tide-recommend ARGS, compare stdout with expected/NAME
    local name=$1; shift
    run tide-recommend "$@"
    assert_exit 0
    n=$((n + 1))
    if [ "${TIDE_GOLDEN_UPDATE:-0}" = 1 ]; then
        mkdir -p "$G/expected"
        cp "$RUN_OUT" "$G/expected/$name"
    else
        cmp -s "$G/expected/$name" "$RUN_OUT" || { diff "$G/expected/$name" "$RUN_OUT" | head -20 >&2; fail "$name: output differs from the golden file"; }
    fi
}
for m in als bpr ease itemknn pop pop-ctx pop-past als-fold als-fade ease-latest itemknn-user; do
    check $m.tsv --data "$D" --model "$M/$m" --k 10
    check $m-cand.tsv --data "$D" --model "$M/$m" --k 5 --candidates cand.txt
    check $m-t2.tsv --data "$D" --model "$M/$m" --k 7 --threads 2 --user-block 16 --item-block 13
done
# Another part of the split (new histories, other decay references, fold-in of new events).
for m in als ease itemknn-user pop-ctx als-fold als-fade ease-latest; do
    check $m-valid.tsv --data "$V" --model "$M/$m" --k 10 --allow-new-data
done
# Users not in the model: ALS folds in, BPR and EASE fall back to popularity.
for m in als bpr ease; do
    check fr-$m.tsv --data "$FR/data" --model "$FR/$m" --k 5
    check fr-$m-cand.tsv --data "$FR/data" --model "$FR/$m" --k 5 --candidates cand.txt
done
# MMR: factor vectors, and explicit item vectors for a history model.
check als-mmr.tsv --data "$D" --model "$M/als" --k 10 --diversity 0.3
check als-mmr-pool.tsv --data "$D" --model "$M/als" --k 5 --diversity 0.7 --pool 20 --candidates cand.txt
check ease-mmr.tsv --data "$FR/data" --model "$FR/ease" --k 6 --diversity 0.5 --item-vectors "$FR/item_vectors.npy"
check pop-mmr.tsv --data "$FR/data" --model "$M/pop" --k 6 --diversity 0.5 --item-vectors "$FR/item_vectors.npy" --allow-new-data
# Exclusions, kept history, user lists, JSON lines, shards.
check als-excl.tsv --data "$D" --model "$M/als" --k 10 --exclude excl.txt
check ease-keep.tsv --data "$D" --model "$M/ease" --k 10 --keep-seen
check itemknn-users.tsv --data "$D" --model "$M/itemknn" --k 10 --users users.txt
check pop-ctx-users.jsonl --data "$D" --model "$M/pop-ctx" --k 4 --users users.txt --format jsonl
check bpr-shard.tsv --data "$D" --model "$M/bpr" --k 10 --shard 1/3 --user-block 16
# Content retrieval: query vectors against item vectors.
check query.tsv --query-vectors "$FR/item_vectors.npy" --item-vectors "$FR/item_vectors.npy" --k 5
check query-data.tsv --query-vectors "$FR/item_vectors.npy" --item-vectors "$FR/item_vectors.npy" --data "$FR/data" --k 5
echo "$n golden lists compared"
