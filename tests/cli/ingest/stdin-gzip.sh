# Input from stdin ("-"), gzip detected from the content (also on stdin and without a .gz name),
# and several inputs in one run: the same data gives the same dataset checksum every way.
printf 'u,i,t,w\r\na,x,10,1\r\nb,y,20,2\r\na,y,30,0.5\r\n' > all.csv
printf 'u,i,t,w\na,x,10,1\nb,y,20,2\n' > part1.csv
printf '\xef\xbb\xbfu,i,t,w\na,y,30,0.5\n' > part2.csv
gzip -c all.csv > all.csv.gz
gzip -c all.csv > all.bin
args="--user-col u --item-col i --time-col t --weight-col w"
run tide-ingest all.csv $args --out plain
assert_exit 0
want=$(json_get plain/manifest.json .checksum)
assert_eq "$(json_get plain/manifest.json .counts.interactions)" 3
run_in all.csv tide-ingest - $args --format csv --out from-stdin
assert_exit 0
assert_eq "$(json_get from-stdin/manifest.json .checksum)" "$want"
assert_eq "$(json_get from-stdin/manifest.json '.sources[0].path')" "-"
assert_eq "$(json_get from-stdin/manifest.json '.sources[0].bytes')" "$(stat -c %s all.csv)"
run tide-ingest all.csv.gz $args --out gz
assert_exit 0
assert_eq "$(json_get gz/manifest.json .checksum)" "$want"
assert_eq "$(json_get gz/manifest.json '.sources[0].gzip')" true
# the recorded CRC-32 is the raw (compressed) file's
assert_eq "$(json_get gz/manifest.json '.sources[0].crc32')" "$(python3 -c 'import sys, zlib; print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read()))' all.csv.gz)"
run_in all.bin tide-ingest - $args --out gz-stdin
assert_exit 0
assert_eq "$(json_get gz-stdin/manifest.json .checksum)" "$want"
# one thread (no read-ahead) gives the same dataset
run tide-ingest all.csv.gz $args --threads 1 --out gz1
assert_exit 0
assert_eq "$(json_get gz1/manifest.json .checksum)" "$want"
run tide-ingest part1.csv part2.csv $args --out parts
assert_exit 0
assert_eq "$(json_get parts/manifest.json .checksum)" "$want"
assert_eq "$(json_get parts/manifest.json '.sources | length')" 2
assert_eq "$(json_get parts/manifest.json '.command[1]')" "part1.csv"
# A truncated gzip is bad input (exit 3), naming the file.
head -c 30 all.csv.gz > cut.gz
run tide-ingest cut.gz $args --out cut
assert_exit 3
assert_stderr_has "cut.gz: truncated gzip data"
assert_no_file cut
