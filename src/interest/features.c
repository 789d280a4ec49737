/* features.c — one user's component scores over all items, and the state they come from: the
 * decayed short-term history (position and time), the long-term ALS fold-in, content profiles
 * in TF-IDF and LM space, interest clusters, the user's own words and contextual popularity.
 * A pure function of (history view, item side, settings): batch, online and incremental runs
 * call exactly this. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/interest.h"
#include "interest-impl.h"

#define ON(p, c) (((p)->enabled >> (c)) & 1u)

/* Weights below this fraction of the latest event's are dropped: exp(-j/tau) reaches it within
 * ~14 tau events, so a short-term profile costs O(tau) rows, not O(history). */
#define W_EPS 1e-6f

void tide_interest_history_weights(const tide_interest_decay *d, const int64_t *times, int64_t n, int64_t t_ref,
                                   float *w) {
    for (int64_t k = 0; k < n; k++) {
        double j = (double)(n - 1 - k), x = 1;
        if (d->tau > 0) x *= exp(-j / d->tau);
        if (d->half_life > 0 && times) {
            double age = (double)(t_ref - times[k]);
            if (age > 0) x *= exp2(-age / d->half_life);
        }
        w[k] = (float)x;
    }
}

void tide_interest_history_of(const tide_dataset *ds, const float *text_vectors, int lm_dim, int64_t u, int64_t as_of,
                              tide_interest_history *h) {
    memset(h, 0, sizeof *h);
    int64_t a = ds->indptr[u], b = ds->indptr[u + 1];
    if (as_of != INT64_MIN)
        while (b > a && ds->times[b - 1] > as_of) b--;
    h->items = ds->items + a;
    h->times = ds->times + a;
    h->n = b - a;
    h->t_ref = as_of != INT64_MIN ? as_of : (h->n ? h->times[h->n - 1] : INT64_MIN);
    if (text_vectors && ds->text_indptr && lm_dim > 0) {
        int64_t ta = ds->text_indptr[u], tb = ds->text_indptr[u + 1];
        if (as_of != INT64_MIN)
            while (tb > ta && ds->text_times[tb - 1] > as_of) tb--;
        h->text_vecs = text_vectors + ta * (int64_t)lm_dim;
        h->text_times = ds->text_times + ta;
        h->n_text = tb - ta;
    }
    if (h->t_ref == INT64_MIN) h->t_ref = h->n_text ? h->text_times[h->n_text - 1] : 0;
}

size_t tide_interest_work_floats(const tide_interest_items *it, const tide_interest_params *p) {
    size_t d = (size_t)(it->lm_dim > it->tfidf_dim ? it->lm_dim : it->tfidf_dim);
    if ((size_t)it->als_k > d) d = (size_t)it->als_k;
    return (size_t)it->n_items + 4 * d + (size_t)(TIDE_INTEREST_MAX_K + 2) * (size_t)(it->sp_dim + 1) + 64;
}

double tide_interest_profile(const float *V, int d, const int32_t *items, const float *w, int64_t n, float *out) {
    memset(out, 0, (size_t)d * sizeof *out);
    for (int64_t k = 0; k < n; k++)
        if (w[k] > 0) cblas_saxpy(d, w[k], V + (size_t)items[k] * d, 1, out, 1);
    double s = cblas_snrm2(d, out, 1);
    if (s > 0) cblas_sscal(d, (float)(1 / s), out, 1);
    return s;
}

static void scores_from_profile(const float *V, int64_t n_items, int d, const float *prof, float *row) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n_items, d, 1.0f, V, d, prof, 1, 0.0f, row, 1);
}

/* Weighted spherical k-means of the history's LM vectors, deterministic: the first centre is
 * the heaviest item, each next one the item farthest (lowest best cosine, mass-weighted) from
 * the centres so far. K per user: the largest k <= max_k whose clusters each hold >= 10% of the
 * mass and whose mean best cosine beats k-1's by >= 0.03. */
static void clusters(const tide_interest_items *it, const tide_interest_params *p, const tide_interest_history *h,
                     const float *w, float *cent, tide_interest_cluster *cl, int *n_cl, int *assign, float *best) {
    int d = it->sp_dim;
    int64_t n = h->n;
    *n_cl = 0;
    double mass = 0;
    int64_t heavy = -1;
    for (int64_t k = 0; k < n; k++) {
        mass += w[k];
        if (w[k] > W_EPS && (heavy < 0 || w[k] >= w[heavy])) heavy = k;
    }
    if (heavy < 0 || !(mass > 0)) return;
    float trial[TIDE_INTEREST_MAX_K * 512];
    int maxk = p->max_clusters;
    if ((int64_t)maxk > n) maxk = (int)n;
    if (d > 512) maxk = 1;     /* the stack buffer; LM spaces are 384-768 wide in practice */
    double prev_fit = -2;
    /* The seeds of K are the seeds of K - 1 plus one (farthest-point seeding is deterministic), so
     * each seed's cosines to the history are computed once, into sd[k * maxk + q], and serve the
     * seeding and the first assignment of every K: the same sdot calls as computing them anew
     * for each K (same bits), a fifth of the clustering's dot products fewer. */
    float *sd = tide_malloc(((size_t)n * (size_t)maxk + 1) * sizeof *sd), *bmax = tide_malloc(((size_t)n + 1) * sizeof *bmax);
    float seedv[TIDE_INTEREST_MAX_K * 512];
    int n_seeds = 0;
    if (!sd || !bmax) { free(sd); free(bmax); return; }   /* out of memory: no clusters (the user's other components stand) */
    for (int K = 1; K <= maxk; K++) {
        /* seeding: add seed K - 1 (the heaviest item, then the item farthest from the seeds so far) */
        while (n_seeds < K) {
            int c = n_seeds;
            int64_t far = heavy;
            if (c > 0) {
                far = -1;
                double farv = DBL_MAX;
                for (int64_t k = 0; k < n; k++) {
                    if (w[k] <= W_EPS) continue;
                    if (bmax[k] < farv) { farv = bmax[k]; far = k; }
                }
                if (far < 0) far = heavy;
            }
            memcpy(seedv + c * d, it->sp + (size_t)h->items[far] * d, (size_t)d * sizeof *seedv);
            for (int64_t k = 0; k < n; k++) {
                float s = cblas_sdot(d, it->sp + (size_t)h->items[k] * d, 1, seedv + c * d, 1);
                sd[k * maxk + c] = s;
                if (c == 0 || s > bmax[k]) bmax[k] = s;
            }
            n_seeds++;
        }
        memcpy(trial, seedv, (size_t)K * d * sizeof *trial);
        double fit = 0;
        double cm[TIDE_INTEREST_MAX_K];
        for (int iter = 0; iter < 8; iter++) {
            fit = 0;
            int changed = iter == 0;
            for (int64_t k = 0; k < n; k++) {
                const float *v = it->sp + (size_t)h->items[k] * d;
                int bc = 0;
                double b = -2;
                for (int q = 0; q < K; q++) {
                    double s = iter == 0 ? sd[k * maxk + q] : cblas_sdot(d, v, 1, trial + q * d, 1);
                    if (s > b) { b = s; bc = q; }
                }
                if (assign[k] != bc) changed = 1;
                assign[k] = bc;
                best[k] = (float)b;
                fit += w[k] * b;
            }
            /* Converged: the centres were computed from these very assignments, so every further
             * iteration would recompute the same bits (same sums in the same order) — stopping
             * here changes no result and skips most of the per-user clustering time. */
            if (!changed) break;
            memset(trial, 0, (size_t)K * d * sizeof *trial);
            for (int q = 0; q < K; q++) cm[q] = 0;
            for (int64_t k = 0; k < n; k++) {
                cblas_saxpy(d, w[k], it->sp + (size_t)h->items[k] * d, 1, trial + assign[k] * d, 1);
                cm[assign[k]] += w[k];
            }
            for (int q = 0; q < K; q++) {
                double s = cblas_snrm2(d, trial + q * d, 1);
                if (s > 0) cblas_sscal(d, (float)(1 / s), trial + q * d, 1);
            }
        }
        fit /= mass;
        int ok = 1;
        for (int q = 0; q < K; q++)
            if (cm[q] < 0.1 * mass) ok = 0;
        if (K > 1 && (!ok || fit < prev_fit + 0.03)) break;
        prev_fit = fit;
        memcpy(cent, trial, (size_t)K * d * sizeof *cent);
        *n_cl = K;
        for (int q = 0; q < K; q++) {
            cl[q].strength = (float)cm[q];
            cl[q].last_active = INT64_MIN;
            cl[q].n_items = 0;
            for (int r = 0; r < 3; r++) cl[q].top_items[r] = -1;
            cl[q].cats[0] = cl[q].cats[1] = -1;
        }
        /* membership: recompute assignments against the kept centres (for n_items/last active/top) */
        for (int64_t k = 0; k < n; k++) {
            const float *v = it->sp + (size_t)h->items[k] * d;
            int bc = 0;
            double b = -2;
            for (int q = 0; q < K; q++) {
                double s = cblas_sdot(d, v, 1, cent + q * d, 1);
                if (s > b) { b = s; bc = q; }
            }
            tide_interest_cluster *c = &cl[bc];
            c->n_items++;
            if (h->times && h->times[k] > c->last_active) c->last_active = h->times[k];
        }
    }
    free(sd);
    free(bmax);
}

/* The most recent distinct members of cluster q (up to 3), and its two main categories by
 * decayed mass. */
static void cluster_labels(const tide_interest_items *it, const tide_interest_history *h, const float *w,
                           const float *cent, int K, tide_interest_cluster *cl) {
    int d = it->sp_dim;
    double catm[TIDE_INTEREST_MAX_K][64];
    memset(catm, 0, sizeof catm);
    for (int q = 0; q < K; q++)
        for (int r = 0; r < 3; r++) cl[q].top_items[r] = -1;
    for (int64_t k = h->n - 1; k >= 0; k--) {
        const float *v = it->sp + (size_t)h->items[k] * d;
        int bc = 0;
        double b = -2;
        for (int q = 0; q < K; q++) {
            double s = cblas_sdot(d, v, 1, cent + q * d, 1);
            if (s > b) { b = s; bc = q; }
        }
        tide_interest_cluster *c = &cl[bc];
        for (int r = 0; r < 3; r++) {
            if (c->top_items[r] == h->items[k]) break;
            if (c->top_items[r] < 0) { c->top_items[r] = h->items[k]; break; }
        }
        if (it->cat_indptr)
            for (int64_t e = it->cat_indptr[h->items[k]]; e < it->cat_indptr[h->items[k] + 1]; e++)
                if (it->cat_ids[e] < 64) catm[bc][it->cat_ids[e]] += w[k] > 0 ? w[k] : 0;
    }
    for (int q = 0; q < K; q++) {
        cl[q].cats[0] = cl[q].cats[1] = -1;
        for (int r = 0; r < 2; r++) {
            double bm = 0;
            for (int c = 0; c < 64 && c < it->n_cats; c++)
                if (catm[q][c] > bm && c != cl[q].cats[0]) { bm = catm[q][c]; cl[q].cats[r] = c; }
        }
    }
}

tide_status tide_interest_features(const tide_interest_items *it, const tide_interest_params *p,
                                   const tide_interest_history *h, float *feats, float *work,
                                   tide_interest_user *state) {
    int64_t N = it->n_items, n = h->n;
    /* feats NULL: the state only (no component is scored) */
    tide_interest_params pq = *p;
    if (!feats) pq.enabled = 0;
    else memset(feats, 0, (size_t)TIDE_IC_N * (size_t)N * sizeof *feats);
    p = &pq;
    if (state) {   /* a state is rebuilt from scratch: nothing of the previous user may remain */
        size_t k = (size_t)it->als_k, d = (size_t)it->sp_dim;
        if (state->long_cf) memset(state->long_cf, 0, k * sizeof(float));
        if (state->short_cf) memset(state->short_cf, 0, k * sizeof(float));
        if (state->short_lm) memset(state->short_lm, 0, d * sizeof(float));
        if (state->long_lm) memset(state->long_lm, 0, d * sizeof(float));
        if (state->words_lm) memset(state->words_lm, 0, d * sizeof(float));
        if (state->centroids) memset(state->centroids, 0, TIDE_INTEREST_MAX_K * d * sizeof(float));
        state->n_clusters = 0;
        memset(state->clusters, 0, sizeof state->clusters);
    }
    float *w = tide_malloc((size_t)(4 * n + 1) * sizeof *w);
    int *assign = tide_malloc((size_t)(n + 1) * sizeof *assign);
    if (!w || !assign) { free(w); free(assign); return TIDE_ERR_NOMEM; }
    float *wc = w + n, *wk = w + 2 * n;
    size_t dmax = (size_t)(it->lm_dim > it->tfidf_dim ? it->lm_dim : it->tfidf_dim);
    if ((size_t)it->als_k > dmax) dmax = (size_t)it->als_k;
    float *prof = work + N, *prof2 = prof + dmax;
    float *cent = prof2 + dmax + 2 * dmax;
    float *row;

    if (n > 0) {
        tide_interest_history_weights(&p->cf, h->times, n, h->t_ref, w);
        float wmax = w[n - 1] > 0 ? w[n - 1] : 1;
        if (it->ease && ON(p, TIDE_IC_EASE)) {
            row = feats + (size_t)TIDE_IC_EASE * N;
            for (int64_t k = 0; k < n; k++)
                if (w[k] > W_EPS * wmax) cblas_saxpy((int)N, w[k], it->ease + (size_t)h->items[k] * N, 1, row, 1);
        }
        if (it->ease && ON(p, TIDE_IC_EASE_LONG)) {
            row = feats + (size_t)TIDE_IC_EASE_LONG * N;
            for (int64_t k = 0; k < n; k++) cblas_saxpy((int)N, 1.0f, it->ease + (size_t)h->items[k] * N, 1, row, 1);
        }
        /* The burst: a second EASE row under its own, much shorter decay (the last event or the
         * last minute). One decay cannot serve both: the EASE row's tuned decay keeps several
         * events (tau 8, an hour on ml-latest-small), while the next item follows the burst. */
        if (it->ease && ON(p, TIDE_IC_EASE_BURST)) {
            tide_interest_history_weights(&p->burst, h->times, n, h->t_ref, wk);
            float bmax = wk[n - 1] > 0 ? wk[n - 1] : 1;
            row = feats + (size_t)TIDE_IC_EASE_BURST * N;
            for (int64_t k = 0; k < n; k++)
                if (wk[k] > W_EPS * bmax) cblas_saxpy((int)N, wk[k], it->ease + (size_t)h->items[k] * N, 1, row, 1);
        }
        if (it->sess && ON(p, TIDE_IC_SESSION)) {
            tide_interest_history_weights(&p->session, h->times, n, h->t_ref, wk);
            float smax = wk[n - 1] > 0 ? wk[n - 1] : 1;
            row = feats + (size_t)TIDE_IC_SESSION * N;
            for (int64_t k = 0; k < n; k++)
                if (wk[k] > W_EPS * smax) cblas_saxpy((int)N, wk[k], it->sess + (size_t)h->items[k] * N, 1, row, 1);
        }
        /* seq: the last seq_last events, as its training rows saw them (ages from the reference time) */
        if (it->seq && ON(p, TIDE_IC_SEQ)) {
            row = feats + (size_t)TIDE_IC_SEQ * N;
            for (int64_t j = 0; j < p->seq_last && j < n; j++) {
                double age = h->times ? (double)(h->t_ref - h->times[n - 1 - j]) : 0;
                double x = tide_interest_seq_weight(&p->seq, j, age);
                if (x >= 1e-4) cblas_saxpy((int)N, (float)x, it->seq + (size_t)h->items[n - 1 - j] * N, 1, row, 1);
            }
        }
        if (it->knn_indptr && ON(p, TIDE_IC_KNN)) {
            row = feats + (size_t)TIDE_IC_KNN * N;
            for (int64_t k = 0; k < n; k++) {
                if (!(w[k] > W_EPS * wmax)) continue;
                int32_t i = h->items[k];
                for (int64_t e = it->knn_indptr[i]; e < it->knn_indptr[i + 1]; e++) row[it->knn_items[e]] += w[k] * it->knn_sims[e];
            }
        }
        if (it->tr_indptr && ON(p, TIDE_IC_TRANS)) {
            row = feats + (size_t)TIDE_IC_TRANS * N;
            for (int64_t j = 0; j < p->trans_last && j < n; j++) {
                int32_t i = h->items[n - 1 - j];
                double age = h->times ? (double)(h->t_ref - h->times[n - 1 - j]) : 0;
                float x = (float)(exp(-(double)j / p->trans_tau) *
                                  (p->trans_half_life > 0 && age > 0 ? exp2(-age / p->trans_half_life) : 1.0));
                for (int64_t e = it->tr_indptr[i]; e < it->tr_indptr[i + 1]; e++) row[it->tr_items[e]] += x * it->tr_probs[e];
            }
        }
        tide_interest_history_weights(&p->content, h->times, n, h->t_ref, wc);
        if (it->tfidf && ON(p, TIDE_IC_TFIDF)) {
            if (tide_interest_profile(it->tfidf, it->tfidf_dim, h->items, wc, n, prof) > 0)
                scores_from_profile(it->tfidf, N, it->tfidf_dim, prof, feats + (size_t)TIDE_IC_TFIDF * N);
        }
        if (it->lm && ON(p, TIDE_IC_LM) && tide_interest_profile(it->lm, it->lm_dim, h->items, wc, n, prof) > 0)
            scores_from_profile(it->lm, N, it->lm_dim, prof, feats + (size_t)TIDE_IC_LM * N);
        if (it->sp) {
            tide_interest_profile(it->sp, it->sp_dim, h->items, wc, n, prof);
            if (state && state->short_lm) memcpy(state->short_lm, prof, (size_t)it->sp_dim * sizeof *prof);
            if (ON(p, TIDE_IC_CLUSTER) || state) {
                tide_interest_history_weights(&p->cluster, h->times, n, h->t_ref, wk);
                int K = 0;
                tide_interest_cluster cl[TIDE_INTEREST_MAX_K];
                clusters(it, p, h, wk, cent, cl, &K, assign, w + 3 * n);
                if (K > 0) cluster_labels(it, h, wk, cent, K, cl);
                if (ON(p, TIDE_IC_CLUSTER) && K > 0) {
                    row = feats + (size_t)TIDE_IC_CLUSTER * N;
                    float smax = 0;
                    for (int q = 0; q < K; q++) smax = cl[q].strength > smax ? cl[q].strength : smax;
                    for (int64_t j = 0; j < N; j++) row[j] = -FLT_MAX;
                    for (int q = 0; q < K; q++) {
                        /* a weaker interest counts less: cosine scaled by (strength / strongest)^0.25 */
                        float sc = (float)pow(cl[q].strength / smax, 0.25);
                        scores_from_profile(it->sp, N, it->sp_dim, cent + (size_t)q * it->sp_dim, work);
                        for (int64_t j = 0; j < N; j++)
                            if (sc * work[j] > row[j]) row[j] = sc * work[j];
                    }
                }
                if (state) {
                    state->n_clusters = K;
                    memcpy(state->clusters, cl, (size_t)K * sizeof *cl);
                    if (state->centroids) memcpy(state->centroids, cent, (size_t)K * it->sp_dim * sizeof *cent);
                }
            }
        }
        if (it->als_items && (ON(p, TIDE_IC_ALS) || state)) {
            for (int64_t k = 0; k < n; k++) wk[k] = 1.0f;
            float *x = prof2;
            /* long_cf and short_cf share their system: one factorisation, two solves (cf.c) */
            float *xs = state && state->long_cf && state->short_cf ? state->short_cf : NULL;
            tide_status st = tide_interest_cf_fold_in(it, h->items, wk, wc, n, x, xs);
            if (st) { free(w); free(assign); return st; }
            if (ON(p, TIDE_IC_ALS))
                scores_from_profile(it->als_items, N, it->als_k, x, feats + (size_t)TIDE_IC_ALS * N);
            if (state && state->long_cf) memcpy(state->long_cf, x, (size_t)it->als_k * sizeof *x);
        }
    }
    if (it->lm && it->sp == it->lm && h->n_text == 0 && h->words_profile && ON(p, TIDE_IC_WORDS))
        scores_from_profile(it->lm, N, it->lm_dim, h->words_profile, feats + (size_t)TIDE_IC_WORDS * N);
    if (it->lm && it->sp == it->lm && h->n_text > 0 && (ON(p, TIDE_IC_WORDS) || (state && state->words_lm))) {
        float *tw = tide_malloc((size_t)h->n_text * sizeof *tw);
        if (!tw) { free(w); free(assign); return TIDE_ERR_NOMEM; }
        tide_interest_decay dw = {0, p->words_half_life};
        tide_interest_history_weights(&dw, h->text_times, h->n_text, h->t_ref, tw);
        memset(prof, 0, (size_t)it->lm_dim * sizeof *prof);
        for (int64_t k = 0; k < h->n_text; k++) cblas_saxpy(it->lm_dim, tw[k], h->text_vecs + k * it->lm_dim, 1, prof, 1);
        free(tw);
        double s = cblas_snrm2(it->lm_dim, prof, 1);
        if (s > 0) {
            cblas_sscal(it->lm_dim, (float)(1 / s), prof, 1);
            if (ON(p, TIDE_IC_WORDS)) scores_from_profile(it->lm, N, it->lm_dim, prof, feats + (size_t)TIDE_IC_WORDS * N);
            if (state && state->words_lm) memcpy(state->words_lm, prof, (size_t)it->lm_dim * sizeof *prof);
        }
    }
    if (it->pop && ON(p, TIDE_IC_POP)) {
        row = feats + (size_t)TIDE_IC_POP * N;
        /* no events and no words: popularity at the data's last event */
        tide_pop_context_score(it->pop, n || h->n_text ? h->t_ref : it->pop->latest, row);
        for (int64_t j = 0; j < N; j++) row[j] = (float)log1p(row[j]);   /* heavy-tailed: z-score the log */
    }
    if (state) {
        state->n_events = n;
        state->last_time = n ? h->times[n - 1] : INT64_MIN;
        state->drift = state->drift_cf = 0;
        if (it->sp && state->long_lm && state->short_lm) {
            for (int64_t k = 0; k < n; k++) wk[k] = 1.0f;
            tide_interest_profile(it->sp, it->sp_dim, h->items, wk, n, state->long_lm);
            state->drift = n ? 1.0f - cblas_sdot(it->sp_dim, state->long_lm, 1, state->short_lm, 1) : 0;
        }
        if (it->als_items && state->long_cf && state->short_cf && n) {
            double a = cblas_snrm2(it->als_k, state->long_cf, 1), b = cblas_snrm2(it->als_k, state->short_cf, 1);
            state->drift_cf = a > 0 && b > 0 ? (float)(1 - cblas_sdot(it->als_k, state->long_cf, 1, state->short_cf, 1) / (a * b)) : 0;
        }
    }
    free(w);
    free(assign);
    return TIDE_OK;
}

/* Mean and standard deviation over the items not excluded, then z = (x − mean) / sd. Excluded
 * items keep a z-score too (they are removed at ranking). A clustered row's −FLT_MAX (no
 * clusters) never occurs: it is only filled when K > 0. */
void tide_interest_normalise(float *feats, int64_t n_items, const int32_t *excl, int64_t n_excl) {
    for (int c = 0; c < TIDE_IC_N; c++) {
        float *row = feats + (size_t)c * n_items;
        double s = 0, s2 = 0;
        for (int64_t j = 0; j < n_items; j++) { s += row[j]; s2 += (double)row[j] * row[j]; }
        for (int64_t e = 0; e < n_excl; e++) { double x = row[excl[e]]; s -= x; s2 -= x * x; }
        double m = (double)(n_items - n_excl);
        if (m < 2) { memset(row, 0, (size_t)n_items * sizeof *row); continue; }
        double mean = s / m, var = s2 / m - mean * mean;
        if (!(var > 1e-12 * (mean * mean + 1e-30))) { memset(row, 0, (size_t)n_items * sizeof *row); continue; }
        float fm = (float)mean, inv = (float)(1 / sqrt(var));
        for (int64_t j = 0; j < n_items; j++) row[j] = (row[j] - fm) * inv;
    }
}

void tide_interest_combine(const float *feats, int64_t n_items, const float *weights, float *score) {
    memset(score, 0, (size_t)n_items * sizeof *score);
    for (int c = 0; c < TIDE_IC_N; c++)
        if (weights[c] != 0) cblas_saxpy((int)n_items, weights[c], feats + (size_t)c * n_items, 1, score, 1);
}
