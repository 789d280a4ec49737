/* verify.c — `tide verify PATH` (include/tide/verify.h): a directory (dataset, split, model,
 * interest) or vectors file against its manifest. Findings go to a callback, never stop the walk,
 * so one run lists everything that is wrong; the loaders (dataset, model, interest) supply the
 * structural checks they already make. */
#define _GNU_SOURCE
#include "tide/verify.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/interest.h"
#include "tide/manifest.h"
#include "tide/npy.h"
#include "tide/scorer.h"

typedef struct {
    tide_verify_fn fn;
    void *ctx;
    tide_verify_stats *st;
} vctx;

static void say(vctx *v, tide_verify_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(vctx *v, tide_verify_level level, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (level == TIDE_VERIFY_PROBLEM) v->st->problems++;
    else v->st->notes++;
    if (v->fn) v->fn(v->ctx, level, buf);
}

/* Stray temporaries inside `dir`, and those of `dir` itself (".BASE.tmp.*") in its parent. */
static void temporaries(vctx *v, const char *dir, const char *base_in_parent) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (tide_manifest_is_temp_name(e->d_name)) {
                v->st->temporaries++;
                say(v, TIDE_VERIFY_PROBLEM, "%s/%s: stray temporary (left by a run that was killed or failed)", dir, e->d_name);
            }
        closedir(d);
    }
    if (!base_in_parent) return;
    char *copy = strdup(dir), *copy2 = strdup(base_in_parent);
    if (!copy || !copy2) {
        free(copy);
        free(copy2);
        return;
    }
    const char *parent = dirname(copy);
    const char *base = basename(copy2);
    size_t bl = strlen(base);
    DIR *p = opendir(parent);
    if (p) {
        struct dirent *e;
        while ((e = readdir(p)))
            if (tide_manifest_is_temp_name(e->d_name) && strncmp(e->d_name + 1, base, bl) == 0 &&
                strncmp(e->d_name + 1 + bl, ".tmp.", 5) == 0) {
                v->st->temporaries++;
                say(v, TIDE_VERIFY_PROBLEM, "%s/%s: stray temporary of %s (left by a run that was killed or failed)", parent,
                    e->d_name, base);
            }
        closedir(p);
    }
    free(copy);
    free(copy2);
}

/* The manifest's "files": each name contained in `dir`, present, with its size and CRC-32. */
static void check_files(vctx *v, const char *mpath, const char *dir, const cJSON *man, int hex_prefix_ok) {
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(man, "files");
    if (!files) {
        say(v, TIDE_VERIFY_NOTE, "%s: no per-file checksums recorded (\"files\"; written by an older tide): contents checked by structure only",
            mpath);
        return;
    }
    if (!cJSON_IsObject(files)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s: \"files\" is not an object", mpath);
        return;
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        char key[300];
        snprintf(key, sizeof key, "files.%s", f->string ? f->string : "?");
        char *path = NULL;
        if (tide_manifest_file(mpath, dir, key, f->string, &path)) {
            say(v, TIDE_VERIFY_PROBLEM, "%s", tide_error_message());
            continue;
        }
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(f, "bytes"), *c = cJSON_GetObjectItemCaseSensitive(f, "crc32");
        if (!cJSON_IsNumber(b) || !cJSON_IsString(c)) {
            say(v, TIDE_VERIFY_PROBLEM, "%s: \"%s\" needs \"bytes\" and \"crc32\"", mpath, key);
            free(path);
            continue;
        }
        struct stat sb;
        if (stat(path, &sb) != 0) {
            say(v, TIDE_VERIFY_PROBLEM, "%s: missing (listed in the manifest)", path);
            free(path);
            continue;
        }
        uint32_t crc = 0;
        uint64_t size = 0;
        if (tide_file_crc32(path, &crc, &size)) {
            say(v, TIDE_VERIFY_PROBLEM, "%s: unreadable: %s", path, tide_error_message());
            free(path);
            continue;
        }
        v->st->files_checked++;
        char hex[16];
        snprintf(hex, sizeof hex, "%08x", crc);
        const char *want = c->valuestring;
        if (hex_prefix_ok && strncmp(want, "crc32:", 6) == 0) want += 6;
        if ((double)size != b->valuedouble)
            say(v, TIDE_VERIFY_PROBLEM, "%s: %llu bytes, the manifest records %.0f (truncated or extended)", path,
                (unsigned long long)size, b->valuedouble);
        else if (strcmp(hex, want) != 0)
            say(v, TIDE_VERIFY_PROBLEM, "%s: CRC-32 %s, the manifest records %s (the bytes changed)", path, hex, want);
        free(path);
    }
}

/* The item-major copy must be exactly what the user-major arrays give. */
static void check_item_major(vctx *v, const char *dir, const tide_dataset *ds) {
    tide_dataset t;
    memset(&t, 0, sizeof t);
    t.n_users = ds->n_users;
    t.n_items = ds->n_items;
    t.nnz = ds->nnz;
    t.indptr = ds->indptr;
    t.items = ds->items;
    t.times = ds->times;
    t.weights = ds->weights;
    t.events = ds->events;
    if (tide_dataset_build_item_major(&t)) {
        say(v, TIDE_VERIFY_NOTE, "%s: item-major copy not cross-checked: %s", dir, tide_error_message());
    } else {
        size_t ni = (size_t)ds->n_items + 1, nz = (size_t)ds->nnz;
        if (memcmp(t.item_indptr, ds->item_indptr, ni * sizeof *t.item_indptr))
            say(v, TIDE_VERIFY_PROBLEM, "%s/item_indptr.npy: differs from the item-major copy of indptr.npy/items.npy", dir);
        else if (nz && memcmp(t.item_users, ds->item_users, nz * sizeof *t.item_users))
            say(v, TIDE_VERIFY_PROBLEM, "%s/item_users.npy: differs from the item-major copy of the user-major arrays", dir);
        else if (nz && memcmp(t.item_times, ds->item_times, nz * sizeof *t.item_times))
            say(v, TIDE_VERIFY_PROBLEM, "%s/item_times.npy: differs from the item-major copy of times.npy", dir);
        else if (nz && memcmp(t.item_weights, ds->item_weights, nz * sizeof *t.item_weights))
            say(v, TIDE_VERIFY_PROBLEM, "%s/item_weights.npy: differs from the item-major copy of weights.npy", dir);
    }
    /* t borrowed ds's arrays; only what the build made (adopted into t) is released */
    t.indptr = NULL;
    t.items = NULL;
    t.times = NULL;
    t.weights = NULL;
    t.events = NULL;
    tide_dataset_free(&t);
}

static void verify_dataset(vctx *v, const char *dir, const char *mpath, const cJSON *man) {
    check_files(v, mpath, dir, man, 0);
    tide_dataset ds;
    if (tide_dataset_load(dir, &ds)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s", tide_error_message());
        return;
    }
    check_item_major(v, dir, &ds);
    tide_dataset_free(&ds);
}

/* A dataset another manifest names (model, vectors): when it is there, it must be that one. */
static void check_dataset_ref(vctx *v, const char *mpath, const cJSON *man, int64_t users, int64_t items) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(man, "dataset");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(d, "path"), *c = cJSON_GetObjectItemCaseSensitive(d, "checksum");
    if (!cJSON_IsString(p) || !*p->valuestring || !cJSON_IsString(c)) {
        say(v, TIDE_VERIFY_NOTE, "%s: names no dataset (path and checksum): not cross-checked", mpath);
        return;
    }
    if (!tide_is_dir(p->valuestring)) {
        say(v, TIDE_VERIFY_NOTE, "%s: its dataset %s is not here (paths are as given when it was made): not cross-checked",
            mpath, p->valuestring);
        return;
    }
    tide_dataset ds;
    if (tide_dataset_load(p->valuestring, &ds)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s: its dataset %s does not load: %s", mpath, p->valuestring, tide_error_message());
        return;
    }
    if (strcmp(ds.checksum, c->valuestring) != 0)
        say(v, TIDE_VERIFY_PROBLEM, "%s: made from dataset checksum %s, but %s now has %s (replaced since?)", mpath,
            c->valuestring, p->valuestring, ds.checksum);
    else if ((users >= 0 && ds.n_users != users) || (items >= 0 && ds.n_items != items))
        say(v, TIDE_VERIFY_PROBLEM, "%s: records %lld users, %lld items; its dataset %s has %lld, %lld", mpath, (long long)users,
            (long long)items, p->valuestring, (long long)ds.n_users, (long long)ds.n_items);
    tide_dataset_free(&ds);
}

static void verify_model(vctx *v, const char *dir, const char *mpath, const cJSON *man) {
    check_files(v, mpath, dir, man, 0);
    tide_scorer *m = NULL;
    if (tide_scorer_open(dir, &m)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s", tide_error_message());
        return;
    }
    check_dataset_ref(v, mpath, man, m->info.dataset_users, m->info.dataset_items);
    tide_scorer_free(m);
}

/* Every array the manifest's "arrays" lists is a file inside the directory that is there. With
 * "files" recorded, check_files reports a missing one already; this covers older dirs. */
static void check_arrays_present(vctx *v, const char *mpath, const char *dir, const cJSON *man) {
    if (tide_manifest_check_arrays(mpath, dir, man)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s", tide_error_message());
        return;
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(man, "files"), *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(man, "arrays")) {
        if (cJSON_IsObject(files) && cJSON_GetObjectItemCaseSensitive(files, e->valuestring)) continue;
        char *path = tide_path_join(dir, e->valuestring);
        if (path && !tide_path_exists(path))
            say(v, TIDE_VERIFY_PROBLEM, "%s: missing (\"arrays.%s\" in the manifest)", path, e->string ? e->string : "?");
        else if (path && cJSON_IsObject(files))
            say(v, TIDE_VERIFY_PROBLEM, "%s: \"arrays.%s\" names a file \"files\" does not record", mpath,
                e->string ? e->string : "?");
        free(path);
    }
}

/* An interest dir (tide-capture-interest): checksums; every array through the loader (dtype, rank
 * and shape against the manifest's dataset counts and "dims", CSR offsets, category ids); the
 * dataset it was captured from and the item vectors it names. */
static void verify_interest(vctx *v, const char *dir, const char *mpath, const cJSON *man) {
    check_files(v, mpath, dir, man, 0);
    check_arrays_present(v, mpath, dir, man);
    tide_interest_items it;
    tide_interest_params p;
    tide_interest_states S;
    if (tide_interest_dir_load(dir, &it, &p, &S, NULL)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s", tide_error_message());
    } else {
        tide_interest_items_free(&it);
        tide_interest_states_free(&S);
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(man, "dataset");
    int64_t users = -1, items = -1, lm = 0;
    const char *vec = NULL;
    if (tide_manifest_int(mpath, d, "dataset", "users", 0, INT64_MAX / 2, &users, NULL) ||
        tide_manifest_int(mpath, d, "dataset", "items", 0, INT64_MAX / 2, &items, NULL) ||
        tide_manifest_int(mpath, cJSON_GetObjectItemCaseSensitive(man, "dims"), "dims", "lm", 0, 1 << 20, &lm, NULL) ||
        tide_manifest_string(mpath, man, NULL, "item_vectors", &vec, NULL)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s", tide_error_message());
        return;
    }
    check_dataset_ref(v, mpath, man, users, items);
    if (!vec) return;
    if (!tide_path_exists(vec)) {
        say(v, TIDE_VERIFY_NOTE, "%s: its item vectors %s are not here (paths are as given when it was made): not cross-checked",
            mpath, vec);
        return;
    }
    tide_npy a;
    if (tide_npy_load_expect(vec, TIDE_DTYPE_F32, 2, &a)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s: its item vectors %s do not load: %s", mpath, vec, tide_error_message());
        return;
    }
    if ((items >= 0 && a.shape[0] != items) || a.shape[1] != lm)
        say(v, TIDE_VERIFY_PROBLEM, "%s: records %lld items and LM dimension %lld; its item vectors %s are [%lld, %lld] (replaced since?)",
            mpath, (long long)items, (long long)lm, vec, (long long)a.shape[0], (long long)a.shape[1]);
    tide_npy_free(&a);
}

static char *with_suffix(const char *path, const char *from, const char *to) {
    size_t n = strlen(path), fl = strlen(from);
    if (n < fl || strcmp(path + n - fl, from) != 0) return NULL;
    char *s = malloc(n - fl + strlen(to) + 1);
    if (s) sprintf(s, "%.*s%s", (int)(n - fl), path, to);
    return s;
}

static void verify_vectors(vctx *v, const char *npy, const char *mpath, const cJSON *man) {
    char *copy = strdup(npy);
    if (!copy) return;
    const char *dir = dirname(copy);
    check_files(v, mpath, dir, man, 1);
    tide_npy a;
    int64_t file_rows = -1;
    if (tide_npy_load_expect(npy, TIDE_DTYPE_F32, 2, &a)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s", tide_error_message());
    } else {
        int64_t rows = -1, dim = -1;
        if (tide_manifest_int(mpath, man, NULL, "rows", 0, INT64_MAX / 2, &rows, NULL) ||
            tide_manifest_int(mpath, man, NULL, "dim", 1, 1 << 20, &dim, NULL))
            say(v, TIDE_VERIFY_PROBLEM, "%s", tide_error_message());
        else if ((rows >= 0 && a.shape[0] != rows) || (dim >= 0 && a.shape[1] != dim))
            say(v, TIDE_VERIFY_PROBLEM, "%s: shape [%lld, %lld], the manifest records [%lld, %lld]", npy, (long long)a.shape[0],
                (long long)a.shape[1], (long long)rows, (long long)dim);
        file_rows = a.shape[0];
        tide_npy_free(&a);
    }
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(man, "kind");
    int items = cJSON_IsString(kind) && strcmp(kind->valuestring, "items") == 0;
    if (cJSON_GetObjectItemCaseSensitive(man, "dataset")) check_dataset_ref(v, mpath, man, -1, items ? file_rows : -1);
    free(copy);
}

static tide_status verify_dir(vctx *v, const char *dir, int depth);

static void verify_split(vctx *v, const char *dir, const char *mpath, const cJSON *man) {
    check_files(v, mpath, dir, man, 0);
    static const char *parts[] = {"train", "valid", "test", "train_valid"};
    int found = 0;
    for (int i = 0; i < 4; i++) {
        char *p = tide_path_join(dir, parts[i]);
        if (p && tide_is_dir(p)) {
            found++;
            verify_dir(v, p, 1);
        }
        free(p);
    }
    if (!found) say(v, TIDE_VERIFY_PROBLEM, "%s: a split without train/, valid/ or test/", dir);
}

static tide_status verify_dir(vctx *v, const char *dir, int depth) {
    temporaries(v, dir, depth == 0 ? dir : NULL);
    cJSON *man = NULL;
    char *mpath = NULL;
    if (tide_manifest_load(dir, "not a tide directory", &man, &mpath)) {
        say(v, TIDE_VERIFY_PROBLEM, "%s", tide_error_message());
        return TIDE_OK;
    }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(man, "format");
    const char *f = cJSON_IsString(fmt) ? fmt->valuestring : "";
    if (strcmp(f, "tide-dataset") == 0) {
        if (depth == 0) v->st->kind = "dataset";
        verify_dataset(v, dir, mpath, man);
    } else if (strcmp(f, "tide-model") == 0) {
        if (depth == 0) v->st->kind = "model";
        verify_model(v, dir, mpath, man);
    } else if (strcmp(f, "tide-interest") == 0) {
        if (depth == 0) v->st->kind = "interest";
        verify_interest(v, dir, mpath, man);
    } else if (strcmp(f, "tide-split") == 0 && depth == 0) {
        v->st->kind = "split";
        verify_split(v, dir, mpath, man);
    } else {
        say(v, TIDE_VERIFY_PROBLEM, "%s: unknown format '%s' (tide verify knows tide-dataset, tide-split, tide-model, tide-interest, tide-embed)",
            mpath, f);
    }
    cJSON_Delete(man);
    free(mpath);
    return TIDE_OK;
}

tide_status tide_verify(const char *path, tide_verify_fn fn, void *ctx, tide_verify_stats *stats) {
    memset(stats, 0, sizeof *stats);
    vctx v = {fn, ctx, stats};
    struct stat sb;
    if (stat(path, &sb) != 0) return tide_error(TIDE_ERR_IO, "%s: cannot access: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return verify_dir(&v, path, 0);
    /* vectors: OUT.npy or OUT.json */
    char *npy = with_suffix(path, ".json", ".npy");
    char *json = npy ? strdup(path) : with_suffix(path, ".npy", ".json");
    if (!npy && json) npy = strdup(path);
    if (!npy || !json) {
        say(&v, TIDE_VERIFY_PROBLEM, "%s: not a tide directory or vectors file (OUT.npy with OUT.json)", path);
        free(npy);
        free(json);
        return TIDE_OK;
    }
    stats->kind = "vectors";
    char *copy = strdup(npy), *copy2 = strdup(npy);
    if (copy && copy2) {
        /* the vectors' own temporaries (".OUT.npy.tmp.*" and ".OUT.json.tmp.*") in their directory */
        const char *dir = dirname(copy), *base = basename(copy2);
        DIR *d = opendir(dir);
        size_t bl = strlen(base) - 4; /* "OUT" */
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)))
                if (tide_manifest_is_temp_name(e->d_name) && strncmp(e->d_name + 1, base, bl) == 0 && e->d_name[1 + bl] == '.') {
                    stats->temporaries++;
                    say(&v, TIDE_VERIFY_PROBLEM, "%s/%s: stray temporary (left by a run that was killed or failed)", dir, e->d_name);
                }
            closedir(d);
        }
    }
    free(copy);
    free(copy2);
    char *text = NULL;
    size_t n = 0;
    cJSON *man = NULL;
    if (tide_read_file(json, &text, &n)) {
        say(&v, TIDE_VERIFY_PROBLEM, "%s: no readable manifest beside %s", json, npy);
    } else if (!(man = cJSON_ParseWithLength(text, n)) || !cJSON_IsObject(man)) {
        say(&v, TIDE_VERIFY_PROBLEM, "%s: not a JSON object", json);
    } else {
        const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(man, "format");
        if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "tide-embed") != 0)
            say(&v, TIDE_VERIFY_PROBLEM, "%s: not a tide-embed manifest", json);
        else
            verify_vectors(&v, npy, json, man);
    }
    cJSON_Delete(man);
    free(text);
    free(npy);
    free(json);
    return TIDE_OK;
}
