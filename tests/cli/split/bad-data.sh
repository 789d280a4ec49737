# Bad input data exits 3 with a message saying what is wrong, and leaves no output.
source "$SRC/tests/cli/split/common.bash"
small_fixture ds
bad() { # bad "expected message" ARGS...
    local want="$1"; shift
    run tide-split "$@"
    assert_exit 3
    assert_stderr_has "tide-split: error: "
    assert_stderr_has "$want"
    assert_no_file out
    assert_no_tmp .
}
# a missing directory is a missing input: exit 1, as for any file that is not there
run tide-split --data missing --out out --method leave-last
assert_exit 1
assert_stderr_has "missing: no such dataset directory"
assert_no_file out
touch afile
bad "afile: not a dataset directory" --data afile --out out --method leave-last
mkdir empty
bad "not a dataset directory (no readable manifest.json)" --data empty --out out --method leave-last

# A modified array: the checksum catches it.
cp -r ds corrupt
printf '\x7f' | dd of=corrupt/weights.npy bs=1 seek=130 conv=notrunc status=none
bad "checksum mismatch" --data corrupt --out out --method leave-last

# Rows that break the (time, input order) promise while the checksum is valid.
mkds events.tsv unsorted --no-sort
bad "user 'u1': interactions are not in time order" --data unsorted --out out --method leave-last

# Splits the data cannot give.
bad "no user has the 7 interactions needed for 5 test and 1 valid events" --data ds --out out --method leave-last --test 5 --valid 1
bad "no interaction at or after the test cut 2030-01-01T00:00:00Z" --data ds --out out --method time --cut 2030-01-01
bad "no interaction before the test cut 1970-01-01T00:00:10Z: train would be empty" --data ds --out out --method time --cut 10
bad "leaves none for training" --data ds --out out --method time --test-fraction 0.9 --valid-fraction 0.09
bad "no interaction between the valid cut 1970-01-01T00:03:21Z and the test cut 1970-01-01T00:04:10Z" \
    --data ds --out out --method time --cut 250 --valid-cut 201
