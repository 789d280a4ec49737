#!/usr/bin/env bash
# bench/interest/cold.sh — cold start of tide-capture-interest on any MovieLens-format folder
# (ratings.csv, movies.csv, tags.csv): a global time split (the last 10% of interactions test, the
# 10% before valid); the cold items are those with no interaction before the cut, and the truth is
# every test interaction of a user with earlier history on such an item. Models: tide-capture-
# interest (LM vectors of each item's title, genres and the tags written before the cut, mapped to
# CF space by the ridge map; the map's lambda tuned on valid by cold recall@10), popularity and
# implicit ALS (ID-only). Two candidate sets, both reported:
#   cold  — every item with no interaction before the cut (all items, train items excluded)
#   all   — every item, each user's seen items excluded (cold items compete with warm ones)
# tide-eval: recall@10 with bootstrap intervals, paired against popularity.
#
#   bench/interest/cold.sh [ML_DIR] [WORK_DIR]      (defaults ../shared/data/ml-latest-small, build/bench-cold)
#   env: B (binaries, build/release/bin), PYTHON (with numpy), MODEL (models/all-MiniLM-L6-v2),
#        THREADS (2), TEST_FRACTION (0.1), VALID_FRACTION (0.1), LAMBDAS ("auto 0.1 0.3 1 3 10"; auto = by R2
#        on held-out items), ALS_WEIGHTS ("1 2 4 8": the combined model's ALS weight, others 1)
set -euo pipefail
ML=${1:-../shared/data/ml-latest-small}
W=${2:-build/bench-cold}
B=${B:-build/release/bin}
PYTHON=${PYTHON:-python3}
MODEL=${MODEL:-models/all-MiniLM-L6-v2}
THREADS=${THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"
log() { printf '== %s\n' "$*" >&2; }
T="--threads $THREADS --quiet"
[ -d "$MODEL" ] || { echo "no language model at $MODEL (bash tools/fetch-model.sh)" >&2; exit 2; }

log "ingest $ML (ratings rows shuffled, seed 1: score ties among cold items are broken at random, not by file order)"
$PYTHON "$HERE/shuffle_rows.py" "$ML/ratings.csv" "$W/ratings-shuffled.csv" 1
$B/tide-ingest "$W/ratings-shuffled.csv" --user-col userId --item-col movieId --time-col timestamp \
    --items "$ML/movies.csv" --item-text-cols title,genres \
    --text-events "$ML/tags.csv" --text-col tag --out "$W/ml" --quiet
log "time split: test ${TEST_FRACTION:-0.1}, valid ${VALID_FRACTION:-0.1} of the interactions"
$B/tide-split --data "$W/ml" --out "$W/split" --method time --test-fraction "${TEST_FRACTION:-0.1}" \
    --valid-fraction "${VALID_FRACTION:-0.1}" --quiet
S=$W/split
$PYTHON "$HERE/cold_sets.py" "$S/train" "$S/valid" "$W/cold-valid.txt" "$W/truth-valid.tsv" > "$W/sets-valid.json"
$PYTHON "$HERE/cold_sets.py" "$S/train_valid" "$S/test" "$W/cold-test.txt" "$W/truth-test.tsv" > "$W/sets-test.json"
log "valid: $(cat "$W/sets-valid.json")"
log "test:  $(cat "$W/sets-test.json")"

# LM vectors: the item text of each part holds only the tags written in that part (before its cut)
for part in train train_valid; do
    $PYTHON "$HERE/item_text.py" "$S/$part" "$W/items-$part.txt"
    # re-embed unless these exact lines were embedded before (item order follows the ingest)
    if ! cmp -s "$W/items-$part.txt" "$W/items-$part.embedded.txt" || [ ! -s "$W/lm-$part.npy" ]; then
        $B/tide-embed --model "$MODEL" --text "$W/items-$part.txt" --out "$W/lm-$part.npy" $T
        cp "$W/items-$part.txt" "$W/items-$part.embedded.txt"
    fi
done

recall() { jq -r '.runs[-1].metrics["recall@10"]' "$1"; }

# -- the map's lambda on valid: ALS component alone (the only one the map changes), cold candidates
best=""; bestv=-1; : > "$W/lambda.log"
for lam in ${LAMBDAS:-auto 0.1 0.3 1 3 10}; do
    $B/tide-capture-interest --data "$S/train" --item-vectors "$W/lm-train.npy" --as-of user \
        --components als --fixed-weights --cold-lambda $lam --out "$W/tmp-interest" $T
    $B/tide-recommend --data "$S/train" --model "$W/tmp-interest" --candidates "$W/cold-valid.txt" --k 10 \
        --out "$W/tmp.tsv" $T
    $B/tide-eval --truth "$W/truth-valid.tsv" --recs "$W/tmp.tsv" --k 10 --seed 1 --json "$W/tmp.json" $T > /dev/null
    v=$(recall "$W/tmp.json")
    used=$(jq '.cold_map.lambda' "$W/tmp-interest/manifest.json")
    cp "$W/tmp-interest/manifest.json" "$W/lambda-$lam.json"
    echo "cold-lambda=$lam (used $used) valid cold recall@10 $v" | tee -a "$W/lambda.log" >&2
    if awk "BEGIN{exit !($v > $bestv)}"; then bestv=$v; best=$lam; fi
done
rm -rf "$W/tmp-interest" "$W/tmp.tsv" "$W/tmp.json"
log "chosen cold-lambda $best (valid cold recall@10 $bestv)"
lamv=$(jq '.cold_map.lambda' "$W/lambda-$best.json")
lamset=$( [ "$best" = auto ] && echo 0 || echo "$best" )     # settings: 0 = auto
LF="--cold-lambda $best"

# -- the combiner for cold candidates: every component at weight 1 except the ALS one (the only
#    one the map feeds), its weight chosen on valid cold recall@10
ws=""; wbest=""; wv=-1; : > "$W/weight.log"
for w in ${ALS_WEIGHTS:-1 2 4 8}; do
    echo "{\"settings\": {\"cold_lambda\": $lamset, \"weights\": {\"ease\": 1, \"ease-long\": 1, \"knn\": 1,
      \"trans\": 1, \"als\": $w, \"tfidf\": 1, \"lm\": 1, \"cluster\": 1, \"pop\": 1}}}" > "$W/weights-als$w.json"
    $B/tide-capture-interest --data "$S/train" --item-vectors "$W/lm-train.npy" --as-of user \
        --settings "$W/weights-als$w.json" --out "$W/tmp-interest" $T
    $B/tide-recommend --data "$S/train" --model "$W/tmp-interest" --candidates "$W/cold-valid.txt" --k 10 \
        --out "$W/tmp.tsv" $T
    $B/tide-eval --truth "$W/truth-valid.tsv" --recs "$W/tmp.tsv" --k 10 --seed 1 --json "$W/tmp.json" $T > /dev/null
    v=$(recall "$W/tmp.json")
    echo "als weight $w (others 1) valid cold recall@10 $v" | tee -a "$W/weight.log" >&2
    if awk "BEGIN{exit !($v > $wv)}"; then wv=$v; wbest=$w; fi
done
rm -rf "$W/tmp-interest" "$W/tmp.tsv" "$W/tmp.json"
log "chosen ALS weight $wbest (valid cold recall@10 $wv)"
echo "{\"cold_lambda\": \"$best\", \"cold_lambda_used\": $lamv, \"valid_cold_recall@10\": $bestv, \"als_weight\": $wbest, \"valid_cold_recall@10_weighted\": $wv}" > "$W/lambda.json"

# -- test: refit on train_valid
D=$S/train_valid
log "models on train_valid"
$B/tide-capture-interest --data "$D" --item-vectors "$W/lm-train_valid.npy" --as-of user $LF --out "$W/interest" $T
$B/tide-capture-interest --data "$D" --item-vectors "$W/lm-train_valid.npy" --as-of user \
    --settings "$W/weights-als$wbest.json" --out "$W/interest-w" $T
$B/tide-capture-interest --data "$D" --item-vectors "$W/lm-train_valid.npy" --as-of user $LF --components als \
    --fixed-weights --out "$W/interest-als" $T
$B/tide-capture-interest --data "$D" --item-vectors "$W/lm-train_valid.npy" --as-of user --no-cold-map \
    --out "$W/interest-nomap" $T
$B/tide-train-mf --data "$D" --algo pop --out "$W/pop" $T
$B/tide-train-mf --data "$D" --algo als --factors 64 --out "$W/als" $T
for set in cold all; do
    c=$( [ $set = cold ] && echo "--candidates $W/cold-test.txt" || echo "" )
    for m in interest interest-w interest-als interest-nomap pop als; do
        $B/tide-recommend --data "$D" --model "$W/$m" $c --k 10 --out "$W/recs-$set-$m.tsv" $T
    done
    for m in interest interest-w interest-als interest-nomap als; do
        $B/tide-eval --truth "$W/truth-test.tsv" --recs "$W/recs-$set-pop.tsv" --compare "$W/recs-$set-$m.tsv" \
            --name popularity --name $m --k 10 --seed 1 --json "$W/eval-$set-$m.json" $T > /dev/null
    done
done

# -- the online protocol (bench/interest/cold_online.py): every model fitted at the test cut, then
#    each user active after it has the first half of those events folded in (`--update`, nothing
#    refitted: the server's view), truth = the second half's cold items. Settings as chosen on
#    valid above.
O=$W/online
cut=$(jq '.cuts.test' "$S/manifest.json")
log "online protocol: models at the cut $(jq -r '.cuts.test_iso' "$S/manifest.json"), users' states advanced"
$PYTHON "$HERE/cold_online.py" "$W/ratings-shuffled.csv" "$ML/tags.csv" "$cut" "$O" > "$O.sets.json"
$B/tide-ingest "$O/grown.csv" --user-col userId --item-col movieId --time-col timestamp \
    --items "$ML/movies.csv" --item-text-cols title,genres \
    --text-events "$O/tags.csv" --text-col tag --out "$O/ds" --quiet
$B/tide-split --data "$O/ds" --out "$O/split" --method time --cut "$cut" --quiet
$PYTHON "$HERE/cold_sets.py" "$O/split/train" "$O/split/test" "$O/cold.txt" "$O/unused-truth.tsv" > /dev/null
jq -c --argjson c "$(wc -l < "$O/cold.txt")" '. + {cold_items: $c}' "$O.sets.json" > "$W/sets-online.json"
log "online: $(cat "$W/sets-online.json")"
$PYTHON "$HERE/item_text.py" "$O/split/train" "$O/items.txt"
if ! cmp -s "$O/items.txt" "$O/items.embedded.txt" || [ ! -s "$O/lm.npy" ]; then
    $B/tide-embed --model "$MODEL" --text "$O/items.txt" --out "$O/lm.npy" $T
    cp "$O/items.txt" "$O/items.embedded.txt"
fi
A=$O/split/train
for m in interest interest-w interest-als interest-nomap; do
    case $m in
    interest) f="$LF" ;;
    interest-w) f="--settings $W/weights-als$wbest.json" ;;
    interest-als) f="$LF --components als --fixed-weights" ;;
    interest-nomap) f="--no-cold-map" ;;
    esac
    $B/tide-capture-interest --data "$A" --item-vectors "$O/lm.npy" --as-of user $f --out "$O/$m-cut" $T
    $B/tide-capture-interest --data "$O/ds" --item-vectors "$O/lm.npy" --update "$O/$m-cut" --out "$O/$m" $T
    $B/tide-recommend --data "$O/ds" --model "$O/$m" --candidates "$O/cold.txt" --k 10 --out "$O/recs-$m.tsv" $T
done
$B/tide-train-mf --data "$A" --algo pop --out "$O/pop" $T
$B/tide-train-mf --data "$O/ds" --algo pop --out "$O/pop-trending" $T
$B/tide-train-mf --data "$A" --algo als --factors 64 --out "$O/als" $T
for m in pop als; do
    $B/tide-recommend --data "$O/ds" --allow-new-data --model "$O/$m" --candidates "$O/cold.txt" --k 10 \
        --out "$O/recs-$m.tsv" $T
done
$B/tide-recommend --data "$O/ds" --model "$O/pop-trending" --candidates "$O/cold.txt" --k 10 --out "$O/recs-pop-trending.tsv" $T
for m in interest interest-w interest-als interest-nomap als pop-trending; do
    $B/tide-eval --truth "$O/truth.tsv" --recs "$O/recs-pop.tsv" --compare "$O/recs-$m.tsv" \
        --name popularity --name $m --k 10 --seed 1 --json "$W/eval-online-$m.json" $T > /dev/null
done
$PYTHON "$HERE/cold_table.py" "$W" | tee "$W/table.md"
