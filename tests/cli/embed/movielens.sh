# Real data: ml-latest-small ingested by tide-ingest, then every item's title+genres and every tag
# event embedded (tiny committed model: the test stays fast), TF-IDF too, and a nightly-style
# rerun with --cache recomputing nothing.
[ -f "$DATA/ml-latest-small/movies.csv" ] || { echo "skip: no $DATA/ml-latest-small"; exit 77; }
M="$DATA/ml-latest-small"
TINY="$SRC/tests/fixtures/lm/tiny-bert-cls"
run tide-ingest "$M/ratings.csv" --user-col userId --item-col movieId --time-col timestamp --weight-col rating \
    --items "$M/movies.csv" --item-id-col movieId --item-text-cols title,genres \
    --text-events "$M/tags.csv" --text-col tag --out ds --quiet
assert_exit 0
run tide-embed --model "$TINY" --data ds --out items.npy --threads 2
assert_exit 0
assert_eq "$(json_get items.json .rows)" 9742
assert_eq "$(json_get items.json .counts.empty)" 0
assert_eq "$(json_get items.json '.dataset.fields | join(",")')" "title,genres"
assert_eq "$(json_get items.json .dataset.checksum)" "$(json_get ds/manifest.json .checksum)"
assert_eq "$(stat -c %s items.npy)" $((128 + 9742 * 48 * 4))
# the nightly rerun: nothing changed, every row comes from the cache, bit-identical
run tide-embed --model "$TINY" --data ds --cache items.npy --out again.npy --threads 2
assert_exit 0
assert_eq "$(json_get again.json .counts.cached)" 9742
assert_eq "$(json_get again.json .counts.computed)" 0
cmp items.npy again.npy || fail "cached rows differ"
# tags as user text events, with user and time alongside
run tide-embed --model "$TINY" --data ds --user-text --out tags.npy --threads 2
assert_exit 0
assert_eq "$(json_get tags.json .rows)" 3683
assert_eq "$(stat -c %s tags.users.npy)" $((128 + 3683 * 4))
assert_eq "$(stat -c %s tags.times.npy)" $((128 + 3683 * 8))
run tide-embed --model tfidf --data ds --fields genres --dim 16 --out tfidf.npy
assert_exit 0
assert_eq "$(json_get tfidf.json .model.type)" tfidf
assert_no_tmp .
