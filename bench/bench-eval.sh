#!/usr/bin/env bash
# bench-eval.sh — tide-eval vs ranx (its numba-compiled evaluate) on the same generated data:
# N users × 100 recommendations (TSV) against N truth events, N = 250k, 500k, 1M by default.
# Both single-threaded, metrics precision recall f1 ndcg map mrr hit at K = 1,5,10,20.
#  - tide-eval: end to end (read and validate the TSVs, score, write JSON), --bootstrap 0.
#  - ranx: eval_ranx.py reads the same files into arrays with numpy (fixed-width fast path, a
#    best case for Python), then ranx.evaluate(threads=1); both phases timed inside.
# Wall time, CPU time (user + sys) and peak RSS by GNU time; ranx's evaluate wall and CPU time
# are taken inside the process. Each case runs REPEAT times (default 3), tide-eval and ranx
# alternating, so both see the same machine; best and median kept. The machine may be shared:
# CPU time is the steadier comparison when the load average (printed per row) is above 1.
# The metric values of both are compared (max abs difference). Also one tide-eval run with the
# default 1000 bootstrap replicates, for information (BOOT=0 skips it).
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
echo "| users | lines | tide-eval wall s (best / median) | tide-eval CPU s (best / median) | tide-eval RSS MB | ranx evaluate wall s (best / median) | ranx evaluate CPU s (best / median) | ranx read s | ranx RSS MB | speed-up wall | speed-up CPU (best) | speed-up CPU vs read+evaluate | max abs diff | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${SIZES[@]}"; do
    d="$W/u$n"
    if [ ! -f "$d/recs.tsv" ]; then "$PY" bench/eval_gen.py "$d" "$n" >&2; fi
    lines=$(( $(stat -c %s "$d/recs.tsv") / 30 ))
    tw=(); tc=(); tr=0; rw=(); rc=(); rl=(); rr=0; load0=$(cut -d' ' -f1 /proc/loadavg)
    for _ in $(seq "$REPEAT"); do
        /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$BIN/tide-eval" --truth "$d/truth.tsv" --recs "$d/recs.tsv" \
            --k $K --bootstrap 0 --permutations 0 --threads 1 -q --json "$W/tide-$n.json" >/dev/null
        read -r wall usr sys rss < "$W/time"; tw+=("$wall"); tc+=("$(awk "BEGIN{print $usr + $sys}")"); tr=$rss
        /usr/bin/time -f "%e %M" -o "$W/time" "$PY" bench/eval_ranx.py "$d/recs.tsv" "$d/truth.tsv" $K > "$W/ranx-$n.json" 2>"$W/ranx.err"
        read -r wall rss < "$W/time"; rr=$rss
        rw+=("$(jq .eval_s "$W/ranx-$n.json")"); rc+=("$(jq .eval_cpu_s "$W/ranx-$n.json")"); rl+=("$(jq .load_s "$W/ranx-$n.json")")
    done
    read -r tb tm <<< "$(stats "${tw[@]}")"
    read -r tcb tcm <<< "$(stats "${tc[@]}")"
    read -r eb em <<< "$(stats "${rw[@]}")"
    read -r ecb ecm <<< "$(stats "${rc[@]}")"
    read -r lb _ <<< "$(stats "${rl[@]}")"
    diff=$(jq -n --slurpfile a "$W/tide-$n.json" --slurpfile b "$W/ranx-$n.json" \
        '[$b[0].metrics | to_entries[] | ($a[0].runs[0].metrics[.key] - .value) | fabs] | max')
    load="$load0 → $(cut -d' ' -f1 /proc/loadavg)"
    awk -v n="$n" -v l="$lines" -v tb="$tb" -v tm="$tm" -v tcb="$tcb" -v tcm="$tcm" -v tr="$tr" -v eb="$eb" -v em="$em" -v ecb="$ecb" -v ecm="$ecm" -v lb="$lb" -v rr="$rr" -v d="$diff" -v ld="$load" \
        'BEGIN { printf "| %d | %d | %.2f / %.2f | %.2f / %.2f | %d | %.2f / %.2f | %.2f / %.2f | %.2f | %d | %.1fx | %.1fx | %.1fx | %.1e | %s |\n", n, l, tb, tm, tcb, tcm, tr / 1024, eb, em, ecb, ecm, lb, rr / 1024, eb / tb, ecb / tcb, (ecb + lb) / tcb, d, ld }'
done
[ "${BOOT:-1}" = 0 ] && exit 0
n=${SIZES[-1]}; d="$W/u$n"
for th in 1 "$(nproc)"; do
    /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$BIN/tide-eval" --truth "$d/truth.tsv" --recs "$d/recs.tsv" \
        --compare "$d/recs.tsv" --k $K --threads "$th" -q --json "$W/tide-boot.json" >/dev/null
    read -r wall usr sys rss < "$W/time"
    echo "tide-eval $n users, two runs (the file against itself) with the default --bootstrap 1000 --permutations 1000, --threads $th: wall ${wall} s, CPU $(awk "BEGIN{print $usr + $sys}") s, $((rss / 1024)) MB"
done
