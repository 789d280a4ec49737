# segments: the per-segment table equals evaluating that segment's users alone; unlabelled users
# form "(none)"; users of the segments file without truth are counted.
awk 'BEGIN { srand(7); for (u = 0; u < 90; u++) { n = 1 + int(rand() * 4); for (j = 0; j < n; j++) printf "u%d\ti%d\n", u, int(rand() * 40) } }' | sort -u > truth.tsv
awk 'BEGIN { srand(8); for (u = 0; u < 90; u++) { delete seen; r = 0; while (r < 8) { it = int(rand() * 40); if (it in seen) continue; seen[it] = 1; r++; printf "u%d\ti%d\t%d\t%.3f\n", u, it, r, 1 - r / 20 } } }' > a.tsv
awk 'BEGIN { for (u = 0; u < 80; u++) printf "u%d\t%s\n", u, (u % 2 ? "odd" : "even"); print "nobody\todd" }' > seg.tsv
run tide-eval --truth truth.tsv --recs a.tsv --segments seg.tsv --bootstrap 20 --json out.json --plot p.svg
assert_exit 0
assert_eq "$(jq -r '[.segments[] | .label] | join(",")' out.json)" "even,odd,(none)"
assert_eq "$(jq '[.segments[] | .users] | add' out.json)" "$(json_get out.json .users.evaluated)"
assert_eq "$(json_get out.json .inputs.segments.users_not_evaluated)" 1
assert_stdout_has '=== segment odd'
# Evaluate the odd users alone: same metrics (coverage relative to the same catalog).
awk -F'\t' '$2 == "odd" {print $1}' seg.tsv > odd.txt
awk -F'\t' 'NR == FNR {k[$1]; next} ($1 in k)' odd.txt truth.tsv > t-odd.tsv
awk -F'\t' 'NR == FNR {k[$1]; next} ($1 in k)' odd.txt a.tsv > a-odd.tsv
run tide-eval --truth t-odd.tsv --recs a-odd.tsv --bootstrap 0 --json odd.json
assert_exit 0
assert_eq "$(jq -c '.segments[1].runs[0].metrics | with_entries(select(.key | startswith("coverage") | not))' out.json)" \
          "$(jq -c '.runs[0].metrics | with_entries(select(.key | startswith("coverage") | not))' odd.json)"
grep -q '<svg' p.svg || fail "no svg"
grep -q 'ndcg@10 per segment' p.svg || fail "no segment bars"
assert_eq "$(grep -c '<polyline' p.svg)" 8
