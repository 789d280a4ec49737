# drift segments in one step: tide-eval --segments INTEREST_DIR splits the evaluated users into
# drift quantiles (the interest dir's drift.npy); the per-segment tables equal those of a TSV
# segments file built by hand from the --summary's drift with the reported cut points. Also the
# interest-label report on a real split (test items' categories).
[ -n "$SRC" ] && [ -f "$SRC/data/sample/interactions.csv.gz" ] || skip "data/sample not found"
"$TIDE_BIN/tide-ingest" "$SRC/data/sample/interactions.csv.gz" --user-col user_id --item-col item_id \
    --time-col timestamp --items "$SRC/data/sample/items.csv" --item-text-cols title,category --out ds --quiet
"$TIDE_BIN/tide-split" --data ds --out split --method leave-last --test 1 --valid 1 --quiet
run tide-capture-interest --data split/train_valid --as-of user --components ease,trans,tfidf,pop,knn,cluster \
    --fixed-weights --threads 2 --quiet --out interest --summary summary.jsonl --recs recs.tsv --k 10
assert_exit 0
run tide-eval --truth split/test --train split/train_valid --recs recs.tsv --segments interest --k 10 --seed 1 \
    --bootstrap 100 --json seg.json
assert_exit 0
assert_stdout_has "=== segment drift-3"
assert_eq "$(jq -r '[.segments[] | .label] | join(",")' seg.json)" "drift-1,drift-2,drift-3"
assert_eq "$(json_get seg.json .inputs.segments.kind)" drift
jq -e '.inputs.segments.drift_cuts | length == 2 and .[0] <= .[1]' seg.json >/dev/null || fail "cuts"
# terciles: each about a third of the 3000 users
jq -e '[.segments[] | .users] | add == 3000 and min >= 900' seg.json >/dev/null || fail "tercile sizes"
jq -r '.segments[] | "\(.label): ndcg@10 \(.runs[0].metrics["ndcg@10"])"' seg.json
# the same segments by hand: drift >= cut
c1=$(jq '.inputs.segments.drift_cuts[0]' seg.json); c2=$(jq '.inputs.segments.drift_cuts[1]' seg.json)
jq -r --argjson c1 "$c1" --argjson c2 "$c2" 'select(.events > 0) |
    "\(.user)\t\(if .drift >= $c2 then "drift-3" elif .drift >= $c1 then "drift-2" else "drift-1" end)"' summary.jsonl > seg.tsv
run tide-eval --truth split/test --train split/train_valid --recs recs.tsv --segments seg.tsv --k 10 --seed 1 \
    --bootstrap 100 --json hand.json
assert_exit 0
want=$(jq -c '[.segments[] | {label: .label, users: .users, m: .runs[0].metrics}] | sort_by(.label)' seg.json)
[ "${#want}" -gt 100 ] || fail "empty segment tables"
assert_eq "$want" \
          "$(jq -c '[.segments[] | {label: .label, users: .users, m: .runs[0].metrics}] | sort_by(.label)' hand.json)"
# --drift-bins
run tide-eval --truth split/test --train split/train_valid --recs recs.tsv --segments interest --drift-bins 4 --k 10 \
    --bootstrap 0 --json q.json
assert_exit 0
assert_eq "$(jq '.segments | length' q.json)" 4
run tide-eval --truth split/test --recs recs.tsv --segments interest
assert_exit 2; assert_stderr_has "--segments INTEREST_DIR needs --train"

# interest labels on the split: the captured interests against the categories of each user's
# test item, beside the whole-history profile
run tide-eval --truth split/test --train split/train_valid --interests interest --seed 1 --json lab.json
assert_exit 0
assert_stdout_has "comparison: dynamic - long-term"
jq -e '.interest_labels.users.evaluated == 3000 and (.interest_labels.profiles | map(.metrics.f1 > 0.2 and .metrics.f1 < 1) | all)' \
    lab.json >/dev/null || fail "label report"
jq -r '.interest_labels.profiles[] | "\(.name): precision \(.metrics.precision) recall \(.metrics.recall) f1 \(.metrics.f1)"' lab.json
