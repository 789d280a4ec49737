#!/usr/bin/env python3
"""recommend.py — top-K recommendations from a tide-train-mf model directory, by the scoring
rules of docs/formats.md ("Model directory"), as TSV user<TAB>item<TAB>rank<TAB>score with the
dataset's original ids. A stand-in for tide-recommend in bench/train-mf/protocol.sh until that
program lands; the user's history (the dataset given) is excluded and, for ease/itemknn,
weighted by the model's time decay (params half-life / as-of), as training weighted it.
Usage: recommend.py MODEL DATASET K OUT.tsv"""
import json, sys
import numpy as np
import scipy.sparse as sp

model, data, K, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
m = json.load(open(f"{model}/manifest.json"))
algo, p = m["algorithm"], m["params"]
ip = np.load(f"{data}/indptr.npy"); it = np.load(f"{data}/items.npy")
tm = np.load(f"{data}/times.npy"); w = np.load(f"{data}/weights.npy").astype(np.float64)
users = open(f"{data}/users.txt").read().split("\n")[:len(ip) - 1]
items = open(f"{data}/items.txt").read().split("\n")
n_items = m["dataset"]["items"]; items = items[:n_items]
nu = len(ip) - 1
hl = float(p.get("half-life", 0))
if hl > 0:
    row = np.repeat(np.arange(nu), np.diff(ip))
    asof = p.get("as-of", "latest")
    if asof == "user":
        ref = np.full(nu, np.iinfo(np.int64).min); np.maximum.at(ref, row, tm); ref = ref[row]
    elif asof == "latest":
        ref = np.full(len(tm), tm.max())
    else:
        ref = np.full(len(tm), int(asof))
    w = w * np.exp2(-np.maximum(ref - tm, 0) / hl)
X = sp.csr_matrix((w, it, ip), shape=(nu, n_items))
with open(out, "w") as f:
    for u0 in range(0, nu, 1024):
        u1 = min(nu, u0 + 1024)
        if algo in ("als", "bpr"):
            U = np.load(f"{model}/user_factors.npy"); V = np.load(f"{model}/item_factors.npy")
            S = U[u0:u1].astype(np.float64) @ V.T.astype(np.float64)
            try: S += np.load(f"{model}/item_bias.npy")
            except FileNotFoundError: pass
        elif algo == "ease":
            S = X[u0:u1] @ np.load(f"{model}/item_matrix.npy").astype(np.float64)
        elif algo == "itemknn":
            nip = np.load(f"{model}/neighbors_indptr.npy"); nb = np.load(f"{model}/neighbors.npy")
            sim = np.load(f"{model}/similarities.npy").astype(np.float64)
            S = (X[u0:u1] @ sp.csr_matrix((sim, nb, nip), shape=(n_items, n_items))).toarray()
        else:
            S = np.tile(np.load(f"{model}/popularity.npy").astype(np.float64), (u1 - u0, 1))
        S = np.asarray(S)
        for r in range(u1 - u0):
            u = u0 + r
            s = S[r]; s[it[ip[u]:ip[u + 1]]] = -np.inf
            top = np.argpartition(-s, K)[:K]; top = top[np.lexsort((top, -s[top]))]
            for k, i in enumerate(top):
                if np.isfinite(s[i]):
                    f.write(f"{users[u]}\t{items[i]}\t{k + 1}\t{s[i]:.9g}\n")
