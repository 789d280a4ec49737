#!/usr/bin/env python3
"""Copy a CSV with its data rows in a seeded random order (header first). tide-ingest numbers
items in order of first appearance, and tide-recommend breaks score ties by that number: a
MovieLens ratings.csv is sorted by user, so on the cold items (all tied at zero for popularity
and other ID-only models) the tie order would follow the file's user order and leak which user
first rated each item. Shuffled, ties are broken at random. The per-user event order tide builds
is (time, input order), so only events within the same second may swap.
Usage: shuffle_rows.py IN.csv OUT.csv [SEED]"""
import random, sys

src, out = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
with open(src, encoding="utf-8", newline="") as f:
    header, rows = f.readline(), f.readlines()
if rows and not rows[-1].endswith("\n"):
    rows[-1] += "\n"
random.Random(seed).shuffle(rows)
with open(out + ".tmp", "w", encoding="utf-8", newline="") as f:
    f.write(header)
    f.writelines(rows)
import os
os.replace(out + ".tmp", out)
