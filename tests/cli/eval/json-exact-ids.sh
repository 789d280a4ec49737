# JSON-lines recommendations: a numeric id is its text as written (issue 15). Through a double,
# users 9007199254740993 and 9007199254740992 were one user, and item 1.0 was item 1; an id with
# an escaped NUL ("i\u0000x" is not "i") is a bad line (exit 3, file:line).
printf '9007199254740993\ti1\n9007199254740992\ti2\n5\t1.0\n' > truth.tsv
cat > r.jsonl <<'J'
{"user": 9007199254740993, "item": "i1", "rank": 1, "score": 1}
{"user": 9007199254740992, "item": "i2", "rank": 1, "score": 1}
{"user": 5, "item": 1.0, "rank": 1, "score": 1}
J
run tide-eval --truth truth.tsv --recs r.jsonl --k 1 --bootstrap 0 --json o.json
assert_exit 0
assert_eq "$(jq -c '.runs[0].metrics["hit@1"]' o.json)" 1
# item 1 is not item 1.0: user 5 misses
sed -i 's/"item": 1.0/"item": 1/' r.jsonl
run tide-eval --truth truth.tsv --recs r.jsonl --k 1 --bootstrap 0 --json o2.json
assert_exit 0
assert_eq "$(jq -c '.runs[0].metrics["hit@1"] * 3 | round' o2.json)" 2
printf '{"user": 5, "item": "i1", "rank": 1, "score": 1}\n{"user": 5, "item": "1.0\\u0000x", "rank": 2, "score": 1}\n' > nul.jsonl
run tide-eval --truth truth.tsv --recs nul.jsonl --k 2 --bootstrap 0
assert_exit 3
assert_stderr_has 'nul.jsonl:2: "item" holds a NUL character (\u0000)'
