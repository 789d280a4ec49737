/* aggregate.c — means of per-user columns over users (all, or a segment) and catalog coverage. */
#include "tide/eval.h"

#include <math.h>

double tide_eval_mean(const double *col, const int64_t *subset, int64_t n, int64_t *n_defined) {
    /* Neumaier-compensated sum: a million users must not cost digits. */
    double sum = 0, comp = 0;
    int64_t cnt = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = col[subset ? subset[i] : i];
        if (isnan(v)) continue;
        double t = sum + v;
        comp += fabs(sum) >= fabs(v) ? (sum - t) + v : (v - t) + sum;
        sum = t;
        cnt++;
    }
    if (n_defined) *n_defined = cnt;
    return cnt > 0 ? (sum + comp) / (double)cnt : NAN;
}

double tide_eval_coverage(const tide_eval_run *r, int segment, int k, int64_t n_catalog) {
    int g = segment < 0 ? 0 : 1 + segment;
    if (g >= r->n_cov || n_catalog <= 0) return NAN;
    const int32_t *fr = r->first_rank[g];
    int64_t n = r->n_first_rank < n_catalog ? r->n_first_rank : n_catalog, covered = 0;
    for (int64_t i = 0; i < n; i++) covered += fr[i] <= k;
    return (double)covered / (double)n_catalog;
}
