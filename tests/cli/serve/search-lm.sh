# Search with --lm: the server embeds the query with the language model (the committed tiny
# BERT fixture) and ranks --item-vectors by it, giving tide-recommend --query's list; with a
# user, the ranking says it is personalised; similar items come from the same vectors. With
# --interest and no --item-vectors, queries are matched to the interest model's own LM space (the
# vectors it was captured with): the same list, not the text-match fallback.
source "$SRC/tests/cli/serve/fixture.bash"
TINY="$SRC/tests/fixtures/lm/tiny-bert-cls"
[ -d "$TINY" ] || { echo "skip: $TINY missing"; exit 77; }
make_logs logs 30 40 12
ingest logs ds
"$TIDE_BIN/tide-train-mf" --data ds --algo ease --lambda 10 --out ease -q || fail "train"
"$TIDE_BIN/tide-embed" --model "$TINY" --data ds --out items.npy -q || fail "embed"
start_server "$T/err" --data ds --model ease --lm "$TINY" --item-vectors items.npy
for q in "comedy" "item 7 drama" "space horror"; do
    get "/v1/search?q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$q")&k=5"
    assert_eq "$HTTP" 200; assert_eq "$(jq -r .ranking body)" "language model"
    jq -r '.items[].item' body > online
    "$TIDE_BIN/tide-recommend" --query "$q" --lm "$TINY" --item-vectors items.npy --data ds --k 5 -q | cut -f2 > batch
    diff online batch >&2 || fail "search '$q' differs from tide-recommend --query"
done
get "/v1/search?q=comedy&user=u3&k=5"; assert_eq "$HTTP" 200
assert_eq "$(jq -r .ranking body)" "language model, personalised"
get "/v1/items/i4/similar?k=3"; assert_eq "$HTTP" 200; assert_eq "$(jq '.items|length' body)" 3
get "/v1/users/u3/recommendations?k=5&diversity=0.5&explain=1"; assert_eq "$HTTP" 200
jq -e '.items[0].because.relation == "similar to"' body >/dev/null || fail "explain with item vectors"
stop_server; assert_eq "$STOP_RC" 0

"$TIDE_BIN/tide-capture-interest" --data ds --item-vectors items.npy --as-of user --fixed-weights --out idir -q || fail "capture"
start_server "$T/err" --data ds --interest idir --lm "$TINY"
for q in "comedy" "space horror"; do
    get "/v1/search?q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$q")&k=5"
    assert_eq "$HTTP" 200; assert_eq "$(jq -r .ranking body)" "language model"
    jq -r '.items[].item' body > online
    "$TIDE_BIN/tide-recommend" --query "$q" --lm "$TINY" --item-vectors items.npy --data ds --k 5 -q | cut -f2 > batch
    diff online batch >&2 || fail "search '$q' over the interest model's vectors differs from tide-recommend --query"
done
stop_server; assert_eq "$STOP_RC" 0
