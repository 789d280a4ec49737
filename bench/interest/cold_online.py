#!/usr/bin/env python3
"""The online cold-start protocol of bench/interest/cold.sh, from a MovieLens-format ratings file.

The models are fitted at the test cut (nothing after it); then, as tide-serve or a nightly
`--update` would, each user who is active after the cut has the first half (in time) of their
events after the cut folded into their state, and the truth is the second half's interactions on
cold items (items with no interaction before the cut). The global split leaves only ~22 users
with both a history before the cut and a cold-item interaction after it (MovieLens users rate in
one burst); this protocol keeps the models' view of the items the same (fitted at the cut) and
lets every user who is active after the cut take part.

Writes into OUT_DIR:
  grown.csv      the ratings before the cut (input order) followed by every prefix, time order
  tags.csv       the tags before the cut (the item text the model knows at the cut)
  truth.tsv      user<TAB>item for each second-half interaction on a cold item, for users with a
                 history (before the cut or in their prefix)
  sets.json      counts
Usage: cold_online.py RATINGS.csv TAGS.csv CUT_EPOCH_S OUT_DIR"""
import csv, io, json, os, sys
from collections import defaultdict


def atomic_lines(path, lines):
    with open(path + ".tmp", "w", encoding="utf-8", newline="") as f:
        f.writelines(lines)
    os.replace(path + ".tmp", path)


def main():
    ratings, tags, cut, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    os.makedirs(out, exist_ok=True)
    with open(ratings, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    ui, ii, ti = header.index("userId"), header.index("movieId"), header.index("timestamp")
    before = [r for r in rows if int(r[ti]) < cut]
    warm_items = {r[ii] for r in before}
    warm_users = {r[ui] for r in before}
    after = defaultdict(list)
    for n, r in enumerate(rows):
        if int(r[ti]) >= cut:
            after[r[ui]].append((int(r[ti]), n, r))
    prefix, pairs = [], []
    for u, ev in after.items():
        ev.sort()  # time, then input order: the order tide-split and the fold-in use
        h = len(ev) // 2
        prefix += [e for e in ev[:h]]
        if h == 0 and u not in warm_users:
            continue  # nothing to predict from
        seen = {e[2][ii] for e in ev[:h]}
        for _, _, r in ev[h:]:
            if r[ii] not in warm_items and r[ii] not in seen:
                pairs.append((u, r[ii]))
                seen.add(r[ii])
    prefix.sort()
    w = lambda r: ",".join(r) + "\n"
    atomic_lines(os.path.join(out, "grown.csv"), [w(header)] + [w(r) for r in before] + [w(e[2]) for e in prefix])
    with open(tags, encoding="utf-8", newline="") as f:
        trows = list(csv.reader(f))
    tti = trows[0].index("timestamp")
    buf = []
    for r in trows[1:]:
        if int(r[tti]) < cut:
            buf.append(r)
    s = io.StringIO()
    csv.writer(s, lineterminator="\n").writerows([trows[0]] + buf)
    atomic_lines(os.path.join(out, "tags.csv"), [s.getvalue()])
    atomic_lines(os.path.join(out, "truth.tsv"), [f"{u}\t{i}\n" for u, i in pairs])
    sets = {"cut": cut, "prefix_events": len(prefix), "active_users": len(after),
            "truth_pairs": len(pairs), "truth_users": len({u for u, _ in pairs}),
            "truth_items": len({i for _, i in pairs})}
    atomic_lines(os.path.join(out, "sets.json"), [json.dumps(sets) + "\n"])
    print(json.dumps(sets))


main()
