# Kill loop: each program is started KILLS times on the fixture and killed with SIGKILL after a
# random (seeded) delay within its normal run time. Programs with several output files (tide-eval
# --json/--per-user/--plot, tide-datagen's three CSVs) start every try from the previous outputs
# of a different run (--k 3, --seed 6) and after the kill each file must equal either the old or
# the new run's — all old or all new; a commit cut between its renames must have left its journal,
# which the next run finishes. Single outputs (a file, or a directory swapped in at once) must be
# the old or a complete new one. After the loop one complete run must succeed and leave no
# temporaries or journals behind.
source "$SRC/tests/cli/faults/common.bash"
fixture fx
KILLS=${TIDE_KILLS:-20}
RANDOM=1515
total=0
journals() { local d; for d in out out/gen; do [ -d "$d" ] && ls -a "$d"; done; true; }
multi_files() {
    case "$1" in
    datagen) echo gen/interactions.csv gen/items.csv gen/text_events.csv ;;
    eval) echo e.json e.tsv e.svg ;;
    esac
}
single_valid() { # the single output exists and is complete (or absent: never written)
    case "$1" in
    ingest) [ -f out/ds/manifest.json ] ;;
    split) [ -f out/split/test/manifest.json ] ;;
    train-als) [ -f out/als/manifest.json ] ;;
    recommend) [ "$(wc -l < out/recs.tsv)" -eq 300 ] ;;
    embed-tfidf) python3 -c "import sys; d=open('out/tf.npy','rb').read(); sys.exit(d[:6]!=b'\x93NUMPY')" ;;
    esac
}
no_litter() { for d in out out/gen; do [ -d "$d" ] && assert_no_tmp "$d"; done
    ! journals | grep -q '\.commit\.' || fail "$p: a commit journal was left"; }
for p in datagen eval ingest split train-als recommend embed-tfidf; do
    rm -rf out ref_old ref_new && mkdir out
    set -- $(prog_cmd "$p" fx out | sed "s|^tide-|$B/tide-|")
    multi=$(multi_files "$p")
    if [ -n "$multi" ]; then
        case $p in datagen) old=(--seed 6) ;; eval) old=(--k 3) ;; esac
        "$@" -q "${old[@]}" >/dev/null || fail "$p: old run failed"
        cp -a out ref_old
    fi
    t0=$(date +%s%N)
    "$@" -q >/dev/null || fail "$p: first run failed"
    ms=$(( ($(date +%s%N) - t0) / 1000000 + 5 ))
    [ -n "$multi" ] && cp -a out ref_new
    n_old=0 n_new=0 cut=0 litter=0
    for ((i = 0; i < KILLS; i++)); do
        if [ -n "$multi" ]; then rm -rf out && cp -a ref_old out; fi
        "$@" -q >/dev/null 2>&1 &
        pid=$!
        d=$(( RANDOM % ms )); [ $d -gt 999 ] && d=999
        sleep "$(printf '0.%03d' $d)"
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        total=$((total + 1))
        litter=$((litter + $(ls -a out out/gen 2>/dev/null | grep -c '\.tmp\.\|\.commit\.' || true)))
        if [ -n "$multi" ]; then
            state=""
            for f in $multi; do
                if cmp -s "out/$f" "ref_new/$f"; then state="$state new"
                elif cmp -s "out/$f" "ref_old/$f"; then state="$state old"
                else fail "$p: kill $i: out/$f is neither the old nor the new output"; fi
            done
            case "$state" in
            *new*old*|*old*new*)
                # only directories that exist: under pipefail, ls's status for a missing out/gen
                # (tide-eval has none) failed this check whenever a commit was cut
                journals | grep -q '\.commit\.' || fail "$p: kill $i left old and new files mixed ($state), and no journal"
                cut=$((cut + 1))
                "$@" -q >/dev/null || fail "$p: the run after a cut commit failed"
                for f in $multi; do cmp -s "out/$f" "ref_new/$f" || fail "$p: $f not new after the cut commit's next run"; done ;;
            *new*) n_new=$((n_new + 1)) ;;
            *) n_old=$((n_old + 1)) ;;
            esac
        else
            single_valid "$p" || fail "$p: kill $i left an incomplete output"
        fi
    done
    "$@" -q >/dev/null || fail "$p: the run after the kills failed"
    no_litter
    if [ -n "$multi" ]; then
        echo "$p: $KILLS kills within ${ms} ms: $n_old all old, $n_new all new, $cut cut mid-commit (mixed until the next run finished the journal, as designed), no other mix; temporaries after kills: $litter, none after the next run"
    else
        echo "$p: $KILLS kills within ${ms} ms, output always complete; temporaries after kills: $litter, none after the next run"
    fi
done
echo "kill loop: $total kills"
