# --k larger than the candidate set (a small catalogue, or a short --candidates list) is a fact of
# the data, not a usage error (issue 15): every user gets the whole eligible set, ranked, i.e. the
# same lines as --k equal to the set's size, with a warning; exit 0.
source "$SRC/tests/cli/recommend/fixture.bash"
fixture fx
run tide-recommend --data fx/data --model fx/als --k 45 --out k45.tsv
assert_exit 0
run tide-recommend --data fx/data --model fx/als --k 46 --out k46.tsv
assert_exit 0
assert_stderr_has "--k 46 is larger than the 45 candidate items of the model: lists have at most 45 items"
cmp k45.tsv k46.tsv || fail "--k 46 over 45 items differs from --k 45"
printf 'i1\ni2\n' > cand.txt
run tide-recommend --data fx/data --model fx/als --k 2 --candidates cand.txt --keep-seen --out c2.tsv
assert_exit 0
run tide-recommend --data fx/data --model fx/als --k 3 --candidates cand.txt --keep-seen --out c3.tsv
assert_exit 0
assert_stderr_has "--k 3 is larger than the 2 candidate items of --candidates"
cmp c2.tsv c3.tsv || fail "--k 3 over 2 candidates differs from --k 2"
# every user listed, each with exactly the 2 candidates (seen items kept)
[ "$(cut -f1 c3.tsv | sort | uniq -c | awk '{print $1}' | sort -u)" = 2 ] || fail "not 2 lines per user"
[ "$(cut -f2 c3.tsv | sort -u | tr '\n' ' ')" = "i1 i2 " ] || fail "items outside the candidates"
# Without --keep-seen a user who has seen a candidate gets fewer lines (never an error).
run tide-recommend --data fx/data --model fx/als --k 3 --candidates cand.txt --out c3s.tsv
assert_exit 0
[ "$(wc -l < c3s.tsv)" -le "$(wc -l < c3.tsv)" ] || fail "excluding seen items lengthened lists"
