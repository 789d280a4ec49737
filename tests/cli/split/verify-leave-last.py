#!/usr/bin/env python3
"""verify-leave-last.py — independent oracle for tide-split's leave-last rule on a real CSV.

  verify-leave-last.py --csv ratings.csv --user-col userId --item-col movieId --time-col timestamp
      [--weight-col rating] [--text-csv tags.csv] --split OUT --test N --valid M

Reads the interaction CSV itself, orders each user's rows by a stable sort on the (integer epoch)
time column — ties keep file order — and expects: the last N rows in OUT/test, the M before them
in OUT/valid, the rest in OUT/train, train + valid in OUT/train_valid, each part's rows in that
order (item, time and weight compared after mapping indices back through items.txt and
users.txt); users with fewer than N+M+1 rows wholly in train. With --text-csv (same user and time
column names), each text event's part is checked by time: test if at or after the user's first
test row, valid if at or after the first valid row, else train. Exits 1 listing the first
mismatches. Needs numpy.
"""
import argparse
import csv
import os
import sys
from collections import defaultdict

import numpy as np

PARTS = ("train", "valid", "test", "train_valid")


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        yield from csv.DictReader(f)


def load_part(d):
    ld = lambda n: np.load(os.path.join(d, n + ".npy"), mmap_mode="r")
    users = open(os.path.join(d, "users.txt"), encoding="utf-8").read().split("\n")[:-1]
    items = open(os.path.join(d, "items.txt"), encoding="utf-8").read().split("\n")[:-1]
    indptr, it, tm, w = (ld(n).tolist() for n in ("indptr", "items", "times", "weights"))
    rows = {}
    for u, name in enumerate(users):
        rows[name] = [(items[it[k]], tm[k], w[k]) for k in range(indptr[u], indptr[u + 1])]
    tip, ttm = ld("text_indptr").tolist(), ld("text_times").tolist()
    texts = {name: sorted(ttm[tip[u] : tip[u + 1]]) for u, name in enumerate(users)}
    return users, items, rows, texts


def main():
    ap = argparse.ArgumentParser()
    for a in ("--csv", "--user-col", "--item-col", "--time-col", "--split"):
        ap.add_argument(a, required=True)
    ap.add_argument("--weight-col")
    ap.add_argument("--text-csv")
    ap.add_argument("--test", type=int, default=1)
    ap.add_argument("--valid", type=int, default=0)
    a = ap.parse_args()

    by_user = defaultdict(list)
    for r in read_csv(a.csv):
        w = float(np.float32(float(r[a.weight_col]))) if a.weight_col else 1.0
        by_user[r[a.user_col]].append((r[a.item_col], int(r[a.time_col]), w))
    expect = {p: {} for p in PARTS}
    first_test, first_valid = {}, {}
    n_short = 0
    for u, rows in by_user.items():
        rows.sort(key=lambda x: x[1])  # stable: ties keep file order
        n = len(rows)
        if n < a.test + a.valid + 1:
            n_short += 1
            tr, va, te = rows, [], []
        else:
            tr, va, te = rows[: n - a.test - a.valid], rows[n - a.test - a.valid : n - a.test], rows[n - a.test :]
            first_test[u] = te[0][1]
            if va:
                first_valid[u] = va[0][1]
        expect["train"][u], expect["valid"][u], expect["test"][u], expect["train_valid"][u] = tr, va, te, tr + va

    exp_text = {p: defaultdict(list) for p in PARTS}
    n_text = 0
    if a.text_csv:
        for r in read_csv(a.text_csv):
            u, t = r[a.user_col], int(r[a.time_col])
            p = "test" if t >= first_test.get(u, float("inf")) else "valid" if t >= first_valid.get(u, float("inf")) else "train"
            exp_text[p][u].append(t)
            if p != "test":
                exp_text["train_valid"][u].append(t)
            n_text += 1

    errors = []
    have_valid = a.valid > 0
    users0 = None
    for p in PARTS:
        d = os.path.join(a.split, p)
        if p in ("valid", "train_valid") and not have_valid:
            if os.path.exists(d):
                errors.append("%s exists without --valid" % d)
            continue
        users, items, rows, texts = load_part(d)
        if users0 is None:
            users0, items0 = users, items
        elif users != users0 or items != items0:
            errors.append("%s: users.txt/items.txt differ from train's" % p)
        for u in set(rows) | set(by_user):
            got, want = rows.get(u, []), expect[p].get(u, [])
            if got != want:
                errors.append("%s: user %s has %s, expected %s" % (p, u, got[-3:], want[-3:]))
        if a.text_csv:
            for u in set(texts) | set(exp_text[p]):
                if texts.get(u, []) != sorted(exp_text[p].get(u, [])):
                    errors.append("%s: user %s text event times %s, expected %s" % (p, u, texts.get(u, [])[:5], sorted(exp_text[p].get(u, []))[:5]))
    if errors:
        print("%d mismatches; first ones:" % len(errors), file=sys.stderr)
        for e in errors[:10]:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d users (%d too short), %d interactions, %d text events: test = last %d, valid = the %d before, by a stable sort on time"
          % (len(by_user), n_short, sum(len(r) for r in by_user.values()), n_text, a.test, a.valid))


if __name__ == "__main__":
    main()
