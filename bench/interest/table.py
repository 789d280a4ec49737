#!/usr/bin/env python3
"""Markdown tables from bench/interest/run.sh's outputs: per protocol, the baseline and
tide-capture-interest (valid: what tuning measured; test: tide-eval with 95% bootstrap interval
and the paired randomization test against the baseline), then the ablations.

Usage: table.py WORK_DIR PROTOCOL..."""
import json, os, sys

W = sys.argv[1]
NAMES = {"full": "tide-capture-interest (all components, learned combiner)",
         "no-position": "without position decay", "no-time": "without time decay",
         "no-trans": "without transitions", "no-lm": "without the LM (TF-IDF only)",
         "no-tfidf": "without TF-IDF (LM only)", "single-interest": "single interest (K = 1)",
         "no-words": "without the user's words", "no-combiner": "without the combiner (equal weights)",
         "no-session": "without the session EASE", "no-burst": "without the burst EASE row",
         "no-seq": "without the linear next-item model (seq)"}
ORDER = list(NAMES)

def load(p):
    with open(p) as f:
        return json.load(f)

for P in sys.argv[2:]:
    base = load(os.path.join(W, f"baseline{P}.json"))
    print(f"\n### leave-last-{P} (NDCG@10; valid = tuning on train -> valid, test = refit on train_valid)\n")
    print("| run | valid NDCG@10 | test NDCG@10 [95% CI] | test HR@10 | vs recency-EASE: diff [95% CI], p |")
    print("|---|---|---|---|---|")
    first = True
    for r in ORDER:
        ev = os.path.join(W, f"eval{P}-{r}.json")
        if not os.path.exists(ev):
            continue
        e = load(ev)
        tune = load(os.path.join(W, f"tune{P}-{r}.json"))
        if first:
            b = e["runs"][0]
            lo, hi = b["ci"]["ndcg@10"]
            print(f"| recency-weighted EASE (lambda {base['lambda']}, half-life {base['half_life_s']} s) | "
                  f"{base['valid_ndcg@10']:.4f} | {b['metrics']['ndcg@10']:.4f} [{lo:.4f}, {hi:.4f}] | "
                  f"{b['metrics']['hit@10']:.4f} | — |")
            first = False
        run = e["runs"][1]
        c = e["comparisons"][0]["metrics"]["ndcg@10"]
        lo, hi = run["ci"]["ndcg@10"]
        v = tune.get("valid_ndcg_combiner_cv", tune.get("valid_ndcg_equal_weights"))
        vlabel = "CV" if "valid_ndcg_combiner_cv" in tune else "eq"
        ratio = run["metrics"]["ndcg@10"] / b_nd if (b_nd := e["runs"][0]["metrics"]["ndcg@10"]) else float("nan")
        print(f"| {NAMES[r]} | {v:.4f} ({vlabel}) | {run['metrics']['ndcg@10']:.4f} [{lo:.4f}, {hi:.4f}] | "
              f"{run['metrics']['hit@10']:.4f} | {c['diff']:+.4f} [{c['ci'][0]:+.4f}, {c['ci'][1]:+.4f}], "
              f"p = {c['p_value']:.3g} ({ratio:.2f}x) |")
    full = os.path.join(W, f"tune{P}-full.json")
    if os.path.exists(full):
        t = load(full)
        s = t["settings"]
        print(f"\nChosen on valid (leave-last-{P}): combiner {t.get('combiner')}, weights "
              + ", ".join(f"{k} {v:g}" for k, v in s["weights"].items())
              + (f"; gated by {s['gate']['by']} > {s['gate']['threshold']:g} (those users: "
                 + ", ".join(f"{k} {v:g}" for k, v in s["gate"]["weights"].items()) + ")" if "gate" in s else "")
              + (f" ({t['combiner_cv_folds']}-fold CV)" if "combiner_cv_folds" in t else "")
              + f"; cf decay tau {s['cf_decay']['tau']:g}, half-life {s['cf_decay']['half_life_s']:g} s; "
              f"content decay tau {s['content_decay']['tau']:g}, half-life {s['content_decay']['half_life_s']:g} s; "
              + (f"burst decay tau {s['burst_decay']['tau']:g}, half-life {s['burst_decay']['half_life_s']:g} s; "
                 if "burst_decay" in s else "")
              + (f"session decay tau {s['session_decay']['tau']:g}, half-life {s['session_decay']['half_life_s']:g} s "
                 f"(sessions split at gaps > {s['session_gap_s']:g} s); " if "session_decay" in s else "")
              + (f"seq lambda {s['seq_lambda']:g}, gap {s['seq_gap']:g}, decay tau {s['seq_decay']['tau']:g}, "
                 f"half-life {s['seq_decay']['half_life_s']:g} s; " if "seq_decay" in s and "seq" in s["components"] else "")
              + f"transitions tau {s['trans_tau']:g}"
              + (f", half-life {s['trans_half_life_s']:g} s, gap {s['trans_gap']:g}, back {s['trans_back']:g}"
                 if "trans_gap" in s else "")
              + f"; K <= {s['max_clusters']}; popularity half-life "
              f"{s['pop_half_life_s'] / 86400:g} d. Each component alone on valid: "
              + ", ".join(f"{k} {v:.4f}" for k, v in t["valid_ndcg_alone"].items()) + "."
              + (" Dropped by backward elimination on valid: "
                 + ", ".join(f"{d['component']} (CV {d.get('ndcg_cv_with', d.get('ndcg_2fold_with')):.4f} -> "
                             f"{d.get('ndcg_cv_without', d.get('ndcg_2fold_without')):.4f})"
                             for d in t["combiner_dropped"]) + "." if t.get("combiner_dropped") else
                 " Backward elimination on valid dropped nothing." if "combiner_dropped" in t else ""))
