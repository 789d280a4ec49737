/* foldin.c — implicit-ALS fold-in: the factor a user would get from one ALS user step against
 * fixed item factors (Hu, Koren & Volinsky 2008, eq. 4), so users who arrived after training are
 * scored without retraining. Uses the YᵀY trick: only the user's own items add to the d × d
 * system, so a fold-in costs O(n_u d² + d³), not O(items · d²). Solved by Cholesky (LAPACKE). */
#include "tide/retrieval.h"

#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

tide_status tide_retrieval_gram(const float *Y, int64_t n, int64_t dim, float **out) {
    *out = NULL;
    if (n > INT32_MAX || dim > INT32_MAX) return tide_error(TIDE_ERR_USAGE, "gram: matrix too large for BLAS");
    float *g = tide_calloc((size_t)(dim * dim), sizeof *g);
    if (!g) return TIDE_ERR_NOMEM;
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)dim, (int)n, 1.0f, Y, (int)dim, 0.0f, g, (int)dim);
    /* Mirror the upper triangle so callers may read either half. */
    for (int64_t i = 0; i < dim; i++)
        for (int64_t j = 0; j < i; j++) g[i * dim + j] = g[j * dim + i];
    *out = g;
    return TIDE_OK;
}

tide_status tide_retrieval_fold_in(const float *item_factors, int64_t n_items, int64_t dim, const float *yty,
                                   double alpha, double reg, const int32_t *items, const float *weights, int64_t n,
                                   float *x) {
    tide_status st = TIDE_OK;
    /* Accumulate in double: the system can be ill-conditioned for tiny reg. */
    double *A = malloc(sizeof(double) * (size_t)(dim * dim));
    double *b = calloc((size_t)dim, sizeof(double));
    if (!A || !b) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory in fold-in");
        goto done;
    }
    for (int64_t i = 0; i < dim * dim; i++) A[i] = yty[i];
    for (int64_t i = 0; i < dim; i++) A[i * dim + i] += reg;
    /* Repeated items: weights summed, as one (user, item) confidence. The caller's events need
     * not be sorted, so merge duplicates by a quadratic scan only over the user's own events. */
    for (int64_t e = 0; e < n; e++) {
        int32_t it = items[e];
        if (it < 0 || it >= n_items) {
            st = tide_error(TIDE_ERR_DATA, "fold-in: item %d outside [0, %lld)", it, (long long)n_items);
            goto done;
        }
        int dup = 0;
        for (int64_t f = 0; f < e; f++)
            if (items[f] == it) {
                dup = 1;
                break;
            }
        if (dup) continue;
        double w = 0;
        for (int64_t f = e; f < n; f++)
            if (items[f] == it) w += weights ? weights[f] : 1.0;
        double c = 1.0 + alpha * w;
        const float *y = item_factors + (size_t)it * (size_t)dim;
        for (int64_t i = 0; i < dim; i++) {
            b[i] += c * y[i];
            double s = (c - 1.0) * y[i];
            for (int64_t j = 0; j < dim; j++) A[i * dim + j] += s * y[j];
        }
    }
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)dim, 1, A, (lapack_int)dim, b, 1);
    if (info != 0) {
        st = tide_error(TIDE_ERR_DATA, "fold-in: the normal equations are not positive definite (LAPACK info %d); the model's regularization must be > 0",
                        (int)info);
        goto done;
    }
    for (int64_t i = 0; i < dim; i++) x[i] = (float)b[i];
done:
    free(A);
    free(b);
    return st;
}
