/* tide-embed — texts to vectors: a dataset's item text (--data), its users' text events
 * (--user-text) or plain lines (--text), with a Hugging Face BERT sentence-transformers model or
 * the model-free TF-IDF + SVD embedder. Writes OUT.npy (f32 [rows, dim]) and the manifest OUT.json
 * beside it (docs/tide-embed.md, docs/formats.md); --cache reuses unchanged rows of a previous
 * output, found by the per-row content hashes its manifest holds. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/lm.h"
#include "tide/npy.h"
#include "tide/strmap.h"
#include "tide/tfidf.h"

static const char *opt_model, *opt_data, *opt_fields, *opt_text, *opt_cache, *opt_out, *opt_device = "cpu";
static int opt_user_text, opt_batch = 32, opt_dim = 128;

static const cli_opt opts[] = {
    {"model", 'm', CLI_STRING, &opt_model, "DIR|tfidf", "sentence-transformers model folder, or 'tfidf' (required)"},
    {"data", 'd', CLI_STRING, &opt_data, "DIR", "dataset directory: embed each item's text (row i = item i)"},
    {"fields", 0, CLI_STRING, &opt_fields, "A,B", "item text fields to join (default: all the dataset's text fields)"},
    {"user-text", 0, CLI_FLAG, &opt_user_text, NULL, "with --data: embed the users' text events instead of the items"},
    {"text", 't', CLI_STRING, &opt_text, "FILE|-", "embed each line of FILE (- = standard input)"},
    {"cache", 0, CLI_STRING, &opt_cache, "PREV.npy", "copy rows whose text is unchanged since this earlier output"},
    {"out", 'o', CLI_STRING, &opt_out, "OUT.npy", "output vectors; the manifest goes to OUT.json (required)"},
    {"batch-size", 'b', CLI_INT, &opt_batch, "N", "texts per encoder batch (default 32)"},
    {"dim", 0, CLI_INT, &opt_dim, "N", "tfidf: output dimensions (default 128)"},
    {"device", 0, CLI_STRING, &opt_device, "cpu", "compute device (cpu; cuda needs the CUDA backend)"},
    {0},
};

static const cli_spec spec = {
    "tide-embed",
    "embed item text, user text events or lines with a BERT sentence model or TF-IDF",
    "--model DIR|tfidf (--data DIR [--user-text] | --text FILE) --out OUT.npy [options]",
    "Outputs: OUT.npy f32 [rows, dim]; OUT.json manifest (model, counts, per-row content hashes);\n"
    "with --user-text also OUT.users.npy i32, OUT.times.npy i64, OUT.items.npy i32 (-1 = no item).\n"
    "Rows whose text is empty get zeros. Exit codes: 0 ok, 1 runtime, 2 usage, 3 bad input, 4 backend.",
    opts, 0, 0,
};

/* "x.npy" -> "x<suffix>", else "x" + suffix */
static char *sibling(const char *npy, const char *suffix) {
    size_t n = strlen(npy);
    if (n > 4 && strcmp(npy + n - 4, ".npy") == 0) n -= 4;
    char *s = malloc(n + strlen(suffix) + 1);
    if (!s) return NULL;
    memcpy(s, npy, n);
    strcpy(s + n, suffix);
    return s;
}

static int blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return 0;
    return 1;
}

/* Content key of the model: CRC-32 over its configuration, vocabulary and weights. */
static tide_status model_key(const char *dir, char *out, size_t cap) {
    const char *files[] = {"modules.json", "config.json", "sentence_bert_config.json", "tokenizer_config.json",
                           "vocab.txt", "model.safetensors", "1_Pooling/config.json"};
    uint32_t crc = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = tide_path_join(dir, files[i]);
        if (!p) return TIDE_ERR_NOMEM;
        uint32_t c = 0;
        uint64_t sz = 0;
        if (tide_path_exists(p)) {
            tide_status s = tide_file_crc32(p, &c, &sz);
            if (s) {
                free(p);
                return s;
            }
        }
        free(p);
        crc = tide_crc32(crc, &c, sizeof c);
        crc = tide_crc32(crc, &sz, sizeof sz);
    }
    snprintf(out, cap, "lm:crc32:%08x", crc);
    return TIDE_OK;
}

typedef struct {
    int64_t n;
    char **text;      /* [n] NUL-terminated (owned when owned_text) */
    size_t *len;
    int owned_text;
    int32_t *users, *items;  /* --user-text */
    int64_t *times;
} corpus;

static void corpus_free(corpus *c) {
    if (c->owned_text && c->text) /* text is NULL when its allocation failed */
        for (int64_t i = 0; i < c->n; i++) free(c->text[i]);
    free(c->text);
    free(c->len);
    free(c->users);
    free(c->items);
    free(c->times);
}

/* Item texts: the chosen fields joined by newlines (BERT treats them as whitespace). */
static tide_status items_corpus(tide_dataset *ds, cJSON *fields_out, corpus *c) {
    int nf = 0;
    char **names = NULL;
    int *sel = NULL;
    tide_status st = TIDE_OK;
    if (opt_fields) {
        names = cli_split(opt_fields, ',', &nf);
        if (!names) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    } else {
        nf = ds->n_text_fields;
    }
    sel = calloc((size_t)(nf ? nf : 1), sizeof *sel);
    if (!sel) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int f = 0; f < nf; f++) {
        if (!names) {
            sel[f] = f;
        } else {
            sel[f] = -1;
            for (int k = 0; k < ds->n_text_fields; k++)
                if (strcmp(ds->text_fields[k], names[f]) == 0) sel[f] = k;
            if (sel[f] < 0) {
                char have[512] = "";
                for (int k = 0; k < ds->n_text_fields; k++)
                    snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", k ? ", " : "", ds->text_fields[k]);
                st = tide_error(TIDE_ERR_USAGE, "--fields: the dataset has no text field '%s' (it has: %s)", names[f],
                                ds->n_text_fields ? have : "none");
                goto done;
            }
        }
        cJSON_AddItemToArray(fields_out, cJSON_CreateString(ds->text_fields[sel[f]]));
    }
    c->n = ds->n_items;
    c->owned_text = 1;
    c->text = calloc((size_t)(c->n ? c->n : 1), sizeof *c->text);
    c->len = calloc((size_t)(c->n ? c->n : 1), sizeof *c->len);
    if (!c->text || !c->len) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < c->n; i++) {
        size_t total = 0;
        for (int f = 0; f < nf; f++) {
            const char *t = ds->item_text[i * ds->n_text_fields + sel[f]];
            if (t && *t) total += strlen(t) + 1;
        }
        char *s = malloc(total + 1), *w = s;
        if (!s) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (int f = 0; f < nf; f++) {
            const char *t = ds->item_text[i * ds->n_text_fields + sel[f]];
            if (!t || !*t) continue;
            if (w != s) *w++ = '\n';
            size_t l = strlen(t);
            memcpy(w, t, l);
            w += l;
        }
        *w = 0;
        c->text[i] = s;
        c->len[i] = (size_t)(w - s);
    }
done:
    cli_free_split(names, nf);
    free(sel);
    return st;
}

static tide_status user_text_corpus(tide_dataset *ds, corpus *c) {
    c->n = ds->n_text;
    size_t n = (size_t)(c->n ? c->n : 1);
    c->text = calloc(n, sizeof *c->text);
    c->len = calloc(n, sizeof *c->len);
    c->users = malloc(n * sizeof *c->users);
    c->items = malloc(n * sizeof *c->items);
    c->times = malloc(n * sizeof *c->times);
    if (!c->text || !c->len || !c->users || !c->items || !c->times) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->text_indptr[u]; k < ds->text_indptr[u + 1]; k++) c->users[k] = (int32_t)u;
    for (int64_t k = 0; k < c->n; k++) {
        c->text[k] = ds->texts[k];
        c->len[k] = ds->texts[k] ? strlen(ds->texts[k]) : 0;
        c->items[k] = ds->text_items[k];
        c->times[k] = ds->text_times[k];
    }
    return TIDE_OK;
}

static tide_status lines_corpus(const char *path, char **buf, corpus *c) {
    size_t size = 0;
    tide_status st = tide_read_file(path, buf, &size);
    if (st) return st;
    int64_t n = 0;
    for (size_t i = 0; i < size; i++) n += (*buf)[i] == '\n';
    if (size && (*buf)[size - 1] != '\n') n++;
    c->n = n;
    c->text = calloc((size_t)(n ? n : 1), sizeof *c->text);
    c->len = calloc((size_t)(n ? n : 1), sizeof *c->len);
    if (!c->text || !c->len) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    char *s = *buf, *end = *buf + size;
    for (int64_t k = 0; k < n; k++) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        char *e = nl ? nl : end;
        if (e > s && e[-1] == '\r') e--;
        *e = 0;
        c->text[k] = s;
        c->len[k] = (size_t)(e - s);
        s = (nl ? nl : end) + 1;
    }
    return TIDE_OK;
}

static void hash_hex(const char *s, size_t n, char out[17]) {
    snprintf(out, 17, "%016llx", (unsigned long long)tide_hash_bytes(s, n));
}

/* Previous output for --cache: vectors, and a hash -> row dictionary. */
typedef struct {
    tide_npy vec;
    tide_strmap map;   /* hash hex -> strmap index */
    int64_t *row;      /* strmap index -> row */
} cache_t;

static tide_status cache_load(const char *npy, const char *key, int dim, cache_t *cc, int *usable) {
    *usable = 0;
    char *mpath = sibling(npy, ".json");
    char *text = NULL;
    size_t n = 0;
    cJSON *m = NULL;
    tide_status st = TIDE_OK;
    if (!mpath) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    if ((st = tide_read_file(mpath, &text, &n))) goto done;
    m = cJSON_Parse(text);
    const cJSON *mk = cJSON_GetObjectItem(m, "model_key"), *hashes = cJSON_GetObjectItem(m, "row_hashes");
    if (!m || !cJSON_IsString(mk) || !cJSON_IsArray(hashes)) {
        st = tide_error(TIDE_ERR_DATA, "%s: not a tide-embed manifest (needs model_key and row_hashes)", mpath);
        goto done;
    }
    if (strcmp(mk->valuestring, key) != 0) {
        tide_log(TIDE_LOG_WARN, "--cache %s: made with another model (%s, now %s); recomputing every row", npy, mk->valuestring, key);
        goto done;
    }
    if ((st = tide_npy_load_expect(npy, TIDE_DTYPE_F32, 2, &cc->vec))) goto done;
    int64_t rows = cJSON_GetArraySize(hashes);
    if (cc->vec.shape[0] != rows || cc->vec.shape[1] != dim) {
        st = tide_error(TIDE_ERR_DATA, "%s: shape [%lld, %lld] does not match its manifest (%lld rows) and the model (dim %d)", npy,
                        (long long)cc->vec.shape[0], (long long)cc->vec.shape[1], (long long)rows, dim);
        goto done;
    }
    if ((st = tide_strmap_init(&cc->map, (size_t)rows + 1))) goto done;
    cc->row = malloc((size_t)(rows ? rows : 1) * sizeof *cc->row);
    if (!cc->row) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    int64_t r = 0;
    for (const cJSON *h = hashes->child; h; h = h->next, r++) {
        if (!cJSON_IsString(h)) continue; /* null = the row had no text */
        int64_t k;
        int added;
        if ((st = tide_strmap_intern(&cc->map, h->valuestring, strlen(h->valuestring), &k, &added))) goto done;
        if (added) cc->row[k] = r;
    }
    *usable = 1;
done:
    cJSON_Delete(m);
    free(text);
    free(mpath);
    return st;
}

static tide_status write_outputs(const char *out, const float *vec, int64_t rows, int dim, const corpus *c, cJSON *man) {
    tide_status st = tide_npy_save_2d(out, TIDE_DTYPE_F32, rows, dim, vec);
    if (st) return st;
    cJSON *files = cJSON_AddObjectToObject(man, "files");
    struct {
        const char *suffix;
        tide_dtype t;
        const void *data;
    } extra[] = {{".users.npy", TIDE_DTYPE_I32, c->users}, {".times.npy", TIDE_DTYPE_I64, c->times}, {".items.npy", TIDE_DTYPE_I32, c->items}};
    const char *names[4] = {out, NULL, NULL, NULL};
    char *paths[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3 && c->users && !st; i++) {
        paths[i] = sibling(out, extra[i].suffix);
        if (!paths[i]) st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        else st = tide_npy_save_1d(paths[i], extra[i].t, rows, extra[i].data);
        names[i + 1] = paths[i];
    }
    for (int i = 0; i < 4 && !st && names[i]; i++) {
        uint32_t crc;
        uint64_t sz;
        if ((st = tide_file_crc32(names[i], &crc, &sz))) break;
        const char *base = strrchr(names[i], '/');
        cJSON *f = cJSON_AddObjectToObject(files, base ? base + 1 : names[i]);
        char hex[16];
        snprintf(hex, sizeof hex, "%08x", crc);
        cJSON_AddStringToObject(f, "crc32", hex);
        cJSON_AddNumberToObject(f, "bytes", (double)sz);
    }
    if (!st) {
        char *mpath = sibling(out, ".json");
        char *json = cJSON_Print(man);
        if (!mpath || !json) st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        else {
            size_t jl = strlen(json);
            json[jl] = '\n';
            st = tide_write_file_atomic(mpath, json, jl + 1);
        }
        free(mpath);
        free(json);
    }
    for (int i = 0; i < 3; i++) free(paths[i]);
    return st;
}

char *openblas_get_corename(void) __attribute__((weak)); /* recorded in the manifest */

int main(int argc, char **argv) {
    cli_common common;
    int rc = cli_parse(&spec, argc, argv, &common);
    if (rc >= 0) return rc;
    if ((rc = cli_blas_prepare(&spec, &common)) >= 0) return rc;
    if (!opt_model) return cli_usage_error(&spec, "--model is required (a model folder or 'tfidf')");
    if (!opt_out) return cli_usage_error(&spec, "--out is required");
    if (!!opt_data + !!opt_text != 1) return cli_usage_error(&spec, "give exactly one of --data and --text");
    if (opt_user_text && !opt_data) return cli_usage_error(&spec, "--user-text needs --data");
    if (opt_fields && (!opt_data || opt_user_text)) return cli_usage_error(&spec, "--fields applies to --data item text");
    if (opt_batch < 1 || opt_batch > 65536) return cli_usage_error(&spec, "--batch-size must be in 1..65536");
    if (strcmp(opt_out, "-") == 0) return cli_usage_error(&spec, "--out must be a file (.npy), not standard output");
    int is_tfidf = strcmp(opt_model, "tfidf") == 0;
    if (is_tfidf && opt_cache)
        return cli_usage_error(&spec, "--cache needs a language model: TF-IDF vectors depend on the whole corpus");
    tide_device dev;
    tide_status st = tide_device_parse(opt_device, &dev);
    if (st) return cli_fail(&spec, st);

    tide_dataset ds;
    memset(&ds, 0, sizeof ds);
    corpus c;
    memset(&c, 0, sizeof c);
    cache_t cc;
    memset(&cc, 0, sizeof cc);
    tide_lm *lm = NULL;
    char *linebuf = NULL;
    float *vec = NULL;
    char **hashes = NULL;
    cJSON *man = cJSON_CreateObject(), *fields = cJSON_CreateArray();
    double t0 = tide_now();
    int dim = 0;
    char key[64] = "tfidf";

    if (!is_tfidf) {
        if ((st = tide_lm_load(opt_model, &lm))) goto done;
        if ((st = model_key(opt_model, key, sizeof key))) goto done;
        dim = tide_lm_get_config(lm)->dim;
    } else {
        dim = opt_dim;
    }
    if (opt_data) {
        if ((st = tide_dataset_load(opt_data, &ds))) goto done;
        st = opt_user_text ? user_text_corpus(&ds, &c) : items_corpus(&ds, fields, &c);
    } else {
        st = lines_corpus(opt_text, &linebuf, &c);
    }
    if (st) goto done;

    int64_t n = c.n, empty = 0, cached = 0;
    size_t cells = 0;
    if (!tide_mul_size((size_t)(n ? n : 1), (size_t)dim, &cells)) {
        st = tide_error(TIDE_ERR_NOMEM, "output of %lld x %d floats overflows", (long long)n, dim);
        goto done;
    }
    vec = calloc(cells, sizeof *vec);
    hashes = calloc((size_t)(n ? n : 1), sizeof *hashes);
    char (*hex)[17] = malloc((size_t)(n ? n : 1) * sizeof *hex);
    const char **todo = malloc((size_t)(n ? n : 1) * sizeof *todo);
    size_t *todo_len = malloc((size_t)(n ? n : 1) * sizeof *todo_len);
    int64_t *todo_row = malloc((size_t)(n ? n : 1) * sizeof *todo_row);
    if (!vec || !hashes || !hex || !todo || !todo_len || !todo_row) {
        free(hex);
        free(todo);
        free(todo_len);
        free(todo_row);
        st = tide_error(TIDE_ERR_NOMEM, "out of memory for %lld vectors", (long long)n);
        goto done;
    }
    int usable = 0;
    if (opt_cache && (st = cache_load(opt_cache, key, dim, &cc, &usable))) {
        free(hex);
        free(todo);
        free(todo_len);
        free(todo_row);
        goto done;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!c.text[i] || blank(c.text[i], c.len[i])) {
            empty++;
            continue;
        }
        hash_hex(c.text[i], c.len[i], hex[i]);
        hashes[i] = hex[i];
        if (usable) {
            int64_t k = tide_strmap_find(&cc.map, hex[i], 16);
            if (k >= 0) {
                memcpy(vec + i * dim, (const float *)cc.vec.data + cc.row[k] * dim, (size_t)dim * sizeof *vec);
                cached++;
                continue;
            }
        }
        todo[m] = c.text[i];
        todo_len[m] = c.len[i];
        todo_row[m++] = i;
    }
    float *tmp = m ? malloc((size_t)m * (size_t)dim * sizeof *tmp) : NULL;
    cJSON *model = cJSON_AddObjectToObject(man, "model");
    cJSON *counts = cJSON_CreateObject();
    if (m && !tmp) st = tide_error(TIDE_ERR_NOMEM, "out of memory");
    else if (is_tfidf) {
        tide_tfidf_params tp = tide_tfidf_params_default();
        tp.dim = dim;
        tp.seed = common.seed;
        tide_tfidf_stats ts;
        if (!(st = tide_tfidf_embed(todo, todo_len, m, &tp, tmp, &ts))) {
            cJSON_AddStringToObject(model, "type", "tfidf");
            cJSON_AddNumberToObject(model, "dim", dim);
            cJSON_AddNumberToObject(model, "rank", ts.rank);
            cJSON_AddNumberToObject(model, "terms", (double)ts.terms);
            cJSON_AddNumberToObject(model, "min_df", tp.min_df);
            cJSON_AddNumberToObject(model, "max_df", tp.max_df);
            cJSON_AddNumberToObject(model, "seed", (double)tp.seed);
            cJSON_AddNumberToObject(model, "explained_variance", ts.explained);
            cJSON_AddNumberToObject(counts, "no_terms", (double)ts.empty);
            tide_log(TIDE_LOG_INFO, "tfidf: %lld texts, %lld terms, rank %d, %.1f%% of the squared norm kept", (long long)m,
                     (long long)ts.terms, ts.rank, 100 * ts.explained);
        }
    } else {
        tide_lm_params lp = tide_lm_params_default();
        lp.batch_size = opt_batch;
        lp.device = dev;
        tide_lm_stats ls;
        memset(&ls, 0, sizeof ls);
        if (!(st = tide_lm_embed(lm, todo, todo_len, m, &lp, tmp, &ls))) {
            const tide_lm_config *cfg = tide_lm_get_config(lm);
            cJSON_AddStringToObject(model, "type", "lm");
            cJSON_AddStringToObject(model, "path", opt_model);
            cJSON_AddNumberToObject(model, "dim", cfg->dim);
            cJSON_AddNumberToObject(model, "layers", cfg->layers);
            cJSON_AddStringToObject(model, "pooling", cfg->pooling == TIDE_POOL_CLS ? "cls" : "mean");
            cJSON_AddBoolToObject(model, "normalize", cfg->normalize);
            cJSON_AddNumberToObject(model, "max_seq_length", cfg->max_seq_length);
            cJSON_AddStringToObject(model, "weight_dtype", cfg->weight_dtype);
            cJSON_AddNumberToObject(model, "batch_size", opt_batch);
            cJSON_AddNumberToObject(counts, "truncated", (double)ls.truncated);
            cJSON_AddNumberToObject(counts, "invalid_utf8_texts", (double)ls.invalid_utf8_texts);
            cJSON_AddNumberToObject(counts, "invalid_utf8_bytes", (double)ls.invalid_utf8_bytes);
            cJSON_AddNumberToObject(counts, "tokens", (double)ls.tokens);
            cJSON *enc = cJSON_AddObjectToObject(man, "encoder");
            cJSON_AddNumberToObject(enc, "seconds", ls.seconds);
            cJSON_AddNumberToObject(enc, "gflop", ls.flops * 1e-9);
            if (ls.matmul) cJSON_AddStringToObject(enc, "matmul", ls.matmul);
            if (ls.invalid_utf8_texts)
                tide_log(TIDE_LOG_WARN, "%lld texts held invalid UTF-8 (%lld bytes replaced)", (long long)ls.invalid_utf8_texts,
                         (long long)ls.invalid_utf8_bytes);
            if (ls.truncated)
                tide_log(TIDE_LOG_INFO, "%lld texts were truncated to %d tokens", (long long)ls.truncated, cfg->max_seq_length);
            tide_log(TIDE_LOG_INFO, "embedded %lld texts in %.2f s (%.0f texts/s, %.1f GFLOP/s)", (long long)m, ls.seconds,
                     ls.seconds > 0 ? m / ls.seconds : 0, ls.seconds > 0 ? ls.flops / ls.seconds * 1e-9 : 0);
        }
    }
    for (int64_t j = 0; !st && j < m; j++) memcpy(vec + todo_row[j] * dim, tmp + j * dim, (size_t)dim * sizeof *vec);
    free(tmp);
    free(todo);
    free(todo_len);
    free(todo_row);
    if (st) {
        cJSON_Delete(counts);
        free(hex);
        goto done;
    }
    cJSON_AddStringToObject(man, "format", "tide-embed");
    cJSON_AddNumberToObject(man, "format_version", 1);
    cJSON_AddStringToObject(man, "kind", opt_user_text ? "user_text" : opt_data ? "items" : "lines");
    cJSON_AddStringToObject(man, "model_key", key);
    cJSON_AddNumberToObject(man, "rows", (double)n);
    cJSON_AddNumberToObject(man, "dim", dim);
    if (opt_data) {
        cJSON *d = cJSON_AddObjectToObject(man, "dataset");
        cJSON_AddStringToObject(d, "path", opt_data);
        cJSON_AddStringToObject(d, "checksum", ds.checksum);
        if (!opt_user_text) cJSON_AddItemToObject(d, "fields", fields);
        else cJSON_Delete(fields);
        fields = NULL;
    } else {
        cJSON_AddStringToObject(man, "input", opt_text);
    }
    cJSON_AddNumberToObject(counts, "rows", (double)n);
    cJSON_AddNumberToObject(counts, "empty", (double)empty);
    cJSON_AddNumberToObject(counts, "computed", (double)m);
    cJSON_AddNumberToObject(counts, "cached", (double)cached);
    cJSON_AddItemToObject(man, "counts", counts);
    cJSON_AddNumberToObject(man, "seconds", tide_now() - t0);
    cJSON_AddNumberToObject(man, "threads", common.threads);
    cJSON_AddStringToObject(man, "tide_version", tide_version());
    if (openblas_get_corename) cJSON_AddStringToObject(man, "blas_core", openblas_get_corename());
    cJSON *cmd = cJSON_AddArrayToObject(man, "command");
    for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    cJSON *rh = cJSON_AddArrayToObject(man, "row_hashes");
    for (int64_t i = 0; i < n; i++) cJSON_AddItemToArray(rh, hashes[i] ? cJSON_CreateString(hashes[i]) : cJSON_CreateNull());
    free(hex);
    tide_log(TIDE_LOG_INFO, "%lld rows: %lld embedded, %lld from the cache, %lld without text (zero rows)", (long long)n, (long long)m,
             (long long)cached, (long long)empty);
    st = write_outputs(opt_out, vec, n, dim, &c, man);
done:
    cJSON_Delete(man);
    cJSON_Delete(fields);
    free(vec);
    free(hashes);
    free(linebuf);
    tide_npy_free(&cc.vec);
    tide_strmap_free(&cc.map);
    free(cc.row);
    corpus_free(&c);
    tide_dataset_free(&ds);
    tide_lm_free(lm);
    if (st) return cli_fail(&spec, st);
    return cli_finish(&spec, 0);
}
