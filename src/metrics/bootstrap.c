/* bootstrap.c — percentile bootstrap confidence intervals for means over users.
 *
 * Replicate b draws n users with replacement from a generator keyed by (seed, b) and turns the
 * draws into counts; each column's replicate mean is then a weighted mean streamed over the
 * column. Replicates are independent, so they run in parallel and the result does not depend on
 * the thread count. Interval: the (1-level)/2 and (1+level)/2 quantiles of the replicate means
 * (linear interpolation between order statistics, "type 7"). */
#include "tide/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

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
    double *means = NULL, *gathered = NULL;
    const double **c = NULL;
    int *has_nan = NULL;
    for (int j = 0; j < n_cols; j++) out[j].low = out[j].high = NAN;
    if (n <= 0 || B <= 0 || n_cols <= 0) return TIDE_OK;
    if (!(level > 0 && level < 1)) return tide_error(TIDE_ERR_USAGE, "confidence level must be in (0, 1)");
    means = tide_malloc((size_t)B * (size_t)n_cols * sizeof *means);
    c = tide_malloc((size_t)n_cols * sizeof *c);
    has_nan = tide_calloc((size_t)n_cols, sizeof *has_nan);
    if (!means || !c || !has_nan) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    /* A subset is gathered once so every replicate streams contiguous memory. */
    if (subset) {
        gathered = tide_malloc((size_t)n * (size_t)n_cols * sizeof *gathered);
        if (!gathered) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
        for (int j = 0; j < n_cols; j++) {
            for (int64_t i = 0; i < n; i++) gathered[(int64_t)j * n + i] = cols[j][subset[i]];
            c[j] = gathered + (int64_t)j * n;
        }
    } else {
        for (int j = 0; j < n_cols; j++) c[j] = cols[j];
    }
    for (int j = 0; j < n_cols; j++)
        for (int64_t i = 0; i < n; i++)
            if (isnan(c[j][i])) {
                has_nan[j] = 1;
                break;
            }
    int failed = 0;
#pragma omp parallel
    {
        uint32_t *cnt = malloc((size_t)n * sizeof *cnt);
        if (!cnt) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(static)
        for (int b = 0; b < B; b++) {
            if (!cnt) continue;
            tide_rng r;
            tide_rng_seed(&r, seed, STREAM_BOOTSTRAP, (uint64_t)b);
            memset(cnt, 0, (size_t)n * sizeof *cnt);
            for (int64_t i = 0; i < n; i++) cnt[tide_rng_below(&r, (uint64_t)n)]++;
            for (int j = 0; j < n_cols; j++) {
                const double *x = c[j];
                double num = 0, den = 0;
                if (has_nan[j]) {
                    for (int64_t i = 0; i < n; i++)
                        if (cnt[i] && !isnan(x[i])) {
                            num += cnt[i] * x[i];
                            den += cnt[i];
                        }
                } else {
                    for (int64_t i = 0; i < n; i++) num += cnt[i] * x[i];
                    den = (double)n;
                }
                means[(int64_t)j * B + b] = den > 0 ? num / den : NAN;
            }
        }
        free(cnt);
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
    free(gathered);
    free(c);
    free(has_nan);
    return st;
}
