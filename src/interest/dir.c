/* dir.c — the interest dir: manifest.json (format "tide-interest", the settings with every
 * combiner weight, the dataset's checksum, as-of, the tuning report) plus .npy arrays: the
 * per-user states (row = dataset user) and the item side the scoring needs (EASE, kNN,
 * transitions, ALS item factors, TF-IDF and LM item vectors, popularity events, categories).
 * Written atomically as a directory; loading checks every shape. Also the --summary writer. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tide/fileio.h"
#include "tide/interest.h"
#include "tide/manifest.h"
#include "tide/npy.h"

#define K TIDE_INTEREST_MAX_K

/* tide_npy_save with the all-zero 4 KiB blocks of the file left as holes: the same bytes read
 * back, but most of the per-user state is zeros (centroid slots beyond a user's clusters, the
 * words of users without text), and writing it was most of an --update's time. */
static tide_status save_sparse(const char *path, tide_dtype dtype, int nd, const int64_t *shape, const void *data) {
    char hdr[1024];
    size_t bytes = tide_dtype_size(dtype);
    for (int i = 0; i < nd; i++) bytes *= (size_t)shape[i];
    size_t hl = tide_npy_header(hdr, sizeof hdr, dtype, nd, shape);
    if (!hl) return tide_npy_save(path, dtype, nd, shape, data);
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st) return st;
    int fd = fileno(f.fp);
    const unsigned char *b = data;
    int ok = fwrite(hdr, 1, hl, f.fp) == hl && fflush(f.fp) == 0;
    size_t total = hl + bytes, off = hl;   /* file offsets */
    while (ok && off < total) {
        /* a run of non-zero blocks, then a run of zero blocks (block = 4 KiB of the file) */
        size_t a = off;
        while (off < total) {
            size_t e = (off / 4096 + 1) * 4096;
            if (e > total) e = total;
            const unsigned char *q = b + (off - hl);
            size_t n = e - off, z = 0;
            while (z < n && q[z] == 0) z++;
            if (z == n && n == 4096) break;   /* a whole zero block: a hole */
            off = e;
        }
        for (size_t w = a; ok && w < off;) {
            ssize_t r = pwrite(fd, b + (w - hl), off - w, (off_t)w);
            if (r <= 0) ok = 0;
            else w += (size_t)r;
        }
        while (ok && off < total && off + 4096 <= total) {
            const unsigned char *q = b + (off - hl);
            size_t z = 0;
            while (z < 4096 && q[z] == 0) z++;
            if (z < 4096) break;
            off += 4096;
        }
    }
    if (ok && ftruncate(fd, (off_t)total) != 0) ok = 0;
    if (ok && fseeko(f.fp, (off_t)total, SEEK_SET) != 0) ok = 0;
    if (!ok) {
        st = tide_error(TIDE_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        tide_atomic_abort(&f);
        return st;
    }
    return tide_atomic_commit(&f);
}

tide_status tide_interest_dir_save(const char *dir, const tide_interest_items *it, const tide_interest_params *p,
                                   const tide_interest_states *S, const tide_interest_dir_info *info) {
    tide_status st = TIDE_OK;
    tide_atomic_dir d;
    char *path = NULL;
    cJSON *man = cJSON_CreateObject();
    if (!man) return TIDE_ERR_NOMEM;
    if ((st = tide_atomic_dir_begin(&d, dir))) { cJSON_Delete(man); return st; }
    cJSON_AddStringToObject(man, "format", "tide-interest");
    cJSON_AddNumberToObject(man, "format_version", 1);
    cJSON_AddStringToObject(man, "algorithm", "interest");
    cJSON_AddItemToObject(man, "settings", tide_interest_params_to_json(p));
    cJSON *ds = cJSON_AddObjectToObject(man, "dataset");
    cJSON_AddStringToObject(ds, "path", info && info->dataset_path ? info->dataset_path : "");
    cJSON_AddStringToObject(ds, "checksum", info && info->dataset_checksum ? info->dataset_checksum : "");
    cJSON_AddNumberToObject(ds, "users", (double)S->n_users);
    cJSON_AddNumberToObject(ds, "items", (double)it->n_items);
    cJSON *ao = cJSON_AddObjectToObject(man, "as_of");
    cJSON_AddStringToObject(ao, "mode", info && info->as_of == INT64_MIN ? "user" : "time");
    if (info && info->as_of != INT64_MIN) cJSON_AddNumberToObject(ao, "time", (double)info->as_of);
    if (info && info->as_of_text) cJSON_AddStringToObject(ao, "given", info->as_of_text);
    cJSON *dims = cJSON_AddObjectToObject(man, "dims");
    cJSON_AddNumberToObject(dims, "als_factors", it->als_k);
    cJSON_AddNumberToObject(dims, "lm", it->lm_dim);
    cJSON_AddNumberToObject(dims, "space", it->sp_dim);
    cJSON_AddStringToObject(man, "space", it->sp == it->lm && it->lm ? "lm" : it->sp ? "tfidf" : "none");
    cJSON_AddNumberToObject(dims, "tfidf", it->tfidf_dim);
    cJSON_AddNumberToObject(dims, "max_clusters", K);
    if (info && info->item_vectors_path) cJSON_AddStringToObject(man, "item_vectors", info->item_vectors_path);
    if (info && info->tune_report) cJSON_AddItemToObject(man, "tuning", cJSON_Duplicate(info->tune_report, 1));
    cJSON *arr = cJSON_AddObjectToObject(man, "arrays");
    if (info && info->extra) {
        const cJSON *e;
        cJSON_ArrayForEach(e, info->extra) cJSON_AddItemToObject(man, e->string, cJSON_Duplicate(e, 1));
    }
    int64_t N = it->n_items, U = S->n_users;
#define ARR(name, dtype, nd, a, b, c, data)                                                        \
    do {                                                                                           \
        free(path);                                                                                \
        if (!(path = tide_atomic_dir_file(&d, name ".npy"))) { st = TIDE_ERR_NOMEM; goto fail; }  \
        int64_t shape_[3] = {(a), (b), (c)};                                                       \
        if ((st = save_sparse(path, dtype, nd, shape_, data))) goto fail;                          \
        cJSON_AddStringToObject(arr, name, name ".npy");                                           \
    } while (0)
    /* per-user state */
    if (S->als_k) {
        ARR("long_cf", TIDE_DTYPE_F32, 2, U, S->als_k, 0, S->long_cf);
        ARR("short_cf", TIDE_DTYPE_F32, 2, U, S->als_k, 0, S->short_cf);
    }
    if (S->lm_dim) {
        ARR("short_lm", TIDE_DTYPE_F32, 2, U, S->lm_dim, 0, S->short_lm);
        ARR("long_lm", TIDE_DTYPE_F32, 2, U, S->lm_dim, 0, S->long_lm);
        ARR("words_lm", TIDE_DTYPE_F32, 2, U, S->lm_dim, 0, S->words_lm);
        ARR("centroids", TIDE_DTYPE_F32, 3, U, K, S->lm_dim, S->centroids);
    }
    ARR("n_clusters", TIDE_DTYPE_I32, 1, U, 0, 0, S->n_clusters);
    ARR("cluster_strength", TIDE_DTYPE_F32, 2, U, K, 0, S->strength);
    ARR("cluster_last_active", TIDE_DTYPE_I64, 2, U, K, 0, S->last_active);
    ARR("cluster_size", TIDE_DTYPE_I32, 2, U, K, 0, S->cluster_size);
    ARR("cluster_items", TIDE_DTYPE_I32, 3, U, K, 3, S->top_items);
    ARR("cluster_categories", TIDE_DTYPE_I32, 3, U, K, 2, S->cats);
    ARR("drift", TIDE_DTYPE_F32, 1, U, 0, 0, S->drift);
    ARR("drift_cf", TIDE_DTYPE_F32, 1, U, 0, 0, S->drift_cf);
    ARR("last_time", TIDE_DTYPE_I64, 1, U, 0, 0, S->last_time);
    ARR("n_events", TIDE_DTYPE_I64, 1, U, 0, 0, S->n_events);
    ARR("n_text", TIDE_DTYPE_I64, 1, U, 0, 0, S->n_text);
    /* item side: linked from info->item_side_from where it can be (an update's PREV holds the
     * same bytes; rewriting them was a fifth of an update's output at 100k items) */
#undef ARR
#define ARR(name, dtype, nd, a, b, c, data)                                                        \
    do {                                                                                           \
        free(path);                                                                                \
        if (!(path = tide_atomic_dir_file(&d, name ".npy"))) { st = TIDE_ERR_NOMEM; goto fail; }  \
        char *src_ = info && info->item_side_from ? tide_path_join(info->item_side_from, name ".npy") : NULL; \
        int linked_ = src_ && link(src_, path) == 0;                                               \
        free(src_);                                                                                \
        int64_t shape_[3] = {(a), (b), (c)};                                                       \
        if (!linked_ && (st = tide_npy_save(path, dtype, nd, shape_, data))) goto fail;            \
        cJSON_AddStringToObject(arr, name, name ".npy");                                           \
    } while (0)
    if (it->ease) ARR("item_matrix", TIDE_DTYPE_F32, 2, N, N, 0, it->ease);
    if (it->sess) ARR("session_matrix", TIDE_DTYPE_F32, 2, N, N, 0, it->sess);
    if (it->knn_indptr) {
        ARR("knn_indptr", TIDE_DTYPE_I64, 1, N + 1, 0, 0, it->knn_indptr);
        ARR("knn_items", TIDE_DTYPE_I32, 1, it->knn_indptr[N], 0, 0, it->knn_items);
        ARR("knn_sims", TIDE_DTYPE_F32, 1, it->knn_indptr[N], 0, 0, it->knn_sims);
    }
    if (it->tr_indptr) {
        ARR("trans_indptr", TIDE_DTYPE_I64, 1, N + 1, 0, 0, it->tr_indptr);
        ARR("trans_items", TIDE_DTYPE_I32, 1, it->tr_indptr[N], 0, 0, it->tr_items);
        ARR("trans_probs", TIDE_DTYPE_F32, 1, it->tr_indptr[N], 0, 0, it->tr_probs);
    }
    if (it->als_items) ARR("als_item_factors", TIDE_DTYPE_F32, 2, N, it->als_k, 0, it->als_items);
    if (it->cold_map) {
        /* the LM -> CF map (rows: LM dims, then the intercept); als_item_factors already holds
         * the mapped rows of the items without interactions */
        ARR("cold_map", TIDE_DTYPE_F32, 2, it->lm_dim + 1, it->als_k, 0, it->cold_map);
        cJSON *cm = cJSON_AddObjectToObject(man, "cold_map");
        cJSON_AddNumberToObject(cm, "lambda", it->cold_lambda);
        cJSON_AddStringToObject(cm, "lambda_chosen_by", isnan(it->cold_holdout_r2) ? "given" : "held-out items (every 5th item with interactions), best R2");
        if (!isnan(it->cold_holdout_r2)) cJSON_AddNumberToObject(cm, "holdout_r2", it->cold_holdout_r2);
        cJSON_AddNumberToObject(cm, "items_fitted", (double)it->cold_fit);
        cJSON_AddNumberToObject(cm, "cold_items_mapped", (double)it->cold_mapped);
        cJSON_AddNumberToObject(cm, "cold_items_without_text", (double)it->cold_textless);
    }
    if (it->tfidf) ARR("tfidf_items", TIDE_DTYPE_F32, 2, N, it->tfidf_dim, 0, it->tfidf);
    if (it->lm) ARR("lm_items", TIDE_DTYPE_F32, 2, N, it->lm_dim, 0, it->lm);
    if (it->pop_indptr) {
        ARR("pop_indptr", TIDE_DTYPE_I64, 1, N + 1, 0, 0, it->pop_indptr);
        ARR("pop_times", TIDE_DTYPE_I64, 1, it->pop_indptr[N], 0, 0, it->pop_times);
        ARR("pop_weights", TIDE_DTYPE_F32, 1, it->pop_indptr[N], 0, 0, it->pop_weights);
    }
    if (it->cat_indptr) {
        ARR("category_indptr", TIDE_DTYPE_I64, 1, N + 1, 0, 0, it->cat_indptr);
        ARR("category_ids", TIDE_DTYPE_I32, 1, it->cat_indptr[N], 0, 0, it->cat_ids);
        cJSON *cn = cJSON_AddArrayToObject(man, "categories");
        for (int c = 0; c < it->n_cats; c++) cJSON_AddItemToArray(cn, cJSON_CreateString(it->cat_names[c]));
    }
#undef ARR
    /* per-file checksums for tide verify, the manifest, the commit */
    if ((st = tide_manifest_commit_dir(&d, man))) goto fail;
    free(path);
    cJSON_Delete(man);
    return TIDE_OK;
fail:
    tide_atomic_dir_abort(&d);
    free(path);
    cJSON_Delete(man);
    return st;
}

/* Load DIR/name.npy (dtype, rank, shape checked; -1 = any) into a malloc'ed copy. Absent and
 * optional: *out = NULL. */
static tide_status load_arr(const char *dir, const char *name, tide_dtype dt, int nd, int64_t a, int64_t b, int64_t c,
                            int optional, void **out, int64_t *rows) {
    *out = NULL;
    char file[256];
    snprintf(file, sizeof file, "%s.npy", name);
    char *path = tide_path_join(dir, file);
    if (!path) return TIDE_ERR_NOMEM;
    if (!tide_path_exists(path) && optional) { free(path); return TIDE_OK; }
    tide_npy x;
    tide_status st = tide_npy_load_expect(path, dt, nd, &x);
    if (!st) {
        int64_t want[3] = {a, b, c};
        for (int k = 0; k < nd; k++)
            if (want[k] >= 0 && x.shape[k] != want[k])
                st = tide_error(TIDE_ERR_DATA, "%s: dimension %d is %lld, expected %lld", path, k, (long long)x.shape[k],
                                (long long)want[k]);
        if (!st) {
            size_t n = tide_dtype_size(dt);
            for (int k = 0; k < nd; k++) n *= (size_t)x.shape[k];
            *out = tide_malloc(n + 1);
            if (!*out) st = TIDE_ERR_NOMEM;
            else memcpy(*out, x.data, n);
            if (rows) *rows = x.shape[0];
        }
        tide_npy_free(&x);
    }
    free(path);
    return st;
}

/* An integer key of the manifest ("where"."key"), typed as tide/manifest.h asks: absent gives
 * `def`; present with another type or outside [lo, hi] is bad data, never a cast of whatever
 * number is there (a count of 4e31 cast to int64 is undefined behaviour: fuzz-interest). */
static tide_status jint(const char *mpath, const cJSON *m, const char *where, const char *key, int64_t lo, int64_t hi,
                        int64_t def, int64_t *out) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(m, where);
    *out = def;
    if (o && !cJSON_IsObject(o)) return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be a JSON object", mpath, where);
    return tide_manifest_int(mpath, o, where, key, lo, hi, out, NULL);
}

/* The counts that size the state arrays allocated before they are read must be what an array on
 * disk holds: DIR/name.npy's first `nd` dimensions are `want` (so no manifest can ask for more
 * memory than its files hold). */
static tide_status check_dims(const char *dir, const char *name, tide_dtype dt, int nd, const int64_t *want) {
    char file[256];
    snprintf(file, sizeof file, "%s.npy", name);
    char *path = tide_path_join(dir, file);
    if (!path) return TIDE_ERR_NOMEM;
    tide_npy x;
    tide_status st = tide_npy_load_expect(path, dt, nd, &x);
    if (!st) {
        for (int k = 0; k < nd && !st; k++)
            if (x.shape[k] != want[k])
                st = tide_error(TIDE_ERR_DATA, "%s: dimension %d is %lld, the manifest's counts give %lld", path, k,
                                (long long)x.shape[k], (long long)want[k]);
        tide_npy_free(&x);
    }
    free(path);
    return st;
}

tide_status tide_interest_manifest_read(const char *dir, char **path, cJSON **manifest) {
    char *buf = NULL;
    size_t len = 0;
    *manifest = NULL;
    if (!(*path = tide_path_join(dir, "manifest.json"))) return TIDE_ERR_NOMEM;
    tide_status st = tide_read_file(*path, &buf, &len);
    cJSON *m = st ? NULL : cJSON_ParseWithLength(buf, len);
    free(buf);
    const cJSON *fmt = m ? cJSON_GetObjectItemCaseSensitive(m, "format") : NULL;
    if (!st && (!m || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "tide-interest") != 0))
        st = tide_error(TIDE_ERR_DATA, "%s: not an interest dir (format \"tide-interest\")", *path);
    if (st) {
        cJSON_Delete(m);
        free(*path);
        *path = NULL;
        return st;
    }
    *manifest = m;
    return TIDE_OK;
}

tide_status tide_interest_dir_load(const char *dir, tide_interest_items *it, tide_interest_params *p,
                                   tide_interest_states *S, cJSON **manifest) {
    memset(it, 0, sizeof *it);
    memset(S, 0, sizeof *S);
    if (manifest) *manifest = NULL;
    char *path;
    cJSON *m;
    tide_status st = tide_interest_manifest_read(dir, &path, &m);
    if (st) return st;
    *p = tide_interest_params_default();
    if ((st = tide_interest_params_from_json(cJSON_GetObjectItemCaseSensitive(m, "settings"), p))) {
        tide_error_prefix("%s: ", path);
        goto fail;
    }
    int64_t U, N, k64, dl64, dt64, d64, maxk, t_asof;
    if ((st = jint(path, m, "dataset", "users", 0, INT32_MAX, -1, &U)) ||
        (st = jint(path, m, "dataset", "items", 0, INT32_MAX - 1, -1, &N)) ||
        (st = jint(path, m, "dims", "als_factors", 0, 1 << 16, 0, &k64)) ||
        (st = jint(path, m, "dims", "lm", 0, 1 << 20, 0, &dl64)) || (st = jint(path, m, "dims", "tfidf", 0, 1 << 20, 0, &dt64)) ||
        (st = jint(path, m, "dims", "space", 0, 1 << 20, 0, &d64)) ||
        (st = jint(path, m, "dims", "max_clusters", K, K, -1, &maxk)) ||
        /* read as int64 by the scorer and --update: a time, not any number */
        (st = jint(path, m, "as_of", "time", -((int64_t)1 << 62), (int64_t)1 << 62, 0, &t_asof)))
        goto fail;
    int k = (int)k64, dl = (int)dl64, dt = (int)dt64, d = (int)d64;
    if (U < 0 || N < 0 || maxk != K) {
        st = tide_error(TIDE_ERR_DATA, "%s: \"dataset\" needs \"users\" and \"items\", \"dims\" \"max_clusters\" %d", path, K);
        goto fail;
    }
    it->n_items = N;
    {
        int64_t w1[1] = {U}, wk[2] = {U, k}, wd[2] = {U, d};
        if ((st = check_dims(dir, "n_events", TIDE_DTYPE_I64, 1, w1)) || (k && (st = check_dims(dir, "long_cf", TIDE_DTYPE_F32, 2, wk))) ||
            (d && (st = check_dims(dir, "short_lm", TIDE_DTYPE_F32, 2, wd))))
            goto fail;
    }
    if ((st = tide_interest_states_alloc(S, U, k, d))) goto fail;
#define LOAD(name, dt_, nd, a, b, c, opt, field)                                                    \
    do {                                                                                            \
        void *x_ = NULL;                                                                            \
        if ((st = load_arr(dir, name, dt_, nd, a, b, c, opt, &x_, NULL))) goto fail;                \
        if (x_) { free(field); field = x_; }                                                        \
    } while (0)
    if (k) {
        LOAD("long_cf", TIDE_DTYPE_F32, 2, U, k, 0, 0, S->long_cf);
        LOAD("short_cf", TIDE_DTYPE_F32, 2, U, k, 0, 0, S->short_cf);
    }
    if (d) {
        LOAD("short_lm", TIDE_DTYPE_F32, 2, U, d, 0, 0, S->short_lm);
        LOAD("long_lm", TIDE_DTYPE_F32, 2, U, d, 0, 0, S->long_lm);
        LOAD("words_lm", TIDE_DTYPE_F32, 2, U, d, 0, 0, S->words_lm);
        LOAD("centroids", TIDE_DTYPE_F32, 3, U, K, d, 0, S->centroids);
    }
    LOAD("n_clusters", TIDE_DTYPE_I32, 1, U, 0, 0, 0, S->n_clusters);
    LOAD("cluster_strength", TIDE_DTYPE_F32, 2, U, K, 0, 0, S->strength);
    LOAD("cluster_last_active", TIDE_DTYPE_I64, 2, U, K, 0, 0, S->last_active);
    LOAD("cluster_size", TIDE_DTYPE_I32, 2, U, K, 0, 0, S->cluster_size);
    LOAD("cluster_items", TIDE_DTYPE_I32, 3, U, K, 3, 0, S->top_items);
    LOAD("cluster_categories", TIDE_DTYPE_I32, 3, U, K, 2, 0, S->cats);
    LOAD("drift", TIDE_DTYPE_F32, 1, U, 0, 0, 0, S->drift);
    LOAD("drift_cf", TIDE_DTYPE_F32, 1, U, 0, 0, 0, S->drift_cf);
    LOAD("last_time", TIDE_DTYPE_I64, 1, U, 0, 0, 0, S->last_time);
    LOAD("n_events", TIDE_DTYPE_I64, 1, U, 0, 0, 0, S->n_events);
    LOAD("n_text", TIDE_DTYPE_I64, 1, U, 0, 0, 0, S->n_text);
    {
        void *e = NULL;
        if ((st = load_arr(dir, "item_matrix", TIDE_DTYPE_F32, 2, N, N, 0, 1, &e, NULL))) goto fail;
        it->ease = e;
        it->own_ease = e != NULL;
    }
    {
        void *e = NULL;
        if ((st = load_arr(dir, "session_matrix", TIDE_DTYPE_F32, 2, N, N, 0, 1, &e, NULL))) goto fail;
        it->sess = e;
    }
    LOAD("knn_indptr", TIDE_DTYPE_I64, 1, N + 1, 0, 0, 1, it->knn_indptr);
    if (it->knn_indptr) {
        LOAD("knn_items", TIDE_DTYPE_I32, 1, it->knn_indptr[N], 0, 0, 0, it->knn_items);
        LOAD("knn_sims", TIDE_DTYPE_F32, 1, it->knn_indptr[N], 0, 0, 0, it->knn_sims);
    }
    LOAD("trans_indptr", TIDE_DTYPE_I64, 1, N + 1, 0, 0, 1, it->tr_indptr);
    if (it->tr_indptr) {
        LOAD("trans_items", TIDE_DTYPE_I32, 1, it->tr_indptr[N], 0, 0, 0, it->tr_items);
        LOAD("trans_probs", TIDE_DTYPE_F32, 1, it->tr_indptr[N], 0, 0, 0, it->tr_probs);
    }
    if (k) {
        LOAD("als_item_factors", TIDE_DTYPE_F32, 2, N, k, 0, 1, it->als_items);
        if (it->als_items) {
            it->als_k = k;
            it->als_params = tide_mf_params_default(TIDE_MF_ALS);
            it->als_params.factors = k;
            it->als_params.regularization = p->als_regularization;
            it->als_params.alpha = p->als_alpha;
            it->als_gram = tide_malloc((size_t)k * k * sizeof *it->als_gram);
            if (!it->als_gram) { st = TIDE_ERR_NOMEM; goto fail; }
            if ((st = tide_als_gram(it->als_items, N, k, p->als_regularization, it->als_gram))) goto fail;
        }
    }
    if (k && dl && it->als_items) {
        LOAD("cold_map", TIDE_DTYPE_F32, 2, dl + 1, k, 0, 1, it->cold_map);
        if (it->cold_map) {
            const cJSON *cm = cJSON_GetObjectItemCaseSensitive(m, "cold_map"), *x;
            if ((x = cJSON_GetObjectItemCaseSensitive(cm, "lambda")) && cJSON_IsNumber(x)) it->cold_lambda = x->valuedouble;
            x = cJSON_GetObjectItemCaseSensitive(cm, "holdout_r2");
            it->cold_holdout_r2 = cJSON_IsNumber(x) ? x->valuedouble : NAN;
            if ((st = jint(path, m, "cold_map", "items_fitted", 0, INT32_MAX, 0, &it->cold_fit)) ||
                (st = jint(path, m, "cold_map", "cold_items_mapped", 0, INT32_MAX, 0, &it->cold_mapped)) ||
                (st = jint(path, m, "cold_map", "cold_items_without_text", 0, INT32_MAX, 0, &it->cold_textless)))
                goto fail;
        }
    }
    if (dt) {
        LOAD("tfidf_items", TIDE_DTYPE_F32, 2, N, dt, 0, 1, it->tfidf);
        if (it->tfidf) it->tfidf_dim = dt;
    }
    if (dl) {
        LOAD("lm_items", TIDE_DTYPE_F32, 2, N, dl, 0, 1, it->lm);
        if (it->lm) it->lm_dim = dl;
    }
    if (it->lm) { it->sp = it->lm; it->sp_dim = it->lm_dim; }
    else if (it->tfidf) { it->sp = it->tfidf; it->sp_dim = it->tfidf_dim; }
    if (it->sp_dim != d) { st = tide_error(TIDE_ERR_DATA, "%s: \"dims\" space %d does not match the item vectors", path, d); goto fail; }
    LOAD("pop_indptr", TIDE_DTYPE_I64, 1, N + 1, 0, 0, 1, it->pop_indptr);
    if (it->pop_indptr) {
        LOAD("pop_times", TIDE_DTYPE_I64, 1, it->pop_indptr[N], 0, 0, 0, it->pop_times);
        LOAD("pop_weights", TIDE_DTYPE_F32, 1, it->pop_indptr[N], 0, 0, 0, it->pop_weights);
        it->pop = tide_calloc(1, sizeof *it->pop);
        if (!it->pop) { st = TIDE_ERR_NOMEM; goto fail; }
        if ((st = tide_pop_context_init(it->pop, N, p->pop_half_life, TIDE_KERNEL_TWO_SIDED, it->pop_indptr, it->pop_times,
                                        it->pop_weights, path))) {
            free(it->pop);
            it->pop = NULL;
            goto fail;
        }
    }
    LOAD("category_indptr", TIDE_DTYPE_I64, 1, N + 1, 0, 0, 1, it->cat_indptr);
    if (it->cat_indptr) {
        LOAD("category_ids", TIDE_DTYPE_I32, 1, it->cat_indptr[N], 0, 0, 0, it->cat_ids);
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(m, "categories"), *e;
        int n = cJSON_GetArraySize(cn);
        it->cat_names = tide_calloc((size_t)n + 1, sizeof *it->cat_names);
        if (!it->cat_names) { st = TIDE_ERR_NOMEM; goto fail; }
        cJSON_ArrayForEach(e, cn) {
            if (!cJSON_IsString(e)) { st = tide_error(TIDE_ERR_DATA, "%s: \"categories\" must hold strings", path); goto fail; }
            if (!(it->cat_names[it->n_cats++] = strdup(e->valuestring))) { st = TIDE_ERR_NOMEM; goto fail; }
        }
        for (int64_t q = 0; q < it->cat_indptr[N]; q++)
            if (it->cat_ids[q] < 0 || it->cat_ids[q] >= it->n_cats) { st = tide_error(TIDE_ERR_DATA, "%s: category id out of range", path); goto fail; }
    }
#undef LOAD
    free(path);
    if (manifest) *manifest = m;
    else cJSON_Delete(m);
    return TIDE_OK;
fail:
    free(path);
    cJSON_Delete(m);
    tide_interest_items_free(it);
    tide_interest_states_free(S);
    return st;
}

static void json_time(cJSON *o, const char *key, int64_t t) {
    cJSON_AddNumberToObject(o, key, (double)t);
}

tide_status tide_interest_summary_write(const char *path, const tide_interest_items *it, const tide_interest_states *S,
                                        const tide_dataset *ds) {
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st) return st;
    for (int64_t u = 0; u < S->n_users && !st; u++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "user", ds && u < ds->n_users ? ds->user_ids[u] : "");
        cJSON_AddNumberToObject(o, "events", (double)S->n_events[u]);
        if (S->n_events[u]) json_time(o, "last_event", S->last_time[u]);
        cJSON_AddNumberToObject(o, "drift", S->lm_dim ? S->drift[u] : S->drift_cf[u]);
        cJSON_AddNumberToObject(o, "drift_cf", S->drift_cf[u]);
        cJSON *arr = cJSON_AddArrayToObject(o, "interests");
        double tot = 0;
        for (int q = 0; q < S->n_clusters[u]; q++) tot += S->strength[u * K + q];
        /* strongest first */
        int order[K];
        int nq = S->n_clusters[u];
        for (int q = 0; q < nq; q++) order[q] = q;
        for (int a = 1; a < nq; a++)
            for (int b = a; b > 0 && S->strength[u * K + order[b]] > S->strength[u * K + order[b - 1]]; b--) {
                int t = order[b]; order[b] = order[b - 1]; order[b - 1] = t;
            }
        for (int r = 0; r < nq; r++) {
            int q = order[r];
            cJSON *e = cJSON_CreateObject();
            char label[256] = "";
            for (int c = 0; c < 2; c++) {
                int id = S->cats[(u * K + q) * 2 + c];
                if (id >= 0 && id < it->n_cats) {
                    if (label[0]) strncat(label, ", ", sizeof label - strlen(label) - 1);
                    strncat(label, it->cat_names[id], sizeof label - strlen(label) - 1);
                }
            }
            cJSON *items = cJSON_CreateArray();
            for (int c = 0; c < 3; c++) {
                int32_t j = S->top_items[(u * K + q) * 3 + c];
                if (j < 0 || j >= it->n_items) continue;
                const char *title = ds && ds->item_text && ds->n_text_fields ? ds->item_text[(int64_t)j * ds->n_text_fields] : NULL;
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "item", ds ? ds->item_ids[j] : "");
                if (title) cJSON_AddStringToObject(x, "title", title);
                cJSON_AddItemToArray(items, x);
                if (!label[0] && title) strncat(label, title, sizeof label - 1);   /* no categories: its latest item */
            }
            cJSON_AddStringToObject(e, "label", label);
            cJSON_AddNumberToObject(e, "strength", tot > 0 ? S->strength[u * K + q] / tot : 0);
            cJSON_AddNumberToObject(e, "mass", S->strength[u * K + q]);
            json_time(e, "last_active", S->last_active[u * K + q]);
            cJSON_AddNumberToObject(e, "items", S->cluster_size[u * K + q]);
            cJSON_AddItemToObject(e, "representative_items", items);
            cJSON_AddItemToArray(arr, e);
        }
        char *line = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!line) { st = TIDE_ERR_NOMEM; break; }
        if (fputs(line, f.fp) == EOF || fputc('\n', f.fp) == EOF) st = tide_error(TIDE_ERR_IO, "%s: write failed", path);
        free(line);
    }
    if (st) { tide_atomic_abort(&f); return st; }
    return tide_atomic_commit(&f);
}
