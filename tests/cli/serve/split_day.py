#!/usr/bin/env python3
"""split_day.py LOGS ORIG DAY.jsonl — the original data (events before the last day) as ORIG/
(events.csv, items.csv), and the last day's events as JSON lines in time order, plus the first
events of three users the batch never saw. Day events on items the original data never mentions
are dropped: ingesting the log after the original must keep every item's index (the model's
columns), and catalog-only items are numbered after interacted ones."""
import csv, json, os, shutil, sys
logs, orig, day_path = sys.argv[1:4]
rows = list(csv.DictReader(open(f"{logs}/events.csv")))
t_max = max(int(r["time"]) for r in rows)
cut = t_max - 86400 // 4
old = [r for r in rows if int(r["time"]) < cut]
seen_items = {r["item"] for r in old}
day = [r for r in rows if int(r["time"]) >= cut and r["item"] in seen_items]
items = sorted(seen_items)
for n in range(3):
    for k in range(3):
        day.append({"user": f"new{n}", "item": items[(n * 5 + k * 3) % len(items)], "time": str(cut + 600 * k + n), "weight": "2"})
day.sort(key=lambda r: int(r["time"]))
os.makedirs(orig, exist_ok=True)
with open(f"{orig}/events.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["user", "item", "time", "weight"]); w.writeheader(); w.writerows(old)
shutil.copy(f"{logs}/items.csv", f"{orig}/items.csv")
with open(day_path, "w") as f:
    for r in day:
        f.write(json.dumps({"user": r["user"], "item": r["item"], "time": int(r["time"]), "weight": float(r["weight"])}) + "\n")
print(len(old), len(day))
