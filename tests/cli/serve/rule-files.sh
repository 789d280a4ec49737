# tide-serve reads --candidates and --exclude with the library's id-list reader, as tide-recommend
# does: errors name file:line, a NUL byte in a line is bad data (exit 3, before listening), and a
# malformed --shard is a usage error with the one grammar (tide/shard.h).
"$TIDE_BIN/../tests/test-synth" --models fx --int --users 30 --items 20 --dim 4 --seen 3 --seed 1 --algos als || fail gen
printf 'i1\nnope\n' > cand.txt
run tide-serve --data fx/data --model fx/als --candidates cand.txt --listen 127.0.0.1:0
assert_exit 3
assert_stderr_has "cand.txt:2: unknown item id 'nope' (not in --data)"
printf 'u1\ti2\nu1\0x\ti3\n' > ex.txt
run tide-serve --data fx/data --model fx/als --exclude ex.txt --listen 127.0.0.1:0
assert_exit 3
assert_stderr_has "ex.txt:2: NUL byte in the line"
printf 'u1\ti2\tx\n' > ex2.txt
run tide-serve --data fx/data --model fx/als --exclude ex2.txt --listen 127.0.0.1:0
assert_exit 3
assert_stderr_has "ex2.txt:1: expected \`user<TAB>item\`"
run tide-serve --data fx/data --model fx/als --shard 2/2 --listen 127.0.0.1:0
assert_exit 2
assert_stderr_has "--shard expects I/N with 0 <= I < N, got '2/2'"
