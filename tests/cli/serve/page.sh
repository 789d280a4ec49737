# The page in a real headless browser (Chromium from the distribution): it loads from the
# server alone (nothing external), shows a user's interests and recommendations, and a click on
# "I like this" sends an event after which what is shown changes (the page's ?autoclick test
# hook clicks and records the before/after state in #test-result). Skips loudly without chromium.
source "$SRC/tests/cli/serve/fixture.bash"
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || { echo "SKIP: chromium not installed (apt-get install chromium): the page is not tested in a browser"; exit 77; }
make_logs logs 40 48 8
ingest logs ds
"$TIDE_BIN/tide-train-mf" --data ds --algo ease --lambda 10 --out ease -q || fail "train"
start_server "$T/err" --data ds --model ease --log lg
browse() { # browse URL: the DOM after scripts ran (<= 60 s)
    timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
        --virtual-time-budget=20000 --dump-dom "$1" 2>"$T/chrome.err" > "$T/dom.html" || fail "chromium failed"
}
browse "$URL/?user=u3&autoclick=2"
grep -q 'id="who">user u3<' "$T/dom.html" || fail "the user is not shown"
[ "$(grep -o 'class="bar"' "$T/dom.html" | wc -l)" -ge 1 ] || fail "no interest bars"
[ "$(grep -o 'class="rec' "$T/dom.html" | wc -l)" -ge 5 ] || fail "no recommendations"
grep -q 'class="why"' "$T/dom.html" || fail "no reasons"
res=$(sed -n 's/.*<pre id="test-result"[^>]*>\([^<]*\)<\/pre>.*/\1/p' "$T/dom.html" | sed 's/&quot;/"/g')
[ -n "$res" ] || fail "the test hook did not finish"
echo "$res" | jq -e '.changed == true' >/dev/null || fail "a click did not change what is shown: $res"
# The clicks reached the server as events, in the log.
assert_eq "$(wc -l < lg/events.jsonl)" 2
grep -q '"user":"u3"' lg/events.jsonl || fail "the click's event is not logged"
stop_server; assert_eq "$STOP_RC" 0
# The same page over the dynamic-interest model (--interest): its interests as bars, its
# recommendations with the component each comes from, and a click still moves both.
"$TIDE_BIN/tide-capture-interest" --data ds --fixed-weights --as-of user --components ease,tfidf,cluster,pop \
    --threads 2 --out idir -q || fail "capture-interest"
rm -rf lg2
start_server "$T/err2" --data ds --interest idir --log lg2
browse "$URL/?user=u3&autoclick=2"
grep -q 'dynamic-interest model' "$T/dom.html" || fail "the page does not say the interests come from the interest model"
[ "$(grep -o 'class="bar"' "$T/dom.html" | wc -l)" -ge 1 ] || fail "no interest bars (interest model)"
[ "$(grep -o 'class="rec' "$T/dom.html" | wc -l)" -ge 5 ] || fail "no recommendations (interest model)"
grep -q 'class="why"' "$T/dom.html" || fail "no reasons (interest model)"
res=$(sed -n 's/.*<pre id="test-result"[^>]*>\([^<]*\)<\/pre>.*/\1/p' "$T/dom.html" | sed 's/&quot;/"/g')
echo "$res" | jq -e '.changed == true' >/dev/null || fail "a click did not change what is shown (interest model): $res"
assert_eq "$(wc -l < lg2/events.jsonl)" 2
stop_server; assert_eq "$STOP_RC" 0
