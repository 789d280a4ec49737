# --update: users whose history did not change keep their state; touched ones are recomputed
# with PREV's item side; the result equals recomputing everyone (byte for byte, so within 1e-4).
source "$(dirname "$BASH_SOURCE")/common.inc"
run tide-capture-interest --data split/train --fixed-weights --as-of user $FAST --out prev
assert_exit 0
run tide-capture-interest --data split/train_valid --update prev --as-of user $FASTV --out upd --verbose
assert_exit 0
assert_stderr_has "users recomputed"
n=$(grep -o 'update: [0-9]* of [0-9]* users' "$RUN_ERR" | awk '{print $2}')
all=$(grep -o 'update: [0-9]* of [0-9]* users' "$RUN_ERR" | awk '{print $4}')
[ "$n" -gt 0 ] && [ "$n" -lt "$all" ] || fail "expected some but not all users recomputed ($n of $all)"
[ "$(json_get upd/manifest.json .users_recomputed)" = "$n" ] || fail "manifest count"
run tide-capture-interest --data split/train_valid --update prev --recompute-all --as-of user $FAST --out full
assert_exit 0
for f in full/*.npy; do cmp "$f" "upd/$(basename "$f")" || fail "$(basename "$f"): update differs from recomputing all"; done
# the same data again: nothing to recompute
run tide-capture-interest --data split/train_valid --update upd --as-of user $FASTV --out upd2 --verbose
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
run tide-capture-interest --data split/train_valid --update prev2 --as-of user $FAST --out upd3
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
