/* dataset-builder.h — the one way unit tests build a dataset in memory: describe it in a
 * tb_spec (designated initializers; anything left out gets a default) and tb_build copies it
 * into a tide_dataset that owns every array, so tide_dataset_free() releases it all. Larger,
 * random datasets come from tide_synth_dataset (tide/synth.h).
 *
 *   tide_dataset ds;
 *   tb_build(&ds, &(tb_spec){.n_users = 2, .n_items = 3, .len = (int[]){2, 1},
 *                            .items = (int32_t[]){0, 2, 1}, .times = (int64_t[]){10, 20, 5}});
 */
#ifndef TIDE_TEST_DATASET_BUILDER_H
#define TIDE_TEST_DATASET_BUILDER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/dataset.h"

typedef struct tb_spec {
    int64_t n_users, n_items;
    const char *const *user_ids;  /* [n_users]; NULL: "u0", "u1", ... */
    const char *const *item_ids;  /* [n_items]; NULL: "i0", "i1", ... */
    /* interactions, user-major: user u holds len[u] of them (or indptr[u]..indptr[u+1]) */
    const int *len;
    const int64_t *indptr;        /* [n_users + 1], instead of len */
    const int32_t *items;
    const int64_t *times;         /* NULL: all 0 */
    const float *weights;         /* NULL: all 1 */
    /* item text: n_text_fields columns, item_text[item * n_text_fields + field] (NULL = none) */
    int n_text_fields;
    const char *const *text_fields;
    const char *const *item_text;
    /* user text events, user-major like the interactions (text_len or text_indptr) */
    const int *text_len;
    const int64_t *text_indptr;
    const int32_t *text_items;    /* -1 = about no item */
    const int64_t *text_times;
    const char *const *texts;
} tb_spec;

static inline void *tb_own(tide_dataset *ds, size_t n) {
    void *p = calloc(n ? n : 1, 1);
    if (!p || tide_dataset_adopt(ds, p)) {
        fprintf(stderr, "dataset-builder: out of memory\n");
        abort();
    }
    return p;
}

static inline char *tb_str(tide_dataset *ds, const char *s) {
    if (!s) return NULL;
    char *p = tb_own(ds, strlen(s) + 1);
    memcpy(p, s, strlen(s) + 1);
    return p;
}

static inline char **tb_ids(tide_dataset *ds, int64_t n, const char *const *given, char prefix) {
    char **v = tb_own(ds, sizeof(char *) * (size_t)n);
    char buf[32];
    for (int64_t i = 0; i < n; i++) {
        if (!given) snprintf(buf, sizeof buf, "%c%lld", prefix, (long long)i);
        v[i] = tb_str(ds, given ? given[i] : buf);
    }
    return v;
}

static inline int64_t *tb_indptr(tide_dataset *ds, int64_t n_users, const int *len, const int64_t *indptr) {
    int64_t *ip = tb_own(ds, sizeof(int64_t) * (size_t)(n_users + 1));
    for (int64_t u = 0; u < n_users; u++)
        ip[u + 1] = indptr ? indptr[u + 1] - indptr[0] : ip[u] + (len ? len[u] : 0);
    return ip;
}

static inline void tb_build(tide_dataset *ds, const tb_spec *s) {
    memset(ds, 0, sizeof *ds);
    ds->n_users = s->n_users;
    ds->n_items = s->n_items;
    ds->user_ids = tb_ids(ds, s->n_users, s->user_ids, 'u');
    ds->item_ids = tb_ids(ds, s->n_items, s->item_ids, 'i');
    ds->indptr = tb_indptr(ds, s->n_users, s->len, s->indptr);
    int64_t nnz = ds->nnz = ds->indptr[s->n_users];
    int64_t off = s->indptr ? s->indptr[0] : 0;
    ds->items = tb_own(ds, sizeof(int32_t) * (size_t)nnz);
    ds->times = tb_own(ds, sizeof(int64_t) * (size_t)nnz);
    ds->weights = tb_own(ds, sizeof(float) * (size_t)nnz);
    for (int64_t k = 0; k < nnz; k++) {
        ds->items[k] = s->items[off + k];
        ds->times[k] = s->times ? s->times[off + k] : 0;
        ds->weights[k] = s->weights ? s->weights[off + k] : 1.0f;
    }
    if (s->n_text_fields) {
        ds->n_text_fields = s->n_text_fields;
        ds->text_fields = tb_own(ds, sizeof(char *) * (size_t)s->n_text_fields);
        for (int f = 0; f < s->n_text_fields; f++) ds->text_fields[f] = tb_str(ds, s->text_fields[f]);
        size_t cells = (size_t)s->n_items * (size_t)s->n_text_fields;
        ds->item_text = tb_own(ds, sizeof(char *) * cells);
        for (size_t c = 0; s->item_text && c < cells; c++) ds->item_text[c] = tb_str(ds, s->item_text[c]);
    }
    if (s->text_len || s->text_indptr) {
        ds->text_indptr = tb_indptr(ds, s->n_users, s->text_len, s->text_indptr);
        int64_t nt = ds->n_text = ds->text_indptr[s->n_users];
        int64_t toff = s->text_indptr ? s->text_indptr[0] : 0;
        ds->text_items = tb_own(ds, sizeof(int32_t) * (size_t)nt);
        ds->text_times = tb_own(ds, sizeof(int64_t) * (size_t)nt);
        ds->texts = tb_own(ds, sizeof(char *) * (size_t)nt);
        for (int64_t k = 0; k < nt; k++) {
            ds->text_items[k] = s->text_items ? s->text_items[toff + k] : -1;
            ds->text_times[k] = s->text_times ? s->text_times[toff + k] : 0;
            ds->texts[k] = tb_str(ds, s->texts ? s->texts[toff + k] : "");
        }
    }
}

#endif
