"""recommend.py — tide-recommend speed, side by side with plain OpenBLAS sgemm and faiss-cpu.

Generates (bench-recommend gen, seeded) random factors for 100,000 users x 50,000 items at d = 64
and d = 384 with 50 seen items per user, then for K = 10 and 100, all with 2 threads:
  * tide: tide_retrieval_run over every user, seen items excluded, output discarded (the scoring
    and selection), timed by bench-recommend run, best of --reps;
  * sgemm: plain cblas_sgemm (the system OpenBLAS tide links, 2 threads) of 8,192 users x all
    items on the same matrices, output kept in memory: the arithmetic ceiling; and numpy's
    matmul (its own bundled OpenBLAS) on the same slice;
  * faiss: IndexFlatIP over the item factors, search of every user vector for the same top-K.
    faiss cannot exclude per-user seen items, so it searches K + 50 (enough to drop the 50 seen
    and keep K) — the equivalent job — and, as a lower bound, plain K;
  * tide-recommend end to end (load, score, write the TSV) for K = 10.
Prints one JSON line per measurement and a Markdown table for bench/RESULTS.md.

usage: build/venv/bin/python bench/recommend.py [--bin build/bin] [--work /tmp/tide-bench-recommend]
       [--reps 3] [--faiss-reps N] [--users 100000] [--items 50000] [--dims 64,384] [--ks 10,100]
Set OPENBLAS_CORETYPE before running if the system OpenBLAS misdetects the CPU (see RESULTS.md).
"""
import argparse
import json
import os
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default="build/bin")
ap.add_argument("--work", default="/tmp/tide-bench-recommend")
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--users", type=int, default=100000)
ap.add_argument("--items", type=int, default=50000)
ap.add_argument("--dims", default="64,384")
ap.add_argument("--ks", default="10,100")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--faiss-reps", type=int, default=0, help="repetitions of each faiss search (default: --reps)")
args = ap.parse_args()
T = args.threads
os.environ["OMP_NUM_THREADS"] = str(T)
os.environ["OPENBLAS_NUM_THREADS"] = str(T)

import faiss  # noqa: E402  (after the thread variables)
import numpy as np  # noqa: E402

faiss.omp_set_num_threads(T)
gen = os.path.join(args.bin, "bench-recommend")
rec = os.path.join(args.bin, "tide-recommend")
rows = []


def emit(r):
    print(json.dumps(r), flush=True)
    rows.append(r)


for d in [int(x) for x in args.dims.split(",")]:
    wd = os.path.join(args.work, "d%d" % d)
    if not os.path.exists(os.path.join(wd, "als", "manifest.json")):
        subprocess.run([gen, "gen", "--out", wd, "--users", str(args.users), "--items", str(args.items), "--dim", str(d),
                        "--seen", "50", "--seed", "1", "--algos", "als", "--queries", "10"], check=True)
    U = np.load(os.path.join(wd, "als", "user_factors.npy"), mmap_mode="r")
    V = np.ascontiguousarray(np.load(os.path.join(wd, "als", "item_factors.npy")))
    nu, ni = U.shape[0], V.shape[0]
    flops = 2.0 * nu * ni * d
    # numpy sgemm on an 8192-user slice, best of reps.
    S = np.ascontiguousarray(U[:8192])
    best = 1e30
    for _ in range(args.reps):
        t = time.perf_counter()
        for a in range(0, S.shape[0], 2048):
            np.matmul(S[a:a + 2048], V.T)
        best = min(best, time.perf_counter() - t)
    emit({"what": "numpy-sgemm", "dim": d, "users": S.shape[0], "seconds": best,
          "gflops": 2.0 * S.shape[0] * ni * d / best * 1e-9})
    index = faiss.IndexFlatIP(d)
    index.add(V)
    Uc = np.ascontiguousarray(U)
    for k in [int(x) for x in args.ks.split(",")]:
        out = subprocess.run([gen, "run", "--dir", wd, "--k", str(k), "--threads", str(T), "--reps", str(args.reps),
                              "--sgemm-users", "8192"], check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        r["what"] = "tide"
        emit(r)
        for kk, label in ((k + 50, "faiss-k+50"), (k, "faiss-k")):
            best = best_cpu = 1e30
            for _ in range(args.faiss_reps or args.reps):
                t, c = time.perf_counter(), time.process_time()
                index.search(Uc, kk)
                best = min(best, time.perf_counter() - t)
                best_cpu = min(best_cpu, time.process_time() - c)
            emit({"what": label, "dim": d, "k": k, "search_k": kk, "users": nu, "seconds": best, "users_per_s": nu / best,
                  "gflops": flops / best * 1e-9, "cpu_seconds": best_cpu, "gflop_per_cpu_s": flops / best_cpu * 1e-9})
        if k == 10:
            outp = os.path.join(args.work, "recs-d%d.tsv" % d)
            best = 1e30
            for _ in range(max(1, args.reps - 1)):
                t = time.perf_counter()
                subprocess.run([rec, "--data", os.path.join(wd, "data"), "--model", os.path.join(wd, "als"), "--k", str(k),
                                "--threads", str(T), "--quiet", "--out", outp], check=True)
                best = min(best, time.perf_counter() - t)
            emit({"what": "tide-recommend-cli", "dim": d, "k": k, "users": nu, "seconds": best, "users_per_s": nu / best,
                  "bytes": os.path.getsize(outp)})
            os.remove(outp)

print("\n| d | K | tide users/s | tide GFLOP/s | OpenBLAS sgemm GFLOP/s | tide / sgemm | numpy sgemm GFLOP/s "
      "| faiss K+50 users/s | faiss K users/s | tide / faiss(K+50) | GFLOP per CPU-s: tide / sgemm / faiss K+50 |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if r["what"] != "tide":
        continue
    d, k = r["dim"], r["k"]
    npy = next(x for x in rows if x["what"] == "numpy-sgemm" and x["dim"] == d)
    f50 = next(x for x in rows if x["what"] == "faiss-k+50" and x["dim"] == d and x["k"] == k)
    fk = next(x for x in rows if x["what"] == "faiss-k" and x["dim"] == d and x["k"] == k)
    print("| %d | %d | %.0f | %.1f | %.1f | %.0f%% | %.1f | %.0f | %.0f | %.2fx | %.1f / %.1f / %.1f |" % (
        d, k, r["users_per_s"], r["gflops"], r["sgemm_gflops"], 100 * r["ratio"], npy["gflops"], f50["users_per_s"],
        fk["users_per_s"], r["users_per_s"] / f50["users_per_s"], r["gflop_per_cpu_s"], r["sgemm_gflop_per_cpu_s"],
        f50["gflop_per_cpu_s"]))
for r in rows:
    if r["what"] == "tide-recommend-cli":
        print("\ntide-recommend end to end, d=%d K=%d: %.2f s for %d users (%.0f users/s), %d-byte TSV" % (
            r["dim"], r["k"], r["seconds"], r["users"], r["users_per_s"], r["bytes"]))
sys.exit(0)
