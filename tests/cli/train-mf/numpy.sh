# numpy reads every model directory, and the arrays mean what the formats doc says.
. "$(dirname "${BASH_SOURCE[0]}")/common.inc"
[ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null || { echo "skip: no numpy"; exit 77; }
"$SYNTH" --write "$T/d" 200 80 3000 4
for a in als bpr ease itemknn pop; do
    run tide-train-mf --algo $a --data "$T/d" --out "$T/$a" --factors 6 --iterations 3 --neighbors 7 --lambda 20
    assert_exit 0
done
"$TIDE_PYTHON" - "$T" <<'PY' || fail "numpy check failed"
import json, sys, numpy as np
t = sys.argv[1]
u = np.load(f"{t}/als/user_factors.npy"); v = np.load(f"{t}/als/item_factors.npy")
assert u.dtype == np.float32 and u.shape == (200, 6) and v.shape == (80, 6) and u.flags.c_contiguous
assert np.isfinite(u).all() and np.abs(u).sum() > 0
assert np.load(f"{t}/bpr/item_bias.npy").shape == (80,)
b = np.load(f"{t}/ease/item_matrix.npy")
assert b.shape == (80, 80) and np.all(np.diag(b) == 0)
ip = np.load(f"{t}/itemknn/neighbors_indptr.npy"); nb = np.load(f"{t}/itemknn/neighbors.npy")
s = np.load(f"{t}/itemknn/similarities.npy")
assert ip.dtype == np.int64 and nb.dtype == np.int32 and s.dtype == np.float32
assert ip[0] == 0 and ip[-1] == len(nb) == len(s) and np.all(np.diff(ip) <= 7)
for i in range(80):
    row = s[ip[i]:ip[i+1]]
    assert np.all(np.diff(row) <= 0) and i not in nb[ip[i]:ip[i+1]]
p = np.load(f"{t}/pop/popularity.npy")
# popularity = interaction count per item (weights 1, no decay)
items = np.load(f"{t}/../d/items.npy") if False else np.load(sys.argv[1] + "/d/items.npy")
assert np.allclose(p, np.bincount(items, minlength=80))
m = json.load(open(f"{t}/als/manifest.json"))
assert m["arrays"]["user_factors"] == "user_factors.npy"
PY
