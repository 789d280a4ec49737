/* dataset.c — load (mmap, validated) and save (atomic directory) of tide's dataset format.
 * The layout is documented in include/tide/dataset.h and docs/formats.md.
 *
 * Ownership: a loaded dataset points into read-only maps and a few owned buffers, all recorded
 * in the private struct and released by tide_dataset_free(). A dataset being saved may point at
 * caller memory; only what was adopted is freed. */
#define _GNU_SOURCE
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/manifest.h"
#include "tide/npy.h"
#include "tide/strmap.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define MAX_ARRAYS 16

typedef struct {
    tide_npy arrays[MAX_ARRAYS];
    int n_arrays;
    void **owned;
    size_t n_owned, cap_owned;
    tide_strmap users, items;
    int have_users_map, have_items_map;
} ds_priv;

static ds_priv *priv_of(tide_dataset *ds) {
    if (!ds->priv) ds->priv = calloc(1, sizeof(ds_priv));
    return ds->priv;
}

tide_status tide_dataset_adopt(tide_dataset *ds, void *p) {
    ds_priv *pv = priv_of(ds);
    if (!pv) {
        free(p);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    if (pv->n_owned == pv->cap_owned) {
        size_t nc = pv->cap_owned ? pv->cap_owned * 2 : 32;
        void **n = realloc(pv->owned, nc * sizeof *n);
        if (!n) {
            free(p);
            return tide_error(TIDE_ERR_NOMEM, "out of memory");
        }
        pv->owned = n;
        pv->cap_owned = nc;
    }
    pv->owned[pv->n_owned++] = p;
    return TIDE_OK;
}

void tide_dataset_free(tide_dataset *ds) {
    ds_priv *pv = ds->priv;
    if (pv) {
        for (int i = 0; i < pv->n_arrays; i++) tide_npy_free(&pv->arrays[i]);
        for (size_t i = 0; i < pv->n_owned; i++) free(pv->owned[i]);
        free(pv->owned);
        if (pv->have_users_map) tide_strmap_free(&pv->users);
        if (pv->have_items_map) tide_strmap_free(&pv->items);
        free(pv);
    }
    if (ds->manifest) cJSON_Delete(ds->manifest);
    memset(ds, 0, sizeof *ds);
}

int64_t tide_dataset_items_with_interactions(const tide_dataset *ds) {
    int64_t n = 0;
    if (ds->item_indptr) {
        for (int64_t i = 0; i < ds->n_items; i++) n += ds->item_indptr[i + 1] > ds->item_indptr[i];
        return n;
    }
    unsigned char *seen = calloc((size_t)ds->n_items + 1, 1);
    if (!seen) return -1;
    for (int64_t k = 0; k < ds->nnz; k++) seen[ds->items[k]] = 1;
    for (int64_t i = 0; i < ds->n_items; i++) n += seen[i];
    free(seen);
    return n;
}

/* ---- checksum ---------------------------------------------------------------------------- */

/* CRC-32 of a big array on all threads: pieces checksummed side by side and joined with
 * crc32_combine(), which gives exactly the one-pass value (a 10M-row dataset has ~170 MB of
 * arrays, ~80 ms of serial CRC at save time). */
static uint32_t crc32_big(uint32_t c, const void *data, size_t n) {
    enum { PIECES = 16 };
    const size_t min_piece = (size_t)4 << 20;
    int pieces = (int)(n / min_piece);
    if (pieces > PIECES) pieces = PIECES;
    if (pieces < 2 || tide_threads_get() < 2) return tide_crc32(c, data, n);
    uint32_t part[PIECES];
    size_t len[PIECES];
    const unsigned char *p = data;
#pragma omp parallel for schedule(static, 1)
    for (int k = 0; k < pieces; k++) {
        size_t a = n * (size_t)k / (size_t)pieces, b = n * (size_t)(k + 1) / (size_t)pieces;
        len[k] = b - a;
        part[k] = tide_crc32(0, p + a, b - a);
    }
    for (int k = 0; k < pieces; k++) c = (uint32_t)crc32_combine(c, part[k], (z_off_t)len[k]);
    return c;
}

void tide_dataset_checksum(const tide_dataset *ds, char out[32]) {
    uint32_t c = 0;
    int64_t counts[3] = {ds->n_users, ds->n_items, ds->nnz};
    c = tide_crc32(c, counts, sizeof counts);
    for (int64_t u = 0; u < ds->n_users; u++) c = tide_crc32(c, ds->user_ids[u], strlen(ds->user_ids[u]) + 1);
    for (int64_t i = 0; i < ds->n_items; i++) c = tide_crc32(c, ds->item_ids[i], strlen(ds->item_ids[i]) + 1);
    c = crc32_big(c, ds->indptr, (size_t)(ds->n_users + 1) * sizeof(int64_t));
    c = crc32_big(c, ds->items, (size_t)ds->nnz * sizeof(int32_t));
    c = crc32_big(c, ds->times, (size_t)ds->nnz * sizeof(int64_t));
    c = crc32_big(c, ds->weights, (size_t)ds->nnz * sizeof(float));
    if (ds->events) c = crc32_big(c, ds->events, (size_t)ds->nnz);
    else { /* absent events are saved as zeros: hash them as such */
        static const uint8_t zeros[4096];
        for (int64_t k = 0; k < ds->nnz; k += (int64_t)sizeof zeros)
            c = tide_crc32(c, zeros, (size_t)(ds->nnz - k < (int64_t)sizeof zeros ? ds->nnz - k : (int64_t)sizeof zeros));
    }
    snprintf(out, 32, "crc32:%08x", c);
}

/* ---- item-major copy --------------------------------------------------------------------- */

tide_status tide_dataset_build_item_major(tide_dataset *ds) {
    int64_t n = ds->n_items, nnz = ds->nnz;
    int64_t *ip = tide_calloc((size_t)n + 1, sizeof *ip);
    int32_t *iu = tide_malloc((size_t)nnz * sizeof *iu + 1);
    float *iw = tide_malloc((size_t)nnz * sizeof *iw + 1);
    int64_t *it = tide_malloc((size_t)nnz * sizeof *it + 1);
    int64_t *pos = tide_malloc(((size_t)n + 1) * sizeof *pos);
    if (!ip || !iu || !iw || !it || !pos) {
        free(ip); free(iu); free(iw); free(it); free(pos);
        return TIDE_ERR_NOMEM;
    }
    for (int64_t k = 0; k < nnz; k++) ip[ds->items[k] + 1]++;
    for (int64_t i = 0; i < n; i++) ip[i + 1] += ip[i];
    memcpy(pos, ip, ((size_t)n + 1) * sizeof *pos);
    /* Counting sort by item; within an item, entries arrive in user-major order. */
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++) {
            int64_t d = pos[ds->items[k]]++;
            iu[d] = (int32_t)u;
            iw[d] = ds->weights[k];
            it[d] = ds->times[k];
        }
    free(pos);
    ds->item_indptr = ip;
    ds->item_users = iu;
    ds->item_weights = iw;
    ds->item_times = it;
    tide_status st = TIDE_OK;
    if ((st = tide_dataset_adopt(ds, ip)) || (st = tide_dataset_adopt(ds, iu)) ||
        (st = tide_dataset_adopt(ds, iw)) || (st = tide_dataset_adopt(ds, it)))
        return st;
    return TIDE_OK;
}

/* ---- saving ------------------------------------------------------------------------------ */

static tide_status write_ids(const char *path, char **ids, int64_t n, const char *what) {
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st) return st;
    /* Lines are gathered in a 1 MiB buffer and written in large blocks (a stdio call per id and
     * per newline was ~25 ms for a 600k-id dataset). */
    size_t cap = (size_t)1 << 20, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        tide_atomic_abort(&f);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        size_t l = strlen(ids[i]);
        if (l == 0 || strpbrk(ids[i], "\n\r\t")) {
            free(buf);
            tide_atomic_abort(&f);
            return tide_error(TIDE_ERR_DATA, "%s id %lld ('%s') is empty or holds a tab or newline", what, (long long)i, ids[i]);
        }
        if (len + l + 1 > cap) {
            fwrite(buf, 1, len, f.fp);
            len = 0;
        }
        if (l + 1 > cap) {
            fwrite(ids[i], 1, l, f.fp);
            fputc('\n', f.fp);
            continue;
        }
        memcpy(buf + len, ids[i], l);
        buf[len + l] = '\n';
        len += l + 1;
    }
    fwrite(buf, 1, len, f.fp);
    free(buf);
    return tide_atomic_commit(&f);
}

static tide_status write_item_text(const char *path, const tide_dataset *ds) {
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st) return st;
    for (int64_t i = 0; i < ds->n_items; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) goto nomem;
        for (int k = 0; k < ds->n_text_fields; k++) {
            const char *t = ds->item_text ? ds->item_text[i * ds->n_text_fields + k] : NULL;
            if (t && !cJSON_AddStringToObject(o, ds->text_fields[k], t)) {
                cJSON_Delete(o);
                goto nomem;
            }
        }
        char *s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!s) goto nomem;
        fputs(s, f.fp);
        fputc('\n', f.fp);
        free(s);
    }
    return tide_atomic_commit(&f);
nomem:
    tide_atomic_abort(&f);
    return tide_error(TIDE_ERR_NOMEM, "out of memory writing item text");
}

static tide_status write_texts(const char *path, const tide_dataset *ds) {
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st) return st;
    for (int64_t k = 0; k < ds->n_text; k++) {
        cJSON *o = cJSON_CreateObject();
        char *s = NULL;
        if (o && cJSON_AddStringToObject(o, "text", ds->texts[k] ? ds->texts[k] : "")) s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!s) {
            tide_atomic_abort(&f);
            return tide_error(TIDE_ERR_NOMEM, "out of memory writing text events");
        }
        fputs(s, f.fp);
        fputc('\n', f.fp);
        free(s);
    }
    return tide_atomic_commit(&f);
}

static void iso_time(int64_t t, char *buf, size_t cap) {
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm)) strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else snprintf(buf, cap, "?");
}

static cJSON *build_manifest(const tide_dataset *ds) {
    cJSON *m = cJSON_CreateObject();
    if (!m) return NULL;
    cJSON_AddStringToObject(m, "format", "tide-dataset");
    cJSON_AddNumberToObject(m, "format_version", TIDE_DATASET_FORMAT_VERSION);
    cJSON *c = cJSON_AddObjectToObject(m, "counts");
    cJSON_AddNumberToObject(c, "users", (double)ds->n_users);
    cJSON_AddNumberToObject(c, "items", (double)ds->n_items);
    cJSON_AddNumberToObject(c, "items_with_interactions", (double)tide_dataset_items_with_interactions(ds));
    cJSON_AddNumberToObject(c, "interactions", (double)ds->nnz);
    cJSON_AddNumberToObject(c, "text_events", (double)ds->n_text);
    int64_t with_text = 0;
    for (int64_t i = 0; ds->item_text && i < ds->n_items; i++)
        for (int k = 0; k < ds->n_text_fields; k++)
            if (ds->item_text[i * ds->n_text_fields + k]) {
                with_text++;
                break;
            }
    cJSON_AddNumberToObject(c, "items_with_text", (double)with_text);
    cJSON *tr = cJSON_AddObjectToObject(m, "time_range");
    if (ds->nnz > 0) {
        int64_t lo = ds->times[0], hi = ds->times[0];
        for (int64_t k = 1; k < ds->nnz; k++) {
            if (ds->times[k] < lo) lo = ds->times[k];
            if (ds->times[k] > hi) hi = ds->times[k];
        }
        char b[64];
        cJSON_AddNumberToObject(tr, "min", (double)lo);
        cJSON_AddNumberToObject(tr, "max", (double)hi);
        iso_time(lo, b, sizeof b);
        cJSON_AddStringToObject(tr, "min_iso", b);
        iso_time(hi, b, sizeof b);
        cJSON_AddStringToObject(tr, "max_iso", b);
    }
    cJSON *ev = cJSON_AddArrayToObject(m, "event_names");
    for (int k = 0; k < ds->n_event_names; k++) cJSON_AddItemToArray(ev, cJSON_CreateString(ds->event_names[k]));
    cJSON *tf = cJSON_AddArrayToObject(m, "item_text_fields");
    for (int k = 0; k < ds->n_text_fields; k++) cJSON_AddItemToArray(tf, cJSON_CreateString(ds->text_fields[k]));
    cJSON_AddStringToObject(m, "checksum", ds->checksum);
    if (ds->manifest) {
        for (cJSON *e = ds->manifest->child; e; e = e->next) {
            if (cJSON_GetObjectItemCaseSensitive(m, e->string)) continue; /* core keys win */
            cJSON_AddItemToObject(m, e->string, cJSON_Duplicate(e, 1));
        }
    }
    return m;
}

static tide_status validate_for_save(const tide_dataset *ds) {
    if (ds->n_users < 0 || ds->n_items < 0 || ds->nnz < 0 || ds->n_items > INT32_MAX || ds->n_users > INT32_MAX)
        return tide_error(TIDE_ERR_INTERNAL, "dataset counts out of range");
    if (ds->indptr[0] != 0 || ds->indptr[ds->n_users] != ds->nnz)
        return tide_error(TIDE_ERR_INTERNAL, "dataset indptr does not span the interactions");
    for (int64_t k = 0; k < ds->nnz; k++)
        if (ds->items[k] < 0 || ds->items[k] >= ds->n_items)
            return tide_error(TIDE_ERR_INTERNAL, "dataset item index out of range");
    return TIDE_OK;
}

tide_status tide_dataset_save(const char *dir, tide_dataset *ds) {
    tide_status st = validate_for_save(ds);
    if (st) return st;
    if (!ds->item_indptr && (st = tide_dataset_build_item_major(ds))) return st;
    tide_dataset_checksum(ds, ds->checksum);

    tide_atomic_dir d;
    if ((st = tide_atomic_dir_begin(&d, dir))) return st;
    char *p = NULL;
    uint8_t zero_ev = 0;
    uint8_t *events = ds->events;
    if (!events && ds->nnz > 0) {
        events = calloc((size_t)ds->nnz, 1);
        if (!events) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto fail; }
    }
#define PATH(name) (free(p), p = tide_atomic_dir_file(&d, name), p ? TIDE_OK : TIDE_ERR_NOMEM)
#define TRY(x) do { if ((st = (x))) goto fail; } while (0)
    TRY(PATH("users.txt"));
    TRY(write_ids(p, ds->user_ids, ds->n_users, "user"));
    TRY(PATH("items.txt"));
    TRY(write_ids(p, ds->item_ids, ds->n_items, "item"));
    {
        /* The interaction arrays are independent files: writing them on all threads overlaps the
         * kernel's page-cache copies and fsyncs (a large part of a big ingest's wall time).
         * Largest first, so dynamic scheduling balances the threads. */
        const struct { const char *name; tide_dtype dt; int64_t n; const void *data; } jobs[] = {
            {"times.npy", TIDE_DTYPE_I64, ds->nnz, ds->times},
            {"item_times.npy", TIDE_DTYPE_I64, ds->nnz, ds->item_times},
            {"items.npy", TIDE_DTYPE_I32, ds->nnz, ds->items},
            {"item_users.npy", TIDE_DTYPE_I32, ds->nnz, ds->item_users},
            {"weights.npy", TIDE_DTYPE_F32, ds->nnz, ds->weights},
            {"item_weights.npy", TIDE_DTYPE_F32, ds->nnz, ds->item_weights},
            {"events.npy", TIDE_DTYPE_U8, ds->nnz, events ? (const void *)events : (const void *)&zero_ev},
            {"indptr.npy", TIDE_DTYPE_I64, ds->n_users + 1, ds->indptr},
            {"item_indptr.npy", TIDE_DTYPE_I64, ds->n_items + 1, ds->item_indptr},
        };
        enum { NJ = sizeof jobs / sizeof jobs[0] };
        tide_status js[NJ];
        char *jmsg[NJ] = {0};
        #pragma omp parallel for schedule(dynamic, 1)
        for (int j = 0; j < NJ; j++) {
            char *jp = tide_atomic_dir_file(&d, jobs[j].name);
            js[j] = jp ? tide_npy_save_1d(jp, jobs[j].dt, jobs[j].n, jobs[j].data) : TIDE_ERR_NOMEM;
            if (js[j]) jmsg[j] = strdup(tide_error_message()); /* messages are per thread */
            free(jp);
        }
        for (int j = 0; j < NJ; j++) {
            if (js[j] && st == TIDE_OK) st = tide_error(js[j], "%s", jmsg[j] ? jmsg[j] : "out of memory");
            free(jmsg[j]);
        }
        if (st) goto fail;
    }
    TRY(PATH("item_text.jsonl"));
    TRY(write_item_text(p, ds));
    {
        int64_t *tip = ds->text_indptr, *own = NULL;
        if (!tip) { /* no text events: an all-zero indptr keeps the layout uniform */
            own = tip = calloc((size_t)ds->n_users + 1, sizeof *tip);
            if (!tip) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto fail; }
        }
        (void)PATH("text_indptr.npy");
        st = p ? tide_npy_save_1d(p, TIDE_DTYPE_I64, ds->n_users + 1, tip) : TIDE_ERR_NOMEM;
        free(own);
        if (st) goto fail;
    }
    TRY(PATH("text_items.npy"));
    TRY(tide_npy_save_1d(p, TIDE_DTYPE_I32, ds->n_text, ds->text_items));
    TRY(PATH("text_times.npy"));
    TRY(tide_npy_save_1d(p, TIDE_DTYPE_I64, ds->n_text, ds->text_times));
    TRY(PATH("text_events.jsonl"));
    TRY(write_texts(p, ds));
    {
        cJSON *m = build_manifest(ds);
        if (m && (st = tide_manifest_add_files(m, d.tmp_path))) { /* per-file checksums for tide verify */
            cJSON_Delete(m);
            goto fail;
        }
        char *s = m ? cJSON_Print(m) : NULL;
        cJSON_Delete(m);
        if (!s) { st = tide_error(TIDE_ERR_NOMEM, "out of memory writing the manifest"); goto fail; }
        size_t n = strlen(s);
        s[n] = 0;
        if ((st = PATH("manifest.json"))) { /* the printed manifest is freed on this path too */
            free(s);
            goto fail;
        }
        char *withnl = malloc(n + 2);
        if (!withnl) { free(s); st = TIDE_ERR_NOMEM; goto fail; }
        memcpy(withnl, s, n);
        withnl[n] = '\n';
        free(s);
        st = tide_write_file_atomic(p, withnl, n + 1);
        free(withnl);
        if (st) goto fail;
    }
#undef PATH
#undef TRY
    free(p);
    if (events != ds->events) free(events);
    return tide_atomic_dir_commit(&d);
fail:
    free(p);
    if (events != ds->events) free(events);
    tide_atomic_dir_abort(&d);
    tide_error_prefix("%s", dir);
    return st;
}

/* ---- loading ----------------------------------------------------------------------------- */

static tide_status load_array(tide_dataset *ds, const char *dir, const char *name, tide_dtype dt,
                              int64_t expect_len, void **out) {
    ds_priv *pv = priv_of(ds);
    if (!pv) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    if (pv->n_arrays >= MAX_ARRAYS) return tide_error(TIDE_ERR_INTERNAL, "too many arrays");
    char *path = tide_path_join(dir, name);
    if (!path) return TIDE_ERR_NOMEM;
    tide_npy *a = &pv->arrays[pv->n_arrays];
    tide_status st = tide_npy_load_expect(path, dt, 1, a);
    if (st == TIDE_ERR_IO) st = tide_error(TIDE_ERR_DATA, "%s", tide_error_message());
    if (!st && a->shape[0] != expect_len)
        st = tide_error(TIDE_ERR_DATA, "%s: length %lld disagrees with the manifest (%lld)", path,
                        (long long)a->shape[0], (long long)expect_len);
    if (!st && ((uintptr_t)a->data % tide_dtype_size(dt)) != 0)
        st = tide_error(TIDE_ERR_DATA, "%s: data is not aligned", path);
    free(path);
    if (st) {
        tide_npy_free(a);
        return st;
    }
    pv->n_arrays++;
    *out = a->data;
    return TIDE_OK;
}

/* Read a newline-separated list of exactly n lines into an owned pointer array. */
static tide_status load_lines(tide_dataset *ds, const char *dir, const char *name, int64_t n, char ***out) {
    char *path = tide_path_join(dir, name), *buf = NULL;
    size_t size;
    if (!path) return TIDE_ERR_NOMEM;
    tide_status st = tide_read_file(path, &buf, &size);
    if (st) {
        free(path);
        return st == TIDE_ERR_IO ? tide_error(TIDE_ERR_DATA, "%s", tide_error_message()) : st;
    }
    /* Every line takes at least its newline: a count beyond the file's size is a lie of the
     * manifest, refused before it sizes an allocation (fuzz-manifest asked for 17 TB). */
    if (n < 0 || (uint64_t)n > (uint64_t)size) {
        st = tide_error(TIDE_ERR_DATA, "%s: the manifest counts %lld lines but the file has %zu bytes", path, (long long)n, size);
        free(path);
        free(buf);
        return st;
    }
    char **lines = malloc(((size_t)n + 1) * sizeof *lines);
    if (!lines || (st = tide_dataset_adopt(ds, buf))) {
        free(path);
        if (!lines) free(buf);
        free(lines);
        return lines ? st : tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    if ((st = tide_dataset_adopt(ds, lines))) {
        free(path);
        return st;
    }
    int64_t k = 0;
    char *s = buf, *end = buf + size;
    while (s < end) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: last line has no newline (truncated?)", path, (long long)k + 1);
            free(path);
            return st;
        }
        *nl = 0;
        if (k >= n) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: more lines than the manifest's %lld", path, (long long)k + 1, (long long)n);
            free(path);
            return st;
        }
        lines[k++] = s;
        s = nl + 1;
    }
    if (k != n) {
        st = tide_error(TIDE_ERR_DATA, "%s: %lld lines, the manifest says %lld", path, (long long)k, (long long)n);
        free(path);
        return st;
    }
    free(path);
    *out = lines;
    return TIDE_OK;
}

static tide_status own_strdup(tide_dataset *ds, const char *s, char **out) {
    char *c = strdup(s);
    if (!c) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    *out = c;
    return tide_dataset_adopt(ds, c);
}

static tide_status load_jsonl_strings(tide_dataset *ds, const char *dir, const char *name, int64_t n_lines,
                                      int n_fields, char **fields, char **out) {
    char **lines;
    tide_status st = load_lines(ds, dir, name, n_lines, &lines);
    if (st) return st;
    for (int64_t i = 0; i < n_lines; i++) {
        cJSON *o = cJSON_Parse(lines[i]);
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(o);
            return tide_error(TIDE_ERR_DATA, "%s/%s:%lld: not a JSON object", dir, name, (long long)i + 1);
        }
        for (int k = 0; k < n_fields; k++) {
            cJSON *v = cJSON_GetObjectItemCaseSensitive(o, fields[k]);
            out[i * n_fields + k] = NULL;
            if (cJSON_IsString(v) && (st = own_strdup(ds, v->valuestring, &out[i * n_fields + k]))) {
                cJSON_Delete(o);
                return st;
            }
        }
        cJSON_Delete(o);
    }
    return TIDE_OK;
}

static tide_status check_csr(const char *dir, const char *name, const int64_t *ip, int64_t rows, int64_t nnz,
                             const int32_t *idx, int64_t n_cols) {
    if (ip[0] != 0 || ip[rows] != nnz)
        return tide_error(TIDE_ERR_DATA, "%s/%s: does not span [0, %lld]", dir, name, (long long)nnz);
    for (int64_t r = 0; r < rows; r++)
        if (ip[r + 1] < ip[r]) return tide_error(TIDE_ERR_DATA, "%s/%s: decreases at row %lld", dir, name, (long long)r);
    for (int64_t k = 0; idx && k < nnz; k++)
        if (idx[k] < 0 || idx[k] >= n_cols)
            return tide_error(TIDE_ERR_DATA, "%s/%s: index %d at position %lld is out of range", dir, name, idx[k], (long long)k);
    return TIDE_OK;
}

static int64_t get_count(cJSON *counts, const char *key) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(counts, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15) return -1;
    return (int64_t)v->valuedouble;
}

static tide_status load_string_list(tide_dataset *ds, const char *mpath, cJSON *arr, int *n, char ***out) {
    *n = 0;
    *out = NULL;
    if (!arr) return TIDE_OK;
    int cnt = cJSON_GetArraySize(arr);
    char **list = calloc((size_t)cnt + 1, sizeof *list);
    tide_status st;
    if (!list) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    if ((st = tide_dataset_adopt(ds, list))) return st;
    int k = 0;
    for (cJSON *e = arr->child; e; e = e->next, k++) {
        if (!cJSON_IsString(e)) return tide_error(TIDE_ERR_DATA, "%s: \"%s\" holds a non-string", mpath, arr->string ? arr->string : "?");
        if ((st = own_strdup(ds, e->valuestring, &list[k]))) return st;
    }
    *n = cnt;
    *out = list;
    return TIDE_OK;
}

tide_status tide_dataset_load(const char *dir, tide_dataset *ds) {
    memset(ds, 0, sizeof *ds);
    tide_status st;
    char *mpath = tide_path_join(dir, "manifest.json"), *text = NULL;
    size_t size;
    if (!mpath) return TIDE_ERR_NOMEM;
    if (!tide_is_dir(dir)) {
        /* A path that is not there is an I/O failure (exit 1), as for every missing input file;
         * something else in its place is bad data (exit 3). */
        if (!tide_path_exists(dir)) st = tide_error(TIDE_ERR_IO, "%s: no such dataset directory", dir);
        else st = tide_error(TIDE_ERR_DATA, "%s: not a dataset directory", dir);
        free(mpath);
        return st;
    }
    st = tide_read_file(mpath, &text, &size);
    if (st) {
        if (st != TIDE_ERR_NOMEM) /* out of memory is not bad data */
            st = tide_error(TIDE_ERR_DATA, "%s: not a dataset directory (no readable manifest.json)", dir);
        free(mpath);
        return st;
    }
    ds->manifest = cJSON_ParseWithLength(text, size);
    free(text);
    cJSON *fmt = cJSON_GetObjectItemCaseSensitive(ds->manifest, "format");
    cJSON *ver = cJSON_GetObjectItemCaseSensitive(ds->manifest, "format_version");
    cJSON *counts = cJSON_GetObjectItemCaseSensitive(ds->manifest, "counts");
    if (!ds->manifest || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "tide-dataset") != 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: not a tide dataset manifest", mpath);
        goto fail;
    }
    if (!cJSON_IsNumber(ver) || ver->valuedouble != TIDE_DATASET_FORMAT_VERSION) {
        st = tide_error(TIDE_ERR_DATA, "%s: unsupported format_version", mpath);
        goto fail;
    }
    ds->n_users = get_count(counts, "users");
    ds->n_items = get_count(counts, "items");
    ds->nnz = get_count(counts, "interactions");
    ds->n_text = get_count(counts, "text_events");
    if (ds->n_users < 0 || ds->n_items < 0 || ds->nnz < 0 || ds->n_text < 0 || ds->n_items > INT32_MAX) {
        st = tide_error(TIDE_ERR_DATA, "%s: missing or invalid counts", mpath);
        goto fail;
    }
    {
        /* Typed like every manifest key (tide/manifest.h): a list given as anything but an array
         * of strings is bad data, not an empty list. */
        const cJSON *ev = NULL, *tf = NULL, *cobj = NULL;
        if ((st = tide_manifest_object(mpath, ds->manifest, NULL, "counts", 0, &cobj, NULL)) ||
            (st = tide_manifest_object(mpath, ds->manifest, NULL, "event_names", 1, &ev, NULL)) ||
            (st = tide_manifest_object(mpath, ds->manifest, NULL, "item_text_fields", 1, &tf, NULL)))
            goto fail;
        if (cJSON_GetArraySize(ev) > 255) {
            st = tide_error(TIDE_ERR_DATA, "%s: more than 255 \"event_names\"", mpath);
            goto fail;
        }
        if ((st = load_string_list(ds, mpath, (cJSON *)ev, &ds->n_event_names, &ds->event_names)) ||
            (st = load_string_list(ds, mpath, (cJSON *)tf, &ds->n_text_fields, &ds->text_fields)))
            goto fail;
    }
#define TRY(x) do { if ((st = (x))) goto fail; } while (0)
    TRY(load_lines(ds, dir, "users.txt", ds->n_users, &ds->user_ids));
    TRY(load_lines(ds, dir, "items.txt", ds->n_items, &ds->item_ids));
    TRY(load_array(ds, dir, "indptr.npy", TIDE_DTYPE_I64, ds->n_users + 1, (void **)&ds->indptr));
    TRY(load_array(ds, dir, "items.npy", TIDE_DTYPE_I32, ds->nnz, (void **)&ds->items));
    TRY(load_array(ds, dir, "times.npy", TIDE_DTYPE_I64, ds->nnz, (void **)&ds->times));
    TRY(load_array(ds, dir, "weights.npy", TIDE_DTYPE_F32, ds->nnz, (void **)&ds->weights));
    TRY(load_array(ds, dir, "events.npy", TIDE_DTYPE_U8, ds->nnz, (void **)&ds->events));
    TRY(load_array(ds, dir, "item_indptr.npy", TIDE_DTYPE_I64, ds->n_items + 1, (void **)&ds->item_indptr));
    TRY(load_array(ds, dir, "item_users.npy", TIDE_DTYPE_I32, ds->nnz, (void **)&ds->item_users));
    TRY(load_array(ds, dir, "item_weights.npy", TIDE_DTYPE_F32, ds->nnz, (void **)&ds->item_weights));
    TRY(load_array(ds, dir, "item_times.npy", TIDE_DTYPE_I64, ds->nnz, (void **)&ds->item_times));
    TRY(load_array(ds, dir, "text_indptr.npy", TIDE_DTYPE_I64, ds->n_users + 1, (void **)&ds->text_indptr));
    TRY(load_array(ds, dir, "text_items.npy", TIDE_DTYPE_I32, ds->n_text, (void **)&ds->text_items));
    TRY(load_array(ds, dir, "text_times.npy", TIDE_DTYPE_I64, ds->n_text, (void **)&ds->text_times));
    TRY(check_csr(dir, "indptr.npy/items.npy", ds->indptr, ds->n_users, ds->nnz, ds->items, ds->n_items));
    TRY(check_csr(dir, "item_indptr.npy/item_users.npy", ds->item_indptr, ds->n_items, ds->nnz, ds->item_users, ds->n_users));
    TRY(check_csr(dir, "text_indptr.npy", ds->text_indptr, ds->n_users, ds->n_text, NULL, 0));
    for (int64_t k = 0; k < ds->n_text; k++)
        if (ds->text_items[k] < -1 || ds->text_items[k] >= ds->n_items) {
            st = tide_error(TIDE_ERR_DATA, "%s/text_items.npy: index %d out of range", dir, ds->text_items[k]);
            goto fail;
        }
    for (int64_t k = 0; k < ds->nnz; k++)
        if (ds->events[k] >= ds->n_event_names && !(ds->n_event_names == 0 && ds->events[k] == 0)) {
            st = tide_error(TIDE_ERR_DATA, "%s/events.npy: event %u has no name", dir, ds->events[k]);
            goto fail;
        }
    {
        size_t nf = ds->n_text_fields > 0 ? (size_t)ds->n_text_fields : 0;
        ds->item_text = calloc((size_t)ds->n_items * nf + 1, sizeof(char *));
        ds->texts = calloc((size_t)ds->n_text + 1, sizeof(char *));
        if (!ds->item_text || !ds->texts) {
            free(ds->item_text); free(ds->texts);
            ds->item_text = NULL; ds->texts = NULL;
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto fail;
        }
        TRY(tide_dataset_adopt(ds, ds->item_text));
        TRY(tide_dataset_adopt(ds, ds->texts));
        TRY(load_jsonl_strings(ds, dir, "item_text.jsonl", ds->n_items, ds->n_text_fields, ds->text_fields, ds->item_text));
        char *tf[1] = {"text"};
        TRY(load_jsonl_strings(ds, dir, "text_events.jsonl", ds->n_text, 1, tf, ds->texts));
    }
#undef TRY
    tide_dataset_checksum(ds, ds->checksum);
    cJSON *cs = cJSON_GetObjectItemCaseSensitive(ds->manifest, "checksum");
    if (!cJSON_IsString(cs) || strcmp(cs->valuestring, ds->checksum) != 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: checksum mismatch (manifest %s, contents %s): the dataset was modified or is corrupt",
                        dir, cJSON_IsString(cs) ? cs->valuestring : "missing", ds->checksum);
        goto fail;
    }
    free(mpath);
    return TIDE_OK;
fail:
    free(mpath);
    tide_dataset_free(ds);
    return st;
}

/* ---- id lookup --------------------------------------------------------------------------- */

static int64_t lookup(tide_dataset *ds, int users, const char *id) {
    ds_priv *pv = priv_of(ds);
    if (!pv) return -1;
    tide_strmap *m = users ? &pv->users : &pv->items;
    int *have = users ? &pv->have_users_map : &pv->have_items_map;
    char **ids = users ? ds->user_ids : ds->item_ids;
    int64_t n = users ? ds->n_users : ds->n_items;
    if (!*have) {
        if (tide_strmap_init(m, (size_t)n)) return -1;
        *have = 1;
        for (int64_t i = 0; i < n; i++) {
            int64_t idx;
            if (tide_strmap_intern(m, ids[i], strlen(ids[i]), &idx, NULL)) return -1;
        }
    }
    return tide_strmap_find(m, id, strlen(id));
}

int64_t tide_dataset_user_index(tide_dataset *ds, const char *id) { return lookup(ds, 1, id); }
int64_t tide_dataset_item_index(tide_dataset *ds, const char *id) { return lookup(ds, 0, id); }
