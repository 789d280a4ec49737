# Time decay at scoring: for ease and itemknn trained with --half-life (as-of latest and user),
# tide-recommend weights each history by the manifest's decay exactly as tide-train-mf's
# validation did, so tide-eval of its lists on the valid split reproduces the valid NDCG@10 that
# tide-train-mf logged; the decayed lists differ from the static model's; a model without decay
# scores exactly as before (same bytes as one whose manifest has no decay params at all).
SYNTH="$TIDE_BIN/../tests/test-synth"
[ -x "$SYNTH" ] || fail "$SYNTH not built"
"$SYNTH" --split d 300 120 6000 5 || fail "synthetic data"
ndcg() { jq -r '[.. | objects | select(has("ndcg@10")) | .["ndcg@10"]][0]' "$1"; }
# agree NAME JQ-PATH TRAIN-ARGS...: train m-NAME with --valid, score it with tide-recommend, and
# check that tide-eval of r-NAME.tsv on valid equals the NDCG@10 the manifest kept at JQ-PATH.
agree() {
    local n=$1 path=$2
    shift 2
    run tide-train-mf --data d/train --valid d/valid --out m-$n "$@" --quiet
    assert_exit 0
    run tide-recommend --data d/train --model m-$n --k 10 --out r-$n.tsv
    assert_exit 0
    run tide-eval --truth d/valid --recs r-$n.tsv --k 10 -B 0 --json e-$n.json
    assert_exit 0
    local want got
    want=$(json_get m-$n/manifest.json "$path")
    got=$(ndcg e-$n.json)
    awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(d < 1e-9 && d > -1e-9) }' ||
        fail "$n: tide-recommend + tide-eval NDCG@10 $got, tide-train-mf validated $want"
}
for algo in ease itemknn; do
    for dec in "static:" "latest:--half-life 60s" "user:--half-life 10m --as-of user"; do
        # shellcheck disable=SC2086
        agree $algo-${dec%%:*} '.training.log[0]."valid_ndcg@10"' --algo $algo ${dec#*:}
    done
    cmp -s r-$algo-static.tsv r-$algo-latest.tsv && fail "$algo: the decay did not change the lists"
    cmp -s r-$algo-latest.tsv r-$algo-user.tsv && fail "$algo: as-of user scored as latest"
    # No decay params in the manifest (models from before decay): the static model's bytes.
    cp -r m-$algo-static m-$algo-old
    jq 'del(.params."half-life", .params."as-of")' m-$algo-static/manifest.json > m-$algo-old/manifest.json
    run tide-recommend --data d/train --model m-$algo-old --k 10 --out r-$algo-old.tsv
    assert_exit 0
    cmp r-$algo-static.tsv r-$algo-old.tsv || fail "$algo: a model without decay params scores differently"
done
# Different NDCGs, so the agreement above is not a coincidence of one number.
[ "$(ndcg e-ease-static.json)" != "$(ndcg e-ease-latest.json)" ] || fail "decay did not change NDCG"
# A manifest with a bad decay is bad input.
jq '.params."as-of" = "soon"' m-ease-static/manifest.json > m-ease-old/manifest.json
run tide-recommend --data d/train --model m-ease-old --k 10 --out bad.tsv
assert_exit 3
assert_stderr_has '"as-of" must be'
# Contextual popularity (pop --as-of user, both kernels: event arrays in the model) and ALS
# scored by folding in every user's decayed history (--fold-in, with and without the fading
# preference of --decay-preference): tide-recommend applies them from the manifest and its lists
# score exactly the valid NDCG@10 that tide-train-mf kept.
A="--algo als --factors 8 --iterations 6 --regularization 1 --alpha 5"
for cfg in "pop-static:--algo pop" "pop-ctx:--algo pop --half-life 10m --as-of user" \
    "pop-past:--algo pop --half-life 10m --as-of user --decay-kernel past" "als-static:$A" \
    "als-fold:$A --fold-in --half-life 10m --as-of user" \
    "als-fade:$A --fold-in --decay-preference --half-life 10m --as-of user"; do
    # shellcheck disable=SC2086
    agree ${cfg%%:*} '.training."best_valid_ndcg@10"' ${cfg#*:} --threads 2
done
[ -f m-pop-ctx/event_times.npy ] || fail "contextual popularity model without its events"
[ ! -e m-pop-static/event_times.npy ] || fail "static popularity model with event arrays"
assert_eq "$(json_get m-pop-past/manifest.json '.params."decay-kernel"')" past
assert_eq "$(json_get m-als-fade/manifest.json '.params."decay-preference"')" true
cmp -s r-pop-static.tsv r-pop-ctx.tsv && fail "contextual popularity scored as static popularity"
cmp -s r-pop-ctx.tsv r-pop-past.tsv && fail "the past kernel scored as the two-sided one"
cmp -s r-als-static.tsv r-als-fold.tsv && fail "--fold-in scored by the trained user factors"
cmp -s r-als-fold.tsv r-als-fade.tsv && fail "--decay-preference did not change the fold-in"
# Manifests that ask for more than the arrays give are bad input, not a silent fallback.
cp -r m-pop-ctx m-pop-bad
jq '.params."decay-kernel" = "sideways"' m-pop-ctx/manifest.json > m-pop-bad/manifest.json
run tide-recommend --data d/train --model m-pop-bad --k 10 --out bad.tsv
assert_exit 3
assert_stderr_has '"decay-kernel" must be'
cp m-pop-ctx/manifest.json m-pop-bad/manifest.json
rm m-pop-bad/event_times.npy
run tide-recommend --data d/train --model m-pop-bad --k 10 --out bad.tsv
assert_exit 3
assert_stderr_has 'event_times.npy: missing'
cp -r m-als-fold m-als-bad
jq '.params."fold-in" = "yes"' m-als-fold/manifest.json > m-als-bad/manifest.json
run tide-recommend --data d/train --model m-als-bad --k 10 --out bad.tsv
assert_exit 3
assert_stderr_has '"fold-in" must be true or false'
