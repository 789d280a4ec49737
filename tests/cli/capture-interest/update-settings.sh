# --update keeps PREV's combiner weights: an update of a dir made with unequal weights (--settings)
# scores with those weights (an update once reset them to equal weights; the byte-for-byte update
# test runs with --fixed-weights, so it could not see that).
source "$(dirname "$BASH_SOURCE")/common.inc"
cat > w.json <<'J'
{"settings": {"weights": {"ease": 3, "knn": 0.5, "trans": 2, "tfidf": 0.25, "pop": 0.1, "cluster": 1.5}}}
J
run tide-capture-interest --data split/train --settings w.json --as-of user $FAST --out prev
assert_exit 0
want=$(jq -c '.settings.weights' prev/manifest.json)
[ "$(jq '.settings.weights.ease' prev/manifest.json)" = 3 ] || fail "--settings weights not applied: $want"
# --compact-above 0: a full dir, whose n_events.npy / last_time.npy the check below reads as they are
# (a delta dir keeps PREV's files as its base: update.sh covers that form)
run tide-capture-interest --data split/train_valid --update prev --compact-above 0 --as-of user $FAST --out upd
assert_exit 0
[ "$(jq -c '.settings.weights' upd/manifest.json)" = "$want" ] || \
    fail "update changed the weights: $(jq -c '.settings.weights' upd/manifest.json), PREV had $want"
# Users the update did not touch (same event count and last event) keep PREV's state, and with
# PREV's weights their lists must be PREV's (with equal weights they would not be).
npy_col() { od -An -td8 -v -w8 -j$((10 + $(od -An -tu2 -j8 -N2 "$1"))) "$1" | tr -d ' '; }
paste <(npy_col prev/n_events.npy) <(npy_col upd/n_events.npy) <(npy_col prev/last_time.npy) \
    <(npy_col upd/last_time.npy) split/train/users.txt | awk '$1 == $2 && $3 == $4 && $1 > 0 {print $5}' > same.txt
[ "$(wc -l < same.txt)" -gt 10 ] || fail "too few untouched users in the fixture"
"$TIDE_BIN/tide-recommend" --data split/train --model prev --users same.txt --k 10 --out rec-prev.tsv --quiet || fail "recommend prev"
"$TIDE_BIN/tide-recommend" --data split/train_valid --model upd --users same.txt --k 10 --out rec-upd.tsv --quiet || fail "recommend upd"
cmp rec-prev.tsv rec-upd.tsv || fail "untouched users' lists changed with the update"
