# events-rate.sh — sourced by the tide-serve benchmarks: events applied per second under wrk
# (2 threads x CONN connections, BATCH events per POST, --sync as the server was started) for 1
# and for 100 events a request, counted from /healthz's events_applied, and the log's syncs.
# Needs HERE, URL, DUR, CONN and users.txt / items.txt in the working directory.
events_rate() {
    local b a0 a1
    for b in 1 100; do
        echo "-- events, $b per request, --sync batch:"
        a0=$(curl -s "$URL/healthz" | jq .events_applied)
        USERS=users.txt ITEMS=items.txt BATCH=$b wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s "$HERE/events.lua" "$URL" | grep -E "Requests/sec|50%|99%|Non-2xx"
        a1=$(curl -s "$URL/healthz" | jq .events_applied)
        echo "events applied: $((a1 - a0)) in ${DUR} s = $(( (a1 - a0) / DUR )) events/s; log syncs $(curl -s "$URL/metrics" | awk '/^tide_serve_log_syncs_total/{print $2}')"
    done
}
