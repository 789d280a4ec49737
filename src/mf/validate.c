/* validate.c — held-out ranking quality during training: every valid user's full ranking over
 * all items with their training items excluded, scored by libtide's metrics (the code
 * tide-eval uses), so the numbers printed per iteration mean what the final evaluation means. */
#include <cblas.h>
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

/* User u's scores as tide-recommend computes them: the model's rule, with two rules that need
 * more than tide_mf_model_score's arguments: ALS with fold_in (the user's factor re-solved from
 * their weighted history against the item factors, YtY = YᵀY + λI) and contextual popularity
 * (the item events around the user's latest training event). */
static tide_status score_user(const tide_mf_model *m, const tide_pop_context *pc, const float *YtY, const float *prefs,
                              const tide_dataset *train, const float *train_uw, int64_t u, float *x, float *s) {
    int64_t tb = train->indptr[u], tn = train->indptr[u + 1] - tb;
    if (pc) {
        int64_t t = tn ? tide_mf_decay_ref(&m->params.decay, train, u) : pc->latest;
        tide_pop_context_score(pc, t, s);
        return TIDE_OK;
    }
    if (YtY) {
        int k = m->factors;
        if (tn == 0) {
            memset(s, 0, (size_t)m->n_items * sizeof *s);
            return TIDE_OK;
        }
        tide_status st = tide_mf_fold_in_pref(&m->params, m->item_factors, m->n_items, k, YtY, train->items + tb,
                                              train_uw + tb, prefs ? prefs + tb : NULL, NULL, tn, x);
        if (st) return st;
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m->n_items, k, 1.0f, m->item_factors, k, x, 1, 0.0f, s, 1);
        return TIDE_OK;
    }
    tide_mf_model_score(m, u, train->items + tb, train_uw + tb, tn, s);
    return TIDE_OK;
}

tide_status tide_mf_validate(const tide_mf_model *m, const tide_dataset *train, const float *train_uw,
                             const tide_dataset *valid, int k, double *ndcg, double *recall, int64_t *n_users) {
    int64_t nu = valid->n_users, ni = m->n_items;
    double *nd = tide_calloc((size_t)nu + 1, sizeof *nd), *rc = tide_calloc((size_t)nu + 1, sizeof *rc);
    int8_t *has = tide_calloc((size_t)nu + 1, 1);
    int failed = 0;
    tide_status fst = TIDE_OK;
    tide_pop_context pc, *pcp = NULL;
    float *YtY = NULL, *prefs = NULL;
    memset(&pc, 0, sizeof pc);
    if (!nd || !rc || !has) {
        free(nd); free(rc); free(has);
        return TIDE_ERR_NOMEM;
    }
    if (m->algo == TIDE_MF_POP && m->ev_indptr) {
        tide_status st = tide_pop_context_init(&pc, ni, m->params.decay.half_life, m->params.kernel, m->ev_indptr,
                                               m->ev_times, m->ev_weights, "contextual popularity");
        if (st) {
            free(nd); free(rc); free(has);
            return st;
        }
        pcp = &pc;
    }
    if (m->algo == TIDE_MF_ALS && m->params.fold_in) {
        YtY = tide_malloc((size_t)m->factors * m->factors * sizeof *YtY);
        if (!YtY) {
            free(nd); free(rc); free(has);
            return TIDE_ERR_NOMEM;
        }
        tide_als_gram(m->item_factors, ni, m->factors, m->params.regularization, YtY);
        tide_status st;
        if (m->params.decay_preference && m->params.decay.half_life > 0 &&
            (st = tide_mf_decay_factors(train, &m->params.decay, &prefs))) {
            free(nd); free(rc); free(has); free(YtY);
            return st;
        }
    }
#pragma omp parallel
    {
        float *s = malloc((size_t)ni * sizeof *s + 1);
        float *x = malloc((size_t)(m->factors > 0 ? m->factors : 1) * sizeof *x);
        int32_t *truth = NULL, *ranked = malloc((size_t)(k + 1) * sizeof *ranked);
        int64_t cap = 0;
        if (!s || !ranked || !x) {
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
            tide_status st1 = score_user(m, pcp, YtY, prefs, train, train_uw, u, x, s);
            if (st1) {
#pragma omp critical(tide_validate_err)
                if (!fst) fst = st1;
                continue;
            }
            for (int64_t q = 0; q < tn; q++) s[train->items[tb + q]] = -INFINITY;
            int64_t nr = topk(s, ni, k, ranked);
            tide_metrics_at_k r;
            tide_metrics_user(ranked, nr, truth, NULL, nt, k, &r);
            nd[u] = r.ndcg;
            rc[u] = r.recall;
            has[u] = 1;
        }
        free(s);
        free(x);
        free(truth);
        free(ranked);
    }
    double a = 0, b = 0;
    int64_t c = 0;
    for (int64_t u = 0; u < nu; u++)
        if (has[u]) { a += nd[u]; b += rc[u]; c++; }
    free(nd); free(rc); free(has);
    free(YtY);
    free(prefs);
    tide_pop_context_free(&pc);
    if (fst) return tide_error(fst, "validation: folding in a user failed (the system is not positive definite: --regularization 0?)");
    if (failed) return tide_error(TIDE_ERR_NOMEM, "validation: out of memory");
    *ndcg = c ? a / (double)c : 0;
    *recall = c ? b / (double)c : 0;
    *n_users = c;
    return TIDE_OK;
}
