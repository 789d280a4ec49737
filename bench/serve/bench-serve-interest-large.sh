#!/usr/bin/env bash
# bench-serve-interest-large.sh — tide-serve's /recommendations from the dynamic-interest model at
# 100,000 items, issue 14's scale target (p99 <= 10 ms for a top-10 while 1,000 events/s are
# applied). The catalogue is bench/interest/speed.sh's (speed_data.py: USERS users x EVENTS events
# over ITEMS items in 50 topics, DIM-wide item vectors clustered by topic), an ALS model of 64
# factors, and tide-capture-interest --model als with trans, als, lm, cluster, pop (equal weights,
# as-of user) — above 16,384 items the scorer uses its large-catalogue regime (sampled z-score
# statistics, exact pruned top-K; docs/tide-serve.md).
#
# Prints: the server's CPU per recommendation (200 sequential requests, utime+stime), also for
# BEFORE_BIN's tide-serve when given (a build without the large regime, e.g. main before it); the
# items scored exactly per user (tide-recommend -v over 2,000 users: the same formula and pruning
# as the server); wrk p50/p99 with 1 connection, the same while bench/serve/feed.py applies
# 1,000 events/s, 2 x CONN connections, and events/s applied with 1 and 100 events a request.
# Not a test: figures go to bench/RESULTS.md by hand, with the machine's load.
#
# usage: bench-serve-interest-large.sh BIN WORK
#   env: USERS (50000) EVENTS (50) ITEMS (100000) DIM (384) DUR (15) CONN (16) BEFORE_BIN (none)
#        PYTHON (a python with numpy, for speed_data.py; default build/venv's, else python3)
# WORK keeps what it built (raw/, base/, als/, full/): a rerun reuses it.
set -euo pipefail
BIN=$(realpath "$1"); WORK="$2"
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/while-feeding.sh"
source "$HERE/events-rate.sh"
USERS=${USERS:-50000} EVENTS=${EVENTS:-50} ITEMS=${ITEMS:-100000} DIM=${DIM:-384}
DUR=${DUR:-15}; CONN=${CONN:-16}
VENV_PY="$HERE/../../build/venv/bin/python"; [ -x "$VENV_PY" ] || VENV_PY=python3
PYTHON=${PYTHON:-$VENV_PY}
mkdir -p "$WORK"; cd "$WORK"
export OPENBLAS_NUM_THREADS=1
t=$(date +%s)
[ -f raw/item_vectors.npy ] || "$PYTHON" "$HERE/../interest/speed_data.py" raw "$USERS" "$EVENTS" "$ITEMS" "$DIM" 0.05 5 1
[ -f base/manifest.json ] || "$BIN/tide-ingest" raw/base.csv --user-col user_id --item-col item_id --time-col timestamp \
    --items raw/items.csv --item-id-col item_id --item-text-cols title --out base -q
[ -f als/manifest.json ] || "$BIN/tide-train-mf" --algo als --data base --out als --factors 64 --iterations 15 --threads 2 -q
[ -f full/manifest.json ] || "$BIN/tide-capture-interest" --data base --model als --item-vectors raw/item_vectors.npy \
    --components als,lm,cluster,trans,pop --fixed-weights --as-of user --threads 2 --out full -q
echo "prepared in $(( $(date +%s) - t )) s: $(jq -r '.dataset.users' full/manifest.json) users x $(jq -r '.dataset.items' full/manifest.json) items, components $(jq -c '.settings.components' full/manifest.json)"
cp base/users.txt users.txt; cp base/items.txt items.txt
NU=$(wc -l < users.txt)
head -2000 users.txt > users2k.txt
"$BIN/tide-recommend" --data base --model full --users users2k.txt --k 10 --threads 1 --out recs2k.tsv -v 2>&1 |
    grep -E "users in|pruned top-K"

serve() { # serve BIN: starts tide-serve, sets PID URL PORT
    rm -rf lg
    "$1/tide-serve" --data base --interest full --log lg --sync batch --listen 127.0.0.1:0 --max-connections 1024 2>err &
    PID=$!
    for i in $(seq 1 1200); do grep -q "listening" err 2>/dev/null && break; sleep 0.5; done
    grep -q listening err || { cat err; exit 1; }
    URL=$(grep -o "http://127.0.0.1:[0-9]*" err); PORT=${URL##*:}
}
cpu_per_rec() { # cpu_per_rec LABEL: 200 sequential requests (after 20 to warm up), utime+stime of the server
    for i in $(seq 1 20); do curl -s -o /dev/null "$URL/v1/users/$(sed -n "$(( (i * 7919) % NU + 1 ))p" users.txt)/recommendations?k=10"; done
    local c0 c1
    c0=$(awk '{print $14 + $15}' /proc/$PID/stat)
    for i in $(seq 1 200); do curl -s -o /dev/null "$URL/v1/users/$(sed -n "$(( (i * 37) % NU + 1 ))p" users.txt)/recommendations?k=10"; done
    c1=$(awk '{print $14 + $15}' /proc/$PID/stat)
    echo "$1: server CPU per recommendation (200 sequential requests): $(( (c1 - c0) * 10 / 200 )).$(( (c1 - c0) * 100 / 200 % 10 )) ms"
}
rss() { awk '/VmRSS/{print $2}' /proc/$PID/status; }

if [ -n "${BEFORE_BIN:-}" ]; then
    serve "$(realpath "$BEFORE_BIN")"
    cpu_per_rec "before ($BEFORE_BIN)"
    kill -TERM $PID; wait $PID || true
fi
serve "$BIN"
echo "== interest, $ITEMS items: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; RSS $(rss) kB"
cpu_per_rec "this build"
echo "-- recommendations, 1 connection, load $(cut -d' ' -f1-3 /proc/loadavg):"
USERS=users.txt wrk -t1 -c1 -d"${DUR}s" --latency -s "$HERE/recs.lua" "$URL" | grep -E "Requests/sec|50%|99%|Non-2xx"
recs_one_conn_while_feeding
echo "-- recommendations, 2 x $CONN connections, load $(cut -d' ' -f1-3 /proc/loadavg):"
USERS=users.txt wrk -t2 -c"$CONN" -d"${DUR}s" --latency -s "$HERE/recs.lua" "$URL" | grep -E "Requests/sec|50%|99%|Non-2xx"
events_rate
echo "RSS at the end $(rss) kB"
kill -TERM $PID; wait $PID || true
