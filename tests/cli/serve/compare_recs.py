#!/usr/bin/env python3
"""compare_recs.py ONLINE.tsv BATCH.tsv — the same lists per user, up to score ties: where the
item at a rank differs, both lists must hold equal scores there (ties may be broken either way
only between equal scores). Prints what it compared."""
import sys
from collections import defaultdict
def load(p):
    d = defaultdict(list)
    for line in open(p):
        u, i, r, s = line.rstrip("\n").split("\t")
        d[u].append((i, float(s)))
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
if set(a) != set(b): sys.exit(f"users differ: {sorted(set(a) ^ set(b))[:5]}")
same = ties = 0
for u in a:
    la, lb = a[u], b[u]
    if len(la) != len(lb): sys.exit(f"user {u}: {len(la)} online vs {len(lb)} batch")
    for k, ((ia, sa), (ib, sb)) in enumerate(zip(la, lb)):
        tol = 1e-5 * max(1.0, abs(sa))
        if abs(sa - sb) > tol: sys.exit(f"user {u} rank {k+1}: online {ia} {sa} vs batch {ib} {sb}")
        if ia != ib:
            ties += 1
    if [i for i, _ in la] == [i for i, _ in lb]: same += 1
    elif sorted(i for i, _ in la) != sorted(i for i, _ in lb):
        # A differing set is fine only if the boundary is a tie (last scores equal).
        if abs(la[-1][1] - lb[-1][1]) > 1e-5 * max(1.0, abs(la[-1][1])): sys.exit(f"user {u}: different items")
print(f"{len(a)} users: {same} identical lists, {len(a) - same} equal up to {ties} tied positions")
