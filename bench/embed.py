#!/usr/bin/env python3
"""embed.py — tide-embed against sentence-transformers on CPU, side by side in one run.

Corpora (from ../shared/data): ml-latest-small's 9,742 movies as "title genres", and the first
5,000 non-empty Amazon All_Beauty review texts (newlines folded to spaces). Both systems get the
same strings, batch size 32 and 2 threads (tide: --threads 2; PyTorch: torch.set_num_threads(2),
float32). Each case runs REPEATS times, alternating tide and PyTorch so that background load hits
both alike; best and median throughput are reported. tide's time is the whole process (model
load, tokenisation, encoding, writing the .npy); PyTorch's is model.encode() alone, model already
loaded and warmed up. CPU seconds are reported too, as the steadier figure on a shared machine:
tide's process user+sys (getrusage of the child), PyTorch's time.process_time() over encode()
(all its threads, OpenMP spin-waits included). Parity: cosine and max |diff| of every vector pair. The encoder's GFLOP/s
(tide's count of matrix-product flops / encoder seconds) is set against OpenBLAS sgemm on the
encoder's shapes with the same core and threads (build/bin/bench-sgemm).

Usage: build/venv/bin/python bench/embed.py [--repeats 3] [--model models/all-MiniLM-L6-v2]
Needs: cmake --build build (tide-embed, bench-sgemm), tools/fetch-model.sh, pip -r bench/requirements.txt
"""
import argparse
import csv
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def corpora(data):
    with open(os.path.join(data, "ml-latest-small", "movies.csv"), newline="", encoding="utf-8") as f:
        movies = [f"{r['title']} {r['genres']}" for r in csv.DictReader(f)]
    reviews = []
    with gzip.open(os.path.join(data, "amazon-2018-5core", "All_Beauty_5.json.gz"), "rt", encoding="utf-8") as f:
        for line in f:
            t = json.loads(line).get("reviewText")
            if t and t.strip():
                reviews.append(" ".join(t.split()))
            if len(reviews) == 5000:
                break
    return {"ml-latest-small titles+genres": movies, "Amazon reviews": reviews}


def lscpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "all-MiniLM-L6-v2"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N texts of each corpus (0 = all)")
    args = ap.parse_args()

    import torch
    import sentence_transformers
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    st = SentenceTransformer(args.model, device="cpu")
    st.encode(["warm up the model"] * 64, batch_size=args.batch_size)
    exe = os.path.join(ROOT, "build", "bin", "tide-embed")
    tmp = tempfile.mkdtemp(prefix="tide-bench-embed.")
    results = []
    for name, texts in corpora(args.data).items():
        if args.limit:
            texts = texts[:args.limit]
        path = os.path.join(tmp, "in.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(texts) + "\n")
        out = os.path.join(tmp, "out.npy")
        tide_t, tide_enc, st_t, tide_cpu, st_cpu, man, loads = [], [], [], [], [], None, []
        for _ in range(args.repeats):
            loads.append(os.getloadavg()[0])
            t0 = time.perf_counter()
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([exe, "--model", args.model, "--text", path, "--out", out, "--threads", str(args.threads),
                            "--batch-size", str(args.batch_size), "--quiet"], check=True)
            tide_t.append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            tide_cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
            man = json.load(open(out[:-4] + ".json"))
            tide_enc.append(man["encoder"]["seconds"])
            t0, c0 = time.perf_counter(), time.process_time()
            ref = st.encode(texts, batch_size=args.batch_size, convert_to_numpy=True)
            st_t.append(time.perf_counter() - t0)
            st_cpu.append(time.process_time() - c0)
        mine = np.load(out)
        cos = np.sum(mine * ref, axis=1) / (np.linalg.norm(mine, axis=1) * np.linalg.norm(ref, axis=1))
        n = len(texts)
        gflop = man["encoder"]["gflop"]
        tokens = man["counts"]["tokens"]
        batches = -(-n // args.batch_size)
        T = max(64, int(round(tokens / batches)))
        env = dict(os.environ, OPENBLAS_CORETYPE=man.get("blas_core", ""))
        sg = subprocess.run([os.path.join(ROOT, "build", "bin", "bench-sgemm"), str(args.threads), str(T)],
                            capture_output=True, text=True, env=env, check=True).stdout
        sgemm = float(sg.strip().splitlines()[-1].split(":")[1].split()[0])
        r = {
            "corpus": name, "texts": n, "tokens": tokens, "truncated": man["counts"]["truncated"],
            "tide_best_s": min(tide_t), "tide_median_s": statistics.median(tide_t),
            "tide_encoder_best_s": min(tide_enc),
            "st_best_s": min(st_t), "st_median_s": statistics.median(st_t),
            "tide_texts_per_s": n / min(tide_t), "st_texts_per_s": n / min(st_t),
            "speedup_best": min(st_t) / min(tide_t), "speedup_median": statistics.median(st_t) / statistics.median(tide_t),
            "tide_cpu_best_s": min(tide_cpu), "st_cpu_best_s": min(st_cpu), "speedup_cpu": min(st_cpu) / min(tide_cpu),
            "min_cosine": float(cos.min()), "max_abs_diff": float(np.abs(mine - ref).max()),
            "encoder_gflops": gflop / min(tide_enc), "sgemm_gflops": sgemm, "sgemm_tokens": T,
            "blas_core": man.get("blas_core"), "matmul": man["encoder"].get("matmul"),
            "load_avg_1min": loads,
        }
        results.append(r)
        print(json.dumps(r), flush=True)
    info = {"machine": lscpu_model(), "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
            "batch_size": args.batch_size, "threads": args.threads, "repeats": args.repeats, "results": results}
    json.dump(info, open(os.path.join(ROOT, "build", f"bench-embed-t{args.threads}.json"), "w"), indent=2)
    print()
    print(f"{info['machine']}, {info['cores']} cores, {info['date']}; torch {info['torch']}, "
          f"sentence-transformers {info['sentence_transformers']}; batch {args.batch_size}, {args.threads} threads, "
          f"best of {args.repeats} (median in brackets); tide's dense layers: {results[0]['matmul'] if results else '?'}, "
          f"load average at the end {os.getloadavg()[0]:.1f}")
    print()
    print("| corpus | texts | tide texts/s | sentence-transformers texts/s | speed-up (wall) | speed-up (CPU s) | min cosine | max abs diff | encoder GFLOP/s | sgemm GFLOP/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['corpus']} | {r['texts']} | {r['tide_texts_per_s']:.0f} ({r['texts'] / r['tide_median_s']:.0f}) | "
              f"{r['st_texts_per_s']:.0f} ({r['texts'] / r['st_median_s']:.0f}) | {r['speedup_best']:.2f}x "
              f"({r['speedup_median']:.2f}x) | {r['speedup_cpu']:.2f}x ({r['tide_cpu_best_s']:.0f} vs {r['st_cpu_best_s']:.0f}) | {r['min_cosine']:.7f} | {r['max_abs_diff']:.2e} | {r['encoder_gflops']:.1f} | "
              f"{r['sgemm_gflops']:.1f} (T={r['sgemm_tokens']}) |")


if __name__ == "__main__":
    main()
