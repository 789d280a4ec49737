#!/usr/bin/env python3
"""seeds.py — NDCG@10 of tide-train-mf ALS and implicit ALS over several random starts, same
settings as bench.py (factors 64, 3 CG steps, float32, regularization 0.01, confidence 1 + w,
2 threads), so that a one-seed difference in the speed table can be told from the spread of
random initialisations. Usage: seeds.py --tide build/bin/tide-train-mf --data DIR [--seeds 1,2,3]
[--iterations 4]; DIR as bench.py (DIR/train, DIR/valid). Prints a table and the mean ± sd."""
import argparse, statistics, subprocess, sys, os, tempfile
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import load_csr, ndcg10

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tide", required=True); ap.add_argument("--data", required=True)
    ap.add_argument("--seeds", default="1,2,3,4,5"); ap.add_argument("--iterations", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits
    X = load_csr(f"{a.data}/train"); Vd = load_csr(f"{a.data}/valid")
    C = X.copy(); C.data = (1 + C.data).astype(np.float32)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in [int(x) for x in a.seeds.split(",")]:
            out = f"{tmp}/m{s}"
            subprocess.run([a.tide, "--algo", "als", "--data", f"{a.data}/train", "--out", out, "--factors", "64",
                            "--iterations", str(a.iterations), "--cg-steps", "3", "--regularization", "0.01",
                            "--alpha", "1", "--threads", str(a.threads), "--seed", str(s), "--quiet"], check=True)
            nt = ndcg10(np.load(f"{out}/user_factors.npy"), np.load(f"{out}/item_factors.npy"), X, Vd)
            with threadpool_limits(1, "blas"):
                m = AlternatingLeastSquares(factors=64, regularization=0.01, alpha=1.0, iterations=a.iterations,
                                            use_cg=True, use_native=True, dtype=np.float32, num_threads=a.threads,
                                            calculate_training_loss=False, random_state=s)
                m.fit(C, show_progress=False)
            ni = ndcg10(np.asarray(m.user_factors), np.asarray(m.item_factors), X, Vd)
            rows.append((s, nt, ni)); print(f"| {s} | {nt:.4f} | {ni:.4f} |", flush=True)
    t = [r[1] for r in rows]; i = [r[2] for r in rows]
    print(f"| mean ± sd | {statistics.mean(t):.4f} ± {statistics.stdev(t):.4f} | {statistics.mean(i):.4f} ± {statistics.stdev(i):.4f} |")

if __name__ == "__main__":
    main()
