# `tide <cmd>` runs tide-<cmd> from the same directory; unknown commands are usage errors (2).
run tide --version
assert_exit 0
assert_stdout_has "tide 0."
assert_stdout_has "(git "
run tide datagen --help
assert_exit 0
assert_stdout_has "Usage: tide-datagen"
assert_stdout_has "Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data, 4 backend unavailable"
run tide no-such-command
assert_exit 2
assert_stderr_has "unknown command 'no-such-command'"
run tide
assert_exit 2
run tide datagen --version
assert_exit 0
assert_stdout_has "tide-datagen 0."
# --help lists exactly the tide-* programs beside it (none that is not built, none left out)
run tide --help
assert_exit 0
want=$(cd "$TIDE_BIN" && ls tide-* | sed 's/^tide-//' | sort | tr '\n' ' ')
got=$(sed -n '/^Commands:/,/^$/p' "$RUN_OUT" | sed -n 's/^  //p' | sort | tr '\n' ' ')
assert_eq "$got" "$want" "(tide --help commands vs programs in $TIDE_BIN)"
assert_stdout_has "  datagen"
# a copy of tide alone in a directory, with one fake program beside it, lists only that one
mkdir solo && cp "$TIDE_BIN/tide" solo/ && printf '#!/bin/sh\necho fake\n' > solo/tide-only && chmod +x solo/tide-only
touch solo/tide-notexec
set +e; solo/tide --help > solo.out; set -e
assert_eq "$(sed -n '/^Commands:/,/^$/p' solo.out | sed -n 's/^  //p' | tr '\n' ' ')" "only "
