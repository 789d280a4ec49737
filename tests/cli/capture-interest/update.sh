# --update: users whose history did not change keep their state; touched ones are recomputed
# with PREV's item side; the result equals recomputing everyone (byte for byte, so within 1e-4).
# The output links PREV's per-user arrays as its base and writes a delta (the users whose rows
# differ, and their rows) that every reader overlays; past --compact-above it compacts into a
# full dir. Chains of updates carry the delta on; PREV is never written.
source "$(dirname "$BASH_SOURCE")/common.inc"
run tide-capture-interest --data split/train --fixed-weights --as-of user $FAST --out prev
assert_exit 0
[ ! -e prev/delta_users.npy ] || fail "a full run wrote a delta"
sum_prev=$(cat prev/*.npy prev/manifest.json | cksum)
run tide-capture-interest --data split/train_valid --update prev --compact-above 1 --as-of user $FASTV --out upd --verbose
assert_exit 0
assert_stderr_has "a delta written"
n=$(grep -o 'update: [0-9]* of [0-9]* users' "$RUN_ERR" | awk '{print $2}')
all=$(grep -o 'update: [0-9]* of [0-9]* users' "$RUN_ERR" | awk '{print $4}')
[ "$n" -gt 0 ] && [ "$n" -lt "$all" ] || fail "expected some but not all users recomputed ($n of $all)"
[ "$(json_get upd/manifest.json .users_recomputed)" = "$n" ] || fail "manifest count"
[ "$(json_get upd/manifest.json .delta.users)" = "$n" ] || fail "the delta should hold the $n recomputed users"
# the base is PREV's files, linked, not written again
for b in drift n_events centroids cluster_strength; do
    [ "$(stat -c %i prev/$b.npy)" = "$(stat -c %i upd/$b.npy)" ] || fail "$b.npy was rewritten, not linked from PREV"
done
run tide verify upd
assert_exit 0
run tide-capture-interest --data split/train_valid --update prev --recompute-all --as-of user $FAST --out full
assert_exit 0
[ ! -e full/delta_users.npy ] || fail "--recompute-all wrote a delta"
# what readers see of the delta dir (base overlaid with the delta) is recomputing everyone: the
# summary read back through the loader, and the dir compacted by an update with nothing to do
run tide-capture-interest --data split/train_valid --update upd --compact-above 0 --as-of user $FASTV --out compact \
    --summary s_upd.jsonl --verbose
assert_exit 0
assert_stderr_has "update: 0 of"
assert_stderr_has "compacted"
[ ! -e compact/delta_users.npy ] || fail "a compacted dir has a delta"
for f in full/*.npy; do cmp "$f" "compact/$(basename "$f")" || fail "$(basename "$f"): update (compacted) differs from recomputing all"; done
run tide-capture-interest --data split/train_valid --update prev --recompute-all --as-of user $FAST --out full_s --summary s_full.jsonl
assert_exit 0
cmp s_upd.jsonl s_full.jsonl || fail "the summary of the delta dir differs from recomputing all"
# tide-eval's interest-label reader overlays the delta too
run tide-eval --truth split/test --train split/train_valid --interests upd --bootstrap 20 --json l_upd.json
assert_exit 0
run tide-eval --truth split/test --train split/train_valid --interests full --bootstrap 20 --json l_full.json
assert_exit 0
[ "$(jq -c .interest_labels.profiles l_upd.json)" = "$(jq -c .interest_labels.profiles l_full.json)" ] || \
    fail "tide-eval's interest labels of the delta dir differ from recomputing all"
[ "$(jq -c .interest_labels.profiles l_upd.json)" != null ] || fail "no interest-label metrics"
# a chain: upd -> upd2 on more data; the delta grows by the users touched now, the base stays PREV's
run tide-capture-interest --data ds --update upd --compact-above 1 --as-of user $FASTV --out upd2 --verbose
assert_exit 0
assert_stderr_has "a delta written"
[ "$(stat -c %i prev/drift.npy)" = "$(stat -c %i upd2/drift.npy)" ] || fail "the chain's base is not PREV's file"
[ "$(json_get upd2/manifest.json .delta.users)" -ge "$n" ] || fail "the chain's delta lost PREV's delta users"
run tide verify upd2
assert_exit 0
run tide-capture-interest --data ds --update prev --recompute-all --as-of user $FAST --out full2
assert_exit 0
run tide-capture-interest --data ds --update upd2 --compact-above 0 --as-of user $FAST --out compact2
assert_exit 0
for f in full2/*.npy; do cmp "$f" "compact2/$(basename "$f")" || fail "$(basename "$f"): a chain of updates differs from recomputing all"; done
# the default threshold: more users touched than a quarter compacts on its own
run tide-capture-interest --data ds --update prev --compact-above 0.001 --as-of user $FASTV --out upd_c --verbose
assert_exit 0
assert_stderr_has "compacted"
for f in full2/*.npy; do cmp "$f" "upd_c/$(basename "$f")" || fail "$(basename "$f"): compacting update differs from recomputing all"; done
# PREV was never written
[ "$(cat prev/*.npy prev/manifest.json | cksum)" = "$sum_prev" ] || fail "PREV changed"
# the same data again: nothing to recompute
run tide-capture-interest --data split/train_valid --update upd --as-of user $FASTV --out upd0 --verbose
assert_exit 0
assert_stderr_has "update: 0 of"
# Untouched users' rows are PREV's bytes, not recomputed: plant a sentinel in PREV's drift row of a
# user whose history did not change (same event count and last event in prev and full); an update
# must carry the sentinel over (a recomputation would overwrite it), and every other byte of every
# array must equal recomputing everyone.
npy_off() { echo $((10 + $(od -An -tu2 -j8 -N2 "$1"))); }   # .npy v1: data after the header
row_i64() { od -An -td8 -j$(($(npy_off "$1") + 8 * $2)) -N8 "$1" | tr -d ' '; }
nu=$(json_get prev/manifest.json .dataset.users)
u=-1
for ((i = 0; i < nu; i++)); do
    if [ "$(row_i64 prev/n_events.npy $i)" = "$(row_i64 full/n_events.npy $i)" ] && \
       [ "$(row_i64 prev/last_time.npy $i)" = "$(row_i64 full/last_time.npy $i)" ]; then u=$i; break; fi
done
[ "$u" -ge 0 ] || fail "no untouched user in the fixture"
cp -r prev prev2
printf '\x7f\x7f\x7f\x7f' | dd of=prev2/drift.npy bs=1 seek=$(($(npy_off prev2/drift.npy) + 4 * u)) conv=notrunc status=none
run tide-capture-interest --data split/train_valid --update prev2 --compact-above 0 --as-of user $FAST --out upd3
assert_exit 0
[ "$(od -An -tx1 -j$(($(npy_off upd3/drift.npy) + 4 * u)) -N4 upd3/drift.npy | tr -d ' ')" = 7f7f7f7f ] || \
    fail "user $u's drift row was recomputed, not carried over from PREV"
for f in full/*.npy; do
    b=$(basename "$f")
    if [ "$b" = drift.npy ]; then
        [ "$(cmp -l "$f" upd3/$b | wc -l)" -le 4 ] || fail "drift.npy: more than the sentinel row differs"
    else
        cmp "$f" "upd3/$b" || fail "$b: update over the patched PREV differs from recomputing all"
    fi
done
# nothing is refitted: the item side is PREV's bytes, hard-linked rather than written again
[ "$(stat -c %i prev/item_matrix.npy)" = "$(stat -c %i upd/item_matrix.npy)" ] || fail "item_matrix.npy was rewritten, not linked from PREV"
cmp prev/trans_probs.npy upd/trans_probs.npy || fail "trans_probs.npy differs from PREV's"
