#!/usr/bin/env bash
# demo.sh — README's first command: installs dependencies, builds tide, and runs the whole
# pipeline on the sample in data/sample (ingest → temporal split → train → capture interests →
# recommend → eval),
# printing the evaluation table. Outputs go to build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DTIDE_BUILD_TESTS=OFF -DTIDE_BUILD_BENCH=OFF >/dev/null
cmake --build build/release -j "$(nproc)" >/dev/null
B=build/release/bin
W=build/demo
mkdir -p "$W"
step() { printf '\n== %s\n' "$*" >&2; }

step "ingest data/sample (events weighted view=1 cart=3 purchase=5; catalog titles; text events)"
"$B/tide-ingest" data/sample/interactions.csv.gz --user-col user_id --item-col item_id \
    --time-col timestamp --event-col event --event-weight view=1,cart=3,purchase=5 \
    --items data/sample/items.csv --item-text-cols title,category \
    --text-events data/sample/text_events.csv --text-col text --out "$W/dataset"
jq -c '.counts' "$W/dataset/manifest.json" >&2

step "split: each user's last event is test, the one before valid"
"$B/tide-split" --data "$W/dataset" --out "$W/split" --method leave-last --test 1 --valid 1

runs=()
if [ -x "$B/tide-train-mf" ] && [ -x "$B/tide-recommend" ]; then
    train() { # name, then train-mf options; fits on train+valid, recommends 20 unseen items
        local name=$1; shift
        step "train $name"
        "$B/tide-train-mf" --data "$W/split/train_valid" --out "$W/model-$name" "$@" -q
        "$B/tide-recommend" --data "$W/split/train_valid" --model "$W/model-$name" --k 20 \
            --out "$W/recs-$name.tsv" -q
        runs+=(--recs "$W/recs-$name.tsv")
    }
    train pop --algo pop
    train itemknn --algo itemknn --neighbors 50
    train als --algo als --factors 32 --iterations 15 --regularization 0.05 --alpha 2
    train ease --algo ease --lambda 200
    train ease-recent --algo ease --lambda 200 --half-life 60d --as-of user
fi

if [ -x "$B/tide-capture-interest" ] && [ -x "$B/tide-recommend" ]; then
    step "capture interests: tune decays and the combiner on valid (train -> valid), refit on train+valid"
    "$B/tide-capture-interest" --data "$W/split/train" --tune --valid "$W/split/valid" --as-of user \
        --report "$W/interest-tuned.json" -q
    "$B/tide-capture-interest" --data "$W/split/train_valid" --settings "$W/interest-tuned.json" \
        --as-of user --out "$W/interest" --summary "$W/interest-summary.jsonl" -q
    step "each user's interests now (first two users of $W/interest-summary.jsonl)"
    head -n 2 "$W/interest-summary.jsonl" | jq -c '{user, drift, interests: [.interests[] |
        {label: .label, strength, last_active, items: [.representative_items[].title]}]}' >&2
    "$B/tide-recommend" --data "$W/split/train_valid" --model "$W/interest" --k 20 \
        --out "$W/recs-interest.tsv" -q
    runs+=(--recs "$W/recs-interest.tsv")
fi

step "evaluate against each user's held-out last event (95% bootstrap intervals)"
"$B/tide-eval" --truth "$W/split/test" "${runs[@]}" --k 10,20 --train "$W/split/train_valid" \
    --json "$W/eval.json" --plot "$W/eval.svg"
echo "(every number: $W/eval.json; plot: $W/eval.svg)" >&2
