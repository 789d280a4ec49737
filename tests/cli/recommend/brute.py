"""brute.py — brute-force reference for tide-recommend's CLI tests: full score matrix with numpy
(float64; the fixtures hold small integers, so scores are exact), seen items excluded, sorted by
(score desc, item index asc), compared line by line with a TSV that tide-recommend wrote.
usage: brute.py FIXTURE_DIR ALGO K RECS.tsv [ALGO K RECS.tsv ...]"""
import sys

import numpy as np

fx = sys.argv[1]
d = fx + "/data"
users = open(d + "/users.txt").read().split("\n")[:-1]
items = open(d + "/items.txt").read().split("\n")[:-1]
indptr = np.load(d + "/indptr.npy")
hist = np.load(d + "/items.npy")
w = np.load(d + "/weights.npy").astype(np.float64)
nu, ni = len(users), len(items)
X = np.zeros((nu, ni))
for u in range(nu):
    for e in range(indptr[u], indptr[u + 1]):
        X[u, hist[e]] += w[e]
pop = np.zeros(ni)
np.add.at(pop, hist, 1.0)


def check(algo, k, recs):
    m = fx + "/" + algo
    if algo in ("als", "bpr"):
        S = np.load(m + "/user_factors.npy").astype(np.float64) @ np.load(m + "/item_factors.npy").astype(np.float64).T
    elif algo == "ease":
        S = X @ np.load(m + "/item_matrix.npy").astype(np.float64)
    elif algo == "itemknn":
        ip, nb, sim = np.load(m + "/neighbors_indptr.npy"), np.load(m + "/neighbors.npy"), np.load(m + "/similarities.npy")
        K = np.zeros((ni, ni))
        for i in range(ni):
            for q in range(ip[i], ip[i + 1]):
                K[i, nb[q]] += sim[q]
        S = X @ K
    else:
        S = np.tile(np.load(m + "/popularity.npy").astype(np.float64), (nu, 1))
    if algo in ("ease", "itemknn"):
        empty = indptr[1:] == indptr[:-1]
        S[empty] = pop
    want = []
    for u in range(nu):
        seen = set(hist[indptr[u]:indptr[u + 1]].tolist())
        order = sorted((j for j in range(ni) if j not in seen), key=lambda j: (-S[u, j], j))[:k]
        for r, j in enumerate(order):
            want.append((users[u], items[j], r + 1, S[u, j]))
    got = [l.split("\t") for l in open(recs).read().split("\n")[:-1]]
    if len(got) != len(want):
        sys.exit("%s: line count %d, expected %d" % (recs, len(got), len(want)))
    for n, (g, e) in enumerate(zip(got, want)):
        if g[0] != e[0] or g[1] != e[1] or int(g[2]) != e[2] or abs(float(g[3]) - e[3]) > 1e-4 * (1 + abs(e[3])):
            sys.exit("%s line %d: got %s, expected %s" % (recs, n + 1, g, e))
    print("ok: %s: %d lines match brute force" % (recs, len(got)))


for a in range(2, len(sys.argv), 3):
    check(sys.argv[a], int(sys.argv[a + 1]), sys.argv[a + 2])
