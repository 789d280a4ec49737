# Real gzip JSON lines: Amazon 2018 All_Beauty 5-core, reviews as interactions and, from the same
# file, review texts as text events (5 reviews have no reviewText and are counted, not kept).
A="$DATA/amazon-2018-5core/All_Beauty_5.json.gz"
[ -f "$A" ] || { echo "skip: no $A"; exit 77; }
run tide-ingest "$A" --user-col reviewerID --item-col asin --time-col unixReviewTime --weight-col overall \
    --text-events "$A" --text-col reviewText --out ds
assert_exit 0
m=ds/manifest.json
assert_eq "$(json_get $m .counts.users)" 991
assert_eq "$(json_get $m .counts.items)" 85
assert_eq "$(json_get $m .counts.interactions)" 5269
assert_eq "$(json_get $m .counts.text_events)" 5264
assert_eq "$(json_get $m .text_events_dropped.empty_text)" 5
assert_eq "$(json_get $m .columns.text_events.item)" asin
assert_eq "$(json_get $m '.sources[0].format')" jsonl
assert_eq "$(json_get $m '.sources[0].gzip')" true
assert_eq "$(json_get $m .time_range.min_iso)" "2004-09-21T00:00:00Z"
assert_eq "$(json_get $m .time_range.max_iso)" "2018-08-23T00:00:00Z"
# Aggregating the duplicated variant reviews: one entry per (user, item).
run tide-ingest "$A" --user-col reviewerID --item-col asin --time-col unixReviewTime --aggregate count --out agg
assert_exit 0
assert_eq "$(json_get agg/manifest.json .aggregate.events_merged)" 1177
assert_eq "$(json_get agg/manifest.json .counts.interactions)" $((5269 - 1177))
