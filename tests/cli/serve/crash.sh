# kill -9 under load, 20 times: every acknowledged event is reflected after restart, none applied
# twice (crash.py), across --sync batch, none and always; then a torn tail written by hand (half
# a line, as a crash in the middle of a write leaves) is cut off and the rest replayed.
source "$SRC/tests/cli/serve/fixture.bash"
make_logs logs 20 40 9
ingest logs ds
"$TIDE_BIN/tide-train-mf" --data ds --algo ease --lambda 10 --out ease -q || fail "train"
python3 "$SRC/tests/cli/serve/crash.py" "$TIDE_BIN" ds ease lg 20 11 || fail "crash test"
n=$(wc -l < lg/events.jsonl)
printf '{"user":"u1","item":"i2","ti' >> lg/events.jsonl
start_server "$T/err" --data ds --model ease --log lg
grep -q "cut off a torn tail of 28 bytes" "$T/err" || fail "torn tail not reported"
grep -q "replayed $n events" "$T/err" || fail "replay after the torn tail"
stop_server; assert_eq "$STOP_RC" 0
assert_eq "$(wc -l < lg/events.jsonl)" "$n"
tail -c 1 lg/events.jsonl | od -c | grep -q '\\n' || fail "log does not end with a full line"
# Corruption in the middle is not a torn tail: refused with file:line.
sed -i '2s/.*/{"user":broken/' lg/events.jsonl
run tide-serve --data ds --model ease --log lg --listen 127.0.0.1:0
assert_exit 3; assert_stderr_has "events.jsonl:2:"
