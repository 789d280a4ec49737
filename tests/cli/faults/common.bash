# common.bash — sourced by the fault-tolerance cases (memory caps, OOM injection, kill loops,
# I/O faults): a tiny pipeline fixture from tide-datagen, and the command line of each program's
# main path on it, so every case exercises every program.
B="$TIDE_BIN"
# fixture DIR: synthetic logs -> dataset -> split -> ALS model -> recommendations
fixture() {
    local d="$1"
    mkdir -p "$d"
    "$B/tide-datagen" --out "$d/raw" --users 60 --items 40 --events 900 --seed 3 -q || fail "datagen"
    "$B/tide-ingest" "$d/raw/interactions.csv" --user-col user_id --item-col item_id --time-col timestamp \
        --event-col event --items "$d/raw/items.csv" --item-id-col item_id --item-text-cols title,category \
        --out "$d/ds" -q || fail "ingest"
    "$B/tide-split" --data "$d/ds" --out "$d/split" --method leave-last --test 1 --valid 1 -q || fail "split"
    "$B/tide-train-mf" --data "$d/split/train_valid" --algo als --factors 8 --iterations 3 --out "$d/als" -q || fail "train"
    "$B/tide-recommend" --data "$d/split/train_valid" --model "$d/als" --k 5 --out "$d/recs.tsv" -q || fail "recommend"
    printf 'red shoes\nblue hat\n\nwinter coat for the cold\n' > "$d/lines.txt"
}
# prog_cmd NAME FIX OUT: the argument list (one per line) of program NAME's main path, writing under OUT
prog_cmd() {
    local f="$2" o="$3"
    case "$1" in
    datagen) echo "tide-datagen --out $o/gen --users 30 --items 20 --events 300 --seed 5" ;;
    ingest) echo "tide-ingest $f/raw/interactions.csv --user-col user_id --item-col item_id --time-col timestamp --event-col event --items $f/raw/items.csv --item-id-col item_id --item-text-cols title,category --out $o/ds" ;;
    split) echo "tide-split --data $f/ds --out $o/split --method leave-last --test 1 --valid 1" ;;
    train-als) echo "tide-train-mf --data $f/split/train_valid --algo als --factors 8 --iterations 3 --out $o/als" ;;
    train-ease) echo "tide-train-mf --data $f/split/train_valid --algo ease --lambda 50 --out $o/ease" ;;
    train-knn) echo "tide-train-mf --data $f/split/train_valid --algo itemknn --out $o/knn" ;;
    recommend) echo "tide-recommend --data $f/split/train_valid --model $f/als --k 5 --out $o/recs.tsv" ;;
    eval) echo "tide-eval --truth $f/split/test --recs $f/recs.tsv --k 5 --bootstrap 50 --json $o/e.json --per-user $o/e.tsv --plot $o/e.svg" ;;
    embed-tfidf) echo "tide-embed --model tfidf --data $f/ds --dim 8 --out $o/tf.npy" ;;
    embed-bert) echo "tide-embed --model $SRC/tests/fixtures/lm/tiny-bert-cls --text $f/lines.txt --out $o/lm.npy" ;;
    esac
}
PROGRAMS="datagen ingest split train-als train-ease train-knn recommend eval embed-tfidf embed-bert"
# 1 when the programs are built with AddressSanitizer (it reserves terabytes of address space, so
# `ulimit -v` cannot apply to it).
# ldd's output taken whole: `ldd | grep -q` under pipefail fails when grep's early exit SIGPIPEs
# ldd, so an ASan build was sometimes taken for a plain one (and capped, which ASan cannot bear).
is_asan() { case "$(ldd "$B/tide-ingest" 2>/dev/null)" in *libasan*) return 0 ;; esac; return 1; }
# run_capped KIND MB SECONDS CMD...: run under `ulimit -v` (KIND v) or `ulimit -d` (KIND d) with a
# time limit; sets CAP_RC (124/137 = timed out)
run_capped() {
    local kind="$1" mb="$2" secs="$3"; shift 3
    set +e
    ( ulimit -"$kind" $((mb * 1024)); exec timeout -s KILL "$secs" "$@" ) >"$RUN_OUT" 2>"$RUN_ERR"
    CAP_RC=$?
    set -e
}
# check_capped NAME MB: exit 0, or exit 1 with a message about memory; never a timeout or signal
CAPS_TRIED=0
check_capped() {
    CAPS_TRIED=$((CAPS_TRIED + 1))
    case "$CAP_RC" in
    0) ;;
    1) grep -qiE "memory|allocat" "$RUN_ERR" || fail "$1 under $2 MB: exit 1 without a memory message" ;;
    124|137) fail "$1 under $2 MB: hung (killed after the time limit)" ;;
    *) fail "$1 under $2 MB: exit $CAP_RC (a signal or an unexpected status)" ;;
    esac
}
