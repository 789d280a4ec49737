/* split_write.c — writing a split: one dataset directory per part, each with a "split" record in
 * its manifest, and OUT/manifest.json summarising the whole split, all inside one atomic
 * directory so OUT appears only when every part is complete. */
#define _GNU_SOURCE
#include "tide/split.h"
#include "tide/fileio.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#define SPLIT_FORMAT_VERSION 1

static int part_present(const tide_split *sp, int i) {
    return sp->has_valid || (i != TIDE_SPLIT_VALID && i != TIDE_SPLIT_TRAIN_VALID);
}

static void add_time(cJSON *o, const char *key, int64_t t) {
    char iso[40], k[64];
    tide_split_format_time(t, iso, sizeof iso);
    cJSON_AddNumberToObject(o, key, (double)t);
    snprintf(k, sizeof k, "%s_iso", key);
    cJSON_AddStringToObject(o, k, iso);
}

/* The parameters as asked for (flag names without "--"). */
static cJSON *params_json(const tide_split *sp) {
    const tide_split_params *p = &sp->params;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (p->method == TIDE_SPLIT_LEAVE_LAST) {
        cJSON_AddNumberToObject(o, "test", (double)p->test_events);
        cJSON_AddNumberToObject(o, "valid", (double)p->valid_events);
        return o;
    }
    if (p->has_test_cut) add_time(o, "cut", p->test_cut);
    else cJSON_AddNumberToObject(o, "test_fraction", p->test_fraction);
    if (p->has_valid_cut) add_time(o, "valid_cut", p->valid_cut);
    else if (p->valid_fraction > 0) cJSON_AddNumberToObject(o, "valid_fraction", p->valid_fraction);
    return o;
}

static cJSON *counts_obj(const tide_split_counts *c) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "users_with_interactions", (double)c->users_with_interactions);
    cJSON_AddNumberToObject(o, "interactions", (double)c->interactions);
    cJSON_AddNumberToObject(o, "text_events", (double)c->text_events);
    return o;
}

/* Add method, params, cuts in effect, source, per-part counts (with checksums when `checksums`)
 * and statistics to `o`: shared by every part's "split" record and OUT/manifest.json.
 * Returns o, or NULL when o is NULL. */
static cJSON *add_summary(cJSON *o, const tide_split *sp, const char *source_path, int checksums) {
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "method", tide_split_method_name(sp->params.method));
    cJSON_AddItemToObject(o, "params", params_json(sp));
    if (sp->params.method == TIDE_SPLIT_TIME) {
        cJSON *cuts = cJSON_AddObjectToObject(o, "cuts");
        add_time(cuts, "test", sp->test_cut);
        if (sp->has_valid) add_time(cuts, "valid", sp->valid_cut);
    }
    cJSON *src = cJSON_AddObjectToObject(o, "source");
    cJSON_AddStringToObject(src, "path", source_path ? source_path : "");
    cJSON_AddStringToObject(src, "checksum", sp->source_checksum);
    cJSON_AddItemToObject(src, "counts", counts_obj(&sp->source_counts));
    cJSON *parts = cJSON_AddObjectToObject(o, "parts");
    for (int i = 0; i < TIDE_SPLIT_N_PARTS; i++) {
        if (!part_present(sp, i)) continue;
        cJSON *c = counts_obj(&sp->counts[i]);
        if (c && checksums) cJSON_AddStringToObject(c, "checksum", sp->parts[i].checksum);
        cJSON_AddItemToObject(parts, tide_split_part_name((tide_split_part)i), c);
    }
    cJSON *st = cJSON_AddObjectToObject(o, "stats");
    if (sp->params.method == TIDE_SPLIT_LEAVE_LAST) {
        cJSON_AddNumberToObject(st, "users_split", (double)sp->users_split);
        cJSON_AddNumberToObject(st, "users_too_short", (double)sp->users_too_short);
        cJSON_AddNumberToObject(st, "users_without_interactions", (double)sp->users_without_interactions);
    } else {
        cJSON_AddNumberToObject(st, "users_both_sides_test_cut", (double)sp->users_both_sides_test_cut);
        if (sp->has_valid) cJSON_AddNumberToObject(st, "users_both_sides_valid_cut", (double)sp->users_both_sides_valid_cut);
    }
    return o;
}

static tide_status write_json(const char *path, cJSON *j) {
    char *s = j ? cJSON_Print(j) : NULL;
    if (!s) return tide_error(TIDE_ERR_NOMEM, "out of memory writing %s", path);
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return tide_error(TIDE_ERR_NOMEM, "out of memory writing %s", path);
    }
    t[n] = '\n';
    tide_status st = tide_write_file_atomic(path, t, n + 1);
    free(t);
    return st;
}

/* The parent of OUT must exist for the atomic directory next to it. */
static tide_status make_parent(const char *out_dir) {
    char *c = strdup(out_dir);
    if (!c) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    const char *parent = dirname(c);
    tide_status st = tide_is_dir(parent) ? TIDE_OK : tide_mkdirs(parent);
    free(c);
    return st;
}

tide_status tide_split_save(const char *out_dir, tide_split *sp, const char *source_path, const char *command) {
    tide_status st = make_parent(out_dir);
    if (st) return st;
    tide_atomic_dir d;
    if ((st = tide_atomic_dir_begin(&d, out_dir))) return st;
    char *path = NULL;
    cJSON *top = NULL;
    for (int i = 0; i < TIDE_SPLIT_N_PARTS; i++) {
        if (!part_present(sp, i)) continue;
        tide_dataset *part = &sp->parts[i];
        cJSON *m = cJSON_CreateObject(), *rec = cJSON_CreateObject();
        if (rec) cJSON_AddStringToObject(rec, "part", tide_split_part_name((tide_split_part)i));
        if (!m || !add_summary(rec, sp, source_path, 0)) {
            cJSON_Delete(m);
            cJSON_Delete(rec);
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto fail;
        }
        cJSON_AddItemToObject(m, "split", rec);
        if (command) cJSON_AddStringToObject(m, "command", command);
        cJSON_Delete(part->manifest);
        part->manifest = m;
        free(path);
        path = tide_atomic_dir_file(&d, tide_split_part_name((tide_split_part)i));
        if (!path) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto fail;
        }
        if ((st = tide_dataset_save(path, part))) goto fail;
    }
    top = cJSON_CreateObject();
    if (top) { /* format keys first, so the file says what it is */
        cJSON_AddStringToObject(top, "format", "tide-split");
        cJSON_AddNumberToObject(top, "format_version", SPLIT_FORMAT_VERSION);
    }
    if (!add_summary(top, sp, source_path, 1)) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (command) cJSON_AddStringToObject(top, "command", command);
    free(path);
    path = tide_atomic_dir_file(&d, "manifest.json");
    if (!path) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((st = write_json(path, top))) goto fail;
    free(path);
    cJSON_Delete(top);
    return tide_atomic_dir_commit(&d);
fail:
    free(path);
    cJSON_Delete(top);
    tide_atomic_dir_abort(&d);
    return st;
}
