# The dataset does not depend on --threads (ids interned on a second thread, sorts on chunks):
# ml-latest-small from a file, from gzip on stdin, with 1, 2 and 3 threads, gives byte-identical
# arrays and id lists (only the manifest's command line differs).
[ -f "$DATA/ml-latest-small/ratings.csv" ] || { echo "skip: no $DATA/ml-latest-small"; exit 77; }
M="$DATA/ml-latest-small"
gzip -1 -c "$M/ratings.csv" > ratings.bin
args="--user-col userId --item-col movieId --time-col timestamp --weight-col rating --items $M/movies.csv --item-id-col movieId --text-events $M/tags.csv --text-col tag"
run tide-ingest "$M/ratings.csv" $args --threads 1 --out t1
assert_exit 0
for n in 2 3; do
    run tide-ingest "$M/ratings.csv" $args --threads $n --out t$n
    assert_exit 0
    diff -r -x manifest.json t1 t$n >&2 || fail "--threads $n differs from --threads 1"
    assert_eq "$(json_get t$n/manifest.json .checksum)" "$(json_get t1/manifest.json .checksum)"
done
run_in ratings.bin tide-ingest - $args --format csv --threads 2 --out gz2
assert_exit 0
diff -r -x manifest.json t1 gz2 >&2 || fail "gzip on stdin with 2 threads differs"
