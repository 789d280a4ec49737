# --model DIR: a trained tide-train-mf model's ALS item factors (or EASE weights) are used as they
# are instead of fitting them; the settings record the model's rank and regularization (what the
# fold-ins use); a model of another dataset or of another algorithm is bad input (exit 3).
source "$(dirname "$BASH_SOURCE")/common.inc"
"$TIDE_BIN/tide-train-mf" --algo als --data split/train --out als --factors 6 --iterations 2 --regularization 0.3 --quiet
run tide-capture-interest --data split/train --model als --components als,trans --fixed-weights --as-of user \
    --threads 2 --quiet --out int
assert_exit 0
[ "$(json_get int/manifest.json .settings.als_factors)" = 6 ] || fail "the model's rank is not recorded"
[ "$(json_get int/manifest.json .settings.als_regularization)" = 0.3 ] || fail "the model's regularization is not recorded"
# the model's factors as they are, but for items without interactions, which get zero factors
# (no LM space to map them from: docs/tide-capture-interest.md, cold items)
[ "$(stat -c %s als/item_factors.npy)" = "$(stat -c %s int/als_item_factors.npy)" ] || fail "ALS item factors: another shape"
[ -z "$(cmp -l als/item_factors.npy int/als_item_factors.npy | awk '$3 != 0')" ] || \
    fail "the interest dir's ALS item factors are not the model's (beyond zeroed cold items)"
# the fold-ins read back: recommendations from the dir run (tide-recommend folds in with the recorded settings)
run tide-recommend --data split/train --model int --k 5 --out recs.tsv --quiet
assert_exit 0
[ -s recs.tsv ] || fail "no recommendations from the dir"
# a model of another dataset
"$TIDE_BIN/tide-train-mf" --algo als --data split/train_valid --out als2 --factors 6 --iterations 1 --quiet
run tide-capture-interest --data split/train --model als2 --components als --as-of user --quiet --out int2
assert_exit 3
assert_stderr_has "not on --data"
# an algorithm without item factors or weights
"$TIDE_BIN/tide-train-mf" --algo pop --data split/train --out pop --quiet
run tide-capture-interest --data split/train --model pop --components als --as-of user --quiet --out int3
assert_exit 3
assert_stderr_has "als or ease"
run tide-capture-interest --data split/train_valid --update int --model als --as-of user --quiet --out int4
assert_exit 2
