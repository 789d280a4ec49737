/* rowgroup.c — distinct per-user rows for the resampling statistics (see rowgroup.h). A hash
 * table over row bytes; rows are numbered in order of first appearance, so the grouping is
 * deterministic. */
#include "rowgroup.h"

#include <stdlib.h>
#include <string.h>

static uint64_t row_hash(const double *v, int n) {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int j = 0; j < n; j++) {
        uint64_t w;
        memcpy(&w, &v[j], 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

tide_status tide_rowgroup_build(const double *const *cols, int n_cols, const int64_t *subset, int64_t n,
                                tide_rowgroup *g) {
    memset(g, 0, sizeof *g);
    g->n = n;
    g->n_cols = n_cols;
    tide_status st = TIDE_OK;
    uint64_t cap = 64;
    while (cap < (uint64_t)(n > 0 ? n : 1) * 2) cap <<= 1;
    int64_t *slot = NULL, rows_cap = 1024;
    double *cur = tide_malloc((size_t)(n_cols > 0 ? n_cols : 1) * sizeof *cur);
    g->row_of = tide_malloc((size_t)(n > 0 ? n : 1) * sizeof *g->row_of);
    g->rows = tide_malloc((size_t)rows_cap * (size_t)(n_cols > 0 ? n_cols : 1) * sizeof *g->rows);
    slot = tide_malloc(cap * sizeof *slot);
    if (!cur || !g->row_of || !g->rows || !slot) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (uint64_t i = 0; i < cap; i++) slot[i] = -1;
    size_t rb = (size_t)n_cols * sizeof(double);
    for (int64_t i = 0; i < n; i++) {
        int64_t e = subset ? subset[i] : i;
        for (int j = 0; j < n_cols; j++) cur[j] = cols[j][e];
        uint64_t k = row_hash(cur, n_cols) & (cap - 1);
        while (slot[k] >= 0 && memcmp(g->rows + slot[k] * n_cols, cur, rb) != 0) k = (k + 1) & (cap - 1);
        if (slot[k] < 0) {
            if (g->n_rows == rows_cap) {
                rows_cap *= 2;
                double *nr = tide_realloc(g->rows, (size_t)rows_cap * rb);
                if (!nr) {
                    st = TIDE_ERR_NOMEM;
                    goto done;
                }
                g->rows = nr;
            }
            memcpy(g->rows + g->n_rows * n_cols, cur, rb);
            slot[k] = g->n_rows++;
        }
        g->row_of[i] = (int32_t)slot[k];
    }
done:
    free(cur);
    free(slot);
    if (st != TIDE_OK) tide_rowgroup_free(g);
    return st;
}

void tide_rowgroup_free(tide_rowgroup *g) {
    free(g->row_of);
    free(g->rows);
    memset(g, 0, sizeof *g);
}
