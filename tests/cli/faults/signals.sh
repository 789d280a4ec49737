# SIGTERM, SIGINT and SIGHUP mid-run: the program removes its temporaries, says so on stderr, and
# dies of the signal (status 128+N); the previous output stays. timeout(1) — how cron jobs are
# cut short — is the SIGTERM case. SIGXFSZ is covered by io-faults.sh (ulimit -f).
source "$SRC/tests/cli/faults/common.bash"
fixture fx
sigs=0
gen=("$B/tide-datagen" --out out/gen --users 4000 --items 3000 --events 400000 --seed 9)
"${gen[@]}" -q || fail "first datagen"
before=$(md5sum out/gen/*)
# The interrupted runs are far larger, so no machine finishes them before the signal (the
# 400k-event run took under 0.3 s on a quiet machine, and the test then failed).
gen=("$B/tide-datagen" --out out/gen --users 40000 --items 3000 --events 40000000 --seed 9)
for sig in TERM INT HUP; do
    set +e
    timeout -s "$sig" 0.3 "${gen[@]}" >/dev/null 2>err
    rc=$?
    set -e
    sigs=$((sigs + 1))
    [ "$rc" -eq 124 ] || fail "SIG$sig: timeout reported $rc (the run ended before the signal?)"
    grep -q "terminated by SIG$sig; temporary outputs removed" err || { cat err; fail "SIG$sig: no message"; }
    assert_no_tmp out/gen
    [ "$(md5sum out/gen/*)" = "$before" ] || fail "SIG$sig: previous output changed"
done
# without timeout(1): the status says which signal ended it
"${gen[@]}" >/dev/null 2>err & pid=$!
sleep 0.3; kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
sigs=$((sigs + 1))
[ "$rc" -eq 143 ] || fail "SIGTERM: status $rc, expected 143"
assert_no_tmp out/gen
# a directory output (the model dir being built) is removed too
"$B/tide-train-mf" --data fx/split/train_valid --algo als --factors 16 --iterations 100000 --out out/als -q &
pid=$!
sleep 0.5; kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
sigs=$((sigs + 1))
[ "$rc" -eq 143 ] || fail "train-mf SIGTERM: status $rc"
assert_no_tmp out
echo "signals: $sigs delivered mid-run, all cleaned up"
