/* score.c — a user's state arrays (alloc/free). Ranking is not here: every consumer (tide-
 * recommend, tide-serve, tide-capture-interest --recs) ranks through the interest scorer
 * (scorer.c) with the one top-K engine (tide/retrieval.h). */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "tide/interest.h"

tide_status tide_interest_user_alloc(const tide_interest_items *it, const tide_interest_params *p,
                                     tide_interest_user *s) {
    memset(s, 0, sizeof *s);
    int k = it->als_k, d = it->sp_dim;
    if (k) {
        s->long_cf = tide_calloc((size_t)k, sizeof(float));
        s->short_cf = tide_calloc((size_t)k, sizeof(float));
        if (!s->long_cf || !s->short_cf) goto nomem;
    }
    if (d) {
        s->short_lm = tide_calloc((size_t)d, sizeof(float));
        s->long_lm = tide_calloc((size_t)d, sizeof(float));
        s->words_lm = tide_calloc((size_t)d, sizeof(float));
        s->centroids = tide_calloc((size_t)TIDE_INTEREST_MAX_K * d, sizeof(float));
        if (!s->short_lm || !s->long_lm || !s->words_lm || !s->centroids) goto nomem;
    }
    return TIDE_OK;
nomem:
    tide_interest_user_free(s);
    return TIDE_ERR_NOMEM;
}

void tide_interest_user_free(tide_interest_user *s) {
    free(s->long_cf); free(s->short_cf); free(s->short_lm); free(s->long_lm); free(s->words_lm); free(s->centroids);
    memset(s, 0, sizeof *s);
}
