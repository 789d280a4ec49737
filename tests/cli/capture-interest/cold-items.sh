# Cold items: an item nobody interacted with in the data, whose text vector lies in the
# direction of a user's interest, is scored above zero by the CF component (the ALS score the
# LM -> CF map gives it) and recommended first; without the map its CF factors are zero.
# Fixture: items a0..a9 (vectors near e0) seen by users u0..u9, items b0..b9 (near e1) seen by
# users v0..v9; catalog-only items cold-a (near e0) and cold-none (no text: a zero vector).
[ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null || skip "no Python with numpy"
{
    echo "user,item,time"
    t=1000
    for u in 0 1 2 3 4 5 6 7 8 9; do for i in 0 1 2 3 4 5 6 7 8 9; do
        echo "u$u,a$i,$t"; echo "v$u,b$i,$t"; t=$((t + 1)); done; done
} > ev.csv
{ echo "item,title"; for i in 0 1 2 3 4 5 6 7 8 9; do echo "a$i,alpha $i"; echo "b$i,beta $i"; done
  echo "cold-a,alpha new"; echo "cold-none,"; } > items.csv
"$TIDE_BIN/tide-ingest" ev.csv --user-col user --item-col item --time-col time --items items.csv \
    --item-text-cols title --out ds --quiet
"$TIDE_PYTHON" - <<'PY'
import numpy as np
items = [l.strip() for l in open("ds/items.txt")]
rng = np.random.default_rng(1)
V = np.zeros((len(items), 8), np.float32)
for r, name in enumerate(items):
    if name == "cold-none":
        continue                                   # an item without text: a zero row
    V[r, 0 if name.startswith(("a", "cold-a")) else 1] = 1
    V[r] += 0.1 * rng.standard_normal(8)
np.save("v.npy", V)
PY
CF="--components als --fixed-weights --threads 2 --quiet"
run tide-capture-interest --data ds --item-vectors v.npy $CF --out map --recs map.tsv --k 3
assert_exit 0
jq -e '.cold_map.cold_items_mapped == 1 and .cold_map.cold_items_without_text == 1 and .cold_map.items_fitted == 20
       and .cold_map.lambda > 0' map/manifest.json > /dev/null || fail "cold_map in the manifest"
# users of a* have seen every a*: the cold item with a*-like text comes first, for each of them
for u in 0 1 2 3 4 5 6 7 8 9; do
    assert_eq "$(awk -F'\t' -v u="u$u" '$1 == u && $3 == 1 {print $2}' map.tsv)" cold-a "(u$u's first recommendation)"
done
# the CF component's raw score long_cf[u] . factors[cold-a] > 0; cold-none's factors are zero
"$TIDE_PYTHON" - <<'PY' || fail "CF scores of the cold items"
import numpy as np, sys
items = [l.strip() for l in open("ds/items.txt")]; users = [l.strip() for l in open("ds/users.txt")]
F = np.load("map/als_item_factors.npy"); L = np.load("map/long_cf.npy")
ca, cn = items.index("cold-a"), items.index("cold-none")
s = L @ F[ca]
for k, u in enumerate(users):
    want_pos = u.startswith("u")
    if want_pos and not s[k] > 0: sys.exit(f"{u}: CF score of cold-a {s[k]}")
if np.any(F[cn] != 0): sys.exit("cold-none has non-zero factors")
M = np.load("map/cold_map.npy")
if M.shape != (9, F.shape[1]): sys.exit(f"cold_map shape {M.shape}")
PY
# the same through the scorer (tide-recommend on the interest dir)
run tide-recommend --data ds --model map --k 1 --threads 2 --quiet
assert_exit 0
assert_eq "$(grep -c $'\tcold-a\t1\t' "$RUN_OUT")" 10 "(tide-recommend: users whose first item is cold-a)"
# without the map: zero factors for both cold items (they get no CF score), recorded as off
run tide-capture-interest --data ds --item-vectors v.npy $CF --no-cold-map --out nomap
assert_exit 0
jq -e '.cold_map == null and .settings.cold_lambda < 0' nomap/manifest.json > /dev/null || fail "no-cold-map manifest"
"$TIDE_PYTHON" -c "
import numpy as np, sys
items = [l.strip() for l in open('ds/items.txt')]; F = np.load('nomap/als_item_factors.npy')
sys.exit(any(np.any(F[items.index(n)] != 0) for n in ('cold-a', 'cold-none')))" || fail "cold factors without the map"
# a given lambda is used and recorded; a bad one is a usage error
run tide-capture-interest --data ds --item-vectors v.npy $CF --cold-lambda 3 --out map3
assert_exit 0
[ "$(jq .cold_map.lambda map3/manifest.json)" = 3 ] || fail "lambda 3 not recorded"
run tide-capture-interest --data ds --item-vectors v.npy $CF --cold-lambda -1 --out x;   assert_exit 2
run tide-capture-interest --data ds --item-vectors v.npy $CF --cold-lambda 1 --no-cold-map --out x; assert_exit 2
