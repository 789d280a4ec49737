/* vectors.c — embedding vectors on disk: OUT.npy (+ OUT.users/times/items.npy for user text)
 * and the manifest OUT.json, written by the commit protocol of tide/embed.h (the manifest,
 * renamed last, names every array's CRC-32) and read back only when they match it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embed-impl.h"
#include "tide/fileio.h"

char *tide_embed_sibling(const char *npy, const char *suffix) {
    size_t n = strlen(npy);
    if (n > 4 && strcmp(npy + n - 4, ".npy") == 0) n -= 4;
    char *s = malloc(n + strlen(suffix) + 1);
    if (!s) return NULL;
    memcpy(s, npy, n);
    strcpy(s + n, suffix);
    return s;
}

static const char *base_name(const char *p) {
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

/* The side arrays of a user-text output, in the order they are written. */
static const char *const side_suffix[3] = {".users.npy", ".times.npy", ".items.npy"};

tide_status tide_embed_write(const char *out, const float *vec, int64_t rows, int dim, const tide_embed_corpus *c,
                             cJSON *man) {
    const int user_text = c->kind == TIDE_EMBED_USER_TEXT;
    const void *data[4] = {vec, c->users, c->times, c->items};
    const tide_dtype dt[4] = {TIDE_DTYPE_F32, TIDE_DTYPE_I32, TIDE_DTYPE_I64, TIDE_DTYPE_I32};
    const int n_arrays = user_text ? 4 : 1;
    char *paths[4] = {NULL, NULL, NULL, NULL}, *mpath = tide_embed_sibling(out, ".json"), *json = NULL;
    tide_atomic_file f[5];
    memset(f, 0, sizeof f);
    tide_status st = TIDE_OK;
    if (!mpath) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < 4; i++)
        if (!(paths[i] = i ? tide_embed_sibling(out, side_suffix[i - 1]) : strdup(out))) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto fail;
        }
    cJSON_DeleteItemFromObject(man, "files");
    cJSON *files = cJSON_AddObjectToObject(man, "files");
    /* 1. every array to a temporary name, its CRC-32 computed from the bytes written */
    for (int i = 0; i < n_arrays; i++) {
        int64_t shape[2] = {rows, dim};
        int ndim = i ? 1 : 2;
        char hdr[256];
        size_t hl = tide_npy_header(hdr, sizeof hdr, dt[i], ndim, shape);
        size_t bytes = (size_t)rows * (i ? tide_dtype_size(dt[i]) : (size_t)dim * sizeof(float));
        if (!hl) {
            st = tide_error(TIDE_ERR_INTERNAL, "%s: npy header too large", paths[i]);
            goto fail;
        }
        if ((st = tide_atomic_open(&f[i], paths[i]))) goto fail;
        if (fwrite(hdr, 1, hl, f[i].fp) != hl || (bytes && fwrite(data[i], 1, bytes, f[i].fp) != bytes)) {
            st = tide_error(TIDE_ERR_IO, "%s: write failed: %s", paths[i], strerror(errno));
            goto fail;
        }
        uint32_t crc = tide_crc32(tide_crc32(0, hdr, hl), data[i], bytes);
        cJSON *e = cJSON_AddObjectToObject(files, base_name(paths[i]));
        char hex[16];
        snprintf(hex, sizeof hex, "%08x", crc);
        cJSON_AddStringToObject(e, "crc32", hex);
        cJSON_AddNumberToObject(e, "bytes", (double)(hl + bytes));
    }
    if (!(json = cJSON_Print(man))) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto fail;
    }
    size_t jl = strlen(json);
    if ((st = tide_atomic_open(&f[4], mpath))) goto fail;
    if (fwrite(json, 1, jl, f[4].fp) != jl || fputc('\n', f[4].fp) == EOF) {
        st = tide_error(TIDE_ERR_IO, "%s: write failed: %s", mpath, strerror(errno));
        goto fail;
    }
    /* 2. side arrays of an earlier user-text output that this output does not have: they would
     *    otherwise sit beside vectors they do not describe */
    for (int i = n_arrays; i < 4; i++)
        if (unlink(paths[i]) != 0 && errno != ENOENT) {
            st = tide_error(TIDE_ERR_IO, "%s: cannot remove the earlier output's array: %s", paths[i], strerror(errno));
            goto fail;
        }
    /* 3. the arrays into place, 4. the manifest last: it is the commit point */
    for (int i = 0; i < n_arrays; i++)
        if ((st = tide_atomic_commit(&f[i]))) goto fail;
    st = tide_atomic_commit(&f[4]);
    if (st) goto fail;
    free(json);
    free(mpath);
    for (int i = 0; i < 4; i++) free(paths[i]);
    return TIDE_OK;
fail:
    for (int i = 0; i < 5; i++) tide_atomic_abort(&f[i]);
    free(json);
    free(mpath);
    for (int i = 0; i < 4; i++) free(paths[i]);
    return st;
}

/* Check a loaded array against the manifest's `files` entry for its name. */
static tide_status check_file(const cJSON *files, const char *path, const tide_npy *a, int *mismatch) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(files, base_name(path));
    const cJSON *crc = cJSON_GetObjectItemCaseSensitive(e, "crc32"), *bytes = cJSON_GetObjectItemCaseSensitive(e, "bytes");
    if (!cJSON_IsObject(e) || !cJSON_IsString(crc) || !cJSON_IsNumber(bytes))
        return tide_error(TIDE_ERR_DATA, "%s: its manifest lists no crc32 and bytes for it", path);
    uint32_t have = a->map_base ? tide_crc32(0, a->map_base, a->map_size) : 0;
    char hex[16];
    snprintf(hex, sizeof hex, "%08x", have);
    if (!a->map_base || (double)a->map_size != bytes->valuedouble || strcmp(hex, crc->valuestring) != 0) {
        *mismatch = 1;
        return tide_error(TIDE_ERR_DATA,
                          "%s does not match its manifest (crc32 %s, %zu bytes; the manifest says %s, %.0f bytes): "
                          "an interrupted or foreign write; rerun tide-embed",
                          path, hex, a->map_size, crc->valuestring, bytes->valuedouble);
    }
    return TIDE_OK;
}

tide_status tide_embed__vectors_load_checked(const char *npy, tide_embed_vectors *v, int *mismatch) {
    memset(v, 0, sizeof *v);
    *mismatch = 0;
    char *mpath = tide_embed_sibling(npy, ".json"), *text = NULL, *side = NULL;
    size_t n = 0;
    tide_status st;
    if (!mpath) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    if ((st = tide_read_file(mpath, &text, &n))) goto done;
    v->manifest = cJSON_Parse(text);
    const cJSON *m = v->manifest;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(m, "format"), *kind = cJSON_GetObjectItemCaseSensitive(m, "kind");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(m, "rows"), *dim = cJSON_GetObjectItemCaseSensitive(m, "dim");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(m, "model_key"), *files = cJSON_GetObjectItemCaseSensitive(m, "files");
    if (!cJSON_IsObject(m) || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "tide-embed") != 0 || !cJSON_IsString(kind) ||
        !cJSON_IsNumber(rows) || !cJSON_IsNumber(dim) || !cJSON_IsString(key) || !cJSON_IsObject(files) ||
        rows->valuedouble < 0 || rows->valuedouble > 9e15 || rows->valuedouble != (double)(int64_t)rows->valuedouble ||
        dim->valuedouble < 1 || dim->valuedouble > 65536 || dim->valuedouble != (double)(int)dim->valuedouble ||
        strlen(key->valuestring) >= sizeof v->model_key) {
        st = tide_error(TIDE_ERR_DATA,
                        "%s: not a tide-embed manifest (needs format \"tide-embed\", kind, rows, dim, model_key, files)", mpath);
        goto done;
    }
    v->rows = (int64_t)rows->valuedouble;
    v->dim = (int)dim->valuedouble;
    snprintf(v->model_key, sizeof v->model_key, "%s", key->valuestring);
    if (strcmp(kind->valuestring, "items") == 0) v->kind = TIDE_EMBED_ITEMS;
    else if (strcmp(kind->valuestring, "user_text") == 0) v->kind = TIDE_EMBED_USER_TEXT;
    else if (strcmp(kind->valuestring, "lines") == 0) v->kind = TIDE_EMBED_LINES;
    else {
        st = tide_error(TIDE_ERR_DATA, "%s: unknown kind '%s'", mpath, kind->valuestring);
        goto done;
    }
    if ((st = tide_npy_load_expect(npy, TIDE_DTYPE_F32, 2, &v->vectors))) goto done;
    if ((st = check_file(files, npy, &v->vectors, mismatch))) goto done;
    if (v->vectors.shape[0] != v->rows || v->vectors.shape[1] != v->dim) {
        st = tide_error(TIDE_ERR_DATA, "%s: shape [%lld, %lld] but its manifest says [%lld, %d]", npy,
                        (long long)v->vectors.shape[0], (long long)v->vectors.shape[1], (long long)v->rows, v->dim);
        goto done;
    }
    if (v->kind == TIDE_EMBED_USER_TEXT) {
        tide_npy *side_arr[3] = {&v->users, &v->times, &v->items};
        const tide_dtype side_dt[3] = {TIDE_DTYPE_I32, TIDE_DTYPE_I64, TIDE_DTYPE_I32};
        for (int i = 0; i < 3; i++) {
            free(side);
            if (!(side = tide_embed_sibling(npy, side_suffix[i]))) {
                st = tide_error(TIDE_ERR_NOMEM, "out of memory");
                goto done;
            }
            if ((st = tide_npy_load_expect(side, side_dt[i], 1, side_arr[i]))) goto done;
            if ((st = check_file(files, side, side_arr[i], mismatch))) goto done;
            if (side_arr[i]->shape[0] != v->rows) {
                st = tide_error(TIDE_ERR_DATA, "%s: %lld rows but its manifest says %lld", side,
                                (long long)side_arr[i]->shape[0], (long long)v->rows);
                goto done;
            }
        }
    }
done:
    if (st) tide_embed_vectors_free(v);
    free(side);
    free(text);
    free(mpath);
    return st;
}

tide_status tide_embed_vectors_load(const char *npy, tide_embed_vectors *v) {
    int mismatch;
    return tide_embed__vectors_load_checked(npy, v, &mismatch);
}

tide_status tide_embed_matrix_load(const char *npy, tide_npy *out, tide_embed_origin *origin) {
    memset(out, 0, sizeof *out);
    if (origin) memset(origin, 0, sizeof *origin);
    char *mpath = tide_embed_sibling(npy, ".json"), *text = NULL;
    if (!mpath) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    size_t n = 0;
    int ours = 0;
    if (tide_path_exists(mpath) && tide_read_file(mpath, &text, &n) == TIDE_OK) {
        cJSON *m = cJSON_Parse(text);
        const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(m, "format");
        ours = cJSON_IsString(fmt) && strcmp(fmt->valuestring, "tide-embed") == 0;
        cJSON_Delete(m);
    }
    free(text);
    free(mpath);
    if (!ours) return tide_npy_load_expect(npy, TIDE_DTYPE_F32, 2, out);
    tide_embed_vectors v;
    tide_status st = tide_embed_vectors_load(npy, &v);
    if (st) return st;
    if (origin) {
        origin->has_manifest = 1;
        origin->kind = v.kind;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(v.manifest, "dataset");
        const cJSON *ck = cJSON_GetObjectItemCaseSensitive(d, "checksum");
        if (cJSON_IsString(ck)) snprintf(origin->dataset_checksum, sizeof origin->dataset_checksum, "%s", ck->valuestring);
    }
    *out = v.vectors; /* the mapping moves to the caller */
    memset(&v.vectors, 0, sizeof v.vectors);
    tide_embed_vectors_free(&v);
    return TIDE_OK;
}

void tide_embed_vectors_free(tide_embed_vectors *v) {
    tide_npy_free(&v->vectors);
    tide_npy_free(&v->users);
    tide_npy_free(&v->times);
    tide_npy_free(&v->items);
    cJSON_Delete(v->manifest);
    memset(v, 0, sizeof *v);
}
