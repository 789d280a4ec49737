/* weights.c — per-interaction training weights: the dataset's weight times an exponential
 * time decay (tide/decay.h), checked for values no algorithm can use. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/mf.h"


double tide_mf_decay_factor(const tide_mf_decay *d, int64_t t, int64_t t_ref) { return tide_decay_factor(d, t, t_ref); }

int64_t tide_mf_decay_ref(const tide_mf_decay *d, const tide_dataset *ds, int64_t u) {
    int64_t a = ds->indptr[u], n = ds->indptr[u + 1] - a;
    return tide_decay_ref(d, ds->times + a, n, d->as_of_mode == TIDE_ASOF_LATEST ? tide_dataset_latest(ds) : 0);
}

tide_status tide_mf_decay_factors(const tide_dataset *ds, const tide_mf_decay *d, float **out) {
    float *f = tide_malloc((size_t)ds->nnz * sizeof *f + 1);
    if (!f) return TIDE_ERR_NOMEM;
    int64_t latest = d->half_life > 0 && d->as_of_mode == TIDE_ASOF_LATEST ? tide_dataset_latest(ds) : 0;
    for (int64_t u = 0; u < ds->n_users; u++) {
        int64_t ref = d->half_life > 0 ? (d->as_of_mode == TIDE_ASOF_LATEST ? latest : tide_mf_decay_ref(d, ds, u)) : 0;
        for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++)
            f[k] = d->half_life > 0 ? (float)tide_mf_decay_factor(d, ds->times[k], ref) : 1.0f;
    }
    *out = f;
    return TIDE_OK;
}

tide_status tide_mf_weights(const tide_dataset *ds, const tide_mf_decay *d, float **uw_out, float **iw_out) {
    *uw_out = NULL;
    if (iw_out) *iw_out = NULL;
    tide_status st = TIDE_OK;
    float *uw = tide_malloc((size_t)ds->nnz * sizeof *uw + 1);
    float *iw = iw_out ? tide_malloc((size_t)ds->nnz * sizeof *iw + 1) : NULL;
    int64_t *pos = NULL;
    if (!uw || (iw_out && !iw)) { st = TIDE_ERR_NOMEM; goto done; }
    int64_t latest = d->half_life > 0 && d->as_of_mode == TIDE_ASOF_LATEST ? tide_dataset_latest(ds) : 0;
    for (int64_t u = 0; u < ds->n_users; u++) {
        int64_t ref = d->as_of_mode == TIDE_ASOF_LATEST ? latest : tide_mf_decay_ref(d, ds, u);
        for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++) {
            float w = ds->weights[k];
            if (!isfinite(w) || w < 0) {
                st = tide_error(TIDE_ERR_DATA, "weights.npy[%lld]: interaction of user '%s' with item '%s' has weight %g "
                                "(weights must be finite and >= 0)", (long long)k, ds->user_ids[u],
                                ds->item_ids[ds->items[k]], (double)w);
                goto done;
            }
            uw[k] = d->half_life > 0 ? (float)(w * tide_mf_decay_factor(d, ds->times[k], ref)) : w;
        }
    }
    if (iw) {
        /* The item-major copy lists, per item, interactions in user-major order: replay that
         * order to map each user-major weight to its item-major slot. */
        pos = tide_malloc(((size_t)ds->n_items + 1) * sizeof *pos);
        if (!pos) { st = TIDE_ERR_NOMEM; goto done; }
        for (int64_t i = 0; i <= ds->n_items; i++) pos[i] = ds->item_indptr[i];
        for (int64_t k = 0; k < ds->nnz; k++) iw[pos[ds->items[k]]++] = uw[k];
    }
done:
    free(pos);
    if (st) {
        free(uw);
        free(iw);
        return st;
    }
    *uw_out = uw;
    if (iw_out) *iw_out = iw;
    return TIDE_OK;
}

tide_status tide_mf_weights_shared(const tide_dataset *ds, const float **uw, const float **iw) {
    *uw = *iw = NULL;
    if (!ds->weights || !ds->item_weights || !ds->item_indptr) return TIDE_ERR_USAGE;
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++) {
            float w = ds->weights[k];
            if (!isfinite(w) || w < 0)
                return tide_error(TIDE_ERR_DATA, "weights.npy[%lld]: interaction of user '%s' with item '%s' has "
                                  "weight %g (weights must be finite and >= 0)", (long long)k, ds->user_ids[u],
                                  ds->item_ids[ds->items[k]], (double)w);
        }
    /* The item-major copy must hold the same weights in the slots tide_mf_weights would give
     * them (replaying the user-major order), so training sees exactly the same numbers. */
    int64_t *pos = tide_malloc(((size_t)ds->n_items + 1) * sizeof *pos);
    if (!pos) return TIDE_ERR_NOMEM;
    for (int64_t i = 0; i <= ds->n_items; i++) pos[i] = ds->item_indptr[i];
    int64_t bad = -1;
    for (int64_t k = 0; k < ds->nnz && bad < 0; k++) {
        int64_t slot = pos[ds->items[k]]++;
        uint32_t a, b;
        memcpy(&a, &ds->weights[k], sizeof a);
        memcpy(&b, &ds->item_weights[slot], sizeof b);
        if (a != b) bad = slot;
    }
    free(pos);
    if (bad >= 0)
        return tide_error(TIDE_ERR_DATA, "item_weights.npy[%lld]: differs from the same interaction's weight in "
                          "weights.npy (the item-major copy is inconsistent)", (long long)bad);
    *uw = ds->weights;
    *iw = ds->item_weights;
    return TIDE_OK;
}
