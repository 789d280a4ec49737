# The time method on the small fixture (sorted times 10 50 60 70 100 200 250 300 300):
# a fraction cut whose ties at the cut all go to test, an ISO-8601 cut, a valid fraction.
source "$SRC/tests/cli/split/common.bash"
small_fixture ds

# 0.1 of 9 rounds to 1 event: the latest is at 300, tied with another, so test holds both.
run tide-split --data ds --out s1 --method time --test-fraction 0.1
assert_exit 0
assert_eq "$(json_get s1/manifest.json .cuts.test)" 300
assert_eq "$(json_get s1/manifest.json .cuts.test_iso)" "1970-01-01T00:05:00Z"
assert_eq "$(json_get s1/manifest.json .params.test_fraction)" 0.1
assert_eq "$(json_get s1/manifest.json .parts.test.interactions)" 2
assert_eq "$(json_get s1/manifest.json .parts.train.interactions)" 7
assert_eq "$(json_get s1/manifest.json .stats.users_both_sides_test_cut)" 1
assert_eq "$(dump s1/test)" "$(printf '%s\n' 'u1	i3	300	3' 'u1	i4	300	4' 'text	u1	i3	300	tie tag')"
assert_no_file s1/valid

# Default fraction is 0.1: same result.
run tide-split --data ds --out s0 --method time
assert_exit 0
assert_eq "$(json_get s0/manifest.json .parts.test.checksum)" "$(json_get s1/manifest.json .parts.test.checksum)"

# An ISO cut at 200 s: u1's last four events and the two text events from 260 on are test.
run tide-split --data ds --out s2 --method time --cut 1970-01-01T00:03:20Z
assert_exit 0
assert_eq "$(json_get s2/manifest.json .cuts.test)" 200
assert_eq "$(json_get s2/manifest.json .params.cut)" 200
assert_eq "$(dump s2/test)" "$(printf '%s\n' 'u1	i2	200	2' 'u1	i5	250	1' 'u1	i3	300	3' 'u1	i4	300	4' \
    'text	u1		260	mid' 'text	u1	i3	300	tie tag')"
assert_eq "$(json_get s2/manifest.json .stats.users_both_sides_test_cut)" 1
assert_stderr_has "1 users with interactions on both sides"

# Cut 200 with a valid fraction 0.3 (round(2.7) = 3 of the 5 events before 200): valid cut 60.
run tide-split --data ds --out s3 --method time --cut 200 --valid-fraction 0.3
assert_exit 0
assert_eq "$(json_get s3/manifest.json .cuts.valid)" 60
assert_eq "$(dump s3/valid)" "$(printf '%s\n' 'u1	i1	100	1' 'u2	i3	60	2' 'u2	i2	70	5' 'text	u2	i2	65	between')"
assert_eq "$(dump s3/train)" "$(printf '%s\n' 'u2	i1	50	1' 'u3	i4	10	1' 'text	u3		5	short')"
assert_eq "$(json_get s3/manifest.json .parts.train_valid.interactions)" 5
assert_eq "$(json_get s3/manifest.json .stats.users_both_sides_valid_cut)" 1
for p in train valid test train_valid; do
    cmp ds/items.txt s3/$p/items.txt || fail "items.txt differs in $p"
    assert_eq "$(json_get s3/$p/manifest.json .split.cuts.valid)" 60
done

# An explicit valid cut.
run tide-split --data ds --out s4 --method time --cut 250 --valid-cut 100
assert_exit 0
assert_eq "$(json_get s4/manifest.json .parts.valid.interactions)" 2
assert_eq "$(json_get s4/manifest.json .params.valid_cut_iso)" "1970-01-01T00:01:40Z"
