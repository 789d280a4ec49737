# tune on valid, refit with the chosen settings, the interest dir, recommendations, summary,
# determinism across runs and thread counts.
source "$(dirname "$BASH_SOURCE")/common.inc"
run tide-capture-interest --data split/train --tune --valid split/valid --as-of user $FAST --report tune.json
assert_exit 0
# backward elimination: what it dropped left the settings, the rest stayed; each drop did not
# lower the cross-validated NDCG
jq -e '(.settings.components | length) + (.combiner_dropped | length) == 8
       and ([.combiner_dropped[] | select(.ndcg_cv_without < .ndcg_cv_with)] | length) == 0
       and ([.combiner_dropped[] | select(.ndcg_cv_without == null)] | length) == 0
       and ([.combiner_dropped[].component as $c | .settings.components | index($c)] | all(. == null))' \
    tune.json >/dev/null || fail "settings components / elimination"
# (2 folds, no gate: what is checked here is elimination; the defaults ran above)
run tide-capture-interest --data split/train --tune --valid split/valid --as-of user $FAST --report keep.json --keep-components \
    --cv-folds 2 --no-gate
assert_exit 0
[ "$(json_get keep.json '.settings.components | length')" = 8 ] || fail "--keep-components dropped a component"
[ "$(json_get keep.json '.combiner_dropped | length')" = 0 ] || fail "--keep-components: combiner_dropped"
jq -e '.valid_ndcg_alone.ease >= 0 and (.combiner_cv | length) == 9 and .combiner_cv_folds == 5
    and ([.combiner_cv[].method] | unique) == ["coordinate-ascent", "lambdarank", "pairwise-logistic"]
    and (.grid | length) > 10' tune.json >/dev/null || fail "tuning report"
run tide-capture-interest --data split/train_valid --settings tune.json --as-of user $FAST \
    --out interest --recs recs.tsv --k 5 --summary summary.jsonl
assert_exit 0
assert_no_tmp .
[ "$(json_get interest/manifest.json .format)" = tide-interest ] || fail "format"
[ "$(json_get interest/manifest.json .dataset.checksum)" = "$(json_get split/train_valid/manifest.json .checksum)" ] || fail "checksum"
users=$(wc -l < split/train_valid/users.txt)
[ "$(wc -l < summary.jsonl)" = "$users" ] || fail "summary lines"
[ "$(cut -f1 recs.tsv | sort -u | wc -l)" -le "$users" ] || fail "recs users"
jq -e 'select(.events > 0) | .interests[0].label | length > 0' summary.jsonl >/dev/null || fail "labels"
# the weights the tuning chose are the ones recorded and applied
[ "$(jq -c .settings.weights tune.json)" = "$(jq -c .settings.weights interest/manifest.json)" ] || fail "weights differ"
# the session EASE and the burst row: their settings are recorded (what elimination kept has a
# weight), and a kept session row ships its matrix in the interest dir for tide-recommend/--update
jq -e '.settings | (.session_decay.tau >= 0) and (.burst_decay.tau >= 0) and (.session_gap_s > 0) and (.trans_gap >= 1)' \
    interest/manifest.json >/dev/null || fail "session / burst / transition settings"
if jq -e '.settings.components | index("session")' interest/manifest.json >/dev/null; then
    [ -s interest/session_matrix.npy ] || fail "session kept but no session_matrix.npy"
    jq -e '.settings.weights.session != null' interest/manifest.json >/dev/null || fail "session weight"
fi
# determinism: same bytes for another run with the same --threads
run tide-capture-interest --data split/train_valid --settings tune.json --as-of user $FAST \
    --out interest2 --recs recs2.tsv --k 5
assert_exit 0
cmp recs.tsv recs2.tsv || fail "recs differ between runs"
for f in interest/*.npy; do cmp "$f" "interest2/$(basename "$f")" || fail "$f differs"; done
# ... and for another thread count, except EASE (its LAPACK inverse runs on OpenBLAS threads)
run tide-capture-interest --data split/train_valid --fixed-weights --as-of user $FAST --components trans,tfidf,pop,knn,cluster \
    --out t2 --recs t2.tsv --k 5
run tide-capture-interest --data split/train_valid --fixed-weights --as-of user $FAST --components trans,tfidf,pop,knn,cluster \
    --out t1 --recs t1.tsv --k 5 --threads 1
cmp t1.tsv t2.tsv || fail "recs differ between thread counts"
for f in t1/*.npy; do cmp "$f" "t2/$(basename "$f")" || fail "$f differs between thread counts"; done
# tuning too is the same for another thread count: every grid point's valid NDCG to the last
# bit (summed in user order, so exact ties stay ties), the combiner's CV and the chosen settings
run tide-capture-interest --data split/train --tune --valid split/valid --as-of user $FAST \
    --components trans,tfidf,pop,knn,cluster --report tt2.json
assert_exit 0
run tide-capture-interest --data split/train --tune --valid split/valid --as-of user $FAST \
    --components trans,tfidf,pop,knn,cluster --report tt1.json --threads 1
assert_exit 0
[ "$(jq -cS '[.grid, .combiner_cv, .settings]' tt1.json)" = "$(jq -cS '[.grid, .combiner_cv, .settings]' tt2.json)" ] \
    || fail "tuning differs between thread counts"
# numpy reads the arrays
if [ -n "${TIDE_PYTHON:-}" ] && "$TIDE_PYTHON" -c 'import numpy' 2>/dev/null; then
    "$TIDE_PYTHON" -c "
import numpy as np, sys
d = np.load('interest/drift.npy', mmap_mode='r'); n = np.load('interest/n_clusters.npy')
assert d.shape == ($users,) and n.min() >= 0 and n.max() <= 8, (d.shape, n.min(), n.max())
" || fail "numpy"
fi
# tide-recommend scores the interest dir through the scorer interface: the same lists as
# --recs for every user with events (users without any get the engine's popularity there)
run tide-recommend --data split/train_valid --model interest --k 5 --out rr.tsv --threads 2
assert_exit 0
jq -r 'select(.events > 0) | .user' summary.jsonl | sort > active.txt
awk 'NR==FNR {a[$1]; next} ($1 in a)' active.txt recs.tsv > a.tsv
awk 'NR==FNR {a[$1]; next} ($1 in a)' active.txt rr.tsv > b.tsv
[ -s a.tsv ] || fail "no active users"
cut -f1-3 a.tsv > a3.tsv; cut -f1-3 b.tsv > b3.tsv
cmp a3.tsv b3.tsv || fail "tide-recommend --model INTEREST_DIR differs from --recs"
