# A run killed with SIGKILL after a checkpoint and resumed ends with the same bytes as an
# uninterrupted run (same seed, threads); a resume against another dataset is refused.
. "$(dirname "${BASH_SOURCE[0]}")/common.inc"
"$SYNTH" --write "$T/d" 3000 600 90000 7
"$SYNTH" --write "$T/other" 3000 600 90000 8
args=(--data "$T/d" --factors 24 --solver cholesky --iterations 40 --threads 2 --seed 3)
run tide-train-mf "${args[@]}" --out "$T/full"
assert_exit 0
"$TIDE_BIN/tide-train-mf" "${args[@]}" --out "$T/part" --checkpoint-every 1 --quiet &
pid=$!
for _ in $(seq 1 600); do
    [ -f "$T/part.checkpoint/state.json" ] && [ "$(jq .iteration "$T/part.checkpoint/state.json")" -ge 2 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.02
done
kill -0 $pid 2>/dev/null || fail "the run ended before it could be killed"
kill -KILL $pid
wait $pid 2>/dev/null || true
assert_no_file "$T/part"
at=$(jq .iteration "$T/part.checkpoint/state.json")
[ "$at" -lt 40 ] || fail "checkpoint already final"
# Another dataset: refused with exit 3 and the checkpoint kept.
run tide-train-mf --data "$T/other" --factors 24 --solver cholesky --iterations 40 --threads 2 --seed 3 \
    --out "$T/part" --checkpoint-dir "$T/part.checkpoint" --resume
assert_exit 3
assert_stderr_has "different dataset"
# Other parameters: refused with exit 2.
run tide-train-mf --data "$T/d" --factors 24 --solver cg --iterations 40 --threads 2 --seed 3 --out "$T/part" --resume
assert_exit 2
assert_stderr_has "other parameters"
run tide-train-mf "${args[@]}" --out "$T/part" --checkpoint-every 1 --resume
assert_exit 0
assert_stderr_has "resuming from"
cmp "$T/full/user_factors.npy" "$T/part/user_factors.npy" || fail "resumed user factors differ"
cmp "$T/full/item_factors.npy" "$T/part/item_factors.npy" || fail "resumed item factors differ"
assert_eq "$(json_get "$T/part/manifest.json" '.training.log | length')" 40
assert_no_file "$T/part.checkpoint"
