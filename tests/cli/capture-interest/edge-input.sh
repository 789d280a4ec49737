# Bad input and edge cases of docs/tide-capture-interest.md not covered by bad-input.sh: text
# vectors whose rows are not the data's text events, an interest dir scored against another
# dataset, users with no events and with one event, items without text.
source "$(dirname "$BASH_SOURCE")/common.inc"
[ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null || skip "no Python with numpy"
# item vectors that fit (8 dims), with zero rows for every 7th item (items without text)
"$TIDE_PYTHON" - <<'PY'
import numpy as np
n = sum(1 for _ in open("split/train/items.txt"))
V = np.random.default_rng(3).standard_normal((n, 8)).astype(np.float32)
V[::7] = 0
np.save("iv.npy", V)
t = int(__import__("json").load(open("split/train/manifest.json"))["counts"]["text_events"])
np.save("tv-bad.npy", np.ones((t + 1, 8), np.float32))
np.save("tv-dim.npy", np.ones((t, 5), np.float32))
PY
# text vectors: one row too many / another dimension -> exit 3 naming both counts
run tide-capture-interest --data split/train --out x --item-vectors iv.npy --text-vectors tv-bad.npy $FAST
assert_exit 3; assert_stderr_has "tv-bad.npy: shape ["; assert_stderr_has "text events"
run tide-capture-interest --data split/train --out x --item-vectors iv.npy --text-vectors tv-dim.npy $FAST
assert_exit 3; assert_stderr_has "dimensions"
assert_no_file x
# items without text (zero LM rows): a defined run; their LM row stays zero, the warm ones are
# still recommended through CF, the cold ones without text keep zero CF factors
run tide-capture-interest --data split/train --out it --item-vectors iv.npy \
    --components ease,als,lm,cluster,pop --fixed-weights --threads 2 --quiet --recs r.tsv --summary s.jsonl
assert_exit 0
"$TIDE_PYTHON" - <<'PY' || fail "items without text"
import numpy as np, json, sys
items = [l.strip() for l in open("split/train/items.txt")]
L = np.load("it/lm_items.npy"); F = np.load("it/als_item_factors.npy")
if np.any(L[::7] != 0): sys.exit("a text-less item got an LM row")
seen = np.zeros(len(items), bool); seen[np.load("split/train/items.npy")] = True
textless = np.zeros(len(items), bool); textless[::7] = True
if np.any(F[~seen & textless] != 0): sys.exit("a cold item without text has CF factors")
if (~seen & ~textless).any() and not np.all(np.abs(F[~seen & ~textless]).sum(1) > 0): sys.exit("a cold item with text has no factors")
m = json.load(open("it/manifest.json"))["cold_map"]
if m["cold_items_without_text"] != int((~seen & textless).sum()) or m["cold_items_mapped"] != int((~seen & ~textless).sum()):
    sys.exit(f"cold_map counts {m}")
recd = {l.split("\t")[1] for l in open("r.tsv")}
if not any(items[i] in recd for i in np.flatnonzero(seen & textless)): sys.exit("no warm text-less item is ever recommended")
PY
# users with no events: a state line with no interests and recommendations (popularity);
# users with one event: one interest
[ "$(jq -c 'select(.events == 0) | .interests | length' s.jsonl | sort -u)" = 0 ] || fail "users without events"
[ "$(jq -c 'select(.events == 1) | .interests | length' s.jsonl | sort -u)" = 1 ] || fail "users with one event"
u0=$(jq -r 'select(.events == 0) | .user' s.jsonl | head -1); u1=$(jq -r 'select(.events == 1) | .user' s.jsonl | head -1)
[ -n "$u0" ] && [ -n "$u1" ] || fail "the fixture lacks users with 0 and 1 events"
[ "$(grep -c "^$u0	" r.tsv)" = 10 ] && [ "$(grep -c "^$u1	" r.tsv)" = 10 ] || fail "recommendations for $u0 / $u1"
# an interest dir scored against another dataset: exit 3 (checksum), as for any model
"$TIDE_BIN/tide-datagen" --out gen --users 50 --items 40 --events 400 --quiet
"$TIDE_BIN/tide-ingest" gen/interactions.csv --user-col user_id --item-col item_id --time-col timestamp --out other --quiet
run tide-recommend --data other --model it --k 3 --quiet
assert_exit 3; assert_stderr_has "checksum"
