# A bad row fails the run with exit 3 and "file:line: reason"; --max-errors N skips up to N bad
# rows with a warning each; one more fails. Nothing is written by a failed run.
printf 'user,item,ts\na,x,1\nb,y,yesterday\n\nc,"multi\nline",2\nd,z\ne,w,3\n' > log.csv
run tide-ingest log.csv --user-col user --item-col item --time-col ts --out ds
assert_exit 3
assert_stderr_has "tide-ingest: error: log.csv:3: bad time 'yesterday'"
assert_no_file ds
run tide-ingest log.csv --user-col user --item-col item --time-col ts --max-errors 2 --out ds
assert_exit 3
assert_stderr_has "log.csv:3: bad time 'yesterday'"
assert_stderr_has "log.csv:5: item id holds a tab or line break (row skipped)"
assert_stderr_has "error: log.csv:7: 2 fields, the header has 3 (bad row 3, more than --max-errors 2)"
assert_no_file ds
assert_no_tmp .
run tide-ingest log.csv --user-col user --item-col item --time-col ts --max-errors 3 --out ds
assert_exit 0
assert_stderr_has "warning: log.csv:7: 2 fields, the header has 3 (row skipped)"
assert_eq "$(json_get ds/manifest.json .rows_skipped)" 3
assert_eq "$(json_get ds/manifest.json .rows_read)" 5
assert_eq "$(json_get ds/manifest.json .counts.interactions)" 2
assert_eq "$(cat ds/users.txt | tr '\n' ' ')" "a e "
# A header without the column: exit 3, naming what there is.
run tide-ingest log.csv --user-col userId --item-col item --time-col ts --out ds2
assert_exit 3
assert_stderr_has "log.csv:1: no column 'userId' (--user-col) in the header; the columns are: user, item, ts"
# Invalid UTF-8 and an over-long field are bad rows too.
printf 'u,i,t\na,\xff\xfe,1\nb,%s,2\nc,ok,3\n' "$(head -c 300 /dev/zero | tr '\0' x)" > enc.csv
run tide-ingest enc.csv --user-col u --item-col i --time-col t --max-field-bytes 100 --max-errors 5 --out ds3
assert_exit 0
assert_stderr_has "enc.csv:2: invalid UTF-8 in field 2"
assert_stderr_has "enc.csv:3: field 2 is 300 bytes long, over the limit of 100"
assert_eq "$(json_get ds3/manifest.json .counts.users)" 1
# An input that does not exist is a runtime error (exit 1).
run tide-ingest nope.csv --user-col u --item-col i --time-col t --out ds4
assert_exit 1
assert_stderr_has "nope.csv: cannot open"
