# --shard I/N: two servers split the users by crc32(id) mod 2 (zlib's CRC-32, computed here by
# Python's zlib): each accepts its own users' events and refuses the other's with 421. With
# HAProxy installed, the docs' configuration (docs/tide-serve.md) routes reads and writes by
# user to the right server; without it that part is skipped, said loudly.
source "$SRC/tests/cli/serve/fixture.bash"
make_logs logs 30 30 6
ingest logs ds
"$TIDE_BIN/tide-train-mf" --data ds --algo ease --lambda 10 --out ease -q || fail "train"
start_server "$T/err0" --data ds --model ease --log lg0 --shard 0/2; P0=$SERVER_PID; U0=$URL
start_server "$T/err1" --data ds --model ease --log lg1 --shard 1/2; P1=$SERVER_PID; U1=$URL
trap 'kill -KILL $P0 $P1 ${HP:-} 2>/dev/null || true' EXIT
shard() { python3 -c 'import sys, zlib; print(zlib.crc32(sys.argv[1].encode()) % 2)' "$1"; }
n_ok=0
for u in u1 u2 u3 u4 u5 u6 brand-new; do
    s=$(shard "$u"); o=$((1 - s))
    mine=$([ "$s" = 0 ] && echo "$U0" || echo "$U1"); other=$([ "$s" = 0 ] && echo "$U1" || echo "$U0")
    URL=$mine; post "/v1/events?user=$u" "{\"user\":\"$u\",\"item\":\"i3\"}"; assert_eq "$HTTP" 200 "($u to shard $s)"
    URL=$other; post "/v1/events?user=$u" "{\"user\":\"$u\",\"item\":\"i3\"}"; assert_eq "$HTTP" 421 "($u to shard $o)"
    n_ok=$((n_ok + 1))
done
assert_eq "$(cat lg0/events.jsonl lg1/events.jsonl | wc -l)" "$n_ok"
if HAPROXY=$(command -v haproxy); then
    hp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat > hp.cfg <<CFG
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend tide
    bind 127.0.0.1:$hp_port
    http-request set-var(txn.user) path,field(4,/) if { path_beg /v1/users/ }
    http-request set-var(txn.user) url_param(user) if { path /v1/events }
    http-request set-var(txn.shard) var(txn.user),crc32,mod(2) if { var(txn.user) -m found }
    use_backend shard0 if { var(txn.shard) -m int 0 }
    use_backend shard1 if { var(txn.shard) -m int 1 }
    default_backend shard0
backend shard0
    server s0 ${U0#http://}
backend shard1
    server s1 ${U1#http://}
CFG
    "$HAPROXY" -f hp.cfg -db > hp.log 2>&1 & HP=$!
    for i in $(seq 1 100); do curl -s -m 1 "http://127.0.0.1:$hp_port/healthz" >/dev/null && break; sleep 0.1; done
    URL="http://127.0.0.1:$hp_port"
    for u in u7 u8 u9 u10 u11 u12 another-new; do
        post "/v1/events?user=$u" "{\"user\":\"$u\",\"item\":\"i4\"}"; assert_eq "$HTTP" 200 "(through haproxy: $u)"
        get "/v1/users/$u/recommendations?k=3"; assert_eq "$HTTP" 200
        get "/v1/users/$u"; assert_eq "$(jq -r .events body | tr -d '\n' | grep -c .)" 1
    done
    assert_eq "$(cat lg0/events.jsonl lg1/events.jsonl | wc -l)" "$((n_ok + 7))"
    kill $HP
else
    echo "SKIP (part): haproxy not installed; the proxy configuration of docs/tide-serve.md is not exercised"
fi
SERVER_PID=$P0; stop_server; assert_eq "$STOP_RC" 0
SERVER_PID=$P1; stop_server; assert_eq "$STOP_RC" 0
