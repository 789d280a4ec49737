#!/usr/bin/env python3
"""The cold-start tables of bench/interest/cold.sh: recall@10 and NDCG@10 on the cold-item truth
with tide-eval's 95% bootstrap intervals, and the paired difference to popularity (randomization
test) — for both candidate sets of the global split, then for the online protocol
(cold_online.py) when it ran. Usage: cold_table.py WORK_DIR"""
import json, os, sys

W = sys.argv[1]
sets = {k: json.load(open(os.path.join(W, f"sets-{k}.json"))) for k in ("valid", "test")}
lam = json.load(open(os.path.join(W, "lambda.json")))
names = {"pop": "popularity (train_valid counts; all cold items tie at 0)",
         "als": "implicit ALS, ID-only (tide-train-mf)",
         "interest-nomap": "tide-capture-interest without the map (--no-cold-map)",
         "interest-als": "tide-capture-interest, ALS component alone (mapped factors)",
         "interest": "tide-capture-interest, all components, equal weights",
         "interest-w": f"tide-capture-interest, all components, ALS weight {lam.get('als_weight')} "
                       "(tuned on valid cold items), others 1"}
MODELS = ("interest", "interest-w", "interest-als", "interest-nomap", "als")


def cells(r):
    m, ci = r["metrics"], r["ci"]
    return (f"{m['recall@10']:.4f} [{ci['recall@10'][0]:.4f}, {ci['recall@10'][1]:.4f}] "
            f"| {m['ndcg@10']:.4f} [{ci['ndcg@10'][0]:.4f}, {ci['ndcg@10'][1]:.4f}]")


def table(prefix, models, labels, against):
    """One markdown table: popularity's row (run 0 of the first comparison), then each model's."""
    print(f"| model | recall@10 [95% CI] | NDCG@10 [95% CI] | recall diff to {against} [95% CI] | p |")
    print("|---|---|---|---|---|")
    for n, m in enumerate(models):
        e = json.load(open(os.path.join(W, f"eval-{prefix}-{m}.json")))
        if n == 0:
            print(f"| {labels['pop']} | {cells(e['runs'][0])} | | |")
        c = e["comparisons"][0]["metrics"]["recall@10"]
        print(f"| {labels[m]} | {cells(e['runs'][1])} "
              f"| {c['diff']:+.4f} [{c['ci'][0]:+.4f}, {c['ci'][1]:+.4f}] | {c['p_value']:.3f} |")
    print()


t = sets["test"]
print(f"test: {t['truth_pairs']} (user, cold item) pairs, {t['truth_users']} users, {t['truth_items']} items; "
      f"cold items {t['cold_items']}; map lambda {lam['cold_lambda']} (valid cold recall@10 {lam['valid_cold_recall@10']:.4f})\n")
for cs, title in (("cold", "candidates: the cold items only (all items, train_valid items excluded)"),
                  ("all", "candidates: all items, each user's seen items excluded")):
    print(f"{title}\n")
    table(cs, MODELS, names, "popularity")

if os.path.exists(os.path.join(W, "eval-online-interest.json")):
    o = json.load(open(os.path.join(W, "sets-online.json")))
    print(f"online protocol: models fitted at the test cut, each active user's first half of later events folded in "
          f"(--update); truth: {o['truth_pairs']} (user, cold item) pairs of the second halves, {o['truth_users']} users, "
          f"{o['truth_items']} items; candidates: the {o['cold_items']} items without an interaction before the cut\n")
    onames = dict(names, pop="popularity at the cut (all cold items tie at 0)",
                  als="implicit ALS fitted at the cut, users folded in (ID-only)")
    onames["pop-trending"] = "popularity including the folded-in events (trending; refitted, not a cut model)"
    table("online", MODELS + ("pop-trending",), onames, "popularity at the cut")
