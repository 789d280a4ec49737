#!/usr/bin/env python3
"""paths.py — tide-train-mf's AVX-512 CG solve against its portable one (TIDE_ALS_PORTABLE=1)
on one dataset: the objective of every iteration, NDCG@10 on D/valid and seconds / CPU seconds
per iteration, so a faster kernel is shown to train the same model.

Usage: paths.py --tide build/bin/tide-train-mf --data D [--iterations 4] [--threads 2]"""
import argparse, json, os, re, statistics, subprocess, sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import load_csr, ndcg10

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tide", required=True); ap.add_argument("--data", required=True)
    ap.add_argument("--iterations", type=int, default=4); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tmp", default="/tmp/tide-bench-mf")
    a = ap.parse_args()
    X = load_csr(f"{a.data}/train"); Vd = load_csr(f"{a.data}/valid")
    res = {}
    for name, portable in (("AVX-512", "0"), ("portable", "1")):
        out = f"{a.tmp}/paths-{name}"
        env = dict(os.environ, TIDE_ALS_PORTABLE=portable)
        p = subprocess.run([a.tide, "--algo", "als", "--data", f"{a.data}/train", "--out", out, "--factors", "64",
                            "--cg-steps", "3", "--iterations", str(a.iterations), "--regularization", "0.01",
                            "--alpha", "1", "--threads", str(a.threads), "--verbose"],
                           env=env, capture_output=True, text=True)
        if p.returncode: sys.exit(p.stderr)
        log = json.load(open(f"{out}/manifest.json"))["training"]["log"]
        cpu = [float(x) for x in re.findall(r"process CPU ([0-9.]+)s", p.stderr)]
        res[name] = dict(loss=[e["loss"] for e in log], s=statistics.median(e["seconds"] for e in log[1:] or log),
                         cpu=statistics.median(cpu[1:] or cpu),
                         ndcg=ndcg10(np.load(f"{out}/user_factors.npy"), np.load(f"{out}/item_factors.npy"), X, Vd))
    print(f"| solve | objective per iteration | NDCG@10 (valid) | s/iteration | CPU s/iteration | load avg |")
    print("|---|---|---|---|---|---|")
    for name, r in res.items():
        print(f"| {name} | {' '.join(f'{l:.7g}' for l in r['loss'])} | {r['ndcg']:.4f} | {r['s']:.3f} | {r['cpu']:.3f} | "
              f"{os.getloadavg()[0]:.1f} |")
    rel = max(abs(x - y) / abs(y) for x, y in zip(res["AVX-512"]["loss"], res["portable"]["loss"]))
    print(f"\nmax relative difference of the objective: {rel:.2e}")

if __name__ == "__main__":
    main()
