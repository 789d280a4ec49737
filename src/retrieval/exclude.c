/* exclude.c — per-user exclusion lists: the items a user has already interacted with (unless
 * repeat consumption is wanted) plus business-rule (user, item) pairs, as a CSR over the
 * dataset's users with each row sorted and de-duplicated, so scoring can mask a block's entries
 * by walking a pointer instead of searching. */
#include "tide/retrieval.h"

#include <stdlib.h>
#include <string.h>

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

tide_status tide_retrieval_exclusions_build(const tide_dataset *ds, int keep_seen, const int64_t *pair_users,
                                            const int32_t *pair_items, int64_t n_pairs, int64_t **indptr_out,
                                            int32_t **items_out) {
    *indptr_out = NULL;
    *items_out = NULL;
    tide_status st = TIDE_OK;
    int64_t nu = ds->n_users;
    int64_t *ip = tide_calloc((size_t)nu + 1, sizeof *ip);
    int64_t *fill = tide_calloc((size_t)nu + 1, sizeof *fill);
    int32_t *it = NULL;
    if (!ip || !fill) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int64_t u = 0; u < nu; u++) ip[u + 1] = keep_seen ? 0 : ds->indptr[u + 1] - ds->indptr[u];
    for (int64_t e = 0; e < n_pairs; e++) {
        if (pair_users[e] < 0 || pair_users[e] >= nu || pair_items[e] < 0 || pair_items[e] >= ds->n_items) {
            st = tide_error(TIDE_ERR_INTERNAL, "exclusion pair %lld out of range", (long long)e);
            goto done;
        }
        ip[pair_users[e] + 1]++;
    }
    for (int64_t u = 0; u < nu; u++) ip[u + 1] += ip[u];
    it = tide_malloc((size_t)ip[nu] * sizeof *it + 1);
    if (!it) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int64_t u = 0; u < nu; u++) {
        fill[u] = ip[u];
        if (!keep_seen)
            for (int64_t e = ds->indptr[u]; e < ds->indptr[u + 1]; e++) it[fill[u]++] = ds->items[e];
    }
    for (int64_t e = 0; e < n_pairs; e++) it[fill[pair_users[e]]++] = pair_items[e];
    /* Sort and de-duplicate each row in place, then compact the CSR. */
    int64_t w = 0;
    for (int64_t u = 0; u < nu; u++) {
        int64_t a = ip[u], b = ip[u + 1];
        qsort(it + a, (size_t)(b - a), sizeof *it, cmp_i32);
        ip[u] = w;
        for (int64_t e = a; e < b; e++)
            if (e == a || it[e] != it[e - 1]) it[w++] = it[e];
    }
    ip[nu] = w;
    *indptr_out = ip;
    *items_out = it;
    ip = NULL;
    it = NULL;
done:
    free(ip);
    free(fill);
    free(it);
    return st;
}
