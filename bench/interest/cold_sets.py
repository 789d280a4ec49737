#!/usr/bin/env python3
"""Cold-start sets for bench/interest/cold.sh, from tide split dirs that share one id space:
  CANDIDATES.txt  every item id with no interaction in HIST (the cold items: items.txt minus the
                  items HIST's users touched), one per line, in items.txt order;
  TRUTH.tsv       user<TAB>item for each interaction of EVAL on a cold item by a user who has at
                  least one interaction in HIST (warm users, cold items: a history to predict from).
Prints counts as JSON. Usage: cold_sets.py HIST_DIR EVAL_DIR CANDIDATES.txt TRUTH.tsv"""
import json, os, sys
import numpy as np

def ids(d, name):
    with open(os.path.join(d, name), encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]

def main():
    hist, ev, cand_out, truth_out = sys.argv[1:5]
    items, users = ids(hist, "items.txt"), ids(hist, "users.txt")
    if ids(ev, "items.txt") != items or ids(ev, "users.txt") != users:
        sys.exit(f"{ev}: not the id space of {hist} (split both from one dataset)")
    h_items = np.load(os.path.join(hist, "items.npy"))
    h_indptr = np.load(os.path.join(hist, "indptr.npy"))
    warm = np.zeros(len(items), bool)
    warm[h_items] = True
    e_items = np.load(os.path.join(ev, "items.npy"))
    e_indptr = np.load(os.path.join(ev, "indptr.npy"))
    pairs, seen = [], set()
    for u in range(len(users)):
        if h_indptr[u + 1] == h_indptr[u]:
            continue
        for i in e_items[e_indptr[u]:e_indptr[u + 1]]:
            if not warm[i] and (u, int(i)) not in seen:
                seen.add((u, int(i)))
                pairs.append((u, int(i)))
    for path, lines in ((cand_out, [items[i] for i in np.flatnonzero(~warm)]),
                        (truth_out, [f"{users[u]}\t{items[i]}" for u, i in pairs])):
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.writelines(l + "\n" for l in lines)
        os.replace(path + ".tmp", path)
    print(json.dumps({"cold_items": int((~warm).sum()), "truth_pairs": len(pairs),
                      "truth_users": len({u for u, _ in pairs}), "truth_items": len({i for _, i in pairs})}))

main()
