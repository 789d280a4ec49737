/* score.c — from history views to top-k lists: the block loop (batch) and the single-user call
 * (online) share tide_interest_score_user, so online equals batch. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "tide/interest.h"

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

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

/* top-k of score with excluded items at -inf: a small insertion list (k is small) */
static int32_t topk(const float *score, int64_t n, const int32_t *excl, int64_t n_excl, int k, int32_t *items,
                    float *out) {
    int32_t m = 0;
    int64_t e = 0;
    for (int64_t j = 0; j < n; j++) {
        while (e < n_excl && excl[e] < j) e++;
        if (e < n_excl && excl[e] == j) continue;
        float s = score[j];
        if (m == k && !(s > out[k - 1])) continue;
        int32_t r = m < k ? m++ : k - 1;
        while (r > 0 && s > out[r - 1]) { out[r] = out[r - 1]; items[r] = items[r - 1]; r--; }
        out[r] = s;
        items[r] = (int32_t)j;
    }
    return m;
}

tide_status tide_interest_score_user(const tide_interest_items *it, const tide_interest_params *p,
                                     const tide_interest_history *h, int k, float *feats, float *work,
                                     int32_t *items, float *scores, int32_t *count, tide_interest_user *state) {
    int64_t N = it->n_items;
    int32_t *excl = tide_malloc((size_t)(h->n + 1) * sizeof *excl);
    if (!excl) return TIDE_ERR_NOMEM;
    if (h->n) memcpy(excl, h->items, (size_t)h->n * sizeof *excl); /* h->items is NULL for an empty history */
    if (h->n > 1) qsort(excl, (size_t)h->n, sizeof *excl, cmp_i32);
    int64_t ne = 0;
    for (int64_t q = 0; q < h->n; q++)
        if (ne == 0 || excl[ne - 1] != excl[q]) excl[ne++] = excl[q];
    tide_status st = tide_interest_features(it, p, h, feats, work, state);
    if (!st) {
        tide_interest_normalise(feats, N, excl, ne);
        /* the combined score goes into the first feature row's slot after use: a separate
         * buffer keeps the features intact for callers that read them */
        float *score = tide_malloc((size_t)N * sizeof *score);
        if (!score) st = TIDE_ERR_NOMEM;
        else {
            tide_interest_combine(feats, N, p->weights, score);
            *count = topk(score, N, excl, ne, k, items, scores);
            free(score);
        }
    }
    free(excl);
    return st;
}

tide_status tide_interest_score_block(const tide_interest_items *it, const tide_interest_params *p,
                                      const tide_dataset *ds, const float *text_vectors, int64_t as_of,
                                      int64_t lo, int64_t hi, int k, int32_t *items, float *scores,
                                      int32_t *counts, tide_interest_user *states) {
    int64_t N = it->n_items;
    tide_status st = TIDE_OK;
    size_t wf = tide_interest_work_floats(it, p);
#pragma omp parallel
    {
        float *feats = tide_malloc((size_t)TIDE_IC_N * N * sizeof *feats);
        float *work = tide_malloc(wf * sizeof *work);
        if (!feats || !work) {
#pragma omp critical
            st = TIDE_ERR_NOMEM;
        }
#pragma omp for schedule(dynamic, 4)
        for (int64_t u = lo; u < hi; u++) {
            if (!feats || !work || st) continue;
            tide_interest_history h;
            tide_interest_history_of(ds, text_vectors, it->lm_dim, u, as_of, &h);
            tide_status s1 = tide_interest_score_user(it, p, &h, k, feats, work, items + (u - lo) * k,
                                                      scores + (u - lo) * k, counts + (u - lo),
                                                      states ? states + (u - lo) : NULL);
            if (s1) {
#pragma omp critical
                st = s1;
            }
        }
        free(feats);
        free(work);
    }
    return st;
}
