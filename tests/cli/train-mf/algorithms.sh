# Every algorithm writes a complete model directory with the manifest the formats doc promises.
. "$(dirname "${BASH_SOURCE[0]}")/common.inc"
"$SYNTH" --split "$T/d" 300 120 6000 5
for a in als bpr ease itemknn pop; do
    run tide-train-mf --algo $a --data "$T/d/train" --valid "$T/d/valid" --out "$T/m-$a" --factors 8 --iterations 4 --threads 2
    assert_exit 0
    assert_stderr_has "valid NDCG@10"
    m="$T/m-$a/manifest.json"
    assert_eq "$(json_get "$m" .format)" tide-model
    assert_eq "$(json_get "$m" .algorithm)" $a
    assert_eq "$(json_get "$m" .dataset.checksum)" "$(json_get "$T/d/train/manifest.json" .checksum)"
    assert_eq "$(json_get "$m" .dataset.items)" 120
    [ "$(json_get "$m" '.training.log | length')" -ge 1 ] || fail "no training log"
    [ "$(json_get "$m" '.training.log[0]."valid_ndcg@10"')" != null ] || fail "no valid NDCG in the log"
    assert_no_tmp "$T"
done
for f in user_factors item_factors; do assert_file "$T/m-als/$f.npy"; done
assert_file "$T/m-bpr/item_bias.npy"
assert_file "$T/m-ease/item_matrix.npy"
for f in neighbors_indptr neighbors similarities; do assert_file "$T/m-itemknn/$f.npy"; done
assert_file "$T/m-pop/popularity.npy"
assert_eq "$(json_get "$T/m-als/manifest.json" .params.factors)" 8
assert_eq "$(json_get "$T/m-ease/manifest.json" .params.lambda)" 500
# Decay parameters are recorded; --as-of takes a date.
run tide-train-mf --algo itemknn --data "$T/d/train" --out "$T/m-dec" --half-life 30d --as-of 2001-09-09T01:46:40 --similarity bm25
assert_exit 0
assert_eq "$(json_get "$T/m-dec/manifest.json" '.params."half-life"')" 2592000
assert_eq "$(json_get "$T/m-dec/manifest.json" '.params."as-of"')" 1000000000
assert_eq "$(json_get "$T/m-dec/manifest.json" .params.similarity)" bm25
# ease/itemknn: the decay weights the history at scoring; the item-item model is the static one
# unless --decay-fit.
run tide-train-mf --algo itemknn --data "$T/d/train" --out "$T/k-static"
run tide-train-mf --algo itemknn --data "$T/d/train" --out "$T/k-hist" --half-life 1h --as-of user
run tide-train-mf --algo itemknn --data "$T/d/train" --out "$T/k-fit" --half-life 1h --as-of user --decay-fit
cmp "$T/k-static/similarities.npy" "$T/k-hist/similarities.npy" || fail "history decay changed the similarities"
! cmp -s "$T/k-static/similarities.npy" "$T/k-fit/similarities.npy" || fail "--decay-fit did not change the similarities"
assert_eq "$(json_get "$T/k-fit/manifest.json" '.params."decay-fit"')" true
run tide-train-mf --algo pop --data "$T/d/train" --out "$T/p" --decay-fit
assert_exit 2
# The contextual and fold-in options apply where they mean something.
run tide-train-mf --algo pop --data "$T/d/train" --out "$T/p" --half-life 1d --decay-kernel past
assert_exit 2
assert_stderr_has "--decay-kernel applies to --algo pop with --half-life and --as-of user"
run tide-train-mf --algo pop --data "$T/d/train" --out "$T/p" --half-life 1d --as-of user --decay-kernel both
assert_exit 2
run tide-train-mf --algo ease --data "$T/d/train" --out "$T/p" --fold-in
assert_exit 2
assert_stderr_has "--fold-in applies to als only"
run tide-train-mf --data "$T/d/train" --out "$T/p" --half-life 1d --decay-preference
assert_exit 2
assert_stderr_has "--decay-preference applies to als --fold-in with --half-life"
# als --fold-in fits the item factors on undecayed weights (unless --decay-fit): the same item
# factors as the static model.
run tide-train-mf --data "$T/d/train" --out "$T/a-static" --factors 8 --iterations 3
run tide-train-mf --data "$T/d/train" --out "$T/a-fold" --factors 8 --iterations 3 --fold-in --half-life 1h --as-of user
run tide-train-mf --data "$T/d/train" --out "$T/a-fit" --factors 8 --iterations 3 --fold-in --half-life 1h --as-of user --decay-fit
cmp "$T/a-static/item_factors.npy" "$T/a-fold/item_factors.npy" || fail "--fold-in changed the static item factors"
! cmp -s "$T/a-static/item_factors.npy" "$T/a-fit/item_factors.npy" || fail "--fold-in --decay-fit did not decay the fit"
assert_eq "$(json_get "$T/a-fold/manifest.json" '.params."fold-in"')" true
# Same seed and threads: identical factors.
run tide-train-mf --data "$T/d/train" --out "$T/r1" --factors 8 --iterations 3 --threads 2 --seed 9
run tide-train-mf --data "$T/d/train" --out "$T/r2" --factors 8 --iterations 3 --threads 2 --seed 9
cmp "$T/r1/user_factors.npy" "$T/r2/user_factors.npy" || fail "ALS not deterministic"
run tide-train-mf --algo bpr --data "$T/d/train" --out "$T/b1" --factors 8 --iterations 3 --threads 2
run tide-train-mf --algo bpr --data "$T/d/train" --out "$T/b2" --factors 8 --iterations 3 --threads 2
cmp "$T/b1/item_factors.npy" "$T/b2/item_factors.npy" || fail "BPR not deterministic for a fixed thread count"
