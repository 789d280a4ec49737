/* bootstrap.c — percentile bootstrap confidence intervals for means over users.
 *
 * Replicate b draws n users with replacement from a generator keyed by (seed, b) and counts the
 * draws per distinct row of values (rowgroup.h); each column's replicate mean is then a weighted
 * mean over the distinct rows. Replicates are independent, so they run in parallel and the result does not depend on
 * the thread count. Interval: the (1-level)/2 and (1+level)/2 quantiles of the replicate means
 * (linear interpolation between order statistics, "type 7"). */
#include "tide/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/rng.h"
#include "rowgroup.h"

#define STREAM_BOOTSTRAP 1

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile_sorted(const double *x, int n, double q) {
    double h = (double)(n - 1) * q;
    int lo = (int)floor(h);
    if (lo >= n - 1) return x[n - 1];
    return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

tide_status tide_eval_bootstrap(const double *const *cols, int n_cols, const int64_t *subset,
                                int64_t n, int B, uint64_t seed, double level, tide_eval_ci *out) {
    tide_status st = TIDE_OK;
    double *means = NULL;
    tide_rowgroup g;
    memset(&g, 0, sizeof g);
    for (int j = 0; j < n_cols; j++) out[j].low = out[j].high = NAN;
    if (n <= 0 || B <= 0 || n_cols <= 0) return TIDE_OK;
    if (!(level > 0 && level < 1)) return tide_error(TIDE_ERR_USAGE, "confidence level must be in (0, 1)");
    means = tide_malloc((size_t)B * (size_t)n_cols * sizeof *means);
    if (!means) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    /* Users with identical rows are interchangeable: count draws per distinct row. */
    if ((st = tide_rowgroup_build(cols, n_cols, subset, n, &g)) != TIDE_OK) goto done;
    int64_t U = g.n_rows;
    int failed = 0;
#pragma omp parallel
    {
        uint32_t *cnt = malloc((size_t)U * sizeof *cnt);
        double *num = malloc((size_t)n_cols * sizeof *num), *den = malloc((size_t)n_cols * sizeof *den);
        if (!cnt || !num || !den) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int b = 0; b < B; b++) {
            if (!cnt || !num || !den) continue;
            tide_rng r;
            tide_rng_init(&r, seed + STREAM_BOOTSTRAP * 0x9e3779b97f4a7c15ull, (uint64_t)b); /* one stream per replicate: thread-independent */
            memset(cnt, 0, (size_t)U * sizeof *cnt);
            for (int64_t i = 0; i < n; i++) cnt[g.row_of[tide_rng_below(&r, (uint64_t)n)]]++;
            for (int j = 0; j < n_cols; j++) num[j] = den[j] = 0;
            for (int64_t u = 0; u < U; u++) {
                if (!cnt[u]) continue;
                const double *row = g.rows + u * n_cols;
                double c = (double)cnt[u];
                for (int j = 0; j < n_cols; j++)
                    if (!isnan(row[j])) {
                        num[j] += c * row[j];
                        den[j] += c;
                    }
            }
            for (int j = 0; j < n_cols; j++) means[(int64_t)j * B + b] = den[j] > 0 ? num[j] / den[j] : NAN;
        }
        free(cnt);
        free(num);
        free(den);
    }
    if (failed) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory in the bootstrap");
        goto done;
    }
    for (int j = 0; j < n_cols; j++) {
        double *m = means + (int64_t)j * B;
        int k = 0;
        for (int b = 0; b < B; b++)
            if (!isnan(m[b])) m[k++] = m[b];
        if (k == 0) continue;
        qsort(m, (size_t)k, sizeof *m, cmp_double);
        out[j].low = quantile_sorted(m, k, (1 - level) / 2);
        out[j].high = quantile_sorted(m, k, (1 + level) / 2);
    }
done:
    free(means);
    tide_rowgroup_free(&g);
    return st;
}
