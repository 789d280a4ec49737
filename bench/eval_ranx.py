#!/usr/bin/env python3
"""eval_ranx.py — the ranx side of bench-eval.sh: reads the generated TSVs (fixed-width lines
from eval_gen.py, parsed with numpy in bulk — a best case for any Python loader) into the
arrays ranx's numba kernels take, then times ranx.evaluate single-threaded on the metrics
tide-eval reports (precision recall f1 ndcg map mrr hit_rate at each K). The numba functions are
compiled (cached) on a small slice first, so compilation is not in the timing.
Prints JSON: load_s, eval_s (wall), eval_cpu_s (process CPU time), users, metrics.

    eval_ranx.py RECS TRUTH [K,K,...]
"""
import json
import os
import sys
from importlib.metadata import version
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import ranx  # noqa: E402

NAMES = {"precision": "precision", "recall": "recall", "f1": "f1", "ndcg": "ndcg", "map": "map",
         "mrr": "mrr", "hit": "hit_rate"}


def num(cols):
    """[n, w] ASCII digits -> int64."""
    v = np.zeros(cols.shape[0], dtype=np.int64)
    for j in range(cols.shape[1]):
        v = v * 10 + (cols[:, j].astype(np.int64) - 48)
    return v


def main():
    recs, truth = sys.argv[1], sys.argv[2]
    ks = [int(k) for k in (sys.argv[3] if len(sys.argv) > 3 else "1,5,10,20").split(",")]
    t0 = time.perf_counter()
    r = np.fromfile(recs, dtype=np.uint8).reshape(-1, 30)
    users = num(r[:, 1:8])
    items = num(r[:, 10:16]).astype(np.float64)
    scores = np.array(r[:, 21:29]).view("S8").ravel().astype(np.float64)
    n_users = int(users[-1]) + 1
    n_recs = len(users) // n_users
    assert n_recs * n_users == len(users) and np.all(users.reshape(n_users, n_recs) == np.arange(n_users)[:, None])
    run = np.stack([items.reshape(n_users, n_recs), scores.reshape(n_users, n_recs)], axis=2)
    del r, users, items, scores
    t = np.fromfile(truth, dtype=np.uint8).reshape(-1, 17)
    tu, ti = num(t[:, 1:8]), num(t[:, 10:16]).astype(np.float64)
    assert np.all(tu == np.arange(n_users))  # one truth event per user, in user order
    qrels = np.stack([ti, np.ones_like(ti)], axis=1).reshape(n_users, 1, 2)
    load_s = time.perf_counter() - t0

    metrics = [f"{NAMES[m]}@{k}" for m in NAMES for k in ks]
    ranx.evaluate(qrels[:100], run[:100], metrics, threads=1)  # compile (cached by numba)
    t1, c1 = time.perf_counter(), time.process_time()
    res = ranx.evaluate(qrels, run, metrics, threads=1)
    eval_s, eval_cpu_s = time.perf_counter() - t1, time.process_time() - c1
    out = {"load_s": load_s, "eval_s": eval_s, "eval_cpu_s": eval_cpu_s, "users": n_users, "recs_per_user": n_recs,
           "ranx": version("ranx"), "numba": version("numba"),
           "metrics": {f"{m}@{k}": float(res[f"{NAMES[m]}@{k}"]) for m in NAMES for k in ks}}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
