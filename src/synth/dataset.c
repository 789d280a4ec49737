/* dataset.c — synthetic implicit-feedback datasets in memory with Zipf item popularity, for
 * tests and for benchmarks shaped like real logs (e.g. MovieLens-20M: 138k users, 27k items, 10M
 * events). See tide/synth.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/synth.h"
#include "tide/rng.h"

/* Index of the first cdf entry > x (cdf ascending, last entry 1). */
static int64_t cdf_find(const double *cdf, int64_t n, double x) {
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > x) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

tide_status tide_synth_dataset(int64_t n_users, int64_t n_items, int64_t nnz, double zipf, uint64_t seed,
                               tide_dataset *ds) {
    memset(ds, 0, sizeof *ds);
    if (n_users < 1 || n_items < 1 || nnz < n_users || nnz > n_users * n_items / 2)
        return tide_error(TIDE_ERR_USAGE, "synthesize: need users, items >= 1 and users <= nnz <= users*items/2");
    tide_status st = TIDE_OK;
    double *cdf = tide_malloc((size_t)n_items * sizeof *cdf);
    int64_t *cnt = tide_malloc((size_t)n_users * sizeof *cnt);
    uint8_t *seen = tide_calloc((size_t)n_items, 1);
    if (!cdf || !cnt || !seen) { st = TIDE_ERR_NOMEM; goto fail; }
    /* Item popularity: item rank r (a fixed random permutation of ids) has mass (r+1)^-zipf. */
    double tot = 0;
    for (int64_t i = 0; i < n_items; i++) tot += pow((double)(i + 1), -zipf);
    double acc = 0;
    for (int64_t i = 0; i < n_items; i++) cdf[i] = (acc += pow((double)(i + 1), -zipf) / tot);
    cdf[n_items - 1] = 1.0;
    /* User activity: heavy-tailed (exp of a normal), scaled to the requested total. */
    /* Streams (0, 1): the datasets the tests were tuned on stay byte-identical. */
    tide_rng r = tide_rng_seed(seed, 0, 1);
    double *act = (double *)tide_malloc((size_t)n_users * sizeof *act);
    if (!act) { st = TIDE_ERR_NOMEM; goto fail; }
    double asum = 0;
    for (int64_t u = 0; u < n_users; u++) {
        double g = tide_rng_normal(&r);
        asum += act[u] = exp(1.0 * g);
    }
    int64_t cap = n_items / 2, total = 0;
    for (int64_t u = 0; u < n_users; u++) {
        int64_t c = (int64_t)llround(act[u] / asum * (double)nnz);
        if (c < 1) c = 1;
        if (c > cap) c = cap;
        cnt[u] = c;
        total += c;
    }
    free(act);
    ds->n_users = n_users;
    ds->n_items = n_items;
    ds->nnz = total;
    ds->indptr = tide_malloc(((size_t)n_users + 1) * sizeof(int64_t));
    ds->items = tide_malloc((size_t)total * sizeof(int32_t) + 1);
    ds->times = tide_malloc((size_t)total * sizeof(int64_t) + 1);
    ds->weights = tide_malloc((size_t)total * sizeof(float) + 1);
    ds->user_ids = tide_calloc((size_t)n_users, sizeof(char *));
    ds->item_ids = tide_calloc((size_t)n_items, sizeof(char *));
    void *arrays[] = {ds->indptr, ds->items, ds->times, ds->weights, ds->user_ids, ds->item_ids};
    for (int a = 0; a < 6; a++) {
        if (!arrays[a]) st = TIDE_ERR_NOMEM;
        else if (!st) st = tide_dataset_adopt(ds, arrays[a]);
        else free(arrays[a]);
    }
    if (st) goto fail;
    /* Hot items are spread over the id space so tests do not depend on id order. */
    uint64_t mult = 0;
    for (mult = (uint64_t)(n_items * 0.6180339887) | 1; mult > 1; mult += 2) {
        uint64_t a = mult, b = (uint64_t)n_items;
        while (b) { uint64_t t = a % b; a = b; b = t; }
        if (a == 1) break;
    }
    if (n_items == 1) mult = 1;
    ds->indptr[0] = 0;
    int64_t k = 0;
    for (int64_t u = 0; u < n_users; u++) {
        int64_t start = k;
        for (int64_t j = 0; j < cnt[u]; j++) {
            int64_t it;
            do {
                int64_t rank = cdf_find(cdf, n_items, tide_rng_uniform(&r));
                it = (int64_t)(((uint64_t)rank * mult) % (uint64_t)n_items);
            } while (seen[it]);
            seen[it] = 1;
            ds->items[k] = (int32_t)it;
            ds->times[k] = 1000000000 + u * 1000 + j * 60;
            ds->weights[k] = 1.0f;
            k++;
        }
        for (int64_t j = start; j < k; j++) seen[ds->items[j]] = 0;
        ds->indptr[u + 1] = k;
    }
    for (int64_t u = 0; u < n_users; u++) {
        char buf[32];
        snprintf(buf, sizeof buf, "u%lld", (long long)u);
        if (!(ds->user_ids[u] = strdup(buf)) || (st = tide_dataset_adopt(ds, ds->user_ids[u]))) {
            if (!st) st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    for (int64_t i = 0; i < n_items; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "i%lld", (long long)i);
        if (!(ds->item_ids[i] = strdup(buf)) || (st = tide_dataset_adopt(ds, ds->item_ids[i]))) {
            if (!st) st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    if ((st = tide_dataset_build_item_major(ds))) goto fail;
    tide_dataset_checksum(ds, ds->checksum);
    free(cdf);
    free(cnt);
    free(seen);
    return TIDE_OK;
fail:
    free(cdf);
    free(cnt);
    free(seen);
    tide_dataset_free(ds);
    return st;
}
