# Hostile clients (hostile.py): malformed JSON, wrong types, deep nesting, oversized bodies
# (declared and chunked), unknown ids, wrong methods, stalled clients, a connection flood —
# 4xx with a message or a cut connection, no crash, others still served, memory bounded.
source "$SRC/tests/cli/serve/fixture.bash"
make_logs logs 30 30 4
ingest logs ds
"$TIDE_BIN/tide-train-mf" --data ds --algo ease --lambda 10 --out ease -q || fail "train"
start_server "$T/err" --data ds --model ease --log lg --max-body-kb 512 --timeout 2 --max-connections 64
port=${URL##*:}
python3 "$SRC/tests/cli/serve/hostile.py" "$port" "$SERVER_PID" || fail "hostile clients"
kill -0 "$SERVER_PID" || fail "the server died"
stop_server; assert_eq "$STOP_RC" 0
# Nothing refused reached the log.
[ ! -s lg/events.jsonl ] || fail "a refused event was logged"
[ ! -s lg/text.jsonl ] || fail "a refused text event was logged"
# Usage errors at start.
run tide-serve --data ds --model ease --listen 0.0.0.0:notaport; assert_exit 2
run tide-serve --data ds --model ease --sync sometimes; assert_exit 2
run tide-serve --data ds; assert_exit 2
run tide-serve --data ds --model ease --interest somewhere; [ "$RUN_RC" -ne 0 ] || fail "a missing --interest dir was accepted"; assert_stderr_has somewhere
