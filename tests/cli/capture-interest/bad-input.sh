# usage errors exit 2, bad data exit 3 with a message naming the problem; a failed run leaves
# the previous output untouched.
source "$(dirname "$BASH_SOURCE")/common.inc"
run tide-capture-interest --out x;                                   assert_exit 2; assert_stderr_has "--data is required"
run tide-capture-interest --data split/train;                        assert_exit 2; assert_stderr_has "nothing to write"
run tide-capture-interest --data split/train --tune --out x;         assert_exit 2; assert_stderr_has "--tune needs --valid"
run tide-capture-interest --data split/train --out x --k 0;          assert_exit 2
run tide-capture-interest --data split/train --out x --components ease,bogus; assert_exit 2; assert_stderr_has "--components"
run tide-capture-interest --data split/train --out x --clusters 9;   assert_exit 2
run tide-capture-interest --data split/train --out x --as-of someday; assert_exit 2; assert_stderr_has "--as-of"
run tide-capture-interest --data nowhere --out x;                    assert_exit 1   # a missing input is I/O (exit 1), as in every tide program
# an as-of before the data starts
run tide-capture-interest --data split/train --out x --as-of 1970-01-02 $FAST; assert_exit 3; assert_stderr_has "before the data's first event"
# item vectors with the wrong number of rows (from another dataset)
if [ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null; then
    "$TIDE_PYTHON" -c "import numpy as np; np.save('v.npy', np.ones((3, 4), np.float32))"
    run tide-capture-interest --data split/train --out x --item-vectors v.npy $FAST; assert_exit 3; assert_stderr_has "rows, but"
fi
# settings that are not JSON / name an unknown component
echo '{broken' > bad.json
run tide-capture-interest --data split/train --out x --settings bad.json $FAST; assert_exit 3; assert_stderr_has "bad.json"
echo '{"settings": {"components": ["ease", "telepathy"]}}' > bad2.json
run tide-capture-interest --data split/train --out x --settings bad2.json $FAST; assert_exit 3; assert_stderr_has "unknown component telepathy"
# a good run, then a failing one into the same output: the first stays intact
run tide-capture-interest --data split/train --out good --fixed-weights $FAST; assert_exit 0
sum=$(cat good/*.npy | md5sum)
run tide-capture-interest --data split/train --out good --as-of 1970-01-02 $FAST; assert_exit 3
[ "$(cat good/*.npy | md5sum)" = "$sum" ] || fail "previous output changed"
assert_no_tmp .
# --update of a dir captured over another dataset (other item count)
"$TIDE_BIN/tide-datagen" --out gen --users 50 --items 40 --events 400 --quiet
"$TIDE_BIN/tide-ingest" gen/interactions.csv --user-col user_id --item-col item_id --time-col timestamp --out other --quiet
run tide-capture-interest --data other --update good --out y $FAST; assert_exit 3; assert_stderr_has "another dataset"
# users with 0 or 1 events are fine (documented): every user gets a state line
run tide-capture-interest --data split/train --summary s.jsonl --fixed-weights $FAST; assert_exit 0
[ "$(wc -l < s.jsonl)" = "$(wc -l < split/train/users.txt)" ] || fail "summary lines"
