#!/usr/bin/env bash
# protocol.sh — the ml-latest-small reference protocol end to end with tide's own programs:
# tide-ingest (every rating an implicit interaction of weight 1) → tide-split leave-last
# (test 1, valid 1) → tide-train-mf on train_valid with the configurations tuned on valid by
# accuracy.sh → recommendations by tide-recommend for every row (it weights ease/itemknn
# histories and ALS fold-ins by the manifest's decay, as training did) → tide-eval against the
# test split (NDCG@10, HR@10, 610 users). Then every "X, decayed" row is compared with the row
# "X..." just before it, paired over the same 610 users by tide-eval --compare (difference,
# 95% bootstrap interval, two-sided randomization-test p).
# Usage: bench/train-mf/protocol.sh CONFIGS.tsv   (lines: name<TAB>tide-train-mf args)
set -euo pipefail
cd "$(dirname "$0")/../.."
cfg=$1
bin=build/bin
tmp=${TMPDIR:-/tmp}/tide-protocol; mkdir -p "$tmp"
ml=../shared/data/ml-latest-small
"$bin/tide-ingest" "$ml/ratings.csv" --user-col userId --item-col movieId --time-col timestamp \
    --items "$ml/movies.csv" --item-id-col movieId --item-text-cols title,genres --out "$tmp/ds" --quiet
"$bin/tide-split" --data "$tmp/ds" --out "$tmp/split" --method leave-last --test 1 --valid 1 --quiet
echo "| method | tide-train-mf arguments | NDCG@10 | HR@10 |"
echo "|---|---|---|---|"
n=0
names=()
while IFS=$'\t' read -r name args; do
    [ -n "$name" ] || continue
    n=$((n + 1))
    names+=("$name")
    # shellcheck disable=SC2086
    "$bin/tide-train-mf" --data "$tmp/split/train_valid" --out "$tmp/model" --threads 2 --quiet $args
    "$bin/tide-recommend" --data "$tmp/split/train_valid" --model "$tmp/model" --k 10 --out "$tmp/recs-$n.tsv" --quiet
    "$bin/tide-eval" --truth "$tmp/split/test" --recs "$tmp/recs-$n.tsv" --k 10 -B 0 --json "$tmp/eval.json" --quiet >/dev/null
    read -r nd hr < <(jq -r '[.. | objects | select(has("ndcg@10")) | .["ndcg@10"], .["hit@10"]] | map(tostring) | .[0:2] | join(" ")' "$tmp/eval.json")
    printf '| %s | `%s` | %.4f | %.4f |\n' "$name" "$args" "$nd" "$hr"
done < "$cfg"
echo
echo "| decayed − static (test, paired, 610 users) | NDCG@10 diff | 95% bootstrap interval | randomization p |"
echo "|---|---|---|---|"
for ((i = 2; i <= n; i++)); do
    [[ ${names[i - 1]} == *", decayed" ]] || continue
    "$bin/tide-eval" --truth "$tmp/split/test" --recs "$tmp/recs-$((i - 1)).tsv" --compare "$tmp/recs-$i.tsv" --k 10 \
        --json "$tmp/paired.json" --quiet >/dev/null
    read -r d lo hi pv < <(jq -r '.comparisons | .. | objects | select(has("ndcg@10")) | .["ndcg@10"] | [.diff, .ci[0], .ci[1], .p_value] | map(tostring) | join(" ")' "$tmp/paired.json" | head -1)
    printf '| %s vs %s | %+.4f | [%+.4f, %+.4f] | %.3f |\n' "${names[i - 1]}" "${names[i - 2]}" "$d" "$lo" "$hi" "$pv"
done
