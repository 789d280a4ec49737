# A search moves the interest model's recommendations at once: with --interest and --lm, a
# text event (kind query) is embedded by the language model when it arrives and folded into the
# user's words, so the very next /recommendations differs and explain=1 names the search for
# the items it brought. Without --lm the server says, at start and in the POST's answer, that
# text events cannot move the words (and they do not). With all-MiniLM-L6-v2 present (models/,
# tools/fetch-model.sh) a search for a catalog category brings that category's items in.
source "$SRC/tests/cli/serve/fixture.bash"
[ -f "$SRC/data/sample/interactions.csv.gz" ] || skip "data/sample not found"
TINY="$SRC/tests/fixtures/lm/tiny-bert-cls"
"$TIDE_BIN/tide-ingest" "$SRC/data/sample/interactions.csv.gz" --user-col user_id --item-col item_id \
    --time-col timestamp --items "$SRC/data/sample/items.csv" --item-text-cols title,category \
    --text-events "$SRC/data/sample/text_events.csv" --text-col text --out ds -q || fail "ingest"
U=u000000
t_last=$(zcat "$SRC/data/sample/interactions.csv.gz" | awk -F, -v u=$U '$1 == u && $3 > m {m = $3} END {print m}')
capture() { # capture LM OUT: item and user-text vectors, then the interest dir
    "$TIDE_BIN/tide-embed" --model "$1" --data ds --out "$2-items.npy" -q || fail "embed items ($1)"
    "$TIDE_BIN/tide-embed" --model "$1" --data ds --user-text --out "$2-words.npy" -q || fail "embed user text ($1)"
    "$TIDE_BIN/tide-capture-interest" --data ds --item-vectors "$2-items.npy" --text-vectors "$2-words.npy" --as-of user \
        --fixed-weights --components ease,lm,cluster,words,pop --threads 2 --out "$2" -q || fail "capture ($1)"
}
recs() { # recs OUT: the user's top-10 with reasons
    get "/v1/users/$U/recommendations?k=10&explain=1"; assert_eq "$HTTP" 200
    cp "$T/body" "$1"
}
search() { # search TEXT: a query event just after the user's last event
    post /v1/events "{\"user\":\"$U\",\"text\":\"$1\",\"kind\":\"query\",\"time\":$((t_last + 60))}"; assert_eq "$HTTP" 200
}

capture "$TINY" tiny
# 1. With --lm: the search moves the list at once, and the reasons name it.
start_server "$T/err" --data ds --interest tiny --lm "$TINY" --text-vectors tiny-words.npy
recs before.json
jq -e '.model == "interest" and ([.items[].because.component] | all(. != null))' before.json >/dev/null \
    || fail "explain=1 does not name a component: $(head -c 600 before.json)"
q="hiking boots and trail maps"
search "$q"
jq -e 'has("warning") | not' "$T/body" >/dev/null || fail "a warning although --lm is given"
recs after.json
[ "$(jq -c '[.items[].item]' before.json)" != "$(jq -c '[.items[].item]' after.json)" ] || fail "the search did not move the recommendations"
# The user wrote nothing before: their words were no term of any score; now every item has one.
jq -e '[.items[].because.terms.words] | all(. == null)' before.json >/dev/null || fail "words before any text: $(jq -c '[.items[].because.terms]' before.json)"
jq -e '[.items[].because.terms.words] | all(. != null)' after.json >/dev/null || fail "no words term after the search: $(jq -c '[.items[].because.terms]' after.json)"
stop_server; assert_eq "$STOP_RC" 0

# 2. Without --lm: said at start and on the POST; the words (and the list) do not move.
start_server "$T/err2" --data ds --interest tiny
grep -q "no --lm: text events are kept and logged but cannot move" "$T/err2" || fail "no warning at start without --lm"
get /healthz; jq -e '.words_online == false' "$T/body" >/dev/null || fail "healthz claims online words"
recs before2.json
search "$q"
jq -e '.warning | test("--lm")' "$T/body" >/dev/null || fail "the POST's answer does not say the text cannot move the words: $(cat "$T/body")"
recs after2.json
assert_eq "$(jq -c '[.items[].item]' after2.json)" "$(jq -c '[.items[].item]' before2.json)"
stop_server; assert_eq "$STOP_RC" 0

# Vectors that are not --data's user text are refused at start (bad input: exit 3).
run tide-serve --data ds --interest tiny --lm "$TINY" --text-vectors tiny-items.npy --listen 127.0.0.1:0
assert_exit 3
assert_stderr_has "not the user text of --data"

# 3. The real model: a search for a category brings its items in.
MINI="$SRC/models/all-MiniLM-L6-v2"
if [ ! -f "$MINI/model.safetensors" ]; then
    echo "SKIP (part 3 only): $MINI not found (tools/fetch-model.sh): the category check is not run"
    exit 0
fi
capture "$MINI" mini
start_server "$T/err3" --data ds --interest mini --lm "$MINI" --text-vectors mini-words.npy
recs before3.json
cat_count() { jq --arg c "$2" '[.items[] | select(.category | split("|") | index($c))] | length' "$1"; }
# the category least present in the list now, and a search for it
best=""; for c in Gardening Travel Cooking Fitness; do
    n=$(cat_count before3.json "$c"); if [ -z "$best" ] || [ "$n" -lt "$bn" ]; then best=$c; bn=$n; fi
done
case $best in
    Gardening) q="gardening tools and seeds for a vegetable garden" ;;
    Travel) q="travel guides for a backpacking trip" ;;
    Cooking) q="cooking recipes for an easy dinner" ;;
    Fitness) q="fitness training and home workouts" ;;
esac
search "$q"
recs after3.json
an=$(cat_count after3.json "$best")
echo "$best items in the top 10: $bn before the search \"$q\", $an after"
[ "$an" -gt "$bn" ] || fail "the search for $best did not bring $best items in ($bn -> $an)"
# What brought them is the search: each of them has a clearly positive words term.
jq -e --arg c "$best" '[.items[] | select(.category | split("|") | index($c)) | .because.terms.words] | all(. != null and . > 1)' \
    after3.json >/dev/null || fail "the $best items are not there by the words: $(jq -c '[.items[] | [.category, .because.terms.words]]' after3.json)"
stop_server; assert_eq "$STOP_RC" 0
