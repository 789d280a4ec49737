# hand: values worked out by hand (docs/metrics.md) through the CLI, the user reporting, the
# JSON keys, per-user TSV, stdin input and JSONL giving the same numbers as TSV.
# truth: u1 {i1, i3, i4}, u2 {i2}, u3 {i9} (u3 has no recommendations); u4 has recs, no truth.
printf 'u1\ti1\nu1\ti3\t2\nu1\ti4\nu2\ti2\nu3\ti9\n' > truth.tsv
printf 'u1\ti5\t1\t0.9\nu1\ti3\t2\t0.8\nu1\ti9\t3\t0.7\nu1\ti1\t4\t0.6\nu1\ti7\t5\t0.5\nu2\ti2\t1\t1\nu4\ti1\t1\t1\n' > a.tsv
run tide-eval --truth truth.tsv --recs a.tsv --k 1,5 --bootstrap 50 --json out.json --per-user pu.tsv
assert_exit 0
assert_stderr_has '1 of 3 truth users have no recommendations (scored 0)'
assert_stderr_has "1 users with recommendations have no truth (ignored), e.g. 'u4'"
assert_stdout_has 'precision'
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-12) }' || fail "$3: $1 != $2"; }
m() { json_get out.json ".runs[0].metrics[\"$1\"]"; }
# u1: hits at ranks 2 and 4 of 5; u2: hit at rank 1; u3: zeros.
near "$(m precision@5)" "$(awk 'BEGIN{printf "%.17g", (2/5 + 1/5 + 0)/3}')" precision@5
near "$(m precision@1)" "$(awk 'BEGIN{printf "%.17g", 1/3}')" precision@1
near "$(m recall@5)" "$(awk 'BEGIN{printf "%.17g", (2/3 + 1)/3}')" recall@5
near "$(m ndcg@5)" "$(awk 'BEGIN{l=log(2); d=(l/log(3) + l/log(5)) / (1 + l/log(3) + l/log(4)); printf "%.17g", (d + 1)/3}')" ndcg@5
near "$(m map@5)" "$(awk 'BEGIN{printf "%.17g", ((1/2 + 2/4)/3 + 1)/3}')" map@5
near "$(m mrr@5)" "$(awk 'BEGIN{printf "%.17g", (1/2 + 1)/3}')" mrr@5
near "$(m hit@5)" "$(awk 'BEGIN{printf "%.17g", 2/3}')" hit@5
near "$(m f1@5)" "$(awk 'BEGIN{p=2/5; r=2/3; printf "%.17g", (2*p*r/(p+r) + 2*(1/5)/(1/5+1))/3}')" f1@5
# coverage@5: items ranked <= 5 for evaluated users: i5 i3 i9 i1 i7 i2 (u4 ignored) of 7 catalog items
# (truth items i1 i2 i3 i4 i9 + recommended i5 i7).
near "$(m coverage@5)" "$(awk 'BEGIN{printf "%.17g", 6/7}')" coverage@5
near "$(m coverage@1)" "$(awk 'BEGIN{printf "%.17g", 2/7}')" coverage@1
assert_eq "$(json_get out.json '.runs[0].metrics | keys | sort | join(" ")')" \
  "coverage@1 coverage@5 f1@1 f1@5 hit@1 hit@5 map@1 map@5 mrr@1 mrr@5 ndcg@1 ndcg@5 precision@1 precision@5 recall@1 recall@5"
assert_eq "$(json_get out.json '.runs[0].ci | keys | length')" 14
assert_eq "$(json_get out.json '.runs[0].ci["ndcg@5"] | length')" 2
assert_eq "$(json_get out.json '.k | join(",")')" "1,5"
assert_eq "$(json_get out.json '.runs[0].users.evaluated')" 3
assert_eq "$(json_get out.json '.runs[0].users.without_recs')" 1
assert_eq "$(json_get out.json '.runs[0].users.without_truth')" 1
assert_eq "$(json_get out.json '.runs[0].users.without_truth_examples[0]')" u4
assert_eq "$(json_get out.json '.inputs.recs[0].checksum')" "crc32:$(python3 -c "import zlib,sys;print('%08x'%zlib.crc32(open('a.tsv','rb').read()))" 2>/dev/null || echo skip)"
assert_eq "$(json_get out.json '.protocol.bootstrap')" 50
assert_eq "$(json_get out.json '.protocol.seed')" 42
assert_eq "$(head -1 pu.tsv | cut -f1-5)" "$(printf 'run\tuser\trelevant\trecommended\tprecision@1')"
assert_eq "$(grep -c . pu.tsv)" 4
assert_eq "$(awk -F'\t' '$2=="u3" {print $4, $6}' pu.tsv)" "0 0"
# stdin and JSONL give the same metrics.
run_in a.tsv tide-eval --truth truth.tsv --recs - --k 1,5 --bootstrap 0 --json in.json
assert_exit 0
awk -F'\t' '{printf "{\"user\": \"%s\", \"item\": \"%s\", \"rank\": %s, \"score\": %s}\n", $1, $2, $3, $4}' a.tsv > a.jsonl
run tide-eval --truth truth.tsv --recs a.jsonl --k 1,5 --bootstrap 0 --json js.json
assert_exit 0
assert_eq "$(jq -c .runs[0].metrics in.json)" "$(jq -c .runs[0].metrics out.json)"
assert_eq "$(jq -c .runs[0].metrics js.json)" "$(jq -c .runs[0].metrics out.json)"
assert_eq "$(json_get js.json '.inputs.recs[0].format')" jsonl
