# Vectors and manifest are committed together (tide/embed.h): the manifest is renamed last and
# names every array's CRC-32, and readers use vectors only when they match it. A fault shim kills
# tide-embed at a chosen rename() to leave exactly what a crash leaves; then --cache must not
# reuse the foreign vectors, tide-recommend must refuse them, and a later run repairs the output.
# A --text run also removes the OUT.users/times/items.npy an earlier --user-text run left.
TINY="$SRC/tests/fixtures/lm/tiny-bert-cls"
SHIM="$TIDE_BIN/../tests/libkill-at-rename.so"
[ -f "$SHIM" ] || fail "$SHIM not built"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
printf 'red shoes\nblue hat\nwarm coat\n' > a.txt
printf 'green scarf\nwool socks\nrain boots\n' > b.txt
run tide-embed --model "$TINY" --text a.txt --out v.npy
assert_exit 0
cp v.npy a.npy; cp v.json a.json
# killed at the second rename: the new vectors are in place, the manifest is the old one
set +e
TIDE_SHIM_KILL_AT_RENAME=2 LD_PRELOAD="$SHIM" "$TIDE_BIN/tide-embed" --model "$TINY" --text b.txt --out v.npy 2>/dev/null
rc=$?
set -e
assert_eq "$rc" 137 "(killed by the shim)"
cmp -s v.npy a.npy && fail "the shim did not stop between the two renames"
cmp v.json a.json || fail "the manifest changed before the vectors were in place"
# --cache on that pair: a warning, every row recomputed, nothing copied from b's vectors
run tide-embed --model "$TINY" --text a.txt --cache v.npy --out w.npy
assert_exit 0
assert_stderr_has "v.npy does not match its manifest"
assert_stderr_has "recomputing every row"
assert_eq "$(json_get w.json .counts.cached)" 0
cmp w.npy a.npy || fail "recomputed vectors differ from the original ones"
# a consistent cache is used
run tide-embed --model "$TINY" --text a.txt --cache w.npy --out x.npy
assert_exit 0
assert_eq "$(json_get x.json .counts.cached)" 3
# other readers refuse the inconsistent pair (exit 3, naming the file)
run tide-recommend --query-vectors v.npy --item-vectors w.npy --k 2
assert_exit 3
assert_stderr_has "v.npy does not match its manifest"
# a plain .npy without a manifest is still accepted
cp w.npy plain.npy
run tide-recommend --query-vectors plain.npy --item-vectors w.npy --k 2
assert_exit 0
# rerunning repairs the output
run tide-embed --model "$TINY" --text b.txt --out v.npy
assert_exit 0
run tide-recommend --query-vectors v.npy --item-vectors w.npy --k 2
assert_exit 0

# user text: the side arrays are named in the manifest and removed by a later --text run
run tide-datagen --out logs --users 12 --items 24 --events 150 --text-rate 0.5 --seed 3
assert_exit 0
run tide-ingest logs/interactions.csv --user-col user_id --item-col item_id --time-col timestamp \
    --text-events logs/text_events.csv --text-col text --out ds
assert_exit 0
run tide-embed --model "$TINY" --data ds --user-text --out u.npy
assert_exit 0
for s in users times items; do assert_file "u.$s.npy"; done
assert_eq "$(json_get u.json '.files | keys | join(",")')" "u.items.npy,u.npy,u.times.npy,u.users.npy"
cp u.json u-old.json
# killed after the first array is in place: old manifest, readers refuse
set +e
TIDE_SHIM_KILL_AT_RENAME=1 LD_PRELOAD="$SHIM" "$TIDE_BIN/tide-embed" --model "$TINY" --data ds --user-text \
    --batch-size 1 --out u.npy 2>/dev/null
set -e
cmp u.json u-old.json || fail "manifest replaced before the arrays"
run tide-embed --model "$TINY" --text a.txt --out u.npy
assert_exit 0
for s in users times items; do assert_no_file "u.$s.npy"; done
assert_eq "$(json_get u.json .kind)" lines
