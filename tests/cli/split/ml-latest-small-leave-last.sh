# Acceptance on real data: ml-latest-small through tide-ingest, then leave-last with test 1 and
# valid 1. Each user's test event must be the last row of that user in ratings.csv order after a
# stable sort by timestamp, the valid event the second last (verify-leave-last.py reads
# ratings.csv and tags.csv itself and checks every part, text events included).
# Skipped until tide-ingest is built (it lands from another branch) or without the data.
[ -f "$DATA/ml-latest-small/ratings.csv" ] || { echo "SKIP: no $DATA/ml-latest-small"; exit 77; }
[ -x "$TIDE_BIN/tide-ingest" ] || { echo "SKIP: tide-ingest is not built"; exit 77; }
source "$SRC/tests/cli/split/common.bash"
ML="$DATA/ml-latest-small"
run tide-ingest "$ML/ratings.csv" --user-col userId --item-col movieId --time-col timestamp --weight-col rating \
    --items "$ML/movies.csv" --item-id-col movieId --item-text-cols title,genres \
    --text-events "$ML/tags.csv" --text-col tag --out ds
assert_exit 0
run tide-split --data ds --out split --method leave-last --test 1 --valid 1
assert_exit 0
m=split/manifest.json
assert_eq "$(json_get $m .stats.users_split)" 610
assert_eq "$(json_get $m .stats.users_too_short)" 0
assert_eq "$(json_get $m .parts.test.interactions)" 610
assert_eq "$(json_get $m .parts.valid.interactions)" 610
assert_eq "$(json_get $m .parts.train.interactions)" $((100836 - 1220))
assert_eq "$(json_get $m .parts.train_valid.interactions)" $((100836 - 610))
assert_eq "$(( $(json_get $m .parts.train.text_events) + $(json_get $m .parts.valid.text_events) + $(json_get $m .parts.test.text_events) ))" 3683
assert_eq "$(json_get $m .source.checksum)" "$(json_get ds/manifest.json .checksum)"
for p in train valid test train_valid; do
    cmp ds/users.txt split/$p/users.txt || fail "users.txt differs in $p"
    cmp ds/items.txt split/$p/items.txt || fail "items.txt differs in $p"
    cmp ds/item_text.jsonl split/$p/item_text.jsonl || fail "item_text.jsonl differs in $p"
    assert_eq "$(json_get split/$p/manifest.json .counts.items)" 9742
done
"$TIDE_PYTHON" "$HERE/verify-leave-last.py" --csv "$ML/ratings.csv" --user-col userId --item-col movieId \
    --time-col timestamp --weight-col rating --text-csv "$ML/tags.csv" --split split --test 1 --valid 1 \
    || fail "the split disagrees with ratings.csv"
