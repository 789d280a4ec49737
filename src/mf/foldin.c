/* foldin.c — a user's ALS factor from a set of events against fixed item factors: the exact
 * solve of ALS's user step, so a new user (or fresh events) gets the factor training would
 * have given, without retraining. With a preference per event (decay_preference: the decay
 * factor) an old event is a fading positive rather than a full one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mf-internal.h"
#include "tide/backend.h"

tide_status tide_mf_fold_in(const tide_mf_params *p, const float *Y, int64_t n_items, int k, const float *YtY,
                            const int32_t *items, const float *weights, const int64_t *times, int64_t n,
                            float *out) {
    return tide_mf_fold_in_pref(p, Y, n_items, k, YtY, items, weights, NULL, times, n, out);
}

tide_status tide_mf_fold_in_pref(const tide_mf_params *p, const float *Y, int64_t n_items, int k, const float *YtY,
                                 const int32_t *items, const float *weights, const float *prefs, const int64_t *times,
                                 int64_t n, float *out) {
    tide_status st = TIDE_OK;
    float *A = tide_malloc((size_t)k * k * sizeof *A);
    float *own = NULL;
    if (!A) return TIDE_ERR_NOMEM;
    if (!YtY) {
        if (!(own = tide_malloc((size_t)k * k * sizeof *own))) { st = TIDE_ERR_NOMEM; goto done; }
        tide_als_gram(Y, n_items, k, p->regularization, own);
        YtY = own;
    }
    int64_t ref = INT64_MIN;
    if (times && p->decay.half_life > 0) {
        if (p->decay.as_of_mode == TIDE_ASOF_TIME) ref = p->decay.as_of;
        else
            for (int64_t j = 0; j < n; j++)
                if (times[j] > ref) ref = times[j];
    }
    memcpy(A, YtY, (size_t)k * k * sizeof *A);
    memset(out, 0, (size_t)k * sizeof *out);
    for (int64_t j = 0; j < n; j++) {
        if (items[j] < 0 || items[j] >= n_items) {
            st = tide_error(TIDE_ERR_DATA, "fold-in: event %lld has item index %d outside [0, %lld)", (long long)j,
                            items[j], (long long)n_items);
            goto done;
        }
        double w = weights ? weights[j] : 1.0;
        if (!isfinite(w) || w < 0) {
            st = tide_error(TIDE_ERR_DATA, "fold-in: event %lld has weight %g (must be finite and >= 0)", (long long)j, w);
            goto done;
        }
        double pref = prefs ? prefs[j] : 1.0;
        if (!isfinite(pref)) {
            st = tide_error(TIDE_ERR_DATA, "fold-in: event %lld has preference %g (must be finite)", (long long)j, pref);
            goto done;
        }
        if (times && p->decay.half_life > 0) {
            double f = tide_mf_decay_factor(&p->decay, times[j], ref);
            w *= f;
            if (p->decay_preference) pref *= f;
        }
        float c1 = (float)(p->alpha * w);
        const float *y = Y + (size_t)items[j] * k;
        /* Normal equations: (YᵀY + λI + Σ (c_j − 1) y_j y_jᵀ) x = Σ c_j pref_j y_j. */
        tide_la_ssyr(NULL, 'U', k, c1, y, A, k);
        tide_vaxpy((float)((1.0 + c1) * pref), y, out, k);
    }
    if (tide_la_sposv(NULL, 'U', k, 1, A, k, out, 1) != 0)
        st = tide_error(TIDE_ERR_DATA, "fold-in: the system is not positive definite (regularization 0 and too few events?)");
done:
    free(A);
    free(own);
    return st;
}
