# tide verify (issue 15): a clean dataset, split, model and vectors pass (exit 0); a flipped byte,
# a truncated or removed array, a changed item-major copy, a model's dataset replaced since, a
# planted temporary — each is reported as `path: what is wrong` with exit 3. `tide verify`
# dispatches to tide-verify.
printf 'u,i,t\n' > in.csv
for k in $(seq 1 60); do printf 'u%d,i%d,%d\n' $((k % 9)) $((k % 13)) "$k"; done >> in.csv
"$TIDE_BIN/tide-ingest" in.csv --user-col u --item-col i --time-col t --out ds -q || fail ingest
"$TIDE_BIN/tide-train-mf" --data ds --out m --algo als --factors 3 --iterations 2 -q || fail train
"$TIDE_BIN/tide-split" --data ds --out sp --method leave-last -q || fail split
"$TIDE_BIN/tide-embed" --model tfidf --text in.csv --dim 3 --out vec.npy -q || fail embed
for p in ds m sp vec.npy vec.json; do
    run tide verify "$p"
    assert_exit 0
    assert_stdout_empty
done
assert_stderr_has "vectors, 1 files checksummed, 0 problems"
run tide-verify ds m
assert_exit 0
assert_stderr_has "ds: dataset, 16 files checksummed, 0 problems, 0 stray temporaries"
assert_stderr_has "m: model, 2 files checksummed, 0 problems"
# fresh copies for each corruption: copy DIR NAME
fresh() { rm -rf "$2" && cp -r "$1" "$2"; }
# one flipped byte in the data part of an array (past the 128-byte header)
flip() { printf '\x7f' | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
fresh ds d1 && flip d1/item_times.npy 130
run tide verify d1
assert_exit 3
assert_stdout_has "d1/item_times.npy: CRC-32"
assert_stdout_has "the bytes changed"
assert_stdout_has "d1/item_times.npy: differs from the item-major copy of times.npy"
fresh ds d2 && flip d2/weights.npy 129
run tide verify d2
assert_exit 3
assert_stdout_has "d2/weights.npy: CRC-32"
assert_stdout_has "checksum mismatch"
fresh ds d3 && truncate -s -8 d3/weights.npy
run tide verify d3
assert_exit 3
assert_stdout_has "d3/weights.npy: "
assert_stdout_has "bytes, the manifest records"
fresh ds d4 && rm d4/text_times.npy
run tide verify d4
assert_exit 3
assert_stdout_has "d4/text_times.npy: missing (listed in the manifest)"
# a stray temporary inside and one of the directory itself beside it
fresh ds d5 && touch d5/.items.npy.tmp.Ab12Cd && mkdir .d5.tmp.XyZ123
run tide verify d5
assert_exit 3
assert_stdout_has "d5/.items.npy.tmp.Ab12Cd: stray temporary"
assert_stdout_has ".d5.tmp.XyZ123: stray temporary of d5"
# a model: a flipped factor, a removed array, and its dataset replaced since it was trained
fresh m m1 && flip m1/user_factors.npy 131
run tide verify m1
assert_exit 3
assert_stdout_has "m1/user_factors.npy: CRC-32"
fresh m m2 && rm m2/item_factors.npy
run tide verify m2
assert_exit 3
assert_stdout_has "m2/item_factors.npy: missing"
mv ds ds.orig && printf 'u,i,t\nx,y,1\n' > other.csv && "$TIDE_BIN/tide-ingest" other.csv --user-col u --item-col i --time-col t --out ds -q
run tide verify m
assert_exit 3
assert_stdout_has "made from dataset checksum"
rm -rf ds && mv ds.orig ds
# a split: a corrupt part is found inside it
fresh sp sp1 && flip sp1/test/times.npy 130
run tide verify sp1
assert_exit 3
assert_stdout_has "sp1/test/times.npy: CRC-32"
# vectors: a flipped byte, and a manifest whose shape disagrees
cp vec.npy v1.npy && cp vec.json v1.json && flip v1.npy 140
jq '.files = {"v1.npy": .files["vec.npy"]}' vec.json > v1.json
run tide verify v1.npy
assert_exit 3
assert_stdout_has "v1.npy: CRC-32"
jq '.rows = 5' v1.json > v2.json && cp vec.npy v2.npy && jq '.files = {"v2.npy": .files["vec.npy"]} | .rows = 5' vec.json > v2.json
run tide verify v2.json
assert_exit 3
assert_stdout_has "the manifest records [5, 3]"
# what is not a tide directory, and a hostile manifest, are problems too; a missing path is exit 1
mkdir plain
run tide verify plain
assert_exit 3
assert_stdout_has "plain/manifest.json: missing"
fresh m m3 && jq '.files = {"../ds/items.npy": {"bytes": 1, "crc32": "00000000"}}' m/manifest.json > m3/manifest.json
run tide verify m3
assert_exit 3
assert_stdout_has "leaves the directory"
run tide verify nope
assert_exit 1
run tide verify
assert_exit 2
