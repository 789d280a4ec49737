# Users not in the model: an ALS model without the last users folds them in from their events in
# --data (counted in the log); BPR (no fold-in) gives them popularity; users without events get
# popularity from a history model.
source "$SRC/tests/cli/recommend/fixture.bash"
"$GEN" --models fr --users 50 --items 60 --dim 6 --seen 5 --seed 4 --new-users 10 --algos als,bpr,ease || fail gen
run tide-recommend --data fr/data --model fr/als --k 5 --out als.tsv
assert_exit 0
# Users 40..49 are new; u40 and u49 (u % 9 == 4) have no events → popularity; the other 8 are folded in.
assert_stderr_has "8 users not in the model were folded in"
assert_stderr_has "2 users not in the model (or without events) got popularity"
assert_eq "$(cut -f1 als.tsv | uniq | wc -l)" "50"
run tide-recommend --data fr/data --model fr/bpr --k 5 --out bpr.tsv
assert_exit 0
assert_stderr_has "10 users not in the model (or without events) got popularity"
# The folded-in users' lists differ from popularity (they follow their history).
cmp -s <(grep -P '^u41\t' als.tsv | cut -f2) <(grep -P '^u41\t' bpr.tsv | cut -f2) && fail "fold-in gave popularity"
run tide-recommend --data fr/data --model fr/ease --k 5 --out ease.tsv
assert_exit 0
assert_stderr_has "got popularity"
# --verbose names each such user.
run tide-recommend --data fr/data --model fr/als --k 5 --verbose --out als2.tsv
assert_exit 0
assert_stderr_has "user u41: not in the model, folded in from their events"
assert_stderr_has "user u40: not in the model, popularity"
cmp als.tsv als2.tsv || fail "--verbose changed the output"
