# Content retrieval answers with item ids: vectors of a dataset's items (tide-embed --data) used
# without --data are refused (exit 2) instead of printing row numbers in the item column; with
# --data the item column holds that dataset's ids; vectors embedded from another dataset are bad
# data (exit 3). Vectors of plain lines (tide-embed --text) have no ids: row numbers, as documented.
TINY="$SRC/tests/fixtures/lm/tiny-bert-cls"
run tide-datagen --out logs --users 10 --items 24 --events 100 --seed 5
assert_exit 0
run tide-ingest logs/interactions.csv --user-col user_id --item-col item_id --time-col timestamp \
    --items logs/items.csv --item-text-cols title,category --out ds
assert_exit 0
run tide-embed --model "$TINY" --data ds --out items.npy
assert_exit 0
run tide-recommend --query "warm boots" --lm "$TINY" --item-vectors items.npy --k 3
assert_exit 2
assert_stderr_has "items.npy holds a dataset's item vectors: give that dataset as --data"
run tide-recommend --query "warm boots" --lm "$TINY" --item-vectors items.npy --data ds --k 3 --out got.tsv
assert_exit 0
[ "$(wc -l < got.tsv)" -eq 3 ] || fail "expected 3 lines"
while IFS=$'\t' read -r q item rank score; do
    grep -qxF -- "$item" ds/items.txt || fail "item column holds '$item', not an id of ds/items.txt"
done < got.tsv
# the same rows under --query-vectors
printf 'warm boots\n' > q.txt
run tide-embed --model "$TINY" --text q.txt --out q.npy
assert_exit 0
run tide-recommend --query-vectors q.npy --item-vectors items.npy --k 3
assert_exit 2
run tide-recommend --query-vectors q.npy --item-vectors items.npy --data ds --k 3 --out got2.tsv
assert_exit 0
cmp got.tsv got2.tsv || fail "--query and --query-vectors differ"
# vectors of another dataset's items: refused as bad data
run tide-datagen --out logs2 --users 10 --items 24 --events 100 --seed 6
run tide-ingest logs2/interactions.csv --user-col user_id --item-col item_id --time-col timestamp \
    --items logs2/items.csv --item-text-cols title,category --out ds2
assert_exit 0
run tide-recommend --query "warm boots" --lm "$TINY" --item-vectors items.npy --data ds2 --k 3
assert_exit 3
assert_stderr_has "items.npy was embedded from another dataset"
