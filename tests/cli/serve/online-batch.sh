# Online equals batch: a day of events replayed through the server (POSTed in batches for EASE
# with a time decay, fed through --events-from - for ALS with new users folded in), then every
# user's top-10 from the server is compared with ingesting the server's log after the original
# data (tide-ingest) and running tide-recommend with the same model: the same lists up to ties.
source "$SRC/tests/cli/serve/fixture.bash"
make_logs logs 80 60 21
python3 "$SRC/tests/cli/serve/split_day.py" logs orig day.jsonl > counts || fail "split"
ndays=$(wc -l < day.jsonl)
[ "$ndays" -gt 50 ] || fail "too few day events ($ndays)"
ingest orig ds0
"$TIDE_BIN/tide-train-mf" --data ds0 --algo ease --lambda 10 --half-life 2d --out ease -q || fail "train ease"
"$TIDE_BIN/tide-train-mf" --data ds0 --algo als --factors 8 --iterations 5 --out als -q || fail "train als"

online_recs() { # online_recs OUT: top-10 of every user the server knows, TSV
    get "/v1/users?limit=1000"; jq -r '.users[]' body > users.txt
    : > "$1"
    while read -r u; do
        get "/v1/users/$u/recommendations?k=10"; [ "$HTTP" = 200 ] || fail "recs of $u: $HTTP"
        jq -r --arg u "$u" '.items[] | [$u, .item, .rank, .score] | @tsv' body >> "$1"
    done < users.txt
}
wait_applied() { # wait_applied N: until /healthz says N events applied (<= 30 s)
    local i
    for i in $(seq 1 300); do
        get /healthz; [ "$(jq -r .events_applied body)" = "$1" ] && return 0; sleep 0.1
    done
    fail "only $(jq -r .events_applied body) of $1 events applied after 30 s"
}

for algo in ease als; do
    rm -rf lg
    if [ $algo = ease ]; then
        start_server "$T/err-$algo" --data ds0 --model $algo --log lg --sync batch
        # POST the day in batches of 25, in time order.
        split -l 25 day.jsonl part.
        for p in part.*; do
            post /v1/events "$(jq -s -c . "$p")"; assert_eq "$HTTP" 200
        done
    else
        SERVER_STDIN=day.jsonl start_server "$T/err-$algo" --data ds0 --model $algo --log lg --events-from -
    fi
    wait_applied "$ndays"
    online_recs online-$algo.tsv
    stop_server; assert_eq "$STOP_RC" 0
    assert_eq "$(wc -l < lg/events.jsonl)" "$ndays"
    # The batch pipeline on the original data + the server's log.
    ingest orig ds1 lg/events.jsonl
    assert_eq "$(jq .counts.items ds1/manifest.json)" "$(jq .counts.items ds0/manifest.json)"
    "$TIDE_BIN/tide-recommend" --data ds1 --model $algo --allow-new-data --k 10 --out batch-$algo.tsv -q || fail "tide-recommend"
    python3 "$SRC/tests/cli/serve/compare_recs.py" online-$algo.tsv batch-$algo.tsv || fail "$algo: online and batch differ"
done
grep -q new0 online-als.tsv || fail "new users missing"
