#!/usr/bin/env python3
"""bench.py — tide-train-mf against implicit and numpy, side by side in one run
(driven by bench/train-mf/run.sh).

For each dataset directory D (tide format, D/train and D/valid = held-out last events):
  ALS: tide-train-mf vs implicit.cpu.als.AlternatingLeastSquares, factors 64, 3 CG steps,
       float32, same threads and iterations, same objective (implicit gets data 1 + alpha*w with
       its alpha = 1: exactly tide's confidence 1 + alpha*w). Seconds per iteration = median of
       iterations 2.. of one run (tide: the manifest log, which includes computing the objective;
       implicit: its per-iteration callback, without the objective), best of --repeat runs; CPU seconds per
       iteration (all threads; tide: its --verbose log, implicit: process_time() between callbacks), the
       figure that load on a shared machine distorts least; peak RSS = ru_maxrss of a
       fresh child process; NDCG@10 on D/valid (all items ranked, train items excluded);
       achieved GFLOP/s = flop count of the CG formulation / tide's s/iteration.
  BPR: samples/s (tide: nnz per epoch / best epoch seconds; implicit: nnz*epochs / fit seconds).
  EASE: tide vs numpy (same closed form, float32 inverse), time and max |B_tide - B_numpy|."""
import argparse, json, os, re, subprocess, sys, time, statistics
import numpy as np

def load_csr(d):
    import scipy.sparse as sp
    ip = np.load(f"{d}/indptr.npy"); it = np.load(f"{d}/items.npy"); w = np.load(f"{d}/weights.npy")
    n_items = sum(1 for _ in open(f"{d}/items.txt"))
    return sp.csr_matrix((w.astype(np.float32), it, ip), shape=(len(ip) - 1, n_items))

def ndcg10(U, V, train, valid):
    from math import log2
    tot, n = 0.0, 0
    for u0 in range(0, train.shape[0], 4096):
        S = U[u0:u0 + 4096] @ V.T
        for r in range(S.shape[0]):
            u = u0 + r
            t = valid.indices[valid.indptr[u]:valid.indptr[u + 1]]
            if len(t) == 0: continue
            s = S[r]; s[train.indices[train.indptr[u]:train.indptr[u + 1]]] = -np.inf
            top = np.argpartition(-s, 10)[:10]; top = top[np.lexsort((top, -s[top]))]
            truth = set(t.tolist())
            dcg = sum(1 / log2(k + 2) for k, i in enumerate(top) if i in truth)
            tot += dcg / sum(1 / log2(k + 2) for k in range(min(10, len(truth)))); n += 1
    return tot / n

WRAP = r'''
import resource, subprocess, sys, json
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(p.stdout); sys.stderr.write(p.stderr)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"maxrss_mib": ru.ru_maxrss / 1024, "cpu_s": ru.ru_utime + ru.ru_stime}))
sys.exit(p.returncode)
'''

LAST = {}   # the last measured run: process CPU seconds (user + sys) and the 1-minute load average before it

def measured(cmd):
    LAST["load"] = os.getloadavg()[0]
    p = subprocess.run([sys.executable, "-c", WRAP] + cmd, capture_output=True, text=True)
    if p.returncode != 0: sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    lines = p.stdout.strip().splitlines()
    r = json.loads(lines[-1]); LAST["cpu_s"] = r["cpu_s"]; LAST["stderr"] = p.stderr
    return r["maxrss_mib"], "\n".join(lines[:-1])

IMPLICIT = r'''
import sys, time, json, numpy as np
sys.path.insert(0, sys.argv[1]); from bench import load_csr
from threadpoolctl import threadpool_limits
d, out, iters, threads, alpha, reg, kind = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
X = load_csr(d)
with threadpool_limits(1, "blas"):
    if kind == "als":
        from implicit.cpu.als import AlternatingLeastSquares
        C = X.copy(); C.data = (1 + alpha * C.data).astype(np.float32)
        m = AlternatingLeastSquares(factors=64, regularization=reg, alpha=1.0, iterations=iters, use_cg=True, use_native=True,
                                    dtype=np.float32, num_threads=threads, calculate_training_loss=False, random_state=42)
        times, cpus = [], []   # implicit's callback gets each iteration's own seconds (no setup, no transpose)
        m.fit(C, show_progress=False, callback=lambda it, sec, loss: (times.append(sec), cpus.append(time.process_time())))
        np.save(out + "/U.npy", np.asarray(m.user_factors)); np.save(out + "/V.npy", np.asarray(m.item_factors))
        dc = [b - a for a, b in zip(cpus, cpus[1:])]   # process CPU (all threads) of iterations 2..
        print(json.dumps({"s_per_iter": float(np.median(times[1:] or times)), "cpu_per_iter": float(np.median(dc or [0]))}))
    else:
        from implicit.cpu.bpr import BayesianPersonalizedRanking
        m = BayesianPersonalizedRanking(factors=64, learning_rate=0.05, regularization=0.01, iterations=iters,
                                        dtype=np.float32, num_threads=threads, random_state=42)
        t0 = time.time(); m.fit(X, show_progress=False); s = time.time() - t0
        print(json.dumps({"samples_per_s": X.nnz * iters / s}))
'''

def als_flops(X, k, steps):
    """Flops of one ALS iteration in the CG formulation (both sides + the objective)."""
    nu, ni = X.shape; nnz = X.nnz; f = 0
    for rows, other in ((nu, ni), (ni, nu)):
        f += rows * (steps + 1) * 2 * k * k      # (YtY + λI)·p, one per CG step + the residual
        f += nnz * (steps + 1) * 4 * k           # per nonzero: dot + axpy
        f += rows * steps * 10 * k               # CG vector updates
        f += other * k * (k + 1)                 # Gram matrix (syrk)
    return f + nnz * 2 * k + ni * 4 * k          # objective (from the item step's CG residual)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tide", required=True); ap.add_argument("--data", required=True, action="append")
    ap.add_argument("--iterations", type=int, default=5); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2); ap.add_argument("--tmp", default="/tmp/tide-bench-mf")
    ap.add_argument("--sgemm-gflops", type=float, default=0)
    ap.add_argument("--ease", action="store_true"); ap.add_argument("--bpr", action="store_true")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    import implicit
    os.makedirs(a.tmp, exist_ok=True)
    alpha, reg = 1.0, 0.01
    for d in a.data:
        name = os.path.basename(d.rstrip("/"))
        X = load_csr(f"{d}/train"); Vd = load_csr(f"{d}/valid")
        print(f"\n### {name}: {X.shape[0]} users, {X.shape[1]} items, {X.nnz} train interactions\n", flush=True)
        best, runs = {}, {"tide": [], "imp": []}   # runs: (s/iteration, process CPU s, load) of every repeat
        for r in range(a.repeat):
            out = f"{a.tmp}/{name}-tide"
            rss, _ = measured([a.tide, "--algo", "als", "--data", f"{d}/train", "--out", out, "--factors", "64",
                               "--cg-steps", "3", "--iterations", str(a.iterations), "--regularization", str(reg),
                               "--alpha", str(alpha), "--threads", str(a.threads), "--verbose"])
            log = json.load(open(f"{out}/manifest.json"))["training"]["log"]
            spi = statistics.median(e["seconds"] for e in (log[1:] or log))
            cpi = [float(x) for x in re.findall(r"process CPU ([0-9.]+)s", LAST["stderr"])]
            cpi = statistics.median(cpi[1:] or cpi or [0])
            if "tide" not in best or spi < best["tide"][0]: best["tide"] = (spi, rss)
            runs["tide"].append((spi, cpi, LAST["load"]))
            os.makedirs(f"{a.tmp}/{name}-imp", exist_ok=True)
            rss2, outp = measured([sys.executable, "-c", IMPLICIT, here, f"{d}/train", f"{a.tmp}/{name}-imp",
                                   str(a.iterations), str(a.threads), str(alpha), str(reg), "als"])
            res2 = json.loads(outp.strip().splitlines()[-1]); spi2 = res2["s_per_iter"]
            if "imp" not in best or spi2 < best["imp"][0]: best["imp"] = (spi2, rss2)
            runs["imp"].append((spi2, res2["cpu_per_iter"], LAST["load"]))
        nd_t = ndcg10(np.load(f"{a.tmp}/{name}-tide/user_factors.npy"), np.load(f"{a.tmp}/{name}-tide/item_factors.npy"), X, Vd)
        nd_i = ndcg10(np.load(f"{a.tmp}/{name}-imp/U.npy"), np.load(f"{a.tmp}/{name}-imp/V.npy"), X, Vd)
        fl = als_flops(X, 64, 3)
        print(f"| ALS, 64 factors, 3 CG steps, {a.threads} threads, {a.iterations} iterations | s/iteration best (median) "
              f"of {a.repeat} | CPU s/iteration best (all threads) | peak RSS MiB | NDCG@10 (valid) | GFLOP/s | load avg |")
        print("|---|---|---|---|---|---|---|")
        for lab, key, nd in (("tide-train-mf", "tide", nd_t), (f"implicit {implicit.__version__}", "imp", nd_i)):
            s, rss = best[key]
            med = statistics.median(x[0] for x in runs[key]); cpu = min(x[1] for x in runs[key])
            lo, hi = min(x[2] for x in runs[key]), max(x[2] for x in runs[key])
            print(f"| {lab} | {s:.4f} ({med:.4f}) | {cpu:.4f} | {rss:.0f} | {nd:.4f} | {fl / s / 1e9:.1f} | {lo:.1f}–{hi:.1f} |")
        med_t = statistics.median(x[0] for x in runs["tide"]); med_i = statistics.median(x[0] for x in runs["imp"])
        cpu_t = min(x[1] for x in runs["tide"]); cpu_i = min(x[1] for x in runs["imp"])
        print(f"\nspeed-up per iteration {best['imp'][0] / best['tide'][0]:.2f}x best-of-{a.repeat} "
              f"({med_i / med_t:.2f}x median; per-repeat pairs run alternately); in CPU seconds per iteration "
              f"{cpu_i / cpu_t:.2f}x; OpenBLAS sgemm n=2048 on "
              f"{a.threads} threads: {a.sgemm_gflops:.1f} GFLOP/s", flush=True)
        if a.bpr:
            out = f"{a.tmp}/{name}-bpr"
            measured([a.tide, "--algo", "bpr", "--data", f"{d}/train", "--out", out, "--factors", "64", "--iterations",
                      str(a.iterations), "--learning-rate", "0.05", "--threads", str(a.threads), "--quiet"])
            log = json.load(open(f"{out}/manifest.json"))["training"]["log"]
            sps = X.nnz / min(e["seconds"] for e in log)
            _, outp = measured([sys.executable, "-c", IMPLICIT, here, f"{d}/train", f"{a.tmp}/{name}-imp",
                                str(a.iterations), str(a.threads), "0", "0", "bpr"])
            sps2 = json.loads(outp.strip().splitlines()[-1])["samples_per_s"]
            print(f"\n| BPR, 64 factors, {a.threads} threads | samples/s |\n|---|---|\n| tide-train-mf | {sps/1e6:.2f} M |\n"
                  f"| implicit {implicit.__version__} | {sps2/1e6:.2f} M |", flush=True)
        if a.ease:
            lam = 500.0
            out = f"{a.tmp}/{name}-ease"
            measured([a.tide, "--algo", "ease", "--data", f"{d}/train", "--out", out, "--lambda", str(lam),
                      "--threads", str(a.threads), "--quiet"])
            t_tide = json.load(open(f"{out}/manifest.json"))["training"]["log"][0]["seconds"]
            from threadpoolctl import threadpool_limits
            with threadpool_limits(a.threads):
                t0 = time.time()
                G = (X.T @ X).toarray().astype(np.float32); G[np.diag_indices_from(G)] += lam
                P = np.linalg.inv(G); B = P / (-np.diag(P)); B[np.diag_indices_from(B)] = 0
                t_np = time.time() - t0
            Bt = np.load(f"{out}/item_matrix.npy")
            print(f"\n| EASE, λ={lam:g}, {X.shape[1]} items | seconds | max abs diff vs numpy |\n|---|---|---|\n"
                  f"| tide-train-mf | {t_tide:.2f} | {np.abs(Bt - B).max():.2e} |\n| numpy float32 inv | {t_np:.2f} | — |", flush=True)

if __name__ == "__main__":
    main()
