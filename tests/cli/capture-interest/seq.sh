# seq, the linear next-item model (src/interest/seq.c): --tune searches its grid on valid (λ ×
# target window, each a refit, then the scoring decay) and records what it chose; the interest
# dir ships its matrix, so tide-recommend on the dir and an --update (PREV's item side, nothing
# refitted) give what --recs gives; --components -seq leaves it out.
source "$(dirname "$BASH_SOURCE")/common.inc"
S="--components seq,trans --threads 2 --quiet"
run tide-capture-interest --data split/train --tune --valid split/valid --as-of user $S --report t.json \
    --keep-components --cv-folds 2 --no-gate
assert_exit 0
jq -e '([.grid[] | select(.setting == "seq(lambda,gap)")] | length) == 9
       and ([.grid[] | select(.setting == "seq(tau,half_life)")] | length) == 20
       and .valid_ndcg_alone.seq > 0 and (.settings.components | index("seq")) != null' \
    t.json >/dev/null || fail "seq grid / settings in the report"
# the chosen (λ, gap) scored the grid's best
jq -e '([.grid[] | select(.setting == "seq(lambda,gap)") | .ndcg] | max) as $m | .settings as $s
       | [.grid[] | select(.setting == "seq(lambda,gap)" and .a == $s.seq_lambda and .b == $s.seq_gap) | .ndcg][0] == $m' \
    t.json >/dev/null || fail "the chosen seq lambda / gap is not the best grid point"
run tide-capture-interest --data split/train_valid --settings t.json --as-of user $S --out d --recs r.tsv --k 5
assert_exit 0
n=$(wc -l < split/train_valid/items.txt)
[ "$(python3 -c "import sys; h=open('d/seq_matrix.npy','rb').read(200); print(h[h.index(b'('):h.index(b')')+1].decode())")" = "($n, $n)" ] \
    || fail "seq_matrix.npy is not [items, items]"
jq -e '.settings.seq_lambda > 0 and .settings.seq_gap >= 1 and .settings.seq_decay.tau >= 0 and .settings.weights.seq != null' \
    d/manifest.json >/dev/null || fail "seq settings not in the manifest"
run tide verify d
assert_exit 0
run tide-recommend --data split/train_valid --model d --k 5 --out rr.tsv --threads 2
assert_exit 0
cmp <(cut -f1-3 r.tsv) <(cut -f1-3 rr.tsv) || fail "tide-recommend differs from --recs with seq"
# an update from a dir fitted on train: PREV's seq matrix is reused, and the lists equal a run that
# borrows the same item side for everyone (--recompute-all)
run tide-capture-interest --data split/train --settings t.json --as-of user $S --out prev
assert_exit 0
run tide-capture-interest --data split/train_valid --update prev --as-of user $S --out upd --recs ru.tsv --k 5
assert_exit 0
run tide-capture-interest --data split/train_valid --update prev --recompute-all --as-of user $S --out all --recs ra.tsv --k 5
assert_exit 0
cmp prev/seq_matrix.npy upd/seq_matrix.npy || fail "the update changed PREV's seq matrix"
cmp ru.tsv ra.tsv || fail "update differs from recomputing all with seq"
# leaving it out
run tide-capture-interest --data split/train_valid --settings t.json --components -seq --as-of user --threads 2 --quiet --out noseq
assert_exit 0
[ ! -e noseq/seq_matrix.npy ] || fail "--components -seq still wrote the matrix"
# a plain list narrows the file's list too, and never turns on what the file leaves out
run tide-capture-interest --data split/train_valid --settings t.json --components seq,ease --as-of user --threads 2 --quiet --out onlyseq
assert_exit 0
[ "$(jq -c .settings.components onlyseq/manifest.json)" = '["seq"]' ] || fail "--components seq,ease over settings {seq, trans}: $(jq -c .settings.components onlyseq/manifest.json)"
