# A --time-col that is not a time (a rating) is warned about, not accepted silently: every time
# before 1990, every time in the future, or a handful of distinct values within seconds. Real
# timestamps give no warning. The run still succeeds (data can really be like that).
{
    echo "user,item,rating,timestamp,future"
    for i in $(seq 0 149); do
        echo "u$((i % 7)),i$i,$((i % 5 + 1)),$((1500000000 + i * 3600)),$((4102444800 + i))"
    done
} > log.csv
run tide-ingest log.csv --user-col user --item-col item --time-col rating --out ds1
assert_exit 0
assert_stderr_has "warning: --time-col rating: every time is before 1990"
assert_stderr_has "150 events take only 5 distinct times within 4 s"
run tide-ingest log.csv --user-col user --item-col item --time-col future --out ds2
assert_exit 0
assert_stderr_has "warning: --time-col future: every time is in the future"
run tide-ingest log.csv --user-col user --item-col item --time-col timestamp --out ds3
assert_exit 0
grep -q "time-col" "$RUN_ERR" && fail "a warning for real timestamps"
true
