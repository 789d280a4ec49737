/* paired.c — comparing two runs over the same users: the mean difference, a paired bootstrap
 * interval (bootstrap of the per-user differences) and a two-sided paired randomization test
 * (random sign flips of the per-user differences; p = (1 + #extreme) / (1 + permutations)).
 * A user enters a column's comparison when both runs define it (novelty/diversity can be NaN). */
#include "tide/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/rng.h"
#include "rowgroup.h"

#define STREAM_PERMUTATION 2

tide_status tide_eval_compare(const double *const *cols_a, const double *const *cols_b, int n_cols,
                              const int64_t *subset, int64_t n, int B, int n_perm, uint64_t seed,
                              double level, tide_eval_paired *out) {
    tide_status st = TIDE_OK;
    double *d = NULL, *obs = NULL, *tol = NULL;
    const double **dc = NULL;
    tide_eval_ci *ci = NULL;
    int64_t *extreme = NULL;
    size_t sz;
    if (n_cols <= 0) return TIDE_OK;
    if (!tide_mul_size((size_t)(n > 0 ? n : 1), (size_t)n_cols, &sz)) return tide_error(TIDE_ERR_NOMEM, "too many users");
    d = tide_malloc(sz * sizeof *d);
    obs = tide_calloc((size_t)n_cols, sizeof *obs);
    tol = tide_calloc((size_t)n_cols, sizeof *tol);
    dc = tide_malloc((size_t)n_cols * sizeof *dc);
    ci = tide_malloc((size_t)n_cols * sizeof *ci);
    extreme = tide_calloc((size_t)n_cols, sizeof *extreme);
    if (!d || !obs || !tol || !dc || !ci || !extreme) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int j = 0; j < n_cols; j++) {
        double *x = d + (int64_t)j * n, sa = 0, sb = 0, abs_sum = 0;
        int64_t pairs = 0;
        for (int64_t i = 0; i < n; i++) {
            int64_t e = subset ? subset[i] : i;
            double a = cols_a[j][e], b = cols_b[j][e];
            if (isnan(a) || isnan(b)) {
                x[i] = NAN;
                continue;
            }
            x[i] = a - b;
            sa += a;
            sb += b;
            obs[j] += x[i];
            abs_sum += fabs(x[i]);
            pairs++;
        }
        dc[j] = x;
        /* Sign-flipped sums of the same numbers may differ from the observed one by rounding only:
         * such ties count as at least as extreme. */
        tol[j] = 1e-9 * abs_sum;
        out[j].n_pairs = pairs;
        out[j].mean_a = pairs ? sa / (double)pairs : NAN;
        out[j].mean_b = pairs ? sb / (double)pairs : NAN;
        out[j].diff = pairs ? tide_eval_mean(x, NULL, n, NULL) : NAN;
        out[j].p_value = NAN;
    }
    if ((st = tide_eval_bootstrap(dc, n_cols, NULL, n, B, seed, level, ci)) != TIDE_OK) goto done;
    for (int j = 0; j < n_cols; j++) out[j].ci = ci[j];
    if (n_perm > 0 && n > 0) {
        /* Sign flips summed per distinct row of differences (rowgroup.h). */
        tide_rowgroup g;
        if ((st = tide_rowgroup_build(dc, n_cols, NULL, n, &g)) != TIDE_OK) goto done;
        int64_t U = g.n_rows;
        int failed = 0;
#pragma omp parallel
        {
            int64_t *local = calloc((size_t)n_cols, sizeof *local);
            double *sum = malloc((size_t)n_cols * sizeof *sum);
            int64_t *acc = malloc((size_t)U * sizeof *acc);
#pragma omp for schedule(static)
            for (int p = 0; p < n_perm; p++) {
                if (!local || !sum || !acc) continue;
                tide_rng r;
                tide_rng_init(&r, seed + STREAM_PERMUTATION * 0x9e3779b97f4a7c15ull, (uint64_t)p); /* one stream per permutation: thread-independent */
                memset(acc, 0, (size_t)U * sizeof *acc);
                uint64_t bits = 0;
                for (int64_t i = 0; i < n; i++) {
                    if ((i & 63) == 0) bits = tide_rng_next(&r);
                    acc[g.row_of[i]] += (bits >> (i & 63)) & 1 ? -1 : 1;
                }
                for (int j = 0; j < n_cols; j++) sum[j] = 0;
                for (int64_t u = 0; u < U; u++) {
                    if (!acc[u]) continue;
                    const double *row = g.rows + u * n_cols;
                    for (int j = 0; j < n_cols; j++)
                        if (!isnan(row[j])) sum[j] += (double)acc[u] * row[j];
                }
                for (int j = 0; j < n_cols; j++)
                    if (fabs(sum[j]) >= fabs(obs[j]) - tol[j]) local[j]++;
            }
#pragma omp critical
            {
                if (local && sum && acc)
                    for (int j = 0; j < n_cols; j++) extreme[j] += local[j];
                else
                    failed = 1;
            }
            free(local);
            free(sum);
            free(acc);
        }
        tide_rowgroup_free(&g);
        if (failed) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory in the randomization test");
            goto done;
        }
        for (int j = 0; j < n_cols; j++)
            if (out[j].n_pairs > 0) out[j].p_value = (1.0 + (double)extreme[j]) / (1.0 + (double)n_perm);
    }
done:
    free(d);
    free(obs);
    free(tol);
    free(dc);
    free(ci);
    free(extreme);
    return st;
}
