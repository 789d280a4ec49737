# --interest DIR: /interests comes from the dynamic-interest model — its clusters and drift, and
# its own top-10 — computed online from the served history by the family's per-user code, equal
# to what tide-capture-interest wrote for the same history (--summary, --recs); then events in
# a new category move the interests at once.
source "$SRC/tests/cli/serve/fixture.bash"
[ -f "$SRC/data/sample/interactions.csv.gz" ] || { echo "skip: data/sample not found"; exit 77; }
"$TIDE_BIN/tide-ingest" "$SRC/data/sample/interactions.csv.gz" --user-col user_id --item-col item_id \
    --time-col timestamp --items "$SRC/data/sample/items.csv" --item-text-cols title,category \
    --text-events "$SRC/data/sample/text_events.csv" --text-col text --out ds --quiet || fail "ingest"
"$TIDE_BIN/tide-capture-interest" --data ds --fixed-weights --as-of user --components ease,trans,tfidf,pop,knn,cluster \
    --threads 2 --quiet --out idir --summary sum.jsonl --recs recs.tsv || fail "capture-interest"
"$TIDE_BIN/tide-train-mf" --data ds --algo pop --out pop -q || fail "train pop"
start_server "$T/err" --data ds --model pop --interest idir --log lg
for u in u000000 u000001 u000007 u000100 u002999; do
    get "/v1/users/$u/interests"; assert_eq "$HTTP" 200
    assert_eq "$(jq -r .source body)" interest-model
    jq -c '[.interests[] | [.label, (.strength * 1e5 | round)]]' body > online.json
    grep "\"user\":\"$u\"" sum.jsonl | jq -c '[.interests[] | [.label, (.strength * 1e5 | round)]]' > batch.json
    diff online.json batch.json >&2 || fail "$u: interests differ from tide-capture-interest's summary"
    a=$(jq .drift body); b=$(grep "\"user\":\"$u\"" sum.jsonl | jq .drift)
    python3 -c "import sys; sys.exit(abs($a - $b) > 1e-5)" || fail "$u: drift $a vs $b"
    jq -r '.model_recommendations[]' body > online-recs
    awk -v u="$u" '$1 == u {print $2}' recs.tsv > batch-recs
    diff online-recs batch-recs >&2 || fail "$u: the interest model's top-10 differs from its batch run"
done
# The history-based view is still there on request.
get "/v1/users/u000000/interests?source=history"; assert_eq "$(jq -r .source body)" history
# Five events in another category: the interests move.
get /v1/users/u000000/interests; jq -c '[.interests[] | [.label, .strength]]' body > before
cat=$(awk -F, 'NR > 1 && $3 == "Sports" {print $1}' "$SRC/data/sample/items.csv" | head -5 | tr '\n' ' ')
[ -n "$cat" ] || cat=$(awk -F, 'NR > 1 {print $1}' "$SRC/data/sample/items.csv" | tail -5 | tr '\n' ' ')
t=1634271800
for i in $cat; do post /v1/events "{\"user\":\"u000000\",\"item\":\"$i\",\"time\":$t}"; assert_eq "$HTTP" 200; t=$((t + 60)); done
get /v1/users/u000000/interests
jq -c '[.interests[] | [.label, .strength]]' body > after
! cmp -s before after || fail "interests did not move"
jq -e '.drift > 0' body >/dev/null || fail "no drift after a change of category"
stop_server; assert_eq "$STOP_RC" 0
