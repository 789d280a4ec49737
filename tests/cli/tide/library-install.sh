# docs/library.md as a new user follows it: install to a prefix of one's own, compile the page's
# example with the documented `cc app.c $(pkg-config --cflags --libs tide)` and run it on a
# dataset. tide.pc must find the prefix from its own place (relocatable) and list the static
# library's dependencies in Libs/Requires (not only in the .private fields).
command -v pkg-config >/dev/null || fail "pkg-config missing (scripts/install-deps.sh installs it)"
BUILD="$TIDE_BIN/.."
cmake --install "$BUILD" --prefix "$T/prefix" >/dev/null || fail "cmake --install failed"
pc=$(find "$T/prefix" -name tide.pc)
[ -n "$pc" ] || fail "tide.pc not installed"
grep -q '^prefix=${pcfiledir}' "$pc" || fail "tide.pc hard-codes its prefix: $(grep ^prefix= "$pc")"
# the installed dispatcher lists the installed programs
assert_eq "$("$T/prefix/bin/tide" --help | sed -n 's/^  //p' | grep -v "^'" | sort | tr '\n' ' ')" \
    "$(cd "$T/prefix/bin" && ls tide-* | sed 's/^tide-//' | sort | tr '\n' ' ')"
# move the install tree: a relocatable tide.pc still points into it
mv "$T/prefix" "$T/moved"
export PKG_CONFIG_PATH="$(dirname "${pc/$T\/prefix/$T/moved}")"
assert_eq "$(pkg-config --variable=includedir tide | xargs realpath)" "$(realpath "$T/moved/include")"
# the example program, exactly as the page shows it
awk '/^```c$/ {on=1; next} /^```$/ {on=0} on' "$SRC/docs/library.md" > app.c
[ -s app.c ] || fail "no C example in docs/library.md"
# sanitizer builds instrument libtide: the example must link their runtimes too
extra=()
lib=$(find "$T/moved" -name libtide.a)
nm "$lib" > syms.txt 2>/dev/null || true   # (a file, not a pipe: grep -q would SIGPIPE nm under pipefail)
if grep -q ' U __asan_' syms.txt; then extra+=(-fsanitize=address); fi
if grep -q ' U __ubsan_' syms.txt; then extra+=(-fsanitize=undefined); fi
cc app.c $(pkg-config --cflags --libs tide) "${extra[@]}" -o app 2> cc.err || { cat cc.err >&2; fail "the documented compile line fails"; }
run tide-datagen --out logs --users 5 --items 24 --events 40 --seed 1
assert_exit 0
run tide-ingest logs/interactions.csv --user-col user_id --item-col item_id --time-col timestamp --out ds
assert_exit 0
ASAN_OPTIONS=detect_leaks=0 ./app > app.out || fail "the example exits $?"
first_user=$(head -1 ds/users.txt)
grep -q "^$first_user " app.out || fail "the example did not print user $first_user's events: $(head -3 app.out)"
grep -q " weights$" app.out || fail "the example did not print the weight count"
