# stats: bootstrap intervals are reproducible for a --seed (and thread count independent), change
# with the seed; a run compared with itself has difference 0, interval [0, 0] and p-value 1.
awk 'BEGIN { srand(3); for (u = 0; u < 300; u++) { n = 1 + int(rand() * 5); for (j = 0; j < n; j++) printf "u%d\ti%d\n", u, int(rand() * 60) } }' | sort -u > truth.tsv
awk 'BEGIN { srand(4); for (u = 0; u < 300; u++) { delete seen; r = 0; while (r < 10) { it = int(rand() * 60); if (it in seen) continue; seen[it] = 1; r++; printf "u%d\ti%d\t%d\t%.3f\n", u, it, r, 1 - r / 20 } } }' > a.tsv
awk 'BEGIN { srand(5); for (u = 0; u < 300; u++) { delete seen; r = 0; while (r < 10) { it = int(rand() * 30); if (it in seen) continue; seen[it] = 1; r++; printf "u%d\ti%d\t%d\t%.3f\n", u, it, r, 1 - r / 20 } } }' > b.tsv
run tide-eval --truth truth.tsv --recs a.tsv --compare b.tsv --bootstrap 200 --permutations 200 --seed 9 --threads 1 --json s1.json
assert_exit 0
run tide-eval --truth truth.tsv --recs a.tsv --compare b.tsv --bootstrap 200 --permutations 200 --seed 9 --threads 2 --json s2.json
assert_exit 0
run tide-eval --truth truth.tsv --recs a.tsv --compare b.tsv --bootstrap 200 --permutations 200 --seed 10 --json s3.json
assert_exit 0
assert_eq "$(jq -c '[.runs, .comparisons]' s1.json)" "$(jq -c '[.runs, .comparisons]' s2.json)"
[ "$(jq -c .runs[0].ci s1.json)" != "$(jq -c .runs[0].ci s3.json)" ] || fail "the seed does not change the intervals"
# the interval holds the mean
assert_eq "$(jq '[.runs[0] | .metrics as $m | .ci | to_entries[] | select(.value[0] > $m[.key] or .value[1] < $m[.key])] | length' s1.json)" 0
# comparison fields and the self-comparison
assert_eq "$(jq -r '.comparisons[0].metrics["ndcg@10"] | keys | join(" ")' s1.json)" "baseline ci diff p_value run users"
run tide-eval --truth truth.tsv --recs a.tsv --compare a.tsv --bootstrap 100 --permutations 100 --json self.json
assert_exit 0
assert_eq "$(json_get self.json '.runs[1].name')" "a#2"
assert_eq "$(jq '[.comparisons[0].metrics[] | select(.diff != 0 or .p_value != 1 or .ci[0] != 0 or .ci[1] != 0)] | length' self.json)" 0
