# --text: one vector per line (stdin too), empty lines are zero rows, manifest counts and hashes.
TINY="$SRC/tests/fixtures/lm/tiny-bert-cls"
printf 'first line\n\nthird \xff line\r\nlast without newline' > in.txt
run tide-embed --model "$TINY" --text in.txt --out v.npy --threads 2
assert_exit 0
assert_stderr_has "1 texts held invalid UTF-8"
assert_eq "$(json_get v.json .rows)" 4
assert_eq "$(json_get v.json .dim)" 48
assert_eq "$(json_get v.json .kind)" lines
assert_eq "$(json_get v.json .counts.empty)" 1
assert_eq "$(json_get v.json .counts.computed)" 3
assert_eq "$(json_get v.json .counts.invalid_utf8_texts)" 1
assert_eq "$(json_get v.json '.row_hashes[1]')" null
assert_eq "$(json_get v.json .model.pooling)" cls
# 128-byte header + 4 x 48 floats
assert_eq "$(stat -c %s v.npy)" $((128 + 4 * 48 * 4))
assert_no_tmp .
# standard input gives the same bytes
run_in in.txt tide-embed --model "$TINY" --text - --out w.npy --threads 1
assert_exit 0
cmp v.npy w.npy || fail "stdin output differs from file output"
