# Kill loop: each program is started KILLS times on the fixture and killed with SIGKILL after a
# random (seeded) delay within its normal run time. After every kill its outputs must be all old
# or all new — told apart by inode, since every commit renames a new file or directory in — and a
# group commit cut between its renames must have left its journal (the next run finishes it).
# After the loop one complete run must succeed and leave no temporaries or journals behind.
source "$SRC/tests/cli/faults/common.bash"
fixture fx
KILLS=${TIDE_KILLS:-20}
RANDOM=1515
total=0
outputs() { # outputs PROG: the output paths under out/
    case "$1" in
    datagen) echo out/gen/interactions.csv out/gen/items.csv out/gen/text_events.csv ;;
    ingest) echo out/ds ;;
    split) echo out/split ;;
    train-als) echo out/als ;;
    recommend) echo out/recs.tsv ;;
    eval) echo out/e.json out/e.tsv out/e.svg ;;
    embed-tfidf) echo out/tf.npy ;;
    esac
}
inodes() { local p; for p in $(outputs "$1"); do stat -c %i "$p" 2>/dev/null || echo none; done; }
for p in datagen ingest split train-als recommend eval embed-tfidf; do
    rm -rf out && mkdir out
    set -- $(prog_cmd "$p" fx out | sed "s|^tide-|$B/tide-|")
    t0=$(date +%s%N)
    "$@" -q >/dev/null || fail "$p: first run failed"
    ms=$(( ($(date +%s%N) - t0) / 1000000 + 5 ))
    old=$(inodes "$p")
    new_seen=0 litter=0 cut=0
    for ((i = 0; i < KILLS; i++)); do
        "$@" -q >/dev/null 2>&1 &
        pid=$!
        sleep "$(printf '0.%03d' $(( RANDOM % ms > 999 ? 999 : RANDOM % ms )))"
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        total=$((total + 1))
        now=$(inodes "$p")
        if [ "$now" != "$old" ]; then
            # every output must be new: none may keep its old inode (a journal allows a cut commit)
            n_old=0
            paste <(echo "$old" | tr ' ' '\n') <(echo "$now" | tr ' ' '\n') | while read -r a b; do [ "$a" != "$b" ] || exit 1; done || n_old=1
            new_seen=$((new_seen + 1))
            if [ $n_old = 1 ]; then
                ls -a out out/gen 2>/dev/null | grep -q '\.commit\.' || fail "$p: kill $i left old and new outputs mixed, and no journal"
                # the next run must finish the cut commit and leave a consistent set
                cut=$((cut + 1))
                "$@" -q >/dev/null || fail "$p: the run after a cut commit failed"
                ! ls -a out out/gen 2>/dev/null | grep -q '\.commit\.' || fail "$p: the journal of a cut commit was not finished"
                now=$(inodes "$p")
            fi
            old="$now"
        fi
        litter=$((litter + $(ls -a out out/gen 2>/dev/null | grep -c '\.tmp\.\|\.commit\.' || true)))
    done
    "$@" -q >/dev/null || fail "$p: the run after the kills failed"
    for d in out out/gen; do [ -d "$d" ] && assert_no_tmp "$d"; done
    ! ls -a out out/gen 2>/dev/null | grep -q '\.commit\.' || fail "$p: a commit journal was left"
    echo "$p: $KILLS kills within ${ms} ms, outputs replaced by $new_seen of them ($cut cut mid-commit, journal finished by the next run), temporaries seen after kills: $litter, none after the next run"
done
echo "kill loop: $total kills"
