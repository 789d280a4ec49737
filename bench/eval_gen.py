#!/usr/bin/env python3
"""eval_gen.py — generates the tide-eval benchmark data: USERS users × RECS ranked recommendations
(TSV `user item rank score`) and one truth event per user (TSV `user item`), 1,000,000 of each
by default. Ids have fixed width (u0000001, i000001; ranks zero-padded) so the lines are built
with numpy in bulk; about 30% of the truth items are in the user's list, at a random rank.

    eval_gen.py OUT_DIR USERS [RECS] [ITEMS] [SEED]
"""
import os
import sys

import numpy as np


def digits(values, width):
    """[n] non-negative ints -> [n, width] ASCII digit bytes, zero-padded."""
    out = np.empty((len(values), width), dtype=np.uint8)
    v = values.astype(np.int64).copy()
    for j in range(width - 1, -1, -1):
        out[:, j] = 48 + v % 10
        v //= 10
    return out


def main():
    out, n_users = sys.argv[1], int(sys.argv[2])
    n_recs = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    n_items = int(sys.argv[4]) if len(sys.argv) > 4 else 100000
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    # Line: u%07d \t i%06d \t %03d \t 0.xxxxxx \n  -> 8+1+7+1+3+1+8+1 = 30 bytes
    scores = np.array([list(f"{1 - r / 1000:.6f}".encode()) for r in range(1, n_recs + 1)], dtype=np.uint8)
    ranks = digits(np.arange(1, n_recs + 1), 3)
    chunk = max(1, 1_000_000 // n_recs)
    truth_items = np.empty(n_users, dtype=np.int64)
    with open(os.path.join(out, "recs.tsv"), "wb") as f:
        for u0 in range(0, n_users, chunk):
            u1 = min(n_users, u0 + chunk)
            nu = u1 - u0
            # n_recs distinct items per user: start + j * stride (mod n_items) with
            # 1 <= stride < n_items / n_recs, so j * stride < n_items never wraps onto itself.
            start = rng.integers(0, n_items, nu)
            stride = rng.integers(1, n_items // n_recs, nu)
            items = (start[:, None] + np.arange(n_recs)[None, :] * stride[:, None]) % n_items
            hit = rng.random(nu) < 0.3
            truth_items[u0:u1] = np.where(hit, items[np.arange(nu), rng.integers(0, n_recs, nu)],
                                          rng.integers(0, n_items, nu))
            lines = np.empty((nu, n_recs, 30), dtype=np.uint8)
            lines[:, :, 0] = ord("u")
            lines[:, :, 1:8] = digits(np.arange(u0, u1), 7)[:, None, :]
            lines[:, :, 8] = 9
            lines[:, :, 9] = ord("i")
            lines[:, :, 10:16] = digits(items.ravel(), 6).reshape(nu, n_recs, 6)
            lines[:, :, 16] = 9
            lines[:, :, 17:20] = ranks[None, :, :]
            lines[:, :, 20] = 9
            lines[:, :, 21:29] = scores[None, :, :]
            lines[:, :, 29] = 10
            f.write(lines.tobytes())
    with open(os.path.join(out, "truth.tsv"), "wb") as f:
        t = np.empty((n_users, 16), dtype=np.uint8)
        t[:, 0] = ord("u")
        t[:, 1:8] = digits(np.arange(n_users), 7)
        t[:, 8] = 9
        t[:, 9] = ord("i")
        t[:, 10:16] = digits(truth_items, 6)
        f.write(np.concatenate([t, np.full((n_users, 1), 10, dtype=np.uint8)], axis=1).tobytes())


if __name__ == "__main__":
    main()
