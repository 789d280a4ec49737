#!/usr/bin/env bash
# bench/interest/labels.sh — the interest-level figures of tide-capture-interest on the outputs of
# bench/interest/run.sh (same WORK_DIR; the "full" run's interest dir and recommendations):
#   1. interest labels: the categories (genres) of each user's current interests (the interest
#      dir, state on train_valid) against the categories of their test items, beside the
#      long-term (whole-history) profile, paired — tide-eval --interests;
#   1b. the optional time factor (--label-half-life) chosen on valid only: the state captured on
#      train with the tuned settings, truth = valid, H over a fixed grid; test with the best H;
#   2. NDCG@10 per drift tercile (the interest dir's drift.npy), tide-capture-interest against
#      the recency-EASE baseline, paired within each segment — tide-eval --segments INTEREST_DIR.
# Markdown tables on stdout (and WORK_DIR/labels<P>.md), JSON in WORK_DIR.
#
#   bench/interest/labels.sh [WORK_DIR] [PROTOCOL]     (defaults build/bench-interest, 1)
#   env: B (binaries, build/release/bin), LABEL_K (3), THREADS (2)
set -euo pipefail
W=${1:-build/bench-interest}
P=${2:-1}
B=${B:-build/release/bin}
S="$W/split$P"
for f in "$S/test" "$S/train_valid" "$W/interest$P" "$W/recs$P-baseline.tsv" "$W/recs$P-full.tsv" "$W/tune$P-full.json" \
         "$W/lm$P-items.npy" "$W/lm$P-text-train.npy"; do
    [ -e "$f" ] || { echo "labels.sh: $f missing: run bench/interest/run.sh first" >&2; exit 2; }
done
$B/tide-eval --truth "$S/test" --train "$S/train_valid" --interests "$W/interest$P" --label-k "${LABEL_K:-3}" \
    --seed 1 --json "$W/labels$P.json" --quiet > /dev/null
# the same from the --summary JSONL (a check: must be identical)
if [ -s "$W/summary$P.jsonl" ]; then
    $B/tide-eval --truth "$S/test" --train "$S/train_valid" --interests "$W/summary$P.jsonl" --label-k "${LABEL_K:-3}" \
        --seed 1 --json "$W/labels$P-summary.json" --quiet > /dev/null
    [ "$(jq -c .interest_labels.profiles "$W/labels$P.json")" = "$(jq -c .interest_labels.profiles "$W/labels$P-summary.json")" ] ||
        { echo "labels.sh: the interest dir and its summary disagree" >&2; exit 1; }
fi
# 1b. --label-half-life on valid (train -> valid), then test
$B/tide-capture-interest --data "$S/train" --settings "$W/tune$P-full.json" --as-of user \
    --item-vectors "$W/lm$P-items.npy" --text-vectors "$W/lm$P-text-train.npy" --out "$W/interest$P-train" \
    --threads "${THREADS:-2}" --quiet
best_h=0; best_f=-1
for H in 0 60 3600 86400 2592000 31536000; do
    f=$($B/tide-eval --truth "$S/valid" --train "$S/train" --interests "$W/interest$P-train" --label-k "${LABEL_K:-3}" \
        --label-half-life $H --bootstrap 0 --permutations 0 --json - --quiet | jq '.interest_labels.profiles[0].metrics.f1')
    echo "label half-life $H s: valid dynamic F1 $f" >> "$W/labels$P-tune.log"
    if awk "BEGIN{exit !($f > $best_f)}"; then best_f=$f; best_h=$H; fi
done
$B/tide-eval --truth "$S/valid" --train "$S/train" --interests "$W/interest$P-train" --label-k "${LABEL_K:-3}" \
    --seed 1 --json "$W/labels$P-valid.json" --quiet > /dev/null
$B/tide-eval --truth "$S/test" --train "$S/train_valid" --interests "$W/interest$P" --label-k "${LABEL_K:-3}" \
    --label-half-life $best_h --seed 1 --json "$W/labels$P-hl.json" --quiet > /dev/null
$B/tide-eval --truth "$S/test" --train "$S/train_valid" --recs "$W/recs$P-baseline.tsv" --compare "$W/recs$P-full.tsv" \
    --name recency-ease --name capture-interest --segments "$W/interest$P" --k 10 --seed 1 \
    --json "$W/drift$P.json" --quiet > /dev/null
{
    L="$W/labels$P.json"
    echo "#### Interest labels (leave-last-$P; $(jq .interest_labels.users.evaluated "$L") users; at most $(jq .interest_labels.max_categories "$L") genres per user)"
    echo
    echo "| profile | precision [95% CI] | recall [95% CI] | F1 [95% CI] | genres named |"
    echo "|---|---|---|---|---|"
    jq -r '.interest_labels.profiles[] | "| \(.name) | \(.metrics.precision*10000|round/10000) [\(.ci.precision[0]*10000|round/10000), \(.ci.precision[1]*10000|round/10000)] | \(.metrics.recall*10000|round/10000) [\(.ci.recall[0]*10000|round/10000), \(.ci.recall[1]*10000|round/10000)] | \(.metrics.f1*10000|round/10000) [\(.ci.f1[0]*10000|round/10000), \(.ci.f1[1]*10000|round/10000)] | \(.metrics.size*100|round/100) |"' "$L"
    echo
    echo "| dynamic − long-term | diff [95% CI] | p |"
    echo "|---|---|---|"
    jq -r '.interest_labels.comparison.metrics | to_entries[] | "| \(.key) | \(.value.diff*10000|round/10000) [\(.value.ci[0]*10000|round/10000), \(.value.ci[1]*10000|round/10000)] | \(.value.p_value*10000|round/10000) |"' "$L"
    echo
    for v in valid hl; do
        jq -r --arg v "$v" --arg h "$best_h" '.interest_labels | "- \(if $v == "valid" then "valid (state on train, truth = valid)" else "test with --label-half-life \($h) s (chosen on valid)" end): F1 dynamic \(.profiles[0].metrics.f1*10000|round/10000), long-term \(.profiles[1].metrics.f1*10000|round/10000), diff \(.comparison.metrics.f1.diff*10000|round/10000) [\(.comparison.metrics.f1.ci[0]*10000|round/10000), \(.comparison.metrics.f1.ci[1]*10000|round/10000)], p = \(.comparison.metrics.f1.p_value*10000|round/10000)"' "$W/labels$P-$v.json"
    done
    echo
    D="$W/drift$P.json"
    echo "#### NDCG@10 per drift tercile (leave-last-$P; cuts $(jq -c '.inputs.segments.drift_cuts | map(.*1000|round/1000)' "$D"))"
    echo
    echo "| drift segment | users | recency-EASE NDCG@10 [95% CI] | capture-interest NDCG@10 [95% CI] | diff [95% CI], p |"
    echo "|---|---|---|---|---|"
    jq -r '([{label: "all", users: .users.evaluated, runs: .runs, comparisons: .comparisons}] + .segments)[] |
        "| \(.label) | \(.users) | \(.runs[0].metrics["ndcg@10"]*10000|round/10000) [\(.runs[0].ci["ndcg@10"][0]*10000|round/10000), \(.runs[0].ci["ndcg@10"][1]*10000|round/10000)] | \(.runs[1].metrics["ndcg@10"]*10000|round/10000) [\(.runs[1].ci["ndcg@10"][0]*10000|round/10000), \(.runs[1].ci["ndcg@10"][1]*10000|round/10000)] | \(.comparisons[0].metrics["ndcg@10"].diff*10000|round/10000) [\(.comparisons[0].metrics["ndcg@10"].ci[0]*10000|round/10000), \(.comparisons[0].metrics["ndcg@10"].ci[1]*10000|round/10000)], p = \(.comparisons[0].metrics["ndcg@10"].p_value*10000|round/10000) |"' "$D"
} | tee "$W/labels$P.md"
