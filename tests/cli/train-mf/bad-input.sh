# Bad input and usage: clear messages and the documented exit codes (2 usage, 3 data, 1 memory).
. "$(dirname "${BASH_SOURCE[0]}")/common.inc"
"$SYNTH" --empty "$T/empty"
"$SYNTH" --nan "$T/nan"
"$SYNTH" --write "$T/small" 60 12 300 1
"$SYNTH" --split "$T/s2" 60 30 600 2
run tide-train-mf --data "$T/empty" --out "$T/m"
assert_exit 3; assert_stderr_has "dataset is empty"
run tide-train-mf --data "$T/nan" --out "$T/m" --factors 4
assert_exit 3; assert_stderr_has "weights.npy["; assert_stderr_has "finite"
run tide-train-mf --data "$T/small" --out "$T/m" --factors 50
assert_exit 2; assert_stderr_has "--factors 50 is larger than the 12 items"
run tide-train-mf --algo ease --data "$T/small" --out "$T/m" --max-memory 1K
assert_exit 1; assert_stderr_has "EASE needs"; assert_stderr_has "--max-memory"
assert_no_file "$T/m"
run tide-train-mf --data "$T/small" --out "$T/m" --valid "$T/s2/valid" --factors 4
assert_exit 3; assert_stderr_has "--valid"
run tide-train-mf --data "$T/nope" --out "$T/m" --factors 4
assert_exit 1; assert_stderr_has "no such dataset directory"  # missing input: exit 1 (docs/exit-codes.md)
run tide-train-mf --out "$T/m"
assert_exit 2; assert_stderr_has "--data and --out are required"
run tide-train-mf --algo svd --data "$T/small" --out "$T/m"
assert_exit 2; assert_stderr_has "unknown algorithm"
run tide-train-mf --solver lu --data "$T/small" --out "$T/m"
assert_exit 2
run tide-train-mf --half-life soon --data "$T/small" --out "$T/m"
assert_exit 2; assert_stderr_has "--half-life"
run tide-train-mf --regularization -1 --data "$T/small" --out "$T/m"
assert_exit 2; assert_stderr_has "--regularization"
assert_no_file "$T/m"
# A failed run leaves an existing model intact.
run tide-train-mf --algo pop --data "$T/small" --out "$T/keep"
assert_exit 0
before=$(md5sum "$T/keep/popularity.npy")
run tide-train-mf --algo pop --data "$T/nan" --out "$T/keep"
assert_exit 3
assert_eq "$(md5sum "$T/keep/popularity.npy")" "$before"
run tide-train-mf --help
assert_exit 0; assert_stdout_has "--checkpoint-every"
