# interest labels (tide-eval --interests): values computed by hand on a tiny catalog, from a
# hand-written --summary JSONL; the time factor; an interest dir and its summary agree; usage and
# data errors.
cat > items.csv <<'CSV'
item,title,genres
a,A,X|Y
b,B,Y
c,C,Z
d,D,W|X
CSV
cat > events.csv <<'CSV'
user,item,time
u1,a,1
u1,b,2
u1,c,3
u2,c,1
u2,d,2
u3,a,1
CSV
"$TIDE_BIN/tide-ingest" events.csv --user-col user --item-col item --time-col time --items items.csv \
    --item-text-cols title,genres --out ds --quiet
# categories in catalog order: X Y Z W. u1's interests rank X (.6), Z (.4), Y (.3); u2's W, X; u3 has none.
cat > summary.jsonl <<'JSON'
{"user":"u1","events":3,"last_event":100,"interests":[{"label":"X, Y","strength":0.6,"last_active":100},{"label":"Z","strength":0.4,"last_active":0}]}
{"user":"u2","events":2,"interests":[{"label":"W, X","strength":1,"last_active":2}]}
{"user":"u3","events":1,"interests":[{"label":"A title, not a category","strength":1}]}
JSON
printf 'u1\tc\nu2\ta\nu3\tb\n' > truth.tsv
# --label-k 2. u1: dynamic {X, Z} vs truth {Z}: P 1/2, R 1; long-term counts X 1, Y 2, Z 1 -> {Y, X}: 0.
# u2: dynamic {W, X} vs {X, Y}: 1/2, 1/2; long-term Z 1, W 1, X 1 (ties: catalog order) -> {X, Z}: 1/2, 1/2.
# u3: no categorised interest: 0 in both (long-term names as many categories as dynamic: none).
run tide-eval --truth truth.tsv --train ds --interests summary.jsonl --label-k 2 --bootstrap 50 --json out.json
assert_exit 0
assert_stdout_has "1 users have no interest with a category"
r() { printf '%.6f' "$(jq "$1" out.json)"; }
assert_eq "$(r '.interest_labels.profiles[0].metrics.precision')" 0.333333 "dynamic precision"
assert_eq "$(r '.interest_labels.profiles[0].metrics.recall')" 0.500000 "dynamic recall"
assert_eq "$(r '.interest_labels.profiles[0].metrics.f1')" 0.388889 "dynamic f1 (2/3, 1/2, 0)"
assert_eq "$(r '.interest_labels.profiles[0].metrics.size')" 1.333333 "size"
assert_eq "$(r '.interest_labels.profiles[1].metrics.precision')" 0.166667 "long-term precision"
assert_eq "$(r '.interest_labels.profiles[1].metrics.recall')" 0.166667 "long-term recall"
assert_eq "$(r '.interest_labels.comparison.metrics.f1.diff')" 0.222222 "f1 diff"
assert_eq "$(jq -c '.interest_labels.users' out.json)" '{"evaluated":3,"without_categorised_interest":1,"truth_not_in_train":0,"truth_without_categories":0}'
jq -e '.interest_labels.profiles[0].ci.precision | length == 2' out.json >/dev/null || fail "no interval"
# a 50 s half-life since last active: u1's Z interest (100 s old) weighs .4/4 < Y's .3 -> {X, Y}: 0
run tide-eval --truth truth.tsv --train ds --interests summary.jsonl --label-k 2 --label-half-life 50 --bootstrap 0 --json hl.json
assert_exit 0
assert_eq "$(printf '%.6f' "$(jq '.interest_labels.profiles[0].metrics.precision' hl.json)")" 0.166667 "with half-life"
# --label-truth: categories given directly
printf 'u1\tZ|X\nu2\tW\n' > lt.tsv
run tide-eval --train ds --interests summary.jsonl --label-truth lt.tsv --label-k 2 --bootstrap 0 --json lt.json
assert_exit 0
# u1 {X, Z} vs {X, Z}: 1, 1; u2 {W, X} vs {W}: 1/2, 1
assert_eq "$(jq -c '.interest_labels.profiles[0].metrics | [.precision, .recall]' lt.json)" "[0.75,1]"

# an interest dir and its --summary give the same numbers
run tide-capture-interest --data ds --as-of user --components trans,tfidf,pop,cluster --fixed-weights --threads 1 --quiet \
    --out interest --summary cap.jsonl
assert_exit 0
run tide-eval --truth truth.tsv --train ds --interests interest --bootstrap 20 --json d.json
assert_exit 0
run tide-eval --truth truth.tsv --train ds --interests cap.jsonl --bootstrap 20 --json s.json
assert_exit 0
assert_eq "$(jq -c '.interest_labels.profiles' d.json)" "$(jq -c '.interest_labels.profiles' s.json)"
assert_eq "$(json_get d.json .interest_labels.interests_kind)" interest_dir
# with --recs too: both reports
printf 'u1\td\t1\t1\nu2\ta\t1\t1\n' > recs.tsv
run tide-eval --truth truth.tsv --train ds --interests interest --recs recs.tsv --bootstrap 0 --json both.json
assert_exit 0
assert_stdout_has "run recs"
assert_stdout_has "interest labels: interest (interest dir)"
jq -e '(.runs | length) == 1 and .interest_labels.users.evaluated == 3' both.json >/dev/null || fail "both reports in the JSON"

# errors
run tide-eval --truth truth.tsv --interests summary.jsonl
assert_exit 2; assert_stderr_has "--interests needs --train"
run tide-eval --truth truth.tsv --train ds --recs recs.tsv --label-truth lt.tsv
assert_exit 2; assert_stderr_has "--label-truth needs --interests"
run tide-eval --train ds --interests summary.jsonl
assert_exit 2; assert_stderr_has "--truth is required"
run tide-eval --truth truth.tsv --train ds --interests summary.jsonl --label-k 0
assert_exit 2
printf '{"user":"u1","interests":[]}\n{"user":"nobody","interests":[]}\n' > bad.jsonl
run tide-eval --truth truth.tsv --train ds --interests bad.jsonl
assert_exit 3; assert_stderr_has "bad.jsonl:2: user 'nobody' is not in the --train dataset"
printf '{"user":"u1","interests":[]}\nnot json\n' > bad2.jsonl
run tide-eval --truth truth.tsv --train ds --interests bad2.jsonl
assert_exit 3; assert_stderr_has "bad2.jsonl:2:"
printf 'u1\tZ|Nope\n' > badt.tsv
run tide-eval --train ds --interests summary.jsonl --label-truth badt.tsv
assert_exit 3; assert_stderr_has "badt.tsv:1: category 'Nope' is not in the --train catalog"
# an interest dir captured from another dataset
printf 'user,item,time\nu1,a,1\nu1,b,2\nu2,c,1\nu3,d,4\n' > other.csv
"$TIDE_BIN/tide-ingest" other.csv --user-col user --item-col item --time-col time --items items.csv \
    --item-text-cols title,genres --out other --quiet
run tide-eval --truth truth.tsv --train other --interests interest
assert_exit 3; assert_stderr_has "not from the --train dataset"
# a catalog without categories
"$TIDE_BIN/tide-ingest" events.csv --user-col user --item-col item --time-col time --out nocat --quiet
run tide-eval --truth truth.tsv --train nocat --interests summary.jsonl
assert_exit 3; assert_stderr_has "the catalog has no categories"
# the per-run outputs need runs
run tide-eval --truth truth.tsv --train ds --interests summary.jsonl --per-user pu.tsv
assert_exit 2; assert_stderr_has "apply to --recs runs"
assert_no_file pu.tsv
