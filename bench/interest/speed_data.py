"""speed_data.py — synthetic input for bench/interest/speed.sh: U users x E events over N items
(each user draws from 1-3 topics, Zipf-like inside a topic, times increasing), the same log grown
by a few new events for a fraction of users, a catalog listing every item (so both ingests give
the same item indices), and L2-normalised item vectors [N, d] in tide-embed's .npy format whose
rows cluster by topic (a stand-in for LM vectors). Seeded; numpy only.

usage: speed_data.py OUT USERS EVENTS ITEMS DIM TOUCH_FRACTION NEW_EVENTS SEED
"""
import os
import sys

import numpy as np


def main():
    out, U, E, N, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    frac, new, seed = float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    T = 50
    topic_of = np.arange(N) % T
    centres = rng.standard_normal((T, d)).astype(np.float32)
    V = centres[topic_of] + 0.7 * rng.standard_normal((N, d)).astype(np.float32)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    np.save(os.path.join(out, "item_vectors.npy"), V.astype(np.float32))
    with open(os.path.join(out, "items.csv"), "w") as f:
        f.write("item_id,title\n")
        f.writelines(f"i{j},item {j}\n" for j in range(N))
    per_topic = N // T
    ranks = np.arange(per_topic)
    p = 1.0 / (ranks + 10.0)
    cdf = np.cumsum(p / p.sum())

    def draw(users, n):
        """n events per user in `users`: topic among the user's 3 favourites, rank by Zipf."""
        fav = (users[:, None] * 7919 + np.arange(3)[None, :] * 17) % T
        pick = rng.integers(0, 3, size=(len(users), n))
        topic = np.take_along_axis(fav, pick, axis=1)
        rank = np.searchsorted(cdf, rng.random((len(users), n)))
        rank = np.minimum(rank, per_topic - 1)
        return rank * T + topic

    def write(path, blocks):
        with open(path, "w") as f:
            f.write("user_id,item_id,timestamp\n")
            for users, items, times in blocks:
                for b in range(0, len(users), 20000):
                    us, it, tm = users[b:b + 20000], items[b:b + 20000], times[b:b + 20000]
                    f.write("".join(f"u{u},i{i},{t}\n" for u, i, t in
                                    zip(np.repeat(us, it.shape[1]), it.ravel(), tm.ravel())))

    t0 = 1_600_000_000
    blocks = []
    for lo in range(0, U, 100_000):
        users = np.arange(lo, min(U, lo + 100_000))
        items = draw(users, E)
        if lo == 0:   # every item once up front: base and grown then index items identically
            flat = items.reshape(-1)
            m = min(N, flat.size)
            flat[:m] = np.arange(m)
        start = t0 + rng.integers(0, 86400 * 300, size=len(users))
        gaps = rng.integers(1, 3600, size=(len(users), E)).cumsum(axis=1)
        blocks.append((users, items, start[:, None] + gaps))
    write(os.path.join(out, "base.csv"), blocks)
    touched = np.sort(rng.choice(U, size=int(U * frac), replace=False))
    t1 = t0 + 86400 * 400   # after every base event
    items = draw(touched, new)
    times = t1 + rng.integers(1, 3600, size=(len(touched), new)).cumsum(axis=1)
    write(os.path.join(out, "new.csv"), [(touched, items, times)])
    np.savetxt(os.path.join(out, "touched.txt"), touched, fmt="%d")


if __name__ == "__main__":
    main()
