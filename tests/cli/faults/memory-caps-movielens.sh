# memory-caps.sh on ml-latest-small (../shared/data), where the caps bite mid-run: ingest, split,
# ALS training, recommendation, evaluation, TF-IDF and (when models/ has it) all-MiniLM-L6-v2.
source "$SRC/tests/cli/faults/common.bash"
is_asan && { echo "skip: AddressSanitizer build (ulimit -v does not apply)"; exit 77; }
ML="$DATA/ml-latest-small"
[ -f "$ML/ratings.csv" ] || { echo "skip: $ML not present"; exit 77; }
ingest=("$B/tide-ingest" "$ML/ratings.csv" --user-col userId --item-col movieId --time-col timestamp
    --weight-col rating --items "$ML/movies.csv" --item-text-cols title,genres
    --text-events "$ML/tags.csv" --text-col tag -q)
"${ingest[@]}" --out ml || fail "ingest"
"$B/tide-split" --data ml --out sp --method leave-last --test 1 --valid 1 -q || fail "split"
"$B/tide-train-mf" --data sp/train_valid --algo als --factors 32 --iterations 3 --out als -q || fail "train"
"$B/tide-recommend" --data sp/train_valid --model als --k 10 --out recs.tsv -q || fail "recommend"
head -300 "$ML/movies.csv" | cut -d, -f2 > lines.txt
MINILM="$SRC/models/all-MiniLM-L6-v2"
for mb in 100 200 300 400 500; do
    mkdir -p "o$mb"
    for p in ingest split train recommend eval tfidf minilm; do
        case $p in
        ingest) cmd=("${ingest[@]}" --out "o$mb/ml") ;;
        split) cmd=("$B/tide-split" --data ml --out "o$mb/sp" --method leave-last --test 1 --valid 1) ;;
        train) cmd=("$B/tide-train-mf" --data sp/train_valid --algo als --factors 32 --iterations 3 --out "o$mb/als") ;;
        recommend) cmd=("$B/tide-recommend" --data sp/train_valid --model als --k 10 --out "o$mb/recs.tsv") ;;
        eval) cmd=("$B/tide-eval" --truth sp/test --recs recs.tsv --k 10 --json "o$mb/e.json" --per-user "o$mb/e.tsv") ;;
        tfidf) cmd=("$B/tide-embed" --model tfidf --data ml --out "o$mb/tf.npy") ;;
        minilm)
            [ -f "$MINILM/model.safetensors" ] || { echo "minilm: $MINILM absent, not tried"; continue; }
            cmd=("$B/tide-embed" --model "$MINILM" --text lines.txt --out "o$mb/lm.npy") ;;
        esac
        run_capped v "$mb" 60 "${cmd[@]}"
        check_capped "$p" "$mb"
        echo "$p under $mb MB: exit $CAP_RC $(tail -1 "$RUN_ERR" | cut -c1-100)"
    done
done
echo "memory caps on ml-latest-small: $CAPS_TRIED capped runs, none hung"
