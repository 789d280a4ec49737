#!/usr/bin/env python3
"""split_sample.py SAMPLE ORIG DAY.jsonl — the sample data (data/sample) split in time for the
interest model's online-equals-batch test: ORIG/ holds what the batch saw (interactions.csv with
user,item,time,weight; text.jsonl, the text events in the log's own shape; items.csv), DAY.jsonl
the rest — the last ~1.5% of interactions and the text events after the same cut, in time order
— plus two users the batch never saw, each with a few events and then a search. Day events on
items the original data never mentions are dropped (ingesting the log after the original must
keep every item's index, the model's columns), as are text events of users without any
interaction (tide-ingest keeps text only for users with events)."""
import csv, gzip, json, os, shutil, sys
src, orig, day_path = sys.argv[1:4]
rows = [(r["user_id"], r["item_id"], int(r["timestamp"])) for r in csv.DictReader(gzip.open(f"{src}/interactions.csv.gz", "rt"))]
texts = [(r["user_id"], r["item_id"], int(r["timestamp"]), r["text"]) for r in csv.DictReader(open(f"{src}/text_events.csv"))]
times = sorted(t for _, _, t in rows)
cut = times[int(len(times) * 0.985)]
old = [r for r in rows if r[2] < cut]
seen_items = {i for _, i, _ in old}
users_old = {u for u, _, _ in old}
day = [{"user": u, "item": i, "time": t, "weight": 1.0} for u, i, t in rows if t >= cut and i in seen_items]
day_users = users_old | {d["user"] for d in day}
old_text = [x for x in texts if x[2] < cut and x[0] in users_old and (not x[1] or x[1] in seen_items)]
day_text = [x for x in texts if x[2] >= cut and x[0] in day_users and (not x[1] or x[1] in seen_items)]
# The last text events are months before the cut: move a few forward into the day, as searches
# by users active in it (each keeps its own text).
active = sorted({d["user"] for d in day})
for k, x in enumerate([x for x in texts if x[2] < cut][-12:]):
    day_text.append((active[(k * 7) % len(active)], "", cut + 60 * k + 7, x[3]))
items = sorted(seen_items)
for n in range(2):
    for k in range(4):
        day.append({"user": f"new{n}", "item": items[(n * 11 + k * 5) % len(items)], "time": cut + 900 * k + n, "weight": 1.0})
    day_text.append((f"new{n}", "", cut + 3000 + n, ["hiking and travel guides", "cooking for beginners"][n]))
out = day + [{"user": u, "item": i, "time": t, "text": s, "kind": "query" if not i else "review"} for u, i, t, s in day_text]
out.sort(key=lambda d: d["time"])
os.makedirs(orig, exist_ok=True)
with open(f"{orig}/interactions.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["user", "item", "time", "weight"])
    for u, i, t in old: w.writerow([u, i, t, 1])
with open(f"{orig}/text.jsonl", "w") as f:
    for u, i, t, s in old_text: f.write(json.dumps({"user": u, "item": i, "time": t, "text": s, "kind": "tag"}) + "\n")
with open(f"{orig}/items.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["item", "title", "category"])
    for r in csv.DictReader(open(f"{src}/items.csv")): w.writerow([r["item_id"], r["title"], r["category"]])
with open(day_path, "w") as f:
    for d in out: f.write(json.dumps(d) + "\n")
print(len(old), len(day), len(old_text), len(day_text))
