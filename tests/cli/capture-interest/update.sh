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
