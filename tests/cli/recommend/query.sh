# Content retrieval: --query-vectors against --item-vectors, the same top-K machinery; item ids
# from --data when given; dimension mismatch is a data error.
source "$SRC/tests/cli/recommend/fixture.bash"
fixture fx
run tide-recommend --query-vectors fx/queries.npy --item-vectors fx/item_vectors.npy --k 4 --out q.tsv
assert_exit 0
assert_eq "$(wc -l < q.tsv)" "20"
assert_eq "$(cut -f1 q.tsv | uniq | tr '\n' ' ')" "0 1 2 3 4 "
run tide-recommend --query-vectors fx/queries.npy --item-vectors fx/item_vectors.npy --data fx/data --k 4 --out qd.tsv
assert_exit 0
assert_eq "$(cut -f2 qd.tsv | sed 's/^i//' | tr '\n' ' ')" "$(cut -f2 q.tsv | tr '\n' ' ')"
if [ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null; then
    "$TIDE_PYTHON" - fx q.tsv <<'PY' || fail "query results differ from brute force"
import sys, numpy as np
fx, recs = sys.argv[1], sys.argv[2]
S = np.load(fx + "/queries.npy").astype(np.float64) @ np.load(fx + "/item_vectors.npy").astype(np.float64).T
got = [l.split("\t") for l in open(recs).read().split("\n")[:-1]]
for q in range(S.shape[0]):
    order = sorted(range(S.shape[1]), key=lambda j: (-S[q, j], j))[:4]
    rows = [g for g in got if g[0] == str(q)]
    assert [int(g[1]) for g in rows] == order, (q, rows, order)
    assert all(abs(float(g[3]) - S[q, j]) < 1e-4 for g, j in zip(rows, order))
PY
fi
"$GEN" --models other --int --users 60 --items 45 --dim 5 --seen 6 --seed 7 --algos pop || fail gen
run tide-recommend --query-vectors other/queries.npy --item-vectors fx/item_vectors.npy --k 4
assert_exit 3
assert_stderr_has "query vectors have 5 dimensions but"
run tide-recommend --query-vectors fx/queries.npy --k 4
assert_exit 2
assert_stderr_has "--query-vectors needs --item-vectors"
run tide-recommend --query-vectors fx/queries.npy --item-vectors fx/item_vectors.npy --model fx/als
assert_exit 2
