/* compute.c — embed a corpus with a sentence-transformers model or TF-IDF, copying unchanged
 * rows from an earlier output (--cache), and describe the result in its manifest (see
 * tide/embed.h and docs/formats.md "Embeddings"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed-impl.h"
#include "tide/fileio.h"
#include "tide/lm.h"
#include "tide/strmap.h"
#include "tide/tfidf.h"

tide_embed_params tide_embed_params_default(void) {
    tide_embed_params p;
    memset(&p, 0, sizeof p);
    p.batch_size = 32;
    p.dim = 128;
    p.seed = 42;
    p.device = TIDE_DEVICE_CPU;
    return p;
}

const char *tide_embed_params_check(const tide_embed_params *p) {
    if (!p->model || !*p->model) return "--model is required (a model folder or 'tfidf')";
    if (p->batch_size < 1 || p->batch_size > 65536) return "--batch-size must be in 1..65536";
    int tfidf = strcmp(p->model, "tfidf") == 0;
    if (p->dim < 1 || p->dim > 65536) return "--dim must be in 1..65536";
    if (tfidf && p->cache) return "--cache needs a language model: TF-IDF vectors depend on the whole corpus";
    return NULL;
}

tide_status tide_embed_model_key(const char *dir, char *out, size_t cap) {
    const char *files[] = {"modules.json", "config.json", "sentence_bert_config.json", "tokenizer_config.json",
                           "vocab.txt", "model.safetensors", "1_Pooling/config.json"};
    uint32_t crc = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = tide_path_join(dir, files[i]);
        if (!p) return tide_error(TIDE_ERR_NOMEM, "out of memory");
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

static int blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return 0;
    return 1;
}

/* An earlier output for --cache: its vectors and a row-hash -> row dictionary. */
typedef struct {
    tide_embed_vectors v;
    tide_strmap map;
    int64_t *row;   /* strmap index -> row */
} cache_t;

static void cache_free(cache_t *cc) {
    tide_embed_vectors_free(&cc->v);
    tide_strmap_free(&cc->map);
    free(cc->row);
}

/* *usable = 0 (recompute every row, with a warning) when the earlier output was made with
 * another model or its vectors do not match its manifest (an interrupted write). */

static tide_status cache_open(const char *npy, const char *key, int dim, cache_t *cc, int *usable) {
    *usable = 0;
    int mismatch = 0;
    tide_status st = tide_embed__vectors_load_checked(npy, &cc->v, &mismatch);
    if (st && mismatch) {
        tide_log(TIDE_LOG_WARN, "--cache %s: %s; recomputing every row", npy, tide_error_message());
        return TIDE_OK;
    }
    if (st) return st;
    const cJSON *hashes = cJSON_GetObjectItem(cc->v.manifest, "row_hashes");
    if (!cJSON_IsArray(hashes) || cJSON_GetArraySize(hashes) != cc->v.rows) {
        char *m = tide_embed_sibling(npy, ".json");
        st = tide_error(TIDE_ERR_DATA, "%s: not a tide-embed manifest with one row_hashes entry per row", m ? m : npy);
        free(m);
        return st;
    }
    if (strcmp(cc->v.model_key, key) != 0) {
        tide_log(TIDE_LOG_WARN, "--cache %s: made with another model (%s, now %s); recomputing every row", npy,
                 cc->v.model_key, key);
        return TIDE_OK;
    }
    if (cc->v.dim != dim)
        return tide_error(TIDE_ERR_DATA, "%s: %d dimensions, but the model has %d", npy, cc->v.dim, dim);
    if ((st = tide_strmap_init(&cc->map, (size_t)cc->v.rows + 1))) return st;
    cc->row = malloc((size_t)(cc->v.rows ? cc->v.rows : 1) * sizeof *cc->row);
    if (!cc->row) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    int64_t r = 0;
    for (const cJSON *h = hashes->child; h; h = h->next, r++) {
        if (!cJSON_IsString(h) || strlen(h->valuestring) != 16) continue; /* null = the row had no text */
        int64_t k;
        int added;
        if ((st = tide_strmap_intern(&cc->map, h->valuestring, 16, &k, &added))) return st;
        if (added) cc->row[k] = r;
    }
    *usable = 1;
    return TIDE_OK;
}

static const char *kind_name(tide_embed_kind k) {
    return k == TIDE_EMBED_USER_TEXT ? "user_text" : k == TIDE_EMBED_ITEMS ? "items" : "lines";
}

tide_status tide_embed_compute(const tide_embed_params *p, const tide_embed_corpus *c, float **vectors, int *dim_out,
                               cJSON **manifest) {
    *vectors = NULL;
    *manifest = NULL;
    const char *why = tide_embed_params_check(p);
    if (why) return tide_error(TIDE_ERR_USAGE, "%s", why);
    int is_tfidf = strcmp(p->model, "tfidf") == 0;
    tide_status st = TIDE_OK;
    tide_lm *lm = NULL;
    cache_t cc;
    memset(&cc, 0, sizeof cc);
    int64_t n = c->n, empty = 0, cached = 0, m = 0;
    size_t nn = (size_t)(n ? n : 1);
    float *vec = NULL, *tmp = NULL;
    char(*hex)[17] = NULL;
    const char **todo = NULL;
    size_t *todo_len = NULL;
    int64_t *todo_row = NULL;
    cJSON *man = cJSON_CreateObject();
    char key[64] = "tfidf";
    int dim = p->dim;
    if (!man) return tide_error(TIDE_ERR_NOMEM, "out of memory");

    if (!is_tfidf) {
        if ((st = tide_lm_load(p->model, &lm))) goto done;
        if ((st = tide_embed_model_key(p->model, key, sizeof key))) goto done;
        dim = tide_lm_get_config(lm)->dim;
    }
    size_t cells = 0;
    if (!tide_mul_size(nn, (size_t)dim, &cells)) {
        st = tide_error(TIDE_ERR_NOMEM, "output of %lld x %d floats overflows", (long long)n, dim);
        goto done;
    }
    vec = calloc(cells, sizeof *vec);
    hex = malloc(nn * sizeof *hex);
    todo = malloc(nn * sizeof *todo);
    todo_len = malloc(nn * sizeof *todo_len);
    todo_row = malloc(nn * sizeof *todo_row);
    if (!vec || !hex || !todo || !todo_len || !todo_row) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory for %lld vectors", (long long)n);
        goto done;
    }
    int usable = 0;
    if (p->cache && (st = cache_open(p->cache, key, dim, &cc, &usable))) goto done;
    for (int64_t i = 0; i < n; i++) {
        hex[i][0] = 0;
        if (!c->text[i] || blank(c->text[i], c->len[i])) {
            empty++;
            continue;
        }
        snprintf(hex[i], 17, "%016llx", (unsigned long long)tide_hash_bytes(c->text[i], c->len[i]));
        if (usable) {
            int64_t k = tide_strmap_find(&cc.map, hex[i], 16);
            if (k >= 0) {
                memcpy(vec + i * dim, (const float *)cc.v.vectors.data + cc.row[k] * dim, (size_t)dim * sizeof *vec);
                cached++;
                continue;
            }
        }
        todo[m] = c->text[i];
        todo_len[m] = c->len[i];
        todo_row[m++] = i;
    }
    tmp = m ? malloc((size_t)m * (size_t)dim * sizeof *tmp) : NULL;
    if (m && !tmp) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    cJSON *model = cJSON_AddObjectToObject(man, "model");
    cJSON *counts = cJSON_CreateObject();
    cJSON *enc = NULL;
    if (is_tfidf) {
        tide_tfidf_params tp = tide_tfidf_params_default();
        tp.dim = dim;
        tp.seed = p->seed;
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
        lp.batch_size = p->batch_size;
        lp.device = p->device;
        tide_lm_stats ls;
        memset(&ls, 0, sizeof ls);
        if (!(st = tide_lm_embed(lm, todo, todo_len, m, &lp, tmp, &ls))) {
            const tide_lm_config *cfg = tide_lm_get_config(lm);
            cJSON_AddStringToObject(model, "type", "lm");
            cJSON_AddStringToObject(model, "path", p->model);
            cJSON_AddNumberToObject(model, "dim", cfg->dim);
            cJSON_AddNumberToObject(model, "layers", cfg->layers);
            cJSON_AddStringToObject(model, "pooling", cfg->pooling == TIDE_POOL_CLS ? "cls" : "mean");
            cJSON_AddBoolToObject(model, "normalize", cfg->normalize);
            cJSON_AddNumberToObject(model, "max_seq_length", cfg->max_seq_length);
            cJSON_AddStringToObject(model, "weight_dtype", cfg->weight_dtype);
            cJSON_AddNumberToObject(model, "batch_size", p->batch_size);
            cJSON_AddNumberToObject(counts, "truncated", (double)ls.truncated);
            cJSON_AddNumberToObject(counts, "invalid_utf8_texts", (double)ls.invalid_utf8_texts);
            cJSON_AddNumberToObject(counts, "invalid_utf8_bytes", (double)ls.invalid_utf8_bytes);
            cJSON_AddNumberToObject(counts, "tokens", (double)ls.tokens);
            enc = cJSON_AddObjectToObject(man, "encoder");
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
    if (st) {
        cJSON_Delete(counts);
        goto done;
    }
    for (int64_t j = 0; j < m; j++) memcpy(vec + todo_row[j] * dim, tmp + j * dim, (size_t)dim * sizeof *vec);
    cJSON_AddStringToObject(man, "format", "tide-embed");
    cJSON_AddNumberToObject(man, "format_version", 1);
    cJSON_AddStringToObject(man, "kind", kind_name(c->kind));
    cJSON_AddStringToObject(man, "model_key", key);
    cJSON_AddNumberToObject(man, "rows", (double)n);
    cJSON_AddNumberToObject(man, "dim", dim);
    if (c->kind != TIDE_EMBED_LINES) {
        cJSON *d = cJSON_AddObjectToObject(man, "dataset");
        cJSON_AddStringToObject(d, "path", c->dataset_path ? c->dataset_path : "");
        cJSON_AddStringToObject(d, "checksum", c->dataset_checksum);
        if (c->kind == TIDE_EMBED_ITEMS) {
            cJSON *f = cJSON_AddArrayToObject(d, "fields");
            for (int k = 0; k < c->n_fields; k++) cJSON_AddItemToArray(f, cJSON_CreateString(c->fields[k]));
        }
    } else {
        cJSON_AddStringToObject(man, "input", c->input ? c->input : "");
    }
    cJSON_AddNumberToObject(counts, "rows", (double)n);
    cJSON_AddNumberToObject(counts, "empty", (double)empty);
    cJSON_AddNumberToObject(counts, "computed", (double)m);
    cJSON_AddNumberToObject(counts, "cached", (double)cached);
    cJSON_AddItemToObject(man, "counts", counts);
    cJSON *rh = cJSON_AddArrayToObject(man, "row_hashes");
    for (int64_t i = 0; i < n; i++) cJSON_AddItemToArray(rh, hex[i][0] ? cJSON_CreateString(hex[i]) : cJSON_CreateNull());
    tide_log(TIDE_LOG_INFO, "%lld rows: %lld embedded, %lld from the cache, %lld without text (zero rows)", (long long)n,
             (long long)m, (long long)cached, (long long)empty);
    *vectors = vec;
    *dim_out = dim;
    *manifest = man;
    vec = NULL;
    man = NULL;
done:
    cJSON_Delete(man);
    free(vec);
    free(tmp);
    free(hex);
    free(todo);
    free(todo_len);
    free(todo_row);
    cache_free(&cc);
    tide_lm_free(lm);
    return st;
}
