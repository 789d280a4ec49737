# tide-serve's API end to end: start on a free loopback port, health, events (one, a batch, a
# text event, a new user), recommendations that follow the events with seen items excluded,
# business rules, interests, similar items, search, errors as JSON, bearer token, metrics, and a
# clean stop on SIGTERM with the log holding exactly the accepted events.
source "$SRC/tests/cli/serve/fixture.bash"
make_logs logs 60 48 3
ingest logs ds
"$TIDE_BIN/tide-train-mf" --data ds --algo ease --lambda 10 --out ease -q || fail "train"
"$TIDE_BIN/tide-train-mf" --data ds --algo als --factors 8 --iterations 5 --out als -q || fail "train als"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > token
printf 'u1\ti0\n' > excl.tsv
start_server "$T/err" --data ds --model ease --log lg --token token --exclude excl.tsv
TOK="Authorization: Bearer $(cat token)"

get /healthz; assert_eq "$HTTP" 200; assert_eq "$(jq -r .status body)" ok; assert_eq "$(jq -r .users body)" 60
get /; assert_eq "$HTTP" 200; grep -q '<title>tide-serve</title>' body || fail "page"
! grep -Eq '<script[^>]+src=|<link[^>]+href=|@import|url\(http' body || fail "the page loads something external"

# Recommendations: 10, none seen, none excluded by the rule.
get "/v1/users/u1/recommendations?k=10"; assert_eq "$HTTP" 200
jq -r '.items[].item' body > r0
assert_eq "$(wc -l < r0)" 10
awk -F, '$1=="u1"{print $2}' logs/events.csv | sort -u > seen
[ -z "$(sort r0 | comm -12 - seen)" ] || fail "a seen item was recommended"
! grep -qx i0 r0 || fail "--exclude pair u1 i0 was recommended"

# Writes need the token; reads do not (no --token-reads).
post /v1/events '{"user":"u1","item":"i5"}'; assert_eq "$HTTP" 401; jq -e .error body >/dev/null || fail "error not JSON"
top=$(head -1 r0)
post /v1/events "{\"user\":\"u1\",\"item\":\"$top\",\"weight\":4}" -H "$TOK"; assert_eq "$HTTP" 200
assert_eq "$(jq -r .accepted body)" 1
get "/v1/users/u1/recommendations?k=10"; jq -r '.items[].item' body > r1
! grep -qx "$top" r1 || fail "the item just consumed is still recommended"
[ "$(cat r0)" != "$(cat r1)" ] || fail "recommendations did not move"

# A batch with a new user, a text event; then the new user is known and scored.
post /v1/events '[{"user":"newbie","item":"i3","time":1767300000},{"user":"newbie","item":"i9","time":"2026-01-02T00:00:00Z","type":"view"},{"user":"newbie","text":"space opera","kind":"query"}]' -H "$TOK"
assert_eq "$HTTP" 200; assert_eq "$(jq -r .accepted body)" 3
get "/v1/users/newbie/recommendations?k=5&explain=1"; assert_eq "$HTTP" 200
assert_eq "$(jq -r .scored_by body)" model; assert_eq "$(jq '.items|length' body)" 5
jq -e '.items[0].because.relation and .items[0].title' body >/dev/null || fail "explain=1 lacks reasons"
get /v1/users/newbie; assert_eq "$(jq -r .new body)" true; assert_eq "$(jq -r .events body)" 2; assert_eq "$(jq -r .texts body)" 1

# Candidates rule per request, and MMR needs vectors with EASE (400, not a crash).
get "/v1/users/u1/recommendations?k=3&candidates=i1,i2,i3,i4,i5"; assert_eq "$HTTP" 200
jq -r '.items[].item' body | grep -vqxE 'i[1-5]' && fail "candidates rule broken"
get "/v1/users/u1/recommendations?k=3&diversity=0.5"; assert_eq "$HTTP" 400

# Interests: labelled by genres, shares in [0, 1].
get /v1/users/u1/interests; assert_eq "$HTTP" 200; assert_eq "$(jq -r .label_field body)" genres
jq -e '(.interests|length) > 0 and all(.interests[]; .long_term >= 0 and .long_term <= 1 and .short_term <= 1) and .drift >= 0 and .drift <= 1' body >/dev/null || fail "interests"

# Errors: JSON with a message and the right status.
get /v1/users/nobody/recommendations; assert_eq "$HTTP" 404; jq -e .error body >/dev/null || fail
get "/v1/users/u1/recommendations?k=0"; assert_eq "$HTTP" 400
post /v1/events '{"user":"u1","item":"no-such-item"}' -H "$TOK"; assert_eq "$HTTP" 422; grep -q "unknown item" body || fail "unknown item message"
post /v1/events '{"user":"u1"' -H "$TOK"; assert_eq "$HTTP" 400; grep -q "malformed JSON" body || fail
post /v1/events '{"user":"u1","item":"i1","weight":"heavy"}' -H "$TOK"; assert_eq "$HTTP" 400
get /v1/nothing; assert_eq "$HTTP" 404
get /v1/items/i3/similar; assert_eq "$HTTP" 409   # EASE has no item vectors
get "/v1/search?q=Drama&user=u1&k=3"; assert_eq "$HTTP" 200; assert_eq "$(jq '.items|length' body)" 3

get /metrics; assert_eq "$HTTP" 200
grep -q '^tide_serve_events_applied_total{kind="interaction"} 3$' body || fail "events applied metric"
grep -q 'tide_serve_request_seconds_bucket{route="recommendations",le="+Inf"}' body || fail "latency histogram"
grep -q '^tide_serve_users{state="new"} 1$' body || fail "users metric"
grep -q '^tide_serve_log_bytes_total [1-9]' body || fail "log bytes metric"

stop_server; assert_eq "$STOP_RC" 0
assert_eq "$(wc -l < lg/events.jsonl)" 3
assert_eq "$(wc -l < lg/text.jsonl)" 1

# Restart: the log is replayed, the state is the same.
start_server "$T/err2" --data ds --model ease --log lg
grep -q "replayed 3 events and 1 texts" "$T/err2" || fail "replay count"
get "/v1/users/u1/recommendations?k=10"; jq -r '.items[].item' body > r2
grep -qx "$top" r2 && fail "the replayed event is not reflected"
get /v1/users/newbie; assert_eq "$(jq -r .events body)" 2
stop_server
# --token-reads: reads need the token too.
start_server "$T/err-tr" --data ds --model ease --token token --token-reads
get /v1/users/u1/recommendations; assert_eq "$HTTP" 401
get /v1/users/u1/recommendations -H "$TOK"; assert_eq "$HTTP" 200
get /v1/users/u1/recommendations -H "Authorization: Bearer wrong-token-wrong-token"; assert_eq "$HTTP" 401
stop_server
# Factor model with item factors: similar items work.
start_server "$T/err3" --data ds --model als
get "/v1/items/i3/similar?k=4"; assert_eq "$HTTP" 200; assert_eq "$(jq '.items|length' body)" 4
jq -r '.items[].item' body | grep -qx i3 && fail "an item is similar to itself"
get "/v1/users/u2/recommendations?k=5&diversity=0.3"; assert_eq "$HTTP" 200
stop_server; assert_eq "$STOP_RC" 0
