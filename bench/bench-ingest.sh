#!/usr/bin/env bash
# bench-ingest.sh — tide-ingest vs pandas (read_csv + factorize + scipy CSR) on the same
# generated 10-million-row CSV and its gzip: wall seconds, MB/s, rows/s, peak RSS (GNU time),
# output size. Each case runs REPEAT times (default 3); the best wall time and its RSS are kept.
# Usage: bench/bench-ingest.sh [ROWS] (default 10000000). Needs scripts/install-deps.sh --bench.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-10000000}
REPEAT=${REPEAT:-3}
BIN=${TIDE_BIN:-build/release/bin}
PY=${PY:-build/venv/bin/python}
W=${BENCH_DIR:-build/bench-ingest}
mkdir -p "$W"
csv="$W/interactions.csv"
if [ ! -f "$csv" ] || [ "$(head -c 100 "$W/rows" 2>/dev/null)" != "$ROWS" ]; then
    echo "generating $ROWS rows..." >&2
    users=$((ROWS / 20)); items=$((ROWS / 100 > 1000 ? ROWS / 100 : 1000))
    "$BIN/tide-datagen" --out "$W" --users "$users" --items "$items" --events "$ROWS" --no-catalog --seed 1
    gzip -1 -c "$csv" > "$csv.gz"
    echo "$ROWS" > "$W/rows"
fi
rows=$(($(wc -l < "$csv") - 1))
mb=$(du -m --apparent-size "$csv" | cut -f1)
mbgz=$(du -m --apparent-size "$csv.gz" | cut -f1)

measure() { # name cmd... → prints "name wall rss_mb cpu" (the run with the best wall time)
    local name=$1 best=999999 bestrss=0 bestcpu=0; shift
    for _ in $(seq "$REPEAT"); do
        rm -rf "$W/out-$name"
        /usr/bin/time -f "%e %M %U %S" -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
        read -r wall rss usr sys < "$W/time"
        if awk "BEGIN{exit !($wall < $best)}"; then best=$wall; bestrss=$rss; bestcpu=$(awk "BEGIN{print $usr+$sys}"); fi
    done
    echo "$name $best $((bestrss / 1024)) $bestcpu"
}

tide_args=(--user-col user_id --item-col item_id --time-col timestamp --event-col event --threads 2 -q)
{
measure tide-csv "$BIN/tide-ingest" "$csv" "${tide_args[@]}" --out "$W/out-tide-csv"
measure tide-gz "$BIN/tide-ingest" "$csv.gz" "${tide_args[@]}" --out "$W/out-tide-gz"
measure pandas-csv "$PY" bench/ingest_pandas.py "$csv" "$W/out-pandas-csv"
measure pandas-gz "$PY" bench/ingest_pandas.py "$csv.gz" "$W/out-pandas-gz"
} | tee "$W/results.txt"
out_mb=$(du -sm --apparent-size "$W/out-tide-csv" | cut -f1)
echo "rows=$rows csv_mb=$mb gz_mb=$mbgz tide_output_mb=$out_mb"
awk -v rows="$rows" -v mb="$mb" -v mbgz="$mbgz" -v out="$out_mb" '
  { wall[$1]=$2; rss[$1]=$3; cpu[$1]=$4 }
  END {
    printf "| case | wall s | CPU s | input MB/s | rows/s | peak RSS MB | RSS / tide output |\n|---|---|---|---|---|---|---|\n"
    n=split("tide-csv pandas-csv tide-gz pandas-gz", order, " ")
    for (i=1;i<=n;i++) { c=order[i]; m=(c ~ /gz/) ? mbgz : mb
      printf "| %s | %.2f | %.2f | %.0f | %.2fM | %d | %.2f |\n", c, wall[c], cpu[c], m/wall[c], rows/wall[c]/1e6, rss[c], rss[c]/out }
    printf "\nspeed-up (wall) csv: %.1fx, gz: %.1fx; (CPU) csv: %.1fx, gz: %.1fx\n", wall["pandas-csv"]/wall["tide-csv"], wall["pandas-gz"]/wall["tide-gz"], cpu["pandas-csv"]/cpu["tide-csv"], cpu["pandas-gz"]/cpu["tide-gz"]
  }' "$W/results.txt"
