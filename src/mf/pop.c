/* pop.c — popularity: each item's summed (possibly time-decayed) interaction weight. */
#include <stdlib.h>

#include "tide/mf.h"

tide_status tide_pop_fit(const tide_dataset *ds, const float *iw, float **out) {
    float *pop = tide_calloc((size_t)ds->n_items + 1, sizeof *pop);
    if (!pop) return TIDE_ERR_NOMEM;
    for (int64_t i = 0; i < ds->n_items; i++) {
        double s = 0; /* double: long columns of small decayed weights */
        for (int64_t k = ds->item_indptr[i]; k < ds->item_indptr[i + 1]; k++) s += iw[k];
        pop[i] = (float)s;
    }
    *out = pop;
    return TIDE_OK;
}
