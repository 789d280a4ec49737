# The id-list files and --shard go through the library's one reader (tide/idlist.h,
# tide/shard.h): an id with a NUL byte is bad data (never cut short and merged with another id),
# a malformed --shard is a usage error, and every list error names file:line.
source "$(dirname "${BASH_SOURCE[0]}")/fixture.bash"
fixture fx
printf 'u2\nu1\0x\n' > nul.txt
run tide-recommend --data fx/data --model fx/als --k 3 --users nul.txt
assert_exit 3
assert_stderr_has "nul.txt:2: NUL byte in the line"
printf 'i1\0\n' > cand.txt
run tide-recommend --data fx/data --model fx/als --k 3 --candidates cand.txt
assert_exit 3
assert_stderr_has "cand.txt:1: NUL byte"
printf 'u1\ti2\textra\n' > ex.txt
run tide-recommend --data fx/data --model fx/als --k 3 --exclude ex.txt
assert_exit 3
assert_stderr_has "ex.txt:1: expected \`user<TAB>item\`"
for bad in 3/3 1/0 " 1/2" 1/2x -1/2 x; do
    run tide-recommend --data fx/data --model fx/als --k 3 --shard "$bad"
    assert_exit 2
    assert_stderr_has "--shard expects I/N with 0 <= I < N, got '$bad'"
done
# CRLF list lines and blank lines: the ids as written
printf 'u3\r\n\r\n\nu0\r\n' > crlf.txt
run tide-recommend --data fx/data --model fx/als --k 2 --users crlf.txt
assert_exit 0
assert_eq "$(cut -f1 "$RUN_OUT" | uniq | tr '\n' ' ')" "u3 u0 "
