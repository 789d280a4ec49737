#!/usr/bin/env bash
# bench-ingest.sh — tide-ingest vs pandas (read_csv + factorize + scipy CSR) on the same
# generated 10-million-row CSV and its gzip: wall seconds, MB/s, rows/s, peak RSS (GNU time),
# output size. REPEAT rounds (default 3), the four cases alternating inside each round; per case
# the best wall time (with its RSS, CPU time and the load average when it ran) and the median.
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

# One timed run: "name wall rss_mb cpu load1" appended to $W/runs.txt.
run_case() {
    local name=$1; shift
    rm -rf "$W/out-$name"
    local load; load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %M %U %S" -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
    read -r wall rss usr sys < "$W/time"
    echo "$name $wall $((rss / 1024)) $(awk "BEGIN{print $usr+$sys}") $load" | tee -a "$W/runs.txt" >&2
}

tide_args=(--user-col user_id --item-col item_id --time-col timestamp --event-col event --threads 2 -q)
: > "$W/runs.txt"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# The tools alternate inside each round, so a burst of load from elsewhere hits both alike.
for _ in $(seq "$REPEAT"); do
    run_case tide-csv "$BIN/tide-ingest" "$csv" "${tide_args[@]}" --out "$W/out-tide-csv"
    run_case pandas-csv "$PY" bench/ingest_pandas.py "$csv" "$W/out-pandas-csv"
    run_case tide-gz "$BIN/tide-ingest" "$csv.gz" "${tide_args[@]}" --out "$W/out-tide-gz"
    run_case pandas-gz "$PY" bench/ingest_pandas.py "$csv.gz" "$W/out-pandas-gz"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# Per case: the best wall time (with its RSS, CPU and the 1-minute load when it started) and the
# median wall time.
sort -k1,1 -k2,2n "$W/runs.txt" | awk '
  { n[$1]++; w[$1, n[$1]] = $2; if (n[$1] == 1) { best[$1] = $0 } }
  END { for (c in n) { m = n[c]; med = (m % 2) ? w[c, (m + 1) / 2] : (w[c, m / 2] + w[c, m / 2 + 1]) / 2
                       split(best[c], b, " "); print c, b[2], b[3], b[4], b[5], med } }' > "$W/results.txt"
out_mb=$(du -sm --apparent-size "$W/out-tide-csv" | cut -f1)
echo "rows=$rows csv_mb=$mb gz_mb=$mbgz tide_output_mb=$out_mb"
awk -v rows="$rows" -v mb="$mb" -v mbgz="$mbgz" -v out="$out_mb" '
  { wall[$1]=$2; rss[$1]=$3; cpu[$1]=$4; load[$1]=$5; med[$1]=$6 }
  END {
    printf "| case | best wall s | median wall s | CPU s (best run) | input MB/s | rows/s | peak RSS MB | RSS / tide output | load (1 min) |\n|---|---|---|---|---|---|---|---|---|\n"
    n=split("tide-csv pandas-csv tide-gz pandas-gz", order, " ")
    for (i=1;i<=n;i++) { c=order[i]; m=(c ~ /gz/) ? mbgz : mb
      printf "| %s | %.2f | %.2f | %.2f | %.0f | %.2fM | %d | %.2f | %s |\n", c, wall[c], med[c], cpu[c], m/wall[c], rows/wall[c]/1e6, rss[c], rss[c]/out, load[c] }
    printf "\nspeed-up, best wall: csv %.1fx, gz %.1fx; median wall: csv %.1fx, gz %.1fx; CPU: csv %.1fx, gz %.1fx\n", wall["pandas-csv"]/wall["tide-csv"], wall["pandas-gz"]/wall["tide-gz"], med["pandas-csv"]/med["tide-csv"], med["pandas-gz"]/med["tide-gz"], cpu["pandas-csv"]/cpu["tide-csv"], cpu["pandas-gz"]/cpu["tide-gz"]
  }' "$W/results.txt"
