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
#include "interest-impl.h"

#define K TIDE_INTEREST_MAX_K

/* ---- the writer: per-user arrays streamed block by block ----
 *
 * Each per-user array is one .npy file in the dir being built; its header (for the final row
 * count) goes first and each block of rows is written at its offset as it comes, so a run holds
 * one block of users, never all of them. All-zero 4 KiB blocks of a file are left as holes: the
 * same bytes read back, but most of a state is zeros (centroid slots beyond a user's clusters,
 * the words of users without text) and writing them was most of an --update's time. */

struct tide_interest_writer {
    tide_atomic_dir d;
    int begun;
    int64_t rows, done;          /* rows each file will hold; rows written so far */
    tide_interest_states shape;  /* als_k, lm_dim only: for the array table */
    int n_arr;
    tide_interest_state_array arr[TIDE_INTEREST_STATE_ARRAYS];
    tide_atomic_file f[TIDE_INTEREST_STATE_ARRAYS];
    size_t hl[TIDE_INTEREST_STATE_ARRAYS];
    uint32_t crc[TIDE_INTEREST_STATE_ARRAYS];   /* of the bytes so far: "files" needs no read-back */
    tide_interest_delta delta;   /* base_dir NULL: a full dir */
    cJSON *known;                /* "files" entries of the hard-linked files (their CRCs are PREV's) */
    cJSON *linked;               /* names hard-linked from PREV */
};

/* Write bytes [off, off + n) of a file from `b`, skipping the whole 4 KiB file blocks that are zero. */
static int write_sparse(int fd, const unsigned char *b, size_t n, size_t off) {
    size_t end = off + n, a = off;
    while (a < end) {
        size_t e = a, z;
        /* a run of data up to the next whole zero block */
        for (;;) {
            size_t blk = (e + 4095) / 4096 * 4096;   /* first block boundary at or after e */
            if (blk + 4096 > end) { e = end; break; }
            const unsigned char *q = b + (blk - off);
            for (z = 0; z < 4096 && q[z] == 0; z++) {}
            if (z == 4096) { e = blk; break; }
            e = blk + 4096;
        }
        for (size_t w = a; w < e;) {
            ssize_t r = pwrite(fd, b + (w - off), e - w, (off_t)w);
            if (r <= 0) return 0;
            w += (size_t)r;
        }
        /* skip the zero blocks */
        while (e + 4096 <= end) {
            const unsigned char *q = b + (e - off);
            for (z = 0; z < 4096 && q[z] == 0; z++) {}
            if (z < 4096) break;
            e += 4096;
        }
        a = e;
    }
    return 1;
}

static char *fname(const char *prefix, const char *name) {
    size_t n = strlen(prefix) + strlen(name) + 5;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s.npy", prefix, name);
    return s;
}

/* Hard-link DIR/name from `from` (same name); other file systems: copy the bytes. The entry of
 * `from`'s manifest for it goes to w->known when linked. */
static tide_status link_or_copy(tide_interest_writer *w, const char *from, const cJSON *from_files, const char *name) {
    char *src = tide_path_join(from, name), *dst = tide_atomic_dir_file(&w->d, name);
    tide_status st = TIDE_OK;
    if (!src || !dst) st = TIDE_ERR_NOMEM;
    else if (link(src, dst) == 0) {
        const cJSON *e = from_files ? cJSON_GetObjectItemCaseSensitive(from_files, name) : NULL;
        if (e) cJSON_AddItemToObject(w->known, name, cJSON_Duplicate(e, 1));
        cJSON_AddItemToArray(w->linked, cJSON_CreateString(name));
    } else {
        char *buf = NULL;
        size_t n = 0;
        if (!(st = tide_read_file(src, &buf, &n))) st = tide_write_file_atomic(dst, buf, n);
        free(buf);
    }
    free(src);
    free(dst);
    return st;
}

tide_status tide_interest_writer_open(tide_interest_writer **out, const char *dir, int64_t rows, int als_k, int lm_dim,
                                      const tide_interest_delta *delta) {
    *out = NULL;
    tide_interest_writer *w = tide_calloc(1, sizeof *w);
    if (!w) return TIDE_ERR_NOMEM;
    tide_status st;
    w->rows = rows;
    w->shape.als_k = als_k;
    w->shape.lm_dim = lm_dim;
    if (delta) w->delta = *delta;
    w->n_arr = tide_interest_state_arrays(&w->shape, w->arr);
    w->known = cJSON_CreateObject();
    w->linked = cJSON_CreateArray();
    if (!w->known || !w->linked) { st = TIDE_ERR_NOMEM; goto fail; }
    if ((st = tide_atomic_dir_begin(&w->d, dir))) goto fail;
    w->begun = 1;
    const char *prefix = delta ? "delta_" : "";
    for (int a = 0; a < w->n_arr; a++) {
        char *nm = fname(prefix, w->arr[a].name), *path = nm ? tide_atomic_dir_file(&w->d, nm) : NULL;
        free(nm);
        if (!path) { st = TIDE_ERR_NOMEM; goto fail; }
        st = tide_atomic_open(&w->f[a], path);
        if (!st) {
            char hdr[1024];
            int64_t shape[3] = {rows, w->arr[a].dims[0], w->arr[a].dims[1]};
            w->hl[a] = tide_npy_header(hdr, sizeof hdr, w->arr[a].dtype, w->arr[a].nd, shape);
            if (!w->hl[a] || fwrite(hdr, 1, w->hl[a], w->f[a].fp) != w->hl[a] || fflush(w->f[a].fp) != 0)
                st = tide_error(TIDE_ERR_IO, "%s: write failed: %s", path, strerror(errno));
            else w->crc[a] = tide_crc32(0, hdr, w->hl[a]);
        }
        free(path);
        if (st) goto fail;
    }
    if (delta) {
        /* the base: PREV's per-user files as they are (PREV's own base, when it is a delta itself) */
        char *mp;
        cJSON *pm;
        if ((st = tide_interest_manifest_read(delta->base_dir, &mp, &pm))) goto fail;
        const cJSON *files = cJSON_GetObjectItemCaseSensitive(pm, "files");
        for (int a = 0; a < w->n_arr && !st; a++) {
            char *nm = fname("", w->arr[a].name);
            st = nm ? link_or_copy(w, delta->base_dir, files, nm) : TIDE_ERR_NOMEM;
            free(nm);
        }
        free(mp);
        cJSON_Delete(pm);
        if (st) goto fail;
        char *path = tide_atomic_dir_file(&w->d, "delta_users.npy");
        if (!path) { st = TIDE_ERR_NOMEM; goto fail; }
        st = tide_npy_save(path, TIDE_DTYPE_I64, 1, &delta->n, delta->users);
        free(path);
        if (st) goto fail;
    }
    *out = w;
    return TIDE_OK;
fail:
    tide_interest_writer_abort(w);
    return st;
}

tide_status tide_interest_writer_rows(tide_interest_writer *w, const tide_interest_states *B, int64_t n) {
    if (n < 0 || w->done + n > w->rows) return tide_error(TIDE_ERR_INTERNAL, "interest writer: %lld rows past the %lld announced", (long long)(w->done + n), (long long)w->rows);
    tide_interest_state_array b[TIDE_INTEREST_STATE_ARRAYS];
    tide_interest_state_arrays((tide_interest_states *)B, b);
    for (int a = 0; a < w->n_arr; a++) {
        size_t rb = w->arr[a].row_bytes;
        if (!write_sparse(fileno(w->f[a].fp), *b[a].field, (size_t)n * rb, w->hl[a] + (size_t)w->done * rb))
            return tide_error(TIDE_ERR_IO, "%s: write failed: %s", w->f[a].tmp_path, strerror(errno));
        w->crc[a] = tide_crc32(w->crc[a], *b[a].field, (size_t)n * rb);
    }
    w->done += n;
    return TIDE_OK;
}

void tide_interest_writer_abort(tide_interest_writer *w) {
    if (!w) return;
    for (int a = 0; a < w->n_arr; a++) tide_atomic_abort(&w->f[a]);
    if (w->begun) tide_atomic_dir_abort(&w->d);
    cJSON_Delete(w->known);
    cJSON_Delete(w->linked);
    free(w);
}

tide_status tide_interest_writer_finish(tide_interest_writer *w, const tide_interest_items *it, const tide_interest_params *p,
                                        int64_t users, const tide_interest_dir_info *info) {
    tide_status st = TIDE_OK;
    char *path = NULL;
    cJSON *prev_man = NULL;
    const cJSON *prev_files = NULL;
    cJSON *man = cJSON_CreateObject();
    if (!man) { tide_interest_writer_abort(w); return TIDE_ERR_NOMEM; }
    if (w->done != w->rows) {
        st = tide_error(TIDE_ERR_INTERNAL, "interest writer: %lld of %lld rows written", (long long)w->done, (long long)w->rows);
        goto fail;
    }
    for (int a = 0; a < w->n_arr; a++) {
        size_t total = w->hl[a] + (size_t)w->rows * w->arr[a].row_bytes;
        int fd = fileno(w->f[a].fp);
        if (ftruncate(fd, (off_t)total) != 0 || fseeko(w->f[a].fp, (off_t)total, SEEK_SET) != 0) {
            st = tide_error(TIDE_ERR_IO, "%s: write failed: %s", w->f[a].tmp_path, strerror(errno));
            goto fail;
        }
        if ((st = tide_atomic_commit(&w->f[a]))) goto fail;
        /* its "files" entry from the CRC kept while writing: reading the file back (holes and
         * all) was a tenth of a full run, and at a million users more than the page cache holds */
        char *nm = fname(w->delta.base_dir ? "delta_" : "", w->arr[a].name), hex[16];
        cJSON *e = nm ? cJSON_CreateObject() : NULL;
        if (!e) { free(nm); st = TIDE_ERR_NOMEM; goto fail; }
        snprintf(hex, sizeof hex, "%08x", w->crc[a]);
        cJSON_AddNumberToObject(e, "bytes", (double)total);
        cJSON_AddStringToObject(e, "crc32", hex);
        cJSON_AddItemToObject(w->known, nm, e);
        free(nm);
    }
    cJSON_AddStringToObject(man, "format", "tide-interest");
    cJSON_AddNumberToObject(man, "format_version", 1);
    cJSON_AddStringToObject(man, "algorithm", "interest");
    cJSON_AddItemToObject(man, "settings", tide_interest_params_to_json(p));
    cJSON *ds = cJSON_AddObjectToObject(man, "dataset");
    cJSON_AddStringToObject(ds, "path", info && info->dataset_path ? info->dataset_path : "");
    cJSON_AddStringToObject(ds, "checksum", info && info->dataset_checksum ? info->dataset_checksum : "");
    cJSON_AddNumberToObject(ds, "users", (double)users);
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
    /* per-user state: the base files, and with a delta its rows and users */
    for (int a = 0; a < w->n_arr; a++) {
        char *nm = fname("", w->arr[a].name);
        if (!nm) { st = TIDE_ERR_NOMEM; goto fail; }
        cJSON_AddStringToObject(arr, w->arr[a].name, nm);
        free(nm);
    }
    if (w->delta.base_dir) {
        for (int a = 0; a < w->n_arr; a++) {
            char *nm = fname("delta_", w->arr[a].name), key[96];
            if (!nm) { st = TIDE_ERR_NOMEM; goto fail; }
            snprintf(key, sizeof key, "delta_%s", w->arr[a].name);
            cJSON_AddStringToObject(arr, key, nm);
            free(nm);
        }
        cJSON_AddStringToObject(arr, "delta_users", "delta_users.npy");
        cJSON *dl = cJSON_AddObjectToObject(man, "delta");
        cJSON_AddNumberToObject(dl, "base_users", (double)w->delta.base_users);
        cJSON_AddNumberToObject(dl, "users", (double)w->delta.n);
    }
    int64_t N = it->n_items;
    /* item side: linked from info->item_side_from where it can be (an update's PREV holds the
     * same bytes; rewriting them was a fifth of an update's output at 100k items) */
#define ARR(name, dtype, nd, a, b, c, data)                                                        \
    do {                                                                                           \
        free(path);                                                                                \
        if (!(path = tide_atomic_dir_file(&w->d, name ".npy"))) { st = TIDE_ERR_NOMEM; goto fail; } \
        int linked_ = 0;                                                                           \
        if (info && info->item_side_from) {                                                        \
            char *src_ = tide_path_join(info->item_side_from, name ".npy");                        \
            if (src_ && link(src_, path) == 0) {                                                   \
                linked_ = 1;                                                                       \
                const cJSON *e_ = prev_files ? cJSON_GetObjectItemCaseSensitive(prev_files, name ".npy") : NULL; \
                if (e_) cJSON_AddItemToObject(w->known, name ".npy", cJSON_Duplicate(e_, 1));      \
            }                                                                                      \
            free(src_);                                                                            \
        }                                                                                          \
        int64_t shape_[3] = {(a), (b), (c)};                                                       \
        if (!linked_ && (st = tide_npy_save(path, dtype, nd, shape_, data))) goto fail;            \
        cJSON_AddStringToObject(arr, name, name ".npy");                                           \
    } while (0)
    if (info && info->item_side_from) {
        char *mp;
        if (!tide_interest_manifest_read(info->item_side_from, &mp, &prev_man)) {
            free(mp);
            prev_files = cJSON_GetObjectItemCaseSensitive(prev_man, "files");
        } else tide_error_clear();
    }
    if (it->ease) ARR("item_matrix", TIDE_DTYPE_F32, 2, N, N, 0, it->ease);
    if (it->sess) ARR("session_matrix", TIDE_DTYPE_F32, 2, N, N, 0, it->sess);
    if (it->seq) ARR("seq_matrix", TIDE_DTYPE_F32, 2, N, N, 0, it->seq);
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
    cJSON_Delete(prev_man);
    prev_man = NULL;
    /* per-file checksums for tide verify (the linked files' from PREV's manifest), the manifest, the commit */
    if ((st = tide_manifest_commit_dir_known(&w->d, man, w->known))) goto fail;
    w->begun = 0;
    free(path);
    cJSON_Delete(man);
    tide_interest_writer_abort(w);   /* frees what is left; the dir is committed */
    return TIDE_OK;
fail:
    cJSON_Delete(prev_man);
    tide_interest_writer_abort(w);
    free(path);
    cJSON_Delete(man);
    return st;
}

tide_status tide_interest_dir_save(const char *dir, const tide_interest_items *it, const tide_interest_params *p,
                                   const tide_interest_states *S, const tide_interest_dir_info *info) {
    tide_interest_writer *w;
    tide_status st = tide_interest_writer_open(&w, dir, S->n_users, S->als_k, S->lm_dim, NULL);
    if (st) return st;
    if ((st = tide_interest_writer_rows(w, S, S->n_users))) { tide_interest_writer_abort(w); return st; }
    return tide_interest_writer_finish(w, it, p, S->n_users, info);
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

/* Map DIR/file (dtype, rank, rows and the row shape checked). */
static tide_status map_rows(const char *dir, const char *file, tide_dtype dt, int nd, int64_t rows, const int64_t *dims,
                            tide_npy *x) {
    char *path = tide_path_join(dir, file);
    if (!path) return TIDE_ERR_NOMEM;
    tide_status st = tide_npy_load_expect(path, dt, nd, x);
    if (!st) {
        for (int k = 0; k < nd && !st; k++) {
            int64_t want = k ? dims[k - 1] : rows;
            if (x->shape[k] != want)
                st = tide_error(TIDE_ERR_DATA, "%s: dimension %d is %lld, expected %lld", path, k, (long long)x->shape[k],
                                (long long)want);
        }
        if (st) tide_npy_free(x);
    }
    free(path);
    return st;
}

void tide_interest_layout_free(tide_interest_layout *L) {
    free(L->delta_users);
    memset(L, 0, sizeof *L);
}

tide_status tide_interest_layout_read(const char *dir, const char *mpath, const cJSON *man, int64_t users,
                                      tide_interest_layout *L) {
    memset(L, 0, sizeof *L);
    L->users = L->base_users = users;
    const cJSON *dl = cJSON_GetObjectItemCaseSensitive(man, "delta");
    if (!dl) return TIDE_OK;
    if (!cJSON_IsObject(dl)) return tide_error(TIDE_ERR_DATA, "%s: \"delta\" must be a JSON object", mpath);
    int64_t base = -1, n = -1;
    tide_status st;
    if ((st = tide_manifest_int(mpath, dl, "delta", "base_users", 0, users, &base, NULL)) ||
        (st = tide_manifest_int(mpath, dl, "delta", "users", 0, users, &n, NULL)))
        return st;
    if (base < 0 || n < 0) return tide_error(TIDE_ERR_DATA, "%s: \"delta\" needs \"base_users\" and \"users\"", mpath);
    tide_npy x;
    if ((st = map_rows(dir, "delta_users.npy", TIDE_DTYPE_I64, 1, n, NULL, &x))) return st;
    const int64_t *u = x.data;
    int64_t above = 0;
    for (int64_t q = 0; q < n && !st; q++) {
        if (u[q] < 0 || u[q] >= users || (q && u[q] <= u[q - 1]))
            st = tide_error(TIDE_ERR_DATA, "%s/delta_users.npy: entry %lld (%lld): users must be increasing, in [0, %lld)", dir,
                            (long long)q, (long long)u[q], (long long)users);
        else if (u[q] >= base) above++;
    }
    /* every user past the base has its row in the delta (and so the row counts are backed by files) */
    if (!st && above != users - base)
        st = tide_error(TIDE_ERR_DATA, "%s/delta_users.npy: %lld users past the base's %lld, the dataset has %lld", dir,
                        (long long)above, (long long)base, (long long)users);
    if (!st && !(L->delta_users = tide_malloc(((size_t)n + 1) * sizeof *L->delta_users))) st = TIDE_ERR_NOMEM;
    if (!st) {
        memcpy(L->delta_users, u, (size_t)n * sizeof *u);
        L->base_users = base;
        L->n_delta = n;
    }
    tide_npy_free(&x);
    return st;
}

tide_status tide_interest_rows_load(const char *dir, const tide_interest_layout *L, const char *name, tide_dtype dt,
                                    int nd, const int64_t *dims, void *dst) {
    size_t rb = tide_dtype_size(dt);
    for (int k = 1; k < nd; k++) rb *= (size_t)dims[k - 1];
    char file[256];
    snprintf(file, sizeof file, "%s.npy", name);
    tide_npy x;
    tide_status st = map_rows(dir, file, dt, nd, L->base_users, dims, &x);
    if (st) return st;
    memcpy(dst, x.data, (size_t)L->base_users * rb);
    tide_npy_free(&x);
    if (!L->delta_users) return TIDE_OK;
    snprintf(file, sizeof file, "delta_%s.npy", name);
    if ((st = map_rows(dir, file, dt, nd, L->n_delta, dims, &x))) return st;
    for (int64_t q = 0; q < L->n_delta; q++)
        memcpy((char *)dst + (size_t)L->delta_users[q] * rb, (const char *)x.data + (size_t)q * rb, rb);
    tide_npy_free(&x);
    return TIDE_OK;
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
    return tide_interest_dir_load_opts(dir, it, p, S, manifest, 0);
}

tide_status tide_interest_dir_load_opts(const char *dir, tide_interest_items *it, tide_interest_params *p,
                                        tide_interest_states *S, cJSON **manifest, int light) {
    tide_interest_layout L = {0};
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
    /* rows: the base arrays overlaid with the delta of an --update (docs/tide-capture-interest.md);
     * the layout's checks tie U to what the files hold before anything is allocated */
    if ((st = tide_interest_layout_read(dir, path, m, U, &L))) goto fail;
    {
        int64_t none[2] = {0, 0};
        tide_npy x;
        if ((st = map_rows(dir, "n_events.npy", TIDE_DTYPE_I64, 1, L.base_users, none, &x))) goto fail;
        tide_npy_free(&x);
    }
    if (light) {
        /* what --update compares to find the touched users, nothing else */
        S->n_users = U;
        S->als_k = k;
        S->lm_dim = d;
        if (!(S->n_events = tide_malloc(((size_t)U + 1) * sizeof *S->n_events)) ||
            !(S->n_text = tide_malloc(((size_t)U + 1) * sizeof *S->n_text)) ||
            !(S->last_time = tide_malloc(((size_t)U + 1) * sizeof *S->last_time))) {
            st = TIDE_ERR_NOMEM;
            goto fail;
        }
        if ((st = tide_interest_rows_load(dir, &L, "n_events", TIDE_DTYPE_I64, 1, NULL, S->n_events)) ||
            (st = tide_interest_rows_load(dir, &L, "n_text", TIDE_DTYPE_I64, 1, NULL, S->n_text)) ||
            (st = tide_interest_rows_load(dir, &L, "last_time", TIDE_DTYPE_I64, 1, NULL, S->last_time)))
            goto fail;
    } else {
        if ((st = tide_interest_states_alloc(S, U, k, d))) goto fail;
        tide_interest_state_array arr[TIDE_INTEREST_STATE_ARRAYS];
        int na = tide_interest_state_arrays(S, arr);
        for (int a = 0; a < na; a++)
            if ((st = tide_interest_rows_load(dir, &L, arr[a].name, arr[a].dtype, arr[a].nd, arr[a].dims, *arr[a].field)))
                goto fail;
    }
#define LOAD(name, dt_, nd, a, b, c, opt, field)                                                    \
    do {                                                                                            \
        void *x_ = NULL;                                                                            \
        if ((st = load_arr(dir, name, dt_, nd, a, b, c, opt, &x_, NULL))) goto fail;                \
        if (x_) { free(field); field = x_; }                                                        \
    } while (0)
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
    {
        void *e = NULL;
        if ((st = load_arr(dir, "seq_matrix", TIDE_DTYPE_F32, 2, N, N, 0, 1, &e, NULL))) goto fail;
        it->seq = e;
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
    tide_interest_layout_free(&L);
    if (manifest) *manifest = m;
    else cJSON_Delete(m);
    return TIDE_OK;
fail:
    free(path);
    tide_interest_layout_free(&L);
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
