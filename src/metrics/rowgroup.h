/* rowgroup.h — internal: groups users whose values are identical in every column. Metric rows
 * repeat a lot (every user without a hit has the same all-zero row), and a resampling statistic
 * only needs, per replicate, how many draws fell on each distinct row: the bootstrap and the
 * randomization test then cost O(users) cheap increments plus O(distinct rows × columns). */
#ifndef TIDE_METRICS_ROWGROUP_H
#define TIDE_METRICS_ROWGROUP_H

#include "tide/core.h"

typedef struct {
    int64_t n;          /* users */
    int64_t n_rows;     /* distinct rows */
    int n_cols;
    int32_t *row_of;    /* [n] distinct row of each user (in subset order) */
    double *rows;       /* [n_rows * n_cols] row-major */
} tide_rowgroup;

/* Build from column pointers over `subset` (NULL = 0..n-1). Equality is bitwise (NaN == NaN). */
tide_status tide_rowgroup_build(const double *const *cols, int n_cols, const int64_t *subset, int64_t n,
                                tide_rowgroup *g);
void tide_rowgroup_free(tide_rowgroup *g);

#endif
