#!/usr/bin/env bash
# bench-eval.sh — tide-eval vs ranx (its numba-compiled evaluate) on the same generated data:
# N users × 100 recommendations (TSV) against N truth events, N = 250k, 500k, 1M by default.
# Both single-threaded, metrics precision recall f1 ndcg map mrr hit at K = 1,5,10,20.
#  - tide-eval: end to end (read and validate the TSVs, score, write JSON), --bootstrap 0.
#  - ranx: eval_ranx.py reads the same files into arrays with numpy (fixed-width fast path, a
#    best case for Python), then ranx.evaluate(threads=1); both phases timed inside.
# Wall time and peak RSS by GNU time; each case REPEAT times (default 3), best and median kept.
# The metric values of both are compared (max abs difference). Also one tide-eval run with the
# default 1000 bootstrap replicates, for information.
# Usage: bench/bench-eval.sh [N...]. Needs scripts/install-deps.sh --bench (ranx in build/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(250000 500000 1000000)
REPEAT=${REPEAT:-3}
BIN=${TIDE_BIN:-build/bin}
PY=${PY:-build/venv/bin/python}
W=${BENCH_DIR:-build/bench-eval}
mkdir -p "$W"
K=1,5,10,20

stats() { # values... -> "best median"
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%s %s", v[1], m}'
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| users | lines | tide-eval wall s (best / median) | tide-eval RSS MB | ranx evaluate s (best / median) | ranx read s | ranx process wall s | ranx RSS MB | speed-up vs evaluate | speed-up vs read+evaluate | max abs diff |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
    d="$W/u$n"
    if [ ! -f "$d/recs.tsv" ]; then "$PY" bench/eval_gen.py "$d" "$n" >&2; fi
    lines=$(( $(stat -c %s "$d/recs.tsv") / 30 ))
    tw=(); tr=0
    for _ in $(seq "$REPEAT"); do
        /usr/bin/time -f "%e %M" -o "$W/time" "$BIN/tide-eval" --truth "$d/truth.tsv" --recs "$d/recs.tsv" \
            --k $K --bootstrap 0 --permutations 0 --threads 1 -q --json "$W/tide-$n.json" >/dev/null
        read -r wall rss < "$W/time"; tw+=("$wall"); tr=$rss
    done
    rw=(); rl=(); rp=(); rr=0
    for _ in $(seq "$REPEAT"); do
        /usr/bin/time -f "%e %M" -o "$W/time" "$PY" bench/eval_ranx.py "$d/recs.tsv" "$d/truth.tsv" $K > "$W/ranx-$n.json" 2>"$W/ranx.err"
        read -r wall rss < "$W/time"; rp+=("$wall"); rr=$rss
        rw+=("$(jq .eval_s "$W/ranx-$n.json")"); rl+=("$(jq .load_s "$W/ranx-$n.json")")
    done
    read -r tb tm <<< "$(stats "${tw[@]}")"
    read -r eb em <<< "$(stats "${rw[@]}")"
    read -r lb _ <<< "$(stats "${rl[@]}")"
    read -r pb _ <<< "$(stats "${rp[@]}")"
    diff=$(jq -n --slurpfile a "$W/tide-$n.json" --slurpfile b "$W/ranx-$n.json" \
        '[$b[0].metrics | to_entries[] | ($a[0].runs[0].metrics[.key] - .value) | fabs] | max')
    awk -v n="$n" -v l="$lines" -v tb="$tb" -v tm="$tm" -v tr="$tr" -v eb="$eb" -v em="$em" -v lb="$lb" -v pb="$pb" -v rr="$rr" -v d="$diff" \
        'BEGIN { printf "| %d | %d | %.2f / %.2f | %d | %.2f / %.2f | %.2f | %.2f | %d | %.1fx | %.1fx | %.1e |\n", n, l, tb, tm, tr / 1024, eb, em, lb, pb, rr / 1024, eb / tb, (eb + lb) / tb, d }'
done
n=${SIZES[-1]}; d="$W/u$n"
for th in 1 "$(nproc)"; do
    /usr/bin/time -f "%e %M" -o "$W/time" "$BIN/tide-eval" --truth "$d/truth.tsv" --recs "$d/recs.tsv" --k $K --threads "$th" -q --json "$W/tide-boot.json" >/dev/null
    read -r wall rss < "$W/time"
    echo "tide-eval $n users with --bootstrap 1000 --permutations 1000, --threads $th: ${wall} s, $((rss / 1024)) MB"
done
