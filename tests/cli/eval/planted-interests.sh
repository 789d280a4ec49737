# planted interests: tide-datagen --planted knows each user's favourite topics in every phase; the
# interests tide-capture-interest captures at each user's last event are checked against the
# final phase directly with tide-eval --interests --label-truth. The real state passes a bar that
# two broken ones fail: the long-term-only profile (whole-history categories, the baseline in the
# same report) and the real clusters shuffled across users.
run tide-datagen --out gen --users 3000 --items 2000 --events 60000 --seed 42 --planted --quiet
assert_exit 0
[ "$(wc -l < gen/planted.tsv)" = 3000 ] || fail "planted.tsv lines"
# the other files are byte-identical with and without --planted (the sample in data/ stays valid)
run tide-datagen --out plain --users 3000 --items 2000 --events 60000 --seed 42 --quiet
for f in interactions.csv items.csv text_events.csv; do cmp "gen/$f" "plain/$f" || fail "$f differs with --planted"; done
[ ! -e plain/planted.tsv ] || fail "planted.tsv without --planted"
# phases cover every event once, and the final phase is planted.tsv
[ "$(awk -F, 'NR > 1 {s += $5} END {print s}' gen/planted_phases.csv)" = "$(($(wc -l < gen/interactions.csv) - 1))" ] || fail "phase event counts"
awk -F, 'NR > 1 {t[$1] = $6} END {for (u in t) print u "\t" t[u]}' gen/planted_phases.csv | sort > last.tsv
sort gen/planted.tsv | cmp - last.tsv || fail "planted.tsv is not the final phase"

"$TIDE_BIN/tide-ingest" gen/interactions.csv --user-col user_id --item-col item_id --time-col timestamp \
    --items gen/items.csv --item-text-cols title,category --out ds --quiet
run tide-capture-interest --data ds --as-of user --components ease,trans,tfidf,pop,knn,cluster --fixed-weights \
    --threads 2 --quiet --out interest --summary summary.jsonl
assert_exit 0

# Users whose interests drifted (more than one phase) with at least 5 events in the final phase:
# there the whole history and the present disagree. --label-k 1: is the strongest captured
# interest's main category one of the planted topics (best-match accuracy)?
awk -F, 'NR > 1 {ph[$1] = $2; ev[$1] = $5; t[$1] = $6} END {for (u in ph) if (ph[u] > 0 && ev[u] >= 5) print u "\t" t[u]}' \
    gen/planted_phases.csv | sort > drifted.tsv
[ "$(wc -l < drifted.tsv)" -gt 500 ] || fail "too few drifted users"
BAR=0.78
run tide-eval --interests interest --train ds --label-truth drifted.tsv --label-k 1 --seed 1 --json real.json
assert_exit 0
assert_stdout_has "interest labels: interest (interest dir) against drifted.tsv"
dyn=$(jq '.interest_labels.profiles[0].metrics.precision' real.json)
long=$(jq '.interest_labels.profiles[1].metrics.precision' real.json)
echo "best-match accuracy on drifted users: captured $dyn, long-term only $long (bar $BAR)"
awk "BEGIN {exit !($dyn >= $BAR)}" || fail "captured interests: accuracy $dyn < $BAR"
awk "BEGIN {exit !($long < $BAR)}" || fail "the long-term-only profile passes the bar ($long): the check cannot fail"
jq -e '.interest_labels.comparison.metrics.precision | .diff > 0 and .p_value < 0.05' real.json >/dev/null ||
    fail "captured not significantly better than long-term"
# the same numbers from the --summary JSONL as from the dir
run tide-eval --interests summary.jsonl --train ds --label-truth drifted.tsv --label-k 1 --seed 1 --json sum.json
assert_exit 0
assert_eq "$(jq -c '.interest_labels.profiles' sum.json)" "$(jq -c '.interest_labels.profiles' real.json)"
# broken: every user gets the next user's interests
jq -s -c 'length as $n | [.[].user] as $u | to_entries[] | .value.user = $u[(.key + 1) % $n] | .value' summary.jsonl > shuffled.jsonl
run tide-eval --interests shuffled.jsonl --train ds --label-truth drifted.tsv --label-k 1 --seed 1 --json shuf.json
assert_exit 0
shuf=$(jq '.interest_labels.profiles[0].metrics.precision' shuf.json)
echo "shuffled across users: $shuf"
awk "BEGIN {exit !($shuf < $BAR)}" || fail "shuffled interests pass the bar ($shuf)"

# All users, up to 3 categories: the planted topics the captured interests name (recall).
run tide-eval --interests interest --train ds --label-truth gen/planted.tsv --label-k 3 --seed 1 --json all.json
assert_exit 0
rec=$(jq '.interest_labels.profiles[0].metrics.recall' all.json)
run tide-eval --interests shuffled.jsonl --train ds --label-truth gen/planted.tsv --label-k 3 --seed 1 --json all-shuf.json
srec=$(jq '.interest_labels.profiles[0].metrics.recall' all-shuf.json)
echo "recall of planted topics, all users: captured $rec, shuffled $srec"
awk "BEGIN {exit !($rec >= 0.75 && $srec < 0.75)}" || fail "recall: captured $rec, shuffled $srec (bar 0.75)"
