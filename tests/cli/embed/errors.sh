# Usage errors exit 2, bad models exit 3 naming the file, and a failed run keeps the old output.
TINY="$SRC/tests/fixtures/lm/tiny-bert-cls"
echo hello > in.txt
run tide-embed --text in.txt --out v.npy
assert_exit 2
assert_stderr_has "--model is required"
run tide-embed --model "$TINY" --out v.npy
assert_exit 2
assert_stderr_has "exactly one of --data and --text"
run tide-embed --model tfidf --text in.txt --cache old.npy --out v.npy
assert_exit 2
assert_stderr_has "--cache needs a language model"
run tide-embed --model "$TINY" --text in.txt --out v.npy --batch-size 0
assert_exit 2
# a bad --dim is a usage error (exit 2), not an overflow at allocation
for d in -3 0 100000; do
    run tide-embed --model tfidf --text in.txt --out v.npy --dim $d
    assert_exit 2
    assert_stderr_has "--dim must be in 1..65536"
done
run tide-embed --model "$TINY" --text in.txt --out v.npy
assert_exit 0
cp v.npy v.before
# a model folder with an unsupported activation
mkdir bad && cp -r "$TINY"/. bad/
sed -i 's/"hidden_act": "gelu"/"hidden_act": "relu"/' bad/config.json
run tide-embed --model bad --text in.txt --out v.npy
assert_exit 3
assert_stderr_has "bad/config.json: unsupported activation hidden_act 'relu'"
cmp v.npy v.before || fail "a failed run changed the previous output"
# a truncated safetensors file names the file and a tensor
mkdir trunc && cp -r "$TINY"/. trunc/
head -c 300000 "$TINY/model.safetensors" > trunc/model.safetensors
run tide-embed --model trunc --text in.txt --out v.npy
assert_exit 3
assert_stderr_has "trunc/model.safetensors: tensor '"
assert_stderr_has "truncated"
run tide-embed --model nowhere --text in.txt --out v.npy
assert_exit 1
assert_stderr_has "nowhere: not a model folder"
run tide-embed --model "$TINY" --text in.txt --out v.npy --device cuda
assert_exit 4
cmp v.npy v.before || fail "a failed run changed the previous output"
assert_no_tmp .
