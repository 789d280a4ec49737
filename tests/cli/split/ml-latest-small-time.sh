# Real data, time method: on ml-latest-small a cut leaving 10% of the events for test falls at
# the time of the round(0.1 x 100836) = 10084th latest rating; computed here from ratings.csv
# with sort and awk, as is the number of users with ratings on both sides of it (27, the figure
# ../shared/data/README.md reports). Skipped until tide-ingest is built or without the data.
[ -f "$DATA/ml-latest-small/ratings.csv" ] || { echo "SKIP: no $DATA/ml-latest-small"; exit 77; }
[ -x "$TIDE_BIN/tide-ingest" ] || { echo "SKIP: tide-ingest is not built"; exit 77; }
ML="$DATA/ml-latest-small"
run tide-ingest "$ML/ratings.csv" --user-col userId --item-col movieId --time-col timestamp --weight-col rating --out ds
assert_exit 0
run tide-split --data ds --out split --method time --test-fraction 0.1
assert_exit 0
tail -n +2 "$ML/ratings.csv" | tr -d '\r' >r.csv
cut=$(cut -d, -f4 r.csv | sort -rn | sed -n 10084p)
read -r n_test both <<<"$(awk -F, -v c="$cut" '{t = $4 + 0; u = $1
    if (!(u in lo) || t < lo[u]) lo[u] = t; if (!(u in hi) || t > hi[u]) hi[u] = t; if (t >= c) n++ }
    END { for (u in lo) if (lo[u] < c && hi[u] >= c) b++; print n, b }' r.csv)"
m=split/manifest.json
assert_eq "$(json_get $m .cuts.test)" "$cut"
assert_eq "$(json_get $m .parts.test.interactions)" "$n_test"
assert_eq "$(json_get $m .parts.train.interactions)" $((100836 - n_test))
assert_eq "$(json_get $m .stats.users_both_sides_test_cut)" "$both"
assert_eq "$both" 27
