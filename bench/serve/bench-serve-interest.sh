#!/usr/bin/env bash
# bench-serve-interest.sh — tide-serve's /recommendations from the dynamic-interest model
# (--interest, with --lm embedding text events online) on ml-latest-small under wrk on loopback:
# p50/p99 with 1 connection, the same while 1,000 events/s (interactions) are applied, with
# 2 × 16 connections, the server's CPU per request, and the cost of a text event (POST, embedded
# by the LM). Not a test: figures go to bench/RESULTS.md by hand, with the machine's load.
# usage: bench-serve-interest.sh BIN WORK [LM_DIR]   (env ML = the ml-latest-small folder)
set -euo pipefail
BIN=$(realpath "$1"); WORK="$2"
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/while-feeding.sh"
LM=$(realpath "${3:-$HERE/../../models/all-MiniLM-L6-v2}")
D=${ML:-$HERE/../../../shared/data/ml-latest-small}
mkdir -p "$WORK"; cd "$WORK"
DUR=${DUR:-15}; CONN=${CONN:-16}
t=$(date +%s)
[ -d ds ] || "$BIN/tide-ingest" "$D/ratings.csv" --user-col userId --item-col movieId --time-col timestamp \
    --weight-col rating --items "$D/movies.csv" --item-text-cols title,genres \
    --text-events "$D/tags.csv" --text-col tag --out ds -q
[ -f items.npy ] || "$BIN/tide-embed" --model "$LM" --data ds --out items.npy -q
[ -f words.npy ] || "$BIN/tide-embed" --model "$LM" --data ds --user-text --out words.npy -q
[ -d idir ] || "$BIN/tide-capture-interest" --data ds --item-vectors items.npy --text-vectors words.npy --as-of user \
    --fixed-weights --out idir -q
echo "prepared in $(( $(date +%s) - t )) s; components: $(jq -c '.settings.weights' idir/manifest.json)"
cp ds/users.txt users.txt; cp ds/items.txt items.txt
rm -rf lg
"$BIN/tide-serve" --data ds --interest idir --lm "$LM" --text-vectors words.npy --log lg --sync batch \
    --listen 127.0.0.1:0 --max-connections 1024 2>err &
PID=$!
for i in $(seq 1 600); do grep -q "listening" err 2>/dev/null && break; sleep 0.5; done
grep -q listening err || { cat err; exit 1; }
URL=$(grep -o "http://127.0.0.1:[0-9]*" err); PORT=${URL##*:}
rss() { awk '/VmRSS/{print $2}' /proc/$PID/status; }
echo "== interest, ml-latest-small: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; RSS $(rss) kB"
c0=$(awk '{print $14 + $15}' /proc/$PID/stat)
for i in $(seq 1 200); do curl -s -o /dev/null "$URL/v1/users/$(sed -n "$(( (i * 37) % 610 + 1 ))p" users.txt)/recommendations?k=10"; done
c1=$(awk '{print $14 + $15}' /proc/$PID/stat)
echo "server CPU per recommendation (200 sequential requests, utime+stime): $(( (c1 - c0) * 10 / 200 )).$(( (c1 - c0) * 100 / 200 % 10 )) ms"
echo "-- recommendations, 1 connection, load $(cut -d' ' -f1-3 /proc/loadavg):"
USERS=users.txt wrk -t1 -c1 -d"${DUR}s" --latency -s "$HERE/recs.lua" "$URL" | grep -E "Requests/sec|50%|99%|Non-2xx"
recs_one_conn_while_feeding
echo "-- recommendations, 2 x $CONN connections, load $(cut -d' ' -f1-3 /proc/loadavg):"
USERS=users.txt wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s "$HERE/recs.lua" "$URL" | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "-- a text event (query) POSTed and embedded by the LM, then the user's recommendations: 50 users, sequential"
tot_p=0; tot_r=0
for i in $(seq 1 50); do
    u=$(sed -n "$(( (i * 13) % 610 + 1 ))p" users.txt)
    p=$(curl -s -o /dev/null -w '%{time_total}' "$URL/v1/events" -d "{\"user\":\"$u\",\"text\":\"dark science fiction with robots $i\",\"kind\":\"query\"}")
    r=$(curl -s -o /dev/null -w '%{time_total}' "$URL/v1/users/$u/recommendations?k=10")
    tot_p=$(echo "$tot_p + $p" | bc -l); tot_r=$(echo "$tot_r + $r" | bc -l)
done
echo "mean POST (embed + log sync) $(echo "$tot_p * 20" | bc -l | cut -c1-6) ms, mean recommendations after it $(echo "$tot_r * 20" | bc -l | cut -c1-6) ms"
echo "RSS at the end $(rss) kB"
kill -TERM $PID; wait $PID || true
