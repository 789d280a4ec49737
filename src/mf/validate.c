/* validate.c — held-out ranking quality during training: every valid user's full ranking over
 * all items with their training items excluded, scored by libtide's metrics (the code
 * tide-eval uses), so the numbers printed per iteration mean what the final evaluation means. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/metrics.h"
#include "mf-internal.h"

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The k best unmasked items, score descending, ties by lower index. */
static int64_t topk(const float *s, int64_t n, int k, int32_t *out) {
    int64_t m = 0;
    for (int64_t j = 0; j < n; j++) {
        float v = s[j];
        if (v == -INFINITY || v != v) continue;
        if (m == k && !(v > s[out[m - 1]])) continue;
        int64_t p = m < k ? m++ : m - 1;
        while (p > 0 && v > s[out[p - 1]]) {
            out[p] = out[p - 1];
            p--;
        }
        out[p] = (int32_t)j;
    }
    return m;
}

tide_status tide_mf_validate(const tide_mf_model *m, const tide_dataset *train, const float *train_uw,
                             const tide_dataset *valid, int k, double *ndcg, double *recall, int64_t *n_users) {
    int64_t nu = valid->n_users, ni = m->n_items;
    double *nd = tide_calloc((size_t)nu + 1, sizeof *nd), *rc = tide_calloc((size_t)nu + 1, sizeof *rc);
    int8_t *has = tide_calloc((size_t)nu + 1, 1);
    int failed = 0;
    if (!nd || !rc || !has) {
        free(nd); free(rc); free(has);
        return TIDE_ERR_NOMEM;
    }
#pragma omp parallel
    {
        float *s = malloc((size_t)ni * sizeof *s + 1);
        int32_t *truth = NULL, *ranked = malloc((size_t)(k + 1) * sizeof *ranked);
        int64_t cap = 0;
        if (!s || !ranked) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 16)
        for (int64_t u = 0; u < nu; u++) {
            int64_t vb = valid->indptr[u], vn = valid->indptr[u + 1] - vb;
            if (vn == 0 || !s || !ranked || u >= train->n_users) continue;
            if (vn > cap) {
                int32_t *t = realloc(truth, (size_t)vn * sizeof *t);
                if (!t) {
#pragma omp atomic write
                    failed = 1;
                    continue;
                }
                truth = t;
                cap = vn;
            }
            memcpy(truth, valid->items + vb, (size_t)vn * sizeof *truth);
            qsort(truth, (size_t)vn, sizeof *truth, cmp_i32);
            int64_t nt = 0;
            for (int64_t q = 0; q < vn; q++)
                if (q == 0 || truth[q] != truth[q - 1]) truth[nt++] = truth[q];
            int64_t tb = train->indptr[u], tn = train->indptr[u + 1] - tb;
            tide_mf_model_score(m, u, train->items + tb, train_uw + tb, tn, s);
            for (int64_t q = 0; q < tn; q++) s[train->items[tb + q]] = -INFINITY;
            int64_t nr = topk(s, ni, k, ranked);
            tide_metrics_at_k r;
            tide_metrics_user(ranked, nr, truth, NULL, nt, k, &r);
            nd[u] = r.ndcg;
            rc[u] = r.recall;
            has[u] = 1;
        }
        free(s);
        free(truth);
        free(ranked);
    }
    double a = 0, b = 0;
    int64_t c = 0;
    for (int64_t u = 0; u < nu; u++)
        if (has[u]) { a += nd[u]; b += rc[u]; c++; }
    free(nd); free(rc); free(has);
    if (failed) return tide_error(TIDE_ERR_NOMEM, "validation: out of memory");
    *ndcg = c ? a / (double)c : 0;
    *recall = c ? b / (double)c : 0;
    *n_users = c;
    return TIDE_OK;
}
