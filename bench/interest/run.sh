#!/usr/bin/env bash
# bench/interest/run.sh — the accuracy table of tide-capture-interest against tide's best
# time-aware model (recency-weighted EASE), on any MovieLens-format folder (ratings.csv,
# movies.csv, tags.csv), with both protocols of ../shared/data/README.md:
#   leave-last-1 (test = each user's last event, valid = the one before) and
#   leave-last-5 (the last 5 as a set, the 5 before them valid).
# Everything is tuned on valid (train -> valid), refitted on train_valid, evaluated on test by
# tide-eval with a paired test against the baseline. Ablations (each its own tune + test) run on
# the protocols named in ABLATE (default: leave-last-1 only; "1 5" for both).
#
#   bench/interest/run.sh [ML_DIR] [WORK_DIR]      (defaults ../shared/data/ml-latest-small, build/bench-interest)
#   env: B (binaries, build/release/bin), PYTHON (with numpy), MODEL (models/all-MiniLM-L6-v2),
#        THREADS (2), ABLATE ("1"), PROTOCOLS ("1 5"), BASE_LAMBDAS, BASE_HALF_LIVES (the baseline grid),
#        RUNS (the capture-interest runs; default: full, plus the ablations where ABLATE says; "none"
#        prepares only: ingest, splits, baseline, LM vectors)
# A WORK_DIR that already holds a protocol's baseline (baseline$P.json, recs$P-baseline.tsv) and
# LM vectors reuses them: delete them to recompute (e.g. after changing BASE_* or the model).
set -euo pipefail
ML=${1:-../shared/data/ml-latest-small}
W=${2:-build/bench-interest}
B=${B:-build/release/bin}
PYTHON=${PYTHON:-python3}
MODEL=${MODEL:-models/all-MiniLM-L6-v2}
THREADS=${THREADS:-2}
ABLATE=${ABLATE:-1}
PROTOCOLS=${PROTOCOLS:-1 5}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"
log() { printf '== %s\n' "$*" >&2; }
T="--threads $THREADS --quiet"

[ -d "$MODEL" ] || { echo "no language model at $MODEL (bash tools/fetch-model.sh)" >&2; exit 2; }

log "ingest $ML (every rating an implicit interaction; titles, genres; tags as text events)"
$B/tide-ingest "$ML/ratings.csv" --user-col userId --item-col movieId --time-col timestamp \
    --items "$ML/movies.csv" --item-text-cols title,genres \
    --text-events "$ML/tags.csv" --text-col tag --out "$W/ml" --quiet

for P in $PROTOCOLS; do
    S="$W/split$P"
    log "protocol leave-last-$P"
    $B/tide-split --data "$W/ml" --out "$S" --method leave-last --test "$P" --valid "$P" --quiet

    # -- baseline: recency-weighted EASE, lambda and half-life tuned on valid
    if [ -s "$W/baseline$P.json" ] && [ -s "$W/recs$P-baseline.tsv" ]; then
        log "baseline: reusing $W/baseline$P.json and recs$P-baseline.tsv"
    else
    best=""; bestv=-1
    for lam in ${BASE_LAMBDAS:-100 200 300 500}; do for hl in ${BASE_HALF_LIVES:-30 60 120}; do
        $B/tide-train-mf --data "$S/train" --valid "$S/valid" --algo ease --lambda $lam --half-life $hl \
            --as-of user --out "$W/tmp-ease" $T
        v=$(jq '.training["best_valid_ndcg@10"]' "$W/tmp-ease/manifest.json")
        echo "ease lambda=$lam half-life=${hl}s valid ndcg@10 $v" >> "$W/baseline$P.log"
        if awk "BEGIN{exit !($v > $bestv)}"; then bestv=$v; best="$lam $hl"; fi
    done; done
    rm -rf "$W/tmp-ease"
    set -- $best
    log "baseline EASE lambda $1 half-life $2 s (valid ndcg@10 $bestv)"
    echo "{\"lambda\": $1, \"half_life_s\": $2, \"valid_ndcg@10\": $bestv}" > "$W/baseline$P.json"
    $B/tide-train-mf --data "$S/train_valid" --algo ease --lambda $1 --half-life $2 --as-of user --out "$W/ease$P" $T
    $B/tide-recommend --data "$S/train_valid" --model "$W/ease$P" --k 10 --out "$W/recs$P-baseline.tsv" $T
    rm -rf "$W/ease$P"
    fi

    # -- LM vectors: item text = title, genres and the tags written in the train split (no test
    #    leakage); user text events of train (tuning) and train_valid (test run)
    $PYTHON "$HERE/item_text.py" "$S/train" "$W/items$P.txt"
    [ -s "$W/lm$P-items.npy" ] || $B/tide-embed --model "$MODEL" --text "$W/items$P.txt" --out "$W/lm$P-items.npy" $T
    for part in train train_valid; do
        [ -s "$W/lm$P-text-$part.npy" ] || $B/tide-embed --model "$MODEL" --data "$S/$part" --user-text \
            --out "$W/lm$P-text-$part.npy" $T
    done

    # -- tide-capture-interest: tune on valid, refit on train_valid, test
    runs=(full)
    if [ "$P" = "$ABLATE" ] || [[ " $ABLATE " == *" $P "* ]]; then
        runs+=(no-position no-time no-trans no-lm no-tfidf single-interest no-words no-combiner no-session no-burst no-seq)
    fi
    [ -n "${RUNS:-}" ] && read -r -a runs <<< "$RUNS"
    for r in "${runs[@]}"; do
        [ "$r" = none ] && continue
        case $r in
            full) f="" ;;
            no-position) f="--no-position-decay" ;;
            no-time) f="--no-time-decay" ;;
            no-trans) f="--components -trans" ;;
            no-lm) f="--components -lm,-cluster,-words" ;;
            no-tfidf) f="--components -tfidf" ;;
            single-interest) f="--clusters 1" ;;
            no-words) f="--components -words" ;;
            no-combiner) f="--fixed-weights" ;;
            no-session) f="--components -session" ;;
            no-burst) f="--components -ease-burst" ;;
            no-seq) f="--components -seq" ;;
        esac
        log "capture-interest $r: tune on valid"
        $B/tide-capture-interest --data "$S/train" --tune --valid "$S/valid" --as-of user \
            --item-vectors "$W/lm$P-items.npy" --text-vectors "$W/lm$P-text-train.npy" \
            --report "$W/tune$P-$r.json" $f $T
        log "capture-interest $r: refit on train_valid, recommend"
        $B/tide-capture-interest --data "$S/train_valid" --settings "$W/tune$P-$r.json" --as-of user \
            --item-vectors "$W/lm$P-items.npy" --text-vectors "$W/lm$P-text-train_valid.npy" \
            --recs "$W/recs$P-$r.tsv" --k 10 $( [ "$r" = full ] && echo --out "$W/interest$P" --summary "$W/summary$P.jsonl" ) $T
        $B/tide-eval --truth "$S/test" --recs "$W/recs$P-baseline.tsv" --compare "$W/recs$P-$r.tsv" \
            --name recency-ease --name $r --k 10 --seed 1 --json "$W/eval$P-$r.json" $T > /dev/null
    done
done
$PYTHON "$HERE/table.py" "$W" $PROTOCOLS | tee "$W/table.md"
