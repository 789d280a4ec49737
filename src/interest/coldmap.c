/* coldmap.c — cold items: a ridge map from the language model's space to the ALS item factors,
 * fitted on the items that have interactions, so an item nobody has touched yet gets CF factors
 * from its text and the CF components (ALS score, fold-ins) can rank it. Closed form through the
 * backend's host linear algebra (tide_la_*, LAPACKE on the CPU):
 *     W = (XᵀX + λI)⁻¹ XᵀF,   X = [LM rows | 1] of the fitted items, F = their ALS factors.
 * λ is given, or chosen from a fixed grid by R² on a deterministic hold-out (every 5th fitted
 * item), then the map is refitted on all of them. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/backend.h"
#include "tide/interest.h"

static const double grid[] = {0.1, 0.3, 1, 3, 10, 30, 100};

/* Rows of X (with the intercept column) and F for the listed items. */
static void gather(const tide_interest_items *it, const int32_t *idx, int64_t n, float *X, float *F) {
    int d = it->lm_dim, k = it->als_k;
    for (int64_t r = 0; r < n; r++) {
        memcpy(X + r * (d + 1), it->lm + (size_t)idx[r] * d, (size_t)d * sizeof *X);
        X[r * (d + 1) + d] = 1.0f;
        memcpy(F + r * k, it->als_items + (size_t)idx[r] * k, (size_t)k * sizeof *F);
    }
}

/* W [d+1, k] = (G + λI)⁻¹ B for the Gram G = XᵀX and B = XᵀF (copied, not changed). */
static tide_status solve(const float *G, const float *B, int64_t D, int k, double lambda, float *A, float *W) {
    memcpy(A, G, (size_t)(D * D) * sizeof *A);
    for (int64_t i = 0; i < D; i++) A[i * D + i] += (float)lambda;
    memcpy(W, B, (size_t)(D * k) * sizeof *W);
    if (tide_la_sposv(NULL, 'U', D, k, A, D, W, k) != 0)
        return tide_error(TIDE_ERR_DATA, "cold-item map: the ridge system is singular at lambda %g", lambda);
    return TIDE_OK;
}

static tide_status normal_eq(const float *X, const float *F, int64_t n, int64_t D, int k, float *G, float *B) {
    tide_la_ssyrk(NULL, 'U', 1, D, n, 1.0f, X, D, 0.0f, G, D);
    for (int64_t i = 0; i < D; i++)             /* sposv reads 'U' only; keep G whole for copies */
        for (int64_t j = 0; j < i; j++) G[i * D + j] = G[j * D + i];
    tide_la_sgemm(NULL, 1, 0, D, k, n, 1.0f, X, D, F, k, 0.0f, B, k);
    return TIDE_OK;
}

tide_status tide_interest_cold_map_fit(const tide_dataset *ds, const tide_interest_params *p, tide_interest_items *it) {
    if (!it->als_items) return TIDE_OK;
    const int64_t N = it->n_items, D = it->lm_dim + 1;
    const int k = it->als_k, d = it->lm_dim;
    tide_status st = TIDE_OK;
    uint8_t *seen = tide_calloc((size_t)N + 1, 1);
    int32_t *fit = tide_malloc(((size_t)N + 1) * sizeof *fit);
    float *X = NULL, *F = NULL, *G = NULL, *B = NULL, *A = NULL, *W = NULL, *P = NULL;
    if (!seen || !fit) { st = TIDE_ERR_NOMEM; goto out; }
    for (int64_t e = 0; e < ds->nnz; e++) seen[ds->items[e]] = 1;
    int64_t n = 0;
    for (int64_t i = 0; it->lm && i < N; i++)
        if (seen[i] && cblas_snrm2(d, it->lm + (size_t)i * d, 1) > 0) fit[n++] = (int32_t)i;
    if (!it->lm || p->cold_lambda < 0 || n < 2) {
        /* No map (none asked, no LM space, nothing to learn from): items without interactions
         * get zero factors — ALS leaves them at their random start, which would score them by
         * chance — so the CF components never rank them (documented). */
        for (int64_t i = 0; i < N; i++)
            if (!seen[i]) memset(it->als_items + (size_t)i * k, 0, (size_t)k * sizeof *it->als_items);
        goto out;
    }
    X = tide_malloc((size_t)n * D * sizeof *X);
    F = tide_malloc((size_t)n * k * sizeof *F);
    G = tide_malloc((size_t)(D * D) * sizeof *G);
    A = tide_malloc((size_t)(D * D) * sizeof *A);
    B = tide_malloc((size_t)(D * k) * sizeof *B);
    W = tide_malloc((size_t)(D * k) * sizeof *W);
    P = tide_malloc((size_t)k * sizeof *P);
    if (!X || !F || !G || !A || !B || !W || !P) { st = TIDE_ERR_NOMEM; goto out; }

    double lambda = p->cold_lambda, best_r2 = NAN;
    if (lambda == 0) {
        /* hold out every 5th fitted item: fit rows first, held-out rows after them */
        int32_t *order = tide_malloc((size_t)n * sizeof *order);
        if (!order) { st = TIDE_ERR_NOMEM; goto out; }
        int64_t nf = 0, nh = 0;
        for (int64_t r = 0; r < n; r++) if (r % 5 != 4) order[nf++] = fit[r];
        for (int64_t r = 0; r < n; r++) if (r % 5 == 4) order[nf + nh++] = fit[r];
        gather(it, order, n, X, F);
        free(order);
        if (nh == 0 || nf < 2) lambda = 1;
        else {
            normal_eq(X, F, nf, D, k, G, B);
            /* SST around the held-out mean factor */
            double sst = 0;
            for (int j = 0; j < k; j++) {
                double m = 0;
                for (int64_t r = nf; r < n; r++) m += F[r * k + j];
                m /= (double)nh;
                for (int64_t r = nf; r < n; r++) sst += (F[r * k + j] - m) * (F[r * k + j] - m);
            }
            for (size_t g = 0; g < sizeof grid / sizeof *grid; g++) {
                if ((st = solve(G, B, D, k, grid[g], A, W))) goto out;
                double sse = 0;
                for (int64_t r = nf; r < n; r++) {
                    tide_la_sgemm(NULL, 0, 0, 1, k, D, 1.0f, X + r * D, D, W, k, 0.0f, P, k);
                    for (int j = 0; j < k; j++) sse += (P[j] - F[r * k + j]) * (P[j] - F[r * k + j]);
                }
                double r2 = sst > 0 ? 1 - sse / sst : 0;
                tide_log(TIDE_LOG_DEBUG, "cold-item map: lambda %g held-out R2 %.4f", grid[g], r2);
                if (isnan(best_r2) || r2 > best_r2) { best_r2 = r2; lambda = grid[g]; }
            }
        }
    }
    gather(it, fit, n, X, F);
    normal_eq(X, F, n, D, k, G, B);
    if ((st = solve(G, B, D, k, lambda, A, W))) goto out;

    /* cold items: mapped factors from their text, or zero without text */
    int64_t mapped = 0, textless = 0;
    float *x = A;                                   /* scratch row [D] */
    for (int64_t i = 0; i < N; i++) {
        if (seen[i]) continue;
        float *row = it->als_items + (size_t)i * k;
        if (cblas_snrm2(d, it->lm + (size_t)i * d, 1) > 0) {
            memcpy(x, it->lm + (size_t)i * d, (size_t)d * sizeof *x);
            x[d] = 1.0f;
            tide_la_sgemm(NULL, 0, 0, 1, k, D, 1.0f, x, D, W, k, 0.0f, row, k);
            mapped++;
        } else {
            memset(row, 0, (size_t)k * sizeof *row);
            textless++;
        }
    }
    it->cold_map = W;
    W = NULL;
    it->cold_lambda = lambda;
    it->cold_holdout_r2 = best_r2;
    it->cold_fit = n;
    it->cold_mapped = mapped;
    it->cold_textless = textless;
    tide_log(TIDE_LOG_INFO, "cold-item map: fitted on %lld items (lambda %g%s), %lld items without interactions mapped, %lld without text",
             (long long)n, lambda, p->cold_lambda == 0 ? ", chosen on held-out items" : "", (long long)mapped, (long long)textless);
out:
    free(seen); free(fit); free(X); free(F); free(G); free(A); free(B); free(W); free(P);
    return st;
}
