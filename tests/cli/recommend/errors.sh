# Bad input → a clear message and the documented exit code (3 data, 2 usage, 4 backend); a failed
# run leaves the previous output untouched and no temporary files.
source "$SRC/tests/cli/recommend/fixture.bash"
fixture fx
run tide-recommend --data fx/data --model fx/als --k 3 --out keep.tsv
assert_exit 0
cp keep.tsv before.tsv
# Factor dimensions that disagree.
"$GEN" --models other --int --users 60 --items 45 --dim 5 --seen 6 --seed 7 --algos als || fail gen
cp -r fx/als baddim && cp other/als/item_factors.npy baddim/
run tide-recommend --data fx/data --model baddim --k 3 --out keep.tsv
assert_exit 3
assert_stderr_has "user_factors.npy has 4 factors but item_factors.npy has 5"
cmp keep.tsv before.tsv || fail "failed run touched the output"
assert_no_tmp .
# A model trained on a different dataset (other seed → other checksum, same shape).
"$GEN" --models fy --int --users 60 --items 45 --dim 4 --seen 6 --seed 8 --algos als || fail gen
run tide-recommend --data fx/data --model fy/als --k 3 --out keep.tsv
assert_exit 3
assert_stderr_has "differs from the one the model was trained on"
cmp keep.tsv before.tsv || fail "failed run touched the output"
run tide-recommend --data fx/data --model fy/als --k 3 --allow-new-data
assert_exit 0
# A different item count is never accepted.
"$GEN" --models fz --int --users 60 --items 46 --dim 4 --seen 6 --seed 7 --algos als || fail gen
run tide-recommend --data fx/data --model fz/als --k 3 --allow-new-data
assert_exit 3
assert_stderr_has "45 items, but the model"
# K larger than the candidate set is not an error (tests/cli/recommend/k-over-candidates.sh).
printf 'i1\nnot-an-item\n' > cand2.txt
run tide-recommend --data fx/data --model fx/als --k 1 --candidates cand2.txt
assert_exit 3
assert_stderr_has "cand2.txt:2: unknown item id 'not-an-item'"
# Unknown and repeated user ids in --users.
printf 'u1\n\nghost\n' > users.txt
run tide-recommend --data fx/data --model fx/als --k 3 --users users.txt
assert_exit 3
assert_stderr_has "users.txt:3: unknown user id 'ghost'"
printf 'u1\nu1\n' > users2.txt
run tide-recommend --data fx/data --model fx/als --k 3 --users users2.txt
assert_exit 3
assert_stderr_has "users2.txt:2: user id 'u1' listed twice"
# Unknown model kinds: a format no family registered (src/models/open.c) or an unknown algorithm.
cp -r fx/pop future
sed -i 's/"tide-model"/"tide-future"/' future/manifest.json
run tide-recommend --data fx/data --model future --k 3
assert_exit 3
assert_stderr_has "unsupported model kind: format 'tide-future'"
# A dir that claims to be an interest dir but is not one: the interest family refuses it.
cp -r fx/pop notinterest
sed -i 's/"tide-model"/"tide-interest"/' notinterest/manifest.json
run tide-recommend --data fx/data --model notinterest --k 3
assert_exit 3
assert_stderr_has "notinterest/manifest.json"
cp -r fx/pop slim
sed -i 's/"pop"/"slim"/' slim/manifest.json
run tide-recommend --data fx/data --model slim --k 3
assert_exit 3
assert_stderr_has "unsupported model kind: algorithm 'slim'"
run tide-recommend --data fx/data --model fx/data --k 3
assert_exit 3
# a missing model or dataset directory exits 1 like any missing input file (not 3: nothing bad was read)
run tide-recommend --data fx/data --model nowhere --k 3
assert_exit 1
assert_stderr_has "nowhere: no such model directory"
run tide-recommend --data nowhere --model fx/als --k 3
assert_exit 1
assert_stderr_has "nowhere: no such dataset directory"
run tide-recommend --data fx/data --model fx/data/manifest.json --k 3
assert_exit 3
assert_stderr_has "not a model directory"
rm fx/ease/item_matrix.npy
run tide-recommend --data fx/data --model fx/ease --k 3
assert_exit 3
assert_stderr_has "item_matrix.npy: missing"
# Backend: CUDA in a build without it.
run tide-recommend --data fx/data --model fx/als --k 3 --device cuda
assert_exit 4
assert_stderr_has "no CUDA backend"
run tide-recommend --data fx/data --model fx/als --k 3 --device tpu
assert_exit 2
# Usage errors.
run tide-recommend --data fx/data --k 3
assert_exit 2
assert_stderr_has "--model DIR is required"
run tide-recommend --model fx/als --k 3
assert_exit 2
run tide-recommend --data fx/data --model fx/als --k 0
assert_exit 2
run tide-recommend --data fx/data --model fx/als --shard 3/3
assert_exit 2
assert_stderr_has "--shard expects I/N"
run tide-recommend --data fx/data --model fx/als --format xml
assert_exit 2
run tide-recommend --data fx/data --model fx/als --k 3 --out nodir/x.tsv
assert_exit 1
cmp keep.tsv before.tsv || fail "output changed"
assert_no_tmp .
# A NUL byte in an id list is bad data (it would cut "u1\0x" to the id "u1"), for each list.
printf 'u1\000x\n' > nul.txt
for opt in --users --candidates --exclude; do
    run tide-recommend --data fx/data --model fx/als --k 1 $opt nul.txt --out keep.tsv
    assert_exit 3
    assert_stderr_has "nul.txt:1: NUL byte in the line"
done
cmp keep.tsv before.tsv || fail "failed run touched the output"
