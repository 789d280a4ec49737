/* interest-model.c — a served user's dynamic-interest state: the interest family's per-user
 * computation (tide_interest_score_user, also what tide-capture-interest runs per user) over the
 * history the store holds (batch + online), so the clusters and drift shown online are the ones
 * a batch run on the re-ingested data would write. */
#include "tide/serve.h"

#include <stdlib.h>

#include "tide/interest.h"

tide_status tide_serve_interest_model(const tide_interest_items *it, const tide_interest_params *p,
                                      const tide_serve_history *h, int k, int32_t *items, float *scores, int32_t *count,
                                      tide_interest_user *state) {
    tide_interest_history ih = {0};
    ih.items = h->items;
    ih.times = h->times;
    ih.n = h->n;
    /* The user's words would need the language model's vectors of each text event; without
     * them the words component is empty, as in a batch run without --text-vectors. */
    ih.t_ref = h->n ? h->times[h->n - 1] : 0;
    size_t nf = (size_t)TIDE_IC_N * (size_t)it->n_items;
    float *feats = malloc(nf * sizeof *feats + 1);
    float *work = malloc(tide_interest_work_floats(it, p) * sizeof *work + 1);
    tide_status st = feats && work ? TIDE_OK : tide_error(TIDE_ERR_NOMEM, "out of memory for interest features");
    if (!st) st = tide_interest_score_user(it, p, &ih, k, feats, work, items, scores, count, state);
    free(feats);
    free(work);
    return st;
}
