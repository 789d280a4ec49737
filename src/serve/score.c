/* score.c — one user's recommendations, similar items and vector search, all through
 * tide_retrieval_run, the code tide-recommend runs, so that online and batch cannot disagree.
 *
 * The retrieval engine scores users of a dataset with a model. For one online user we hand it
 * views: a one-user dataset holding the merged history (batch + online), and a model whose
 * user-factor table is that user's row (factor models), so "user 0 of the view" is the user.
 * Two quantities the engine derives from the whole dataset are supplied from the store
 * instead: the popularity fallback (interaction counts over all users, batch + online) and the
 * time-decay reference of `as-of latest` (the latest event over everything). This is the only
 * place that knows how the engine is called; the scorer rewrite (prepare() over caller
 * histories) replaces the body of serve_run() and nothing else. */
#define _GNU_SOURCE
#include "tide/serve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct collect {
    tide_serve_recs *out;
} collect;

static tide_status sink(void *ctx, const tide_retrieval_batch *b) {
    collect *c = ctx;
    int n = b->counts[0];
    if (n > (int)(sizeof c->out->items / sizeof c->out->items[0])) n = (int)(sizeof c->out->items / sizeof c->out->items[0]);
    c->out->n = n;
    c->out->by = b->by[0];
    for (int q = 0; q < n; q++) {
        c->out->items[q] = b->items[q];
        c->out->scores[q] = b->scores[q];
    }
    return TIDE_OK;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Would the engine fall back to popularity for this view? (Then it needs the counts.) */
static int needs_popularity(const tide_retrieval_model *m, int64_t n_hist) {
    switch (m->kind) {
    case TIDE_RETRIEVAL_FACTORS:
        if (m->fold_in_all) return n_hist == 0;
        if (m->n_users == 1) {
            for (int64_t d = 0; d < m->dim; d++)
                if (m->user_factors[d] != 0) return 0;
        }
        return !(m->can_fold_in && n_hist > 0);
    case TIDE_RETRIEVAL_EASE:
    case TIDE_RETRIEVAL_ITEMKNN:
        return n_hist == 0;
    case TIDE_RETRIEVAL_POP:
        return 0;
    }
    return 0;
}

tide_status tide_serve_score(const tide_serve_scorer *sc, tide_serve_store *st, const tide_serve_history *h, int k,
                             double diversity, const int32_t *only, int64_t n_only, int keep_seen, tide_serve_recs *out) {
    memset(out, 0, sizeof *out);
    const tide_retrieval_model *m = sc->model;
    tide_dataset *ds = sc->ds;
    tide_status s = TIDE_OK;
    if (k < 1 || k > 1000) return tide_error(TIDE_ERR_USAGE, "k must be in [1, 1000]");

    /* The one-user dataset view. */
    tide_dataset v;
    memset(&v, 0, sizeof v);
    int64_t indptr[2] = {0, h->n};
    const char *uid = tide_serve_store_user_id(st, h->slot);
    char *uids[1] = {(char *)(uid ? uid : "?")};
    v.n_users = 1;
    v.n_items = ds->n_items;
    v.nnz = h->n;
    v.user_ids = uids;
    v.item_ids = ds->item_ids;
    v.indptr = indptr;
    v.items = h->items;
    v.times = h->times;
    v.weights = h->weights;
    v.events = h->events;

    /* The model view: this user's factor row, the store's popularity and latest time. */
    tide_retrieval_model mv = *m;
    if (m->kind == TIDE_RETRIEVAL_FACTORS && m->user_factors && h->batch_user >= 0 && h->batch_user < m->n_users) {
        mv.user_factors = m->user_factors + (size_t)h->batch_user * (size_t)m->dim;
        mv.n_users = 1;
    } else {
        mv.user_factors = NULL;
        mv.n_users = 0;
    }
    if (mv.params.decay.half_life > 0 && mv.params.decay.as_of_mode == TIDE_ASOF_LATEST) {
        mv.params.decay.as_of_mode = TIDE_ASOF_TIME;
        mv.params.decay.as_of = h->latest_global;
    }
    float *pop = NULL;
    if (!m->popularity && needs_popularity(&mv, h->n)) {
        pop = malloc((size_t)ds->n_items * sizeof *pop + 1);
        if (!pop) return TIDE_ERR_NOMEM;
        tide_serve_store_rdlock(st);
        memcpy(pop, st->item_counts, (size_t)ds->n_items * sizeof *pop);
        tide_serve_store_unlock(st);
        mv.popularity = pop;
    }

    /* Exclusions: the merged history (unless seen items are kept) and the --exclude pairs. */
    int32_t *ex = NULL;
    int64_t n_ex = 0, ex_ptr[2] = {0, 0};
    int64_t e0 = 0, e1 = 0;
    if (sc->have_excl && uid) {
        int64_t r = tide_strmap_find(&sc->excl_users, uid, strlen(uid));
        if (r >= 0) {
            e0 = sc->excl_indptr[r];
            e1 = sc->excl_indptr[r + 1];
        }
    }
    ex = malloc((size_t)(h->n + (e1 - e0)) * sizeof *ex + 1);
    int32_t *cand = NULL;
    if (!ex) {
        s = TIDE_ERR_NOMEM;
        goto done;
    }
    if (!keep_seen)
        for (int64_t e = 0; e < h->n; e++) ex[n_ex++] = h->items[e];
    for (int64_t e = e0; e < e1; e++) ex[n_ex++] = sc->excl_items[e];
    qsort(ex, (size_t)n_ex, sizeof *ex, cmp_i32);
    int64_t w = 0;
    for (int64_t e = 0; e < n_ex; e++)
        if (e == 0 || ex[e] != ex[w - 1]) ex[w++] = ex[e];
    n_ex = w;
    ex_ptr[1] = n_ex;

    /* Candidates: the server's allow-list intersected with the request's. */
    const int32_t *cands = sc->candidates;
    int64_t n_cand = sc->n_candidates;
    if (only) {
        cand = malloc((size_t)n_only * sizeof *cand + 1);
        if (!cand) {
            s = TIDE_ERR_NOMEM;
            goto done;
        }
        int64_t nc = 0, a = 0;
        for (int64_t q = 0; q < n_only; q++) {
            if (sc->candidates) {
                while (a < sc->n_candidates && sc->candidates[a] < only[q]) a++;
                if (a >= sc->n_candidates || sc->candidates[a] != only[q]) continue;
            }
            cand[nc++] = only[q];
        }
        cands = cand;
        n_cand = nc;
        if (nc == 0) goto done; /* nothing allowed: an empty list */
    }
    int64_t n_allowed = cands ? n_cand : ds->n_items;
    if (k > n_allowed) k = (int)n_allowed;

    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.model = &mv;
    job.data = &v;
    int64_t user0 = 0;
    job.users = &user0;
    job.n_users = 1;
    job.excl_indptr = ex_ptr;
    job.excl_items = ex;
    job.candidates = cands;
    job.n_candidates = n_cand;
    job.item_vectors = sc->item_vectors;
    job.vec_dim = sc->vec_dim;
    tide_retrieval_params p;
    tide_retrieval_params_default(&p);
    p.k = k;
    p.diversity = diversity;
    p.user_block = 1;
    p.batch_users = 1;
    /* One user is one block: the engine's parallel loop must not start a thread team per
     * request thread (the ICV is per thread, so this is cheap and local). */
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    collect c = {out};
    s = tide_retrieval_run(&job, &p, sink, &c, NULL);
done:
    free(pop);
    free(ex);
    free(cand);
    return s;
}

/* Cosine top-k against a query vector through the engine (a vectors model of one query). */
static tide_status vec_topk(const tide_serve_scorer *sc, const float *q, int k, int32_t exclude_item, tide_serve_recs *out) {
    memset(out, 0, sizeof *out);
    const float *Y = sc->item_vectors ? sc->item_vectors : sc->model->item_factors;
    int64_t d = sc->item_vectors ? sc->vec_dim : sc->model->dim;
    if (!Y) return tide_error(TIDE_ERR_USAGE, "no item vectors (start the server with --item-vectors, or use a factor model)");
    tide_retrieval_model mv;
    tide_retrieval_model_from_vectors(&mv, q, 1, Y, sc->ds->n_items, d);
    int64_t ex_ptr[2] = {0, exclude_item >= 0 ? 1 : 0};
    int32_t ex[1] = {exclude_item};
    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.model = &mv;
    int64_t user0 = 0;
    job.users = &user0;
    job.n_users = 1;
    job.excl_indptr = ex_ptr;
    job.excl_items = ex;
    job.candidates = sc->candidates;
    job.n_candidates = sc->n_candidates;
    tide_retrieval_params p;
    tide_retrieval_params_default(&p);
    int64_t n_allowed = sc->candidates ? sc->n_candidates : sc->ds->n_items;
    p.k = k < n_allowed ? k : (int)n_allowed;
    p.user_block = 1;
    p.batch_users = 1;
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    collect c = {out};
    return tide_retrieval_run(&job, &p, sink, &c, NULL);
}

tide_status tide_serve_similar(const tide_serve_scorer *sc, int32_t item, int k, tide_serve_recs *out) {
    const float *Y = sc->item_vectors ? sc->item_vectors : sc->model->item_factors;
    int64_t d = sc->item_vectors ? sc->vec_dim : sc->model->dim;
    if (!Y) return tide_error(TIDE_ERR_USAGE, "no item vectors (start the server with --item-vectors, or use a factor model)");
    /* The query at unit length; items rank by dot product with it, which is the cosine for
     * unit-length item vectors such as tide-embed's (and a norm-weighted cosine for factors). */
    float *q = malloc((size_t)d * sizeof *q + 1);
    if (!q) return TIDE_ERR_NOMEM;
    const float *x = Y + (size_t)item * (size_t)d;
    double ss = 0;
    for (int64_t j = 0; j < d; j++) ss += (double)x[j] * x[j];
    for (int64_t j = 0; j < d; j++) q[j] = ss > 0 ? (float)(x[j] / sqrt(ss)) : 0;
    tide_status s = vec_topk(sc, q, k, item, out);
    free(q);
    return s;
}

tide_status tide_serve_search_vec(const tide_serve_scorer *sc, const float *q, int k, tide_serve_recs *out) {
    return vec_topk(sc, q, k, -1, out);
}
