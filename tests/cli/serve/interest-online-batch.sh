# Online equals batch for the dynamic-interest model, text events included: the sample data up
# to a cut is the batch (tide-embed's item and user-text vectors with the tiny test LM, then
# tide-capture-interest with the words and seq components), the rest — interactions, searches, two new
# users — is POSTed to a server started with --interest and --lm, which embeds each text event
# as it arrives. Every touched user's (and some untouched users') /recommendations top-10 must
# equal the batch pipeline on the original data plus the server's log: tide-ingest, tide-embed
# --user-text, tide-capture-interest --update, tide-recommend with the interest dir — up to ties.
source "$SRC/tests/cli/serve/fixture.bash"
[ -f "$SRC/data/sample/interactions.csv.gz" ] || skip "data/sample not found"
LM="$SRC/tests/fixtures/lm/tiny-bert-cls"
[ -f "$LM/model.safetensors" ] || skip "the tiny test LM is missing"
python3 "$SRC/tests/cli/serve/split_sample.py" "$SRC/data/sample" orig day.jsonl > counts || fail "split"
ntext=$(grep -c '"text"' day.jsonl); nev=$(grep -vc '"text"' day.jsonl)
[ "$ntext" -ge 10 ] && [ "$nev" -ge 200 ] || fail "too few day events ($nev) or texts ($ntext)"
ingest_sample() { # ingest_sample OUT EVENTS... TEXTFILE
    local out="$1"; shift
    local text="${@: -1}"; set -- "${@:1:$#-1}"
    "$TIDE_BIN/tide-ingest" "$@" --user-col user --item-col item --time-col time --weight-col weight \
        --items orig/items.csv --item-text-cols title,category --text-events "$text" --text-col text \
        --out "$out" -q || fail "ingest $out"
}
ingest_sample ds0 orig/interactions.csv orig/text.jsonl
"$TIDE_BIN/tide-embed" --model "$LM" --data ds0 --out items.npy -q || fail "embed items"
"$TIDE_BIN/tide-embed" --model "$LM" --data ds0 --user-text --out words0.npy -q || fail "embed user text"
"$TIDE_BIN/tide-capture-interest" --data ds0 --item-vectors items.npy --text-vectors words0.npy --as-of user \
    --fixed-weights --components ease,knn,trans,lm,cluster,words,pop,seq --threads 2 --out idir0 -q || fail "capture"

start_server "$T/err" --data ds0 --interest idir0 --lm "$LM" --text-vectors words0.npy --log lg --sync none
grep -q "recommendations from the interest model" "$T/err" || fail "the start line does not say recommendations come from the interest model"
split -l 40 day.jsonl part.
for p in part.*; do
    post /v1/events "$(jq -s -c . "$p")"; assert_eq "$HTTP" 200
    jq -e 'has("warning") | not' "$T/body" >/dev/null || fail "a warning with --lm: $(cat "$T/body")"
done
get /healthz; jq -e '.recommendations == "interest" and .words_online == true' "$T/body" >/dev/null || fail "healthz: $(cat "$T/body")"
# The users to compare: everyone the day touched, and the first 40 users it did not.
jq -r .user day.jsonl | sort -u > touched
get "/v1/users?limit=60"; jq -r '.users[]' "$T/body" | grep -vxFf touched | head -40 > untouched
cat touched untouched > users.txt
: > online.tsv
while read -r u; do
    get "/v1/users/$u/recommendations?k=10"; [ "$HTTP" = 200 ] || fail "recs of $u: $HTTP $(cat "$T/body")"
    jq -r --arg u "$u" '.items[] | [$u, .item, .rank, .score] | @tsv' "$T/body" >> online.tsv
done < users.txt
stop_server; assert_eq "$STOP_RC" 0
assert_eq "$(wc -l < lg/text.jsonl)" "$ntext"

# The batch pipeline on the original data + the server's log.
cat orig/text.jsonl lg/text.jsonl > text-all.jsonl
ingest_sample ds1 orig/interactions.csv lg/events.jsonl text-all.jsonl
assert_eq "$(jq .counts.items ds1/manifest.json)" "$(jq .counts.items ds0/manifest.json)"
assert_eq "$(jq .counts.text_events ds1/manifest.json)" "$(( $(jq .counts.text_events ds0/manifest.json) + ntext ))"
"$TIDE_BIN/tide-embed" --model "$LM" --data ds1 --user-text --out words1.npy -q || fail "embed user text (batch)"
"$TIDE_BIN/tide-capture-interest" --data ds1 --update idir0 --item-vectors items.npy --text-vectors words1.npy \
    --as-of user --threads 2 --out idir1 -q || fail "capture --update"
"$TIDE_BIN/tide-recommend" --data ds1 --model idir1 --users users.txt --k 10 --out batch.tsv -q || fail "tide-recommend"
python3 "$SRC/tests/cli/serve/compare_recs.py" online.tsv batch.tsv || fail "online and batch differ"
# The words mattered: a user's list with their searches differs from the one without them.
grep -q '^new0' online.tsv || fail "new users missing"
