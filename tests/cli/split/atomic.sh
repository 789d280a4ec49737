# OUT appears whole or not at all: a failed run leaves the previous OUT exactly as it was, a
# successful one replaces it entirely; missing parents are created; a write failure exits 1.
source "$SRC/tests/cli/split/common.bash"
small_fixture ds
run tide-split --data ds --out deep/er/split --method leave-last --valid 1
assert_exit 0
assert_file deep/er/split/valid/manifest.json
cp -a deep/er/split before

mkds events.tsv unsorted --no-sort
run tide-split --data unsorted --out deep/er/split --method leave-last
assert_exit 3
diff -r before deep/er/split >&2 || fail "a failed run changed the previous output"
assert_no_tmp deep/er

run tide-split --data ds --out deep/er/split --method leave-last --test 1
assert_exit 0
assert_no_file deep/er/split/valid
assert_no_file deep/er/split/train_valid
assert_eq "$(json_get deep/er/split/manifest.json .params.valid)" 0
assert_no_tmp deep/er

# The parent of OUT is a file: cannot write, exit 1, nothing left behind.
echo x >afile
run tide-split --data ds --out afile/split --method leave-last
assert_exit 1
assert_stderr_has "tide-split: error: "
assert_eq "$(cat afile)" "x"
