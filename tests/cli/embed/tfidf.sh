# --model tfidf: deterministic for a seed, rows L2-normalised, similar texts close.
printf 'space movie about stars and planets\nplanets and stars in a space opera\ncooking pasta with tomato sauce\ntomato sauce recipe for pasta\n\nstars planets space\n' > in.txt
run tide-embed --model tfidf --dim 3 --text in.txt --out a.npy --seed 7
assert_exit 0
assert_eq "$(json_get a.json .model.type)" tfidf
assert_eq "$(json_get a.json .counts.empty)" 1
run tide-embed --model tfidf --dim 3 --text in.txt --out b.npy --seed 7 --threads 1
assert_exit 0
cmp a.npy b.npy || fail "tfidf output depends on the thread count"
if [ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null; then
"$TIDE_PYTHON" - <<'PY' || fail "tfidf vectors wrong"
import numpy as np
v = np.load("a.npy")
assert v.shape == (6, 3), v.shape
n = np.linalg.norm(v, axis=1)
assert abs(n[0] - 1) < 1e-5 and n[4] == 0, n
c = v @ v.T
assert c[0, 1] > c[0, 2] and c[2, 3] > c[2, 0] and c[0, 5] > c[0, 3], c
PY
fi
