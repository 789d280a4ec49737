/* test-tokenizer.c — BERT tokenizer parity with Hugging Face (ids of the committed fixture
 * strings, for the tiny model's vocabulary always and all-MiniLM-L6-v2's when fetched), invalid
 * UTF-8, truncation, literal special tokens, vocab errors, and the basic word splitter. */
#include "harness.h"
#include "lm-fixtures.h"
#include "tide/lm.h"
#include "tide/tokenizer.h"

/* Compare the tokenizer's ids with a tokens-*.jsonl fixture over strings.jsonl (rows that
 * reference shared data are compared when $TIDE_SHARED_DATA is there, else skipped). */
static void check_parity(const tide_tokenizer *tok, const char *tokens_file) {
    char *sp = fixture_path("strings.jsonl"), *tp = fixture_path(tokens_file);
    int ns = 0, nt = 0;
    cJSON **strings = read_jsonl(sp, &ns), **tokens = read_jsonl(tp, &nt);
    CHECK(strings && tokens);
    CHECK(ns >= 300);
    CHECK_EQ(ns, nt);
    int unavailable = 0, checked = 0;
    CHECK_EQ(fixture_resolve(strings, ns, "strings.jsonl", &unavailable), 0);
    int maxlen = tide_tokenizer_max_length(tok), mismatches = 0;
    int32_t *ids = malloc((size_t)maxlen * sizeof *ids);
    for (int i = 0; strings && tokens && i < ns && i < nt; i++) {
        if (!row_available(strings[i])) continue; /* shared data absent: reported by fixture_resolve */
        checked++;
        size_t len = 0;
        char *text = row_bytes(strings[i], &len);
        const cJSON *want = cJSON_GetObjectItem(tokens[i], "ids");
        int n = 0;
        CHECK_OK(tide_tokenizer_encode(tok, text, len, ids, &n, NULL));
        free(text);
        int same = n == cJSON_GetArraySize(want);
        for (int k = 0; same && k < n; k++) same = ids[k] == cJSON_GetArrayItem(want, k)->valueint;
        if (!same && mismatches++ < 5) {
            fprintf(stderr, "%s: string %d differs (%d ids, want %d): ", tokens_file, i, n, cJSON_GetArraySize(want));
            for (int k = 0; k < n && k < 16; k++) fprintf(stderr, "%d ", ids[k]);
            fprintf(stderr, "| want ");
            for (int k = 0; k < cJSON_GetArraySize(want) && k < 16; k++)
                fprintf(stderr, "%d ", cJSON_GetArrayItem(want, k)->valueint);
            fprintf(stderr, "\n");
        }
    }
    printf("  %s: %d strings compared, %d skipped\n", tokens_file, checked, unavailable);
    CHECK_EQ(checked + unavailable, ns);
    CHECK_EQ(mismatches, 0);
    free(ids);
    free_jsonl(strings, ns);
    free_jsonl(tokens, nt);
    free(sp);
    free(tp);
}

static tide_tokenizer *tiny_tokenizer(int max_length) {
    char *vocab = fixture_path("tiny-bert-cls/vocab.txt");
    tide_tokenizer_params p = tide_tokenizer_params_default();
    p.max_length = max_length;
    tide_tokenizer *t = NULL;
    CHECK_OK(tide_tokenizer_load(vocab, &p, &t));
    free(vocab);
    return t;
}

static void test_parity_tiny_vocab(void) {
    tide_tokenizer *t = tiny_tokenizer(512);
    if (t) check_parity(t, "tokens-tiny.jsonl");
    tide_tokenizer_free(t);
}

static void test_parity_minilm(void) {
    char *dir = minilm_dir();
    if (!dir) {
        SKIP_LM("no models/all-MiniLM-L6-v2 (run tools/fetch-model.sh)");
        return;
    }
    tide_lm *lm = NULL;
    CHECK_OK(tide_lm_load(dir, &lm));
    if (lm) {
        CHECK_EQ(tide_tokenizer_max_length(tide_lm_tokenizer(lm)), 256); /* from sentence_bert_config.json */
        check_parity(tide_lm_tokenizer(lm), "tokens-minilm.jsonl");
        /* the published reference ids (SPEC-LM §6) */
        int32_t ids[256];
        int n = 0;
        const char *s = "Café déjà vu — 東京";
        CHECK_OK(tide_tokenizer_encode(tide_lm_tokenizer(lm), s, strlen(s), ids, &n, NULL));
        int32_t want[] = {101, 7668, 2139, 3900, 24728, 1517, 1879, 1755, 102};
        CHECK_EQ(n, 9);
        for (int i = 0; i < 9 && i < n; i++) CHECK_EQ(ids[i], want[i]);
    }
    tide_lm_free(lm);
    free(dir);
}

static int encode(const tide_tokenizer *t, const char *s, size_t len, int32_t *ids, tide_tokenize_info *info) {
    int n = 0;
    CHECK_OK(tide_tokenizer_encode(t, s, len, ids, &n, info));
    return n;
}

static void test_invalid_utf8(void) {
    tide_tokenizer *t = tiny_tokenizer(64);
    if (!t) return;
    int32_t a[64], b[64];
    tide_tokenize_info info;
    /* an invalid byte becomes U+FFFD, which BERT's cleaning drops: "ab\xffcd" tokenizes as "abcd" */
    int na = encode(t, "the\xff" "n", 5, a, &info);
    CHECK_EQ(info.n_invalid_utf8, 1);
    int nb = encode(t, "then", 4, b, NULL);
    CHECK_EQ(na, nb);
    for (int i = 0; i < na && i < nb; i++) CHECK_EQ(a[i], b[i]);
    /* truncated sequence, overlong encoding, encoded surrogate, stray continuation bytes */
    const char *bad[] = {"a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\x80\x80\x80", "\xf5\x80\x80\x80"};
    for (int i = 0; i < 5; i++) {
        encode(t, bad[i], strlen(bad[i]), a, &info);
        CHECK(info.n_invalid_utf8 >= 1);
    }
    /* embedded NUL bytes are dropped like U+0000 */
    na = encode(t, "the\0n", 5, a, &info);
    CHECK_EQ(info.n_invalid_utf8, 0);
    CHECK_EQ(na, nb);
    tide_tokenizer_free(t);
}

static void test_truncation_and_specials(void) {
    tide_tokenizer *t = tiny_tokenizer(8);
    if (!t) return;
    int32_t ids[8];
    tide_tokenize_info info;
    int n = encode(t, "a b c d e f g h i j k", 21, ids, &info);
    CHECK_EQ(n, 8);
    CHECK(info.truncated);
    CHECK_EQ(ids[0], tide_tokenizer_id(t, "[CLS]"));
    CHECK_EQ(ids[7], tide_tokenizer_id(t, "[SEP]"));
    CHECK_EQ(ids[1], tide_tokenizer_id(t, "a"));
    n = encode(t, "", 0, ids, &info);
    CHECK_EQ(n, 2);
    CHECK(!info.truncated);
    n = encode(t, " \t\n ", 4, ids, &info);
    CHECK_EQ(n, 2);
    /* a literal [SEP] in the text is the special token, not "[", "sep", "]" */
    n = encode(t, "a[SEP]b", 7, ids, &info);
    CHECK_EQ(n, 5);
    CHECK_EQ(ids[2], tide_tokenizer_id(t, "[SEP]"));
    /* over 100 characters: one [UNK] */
    char longw[202];
    memset(longw, 'a', 201);
    longw[201] = 0;
    n = encode(t, longw, 201, ids, &info);
    CHECK_EQ(n, 3);
    CHECK_EQ(ids[1], tide_tokenizer_id(t, "[UNK]"));
    CHECK_EQ(info.n_unk, 1);
    tide_tokenizer_free(t);
}

static void test_vocab_errors(void) {
    const char *dir = harness_tmpdir("tokenizer");
    char *v = tide_path_join(dir, "vocab.txt");
    harness_write(v, "[PAD]\n[CLS]\n[SEP]\nhello\n");
    tide_tokenizer_params p = tide_tokenizer_params_default();
    tide_tokenizer *t = NULL;
    CHECK_STATUS(tide_tokenizer_load(v, &p, &t), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "vocab.txt");
    CHECK_CONTAINS(tide_error_message(), "[UNK]");
    CHECK(t == NULL);
    harness_write(v, "");
    CHECK_STATUS(tide_tokenizer_load(v, &p, &t), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "empty");
    char *missing = tide_path_join(dir, "nope.txt");
    CHECK_STATUS(tide_tokenizer_load(missing, &p, &t), TIDE_ERR_IO);
    p.max_length = 1;
    harness_write(v, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
    CHECK_STATUS(tide_tokenizer_load(v, &p, &t), TIDE_ERR_USAGE);
    /* duplicate lines: the last id wins, as in HF's load_vocab */
    p = tide_tokenizer_params_default();
    harness_write(v, "[PAD]\n[UNK]\n[CLS]\n[SEP]\nx\nx\n");
    CHECK_OK(tide_tokenizer_load(v, &p, &t));
    if (t) CHECK_EQ(tide_tokenizer_id(t, "x"), 5);
    tide_tokenizer_free(t);
    free(v);
    free(missing);
}

typedef struct {
    char words[16][32];
    int n;
} word_list;

static int collect(const char *w, size_t len, void *user) {
    word_list *l = user;
    if (l->n < 16 && len < 32) {
        memcpy(l->words[l->n], w, len);
        l->words[l->n][len] = 0;
    }
    l->n++;
    return 0;
}

static void test_words(void) {
    word_list l = {.n = 0};
    const char *s = "Crème BRÛLÉE, 東京!x";
    CHECK_OK(tide_text_words(s, strlen(s), 1, 1, 1, collect, &l, NULL));
    CHECK_EQ(l.n, 7);
    CHECK_STR(l.words[0], "creme");
    CHECK_STR(l.words[1], "brulee");
    CHECK_STR(l.words[2], ",");
    CHECK_STR(l.words[3], "東");
    CHECK_STR(l.words[4], "京");
    CHECK_STR(l.words[5], "!");
    CHECK_STR(l.words[6], "x");
}

int main(void) {
    RUN(test_parity_tiny_vocab);
    RUN(test_parity_minilm);
    RUN(test_invalid_utf8);
    RUN(test_truncation_and_specials);
    RUN(test_vocab_errors);
    RUN(test_words);
    return harness_done();
}
