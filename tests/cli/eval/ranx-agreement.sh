# ranx-agreement: on the committed fixture (tests/fixtures/eval, made by make_fixtures.py with
# ranx), every metric@K of tide-eval equals ranx's to 1e-9, binary and graded, TSV and JSONL.
F="$SRC/tests/fixtures/eval"
check() { # check JSON MODE
    local bad
    bad=$(jq -n --slurpfile a "$1" --slurpfile e "$F/expected.json" --arg mode "$2" '
        [$e[0][$mode] | to_entries[] | . as $x
         | ($a[0].runs[0].metrics[$x.key]) as $v
         | select($v == null or (($v - $x.value) | if . < 0 then -. else . end) > 1e-9)
         | "\($x.key): tide \($v) ranx \($x.value)"] | .[]')
    [ -z "$bad" ] || fail "disagreement with ranx ($2): $bad"
}
run tide-eval --truth "$F/truth.tsv" --recs "$F/run.tsv" --k 1,3,5,10,20 --bootstrap 0 --permutations 0 --json out.json -q
assert_exit 0
check out.json binary
assert_eq "$(json_get out.json '.runs[0].users.evaluated')" "$(json_get "$F/expected.json" .users_evaluated)"
assert_eq "$(json_get out.json '.runs[0].users.without_recs')" "$(json_get "$F/expected.json" .users_without_recs)"
assert_eq "$(json_get out.json '.runs[0].users.without_truth')" "$(json_get "$F/expected.json" .users_without_truth)"
run tide-eval --truth "$F/truth.tsv" --recs "$F/run.jsonl" --k 1,3,5,10,20 --bootstrap 0 --json out2.json -q
assert_exit 0
check out2.json binary
run tide-eval --truth "$F/truth.tsv" --recs "$F/run.tsv" --k 1,3,5,10,20 --graded --bootstrap 0 --json out3.json -q
assert_exit 0
jq '.graded |= with_entries(select(.key | startswith("ndcg")))' "$F/expected.json" > exp-graded.json
F_SAVE="$F"; F="$T"; cp exp-graded.json "$T/expected.json"; check out3.json graded; F="$F_SAVE"
# Per user, every value: tide's --per-user TSV against ranx's per-user arrays (columns by name).
per_user_check() { # per_user_check TIDE_TSV EXPECTED_TSV COLUMN_PREFIX
    local bad
    bad=$(awk -F'\t' -v pre="$3" '
        FNR == 1 { for (i = 1; i <= NF; i++) col[FILENAME, $i] = i; if (NR == FNR) nt = NF; next }
        NR == FNR { for (i = 1; i <= NF; i++) v[$2, i] = $i; seen[$2] = 1; next }
        {
            if (!($1 in seen)) { print "user " $1 " missing"; exit }
            n++
            for (c in col) {
                split(c, a, SUBSEP); if (a[1] != FILENAME || a[2] == "user" || index(a[2], pre) != 1) continue
                ti = col[ARGV[1], a[2]]; if (!ti) { print "column " a[2] " missing"; exit }
                d = v[$1, ti] - $(col[c]); if (d < 0) d = -d
                if (d > 1e-9) { print $1 " " a[2] ": tide " v[$1, ti] " ranx " $(col[c]); exit }
                checked++
            }
        }
        END { if (n != 200 || checked < 200) print "only " n " users / " checked " values compared" }' "$1" "$2")
    [ -z "$bad" ] || fail "per-user disagreement with ranx: $bad"
}
run tide-eval --truth "$F/truth.tsv" --recs "$F/run.tsv" --k 1,3,5,10,20 -B 0 --per-user pu.tsv -q
assert_exit 0
per_user_check pu.tsv "$F/expected_per_user_binary.tsv" ""
run tide-eval --truth "$F/truth.tsv" --recs "$F/run.tsv" --k 1,3,5,10,20 -B 0 --graded --per-user pug.tsv -q
assert_exit 0
per_user_check pug.tsv "$F/expected_per_user_graded.tsv" ndcg
