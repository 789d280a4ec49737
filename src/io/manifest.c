/* manifest.c — manifest.json as untrusted input: contained file names and typed keys (see
 * include/tide/manifest.h for the rules and why they exist). */
#define _GNU_SOURCE
#include "tide/manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "tide/fileio.h"

tide_status tide_manifest_load(const char *dir, const char *what, cJSON **out, char **mpath_out) {
    *out = NULL;
    if (mpath_out) *mpath_out = NULL;
    char *mpath = tide_path_join(dir, "manifest.json"), *text = NULL;
    size_t len = 0;
    if (!mpath) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    tide_status st = TIDE_OK;
    if (!tide_is_dir(dir)) {
        st = tide_error(TIDE_ERR_DATA, "%s: %s (not a directory)", dir, what);
        goto done;
    }
    if ((st = tide_read_file(mpath, &text, &len))) {
        if (!tide_path_exists(mpath)) st = tide_error(TIDE_ERR_DATA, "%s: missing (%s)", mpath, what);
        goto done;
    }
    cJSON *m = cJSON_ParseWithLength(text, len);
    if (!m || !cJSON_IsObject(m)) {
        cJSON_Delete(m);
        st = tide_error(TIDE_ERR_DATA, "%s: not a JSON object (%s)", mpath, what);
        goto done;
    }
    *out = m;
done:
    free(text);
    if (mpath_out && !st) *mpath_out = mpath;
    else free(mpath);
    return st;
}

tide_status tide_manifest_file(const char *mpath, const char *dir, const char *key, const char *name, char **path) {
    if (path) *path = NULL;
    if (!name || !*name) return tide_error(TIDE_ERR_DATA, "%s: \"%s\" names an empty file name", mpath, key);
    if (name[0] == '/')
        return tide_error(TIDE_ERR_DATA, "%s: \"%s\" is an absolute path ('%s'): a manifest names files inside its directory",
                          mpath, key, name);
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        if (*c < 0x20 || *c == 0x7f) return tide_error(TIDE_ERR_DATA, "%s: \"%s\" holds a control character", mpath, key);
    /* Every component ordinary: "..", "." and empty components (a//b) are refused outright. */
    for (const char *p = name; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return tide_error(TIDE_ERR_DATA, "%s: \"%s\" ('%s') leaves the directory or is not a plain relative path", mpath,
                              key, name);
        p += n + (e ? 1 : 0);
        if (e && !*p) return tide_error(TIDE_ERR_DATA, "%s: \"%s\" ('%s') ends with '/'", mpath, key, name);
    }
    char *full = tide_path_join(dir, name);
    if (!full) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    /* A symlink inside the directory may still point out of it: compare the resolved paths. A
     * file that does not exist is the loader's to report (as missing). */
    struct stat sb;
    /* A single component that is no symlink is an entry of the directory itself: inside, without
     * resolving both paths (two realpath walks per array made manifest reading syscall-bound). */
    if (lstat(full, &sb) == 0 && (strchr(name, '/') || S_ISLNK(sb.st_mode))) {
        char *rd = realpath(dir, NULL), *rf = realpath(full, NULL);
        size_t nd = rd ? strlen(rd) : 0;
        int inside = rd && rf && strncmp(rf, rd, nd) == 0 && (rf[nd] == '/' || (nd == 1 && rd[0] == '/'));
        free(rd);
        free(rf);
        if (!inside) {
            free(full);
            return tide_error(TIDE_ERR_DATA, "%s: \"%s\" ('%s') resolves outside the directory (a symlink escape) or cannot be resolved",
                              mpath, key, name);
        }
    }
    if (path) *path = full;
    else free(full);
    return TIDE_OK;
}

tide_status tide_manifest_check_arrays(const char *mpath, const char *dir, const cJSON *man) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(man, "arrays");
    if (!arr) return TIDE_OK;
    if (!cJSON_IsObject(arr)) return tide_error(TIDE_ERR_DATA, "%s: \"arrays\" must be an object {name: file}", mpath);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        char key[160];
        snprintf(key, sizeof key, "arrays.%s", e->string ? e->string : "?");
        if (!cJSON_IsString(e)) return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be a file name (a string)", mpath, key);
        tide_status st = tide_manifest_file(mpath, dir, key, e->valuestring, NULL);
        if (st) return st;
    }
    return TIDE_OK;
}

tide_status tide_manifest_array_path(const char *mpath, const char *dir, const cJSON *man, const char *name, char **path) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(man, "arrays");
    const cJSON *f = cJSON_IsObject(arr) ? cJSON_GetObjectItemCaseSensitive(arr, name) : NULL;
    char key[160], dflt[160];
    snprintf(key, sizeof key, "arrays.%s", name);
    if (f && !cJSON_IsString(f)) return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be a file name (a string)", mpath, key);
    snprintf(dflt, sizeof dflt, "%s.npy", name);
    return tide_manifest_file(mpath, dir, key, f ? f->valuestring : dflt, path);
}

/* "where.key" or "key" for messages. */
static const char *keyname(char *buf, size_t cap, const char *where, const char *key) {
    if (where) snprintf(buf, cap, "%s.%s", where, key);
    else snprintf(buf, cap, "%s", key);
    return buf;
}

static const cJSON *get(const cJSON *obj, const char *key, int *present) {
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (present) *present = v != NULL;
    return v;
}

tide_status tide_manifest_number(const char *mpath, const cJSON *obj, const char *where, const char *key, double lo,
                                 double hi, double *out, int *present) {
    const cJSON *v = get(obj, key, present);
    if (!v) return TIDE_OK;
    char k[160];
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be a number in [%g, %g]", mpath, keyname(k, sizeof k, where, key),
                          lo, hi);
    *out = v->valuedouble;
    return TIDE_OK;
}

tide_status tide_manifest_int(const char *mpath, const cJSON *obj, const char *where, const char *key, int64_t lo,
                              int64_t hi, int64_t *out, int *present) {
    const cJSON *v = get(obj, key, present);
    if (!v) return TIDE_OK;
    char k[160];
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    /* 2^63 is not an int64_t: compare in double against bounds that are exact there */
    if (!(d == floor(d)) || d < (double)lo || d > (double)hi || d >= 9223372036854775808.0)
        return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be an integer in [%lld, %lld]", mpath,
                          keyname(k, sizeof k, where, key), (long long)lo, (long long)hi);
    *out = (int64_t)d;
    return TIDE_OK;
}

tide_status tide_manifest_bool(const char *mpath, const cJSON *obj, const char *where, const char *key, int *out,
                               int *present) {
    const cJSON *v = get(obj, key, present);
    if (!v) return TIDE_OK;
    char k[160];
    if (!cJSON_IsBool(v))
        return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be true or false", mpath, keyname(k, sizeof k, where, key));
    *out = cJSON_IsTrue(v);
    return TIDE_OK;
}

tide_status tide_manifest_string(const char *mpath, const cJSON *obj, const char *where, const char *key,
                                 const char **out, int *present) {
    const cJSON *v = get(obj, key, present);
    if (!v) return TIDE_OK;
    char k[160];
    if (!cJSON_IsString(v))
        return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be a string", mpath, keyname(k, sizeof k, where, key));
    *out = v->valuestring;
    return TIDE_OK;
}

tide_status tide_manifest_object(const char *mpath, const cJSON *obj, const char *where, const char *key,
                                 int want_array, const cJSON **out, int *present) {
    const cJSON *v = get(obj, key, present);
    if (!v) return TIDE_OK;
    char k[160];
    if (want_array ? !cJSON_IsArray(v) : !cJSON_IsObject(v))
        return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be a JSON %s", mpath, keyname(k, sizeof k, where, key),
                          want_array ? "array" : "object");
    *out = v;
    return TIDE_OK;
}

int tide_manifest_is_temp_name(const char *name) { return name[0] == '.' && strstr(name, ".tmp.") != NULL; }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

tide_status tide_manifest_add_files(cJSON *man, const char *dir) { return tide_manifest_add_files_known(man, dir, NULL); }

/* A "files" entry of `known` for `name` recording `size` bytes and a CRC, or NULL. */
static const cJSON *known_entry(const cJSON *known, const char *name, uint64_t size) {
    const cJSON *e = known ? cJSON_GetObjectItemCaseSensitive(known, name) : NULL;
    const cJSON *b = e ? cJSON_GetObjectItemCaseSensitive(e, "bytes") : NULL, *c = e ? cJSON_GetObjectItemCaseSensitive(e, "crc32") : NULL;
    return cJSON_IsNumber(b) && b->valuedouble == (double)size && cJSON_IsString(c) ? e : NULL;
}

tide_status tide_manifest_add_files_known(cJSON *man, const char *dir, const cJSON *known) {
    DIR *d = opendir(dir);
    if (!d) return tide_error(TIDE_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    tide_status st = TIDE_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "manifest.json") == 0) continue; /* ., .., temporaries */
        char *full = tide_path_join(dir, e->d_name);
        struct stat sb;
        int regular = full && stat(full, &sb) == 0 && S_ISREG(sb.st_mode);
        free(full);
        if (!regular) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                st = tide_error(TIDE_ERR_NOMEM, "out of memory");
                goto done;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto done;
        }
        n++;
    }
    if (n) qsort(names, n, sizeof *names, cmp_str); /* a stable order in the manifest */
    {
        uint32_t *crc = calloc(n + 1, sizeof *crc);
        uint64_t *bytes = calloc(n + 1, sizeof *bytes);
        tide_status *fst = calloc(n + 1, sizeof *fst);
        if (!crc || !bytes || !fst) {
            free(crc);
            free(bytes);
            free(fst);
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto done;
        }
        /* Files are independent: checksum them side by side (they are in the page cache). */
#pragma omp parallel for schedule(dynamic, 1)
        for (size_t i = 0; i < n; i++) {
            char *full = tide_path_join(dir, names[i]);
            struct stat sb;
            const cJSON *k = known && full && stat(full, &sb) == 0 ? known_entry(known, names[i], (uint64_t)sb.st_size) : NULL;
            if (k) {
                bytes[i] = (uint64_t)sb.st_size;
                crc[i] = (uint32_t)strtoul(cJSON_GetObjectItemCaseSensitive(k, "crc32")->valuestring, NULL, 16);
                fst[i] = TIDE_OK;
            } else fst[i] = full ? tide_file_crc32(full, &crc[i], &bytes[i]) : TIDE_ERR_NOMEM;
            free(full);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(man, "files");
        cJSON *files = cJSON_AddObjectToObject(man, "files");
        for (size_t i = 0; i < n && !st; i++) {
            if (fst[i]) {
                st = tide_error(fst[i], "%s/%s: cannot checksum", dir, names[i]);
                break;
            }
            cJSON *f = cJSON_AddObjectToObject(files, names[i]);
            char hex[16];
            snprintf(hex, sizeof hex, "%08x", crc[i]);
            if (!f || !cJSON_AddNumberToObject(f, "bytes", (double)bytes[i]) || !cJSON_AddStringToObject(f, "crc32", hex))
                st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        }
        free(crc);
        free(bytes);
        free(fst);
    }
done:
    closedir(d);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return st;
}

tide_status tide_manifest_commit_dir(tide_atomic_dir *d, cJSON *man) { return tide_manifest_commit_dir_known(d, man, NULL); }

tide_status tide_manifest_commit_dir_known(tide_atomic_dir *d, cJSON *man, const cJSON *known) {
    tide_status st = tide_manifest_add_files_known(man, d->tmp_path, known);
    if (st) return st;
    char *text = cJSON_Print(man);
    char *path = text ? tide_atomic_dir_file(d, "manifest.json") : NULL;
    if (!text || !path) {
        free(text);
        return tide_error(TIDE_ERR_NOMEM, "out of memory writing the manifest");
    }
    size_t n = strlen(text);
    text[n] = '\n'; /* over the terminating NUL: the length is passed, not the string */
    st = tide_write_file_atomic(path, text, n + 1);
    free(text);
    free(path);
    return st ? st : tide_atomic_dir_commit(d);
}
