# Acceptance on real data: ml-latest-small (ratings + movies catalog + tags as text events).
[ -f "$DATA/ml-latest-small/ratings.csv" ] || { echo "skip: no $DATA/ml-latest-small"; exit 77; }
M="$DATA/ml-latest-small"
run tide-ingest "$M/ratings.csv" --user-col userId --item-col movieId --time-col timestamp --weight-col rating \
    --items "$M/movies.csv" --item-id-col movieId --item-text-cols title,genres \
    --text-events "$M/tags.csv" --text-col tag --out ds
assert_exit 0
assert_stdout_empty
assert_stderr_has "100836 interactions"
m=ds/manifest.json
assert_eq "$(json_get $m .counts.users)" 610
assert_eq "$(json_get $m .counts.items)" 9742
assert_eq "$(json_get $m .counts.items_with_interactions)" 9724
assert_eq "$(json_get $m .counts.interactions)" 100836
assert_eq "$(json_get $m .counts.text_events)" 3683
assert_eq "$(json_get $m .counts.items_with_text)" 9742
assert_eq "$(json_get $m .catalog_only_items)" 18
assert_eq "$(json_get $m .rows_skipped)" 0
assert_eq "$(json_get $m .columns.user)" userId
assert_eq "$(json_get $m '.columns.items.text | join(",")')" "title,genres"
assert_eq "$(json_get $m '.sources[0].bytes')" "$(stat -c %s "$M/ratings.csv")"
assert_eq "$(json_get $m '.sources[2].role')" text_events
assert_eq "$(json_get $m .time_range.min_iso)" "1996-03-29T18:36:55Z"
assert_eq "$(wc -l < ds/users.txt)" 610
assert_eq "$(wc -l < ds/items.txt)" 9742
assert_eq "$(head -1 ds/items.txt)" 1
# item 0's text is movies.csv's first data row, read from the data itself (never copied here)
row=$(sed -n 2p "$M/movies.csv" | tr -d '\r')
title=${row#*,}; title=${title%,*}; genres=${row##*,}
assert_eq "$(sed -n 1p ds/item_text.jsonl)" "{\"title\":\"$title\",\"genres\":\"$genres\"}"
# k-core on the same data (users >= 20 events, items >= 10, to a fixed point); the expected sizes
# come from a plain Python loop that filters until nothing changes: 592 users, 2264 items, 80783.
run tide-ingest "$M/ratings.csv" --user-col userId --item-col movieId --time-col timestamp \
    --min-user-events 20 --min-item-events 10 --out core
assert_exit 0
k=core/manifest.json
assert_eq "$(json_get $k .counts.users)" 592
assert_eq "$(json_get $k .counts.items)" 2264
assert_eq "$(json_get $k .counts.interactions)" 80783
assert_eq "$(json_get $k .kcore.users_removed)" 18
assert_eq "$(json_get $k .kcore.items_removed)" $((9724 - 2264))
assert_eq "$(json_get $k .kcore.interactions_removed)" $((100836 - 80783))
