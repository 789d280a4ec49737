#!/usr/bin/env python3
"""Item text for the language model: one line per item of a tide dataset (line n = item n),
the item's catalog fields joined by ". " followed by the distinct tags (text events that name the
item) users wrote on it, most frequent first. tide-embed --text embeds the lines; the rows then
follow items.txt as tide-capture-interest's --item-vectors require.

Usage: item_text.py DATASET_DIR OUT.txt [--no-tags]
Only the dataset's own files are read (item_text.jsonl, text_events.jsonl, text_items.npy), so
the same script serves any MovieLens-format (or other) dataset that tide-ingest made."""
import collections, json, os, sys
import numpy as np

def main():
    ds, out = sys.argv[1], sys.argv[2]
    tags_on = "--no-tags" not in sys.argv[3:]
    with open(os.path.join(ds, "items.txt"), encoding="utf-8") as f:
        n_items = sum(1 for _ in f)
    fields = []
    with open(os.path.join(ds, "item_text.jsonl"), encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            parts = []
            for k, v in obj.items():
                if v is None:
                    continue
                v = str(v)
                if k == "genres":              # MovieLens "A|B|C"; harmless elsewhere
                    v = v.replace("|", ", ")
                    if v == "(no genres listed)":
                        continue
                parts.append(v)
            fields.append(parts)
    if len(fields) != n_items:
        sys.exit(f"{ds}/item_text.jsonl: {len(fields)} lines for {n_items} items")
    tags = [collections.Counter() for _ in range(n_items)]
    te = os.path.join(ds, "text_events.jsonl")
    if tags_on and os.path.exists(te):
        items = np.load(os.path.join(ds, "text_items.npy"))
        with open(te, encoding="utf-8") as f:
            for k, line in enumerate(f):
                i = int(items[k])
                if i >= 0:
                    t = json.loads(line).get("text", "").strip().lower()
                    if t:
                        tags[i][t] += 1
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for i in range(n_items):
            line = ". ".join(fields[i])
            if tags[i]:
                top = sorted(tags[i].items(), key=lambda kv: (-kv[1], kv[0]))[:20]
                line += ". " + ", ".join(t for t, _ in top)
            f.write(line.replace("\n", " ").replace("\r", " ") + "\n")
    os.replace(tmp, out)

main()
