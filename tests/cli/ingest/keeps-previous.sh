# A failed run leaves an existing output directory exactly as it was, with no temporary
# leftovers; a successful run replaces it.
printf 'u,i,t\na,x,1\nb,y,2\n' > good.csv
printf 'u,i,t\na,x,1\nb,y,never\n' > bad.csv
printf 'u,i,t\nc,z,5\n' > other.csv
run tide-ingest good.csv --user-col u --item-col i --time-col t --out ds
assert_exit 0
before=$(cd ds && cat * | md5sum)
run tide-ingest bad.csv --user-col u --item-col i --time-col t --out ds
assert_exit 3
assert_stderr_has "bad.csv:3: bad time 'never'"
assert_eq "$(cd ds && cat * | md5sum)" "$before"
assert_no_tmp .
assert_no_tmp ds
run tide-ingest other.csv --user-col u --item-col i --time-col t --out ds
assert_exit 0
assert_eq "$(cat ds/users.txt)" "c"
assert_no_tmp .
