# tide verify on an interest dir (tide-capture-interest): a clean one passes (exit 0, every array
# checksummed); a flipped byte in an array, a truncated array in a dir without checksums (an
# older tide's: noted "no per-file checksums recorded", checked by structure), a removed array, a
# replaced dataset and replaced item vectors are each reported as `path: what is wrong`, exit 3.
printf 'u,i,t\n' > in.csv
for k in $(seq 1 60); do printf 'u%d,i%d,%d\n' $((k % 9)) $((k % 13)) "$k"; done >> in.csv
printf 'i,title\n' > items.csv
for k in $(seq 0 12); do printf 'i%d,word%d common%d\n' "$k" "$k" $((k % 3)); done >> items.csv
"$TIDE_BIN/tide-ingest" in.csv --user-col u --item-col i --time-col t --items items.csv --item-text-cols title --out ds -q ||
    fail ingest
"$TIDE_BIN/tide-embed" --model tfidf --data ds --dim 4 --out vec.npy -q || fail embed
"$TIDE_BIN/tide-capture-interest" --data ds --item-vectors vec.npy --fixed-weights --components ease,trans,pop,knn,lm,cluster \
    --out int --quiet || fail capture
jq -e '.files["last_time.npy"].crc32 and .files["lm_items.npy"].bytes > 0' int/manifest.json >/dev/null ||
    fail "the interest manifest records no per-file checksums"
run tide verify int
assert_exit 0
assert_stdout_empty
assert_stderr_has "int: interest, $(ls int/*.npy | wc -l) files checksummed, 0 problems, 0 stray temporaries"
fresh() { rm -rf "$2" && cp -r "$1" "$2"; }
flip() { printf '\x7f' | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
# one flipped byte in an array's data (past the 128-byte header)
fresh int i1 && flip i1/last_time.npy 130
run tide verify i1
assert_exit 3
assert_stdout_has "i1/last_time.npy: CRC-32"
assert_stdout_has "the bytes changed"
# an older dir (no "files"): still loads and verifies clean, with a note; a truncated array is
# then found by its shape
fresh int i2 && jq 'del(.files)' int/manifest.json > i2/manifest.json
run tide verify i2
assert_exit 0
assert_stderr_has "no per-file checksums recorded"
run tide-recommend --model i2 --data ds --k 3 --out r.tsv
assert_exit 0
truncate -s -4 i2/drift.npy
run tide verify i2
assert_exit 3
assert_stdout_has "i2/drift.npy"
# a removed array, with and without checksums recorded
fresh int i3 && rm i3/knn_items.npy
run tide verify i3
assert_exit 3
assert_stdout_has "i3/knn_items.npy: missing"
jq 'del(.files)' int/manifest.json > i3/manifest.json
run tide verify i3
assert_exit 3
assert_stdout_has "i3/knn_items.npy: missing (\"arrays.knn_items\" in the manifest)"
# an array swapped for another of the wrong dtype (i64 for f32), in a dir without checksums
fresh int i4 && cp int/n_events.npy i4/drift_cf.npy && jq 'del(.files)' int/manifest.json > i4/manifest.json
run tide verify i4
assert_exit 3
assert_stdout_has "i4/drift_cf.npy"
# the dataset it was captured from replaced since, and item vectors of another dimension
mv ds ds.orig && printf 'u,i,t\nx,y,1\n' > other.csv && "$TIDE_BIN/tide-ingest" other.csv --user-col u --item-col i --time-col t --out ds -q
run tide verify int
assert_exit 3
assert_stdout_has "int/manifest.json: made from dataset checksum"
rm -rf ds && mv ds.orig ds
mv vec.npy vec.orig.npy && "$TIDE_BIN/tide-embed" --model tfidf --data ds --dim 5 --out vec.npy -q || fail embed5
run tide verify int
assert_exit 3
assert_stdout_has "its item vectors vec.npy are [13, 5] (replaced since?)"
# an "arrays" entry that leaves the directory is a problem, not a read
fresh int i5 && jq '.arrays.drift = "../int/drift.npy"' int/manifest.json > i5/manifest.json
run tide verify i5
assert_exit 3
assert_stdout_has "leaves the directory"
