#!/usr/bin/env python3
"""accuracy.py — tuning for the reference accuracy protocol of ../shared/data/README.md on ml-latest-small
for tide-train-mf's popularity, item-kNN, ALS and EASE, static and recency-decayed.

Split (bench/train-mf/csv2ds --leave-last): per user, events ordered by (timestamp, line order);
test = last event, valid = second last, train = the rest, trainvalid = train + valid.
Tuning: every configuration of a small grid trains on train and is scored on valid
(tide-train-mf --valid: all items ranked, the user's training items excluded, NDCG@10 from
libtide's tide_metrics_user — the code tide-eval uses); the best per method (ALS: also the best
iteration, by early stopping) is retrained on trainvalid and scored on test the same way
(training items = train + valid excluded). Averages are over all 610 users (each has a valid
and a test event). Prints a markdown table."""
import argparse, itertools, json, os, subprocess, sys

def train(tide, data, valid, out, args, threads):
    cmd = [tide, "--data", data, "--valid", valid, "--out", out, "--threads", str(threads), "--quiet"] + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0: sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    m = json.load(open(f"{out}/manifest.json"))
    t = m["training"]
    best = t["best_iteration"]
    e = t["log"][best - 1]
    return e["valid_ndcg@10"], e["valid_recall@10"], best

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tide", required=True); ap.add_argument("--split", required=True)
    ap.add_argument("--tmp", default="/tmp/tide-accuracy"); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="smaller grids")
    ap.add_argument("--only", default="", help="run only methods whose name starts with this")
    a = ap.parse_args()
    os.makedirs(a.tmp, exist_ok=True)
    S = a.split
    hl = ["1h", "1d", "7d", "30d", "180d"]
    grids = {
        "popularity": [["--algo", "pop"]],
        # as-of latest: one global decayed popularity; as-of user: contextual popularity around
        # each user's last event, both kernels (two-sided uses other users' later events, which
        # leave-last lets every model use; past does not).
        "popularity, decayed": [["--algo", "pop", "--half-life", h, "--as-of", "latest"] for h in ["7d", "30d", "90d", "365d"]]
                               + [["--algo", "pop", "--half-life", h, "--as-of", "user", "--decay-kernel", k]
                                  for k in ["two-sided", "past"] for h in ["1d", "7d", "30d", "90d", "180d", "365d", "730d"]],
        "item-kNN (cosine)": [["--algo", "itemknn", "--neighbors", str(n)] for n in [20, 50, 100, 200]],
        "item-kNN, decayed": None,   # best static neighbours × half-lives, per-user reference
        "ALS, 64 factors": [["--algo", "als", "--factors", "64", "--iterations", "40", "--patience", "5",
                             "--regularization", str(r), "--alpha", str(al)]
                            for r, al in itertools.product([0.1, 1, 10, 30], [1, 2, 5, 10, 20])],
        # decay in the fit (trained user factors), or item factors fitted static and every user
        # folded in from the decayed history at scoring: decayed confidence only, or fading
        # preference too (--decay-preference); half-lives × alpha/regularization around the static best.
        "ALS, decayed": [["--algo", "als", "--factors", "64", "--iterations", "40", "--patience", "5",
                          "--regularization", str(r), "--alpha", str(al), "--half-life", h, "--as-of", "user"] + v
                         for v in [[], ["--fold-in"], ["--fold-in", "--decay-preference"]]
                         for r, al in itertools.product([10, 30], [2, 5, 10])
                         for h in ["1h", "1d", "7d", "30d", "180d", "365d"]],
        "EASE": [["--algo", "ease", "--lambda", str(l)] for l in ([50, 200, 500] if a.quick else [50, 100, 200, 300, 500, 1000])],
        "EASE, decayed": [["--algo", "ease", "--lambda", str(l), "--half-life", h, "--as-of", "user"]
                          for l in [100, 200] for h in (["1h", "1d"] if a.quick else ["1h", "1d", "7d"])],
    }
    best = {}
    rows = []
    for name, grid in grids.items():
        if not name.startswith(a.only):
            continue
        if grid is None:
            static = [k for k in best if k.startswith(name.split(",")[0])][0]
            grid = [best[static][0] + ["--half-life", h, "--as-of", "user"] for h in hl]
        results = []
        for i, args in enumerate(grid):
            nd, rc, it = train(a.tide, f"{S}/train", f"{S}/valid", f"{a.tmp}/m", args, a.threads)
            results.append((nd, rc, it, args))
            print(f"  {name}: {' '.join(args)} -> valid NDCG@10 {nd:.4f} (iteration {it})", file=sys.stderr, flush=True)
        nd, rc, it, args = max(results, key=lambda r: r[0])
        final = list(args)
        if "--iterations" in final:  # retrain for exactly the best iteration count
            final[final.index("--iterations") + 1] = str(it)
            final += ["--patience", "1000"]
        tv = f"{S}/train_valid" if os.path.isdir(f"{S}/train_valid") else f"{S}/trainvalid"
        tnd, trc, _ = train(a.tide, tv, f"{S}/test", f"{a.tmp}/m", final, a.threads)
        best[name] = (args, nd, tnd, trc)
        rows.append((name, " ".join(args[2:] if args[0] == "--algo" else args), nd, tnd, trc))
    print("| method | tuned on valid | valid NDCG@10 | test NDCG@10 | test HR@10 |")
    print("|---|---|---|---|---|")
    for name, args, nd, tnd, trc in rows:
        # one test item per user: recall@10 = HR@10
        print(f"| {name} | `{args}` | {nd:.4f} | {tnd:.4f} | {trc:.4f} |")

if __name__ == "__main__":
    main()
