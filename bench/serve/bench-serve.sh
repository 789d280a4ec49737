#!/usr/bin/env bash
# bench-serve.sh — tide-serve under wrk on loopback (2 wrk threads): recommendations (req/s,
# p50/p99), recommendations while 1,000 events/s are applied, events/s with --sync batch (one
# event per request and 100 per request), and memory per user. Not a test: figures go to
# bench/RESULTS.md by hand, with the machine's load at the time.
# usage: bench-serve.sh BIN WORK ml|synth [users items dim]
set -euo pipefail
BIN=$(realpath "$1"); WORK="$2"; WHAT="$3"
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/while-feeding.sh"
source "$HERE/events-rate.sh"
mkdir -p "$WORK"; cd "$WORK"
DUR=${DUR:-15}; CONN=${CONN:-16}
if [ "$WHAT" = ml ]; then
    D=${ML:-$HERE/../../../shared/data/ml-latest-small}
    [ -d ds ] || "$BIN/tide-ingest" "$D/ratings.csv" --user-col userId --item-col movieId --time-col timestamp \
        --weight-col rating --items "$D/movies.csv" --item-text-cols title,genres --out ds -q
    [ -d model ] || "$BIN/tide-train-mf" --data ds --algo als --factors 64 --iterations 10 --out model -q
    DATA=ds MODEL=model
else
    NU=${4:-1000000} NI=${5:-100000} DIM=${6:-384}
    [ -d gen ] || "$BIN/bench-recommend" gen --out gen --users "$NU" --items "$NI" --dim "$DIM" --seen 20 --algos als --queries 1
    DATA=gen/data MODEL=gen/als
fi
awk "NR <= 100000" "$DATA/users.txt" > users.txt
cp "$DATA/items.txt" items.txt
start() {
    rm -rf lg
    "$BIN/tide-serve" --data "$DATA" --model "$MODEL" --log lg --sync batch --listen 127.0.0.1:0 --max-connections 1024 "$@" 2>err &
    PID=$!
    for i in $(seq 1 600); do grep -q "listening" err 2>/dev/null && break; sleep 0.5; done
    URL=$(grep -o "http://127.0.0.1:[0-9]*" err); PORT=${URL##*:}
    grep -q listening err || { cat err; exit 1; }
}
stop() { kill -TERM $PID; wait $PID || true; }
rss() { awk '/VmRSS/{print $2}' /proc/$PID/status; }
echo "== $WHAT: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
t0=$(date +%s.%N); start; t1=$(date +%s.%N)
echo "start-up: $(echo "$t1 - $t0" | bc) s; RSS after start $(rss) kB"
grep "quantised" err || true
c0=$(awk '{print $14 + $15}' /proc/$PID/stat)
for i in $(seq 1 200); do curl -s -o /dev/null "$URL/v1/users/$(sed -n "$((i * 37))p" users.txt)/recommendations?k=10"; done
c1=$(awk '{print $14 + $15}' /proc/$PID/stat)
echo "server CPU per recommendation (200 sequential requests, utime+stime): $(( (c1 - c0) * 10 / 200 )).$(( (c1 - c0) * 100 / 200 % 10 )) ms"
USERS=users.txt wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s "$HERE/recs.lua" "$URL" | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "-- recommendations, 1 connection (the server's own latency), load $(cut -d' ' -f1-3 /proc/loadavg):"
USERS=users.txt wrk -t1 -c1 -d"${DUR}s" --latency -s "$HERE/recs.lua" "$URL" | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "-- recommendations while 1,000 events/s are applied, load $(cut -d' ' -f1-3 /proc/loadavg):"
python3 "$HERE/feed.py" "$PORT" users.txt items.txt 1000 "$((DUR + 2))" & FEED=$!
USERS=users.txt wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s "$HERE/recs.lua" "$URL" | grep -E "Requests/sec|50%|99%|Non-2xx"
wait $FEED
recs_one_conn_while_feeding
events_rate
echo "RSS at the end $(rss) kB; users with online state $(curl -s "$URL/metrics" | awk '/users{state="online"}/{print $2}')"
stop
