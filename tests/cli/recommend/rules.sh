# Business rules: seen items excluded by default and kept with --keep-seen, --exclude pairs,
# --candidates allow-list, --users order, JSONL output, output to a file only when complete.
source "$SRC/tests/cli/recommend/fixture.bash"
fixture fx
run tide-recommend --data fx/data --model fx/als --k 45 --keep-seen --users <(echo u0) --out all.tsv
assert_exit 0
assert_eq "$(wc -l < all.tsv)" "45"
run tide-recommend --data fx/data --model fx/als --k 39 --users <(echo u0) --out unseen.tsv
assert_exit 0
assert_eq "$(wc -l < unseen.tsv)" "39"  # 45 items - 6 seen
# The 6 items missing from unseen.tsv are u0's history (tide_synth_models_write: ids i<index>).
run tide-recommend --data fx/data --model fx/als --k 40 --users <(echo u0)
assert_exit 0
assert_eq "$(wc -l < "$RUN_OUT")" "39"
assert_stderr_has "fewer than 40 eligible items"
# --exclude removes exactly those pairs (unknown ids are only counted).
top=$(head -1 unseen.tsv | cut -f2)
second=$(sed -n 2p unseen.tsv | cut -f2)
printf 'u0\t%s\nu0\tnope\nghost\t%s\n' "$top" "$top" > excl.tsv
run tide-recommend --data fx/data --model fx/als --k 3 --users <(echo u0) --exclude excl.tsv
assert_exit 0
assert_eq "$(head -1 "$RUN_OUT" | cut -f2)" "$second"
assert_stderr_has "2 pairs name users or items not in --data"
printf 'u0 %s\n' "$top" > badexcl.tsv
run tide-recommend --data fx/data --model fx/als --k 3 --exclude badexcl.tsv
assert_exit 3
assert_stderr_has "badexcl.tsv:1: expected \`user<TAB>item\`"
# --candidates: only those items, ranked as in the full list.
printf 'i3\ni10\ni44\ni20\ni10\n' > cand.txt
run tide-recommend --data fx/data --model fx/als --k 2 --keep-seen --candidates cand.txt --out c.tsv
assert_exit 0
assert_eq "$(cut -f2 c.tsv | sort -u | grep -vcE '^(i3|i10|i44|i20)$')" "0"
assert_eq "$(wc -l < c.tsv)" "120"
# JSONL with the same content.
run tide-recommend --data fx/data --model fx/als --k 3 --format jsonl --out r.jsonl
assert_exit 0
run tide-recommend --data fx/data --model fx/als --k 3 --out r.tsv
assert_exit 0
jq -r '[.user, .item, (.rank|tostring), (.score|tostring)] | @tsv' r.jsonl > from-json.tsv
cmp from-json.tsv r.tsv || fail "jsonl and tsv disagree"
