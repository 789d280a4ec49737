#!/usr/bin/env bash
# speed.sh — tide-capture-interest's speed benchmark (issue 13, "Speed"): a full capture of every
# user's state and an incremental --update after 5% of users got new events, beside
# tide-recommend's top-k over the same users and items (an ALS model of the same rank), all at
# the same thread count. Wall time, user+sys CPU time and peak RSS come from /usr/bin/time -v.
#
#   bench/interest/speed.sh [OUT_DIR]
#   env: USERS (1000000) EVENTS (50) ITEMS (100000) DIM (384) THREADS (2) TOUCH (0.05)
#        NEW (5 new events per touched user) K (10) BIN (build/release/bin) PYTHON
#        FIT_TOO (0; 1 = also time a full run that fits its own ALS instead of --model als)
#
# The full run is given the same trained ALS model tide-recommend scores with (--model als): the
# issue's input, and the like-for-like comparison (tide-recommend does not train either). The
# update advances that dir; by default it writes PREV's base linked plus a delta (update.c).
#
# Components: als, lm, cluster, trans, pop. EASE/ease-long are off (an N x N matrix is 40 GB at
# 100k items), TF-IDF and the user's words need item/user text the synthetic log does not have.
# --as-of user: each user's own last event is the reference, so users without new events are
# untouched (with `latest` the reference time moves and every user is recomputed — see
# docs/tide-capture-interest.md). Prints one TSV table; the figures go to bench/RESULTS.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
OUT=${1:-$root/build/bench-interest-speed}
USERS=${USERS:-1000000} EVENTS=${EVENTS:-50} ITEMS=${ITEMS:-100000} DIM=${DIM:-384}
THREADS=${THREADS:-2} TOUCH=${TOUCH:-0.05} NEW=${NEW:-5} K=${K:-10} FIT_TOO=${FIT_TOO:-0}
BIN=${BIN:-$root/build/release/bin}
PYTHON=${PYTHON:-python3}
COMP=${COMPONENTS:-als,lm,cluster,trans,pop}
mkdir -p "$OUT"
cd "$OUT"
export OPENBLAS_NUM_THREADS=1 TIDE_THREADS=$THREADS

if [ ! -f raw/touched.txt ]; then
    "$PYTHON" "$here/speed_data.py" raw "$USERS" "$EVENTS" "$ITEMS" "$DIM" "$TOUCH" "$NEW" 1
fi
ingest() {   # ingest OUT CSV...
    local out=$1; shift
    [ -f "$out/manifest.json" ] || "$BIN/tide-ingest" "$@" --user-col user_id --item-col item_id --time-col timestamp \
        --items raw/items.csv --item-id-col item_id --item-text-cols title --out "$out" -q
}
ingest base raw/base.csv
ingest grown raw/base.csv raw/new.csv
cmp base/items.txt grown/items.txt >/dev/null || { echo "speed.sh: item indices differ between base and grown" >&2; exit 1; }

# timed RUN LABEL CMD...: /usr/bin/time -v into LABEL.time, stderr of the command into LABEL.log
timed() {
    local label=$1; shift
    /usr/bin/time -v -o "$label.time" "$@" 2>"$label.log" || { cat "$label.log" >&2; exit 1; }
    awk -v l="$label" -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, a, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + a[i] }
        /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
        END { printf "%s\t%.1f\t%.1f\t%.2f\n", l, w, u + s, r / 1048576 }' "$label.time"
}
COMMON=(--item-vectors raw/item_vectors.npy --components "$COMP" --fixed-weights --as-of user --threads "$THREADS" -q)
printf 'run\twall_s\tcpu_s\tpeak_rss_gib\n'
# the model is an input of both runs compared, not part of either: trained once (rerun: kept)
[ -f als/manifest.json ] || timed train-als "$BIN/tide-train-mf" --algo als --data base --out als --factors 64 --iterations 15 --threads "$THREADS" -q
timed recommend "$BIN/tide-recommend" --data base --model als --k "$K" --out recs.tsv --threads "$THREADS" -q
rm -rf full full-fit upd
timed capture-full "$BIN/tide-capture-interest" --data base --model als "${COMMON[@]}" --out full
[ "$FIT_TOO" = 1 ] && timed capture-full-fit "$BIN/tide-capture-interest" --data base "${COMMON[@]}" --out full-fit
timed capture-update "$BIN/tide-capture-interest" --data grown --update full --item-vectors raw/item_vectors.npy \
    --as-of user --threads "$THREADS" --out upd -v
grep -o 'update: [0-9]* of [0-9]* users recomputed.*' capture-update.log
du -sh full upd | sed 's/^/# disk: /'   # upd's base is full's files, hard-linked
