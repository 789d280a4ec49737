# dataset-pipeline: with a real test split (tide-ingest + tide-split on data/sample) as truth:
# the dictionaries are authoritative (unknown user / item: exit 3 with file:line), novelty from
# --train, diversity from --item-vectors. Skipped (77) until tide-ingest is built.
[ -x "$TIDE_BIN/tide-ingest" ] || { echo "skip: tide-ingest not built"; exit 77; }
run tide-ingest "$SRC/data/sample/interactions.csv.gz" --user-col user_id --item-col item_id \
    --time-col timestamp --event-col event -q --out ds
[ "$RUN_RC" -eq 0 ] || fail "tide-ingest failed"
run tide-split --data ds --out sp --method leave-last --test 2 -q
assert_exit 0
# Recommendations: the 20 most popular items (by line count of the sample) for every user.
zcat "$SRC/data/sample/interactions.csv.gz" | awk -F, 'NR > 1 {c[$2]++} END {for (i in c) print c[i] "\t" i}' \
    | sort -k1,1nr -k2,2 | awk -F'\t' 'NR <= 20 {print $2}' > top.txt
awk 'NR == FNR {top[++n] = $1; next} {for (r = 1; r <= n; r++) printf "%s\t%s\t%d\t%.3f\n", $1, top[r], r, 1 - r / 100}' \
    top.txt sp/test/users.txt > pop.tsv
run tide-eval --truth sp/test --train sp/train --recs pop.tsv --k 5,10 -B 20 --json out.json
assert_exit 0
assert_eq "$(json_get out.json '.inputs.truth.kind')" dataset
assert_eq "$(json_get out.json '.runs[0].metrics | has("novelty@10")')" true
[ "$(json_get out.json '.runs[0].metrics["novelty@10"]')" != null ] || fail "novelty missing"
assert_eq "$(json_get out.json '.catalog_items')" "$(grep -c . sp/test/items.txt)"
if [ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null; then
    n=$(grep -c . sp/test/items.txt)
    "$TIDE_PYTHON" -c "import numpy as np; np.save('vec.npy', np.random.default_rng(1).standard_normal(($n, 8)).astype('f4'))"
    run tide-eval --truth sp/test --recs pop.tsv --item-vectors vec.npy -B 0 --json div.json
    assert_exit 0
    [ "$(json_get div.json '.runs[0].metrics["diversity@10"]')" != null ] || fail "diversity missing"
fi
# Unknown ids relative to the dataset's dictionaries.
u=$(head -1 sp/test/users.txt); it=$(head -1 sp/test/items.txt)
printf '%s\t%s\t1\t1\nnot-a-user\t%s\t1\t1\n' "$u" "$it" "$it" > bad.tsv
run tide-eval --truth sp/test --recs bad.tsv
assert_exit 3
assert_stderr_has "bad.tsv:2: unknown user 'not-a-user'"
printf '%s\tnot-an-item\t1\t1\n' "$u" > bad.tsv
run tide-eval --truth sp/test --recs bad.tsv
assert_exit 3
assert_stderr_has "bad.tsv:1: unknown item 'not-an-item'"
