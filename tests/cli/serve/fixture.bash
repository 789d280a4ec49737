# fixture.bash — sourced by tide-serve's CLI cases: a small catalogue with genres, a day-stamped
# interaction log (users with drifting tastes), its dataset and models, and helpers to start
# and stop a server on a free loopback port. Every wait is bounded in time.
[ -x "$TIDE_BIN/tide-serve" ] || { echo "skip: tide-serve not built (libmicrohttpd missing)"; exit 77; }
command -v curl >/dev/null || { echo "skip: curl missing"; exit 77; }

# make_logs DIR [users] [items] [seed]: DIR/items.csv (item,title,genres) and DIR/events.csv
# (user,item,time,weight); times are one day of seconds per user step, from 2026-01-01.
make_logs() {
    python3 - "$@" <<'PY'
import random, sys, os
d = sys.argv[1]; nu = int(sys.argv[2]) if len(sys.argv) > 2 else 80
ni = int(sys.argv[3]) if len(sys.argv) > 3 else 60; seed = int(sys.argv[4]) if len(sys.argv) > 4 else 5
rng = random.Random(seed)
genres = ["Action", "Comedy", "Drama", "Sci-Fi", "Romance", "Horror"]
os.makedirs(d, exist_ok=True)
with open(f"{d}/items.csv", "w") as f:
    f.write("item,title,genres\n")
    for i in range(ni):
        g = genres[i % len(genres)] + ("|" + genres[(i * 7 + 1) % len(genres)] if i % 3 == 0 else "")
        f.write(f"i{i},Item {i} ({genres[i % len(genres)]}),{g}\n")
t0 = 1767225600
with open(f"{d}/events.csv", "w") as f:
    f.write("user,item,time,weight\n")
    for u in range(nu):
        a, b = rng.randrange(len(genres)), rng.randrange(len(genres))
        n = rng.randint(4, 14)
        for k in range(n):
            g = a if k < n * 0.6 else b
            cand = [i for i in range(ni) if i % len(genres) == g]
            i = rng.choice(cand) if rng.random() < 0.8 else rng.randrange(ni)
            f.write(f"u{u},i{i},{t0 + u * 37 + k * 3600},{rng.choice([1, 1, 2, 3])}\n")
PY
}

# ingest LOGDIR OUT [extra event files...]
ingest() {
    local logs="$1" out="$2"; shift 2
    "$TIDE_BIN/tide-ingest" "$logs/events.csv" "$@" --user-col user --item-col item --time-col time --weight-col weight \
        --items "$logs/items.csv" --item-text-cols title,genres --out "$out" -q || fail "ingest failed"
}

# start_server LOGFILE ARGS... : sets SERVER_PID and URL; waits (<= 20 s) for the listening line.
start_server() {
    local errf="$1"; shift
    "$TIDE_BIN/tide-serve" --listen 127.0.0.1:0 "$@" 2>"$errf" <"${SERVER_STDIN:-/dev/null}" &
    SERVER_PID=$!
    local i
    for i in $(seq 1 200); do
        if grep -q "listening on http://" "$errf" 2>/dev/null; then
            URL=$(grep -o "http://127.0.0.1:[0-9]*" "$errf" | head -1)
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$errf" >&2; fail "tide-serve exited at start"; }
        sleep 0.1
    done
    cat "$errf" >&2
    fail "tide-serve did not start within 20 s"
}

# stop_server: SIGTERM, wait (<= 20 s) and return its exit code in STOP_RC.
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 200); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID"; fail "tide-serve did not stop within 20 s of SIGTERM"; fi
    set +e; wait "$SERVER_PID"; STOP_RC=$?; set -e
}

# get PATH [curl args]: body to $T/body, status in HTTP
get() { local p="$1"; shift; HTTP=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' "$@" "$URL$p"); }
post() { local p="$1" d="$2"; shift 2; HTTP=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$d" "$@" "$URL$p"); }

# A failed assertion must not leave a server behind (ctest would wait on its open stdout).
trap 'if [ -n "${SERVER_PID:-}" ]; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi' EXIT
