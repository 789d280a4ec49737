#!/usr/bin/env python3
"""dump-dataset.py — test helper: prints a tide dataset directory as text, one line per
interaction "user<TAB>item<TAB>time<TAB>weight" in stored (user-major) order, then one line per
text event "text<TAB>user<TAB>item-or-empty<TAB>time<TAB>text", mapping indices back through
users.txt / items.txt so dumps of different datasets compare by original ids. Needs numpy."""
import json
import os
import sys

import numpy as np

d = sys.argv[1]
load = lambda n: np.load(os.path.join(d, n + ".npy"), mmap_mode="r")
users = open(os.path.join(d, "users.txt"), encoding="utf-8").read().split("\n")[:-1]
items = open(os.path.join(d, "items.txt"), encoding="utf-8").read().split("\n")[:-1]
indptr, it, tm, w = load("indptr"), load("items"), load("times"), load("weights")
out = sys.stdout
for u in range(len(users)):
    for k in range(indptr[u], indptr[u + 1]):
        out.write("%s\t%s\t%d\t%g\n" % (users[u], items[it[k]], tm[k], w[k]))
tip, tit, ttm = load("text_indptr"), load("text_items"), load("text_times")
texts = [json.loads(l)["text"] for l in open(os.path.join(d, "text_events.jsonl"), encoding="utf-8")]
for u in range(len(users)):
    for k in range(tip[u], tip[u + 1]):
        out.write("text\t%s\t%s\t%d\t%s\n" % (users[u], items[tit[k]] if tit[k] >= 0 else "", ttm[k], texts[k]))
