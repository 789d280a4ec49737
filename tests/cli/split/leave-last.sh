# leave-last on the small fixture: ties in time resolved by input order, a too-short user kept
# whole in train, text events following the first valid/test times, train_valid = train + valid,
# identical dictionaries everywhere, manifests recording method, params, source and counts.
source "$SRC/tests/cli/split/common.bash"
small_fixture ds
run tide-split --data ds --out split --method leave-last --test 1 --valid 1
assert_exit 0
assert_stderr_has "1 too short"
dump split/test >test.txt
dump split/valid >valid.txt
dump split/train >train.txt
dump split/train_valid >tv.txt
T1=$(printf '%s\n' 'u1	i4	300	4' 'u2	i2	70	5' 'text	u1	i3	300	tie tag')
V1=$(printf '%s\n' 'u1	i3	300	3' 'u2	i3	60	2' 'text	u2	i2	65	between')
R1=$(printf '%s\n' 'u1	i1	100	1' 'u1	i2	200	2' 'u1	i5	250	1' 'u2	i1	50	1' 'u3	i4	10	1' \
    'text	u1		260	mid' 'text	u3		5	short')
TV=$(printf '%s\n' 'u1	i1	100	1' 'u1	i2	200	2' 'u1	i5	250	1' 'u1	i3	300	3' 'u2	i1	50	1' 'u2	i3	60	2' \
    'u3	i4	10	1' 'text	u1		260	mid' 'text	u2	i2	65	between' 'text	u3		5	short')
assert_eq "$(cat test.txt)" "$T1" "(test)"
assert_eq "$(cat valid.txt)" "$V1" "(valid)"
assert_eq "$(cat train.txt)" "$R1" "(train)"
assert_eq "$(cat tv.txt)" "$TV" "(train_valid)"
for p in train valid test train_valid; do
    cmp ds/users.txt split/$p/users.txt || fail "users.txt differs in $p"
    cmp ds/items.txt split/$p/items.txt || fail "items.txt differs in $p"
    cmp ds/item_text.jsonl split/$p/item_text.jsonl || fail "item_text.jsonl differs in $p"
    assert_eq "$(json_get split/$p/manifest.json .split.part)" "$p"
    assert_eq "$(json_get split/$p/manifest.json .split.method)" "leave-last"
    assert_eq "$(json_get split/$p/manifest.json .split.source.path)" "ds"
    assert_eq "$(json_get split/$p/manifest.json .split.source.checksum)" "$(json_get ds/manifest.json .checksum)"
    assert_eq "$(json_get split/$p/manifest.json .counts.items)" 6
    assert_eq "$(json_get split/$p/manifest.json .checksum)" "$(json_get split/manifest.json .parts.$p.checksum)"
done
m=split/manifest.json
assert_eq "$(json_get $m .format)" "tide-split"
assert_eq "$(json_get $m .params.test)" 1
assert_eq "$(json_get $m .params.valid)" 1
assert_eq "$(json_get $m .stats.users_split)" 2
assert_eq "$(json_get $m .stats.users_too_short)" 1
assert_eq "$(json_get $m .parts.train.interactions)" 5
assert_eq "$(json_get $m .parts.valid.interactions)" 2
assert_eq "$(json_get $m .parts.test.interactions)" 2
assert_eq "$(json_get $m .parts.train_valid.interactions)" 7
assert_eq "$(json_get $m .parts.test.text_events)" 1
assert_eq "$(json_get $m .source.counts.interactions)" 9
assert_no_tmp .

# Without --valid: no valid/ or train_valid/, the last event per user is test.
run tide-split --data ds --out split1 --method leave-last
assert_exit 0
assert_no_file split1/valid
assert_no_file split1/train_valid
assert_eq "$(dump split1/test | grep -v ^text)" "$(printf '%s\n' 'u1	i4	300	4' 'u2	i2	70	5')"
assert_eq "$(json_get split1/manifest.json .stats.users_too_short)" 1

# --test 2: u2 (3 events) gives 2, u3 stays in train.
run tide-split --data ds --out split2 --method leave-last --test 2
assert_exit 0
assert_eq "$(dump split2/test | grep -v ^text | cut -f1,2 | tr '\t\n' ': ')" "u1:i3 u1:i4 u2:i3 u2:i2 "
