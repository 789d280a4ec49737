# The combiner conditioned on the user's state (settings "gate"): users whose gate value is above
# the threshold are scored with the gate's weights. A gated settings file is recorded in the
# manifest, applied by --recs and by tide-recommend alike (batch = scorer), and changes the lists
# of exactly the users above the threshold; --tune reports the gates it tried, --no-gate tries none.
source "$(dirname "$BASH_SOURCE")/common.inc"
gated() {   # $1 threshold on the number of events
cat <<J
{"settings": {"weights": {"ease": 1, "knn": 0, "trans": 0, "tfidf": 0, "pop": 0, "cluster": 0, "ease-burst": 0, "session": 0, "seq": 0},
  "gate": {"by": "events", "threshold": $1,
           "weights": {"ease": 0, "knn": 0, "trans": 0, "tfidf": 0, "pop": 1, "cluster": 0, "ease-burst": 0, "session": 0, "seq": 0}}}}
J
}
gated 1e12 > none.json      # nobody above: the main weights (EASE) for everyone
run tide-capture-interest --data split/train_valid --settings none.json --as-of user $FAST --out d0 --recs r0.tsv --k 5
assert_exit 0
# thresholds from the users' event counts: the median
run tide-capture-interest --data split/train_valid --settings none.json --as-of user $FAST --summary s0.jsonl
assert_exit 0
thr=$(jq -r 'select(.events > 0) | .events' s0.jsonl | sort -n | awk '{a[NR]=$1} END {print a[int(NR/2)]}')
[ -n "$thr" ] || fail "no event counts"
gated "$thr" > half.json
run tide-capture-interest --data split/train_valid --settings half.json --as-of user $FAST --out d1 --recs r1.tsv --k 5
assert_exit 0
[ "$(jq -r .settings.gate.by d1/manifest.json)" = events ] || fail "gate not in the manifest"
[ "$(jq -r .settings.gate.threshold d1/manifest.json)" = "$thr" ] || fail "gate threshold not recorded"
[ "$(jq -r '.settings.gate.weights.pop' d1/manifest.json)" = 1 ] || fail "gate weights not recorded"
# tide-recommend scores the dir with the gate too: its lists are --recs' lists
run tide-recommend --data split/train_valid --model d1 --k 5 --out rr1.tsv --threads 2
assert_exit 0
jq -r 'select(.events > 0) | .user' s0.jsonl | sort > active.txt
awk 'NR==FNR {a[$1]; next} ($1 in a)' active.txt r1.tsv | cut -f1-3 > a.tsv
awk 'NR==FNR {a[$1]; next} ($1 in a)' active.txt rr1.tsv | cut -f1-3 > b.tsv
[ -s a.tsv ] || fail "no active users"
cmp a.tsv b.tsv || fail "tide-recommend differs from --recs with a gate"
# users at or below the threshold keep the EASE lists; the lists of users above it change
jq -r "select(.events > 0 and .events <= $thr) | .user" s0.jsonl | sort > below.txt
jq -r "select(.events > $thr) | .user" s0.jsonl | sort > above.txt
[ -s below.txt ] && [ -s above.txt ] || fail "the median split left a side empty"
pick() { awk 'NR==FNR {a[$1]; next} ($1 in a)' "$1" "$2" | cut -f1-2; }
cmp <(pick below.txt r0.tsv) <(pick below.txt r1.tsv) || fail "users below the threshold changed"
! cmp -s <(pick above.txt r0.tsv) <(pick above.txt r1.tsv) || fail "users above the threshold kept the ungated lists"
# bad gates are bad data
echo '{"settings": {"gate": {"by": "mood", "threshold": 1, "weights": {"ease": 1}}}}' > bad.json
run tide-capture-interest --data split/train_valid --settings bad.json --as-of user $FAST --recs x.tsv
assert_exit 3
assert_stderr_has "gate"
# --tune: the gates it tried with their cross-validated NDCG; --no-gate: none; --cv-folds (three
# components: the grids of the others cost minutes here and say nothing about the gate)
run tide-capture-interest --data split/train --tune --valid split/valid --as-of user $FAST --components trans,pop,knn --report t.json --cv-folds 3
assert_exit 0
jq -e '.combiner_cv_folds == 3 and (.combiner_gates | length) > 0
       and ([.combiner_gates[] | select(.ndcg_cv > 0 and (.by == "gap" or .by == "events"))] | length) == (.combiner_gates | length)
       and ((.combiner_gate == null) == (.settings.gate == null))' t.json >/dev/null || fail "gate report"
run tide-capture-interest --data split/train --tune --valid split/valid --as-of user $FAST --components trans,pop,knn --report ng.json --no-gate --cv-folds 2
assert_exit 0
jq -e '.combiner_gates == null and .settings.gate == null and .combiner_cv_folds == 2' ng.json >/dev/null || fail "--no-gate"
run tide-capture-interest --data split/train --tune --valid split/valid --as-of user $FAST --components trans,pop,knn --report x.json --cv-folds 1
assert_exit 2
run tide-capture-interest --data split/train_valid --settings half.json --as-of user $FAST --recs x.tsv --no-gate
assert_exit 2
