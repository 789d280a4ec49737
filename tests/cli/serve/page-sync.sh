# page.c is generated from page.html: the committed copy must match the generator's output.
python3 "$SRC/tools/serve/gen-page.py" "$T/page.c" || fail "gen-page.py failed"
diff -q "$T/page.c" "$SRC/tools/serve/page.c" >/dev/null || fail "tools/serve/page.c is stale: run python3 tools/serve/gen-page.py"
