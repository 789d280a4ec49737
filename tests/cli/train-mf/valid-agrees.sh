# tide-train-mf --valid ranks through the same engine and scorer as tide-recommend (issue 12):
# for every algorithm and scoring rule, the valid NDCG@10 it records equals, to 1e-9, what
# tide-eval reports on tide-recommend's lists of the saved model over the same split. The split
# is by time, so some valid users have no training events at all: they are scored as
# tide-recommend scores them (popularity, or fold-in), not by a second rule.
source "$SRC/tests/cli/train-mf/common.inc"
"$SYNTH" --write d 300 120 6000 5 || fail "synthetic data"
run tide-split --data d --out s --method time --test-fraction 0.1 --valid-fraction 0.15 -q
assert_exit 0
# Valid users without training events exist (else the fallback would go untested).
cold=0
# Count users whose train row is empty but valid row is not, from the CSR offsets.
if [ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null; then
    cold=$("$TIDE_PYTHON" -c '
import numpy as np
t = np.diff(np.load("s/train/indptr.npy")); v = np.diff(np.load("s/valid/indptr.npy"))
print(int(((t == 0) & (v > 0)).sum()))')
    [ "$cold" -gt 0 ] || fail "the split has no valid user without training events"
else
    echo "note: numpy unavailable, not counting cold valid users"
fi
ndcg() { jq -r '[.. | objects | select(has("ndcg@10")) | .["ndcg@10"]][0]' "$1"; }
A="--algo als --factors 8 --iterations 5 --regularization 1 --alpha 5"
for cfg in "als:$A" "als-chol:$A --solver cholesky" "als-fold:$A --fold-in --half-life 10m --as-of user" \
    "als-fade:$A --fold-in --decay-preference --half-life 1h" "bpr:--algo bpr --factors 8 --iterations 4" \
    "ease:--algo ease" "ease-decay:--algo ease --half-life 10m" "itemknn:--algo itemknn --neighbors 20" \
    "itemknn-user:--algo itemknn --half-life 10m --as-of user" "pop:--algo pop" \
    "pop-ctx:--algo pop --half-life 10m --as-of user"; do
    n=${cfg%%:*}
    # shellcheck disable=SC2086
    run tide-train-mf --data s/train --valid s/valid --out m-$n ${cfg#*:} --threads 2 --quiet
    assert_exit 0
    run tide-recommend --data s/train --model m-$n --k 10 --out r-$n.tsv
    assert_exit 0
    run tide-eval --truth s/valid --recs r-$n.tsv --k 10 -B 0 --json e-$n.json
    assert_exit 0
    want=$(jq -r '.training."best_valid_ndcg@10"' m-$n/manifest.json)
    got=$(ndcg e-$n.json)
    awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(d < 1e-9 && d > -1e-9) }' ||
        fail "$n: tide-train-mf validated NDCG@10 $want, tide-eval of tide-recommend's lists $got"
    echo "$n: $want = $got"
done
