/* cf.c — the interest state's CF vectors: the ALS fold-in of the whole history (long_cf) and of
 * its content-decayed preferences (short_cf). Both solve ALS's user step
 *     (YᵀY + λI + Σ c_j y_j y_jᵀ) x = Σ (1 + c_j) pref_j y_j,   c_j = alpha · w_j
 * (tide_mf_fold_in_pref's normal equations), and they share the matrix: it is formed once, with
 * the Σ c_j y_j y_jᵀ term as one rank-n update of the gathered rows √c_j y_j (ssyrk) rather than
 * n rank-1 updates (ssyr: k saxpy calls each, a quarter of a full capture at k = 64), factored
 * once and solved for both right-hand sides. Same equations; sums in another order (within
 * float rounding of the per-event form). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/backend.h"
#include "interest-impl.h"

tide_status tide_interest_cf_fold_in(const tide_interest_items *it, const int32_t *items, const float *weights,
                                     const float *prefs, int64_t n, float *long_cf, float *short_cf) {
    int k = it->als_k, nr = short_cf ? 2 : 1;
    int64_t N = it->n_items;
    double alpha = it->als_params.alpha;
    float *A = tide_malloc(((size_t)k * k + (size_t)k * 2 + (size_t)(n > 0 ? n : 1) * k) * sizeof *A);
    if (!A) return TIDE_ERR_NOMEM;
    float *B = A + (size_t)k * k, *G = B + (size_t)k * 2;
    tide_status st = TIDE_OK;
    memcpy(A, it->als_gram, (size_t)k * k * sizeof *A);
    memset(B, 0, (size_t)k * 2 * sizeof *B);
    int64_t g = 0;
    for (int64_t j = 0; j < n; j++) {
        if (items[j] < 0 || items[j] >= N) {
            st = tide_error(TIDE_ERR_DATA, "fold-in: event %lld has item index %d outside [0, %lld)", (long long)j, items[j],
                            (long long)N);
            goto done;
        }
        double w = weights ? weights[j] : 1.0, pref = prefs ? prefs[j] : 1.0;
        if (!isfinite(w) || w < 0 || !isfinite(pref)) {
            st = tide_error(TIDE_ERR_DATA, "fold-in: event %lld has weight %g, preference %g", (long long)j, w, pref);
            goto done;
        }
        float c1 = (float)(alpha * w);
        const float *y = it->als_items + (size_t)items[j] * k;
        if (c1 > 0) {
            float s = sqrtf(c1);
            for (int c = 0; c < k; c++) G[(size_t)g * k + c] = s * y[c];
            g++;
        }
        float a0 = (float)(1.0 + c1), a1 = (float)((1.0 + c1) * pref);
        for (int c = 0; c < k; c++) {
            B[c * nr] += a0 * y[c];
            if (nr == 2) B[c * nr + 1] += a1 * y[c];
        }
    }
    if (g) tide_la_ssyrk(NULL, 'U', 1, k, g, 1.0f, G, k, 1.0f, A, k);
    if (tide_la_sposv(NULL, 'U', k, nr, A, k, B, nr) != 0) {
        st = tide_error(TIDE_ERR_DATA, "fold-in: the system is not positive definite (regularization 0 and too few events?)");
        goto done;
    }
    for (int c = 0; c < k; c++) {
        long_cf[c] = B[c * nr];
        if (nr == 2) short_cf[c] = B[c * nr + 1];
    }
done:
    free(A);
    return st;
}
