/* novelty.c — self-information of items from their popularity in the train split: an item
 * chosen by c of U train users carries log2(U / c) bits; recommending rarer items is more novel.
 * Items absent from train get log2(U), as if seen once (the most novel observable value). */
#include "tide/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/dataset.h"

tide_status tide_eval_novelty_info(const struct tide_dataset *train, double **info, double *unseen) {
    int64_t n_items = train->n_items, U = 0;
    for (int64_t u = 0; u < train->n_users; u++) U += train->indptr[u + 1] > train->indptr[u];
    double *inf = tide_malloc((size_t)(n_items > 0 ? n_items : 1) * sizeof *inf);
    int64_t *last = tide_malloc((size_t)(n_items > 0 ? n_items : 1) * sizeof *last);
    if (!inf || !last) {
        free(inf);
        free(last);
        return TIDE_ERR_NOMEM;
    }
    /* Distinct users per item: a user's repeated events on an item count once. */
    for (int64_t i = 0; i < n_items; i++) {
        inf[i] = 0;
        last[i] = -1;
    }
    for (int64_t u = 0; u < train->n_users; u++)
        for (int64_t k = train->indptr[u]; k < train->indptr[u + 1]; k++) {
            int32_t it = train->items[k];
            if (last[it] != u) {
                last[it] = u;
                inf[it] += 1;
            }
        }
    double lu = U > 0 ? log2((double)U) : 0;
    for (int64_t i = 0; i < n_items; i++) inf[i] = inf[i] > 0 ? lu - log2(inf[i]) : lu;
    free(last);
    *info = inf;
    *unseen = lu;
    return TIDE_OK;
}
