# Online equals batch above the interest model's large-catalogue threshold (16,384 items; the
# sampled statistics and the exact pruned top-K, docs/tide-serve.md): a 20,000-item catalogue
# with random LM vectors around 400 taste directions, an ALS model and the trans, als, lm,
# cluster, pop and knn components (ties are the unit test's, test-interest-large). The last day of events is POSTed to a
# server started with --interest; every touched user's and some untouched users' top-10 must
# equal tide-recommend with the interest dir advanced by tide-capture-interest --update over the
# original data plus the server's log — identical scores. tide-capture-interest --recs and
# tide-recommend agree on the first dir too (the same regime in both batch programs).
source "$SRC/tests/cli/serve/fixture.bash"
NI=20000
python3 - logs "$NI" <<'PY' || fail "generate"
import random, sys, os
d, ni = sys.argv[1], int(sys.argv[2])
rng = random.Random(11)
os.makedirs(d, exist_ok=True)
with open(f"{d}/items.csv", "w") as f:
    f.write("item,title,genres\n")
    for i in range(ni):
        f.write(f"i{i},Item {i},G{i % 8}\n")
t0 = 1767225600
with open(f"{d}/events.csv", "w") as f:
    f.write("user,item,time,weight\n")
    for u in range(120):
        a, b = rng.randrange(40), rng.randrange(40)       # two tastes: blocks of 50 items
        n = rng.randint(3, 16)
        for k in range(n):
            g = a if k < n * 0.6 else b
            i = g * 50 + rng.randrange(50) if rng.random() < 0.85 else rng.randrange(ni)
            f.write(f"u{u},i{i},{t0 + u * 37 + k * 3600},{rng.choice([1, 1, 2])}\n")
PY
python3 "$SRC/tests/cli/serve/split_day.py" logs orig day.jsonl > counts || fail "split"
ndays=$(wc -l < day.jsonl)
[ "$ndays" -gt 40 ] || fail "too few day events ($ndays)"
ingest orig ds0
assert_eq "$(jq .counts.items ds0/manifest.json)" "$NI"
# Item vectors in the dataset's item order: the taste block's direction plus noise; a third of
# the items past 5000 share 7 vectors.
python3 - ds0/items.txt vec.npy <<'PY' || fail "vectors"
import math, random, struct, sys
ids = [l.rstrip("\n") for l in open(sys.argv[1])]
D = 16
def vec(seed):
    r = random.Random(seed); v = [r.gauss(0, 1) for _ in range(D)]
    s = math.sqrt(sum(x * x for x in v)); return [x / s for x in v]
rows = []
for iid in ids:
    i = int(iid[1:])
    if i >= 5000 and i % 3 == 0: rows.append(vec(1000000 + i % 7)); continue
    base, noise = vec(i // 50), vec(i)
    v = [b + 0.6 * x for b, x in zip(base, noise)]; s = math.sqrt(sum(x * x for x in v))
    rows.append([x / s for x in v])
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), D)
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
with open(sys.argv[2], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    for v in rows: f.write(struct.pack("<%df" % D, *v))
PY
"$TIDE_BIN/tide-train-mf" --data ds0 --algo als --factors 8 --iterations 5 --out als -q || fail "train als"
"$TIDE_BIN/tide-capture-interest" --data ds0 --model als --item-vectors vec.npy --as-of user --fixed-weights \
    --components trans,als,lm,cluster,pop,knn --threads 2 --recs recs0.tsv --out idir0 -q || fail "capture"
"$TIDE_BIN/tide-recommend" --data ds0 --model idir0 --k 10 --out rec0.tsv -v 2> rec0.log || fail "tide-recommend (first dir)"
cmp recs0.tsv rec0.tsv || fail "tide-capture-interest --recs and tide-recommend differ"
# the batch run went through the pruned top-K (its log says how many users and items)
grep -q "exact pruned top-K" rec0.log || fail "tide-recommend did not use the pruned top-K: $(cat rec0.log)"

start_server "$T/err" --data ds0 --interest idir0 --log lg --sync none
split -l 30 day.jsonl part.
for p in part.*; do
    post /v1/events "$(jq -s -c . "$p")"; assert_eq "$HTTP" 200
done
jq -r .user day.jsonl | sort -u > touched
get "/v1/users?limit=60"; jq -r '.users[]' "$T/body" | grep -vxFf touched | head -20 > untouched
cat touched untouched > users.txt
: > online.tsv
while read -r u; do
    get "/v1/users/$u/recommendations?k=10"; [ "$HTTP" = 200 ] || fail "recs of $u: $HTTP $(cat "$T/body")"
    jq -r --arg u "$u" '.items[] | [$u, .item, .rank, .score] | @tsv' "$T/body" >> online.tsv
done < users.txt
stop_server; assert_eq "$STOP_RC" 0
assert_eq "$(wc -l < lg/events.jsonl)" "$ndays"

ingest orig ds1 lg/events.jsonl
assert_eq "$(jq .counts.items ds1/manifest.json)" "$NI"
"$TIDE_BIN/tide-capture-interest" --data ds1 --update idir0 --item-vectors vec.npy --as-of user --threads 2 \
    --out idir1 -q || fail "capture --update"
"$TIDE_BIN/tide-recommend" --data ds1 --model idir1 --users users.txt --k 10 --out batch.tsv -q || fail "tide-recommend"
# The same lists with the same scores (the score column as printed; ties in the same order).
[ "$(wc -l < online.tsv)" -ge 100 ] || fail "too few online recommendations: $(wc -l < online.tsv)"
python3 - online.tsv batch.tsv <<'PY' || fail "online and batch differ"
import sys
def load(p):
    d = {}
    for l in open(p):
        u, i, r, s = l.rstrip("\n").split("\t")
        d.setdefault(u, []).append((i, float(s)))
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
if set(a) != set(b): sys.exit(f"users differ: {sorted(set(a) ^ set(b))[:5]}")
for u in a:
    for k, ((ia, sa), (ib, sb)) in enumerate(zip(a[u], b[u])):
        if ia != ib or abs(sa - sb) > 1e-6 * max(1.0, abs(sa)): sys.exit(f"user {u} rank {k + 1}: online {ia} {sa}, batch {ib} {sb}")
    if len(a[u]) != len(b[u]): sys.exit(f"user {u}: {len(a[u])} online, {len(b[u])} batch")
ties = sum(1 for u in a for x, y in zip(a[u], a[u][1:]) if x[1] == y[1])
print(f"{len(a)} users identical, {ties} tied neighbours")
PY
grep -q '^new0' online.tsv || fail "new users missing"
