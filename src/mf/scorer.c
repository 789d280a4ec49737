/* scorer.c — the mf family's scorer (tide/scorer.h): how each model directory of tide-train-mf
 * scores a user, for the engine (tide-recommend, tide-serve) and for validation during training.
 *
 *   factors  (als, bpr, content vectors) tile = U_rows · Y_colsᵀ by one sgemm through the
 *            backend, + item bias (bpr). Users not in the model — past its user count, or with an
 *            all-zero factor (no training events) — are folded in from their history (ALS:
 *            tide_mf_fold_in_pref against the item factors) or get popularity. ALS trained with
 *            --fold-in folds in every user with events (its own rule, "by model").
 *   ease     tile = x_u · B[:, cols] as a sparse-dense product (one axpy of a B row per event)
 *   itemknn  a whole row: Σ over history events of the neighbour similarities
 *   pop      static: user-independent scores (the engine walks them in order); contextual (pop
 *            --as-of user): a whole row at the user's latest event (no events: the model's latest)
 *
 * History weights are the view's weights times the model's time decay (params "half-life" /
 * "as-of", tide/decay.h), computed per user as tide_mf_weights computes them for training, so a
 * decayed model scores exactly as it validated. One loader (tide_mf_scorer_open, registered for
 * "tide-model" dirs in src/models/open.c) maps a model directory and checks every shape once, so
 * the kernels can trust them; tide_mf_scorer_from_model scores an in-memory model the same way
 * (tide-train-mf --valid). */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"
#include "tide/manifest.h"
#include "tide/npy.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"
#include "mf-internal.h"

typedef enum { K_FACTORS, K_EASE, K_KNN, K_POP } mkind;

typedef struct mfs {
    mkind k;
    tide_mf_params params;       /* decay, alpha, regularization, fold_in, decay_preference */
    int64_t n_users, n_items, dim;
    const float *U, *Y, *bias, *B;
    const int64_t *nb_indptr;
    const int32_t *nb_items;
    const float *nb_sims;
    const float *pop;
    int32_t *pop_order;          /* owned: items by popularity (the engine's walk, sorted once) */
    tide_pop_context *pc;        /* owned */
    int can_fold_in, fold_all;
    cJSON *manifest;             /* owned (opened from a dir) */
    tide_npy arrays[6];          /* owned maps */
    /* The fold-in Gram matrix YᵀY + λI, computed on first need and kept for the scorer's life
     * (tide-serve folds in one user per request). */
    pthread_mutex_t lock;
    float *yty;
    tide_status yty_st;
    int yty_done;
} mfs;

typedef struct mrun {
    tide_scorer_cols cols;
    const float *Y, *bias;       /* item rows in column space */
    float *owned_Y, *owned_bias;
    int host;
    tide_buffer Ydev;            /* non-host backends: Y on the device */
} mrun;

typedef struct mblk {
    tide_backend *be;
    int max, rows;
    float *U;                    /* factors: [max, dim] prepared user rows */
    tide_buffer Ud, Sd;
    int64_t S_floats;
    const tide_user_view **rv;   /* the views of the prepared rows */
    int64_t *hoff;               /* row q's history weights: hw[hoff[q] .. hoff[q+1]) */
    float *hw, *hp;              /* weights (decayed), fold-in preferences (decay factors) */
    size_t hcap;
    int64_t *t;                  /* contextual popularity: each row's time */
    float *row;                  /* contextual popularity: every item's score */
} mblk;

/* ---- model state --------------------------------------------------------------------------- */

static tide_status gram(mfs *m, const float **out) {
    pthread_mutex_lock(&m->lock);
    if (!m->yty_done) {
        m->yty_done = 1;
        if (m->dim > INT32_MAX || m->n_items > INT32_MAX) {
            m->yty_st = tide_error(TIDE_ERR_USAGE, "fold-in: factor matrix too large for BLAS");
        } else if (!(m->yty = tide_malloc((size_t)(m->dim * m->dim) * sizeof *m->yty))) {
            m->yty_st = TIDE_ERR_NOMEM;
        } else {
            m->yty_st = tide_als_gram(m->Y, m->n_items, (int)m->dim, m->params.regularization, m->yty);
        }
    }
    tide_status st = m->yty_st;
    pthread_mutex_unlock(&m->lock);
    if (st) return tide_error(st, "fold-in: could not form the Gram matrix of the item factors");
    *out = m->yty;
    return TIDE_OK;
}

static uint8_t user_by(const mfs *m, const tide_user_view *v) {
    switch (m->k) {
    case K_FACTORS: {
        if (v->no_history) return TIDE_BY_MODEL;
        if (m->fold_all) return v->n > 0 ? TIDE_BY_MODEL : TIDE_BY_POPULARITY;
        int64_t u = v->user;
        if (u < 0 || u >= m->n_users) return m->can_fold_in && v->n > 0 ? TIDE_BY_FOLD_IN : TIDE_BY_POPULARITY;
        const float *x = m->U + (size_t)u * (size_t)m->dim;
        for (int64_t d = 0; d < m->dim; d++)
            if (x[d] != 0) return TIDE_BY_MODEL;
        /* An all-zero factor scores every item 0: the user had no training events. */
        return m->can_fold_in && v->n > 0 ? TIDE_BY_FOLD_IN : TIDE_BY_POPULARITY;
    }
    case K_EASE:
    case K_KNN:
        return v->n > 0 ? TIDE_BY_MODEL : TIDE_BY_POPULARITY;
    case K_POP:
        return TIDE_BY_MODEL;
    }
    return TIDE_BY_MODEL;
}

/* ---- the interface -------------------------------------------------------------------------- */

static tide_status s_bind(const tide_scorer *s, const tide_scorer_cols *cols, tide_backend *be, void **out) {
    const mfs *m = s->impl;
    mrun *r = tide_calloc(1, sizeof *r);
    if (!r) return TIDE_ERR_NOMEM;
    *out = r;
    r->cols = *cols;
    r->host = !be || tide_backend_is_host(be);
    if (m->k != K_FACTORS) return TIDE_OK;
    size_t d = (size_t)m->dim;
    r->Y = m->Y;
    r->bias = m->bias;
    if (cols->items) {
        /* Gather the allowed items' rows once so the sgemm runs on a dense matrix. */
        if (!(r->owned_Y = tide_malloc((size_t)cols->n * d * sizeof(float) + 1))) return TIDE_ERR_NOMEM;
        for (int64_t q = 0; q < cols->n; q++)
            memcpy(r->owned_Y + (size_t)q * d, m->Y + (size_t)cols->items[q] * d, d * sizeof(float));
        r->Y = r->owned_Y;
        if (m->bias) {
            if (!(r->owned_bias = tide_malloc((size_t)cols->n * sizeof(float) + 1))) return TIDE_ERR_NOMEM;
            for (int64_t q = 0; q < cols->n; q++) r->owned_bias[q] = m->bias[cols->items[q]];
            r->bias = r->owned_bias;
        }
    }
    if (!r->host) {
        size_t bytes = (size_t)cols->n * d * sizeof(float);
        tide_status st;
        if ((st = tide_buffer_alloc(be, bytes, &r->Ydev))) return st;
        if ((st = tide_buffer_upload(&r->Ydev, 0, r->Y, bytes))) return st;
    }
    return TIDE_OK;
}

static void s_unbind(const tide_scorer *s, void *run) {
    (void)s;
    mrun *r = run;
    if (!r) return;
    free(r->owned_Y);
    free(r->owned_bias);
    if (r->Ydev.ptr) tide_buffer_free(&r->Ydev);
    free(r);
}

static void s_block_free(const tide_scorer *s, void *run, void *blk) {
    (void)s;
    (void)run;
    mblk *b = blk;
    if (!b) return;
    free(b->U);
    if (b->Ud.ptr) tide_buffer_free(&b->Ud);
    if (b->Sd.ptr) tide_buffer_free(&b->Sd);
    free(b->rv);
    free(b->hoff);
    free(b->hw);
    free(b->hp);
    free(b->t);
    free(b->row);
    free(b);
}

static tide_status s_block_alloc(const tide_scorer *s, void *run, int max_users, tide_backend *be, void **out) {
    const mfs *m = s->impl;
    const mrun *r = run;
    mblk *b = tide_calloc(1, sizeof *b);
    if (!b) return TIDE_ERR_NOMEM;
    *out = b;
    b->be = be;
    b->max = max_users;
    size_t ub = (size_t)max_users;
    b->rv = tide_calloc(ub, sizeof *b->rv);
    b->hoff = tide_calloc(ub + 1, sizeof *b->hoff);
    b->t = tide_calloc(ub, sizeof *b->t);
    if (!b->rv || !b->hoff || !b->t) return TIDE_ERR_NOMEM;
    if (m->k == K_FACTORS) {
        size_t ubytes = (ub * (size_t)m->dim * sizeof(float) + 63) / 64 * 64;
        b->U = aligned_alloc(64, ubytes);
        if (!b->U) return tide_error(TIDE_ERR_NOMEM, "out of memory for a user block");
        if (!r->host) {
            /* The engine's tile: at most max_users × its item block (bounded by the columns). */
            b->S_floats = (int64_t)ub * r->cols.n;
            tide_status st;
            if ((st = tide_buffer_alloc(be, ub * (size_t)m->dim * sizeof(float), &b->Ud))) return st;
            if ((st = tide_buffer_alloc(be, (size_t)b->S_floats * sizeof(float), &b->Sd))) return st;
        }
    }
    if (m->pc && !(b->row = tide_malloc((size_t)m->n_items * sizeof *b->row + 1))) return TIDE_ERR_NOMEM;
    return TIDE_OK;
}

/* Row q's history weights: the view's weights times the model's decay (and, for a fading
 * fold-in preference, the decay factor alone), as tide_mf_weights / tide_mf_decay_factors
 * compute them for training. */
static tide_status row_weights(const mfs *m, mblk *b, int q, const tide_user_view *v, int want_pref) {
    int64_t o = b->hoff[q], n = v->n;
    if ((size_t)(o + n) > b->hcap) {
        size_t cap = (size_t)(o + n) * 2 + 64;
        float *w = tide_realloc(b->hw, cap * sizeof *w), *p;
        if (!w) return TIDE_ERR_NOMEM;
        b->hw = w;
        if (!(p = tide_realloc(b->hp, cap * sizeof *p))) return TIDE_ERR_NOMEM;
        b->hp = p;
        b->hcap = cap;
    }
    const tide_decay *d = &m->params.decay;
    float *hw = b->hw + o, *hp = b->hp + o;
    if (d->half_life > 0 && v->times) {
        int64_t latest = v->as_of;
        if (d->as_of_mode == TIDE_ASOF_LATEST && latest == INT64_MIN)
            latest = tide_decay_ref(&(tide_decay){d->half_life, TIDE_ASOF_USER, 0}, v->times, n, 0);
        int64_t ref = tide_decay_ref(d, v->times, n, latest);
        for (int64_t e = 0; e < n; e++) {
            float w = v->weights ? v->weights[e] : 1.0f;
            if (!isfinite(w) || w < 0)
                return tide_error(TIDE_ERR_DATA, "user %lld: event %lld (item %d) has weight %g (weights must be finite and >= 0)",
                                  (long long)v->user, (long long)e, v->items[e], (double)w);
            double f = tide_decay_factor(d, v->times[e], ref);
            hw[e] = (float)(w * f);
            if (want_pref) hp[e] = (float)f;
        }
    } else {
        for (int64_t e = 0; e < n; e++) hw[e] = v->weights ? v->weights[e] : 1.0f;
    }
    b->hoff[q + 1] = o + n;
    return TIDE_OK;
}

static tide_status s_prepare(const tide_scorer *s, void *run, void *blk, const tide_user_view *users, int n, uint8_t *by) {
    mfs *m = s->impl;
    const mrun *r = run;
    mblk *b = blk;
    tide_status st = TIDE_OK;
    int rows = 0;
    b->hoff[0] = 0;
    int decayed = m->params.decay.half_life > 0;
    for (int i = 0; i < n; i++) {
        const tide_user_view *v = &users[i];
        by[i] = user_by(m, v);
        if (by[i] == TIDE_BY_POPULARITY) continue;
        int q = rows++;
        b->rv[q] = v;
        b->hoff[q + 1] = b->hoff[q];
        switch (m->k) {
        case K_FACTORS: {
            float *dst = b->U + (size_t)q * (size_t)m->dim;
            if (by[i] == TIDE_BY_MODEL && !m->fold_all) {
                memcpy(dst, m->U + (size_t)v->user * (size_t)m->dim, (size_t)m->dim * sizeof *dst);
                break;
            }
            int pref = decayed && m->params.decay_preference;
            if ((st = row_weights(m, b, q, v, pref))) return st;
            const float *yty = NULL;
            if ((st = gram(m, &yty))) return st;
            int64_t o = b->hoff[q];
            /* The weights carry the decay already (times NULL: no second decay). */
            if ((st = tide_mf_fold_in_pref(&m->params, m->Y, m->n_items, (int)m->dim, yty, v->items, b->hw + o,
                                           pref ? b->hp + o : NULL, NULL, v->n, dst)))
                return st;
            break;
        }
        case K_EASE:
        case K_KNN:
            if ((st = row_weights(m, b, q, v, 0))) return st;
            break;
        case K_POP:
            if (m->pc) {
                /* The user's latest event; without events, the model's latest. */
                int64_t t = m->pc->latest;
                if (v->n > 0 && v->times) {
                    t = INT64_MIN;
                    for (int64_t e = 0; e < v->n; e++)
                        if (v->times[e] > t) t = v->times[e];
                }
                b->t[q] = t;
            }
            break;
        }
    }
    b->rows = rows;
    if (m->k == K_FACTORS && rows && !r->host &&
        (st = tide_buffer_upload(&b->Ud, 0, b->U, (size_t)rows * (size_t)m->dim * sizeof(float))))
        return st;
    return TIDE_OK;
}

static tide_status score_factors(const mfs *m, const mrun *r, mblk *b, int nr, int64_t c0, int64_t w, float *tile) {
    int64_t d = m->dim;
    tide_status st;
    tide_buffer bU, bY, bS;
    if (r->host && nr == 1) {
        /* One row (tide-serve's requests): the fixed-order kernel the quantised index re-scores
         * with (row_query), so the index's answer equals this scan's; OpenBLAS's small-matrix
         * sgemm for 1 × w × d was the whole cost of a request (66 ms at 100k × 384). */
        tide_qscan_dot(b->U, r->Y + (size_t)c0 * (size_t)d, w, d, tile);
        if (r->bias)
            for (int64_t j = 0; j < w; j++) tile[j] += r->bias[c0 + j];
        return TIDE_OK;
    }
    if (r->host) {
        if ((st = tide_buffer_wrap_host(b->be, b->U, (size_t)nr * (size_t)d * sizeof(float), &bU))) return st;
        if ((st = tide_buffer_wrap_host(b->be, (void *)r->Y, (size_t)r->cols.n * (size_t)d * sizeof(float), &bY))) return st;
        if ((st = tide_buffer_wrap_host(b->be, tile, (size_t)nr * (size_t)w * sizeof(float), &bS))) return st;
    } else {
        bU = b->Ud;
        bY = r->Ydev;
        bS = b->Sd;
    }
    if ((st = tide_backend_sgemm(b->be, 0, 1, nr, w, d, 1.0f, &bU, 0, d, &bY, (size_t)c0 * (size_t)d, d, 0.0f, &bS, 0, w)))
        return st;
    if (!r->host && (st = tide_buffer_download(&b->Sd, 0, tile, (size_t)nr * (size_t)w * sizeof(float)))) return st;
    if (r->bias)
        for (int q = 0; q < nr; q++) {
            float *t = tile + (size_t)q * (size_t)w;
            for (int64_t j = 0; j < w; j++) t[j] += r->bias[c0 + j];
        }
    return TIDE_OK;
}

static tide_status s_score(const tide_scorer *s, void *run, void *blk, int r0, int nr, int64_t c0, int64_t w, float *tile) {
    const mfs *m = s->impl;
    const mrun *r = run;
    mblk *b = blk;
    const int32_t *cand = r->cols.items;
    switch (m->k) {
    case K_FACTORS:
        if (r0 != 0) return tide_error(TIDE_ERR_INTERNAL, "factor scorer: rows must start at 0");
        return score_factors(m, r, b, nr, c0, w, tile);
    case K_EASE:
        for (int q = r0; q < r0 + nr; q++) {
            float *t = tile + (size_t)(q - r0) * (size_t)w;
            const tide_user_view *v = b->rv[q];
            const float *hw = b->hw + b->hoff[q];
            memset(t, 0, (size_t)w * sizeof *t);
            /* x_u B restricted to the block: one axpy of a B row slice per history event (repeated
             * items add up, which is x_u's weight sum). */
            for (int64_t e = 0; e < v->n; e++) {
                float wt = hw[e];
                const float *brow = m->B + (size_t)v->items[e] * (size_t)m->n_items;
                if (cand) {
                    const int32_t *cc = cand + c0;
                    for (int64_t j = 0; j < w; j++) t[j] += wt * brow[cc[j]];
                } else {
                    const float *bb = brow + c0;
                    for (int64_t j = 0; j < w; j++) t[j] += wt * bb[j];
                }
            }
        }
        return TIDE_OK;
    case K_KNN:
        for (int q = r0; q < r0 + nr; q++) {
            float *t = tile + (size_t)(q - r0) * (size_t)w;
            const tide_user_view *v = b->rv[q];
            const float *hw = b->hw + b->hoff[q];
            const int32_t *local_of = r->cols.col_of;
            memset(t, 0, (size_t)w * sizeof *t);
            for (int64_t e = 0; e < v->n; e++) {
                float wt = hw[e];
                int32_t i = v->items[e];
                for (int64_t p = m->nb_indptr[i]; p < m->nb_indptr[i + 1]; p++) {
                    int32_t col = local_of ? local_of[m->nb_items[p]] : m->nb_items[p];
                    if (col >= 0) t[col - c0] += wt * m->nb_sims[p];
                }
            }
        }
        return TIDE_OK;
    case K_POP:
        for (int q = r0; q < r0 + nr; q++) {
            float *t = tile + (size_t)(q - r0) * (size_t)w;
            tide_pop_context_score(m->pc, b->t[q], b->row);
            if (cand)
                for (int64_t j = 0; j < w; j++) t[j] = b->row[cand[c0 + j]];
            else memcpy(t, b->row + c0, (size_t)w * sizeof *t);
        }
        return TIDE_OK;
    }
    return TIDE_OK;
}

static void s_destroy(tide_scorer *s) {
    mfs *m = s->impl;
    if (!m) return;
    for (size_t i = 0; i < sizeof m->arrays / sizeof m->arrays[0]; i++) tide_npy_free(&m->arrays[i]);
    if (m->manifest) cJSON_Delete(m->manifest);
    if (m->pc) {
        tide_pop_context_free(m->pc);
        free(m->pc);
    }
    free(m->yty);
    free(m->pop_order);
    pthread_mutex_destroy(&m->lock);
    free(m);
    s->impl = NULL;
}

static int s_row_query(const tide_scorer *s, void *run, void *blk, int row, const float **q, const float **bias) {
    const mfs *m = s->impl;
    const mrun *r = run;
    const mblk *b = blk;
    if (m->k != K_FACTORS || !r->host || row < 0 || row >= b->rows) return 0;
    *q = b->U + (size_t)row * (size_t)m->dim;
    *bias = r->bias;
    return 1;
}

static const tide_scorer_iface mf_iface = {
    TIDE_SCORER_VERSION, s_bind, s_unbind, s_block_alloc, s_block_free, s_prepare, s_score, s_destroy, s_row_query, NULL,
};

/* A scorer around a filled-in mfs (taken over, also on failure). */
static tide_status wrap(mfs *m, const char *algorithm, tide_scorer **out) {
    tide_scorer *s = tide_calloc(1, sizeof *s);
    if (!s) {
        tide_scorer tmp = {&mf_iface, {0}, m};
        s_destroy(&tmp);
        return TIDE_ERR_NOMEM;
    }
    s->iface = &mf_iface;
    s->impl = m;
    tide_scorer_info *in = &s->info;
    in->family = "mf";
    snprintf(in->algorithm, sizeof in->algorithm, "%s", algorithm);
    in->n_items = m->n_items;
    in->n_users = m->k == K_FACTORS ? m->n_users : 0;
    in->manifest = m->manifest;
    switch (m->k) {
    case K_FACTORS:
        in->flags = TIDE_SCORER_USES_BACKEND | (m->fold_all ? TIDE_SCORER_NEEDS_HISTORY : 0);
        in->item_vectors = m->Y;
        in->item_dim = m->dim;
        break;
    case K_EASE:
        in->flags = TIDE_SCORER_NEEDS_HISTORY;
        break;
    case K_KNN:
        in->flags = TIDE_SCORER_NEEDS_HISTORY | TIDE_SCORER_WHOLE_ROWS;
        break;
    case K_POP:
        in->flags = TIDE_SCORER_NEEDS_HISTORY | (m->pc ? TIDE_SCORER_WHOLE_ROWS : 0);
        in->popularity = m->pop;
        in->item_scores = m->pc ? NULL : m->pop;
        /* Sorted once per scorer, not per run (tide-serve asks for one user at a time). */
        if (tide_retrieval_popularity_order(m->pop, m->n_items, &m->pop_order)) {
            tide_scorer_free(s);
            *out = NULL;
            return TIDE_ERR_NOMEM;
        }
        in->popularity_order = m->pop_order;
        in->item_order = m->pc ? NULL : m->pop_order;
        break;
    }
    *out = s;
    return TIDE_OK;
}

static mfs *mfs_new(void) {
    mfs *m = tide_calloc(1, sizeof *m);
    if (m) pthread_mutex_init(&m->lock, NULL);
    return m;
}

tide_status tide_mf_scorer_vectors(const float *user_vectors, int64_t n_users, const float *item_vectors, int64_t n_items,
                                   int64_t dim, tide_scorer **out) {
    mfs *m = mfs_new();
    if (!m) return TIDE_ERR_NOMEM;
    m->k = K_FACTORS;
    m->n_users = n_users;
    m->n_items = n_items;
    m->dim = dim;
    m->U = user_vectors;
    m->Y = item_vectors;
    tide_status st = wrap(m, "vectors", out);
    if (!st) {
        (*out)->info.dataset_users = n_users;
        (*out)->info.dataset_items = n_items;
    }
    return st;
}

tide_status tide_mf_scorer_from_model(const tide_mf_model *mm, tide_scorer **out) {
    mfs *m = mfs_new();
    if (!m) return TIDE_ERR_NOMEM;
    tide_status st = TIDE_OK;
    m->params = mm->params;
    m->n_users = mm->n_users;
    m->n_items = mm->n_items;
    switch (mm->algo) {
    case TIDE_MF_ALS:
    case TIDE_MF_BPR:
        m->k = K_FACTORS;
        m->dim = mm->factors;
        m->U = mm->user_factors;
        m->Y = mm->item_factors;
        m->bias = mm->item_bias;
        /* A trained ALS model always has its objective's constants. */
        m->can_fold_in = mm->algo == TIDE_MF_ALS;
        m->fold_all = mm->algo == TIDE_MF_ALS && mm->params.fold_in;
        break;
    case TIDE_MF_EASE:
        m->k = K_EASE;
        m->B = mm->item_matrix;
        break;
    case TIDE_MF_ITEMKNN:
        m->k = K_KNN;
        m->nb_indptr = mm->nb_indptr;
        m->nb_items = mm->nb_items;
        m->nb_sims = mm->nb_sims;
        break;
    case TIDE_MF_POP:
        m->k = K_POP;
        m->pop = mm->popularity;
        if (mm->ev_indptr) {
            if (!(m->pc = tide_calloc(1, sizeof *m->pc))) st = TIDE_ERR_NOMEM;
            else if ((st = tide_pop_context_init(m->pc, mm->n_items, mm->params.decay.half_life, mm->params.kernel,
                                                 mm->ev_indptr, mm->ev_times, mm->ev_weights, "contextual popularity"))) {
                free(m->pc);
                m->pc = NULL;
            }
        }
        break;
    }
    if (st) {
        tide_scorer tmp = {&mf_iface, {0}, m};
        s_destroy(&tmp);
        return st;
    }
    if ((st = wrap(m, tide_mf_algo_name(mm->algo), out))) return st;
    tide_scorer_info *in = &(*out)->info;
    snprintf(in->dataset_checksum, sizeof in->dataset_checksum, "%s", mm->dataset_checksum);
    in->dataset_users = mm->n_users;
    in->dataset_items = mm->n_items;
    return TIDE_OK;
}

/* ---- the model directory ----------------------------------------------------------------------- */

/* Load the array `name` into a and check dtype and ndim: the file the manifest's "arrays" names
 * for it (contained in the directory: tide/manifest.h), or NAME.npy. */
static tide_status load_array(const char *mpath, const cJSON *man, const char *dir, const char *name, tide_dtype dt,
                              int ndim, tide_npy *a) {
    char *path = NULL;
    tide_status st = tide_manifest_array_path(mpath, dir, man, name, &path);
    if (st) return st;
    if (!tide_path_exists(path)) st = tide_error(TIDE_ERR_DATA, "%s: missing (the model's algorithm needs it)", path);
    else st = tide_npy_load_expect(path, dt, ndim, a);
    free(path);
    return st;
}

/* f32 array must be finite: a NaN factor would silently poison every score of its row. */
static tide_status check_finite(const char *dir, const char *name, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return tide_error(TIDE_ERR_DATA, "%s/%s: element %zu is not finite (%g)", dir, name, i, (double)x[i]);
    return TIDE_OK;
}

/* Contextual popularity: event_indptr/event_times/event_weights.npy (tide_pop_events), checked by
 * tide_pop_context_init. */
static tide_status load_pop_context(const char *dir, const char *mpath, mfs *m) {
    tide_npy *a = m->arrays;
    tide_status st;
    if (!(m->params.decay.half_life > 0))
        return tide_error(TIDE_ERR_DATA, "%s: contextual popularity (event arrays) needs params \"half-life\" > 0", mpath);
    if ((st = load_array(mpath, m->manifest, dir, "event_indptr", TIDE_DTYPE_I64, 1, &a[1])) ||
        (st = load_array(mpath, m->manifest, dir, "event_times", TIDE_DTYPE_I64, 1, &a[2])) ||
        (st = load_array(mpath, m->manifest, dir, "event_weights", TIDE_DTYPE_F32, 1, &a[3])))
        return st;
    const int64_t *ip = a[1].data;
    if (a[1].shape[0] != m->n_items + 1 || ip[m->n_items] != a[2].shape[0] || a[2].shape[0] != a[3].shape[0])
        return tide_error(TIDE_ERR_DATA, "%s: event_indptr.npy must have items+1 = %lld entries ending at the length of "
                          "event_times.npy and event_weights.npy (%lld, %lld)", dir, (long long)m->n_items + 1,
                          (long long)a[2].shape[0], (long long)a[3].shape[0]);
    if (!(m->pc = tide_calloc(1, sizeof *m->pc))) return TIDE_ERR_NOMEM;
    char what[600];
    snprintf(what, sizeof what, "%s/event_*.npy", dir);
    if ((st = tide_pop_context_init(m->pc, m->n_items, m->params.decay.half_life, m->params.kernel, ip, a[2].data,
                                    a[3].data, what))) {
        free(m->pc);
        m->pc = NULL;
    }
    return st;
}

static tide_status open_arrays(const char *dir, const char *mpath, const char *kind, const cJSON *params, mfs *m,
                               int64_t dataset_users) {
    tide_npy *a = m->arrays;
    tide_status st;
    if (strcmp(kind, "als") == 0 || strcmp(kind, "bpr") == 0) {
        m->k = K_FACTORS;
        if ((st = load_array(mpath, m->manifest, dir, "user_factors", TIDE_DTYPE_F32, 2, &a[0]))) return st;
        if ((st = load_array(mpath, m->manifest, dir, "item_factors", TIDE_DTYPE_F32, 2, &a[1]))) return st;
        if (a[0].shape[1] != a[1].shape[1])
            return tide_error(TIDE_ERR_DATA, "%s: user_factors.npy has %lld factors but item_factors.npy has %lld", dir,
                              (long long)a[0].shape[1], (long long)a[1].shape[1]);
        if (a[0].shape[1] < 1) return tide_error(TIDE_ERR_DATA, "%s: factor matrices have no columns", dir);
        if (a[0].shape[0] != dataset_users || a[1].shape[0] != m->n_items)
            return tide_error(TIDE_ERR_DATA, "%s: factors are [%lld users, %lld items] but the manifest's dataset has %lld users, %lld items",
                              dir, (long long)a[0].shape[0], (long long)a[1].shape[0], (long long)dataset_users,
                              (long long)m->n_items);
        m->n_users = a[0].shape[0];
        m->dim = a[0].shape[1];
        m->U = a[0].data;
        m->Y = a[1].data;
        if ((st = check_finite(dir, "user_factors.npy", m->U, a[0].count))) return st;
        if ((st = check_finite(dir, "item_factors.npy", m->Y, a[1].count))) return st;
        char *bias = NULL;
        if ((st = tide_manifest_array_path(mpath, dir, m->manifest, "item_bias", &bias))) return st;
        int has_bias = tide_path_exists(bias);
        free(bias);
        if (has_bias) {
            if ((st = load_array(mpath, m->manifest, dir, "item_bias", TIDE_DTYPE_F32, 1, &a[2]))) return st;
            if (a[2].shape[0] != m->n_items)
                return tide_error(TIDE_ERR_DATA, "%s/item_bias.npy: %lld entries for %lld items", dir, (long long)a[2].shape[0],
                                  (long long)m->n_items);
            m->bias = a[2].data;
            if ((st = check_finite(dir, "item_bias.npy", m->bias, a[2].count))) return st;
        }
        if (strcmp(kind, "als") == 0) {
            /* Fold-in needs the training objective's constants; without them it would be a guess. */
            const cJSON *fa = cJSON_GetObjectItemCaseSensitive(params, "alpha");
            const cJSON *fr = cJSON_GetObjectItemCaseSensitive(params, "regularization");
            m->can_fold_in = cJSON_IsNumber(fa) && cJSON_IsNumber(fr) && m->params.alpha >= 0 && m->params.regularization >= 0;
            if (m->params.fold_in && !m->can_fold_in)
                return tide_error(TIDE_ERR_DATA, "%s: params \"fold-in\" is true but \"alpha\"/\"regularization\" are missing or negative", mpath);
            m->fold_all = m->params.fold_in;
        }
    } else if (strcmp(kind, "ease") == 0) {
        m->k = K_EASE;
        if ((st = load_array(mpath, m->manifest, dir, "item_matrix", TIDE_DTYPE_F32, 2, &a[0]))) return st;
        if (a[0].shape[0] != m->n_items || a[0].shape[1] != m->n_items)
            return tide_error(TIDE_ERR_DATA, "%s/item_matrix.npy: shape [%lld, %lld], expected [%lld, %lld] (the dataset's items)", dir,
                              (long long)a[0].shape[0], (long long)a[0].shape[1], (long long)m->n_items, (long long)m->n_items);
        m->B = a[0].data;
    } else if (strcmp(kind, "itemknn") == 0) {
        m->k = K_KNN;
        if ((st = load_array(mpath, m->manifest, dir, "neighbors_indptr", TIDE_DTYPE_I64, 1, &a[0]))) return st;
        if ((st = load_array(mpath, m->manifest, dir, "neighbors", TIDE_DTYPE_I32, 1, &a[1]))) return st;
        if ((st = load_array(mpath, m->manifest, dir, "similarities", TIDE_DTYPE_F32, 1, &a[2]))) return st;
        if (a[0].shape[0] != m->n_items + 1)
            return tide_error(TIDE_ERR_DATA, "%s/neighbors_indptr.npy: %lld entries, expected items+1 = %lld", dir,
                              (long long)a[0].shape[0], (long long)m->n_items + 1);
        if (a[1].shape[0] != a[2].shape[0])
            return tide_error(TIDE_ERR_DATA, "%s: neighbors.npy has %lld entries but similarities.npy %lld", dir,
                              (long long)a[1].shape[0], (long long)a[2].shape[0]);
        const int64_t *ip = a[0].data;
        const int32_t *nb = a[1].data;
        if (ip[0] != 0 || ip[m->n_items] != a[1].shape[0])
            return tide_error(TIDE_ERR_DATA, "%s/neighbors_indptr.npy: must start at 0 and end at %lld", dir, (long long)a[1].shape[0]);
        for (int64_t i = 0; i < m->n_items; i++)
            if (ip[i + 1] < ip[i])
                return tide_error(TIDE_ERR_DATA, "%s/neighbors_indptr.npy: decreases at entry %lld", dir, (long long)i + 1);
        for (int64_t e = 0; e < a[1].shape[0]; e++)
            if (nb[e] < 0 || nb[e] >= m->n_items)
                return tide_error(TIDE_ERR_DATA, "%s/neighbors.npy: entry %lld is item %d, outside [0, %lld)", dir, (long long)e,
                                  nb[e], (long long)m->n_items);
        m->nb_indptr = ip;
        m->nb_items = nb;
        m->nb_sims = a[2].data;
        if ((st = check_finite(dir, "similarities.npy", m->nb_sims, a[2].count))) return st;
    } else if (strcmp(kind, "pop") == 0) {
        m->k = K_POP;
        if ((st = load_array(mpath, m->manifest, dir, "popularity", TIDE_DTYPE_F32, 1, &a[0]))) return st;
        if (a[0].shape[0] != m->n_items)
            return tide_error(TIDE_ERR_DATA, "%s/popularity.npy: %lld entries for %lld items", dir, (long long)a[0].shape[0],
                              (long long)m->n_items);
        m->pop = a[0].data;
        if ((st = check_finite(dir, "popularity.npy", m->pop, a[0].count))) return st;
        if (cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m->manifest, "arrays"), "event_indptr") &&
            (st = load_pop_context(dir, mpath, m)))
            return st;
    } else {
        return tide_error(TIDE_ERR_DATA, "%s: unsupported model kind: algorithm '%s' (tide-recommend scores als, bpr, ease, itemknn, pop)",
                          mpath, kind);
    }
    return TIDE_OK;
}

tide_status tide_mf_scorer_open(const char *dir, const char *mpath, void *manifest, tide_scorer **out) {
    *out = NULL;
    mfs *m = mfs_new();
    if (!m) {
        cJSON_Delete(manifest);
        return TIDE_ERR_NOMEM;
    }
    m->manifest = manifest;
    tide_status st = TIDE_OK;
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(m->manifest, "algorithm");
    const char *kind = cJSON_IsString(alg) ? alg->valuestring : NULL;
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(m->manifest, "format_version");
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(m->manifest, "dataset");
    const cJSON *ck = cJSON_GetObjectItemCaseSensitive(ds, "checksum");
    const cJSON *dp = cJSON_GetObjectItemCaseSensitive(ds, "path");
    const cJSON *params = NULL, *dobj = NULL;
    tide_mf_algo algo;
    int64_t n_users = -1, n_items = -1;
    /* Every key read is typed and every file named stays in the directory (tide/manifest.h):
     * a manifest is untrusted input, and tide-serve loads the same directories. */
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1) {
        st = tide_error(TIDE_ERR_DATA, "%s: unsupported format_version (expected 1)", mpath);
    } else if (!kind) {
        st = tide_error(TIDE_ERR_DATA, "%s: no \"algorithm\"", mpath);
    } else if ((st = tide_manifest_object(mpath, m->manifest, NULL, "params", 0, &params, NULL)) ||
               (st = tide_manifest_object(mpath, m->manifest, NULL, "dataset", 0, &dobj, NULL)) ||
               (st = tide_manifest_int(mpath, dobj, "dataset", "users", 0, INT64_MAX / 2, &n_users, NULL)) ||
               (st = tide_manifest_int(mpath, dobj, "dataset", "items", 1, INT32_MAX, &n_items, NULL)) ||
               (st = tide_manifest_check_arrays(mpath, dir, m->manifest))) {
        /* reported */
    } else if (dp && !cJSON_IsString(dp)) {
        st = tide_error(TIDE_ERR_DATA, "%s: \"dataset.path\" must be a string", mpath);
    } else if (!cJSON_IsString(ck) || n_users < 0 || n_items < 1) {
        st = tide_error(TIDE_ERR_DATA, "%s: \"dataset\" must give checksum, users and items", mpath);
    } else {
        m->n_items = n_items;
        m->params = tide_mf_params_default(tide_mf_algo_parse(kind, &algo) == TIDE_OK ? algo : TIDE_MF_ALS);
        if (!(st = tide_mf_params_from_json(params, &m->params, mpath)))
            st = open_arrays(dir, mpath, kind, params, m, n_users);
    }
    if (st) {
        tide_scorer tmp = {&mf_iface, {0}, m};
        s_destroy(&tmp);
        return st;
    }
    if ((st = wrap(m, kind, out))) return st;
    tide_scorer_info *in = &(*out)->info;
    snprintf(in->dataset_checksum, sizeof in->dataset_checksum, "%s", ck->valuestring);
    snprintf(in->dataset_path, sizeof in->dataset_path, "%s", cJSON_IsString(dp) ? dp->valuestring : "");
    in->dataset_users = n_users;
    in->dataset_items = m->n_items;
    return TIDE_OK;
}
