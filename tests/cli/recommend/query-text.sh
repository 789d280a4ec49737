# --query TEXT / --query-file FILE with --lm: the texts are encoded as tide-embed --text encodes
# them and then retrieved exactly as --query-vectors, so both routes give the same bytes (with the
# committed tiny model, and with all-MiniLM-L6-v2 when models/ holds it). Blank query lines are
# zero rows as in tide-embed. Usage and dimension errors.
TINY="$SRC/tests/fixtures/lm/tiny-bert-cls"
printf '%s\n' "a red wool sweater" "blue denim jeans" "green rain jacket" "black leather boots" \
    "white cotton t-shirt" "a warm winter coat" "running shoes" "a silk scarf" > items.txt
printf 'warm clothes for winter\n\nshoes for running\r\nsomething red' > q.txt

same_as_embed() { # same_as_embed MODEL: both routes, byte for byte
    local M="$1" tag="$2"
    run tide-embed --model "$M" --text items.txt --out "items$tag.npy"
    assert_exit 0
    # one --query against tide-embed of the same single line
    printf 'warm clothes for winter\n' > one.txt
    run tide-embed --model "$M" --text one.txt --out "one$tag.npy"
    assert_exit 0
    run tide-recommend --query-vectors "one$tag.npy" --item-vectors "items$tag.npy" --k 3 --out "want1$tag.tsv"
    assert_exit 0
    run tide-recommend --query "warm clothes for winter" --lm "$M" --item-vectors "items$tag.npy" --k 3 --out "got1$tag.tsv"
    assert_exit 0
    cmp "want1$tag.tsv" "got1$tag.tsv" || fail "--query differs from tide-embed + --query-vectors ($M)"
    assert_eq "$(wc -l < "got1$tag.tsv")" 3
    assert_eq "$(cut -f1 "got1$tag.tsv" | sort -u)" 0
    # a query file with a blank line and CRLF, as a file and on stdin, in jsonl too
    run tide-embed --model "$M" --text q.txt --out "q$tag.npy"
    assert_exit 0
    run tide-recommend --query-vectors "q$tag.npy" --item-vectors "items$tag.npy" --k 3 --format jsonl --out "want$tag.jsonl"
    assert_exit 0
    run tide-recommend --query-file q.txt --lm "$M" --item-vectors "items$tag.npy" --k 3 --format jsonl --out "got$tag.jsonl"
    assert_exit 0
    assert_stderr_has "query 1 is blank"
    cmp "want$tag.jsonl" "got$tag.jsonl" || fail "--query-file differs from tide-embed + --query-vectors ($M)"
    assert_eq "$(wc -l < "got$tag.jsonl")" 12
    run_in q.txt tide-recommend --query-file - --lm "$M" --item-vectors "items$tag.npy" --k 3 --format jsonl
    assert_exit 0
    assert_stdout_eq "want$tag.jsonl"
    # repeated --query = the lines of a file, in order (the user column is the 0-based query number)
    run tide-recommend --query "warm clothes for winter" --query "" --query "shoes for running" --query "something red" \
        --lm "$M" --item-vectors "items$tag.npy" --k 3 --format jsonl
    assert_exit 0
    assert_stdout_eq "want$tag.jsonl"
}
same_as_embed "$TINY" ""
# the blank query is a zero vector: all scores 0, ties to the lowest item indices
assert_eq "$(grep '"user": *"\?1"\?,' got.jsonl | jq -r '[.item, .score] | @tsv' | tr '\t\n' ', ')" "0,0 1,0 2,0 "
# the tiny model ranks items differently for different queries (the test can see a wrong encoding)
[ "$(sed -n 1,3p got.jsonl | jq -r .item)" != "$(sed -n 7,9p got.jsonl | jq -r .item)" ] || fail "queries 0 and 2 rank alike"
MINI="$SRC/models/all-MiniLM-L6-v2"
have_mini=0
if [ -f "$MINI/model.safetensors" ]; then same_as_embed "$MINI" "-mini"; have_mini=1; fi

# the model's output dimension must be the item vectors' (exit 3 naming both), nothing written
run tide-embed --model tfidf --dim 4 --text items.txt --out items4.npy
assert_exit 0
cp got1.tsv keep.tsv
run tide-recommend --query "boots" --lm "$TINY" --item-vectors items4.npy --out got1.tsv
assert_exit 3
assert_stderr_has "the language model's vectors have 48 dimensions but items4.npy has 4"
cmp keep.tsv got1.tsv || fail "a failed run changed the output"
assert_no_tmp .
# an empty query file; a model folder that is not one fails as in tide-embed
: > empty.txt
run tide-recommend --query-file empty.txt --lm "$TINY" --item-vectors items.npy
assert_exit 3
assert_stderr_has "no queries"
run tide-embed --model items.txt --text one.txt --out bad.npy
embed_rc=$RUN_RC
run tide-recommend --query "boots" --lm items.txt --item-vectors items.npy
assert_exit "$embed_rc"
assert_stderr_has "items.txt: not a model folder"

# usage: exclusive with --query-vectors and --model, needs --lm and --item-vectors
for args in "--query-vectors one.npy" "--model $T" "--query-file q.txt"; do
    run tide-recommend --query "boots" --lm "$TINY" --item-vectors items.npy $args
    assert_exit 2
done
run tide-recommend --query-file q.txt --lm "$TINY" --item-vectors items.npy --query-vectors one.npy
assert_exit 2
assert_stderr_has "exclusive with --query-vectors and --model"
run tide-recommend --query "boots" --item-vectors items.npy
assert_exit 2
assert_stderr_has "need --lm"
run tide-recommend --query "boots" --lm "$TINY"
assert_exit 2
assert_stderr_has "need --item-vectors"
run tide-recommend --query-vectors one.npy --lm "$TINY" --item-vectors items.npy
assert_exit 2
assert_stderr_has "--lm applies to --query"

# --device cuda: the same outcome as for --query-vectors (exit 4 in a build without CUDA)
run tide-recommend --query-vectors one.npy --item-vectors items.npy --device cuda --out cv.tsv
want_rc=$RUN_RC
run tide-recommend --query "warm clothes for winter" --lm "$TINY" --item-vectors items.npy --device cuda --out cq.tsv
assert_exit "$want_rc"
[ "$want_rc" -ne 0 ] || cmp cv.tsv cq.tsv || fail "--device cuda: --query differs from --query-vectors"
# everything else ran; the all-MiniLM-L6-v2 comparison did not
[ "$have_mini" = 1 ] || skip_lm "no $MINI (run tools/fetch-model.sh): the all-MiniLM-L6-v2 query was not compared"
