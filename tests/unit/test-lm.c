/* test-lm.c — the encoder against sentence-transformers (tiny 12-layer CLS/BF16 model always,
 * all-MiniLM-L6-v2 when fetched): cosine >= 0.99999 and max |diff| <= 1e-4 per vector; thread
 * independence; LayerNorm gamma/beta naming; safetensors validation and model-folder errors. */
#include "harness.h"
#include "lm-fixtures.h"
#include "tide/lm.h"
#include "tide/npy.h"

#include <stdint.h>

/* Embed vec-strings.jsonl with the model and compare with a vectors-*.npy fixture (rows that
 * reference shared data only when $TIDE_SHARED_DATA is there). */
static void check_vectors(const char *model_dir, const char *vectors_file, int threads, int rerun) {
    char *sp = fixture_path("vec-strings.jsonl"), *vp = fixture_path(vectors_file);
    int n = 0;
    cJSON **rows = read_jsonl(sp, &n);
    tide_npy ref;
    memset(&ref, 0, sizeof ref);
    CHECK_OK(tide_npy_load_expect(vp, TIDE_DTYPE_F32, 2, &ref));
    tide_lm *lm = NULL;
    CHECK_OK(tide_lm_load(model_dir, &lm));
    if (!lm || !rows || ref.count == 0) goto done;
    CHECK(n >= 100);
    CHECK_EQ(ref.shape[0], n);
    int dim = tide_lm_get_config(lm)->dim;
    CHECK_EQ(ref.shape[1], dim);
    int unavailable = 0;
    CHECK_EQ(fixture_resolve(rows, n, "vec-strings.jsonl", &unavailable), 0);
    /* embed the available rows; at[i] is row i's index in the fixture (and the .npy) */
    int total = n;
    char **texts = calloc((size_t)total, sizeof *texts);
    size_t *lens = calloc((size_t)total, sizeof *lens);
    int *at = calloc((size_t)total, sizeof *at);
    n = 0;
    for (int i = 0; i < total; i++)
        if (row_available(rows[i])) {
            at[n] = i;
            texts[n] = row_bytes(rows[i], &lens[n]);
            n++;
        }
    CHECK_EQ(n + unavailable, total);
    float *out = malloc((size_t)n * (size_t)dim * sizeof *out);
    tide_lm_params p = tide_lm_params_default();
    p.batch_size = 8; /* several batches and windows */
    p.window_batches = 2;
    tide_threads_set(threads);
    tide_lm_stats stats;
    CHECK_OK(tide_lm_embed(lm, (const char *const *)texts, lens, n, &p, out, &stats));
    CHECK_EQ(stats.texts, n);
    double worst_cos = 1, worst_abs = 0;
    for (int i = 0; i < n; i++) {
        const float *a = out + (size_t)i * dim, *b = (const float *)ref.data + (size_t)at[i] * dim;
        double ab = 0, aa = 0, bb = 0;
        for (int k = 0; k < dim; k++) {
            ab += (double)a[k] * b[k];
            aa += (double)a[k] * a[k];
            bb += (double)b[k] * b[k];
            double d = fabs((double)a[k] - b[k]);
            if (d > worst_abs) worst_abs = d;
        }
        double cos = ab / sqrt(aa * bb);
        if (cos < worst_cos) worst_cos = cos;
    }
    printf("  %s (%d threads): %d vectors (%d skipped), worst cosine %.9f, max |diff| %.3g, %lld truncated\n",
           vectors_file, threads, n, unavailable, worst_cos, worst_abs, (long long)stats.truncated);
    CHECK(worst_cos >= 0.99999);
    CHECK(worst_abs <= 1e-4);
    /* a second run with another thread count gives bit-identical vectors */
    float *again = NULL;
    if (!rerun) goto skip_rerun;
    again = malloc((size_t)n * (size_t)dim * sizeof *again);
    tide_threads_set(threads == 1 ? 2 : 1);
    CHECK_OK(tide_lm_embed(lm, (const char *const *)texts, lens, n, &p, again, NULL));
    CHECK(memcmp(out, again, (size_t)n * (size_t)dim * sizeof *out) == 0);
skip_rerun:
    tide_threads_set(1);
    free(again);
    for (int i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(lens);
    free(at);
    free(out);
    n = total;
done:
    tide_lm_free(lm);
    tide_npy_free(&ref);
    free_jsonl(rows, n);
    free(sp);
    free(vp);
}

static void test_tiny_cls_bf16(void) {
    char *dir = fixture_path("tiny-bert-cls");
    tide_lm *lm = NULL;
    CHECK_OK(tide_lm_load(dir, &lm));
    if (lm) {
        const tide_lm_config *c = tide_lm_get_config(lm);
        CHECK_EQ(c->layers, 12);
        CHECK_EQ(c->hidden, 48);
        CHECK_EQ(c->pooling, TIDE_POOL_CLS);
        CHECK_EQ(c->normalize, 1);
        CHECK_EQ(c->max_seq_length, 512);
        CHECK_STR(c->weight_dtype, "BF16");
    }
    tide_lm_free(lm);
    check_vectors(dir, "vectors-tiny.npy", 2, 1);
    free(dir);
}

static void test_minilm(void) {
    char *dir = minilm_dir();
    if (!dir) {
        SKIP_LM("no models/all-MiniLM-L6-v2 (run tools/fetch-model.sh)");
        return;
    }
    tide_lm *lm = NULL;
    CHECK_OK(tide_lm_load(dir, &lm));
    if (lm) {
        const tide_lm_config *c = tide_lm_get_config(lm);
        CHECK_EQ(c->layers, 6);
        CHECK_EQ(c->dim, 384);
        CHECK_EQ(c->pooling, TIDE_POOL_MEAN);
        CHECK_EQ(c->max_seq_length, 256);
        /* SPEC-LM §6: the published first components of one sentence */
        const char *s = "This is an example sentence";
        float v[384];
        tide_lm_params p = tide_lm_params_default();
        CHECK_OK(tide_lm_embed(lm, &s, NULL, 1, &p, v, NULL));
        CHECK_NEAR(v[0], 0.06765693, 1e-5);
        CHECK_NEAR(v[1], 0.06349593, 1e-5);
        CHECK_NEAR(v[5], 0.00265273, 1e-5);
    }
    tide_lm_free(lm);
    check_vectors(dir, "vectors-minilm.npy", 2, 0); /* thread independence: tiny model */
    free(dir);
}

/* ---- model folders built from the tiny fixture ------------------------------------------- */

static void copy_file(const char *from, const char *to) {
    char *data = NULL;
    size_t n = 0;
    if (tide_read_file(from, &data, &n) == TIDE_OK) tide_write_file_atomic(to, data, n);
    free(data);
}

/* A copy of the tiny folder in dir/name with `config.json` replaced when cfg is given. */
static char *tiny_copy(const char *dir, const char *name, const char *cfg, const char *pooling) {
    char *src = fixture_path("tiny-bert-cls");
    char *dst = tide_path_join(dir, name);
    const char *files[] = {"config.json", "vocab.txt", "tokenizer_config.json", "sentence_bert_config.json", "modules.json",
                           "model.safetensors", "1_Pooling/config.json"};
    char *pd = tide_path_join(dst, "1_Pooling");
    tide_mkdirs(pd);
    free(pd);
    for (int i = 0; i < 7; i++) {
        char *a = tide_path_join(src, files[i]), *b = tide_path_join(dst, files[i]);
        copy_file(a, b);
        free(a);
        free(b);
    }
    if (cfg) {
        char *b = tide_path_join(dst, "config.json");
        harness_write(b, cfg);
        free(b);
    }
    if (pooling) {
        char *b = tide_path_join(dst, "1_Pooling/config.json");
        harness_write(b, pooling);
        free(b);
    }
    free(src);
    return dst;
}

#define TINY_CFG(extra)                                                                                   \
    "{\"architectures\": [\"BertModel\"], \"model_type\": \"bert\", \"hidden_size\": 48, "              \
    "\"num_hidden_layers\": 12, \"num_attention_heads\": 4, \"intermediate_size\": 96, "                  \
    "\"max_position_embeddings\": 512, \"type_vocab_size\": 2, \"vocab_size\": 3000, "                   \
    "\"layer_norm_eps\": 1e-12" extra "}"

static void expect_load_error(const char *dir, const char *name, const char *cfg, const char *pooling, const char *want1,
                              const char *want2) {
    char *d = tiny_copy(dir, name, cfg, pooling);
    tide_lm *lm = NULL;
    CHECK_STATUS(tide_lm_load(d, &lm), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), want1);
    if (want2) CHECK_CONTAINS(tide_error_message(), want2);
    tide_lm_free(lm);
    free(d);
}

static void test_config_errors(void) {
    const char *dir = harness_tmpdir("lm");
    /* the unchanged copy with a plain BertModel config loads ("bert." prefix, BertForMaskedLM head ignored) */
    char *ok = tiny_copy(dir, "ok", TINY_CFG(", \"hidden_act\": \"gelu\""), NULL);
    tide_lm *lm = NULL;
    CHECK_OK(tide_lm_load(ok, &lm));
    tide_lm_free(lm);
    free(ok);
    expect_load_error(dir, "act", TINY_CFG(", \"hidden_act\": \"silu\""), NULL, "config.json", "unsupported activation hidden_act 'silu'");
    expect_load_error(dir, "arch",
                      "{\"architectures\": [\"XLMRobertaModel\"], \"model_type\": \"xlm-roberta\", \"hidden_size\": 48}", NULL,
                      "config.json", "unsupported architecture");
    expect_load_error(dir, "pos", TINY_CFG(", \"position_embedding_type\": \"relative_key\""), NULL, "config.json",
                      "position_embedding_type");
    /* the config disagrees with the weights: the message names the tensor and both shapes */
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "%s", TINY_CFG(""));
    char *p = strstr(cfg, "\"intermediate_size\": 96");
    memcpy(p, "\"intermediate_size\": 64", 23);
    expect_load_error(dir, "shape", cfg, NULL, "tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape [96, 48]",
                      "[64, 48]");
    expect_load_error(dir, "pool", NULL,
                      "{\"word_embedding_dimension\": 48, \"pooling_mode_cls_token\": false, \"pooling_mode_max_tokens\": true}",
                      "1_Pooling/config.json", "unsupported pooling");
    expect_load_error(dir, "badjson", "{\"hidden_size\": 48,\n\"x\": }", NULL, "config.json:2", "invalid JSON");
    /* a vocab without [UNK] */
    char *d = tiny_copy(dir, "nounk", NULL, NULL);
    char *v = tide_path_join(d, "vocab.txt");
    harness_write(v, "[PAD]\n[CLS]\n[SEP]\n[MASK]\nthe\n");
    CHECK_STATUS(tide_lm_load(d, &lm), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "vocab.txt: the vocabulary has no unknown token '[UNK]'");
    free(v);
    free(d);
    /* a truncated weights file: names the file and the first tensor past the end */
    d = tiny_copy(dir, "trunc", NULL, NULL);
    char *w = tide_path_join(d, "model.safetensors");
    char *data = NULL;
    size_t n = 0;
    CHECK_OK(tide_read_file(w, &data, &n));
    CHECK_OK(tide_write_file_atomic(w, data, n / 2));
    CHECK_STATUS(tide_lm_load(d, &lm), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "model.safetensors: tensor '");
    CHECK_CONTAINS(tide_error_message(), "truncated");
    free(data);
    free(w);
    free(d);
}

/* Rename tensors: drop the "bert." prefix and use LayerNorm gamma/beta; outputs must not change. */
static void test_gamma_beta_names(void) {
    const char *dir = harness_tmpdir("lm");
    char *d = tiny_copy(dir, "gamma", NULL, NULL);
    char *w = tide_path_join(d, "model.safetensors");
    char *data = NULL;
    size_t n = 0;
    CHECK_OK(tide_read_file(w, &data, &n));
    uint64_t hn = 0;
    memcpy(&hn, data, 8);
    char *hdr = strndup(data + 8, hn);
    cJSON *j = cJSON_Parse(hdr), *o = cJSON_CreateObject();
    for (cJSON *it = j ? j->child : NULL; it; it = it->next) {
        char name[256];
        snprintf(name, sizeof name, "%s", strncmp(it->string, "bert.", 5) == 0 ? it->string + 5 : it->string);
        char *ln = strstr(name, "LayerNorm.");
        if (ln && strcmp(ln, "LayerNorm.weight") == 0) strcpy(ln, "LayerNorm.gamma");
        if (ln && strcmp(ln, "LayerNorm.bias") == 0) strcpy(ln, "LayerNorm.beta");
        cJSON_AddItemToObject(o, name, cJSON_Duplicate(it, 1));
    }
    char *nh = cJSON_PrintUnformatted(o);
    size_t nl = strlen(nh), padded = (nl + 7) / 8 * 8;
    char *buf = malloc(8 + padded + (n - 8 - hn));
    uint64_t pl = padded;
    memcpy(buf, &pl, 8);
    memset(buf + 8, ' ', padded);
    memcpy(buf + 8, nh, nl);
    memcpy(buf + 8 + padded, data + 8 + hn, n - 8 - hn);
    CHECK_OK(tide_write_file_atomic(w, buf, 8 + padded + (n - 8 - hn)));
    char *orig = fixture_path("tiny-bert-cls");
    tide_lm *a = NULL, *b = NULL;
    CHECK_OK(tide_lm_load(orig, &a));
    CHECK_OK(tide_lm_load(d, &b));
    if (a && b) {
        const char *texts[] = {"gamma and beta", "", "a longer sentence about movies and reviews"};
        float va[3 * 48], vb[3 * 48];
        tide_lm_params p = tide_lm_params_default();
        CHECK_OK(tide_lm_embed(a, texts, NULL, 3, &p, va, NULL));
        CHECK_OK(tide_lm_embed(b, texts, NULL, 3, &p, vb, NULL));
        CHECK(memcmp(va, vb, sizeof va) == 0);
    }
    tide_lm_free(a);
    tide_lm_free(b);
    free(orig);
    free(buf);
    free(nh);
    cJSON_Delete(o);
    cJSON_Delete(j);
    free(hdr);
    free(data);
    free(w);
    free(d);
}

/* ---- safetensors validation --------------------------------------------------------------- */

/* header JSON + data bytes → a file image */
static size_t image(char *buf, const char *json, size_t data_len) {
    uint64_t n = strlen(json);
    memcpy(buf, &n, 8);
    memcpy(buf + 8, json, n);
    memset(buf + 8 + n, 0, data_len);
    return 8 + n + data_len;
}

static void expect_bad(const char *json, size_t data_len, const char *want) {
    static char buf[4096];
    size_t n = image(buf, json, data_len);
    tide_safetensors st;
    CHECK_STATUS(tide_safetensors_parse(buf, n, "w.safetensors", &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "w.safetensors: ");
    CHECK_CONTAINS(tide_error_message(), want);
}

static void test_safetensors(void) {
    char buf[4096];
    tide_safetensors st;
    /* a good file: F32 [2], F16 [2], BF16 [1] with metadata */
    const char *good = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                       "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[12,14]}}";
    size_t n = image(buf, good, 14);
    size_t d0 = n - 14;
    float f[2] = {1.5f, -2.0f};
    memcpy(buf + d0, f, 8);
    uint16_t h[2] = {0x3C00, 0x0001}; /* 1.0 and the smallest subnormal */
    memcpy(buf + d0 + 8, h, 4);
    uint16_t bf = 0xC040; /* -3.0 */
    memcpy(buf + d0 + 12, &bf, 2);
    CHECK_OK(tide_safetensors_parse(buf, n, "w.safetensors", &st));
    CHECK_EQ(st.n, 3);
    const float *p;
    float *own;
    int64_t two = 2, one = 1;
    CHECK_OK(tide_safetensors_f32(&st, "b", 1, &two, &p, &own));
    if (p) {
        CHECK_NEAR(p[0], 1.0, 0);
        CHECK_NEAR(p[1], 5.960464477539063e-08, 1e-15);
    }
    free(own);
    CHECK_OK(tide_safetensors_f32(&st, "c", 1, &one, &p, &own));
    if (p) CHECK_NEAR(p[0], -3.0, 0);
    free(own);
    CHECK_STATUS(tide_safetensors_f32(&st, "a", 1, &one, &p, &own), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "tensor 'a' has shape [2], the model config needs [1]");
    CHECK_STATUS(tide_safetensors_f32(&st, "zz", 1, &one, &p, &own), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "missing tensor 'zz'");
    tide_safetensors_close(&st);
    /* trailing spaces in the header are allowed */
    CHECK_OK(tide_safetensors_parse(buf, image(buf, "{\"a\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}   ", 1),
                                    "w.safetensors", &st));
    tide_safetensors_close(&st);

    CHECK_STATUS(tide_safetensors_parse(buf, 5, "w.safetensors", &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "too short");
    uint64_t huge = 1ull << 40;
    memcpy(buf, &huge, 8);
    CHECK_STATUS(tide_safetensors_parse(buf, 64, "w.safetensors", &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "exceeds");
    huge = 100;
    memcpy(buf, &huge, 8);
    CHECK_STATUS(tide_safetensors_parse(buf, 64, "w.safetensors", &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "runs past the end");
    expect_bad("[1,2]", 0, "does not start with '{'");
    expect_bad("{\"a\":", 0, "not a valid JSON object");
    expect_bad("{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "tensor 'a': unknown dtype 'Q7'");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
               "tensor 'a': 8 data bytes, but shape [3] of F32 needs 12");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
               12, "tensor 'b': data begins at 8, expected 4 (gap");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
               8, "overlap");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "tensor 'a': data begins at 4, expected 0");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6, "2 bytes follow the last tensor");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, "tensor 'a': data_offsets [0, 16] run past the end");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape[0] is not a non-negative integer");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "end 0 < begin 4");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
               8, "tensor 'a' appears twice");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ value 'k' is not a string");
    expect_bad("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2, "not a whole number of bytes");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, "tensor 'a': needs");
    /* a known but unconvertible dtype is refused when read as weights */
    CHECK_OK(tide_safetensors_parse(buf, image(buf, "{\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8),
                                    "w.safetensors", &st));
    CHECK_STATUS(tide_safetensors_f32(&st, "i", 1, &one, &p, &own), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "tensor 'i' has dtype I64");
    tide_safetensors_close(&st);
}

static void test_bad_texts(void) {
    char *dir = fixture_path("tiny-bert-cls");
    tide_lm *lm = NULL;
    CHECK_OK(tide_lm_load(dir, &lm));
    if (lm) {
        /* empty, invalid UTF-8, and a text far over max_seq_length */
        size_t big = 200000;
        char *huge = malloc(big + 1);
        for (size_t i = 0; i < big; i++) huge[i] = i % 6 == 5 ? ' ' : 'a' + (char)(i % 5);
        huge[big] = 0;
        const char *texts[] = {"", "bad \xff\xfe bytes", huge, NULL};
        float v[4 * 48];
        tide_lm_stats s;
        tide_lm_params p = tide_lm_params_default();
        CHECK_OK(tide_lm_embed(lm, texts, NULL, 4, &p, v, &s));
        CHECK_EQ(s.empty, 2);
        CHECK_EQ(s.invalid_utf8_texts, 1);
        CHECK_EQ(s.invalid_utf8_bytes, 2);
        CHECK_EQ(s.truncated, 1);
        for (int i = 0; i < 4 * 48; i++) CHECK(isfinite(v[i]));
        /* NULL = empty text (equal up to BLAS rounding: rows at other positions of a GEMM) */
        for (int i = 0; i < 48; i++) CHECK_NEAR(v[i], v[3 * 48 + i], 1e-6);
        p.batch_size = 0;
        CHECK_STATUS(tide_lm_embed(lm, texts, NULL, 4, &p, v, &s), TIDE_ERR_USAGE);
        free(huge);
    }
    tide_lm_free(lm);
    free(dir);
}

int main(void) {
    tide_threads_set(1);
    RUN(test_safetensors);
    RUN(test_tiny_cls_bf16);
    RUN(test_minilm);
    RUN(test_config_errors);
    RUN(test_gamma_beta_names);
    RUN(test_bad_texts);
    return harness_done();
}
