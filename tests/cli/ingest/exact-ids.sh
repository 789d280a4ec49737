# Ids are the literal text the file holds (issue 15): numeric JSON ids keep their digits as
# written (never a double's rounding), an escaped NUL in an id is a bad row (it cannot be held
# by users.txt, and cJSON would cut the id at it), and a weight beyond float32 is a bad row.
# The CSV path gets the same audit: numbers in ids stay text, NUL bytes and huge weights are
# bad rows.
cat > big.jsonl <<'J'
{"user": 9007199254740993, "item": "a", "t": 1}
{"user": 9007199254740992, "item": "a", "t": 2}
{"user": 123456789012345678901234567890, "item": 1.0, "t": 3}
{"user": 1e2, "item": 1, "t": 4}
{"user": -0, "item": 100, "t": 5}
J
run tide-ingest big.jsonl --user-col user --item-col item --time-col t --out ds
assert_exit 0
assert_eq "$(cat ds/users.txt | tr '\n' ' ')" "9007199254740993 9007199254740992 123456789012345678901234567890 1e2 -0 "
assert_eq "$(cat ds/items.txt | tr '\n' ' ')" "a 1.0 1 100 "
# A JSON time may be written as a number with a fraction: it is parsed from its text.
printf '{"user": "u", "item": "i", "t": 1700000000.75}\n' > frac.jsonl
run tide-ingest frac.jsonl --user-col user --item-col item --time-col t --out ds-frac
assert_exit 0
assert_eq "$(json_get ds-frac/manifest.json .time_range.min)" 1700000000
# "a\u0000b" is not "a": a bad row with file:line, in the id and in any other field.
printf '{"user": "a", "item": "x", "t": 1}\n{"user": "a\\u0000b", "item": "x", "t": 2}\n' > nul.jsonl
run tide-ingest nul.jsonl --user-col user --item-col item --time-col t --out ds-nul
assert_exit 3
assert_stderr_has 'nul.jsonl:2: "user" holds a NUL character (\u0000)'
assert_no_file ds-nul
# An escaped backslash before "u0000" is text, not a NUL.
printf '{"user": "a\\\\u0000b", "item": "x", "t": 1}\n' > notnul.jsonl
run tide-ingest notnul.jsonl --user-col user --item-col item --time-col t --out ds-notnul
assert_exit 0
assert_eq "$(cat ds-notnul/users.txt)" 'a\u0000b'
# Weights beyond float32 (1e39 would be stored as infinity) are bad rows, as JSON and as CSV.
printf '{"user": "a", "item": "x", "t": 1, "w": 1e39}\n' > huge.jsonl
run tide-ingest huge.jsonl --user-col user --item-col item --time-col t --weight-col w --out ds-huge
assert_exit 3
assert_stderr_has "huge.jsonl:1: bad weight '1e39': out of the float32 range"
printf 'u,i,t,w\na,x,1,2.5\nb,y,2,-4e38\n' > huge.csv
run tide-ingest huge.csv --user-col u --item-col i --time-col t --weight-col w --out ds-hugec
assert_exit 3
assert_stderr_has "huge.csv:3: bad weight '-4e38': out of the float32 range"
# Hex, inf and nan spellings are not decimal weights.
for w in 0x10 inf -nan 1e999; do
    printf 'u,i,t,w\na,x,1,%s\n' "$w" > odd.csv
    run tide-ingest odd.csv --user-col u --item-col i --time-col t --weight-col w --out ds-odd
    assert_exit 3
    assert_stderr_has "odd.csv:2: bad weight '$w'"
done
# CSV ids that look like numbers stay text: 007, 7 and 7.0 are three users.
printf 'u,i,t\n007,x,1\n7,x,2\n7.0,x,3\n9007199254740993,x,4\n9007199254740992,x,5\n' > num.csv
run tide-ingest num.csv --user-col u --item-col i --time-col t --out ds-num
assert_exit 0
assert_eq "$(cat ds-num/users.txt | tr '\n' ' ')" "007 7 7.0 9007199254740993 9007199254740992 "
# A NUL byte in a CSV field is a bad row, never a shorter id.
printf 'u,i,t\na,x,1\na\000b,x,2\n' > nul.csv
run tide-ingest nul.csv --user-col u --item-col i --time-col t --out ds-nulc
assert_exit 3
assert_stderr_has "nul.csv:3:"
assert_no_file ds-nulc
assert_no_tmp .
