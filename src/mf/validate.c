/* validate.c — held-out ranking quality during training, through the engine and the model's
 * scorer exactly as tide-recommend ranks (tide/retrieval.h, src/mf/scorer.c): every valid user's
 * top-k over all items with their training items excluded, users not in the model by fold-in or
 * popularity, then libtide's metrics (the code tide-eval uses). So the NDCG@10 printed per
 * iteration is what tide-eval reports on tide-recommend's lists of the saved model. */
#include <stdlib.h>
#include <string.h>

#include "tide/metrics.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"
#include "mf-internal.h"

typedef struct vctx {
    const tide_dataset *valid;
    int k;
    int32_t *truth;
    int64_t cap;
    double ndcg, recall;
    int64_t users;
} vctx;

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static tide_status sink(void *p, const tide_retrieval_batch *b) {
    vctx *c = p;
    const tide_dataset *valid = c->valid;
    for (int64_t i = 0; i < b->n; i++) {
        int64_t u = b->users[i], vb = valid->indptr[u], vn = valid->indptr[u + 1] - vb;
        if (vn > c->cap) {
            int32_t *t = realloc(c->truth, (size_t)vn * sizeof *t);
            if (!t) return TIDE_ERR_NOMEM;
            c->truth = t;
            c->cap = vn;
        }
        memcpy(c->truth, valid->items + vb, (size_t)vn * sizeof *c->truth);
        qsort(c->truth, (size_t)vn, sizeof *c->truth, cmp_i32);
        int64_t nt = 0;
        for (int64_t q = 0; q < vn; q++)
            if (q == 0 || c->truth[q] != c->truth[q - 1]) c->truth[nt++] = c->truth[q];
        tide_metrics_at_k r;
        tide_metrics_user(b->items + (size_t)i * b->k, b->counts[i], c->truth, NULL, nt, c->k, &r);
        c->ndcg += r.ndcg;
        c->recall += r.recall;
        c->users++;
    }
    return TIDE_OK;
}

tide_status tide_mf_validate(const tide_mf_model *m, const tide_dataset *train, const tide_dataset *valid, int k,
                             double *ndcg, double *recall, int64_t *n_users) {
    tide_status st = TIDE_OK;
    tide_scorer *sc = NULL;
    int64_t *users = NULL, *excl_ptr = NULL;
    int32_t *excl = NULL;
    vctx c;
    memset(&c, 0, sizeof c);
    c.valid = valid;
    c.k = k;
    int64_t nu = 0, lim = valid->n_users < train->n_users ? valid->n_users : train->n_users;
    if (!(users = tide_malloc((size_t)lim * sizeof *users + 1))) return TIDE_ERR_NOMEM;
    for (int64_t u = 0; u < lim; u++)
        if (valid->indptr[u + 1] > valid->indptr[u]) users[nu++] = u;
    if ((st = tide_mf_scorer_from_model(m, &sc))) goto done;
    if ((st = tide_retrieval_exclusions_build(train, 0, NULL, NULL, 0, &excl_ptr, &excl))) goto done;
    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.scorer = sc;
    job.data = train;
    job.users = users;
    job.n_users = nu;
    job.excl_indptr = excl_ptr;
    job.excl_items = excl;
    tide_retrieval_params p;
    tide_retrieval_params_default(&p);
    p.k = k < m->n_items ? k : (int)m->n_items;
    if (nu && (st = tide_retrieval_run(&job, &p, sink, &c, NULL))) {
        st = tide_error(st, "validation: %s", tide_error_message());
        goto done;
    }
    *ndcg = c.users ? c.ndcg / (double)c.users : 0;
    *recall = c.users ? c.recall / (double)c.users : 0;
    *n_users = c.users;
done:
    tide_scorer_free(sc);
    free(users);
    free(excl_ptr);
    free(excl);
    free(c.truth);
    return st;
}
