# while-feeding.sh — sourced by the tide-serve benchmarks: one connection's recommendation latency
# (wrk) while bench/serve/feed.py applies 1,000 events/s, and how many events the server applied
# meanwhile. Needs HERE, URL, PORT, DUR and users.txt / items.txt in the working directory.
recs_one_conn_while_feeding() {
    echo "-- recommendations, 1 connection, while 1,000 events/s are applied, load $(cut -d' ' -f1-3 /proc/loadavg):"
    local a0 a1 feed
    a0=$(curl -s "$URL/healthz" | jq .events_applied)
    python3 "$HERE/feed.py" "$PORT" users.txt items.txt 1000 "$((DUR + 2))" & feed=$!
    USERS=users.txt wrk -t1 -c1 -d"${DUR}s" --latency -s "$HERE/recs.lua" "$URL" | grep -E "Requests/sec|50%|99%|Non-2xx"
    wait $feed
    a1=$(curl -s "$URL/healthz" | jq .events_applied)
    echo "events applied meanwhile: $((a1 - a0))"
}
