#!/usr/bin/env python3
"""make-dataset.py — test fixture: writes a small tide dataset directory (docs/formats.md) from
tab-separated text, independently of tide-ingest, so tide-split's CLI tests have input.

  make-dataset.py EVENTS.tsv OUT [--items ITEMS.tsv] [--text TEXT.tsv] [--no-sort]

EVENTS.tsv: user<TAB>item<TAB>time[<TAB>weight] per line. ITEMS.tsv: item<TAB>title (catalog,
items may be new: cold items). TEXT.tsv: user<TAB>item-or-empty<TAB>time<TAB>text.
Users and items are numbered in order of first appearance (events, then catalog, then text).
Rows are sorted by (time, input order) unless --no-sort (to make a dataset that breaks the
format's ordering promise while its checksum stays valid). Needs numpy.
"""
import json
import os
import struct
import sys
import zlib

import numpy as np


def main(argv):
    args, opts = [], {}
    it = iter(argv)
    for a in it:
        if a in ("--items", "--text"):
            opts[a] = next(it)
        elif a == "--no-sort":
            opts[a] = True
        else:
            args.append(a)
    events_path, out = args
    users, items = {}, {}

    def uid(u):
        return users.setdefault(u, len(users))

    def iid(i):
        return items.setdefault(i, len(items))

    rows = []  # (user, item, time, weight, input order)
    with open(events_path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            w = float(parts[3]) if len(parts) > 3 else 1.0
            rows.append((uid(parts[0]), iid(parts[1]), int(parts[2]), w, n))
    titles = {}
    if "--items" in opts:
        with open(opts["--items"], encoding="utf-8") as f:
            for line in f:
                i, title = line.rstrip("\n").split("\t")
                titles[iid(i)] = title
    texts = []  # (user, item or -1, time, text, input order)
    if "--text" in opts:
        with open(opts["--text"], encoding="utf-8") as f:
            for n, line in enumerate(f):
                u, i, t, text = line.rstrip("\n").split("\t")
                texts.append((uid(u), iid(i) if i else -1, int(t), text, n))

    key = (lambda r: (r[0], r[4])) if "--no-sort" in opts else (lambda r: (r[0], r[2], r[4]))
    rows.sort(key=key)
    texts.sort(key=lambda r: (r[0], r[2], r[4]))
    nu, ni, nnz = len(users), len(items), len(rows)

    indptr = np.zeros(nu + 1, dtype="<i8")
    for r in rows:
        indptr[r[0] + 1] += 1
    indptr = np.cumsum(indptr).astype("<i8")
    a_items = np.array([r[1] for r in rows], dtype="<i4")
    a_times = np.array([r[2] for r in rows], dtype="<i8")
    a_weights = np.array([r[3] for r in rows], dtype="<f4")
    a_events = np.zeros(nnz, dtype="u1")
    # item-major copy: stable by item, so each item's users keep user-major order
    order = np.argsort(a_items, kind="stable")
    row_of = np.repeat(np.arange(nu), np.diff(indptr))
    item_indptr = np.concatenate([[0], np.cumsum(np.bincount(a_items, minlength=ni))]).astype("<i8")
    tindptr = np.zeros(nu + 1, dtype="<i8")
    for r in texts:
        tindptr[r[0] + 1] += 1
    tindptr = np.cumsum(tindptr).astype("<i8")

    # checksum exactly as tide_dataset_checksum: counts, ids, then the interaction arrays
    c = zlib.crc32(struct.pack("<qqq", nu, ni, nnz))
    for name in sorted(users, key=users.get):
        c = zlib.crc32(name.encode() + b"\0", c)
    for name in sorted(items, key=items.get):
        c = zlib.crc32(name.encode() + b"\0", c)
    for a in (indptr, a_items, a_times, a_weights, a_events):
        c = zlib.crc32(a.tobytes(), c)

    os.makedirs(out)
    arrays = {
        "indptr": indptr, "items": a_items, "times": a_times, "weights": a_weights, "events": a_events,
        "item_indptr": item_indptr, "item_users": row_of[order].astype("<i4"),
        "item_weights": a_weights[order], "item_times": a_times[order],
        "text_indptr": tindptr, "text_items": np.array([r[1] for r in texts], dtype="<i4"),
        "text_times": np.array([r[2] for r in texts], dtype="<i8"),
    }
    for name, a in arrays.items():
        np.save(os.path.join(out, name + ".npy"), a)
    with open(os.path.join(out, "users.txt"), "w", encoding="utf-8") as f:
        f.writelines(u + "\n" for u in sorted(users, key=users.get))
    with open(os.path.join(out, "items.txt"), "w", encoding="utf-8") as f:
        f.writelines(i + "\n" for i in sorted(items, key=items.get))
    with open(os.path.join(out, "item_text.jsonl"), "w", encoding="utf-8") as f:
        for k in range(ni):
            f.write(json.dumps({"title": titles[k]} if k in titles else {}, separators=(",", ":"), ensure_ascii=False) + "\n")
    with open(os.path.join(out, "text_events.jsonl"), "w", encoding="utf-8") as f:
        for r in texts:
            f.write(json.dumps({"text": r[3]}, separators=(",", ":"), ensure_ascii=False) + "\n")
    manifest = {
        "format": "tide-dataset", "format_version": 1,
        "counts": {"users": nu, "items": ni, "interactions": nnz, "text_events": len(texts)},
        "event_names": [], "item_text_fields": ["title"],
        "checksum": "crc32:%08x" % c,
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:])
