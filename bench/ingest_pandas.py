#!/usr/bin/env python3
"""The way users build a user-item CSR in Python today, for bench-ingest.sh to time side by side
with tide-ingest: pandas.read_csv, factorize ids, a stable sort by (user, time), and a
scipy.sparse CSR matrix of weights, plus the same arrays tide writes saved with numpy.save."""
import os
import sys

import numpy as np
import pandas as pd
import scipy.sparse as sp


def main(path, out):
    df = pd.read_csv(path, compression="infer",
                     dtype={"user_id": str, "item_id": str, "timestamp": np.int64, "event": str})
    users, user_ids = pd.factorize(df["user_id"])
    items, item_ids = pd.factorize(df["item_id"])
    ev_codes, ev_names = pd.factorize(df["event"])
    times = df["timestamp"].to_numpy()
    order = np.lexsort((times, users))  # stable: by user, then time, ties keep input order
    users, items, times = users[order], items[order], times[order]
    weights = np.ones(len(order), dtype=np.float32)
    csr = sp.csr_matrix((weights, (users, items)), shape=(len(user_ids), len(item_ids)))
    csc = csr.tocsc()
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "indptr.npy"), csr.indptr.astype(np.int64))
    np.save(os.path.join(out, "items.npy"), items.astype(np.int32))
    np.save(os.path.join(out, "times.npy"), times)
    np.save(os.path.join(out, "weights.npy"), weights)
    np.save(os.path.join(out, "events.npy"), ev_codes[order].astype(np.uint8))
    np.save(os.path.join(out, "item_indptr.npy"), csc.indptr.astype(np.int64))
    np.save(os.path.join(out, "item_users.npy"), csc.indices.astype(np.int32))
    with open(os.path.join(out, "users.txt"), "w") as f:
        f.write("\n".join(user_ids) + "\n")
    with open(os.path.join(out, "items.txt"), "w") as f:
        f.write("\n".join(item_ids) + "\n")
    print(f"rows={len(df)} users={len(user_ids)} items={len(item_ids)} nnz={csr.nnz}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
