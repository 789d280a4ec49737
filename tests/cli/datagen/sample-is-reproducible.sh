# The committed sample in data/sample is exactly what the generator makes with the documented
# command (data/README.md), so it can always be rebuilt and nobody hand-edited it.
run tide-datagen --out "$T/s" --users 3000 --items 2000 --events 60000 --seed 42
assert_exit 0
cmp "$T/s/items.csv" "$SRC/data/sample/items.csv" || fail "items.csv differs"
cmp "$T/s/text_events.csv" "$SRC/data/sample/text_events.csv" || fail "text_events.csv differs"
zcat "$SRC/data/sample/interactions.csv.gz" | cmp - "$T/s/interactions.csv" || fail "interactions differ"
