# Every model kind's output equals a brute-force numpy score matrix (seen items excluded, ties by
# item index), with blocks smaller than the problem so block merging is exercised.
source "$SRC/tests/cli/recommend/fixture.bash"
[ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null || { echo "skip: no numpy"; exit 77; }
fixture fx
checks=()
for algo in als bpr ease itemknn pop; do
    for k in 1 5 20; do
        run tide-recommend --data fx/data --model fx/$algo --k $k --user-block 7 --item-block 9 --out $algo-$k.tsv
        assert_exit 0
        checks+=($algo $k $algo-$k.tsv)
    done
done
"$TIDE_PYTHON" "$SRC/tests/cli/recommend/brute.py" fx "${checks[@]}" || fail "differs from brute force"
