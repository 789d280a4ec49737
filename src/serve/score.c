/* score.c — one user's recommendations, similar items and vector search, all through
 * tide_retrieval_run, the engine tide-recommend runs, so that online and batch cannot disagree.
 *
 * The engine takes users' histories from a tide_user_source: here one view of the merged history
 * (batch events then online ones), the user's model row (its batch index; -1 for a new user),
 * and as_of = the latest event the store has seen, which is what "latest" means to the batch
 * run over the re-ingested data. The popularity fallback is the store's counts (batch + online),
 * the batch run's counts of its dataset; a model with its own popularity keeps it. */
#define _GNU_SOURCE
#include "tide/serve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "tide/mf.h"

typedef struct collect {
    tide_serve_recs *out;
} collect;

static tide_status sink(void *ctx, const tide_retrieval_batch *b) {
    collect *c = ctx;
    int cap = (int)(sizeof c->out->items / sizeof c->out->items[0]);
    int n = b->counts[0] < cap ? b->counts[0] : cap;
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

/* The one user's view (key 0). */
typedef struct one_view {
    tide_user_view v;
} one_view;

static tide_status view_fn(void *ctx, int64_t user, tide_user_view *v) {
    (void)user;
    *v = ((const one_view *)ctx)->v;
    return TIDE_OK;
}

/* Run the engine for one view. */
static tide_status run_one(const tide_serve_scorer *sc, const tide_user_view *view, const float *pop, int k,
                           double diversity, const int32_t *cands, int64_t n_cand, const int64_t *ex_ptr,
                           const int32_t *ex, tide_serve_recs *out) {
    one_view ov = {*view};
    tide_user_source src = {view_fn, &ov, 1};
    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.scorer = sc->model;
    job.source = &src;
    int64_t user0 = 0;
    job.users = &user0;
    job.n_users = 1;
    job.excl_indptr = ex_ptr;
    job.excl_items = ex;
    job.candidates = cands;
    job.n_candidates = n_cand;
    job.item_vectors = sc->item_vectors;
    job.vec_dim = sc->vec_dim;
    job.popularity = pop;
    job.qindex = sc->qindex;
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
    return tide_retrieval_run(&job, &p, sink, &c, NULL);
}

void tide_serve_view(const tide_serve_history *h, tide_user_view *v) {
    memset(v, 0, sizeof *v);
    v->user = h->batch_user;
    v->n = h->n;
    v->items = h->items;
    v->times = h->times;
    v->weights = h->weights;
    v->events = h->events;
    v->as_of = h->latest_global;
    /* The texts with their vectors: a model that reads the user's words (interest) rebuilds
     * them from these, so a text event moves them the moment it is applied. */
    v->n_text = h->n_text;
    v->text_times = h->n_text ? h->text_times : NULL;
    v->text_vecs = h->text_vecs;
    v->text_dim = h->text_vecs ? h->text_dim : 0;
}

/* The store's counts, copied under its read lock (the engine reads them only if it falls back). */
static tide_status pop_copy(const tide_serve_scorer *sc, tide_serve_store *st, float **pop) {
    *pop = NULL;
    if (sc->model->info.popularity) return TIDE_OK; /* the model's own */
    float *p = malloc((size_t)sc->ds->n_items * sizeof *p + 1);
    if (!p) return TIDE_ERR_NOMEM;
    tide_serve_store_rdlock(st);
    memcpy(p, st->item_counts, (size_t)sc->ds->n_items * sizeof *p);
    tide_serve_store_unlock(st);
    *pop = p;
    return TIDE_OK;
}

tide_status tide_serve_score(const tide_serve_scorer *sc, tide_serve_store *st, const tide_serve_history *h, int k,
                             double diversity, const int32_t *only, int64_t n_only, int keep_seen, tide_serve_recs *out) {
    memset(out, 0, sizeof *out);
    tide_dataset *ds = sc->ds;
    tide_status s = TIDE_OK;
    if (k < 1 || k > 1000) return tide_error(TIDE_ERR_USAGE, "k must be in [1, 1000]");
    float *pop = NULL;
    int32_t *ex = NULL, *cand = NULL;
    if ((s = pop_copy(sc, st, &pop))) return s;

    /* Exclusions: the merged history (unless seen items are kept) and the --exclude pairs. */
    int64_t e0 = 0, e1 = 0, n_ex = 0;
    if (sc->have_excl) {
        tide_serve_store_rdlock(st);
        const char *uid = tide_serve_store_user_id(st, h->slot);
        int64_t r = uid ? tide_strmap_find(&sc->excl_users, uid, strlen(uid)) : -1;
        tide_serve_store_unlock(st);
        if (r >= 0) {
            e0 = sc->excl_indptr[r];
            e1 = sc->excl_indptr[r + 1];
        }
    }
    ex = malloc((size_t)(h->n + (e1 - e0)) * sizeof *ex + 1);
    if (!ex) {
        s = TIDE_ERR_NOMEM;
        goto done;
    }
    if (!keep_seen && !sc->keep_seen)
        for (int64_t e = 0; e < h->n; e++) ex[n_ex++] = h->items[e];
    for (int64_t e = e0; e < e1; e++) ex[n_ex++] = sc->excl_items[e];
    qsort(ex, (size_t)n_ex, sizeof *ex, cmp_i32);
    int64_t w = 0;
    for (int64_t e = 0; e < n_ex; e++)
        if (e == 0 || ex[e] != ex[w - 1]) ex[w++] = ex[e];
    int64_t ex_ptr[2] = {0, w};

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
    tide_user_view v;
    tide_serve_view(h, &v);
    s = run_one(sc, &v, pop, k, diversity, cands, n_cand, ex_ptr, ex, out);
done:
    free(pop);
    free(ex);
    free(cand);
    return s;
}

tide_status tide_serve_contributions(const tide_serve_scorer *sc, tide_serve_store *st, const tide_serve_history *h,
                                     int last, const int32_t *items, int n, int64_t *best_event, float *best) {
    for (int q = 0; q < n; q++) {
        best_event[q] = -1;
        best[q] = 0;
    }
    if (n <= 0 || h->n == 0) return TIDE_OK;
    int32_t *cands = malloc((size_t)n * sizeof *cands);
    tide_serve_recs *r = malloc(sizeof *r);
    float *pop = NULL;
    tide_status s = cands && r ? pop_copy(sc, st, &pop) : TIDE_ERR_NOMEM;
    if (s) goto done;
    memcpy(cands, items, (size_t)n * sizeof *cands);
    qsort(cands, (size_t)n, sizeof *cands, cmp_i32);
    int nc = 0;
    for (int q = 0; q < n; q++)
        if (!nc || cands[q] != cands[nc - 1]) cands[nc++] = cands[q];
    for (int64_t e = h->n - 1; e >= 0 && e >= h->n - last; e--) {
        tide_user_view v;
        memset(&v, 0, sizeof v);
        v.user = -1; /* the event alone, not the user's trained state */
        v.n = 1;
        v.items = h->items + e;
        v.times = h->times + e;
        v.weights = h->weights + e;
        v.events = h->events + e;
        v.as_of = h->latest_global;
        int64_t ex_ptr[2] = {0, 0};
        if ((s = run_one(sc, &v, pop, nc, 0, cands, nc, ex_ptr, NULL, r))) goto done;
        if (r->by != TIDE_BY_MODEL && r->by != TIDE_BY_FOLD_IN) break; /* the model cannot say */
        for (int t = 0; t < r->n; t++)
            for (int q = 0; q < n; q++)
                if (items[q] == r->items[t] && r->scores[t] > best[q]) {
                    best[q] = r->scores[t];
                    best_event[q] = e;
                }
    }
done:
    free(cands);
    free(r);
    free(pop);
    return s;
}

/* Top-k by dot product with a query vector: the engine over a one-query vectors scorer. */
static tide_status vec_topk(const tide_serve_scorer *sc, const float *q, int k, int32_t exclude_item, tide_serve_recs *out) {
    memset(out, 0, sizeof *out);
    const float *Y = sc->item_vectors ? sc->item_vectors : sc->model->info.item_vectors;
    int64_t d = sc->item_vectors ? sc->vec_dim : sc->model->info.item_dim;
    if (!Y) return tide_error(TIDE_ERR_USAGE, "no item vectors (start the server with --item-vectors, or use a factor model)");
    tide_scorer *vs = NULL;
    tide_status s = tide_mf_scorer_vectors(q, 1, Y, sc->ds->n_items, d, &vs);
    if (s) return s;
    int64_t ex_ptr[2] = {0, exclude_item >= 0 ? 1 : 0};
    int32_t ex[1] = {exclude_item};
    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.scorer = vs;
    int64_t user0 = 0;
    job.users = &user0;
    job.n_users = 1;
    job.excl_indptr = ex_ptr;
    job.excl_items = ex;
    job.candidates = sc->candidates;
    job.n_candidates = sc->n_candidates;
    if (Y == sc->model->info.item_vectors) job.qindex = sc->qindex; /* the index is of these vectors */
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
    s = tide_retrieval_run(&job, &p, sink, &c, NULL);
    tide_scorer_free(vs);
    return s;
}

tide_status tide_serve_similar(const tide_serve_scorer *sc, int32_t item, int k, tide_serve_recs *out) {
    const float *Y = sc->item_vectors ? sc->item_vectors : sc->model->info.item_vectors;
    int64_t d = sc->item_vectors ? sc->vec_dim : sc->model->info.item_dim;
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
