# Hostile-input corpus (issue 15): every program's parsers over hostile files — malformed CSV,
# TSV and JSON lines, hostile text for the tokenizer and TF-IDF, corrupt dataset and model
# directories, hostile recommendation and truth files, hostile id lists. Each run must end with
# exit 0 (accepted), 2 (usage) or 3 (bad data): never a runtime failure, a timeout, a signal or a
# sanitizer report. It runs in every build; in the ASan+UBSan build (scripts/test.sh) it is the
# sanitizer check of all parsers. Sanitizer reports get their own exit codes so they cannot pass
# for a clean exit 1.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86:detect_leaks=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=87:print_stacktrace=1"
export TIDE_THREADS=2
n_runs=0
# try PROG ARGS...: a run whose exit code must be 0, 2 or 3
try() {
    local prog="$1"; shift
    set +e
    timeout 120 "$TIDE_BIN/$prog" "$@" >"$RUN_OUT" 2>"$RUN_ERR"
    RUN_RC=$?
    set -e
    n_runs=$((n_runs + 1))
    case "$RUN_RC" in
    0 | 2 | 3) ;;
    *) fail "$prog $* exited $RUN_RC (expected 0, 2 or 3)" ;;
    esac
}
mkdir -p in

# ---- tabular inputs: tide-ingest (CSV, TSV, JSON lines, gzip, catalog, text events) ---------
h='u,i,t,w\n'
printf '' > in/empty.csv
printf 'u,i,t,w' > in/header-only.csv
printf '\xef\xbb\xbf' > in/bom-only.csv
printf "${h}a,x,1,1\na\000b,x,2,1\n" > in/nul.csv
printf "${h}a,\xff\xfe,1,1\n\xc0\x80,x,2,1\n" > in/bad-utf8.csv
printf "${h}a,\"x,1,1\nb,y,2,1\n" > in/open-quote.csv
printf "${h}\"a\"b\",x,1,1\n\"\",x,1,1\n" > in/stray-quote.csv
printf "${h}a,x,1,1\r\nb,y,2,1\rc,z,3,1\n" > in/mixed-eol.csv
printf "${h}a,x,99999999999999999999999,1\nb,x,-99999999999999,1\nc,x,1e400,1\nd,x,,1\n" > in/bad-times.csv
printf "${h}a,x,1,nan\nb,x,1,inf\nc,x,1,1e39\nd,x,1,-0\ne,x,1,0x10\nf,x,1,1e-400\n" > in/bad-weights.csv
printf "${h}a,x,2024-02-30T00:00:00Z,1\nb,x,2024-13-01,1\nc,x,9999-12-31T23:59:59+14:00,1\nd,x,0000-01-01,1\n" > in/bad-iso.csv
head -c 300000 /dev/zero | tr '\0' a > in/long; { printf "$h"; printf 'a,'; cat in/long; printf ',1,1\n'; } > in/long-field.csv
{ printf 'u,i,t'; for k in $(seq 1 3000); do printf ',c%d' "$k"; done; printf '\na,x,1\n'; } > in/wide.csv
printf 'u\ti\tt\tw\na\tx\t1\t1\nb\t"y\t2\t1\n' > in/quote.tsv
printf '{"u":"a","i":"x","t":1}\n[1,2]\n"s"\n{"u":{"a":1},"i":"x","t":1}\n{"u":["a"],"i":"x","t":1}\n' > in/shapes.jsonl
printf '{"u":"a\\u0000","i":"x","t":1}\n{"u":"\\ud800","i":"x","t":1}\n{"u":1e400,"i":"x","t":1}\n{"u":"a","u":"b","i":"x","t":1}\n' > in/escapes.jsonl
{ for k in $(seq 1 2000); do printf '['; done; printf '\n'; } > in/deep.jsonl
printf '{"u":"a","i":"x","t":1} trailing\n{"u":"a","i":"x","t":1,}\n{"u":"a","i":"x","t":true}\n{"u":null,"i":"x","t":1}\n' > in/junk.jsonl
printf '{"u":123456789012345678901234567890123456789012345678901234567890,"i":-0.0e-0,"t":1}\n' > in/bignum.jsonl
printf "${h}a,x,1,1\n" | gzip -c > in/good.csv.gz
head -c 20 in/good.csv.gz > in/cut.csv.gz
printf '\x1f\x8b\x08\x00garbage-after-magic' > in/fake.csv.gz
head -c 4096 /dev/urandom > in/random.csv
for f in in/*.csv in/*.tsv in/*.jsonl in/*.csv.gz; do
    try tide-ingest "$f" --user-col u --item-col i --time-col t --out ds-h
    try tide-ingest "$f" --user-col u --item-col i --time-col t --weight-col w --max-errors 100 --aggregate sum --out ds-h
done
printf 'u,i,t\na,x,1\nb,y,2\nc,x,3\n' > in/good.csv
printf 'i,title\nx,"Ti\000tle"\ny,\xff\nx,dup\n' > in/catalog-bad.csv
printf '{"i":"x","title":["a"]}\n{"i":"y","title":"\\u0000"}\n' > in/catalog-bad.jsonl
printf 'u,i,t,text\na,x,1,"unterminated\n' > in/text-bad.csv
for c in in/catalog-bad.csv in/catalog-bad.jsonl; do
    try tide-ingest in/good.csv --user-col u --item-col i --time-col t --items "$c" --item-text-cols title --out ds-h
    try tide-ingest in/good.csv --user-col u --item-col i --time-col t --items "$c" --item-text-cols title --max-errors 10 --out ds-h
done
try tide-ingest in/good.csv --user-col u --item-col i --time-col t --text-events in/text-bad.csv --out ds-h
try tide-ingest in/good.csv --user-col u --item-col i --time-col t --text-events in/text-bad.csv --max-errors 10 --out ds-h

# ---- text: tide-embed's TF-IDF and tokenizer path (UBSan once aborted on empty/blank input) -----
printf '' > in/empty.txt
printf '\n\n   \n\t\n' > in/blank.txt
printf 'a\000b\nok\n' > in/nul.txt
printf '\xff\xfe\xfd\n\xe2\x82\n' > in/bad-utf8.txt
printf '\xcc\x81\xcc\x81\xcc\x81\xcc\x81\n\xef\xbf\xbf\xf4\x8f\xbf\xbf\n\x01\x02\x7f\n' > in/marks.txt
{ cat in/long; printf '\n'; } > in/long.txt
for f in in/*.txt; do
    try tide-embed --model tfidf --text "$f" --dim 4 --out e.npy
done
if [ -d "$SRC/models/all-MiniLM-L6-v2" ]; then
    for f in in/*.txt; do try tide-embed --model "$SRC/models/all-MiniLM-L6-v2" --text "$f" --out e.npy; done
fi

# ---- corrupt dataset and model directories: split, train-mf, embed, recommend ----------------
printf 'u,i,t\n' > in/ok.csv
for k in $(seq 1 40); do printf 'u%d,i%d,%d\nu%d,i%d,%d\n' $((k % 7)) $((k % 11)) "$k" $((k % 5)) $((k % 13)) $((k + 100)); done >> in/ok.csv
"$TIDE_BIN/tide-ingest" in/ok.csv --user-col u --item-col i --time-col t --out ds -q || fail "fixture ingest"
"$TIDE_BIN/tide-train-mf" --data ds --out m-als --algo als --factors 4 --iterations 2 -q || fail "fixture als"
"$TIDE_BIN/tide-train-mf" --data ds --out m-knn --algo itemknn -q || fail "fixture itemknn"
corrupt_dataset() { # NAME EDIT-COMMAND...
    local d="c-$1"; shift
    rm -rf "$d" && cp -r ds "$d" && (cd "$d" && eval "$@")
    try tide-split --data "$d" --out sp --method leave-last
    try tide-train-mf --data "$d" --out mm --algo pop
    try tide-embed --model tfidf --data "$d" --dim 4 --out e.npy
    try tide-recommend --data "$d" --model m-als --k 3 --out r.tsv
}
corrupt_dataset trunc-items 'truncate -s -3 items.npy'
corrupt_dataset trunc-header 'truncate -s 20 indptr.npy'
corrupt_dataset flip-magic 'printf "X" | dd of=times.npy bs=1 seek=1 conv=notrunc 2>/dev/null'
corrupt_dataset shape-lie 'sed -i "s/(80,)/(8000,)/" items.npy'
corrupt_dataset dtype-lie 'sed -i "s/<i4/<f4/" items.npy'
corrupt_dataset indptr-garbage 'head -c 128 indptr.npy > x && head -c 64 /dev/urandom >> x && mv x indptr.npy'
corrupt_dataset users-short 'sed -i "\$d" users.txt'
corrupt_dataset no-manifest 'rm manifest.json'
corrupt_dataset manifest-junk 'printf "{\"format\": \"tide-dataset\", \"format_version\": 1, \"counts\": {\"users\": 1e300}}" > manifest.json'
corrupt_dataset manifest-neg 'jq ".counts.items = -1" manifest.json > x && mv x manifest.json'
corrupt_dataset manifest-types 'jq ".event_names = {\"a\": 1} | .item_text_fields = 7" manifest.json > x && mv x manifest.json'
corrupt_dataset bad-text 'printf "{\"text\": [1]}\nnot json\n" > text_events.jsonl'
corrupt_model() { # NAME EDIT-COMMAND...
    local m="cm-$1"; shift
    rm -rf "$m" && cp -r m-als "$m" && (cd "$m" && eval "$@")
    try tide-recommend --data ds --model "$m" --k 3 --out r.tsv
}
corrupt_model trunc 'truncate -s -5 item_factors.npy'
corrupt_model nan 'python3 -c "
import sys; b = bytearray(open(\"user_factors.npy\",\"rb\").read()); b[-4:] = b\"\\x00\\x00\\xc0\\x7f\"; open(\"user_factors.npy\",\"wb\").write(b)"'
corrupt_model dims 'sed -i "s/(7, 4)/(7, 3)/" user_factors.npy'
corrupt_model etc-passwd 'jq ".arrays.user_factors = \"../../../../etc/passwd\"" manifest.json > x && mv x manifest.json'
corrupt_model proc-mem 'jq ".arrays.item_factors = \"/proc/self/mem\"" manifest.json > x && mv x manifest.json'
corrupt_model param-types 'jq ".params.alpha = [1] | .params.regularization = {}" manifest.json > x && mv x manifest.json'
corrupt_model algo 'jq ".algorithm = 42" manifest.json > x && mv x manifest.json'
corrupt_model not-json 'printf "{\"format\": " > manifest.json'
rm -rf ck && cp -r m-knn ck && printf 'X' | dd of=ck/neighbors.npy bs=1 seek=200 conv=notrunc 2>/dev/null
try tide-recommend --data ds --model ck --k 3 --out r.tsv

# ---- recommendation, truth and id-list files: tide-eval, tide-recommend ----------------------
printf 'u1\ti1\nu2\ti3\n' > in/truth.tsv
printf '' > in/r-empty.tsv
printf 'u1\ti1\t0\t1\nu1\ti2\t-1\t1\nu1\ti3\t99999999999999999999\t1\n' > in/r-ranks.tsv
printf 'u1\ti1\t1\tnan\nu1\ti2\t2\tinf\nu2\ti3\t1\t1e400\n' > in/r-scores.tsv
printf 'u1\ti1\t1\t1\nu2\ti3\t1\nu1\ti2\t2\t1\n' > in/r-fields.tsv
printf 'u1\ti1\t1\t1\nu1\ti1\t2\t1\nu1\ti2\t2\t1\n' > in/r-dup.tsv
printf 'u1\000x\ti1\t1\t1\n\xff\ti1\t1\t1\n' > in/r-bytes.tsv
printf '{"user":"u1","item":"i1","rank":1,"score":1}\n{"user":["u1"],"item":"i1","rank":2,"score":1}\n{"user":"u1","item":"i\\u0000","rank":3,"score":1}\n{"user":1e400,"item":"i1","rank":1,"score":1}\n' > in/r-json.jsonl
cp in/random.csv in/r-random.tsv
for r in in/r-*; do
    try tide-eval --truth in/truth.tsv --recs "$r" --k 1,5 --bootstrap 0
done
for t in in/r-bytes.tsv in/r-random.tsv in/nul.csv in/empty.csv; do
    try tide-eval --truth "$t" --recs in/r-dup.tsv --k 1 --bootstrap 0
done
for l in in/nul.txt in/blank.txt in/bad-utf8.txt in/empty.txt in/long.txt in/random.csv; do
    try tide-recommend --data ds --model m-als --k 3 --users "$l" --out r.tsv
    try tide-recommend --data ds --model m-als --k 3 --candidates "$l" --out r.tsv
    try tide-recommend --data ds --model m-als --k 3 --exclude "$l" --out r.tsv
done
echo "hostile corpus: $n_runs runs, every exit code 0, 2 or 3" >&2
