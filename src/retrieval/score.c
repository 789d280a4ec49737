/* score.c — the retrieval driver: users in blocks, items in blocks, the best K per user.
 *
 * For a block of users (default 512) and a block of item columns (default 1024) the scorer fills
 * a [users × columns] score tile small enough to stay in L2, masks the tile's excluded entries to
 * -INFINITY by walking each user's sorted exclusion list, and feeds every row into that user's
 * running top-K heap (topk.c) while the tile is still in cache; then the next item block
 * overwrites the same tile. Memory is O(user_block × item_block + user_block × K) per thread,
 * never users × items.
 *
 *   factors  tile = U_block · Y_blockᵀ by one sgemm through the backend (+ item bias)
 *   ease     tile = X_block · B[:, block] as a sparse-dense product (Σ over history events)
 *   itemknn  a full row per user: Σ over history events of the neighbour similarities
 *   pop      walk the columns in popularity order, skipping excluded ones; contextual
 *            popularity (pop --as-of user): a full row per user at the user's latest event
 *
 * Threads take whole user blocks (OpenMP, dynamic schedule); each block writes its results by
 * position, and the block layout depends only on the user list and block size, never on the
 * thread count, so any thread count (and any shard whose range starts on a block boundary, see
 * tide-recommend) produces the same bytes. Batches of blocks are handed to the sink in order.
 *
 * Users "not in the model" — a factor model's users past its user count (new users in a newer
 * dataset), users whose factor is all zeros (no training events) and history models' users with
 * no events — are folded in from their events when the model allows it (ALS) or get popularity
 * (counted in the stats). An ALS model trained with --fold-in folds in every user with events
 * (its own rule, counted as "by model").
 *
 * History weights follow the model's time decay (manifest params "half-life"/"as-of", ease,
 * itemknn and ALS fold-in): computed once per run by tide_mf_weights over the scoring dataset,
 * the function tide-train-mf weights its data with, so a decayed model scores as it validated. */
#define _GNU_SOURCE
#include "retrieval-impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void tide_retrieval_params_default(tide_retrieval_params *p) {
    memset(p, 0, sizeof *p);
    p->k = 10;
    p->diversity = 0;
    p->pool = 0;
    p->user_block = 512;
    p->item_block = 1024;
    p->batch_users = 16384;
}

const char *tide_retrieval_params_check(const tide_retrieval_params *p) {
    if (p->k < 1) return "k must be at least 1";
    if (p->k > 100000) return "k must be at most 100000";
    if (!(p->diversity >= 0 && p->diversity <= 1)) return "diversity (MMR lambda) must be in [0, 1]";
    if (p->pool < 0 || p->pool > 1000000) return "pool must be in [0, 1000000] (0 = auto)";
    if (p->pool && p->pool < p->k) return "pool must be at least k";
    if (p->user_block < 1 || p->user_block > 65536) return "user block must be in [1, 65536]";
    if (p->item_block < 1 || p->item_block > (1 << 24)) return "item block must be in [1, 16777216]";
    if (p->batch_users < 0) return "batch size must be >= 0";
    return NULL;
}

/* Shared, read-only during the parallel part. */
typedef struct run_ctx {
    const tide_retrieval_job *job;
    const tide_retrieval_model *m;
    const tide_dataset *ds;
    int k, kk;              /* output length; selection length (MMR pool) */
    double lambda;
    int64_t C;              /* columns */
    int64_t ub, ib;
    const int32_t *cand;    /* column → item, NULL = identity */
    int32_t *local_of;      /* item → column or -1 (NULL = identity) */
    const float *Y;         /* factors: item rows in column space [C, dim] */
    const float *bias;      /* column space or NULL */
    float *owned_Y, *owned_bias;
    float *yty;             /* fold-in: YᵀY + λI */
    const float *hw;        /* history weights by event of ds (decayed, or ds->weights) */
    int fold_all;           /* ALS --fold-in: every user with events is folded in */
    float *hp;              /* fold-in preferences by event (decay_preference), else NULL */
    float *owned_hw;
    float *pop;             /* popularity in column space (NULL when never needed) */
    int32_t *pop_order;     /* columns by popularity desc, column asc */
    const float *mvec;      /* MMR vectors by item */
    int64_t mdim;
    int host;
    tide_buffer Ydev;       /* non-host backends: Y on the device */
} run_ctx;

/* Per thread. */
typedef struct scratch {
    tide_backend *be;
    int owns_be;
    float *U, *S, *row;
    float *hv;
    int32_t *hi;
    int *hn;
    int *rowmap;
    int64_t *ex_ptr, *ex_pos;
    int32_t *ex;
    size_t ex_cap;
    float *mf;
    int32_t *mi;
    tide_buffer Ud, Sd;
} scratch;

static void scratch_free(scratch *s) {
    if (!s) return;
    free(s->U);
    free(s->S);
    free(s->row);
    free(s->hv);
    free(s->hi);
    free(s->hn);
    free(s->rowmap);
    free(s->ex_ptr);
    free(s->ex_pos);
    free(s->ex);
    free(s->mf);
    free(s->mi);
    if (s->Ud.ptr) tide_buffer_free(&s->Ud);
    if (s->Sd.ptr) tide_buffer_free(&s->Sd);
    if (s->owns_be) tide_backend_free(s->be);
    memset(s, 0, sizeof *s);
}

static tide_status scratch_init(scratch *s, const run_ctx *c) {
    memset(s, 0, sizeof *s);
    const tide_retrieval_model *m = c->m;
    size_t ub = (size_t)c->ub, kk = (size_t)c->kk;
    tide_status st = TIDE_OK;
    if (c->host) {
        if ((st = tide_backend_open(TIDE_DEVICE_CPU, &s->be))) return st;
        s->owns_be = 1;
    } else {
        s->be = c->job->backend;
    }
    size_t tile = ub * (size_t)(c->ib < c->C ? c->ib : c->C);
    s->hv = tide_malloc(ub * kk * sizeof *s->hv);
    s->hi = tide_malloc(ub * kk * sizeof *s->hi);
    s->hn = tide_calloc(ub, sizeof *s->hn);
    s->rowmap = tide_malloc(ub * sizeof *s->rowmap);
    s->ex_ptr = tide_malloc((ub + 1) * sizeof *s->ex_ptr);
    s->ex_pos = tide_malloc(ub * sizeof *s->ex_pos);
    s->mf = tide_malloc(3 * kk * sizeof *s->mf + 1);
    s->mi = tide_malloc(2 * kk * sizeof *s->mi + 1);
    if (!s->hv || !s->hi || !s->hn || !s->rowmap || !s->ex_ptr || !s->ex_pos || !s->mf || !s->mi) return TIDE_ERR_NOMEM;
    if (m->kind == TIDE_RETRIEVAL_FACTORS || m->kind == TIDE_RETRIEVAL_EASE) {
        /* 64-byte aligned tiles for the BLAS kernels. */
        s->S = aligned_alloc(64, (tile * sizeof(float) + 63) / 64 * 64);
        if (!s->S) return tide_error(TIDE_ERR_NOMEM, "out of memory for a %zu-float score tile", tile);
    }
    if (m->kind == TIDE_RETRIEVAL_FACTORS) {
        size_t ubytes = (ub * (size_t)m->dim * sizeof(float) + 63) / 64 * 64;
        s->U = aligned_alloc(64, ubytes);
        if (!s->U) return tide_error(TIDE_ERR_NOMEM, "out of memory for a user block");
        if (!c->host) {
            if ((st = tide_buffer_alloc(s->be, ub * (size_t)m->dim * sizeof(float), &s->Ud))) return st;
            if ((st = tide_buffer_alloc(s->be, tile * sizeof(float), &s->Sd))) return st;
        }
    }
    if (m->kind == TIDE_RETRIEVAL_ITEMKNN || m->pop_context) {
        /* Contextual popularity scores every item, then keeps the candidate columns. */
        s->row = tide_malloc((size_t)(m->pop_context ? m->n_items : c->C) * sizeof *s->row + 1);
        if (!s->row) return TIDE_ERR_NOMEM;
    }
    return TIDE_OK;
}

static int64_t n_events(const tide_dataset *ds, int64_t u) {
    return ds && u < ds->n_users ? ds->indptr[u + 1] - ds->indptr[u] : 0;
}

static uint8_t user_by(const run_ctx *c, int64_t u) {
    const tide_retrieval_model *m = c->m;
    const tide_dataset *ds = c->ds;
    switch (m->kind) {
    case TIDE_RETRIEVAL_FACTORS: {
        if (!ds) return TIDE_RETRIEVAL_BY_MODEL;
        if (c->fold_all) return n_events(ds, u) > 0 ? TIDE_RETRIEVAL_BY_MODEL : TIDE_RETRIEVAL_BY_POPULARITY;
        if (u >= m->n_users) return m->can_fold_in && n_events(ds, u) > 0 ? TIDE_RETRIEVAL_BY_FOLD_IN : TIDE_RETRIEVAL_BY_POPULARITY;
        const float *x = m->user_factors + (size_t)u * (size_t)m->dim;
        for (int64_t d = 0; d < m->dim; d++)
            if (x[d] != 0) return TIDE_RETRIEVAL_BY_MODEL;
        /* An all-zero factor scores every item 0: the user had no training events. */
        return m->can_fold_in && n_events(ds, u) > 0 ? TIDE_RETRIEVAL_BY_FOLD_IN : TIDE_RETRIEVAL_BY_POPULARITY;
    }
    case TIDE_RETRIEVAL_EASE:
    case TIDE_RETRIEVAL_ITEMKNN:
        return n_events(ds, u) > 0 ? TIDE_RETRIEVAL_BY_MODEL : TIDE_RETRIEVAL_BY_POPULARITY;
    case TIDE_RETRIEVAL_POP:
        return TIDE_RETRIEVAL_BY_MODEL;
    }
    return TIDE_RETRIEVAL_BY_MODEL;
}

/* Mask row r's excluded columns inside [c0, c0+w) of a tile row. */
static inline void mask_row(scratch *s, int r, float *tile_row, int64_t c0, int64_t w) {
    int64_t p = s->ex_pos[r], e = s->ex_ptr[r + 1];
    while (p < e && s->ex[p] < c0 + w) {
        tile_row[s->ex[p] - c0] = -INFINITY;
        p++;
    }
    s->ex_pos[r] = p;
}

static int excluded(const scratch *s, int r, int32_t col) {
    int64_t lo = s->ex_ptr[r], hi = s->ex_ptr[r + 1];
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (s->ex[mid] < col) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->ex_ptr[r + 1] && s->ex[lo] == col;
}

static tide_status score_factors(const run_ctx *c, scratch *s, const int64_t *users, int nb, const uint8_t *by) {
    const tide_retrieval_model *m = c->m;
    int64_t d = m->dim;
    int rows = 0;
    tide_status st = TIDE_OK;
    for (int r = 0; r < nb; r++) {
        if (by[r] == TIDE_RETRIEVAL_BY_POPULARITY) continue;
        float *dst = s->U + (size_t)rows * (size_t)d;
        int64_t u = users[r];
        if (by[r] == TIDE_RETRIEVAL_BY_MODEL && !c->fold_all) {
            memcpy(dst, m->user_factors + (size_t)u * (size_t)d, (size_t)d * sizeof *dst);
        } else {
            const tide_dataset *ds = c->ds;
            int64_t a = ds->indptr[u], n = ds->indptr[u + 1] - a;
            /* The weights carry the decay already (times NULL: no second decay). */
            if ((st = tide_mf_fold_in_pref(&m->params, m->item_factors, m->n_items, (int)d, c->yty, ds->items + a,
                                           c->hw ? c->hw + a : NULL, c->hp ? c->hp + a : NULL, NULL, n, dst)))
                return st;
        }
        s->rowmap[rows++] = r;
    }
    if (!rows) return TIDE_OK;
    tide_buffer bU, bY, bS;
    if (c->host) {
        if ((st = tide_buffer_wrap_host(s->be, s->U, (size_t)rows * (size_t)d * sizeof(float), &bU))) return st;
        if ((st = tide_buffer_wrap_host(s->be, (void *)c->Y, (size_t)c->C * (size_t)d * sizeof(float), &bY))) return st;
        if ((st = tide_buffer_wrap_host(s->be, s->S, (size_t)rows * (size_t)(c->ib < c->C ? c->ib : c->C) * sizeof(float), &bS)))
            return st;
    } else {
        if ((st = tide_buffer_upload(&s->Ud, 0, s->U, (size_t)rows * (size_t)d * sizeof(float)))) return st;
        bU = s->Ud;
        bY = c->Ydev;
        bS = s->Sd;
    }
    for (int64_t c0 = 0; c0 < c->C; c0 += c->ib) {
        int64_t w = c->C - c0 < c->ib ? c->C - c0 : c->ib;
        if ((st = tide_backend_sgemm(s->be, 0, 1, rows, w, d, 1.0f, &bU, 0, d, &bY, (size_t)c0 * (size_t)d, d, 0.0f, &bS, 0, w)))
            return st;
        if (!c->host && (st = tide_buffer_download(&s->Sd, 0, s->S, (size_t)rows * (size_t)w * sizeof(float)))) return st;
        for (int q = 0; q < rows; q++) {
            int r = s->rowmap[q];
            float *t = s->S + (size_t)q * (size_t)w;
            if (c->bias)
                for (int64_t j = 0; j < w; j++) t[j] += c->bias[c0 + j];
            mask_row(s, r, t, c0, w);
            tide_topk_scan(s->hv + (size_t)r * c->kk, s->hi + (size_t)r * c->kk, &s->hn[r], c->kk, t, w, (int32_t)c0);
        }
    }
    return TIDE_OK;
}

static void score_ease(const run_ctx *c, scratch *s, const int64_t *users, int nb, const uint8_t *by) {
    const tide_retrieval_model *m = c->m;
    const tide_dataset *ds = c->ds;
    const float *B = m->item_matrix;
    int64_t n = m->n_items;
    for (int64_t c0 = 0; c0 < c->C; c0 += c->ib) {
        int64_t w = c->C - c0 < c->ib ? c->C - c0 : c->ib;
        for (int r = 0; r < nb; r++) {
            if (by[r] != TIDE_RETRIEVAL_BY_MODEL) continue;
            float *t = s->S;
            memset(t, 0, (size_t)w * sizeof *t);
            int64_t u = users[r];
            /* x_u B restricted to the block: one axpy of a B row slice per history event (repeated
             * items add up, which is x_u's weight sum). */
            for (int64_t e = ds->indptr[u]; e < ds->indptr[u + 1]; e++) {
                float wt = c->hw ? c->hw[e] : 1.0f;
                const float *brow = B + (size_t)ds->items[e] * (size_t)n;
                if (c->cand) {
                    const int32_t *cc = c->cand + c0;
                    for (int64_t j = 0; j < w; j++) t[j] += wt * brow[cc[j]];
                } else {
                    const float *bb = brow + c0;
                    for (int64_t j = 0; j < w; j++) t[j] += wt * bb[j];
                }
            }
            mask_row(s, r, t, c0, w);
            tide_topk_scan(s->hv + (size_t)r * c->kk, s->hi + (size_t)r * c->kk, &s->hn[r], c->kk, t, w, (int32_t)c0);
        }
    }
}

static void score_knn(const run_ctx *c, scratch *s, const int64_t *users, int nb, const uint8_t *by) {
    const tide_retrieval_model *m = c->m;
    const tide_dataset *ds = c->ds;
    for (int r = 0; r < nb; r++) {
        if (by[r] != TIDE_RETRIEVAL_BY_MODEL) continue;
        float *t = s->row;
        memset(t, 0, (size_t)c->C * sizeof *t);
        int64_t u = users[r];
        for (int64_t e = ds->indptr[u]; e < ds->indptr[u + 1]; e++) {
            float wt = c->hw ? c->hw[e] : 1.0f;
            int32_t i = ds->items[e];
            for (int64_t q = m->nb_indptr[i]; q < m->nb_indptr[i + 1]; q++) {
                int32_t col = c->local_of ? c->local_of[m->nb_items[q]] : m->nb_items[q];
                if (col >= 0) t[col] += wt * m->nb_sims[q];
            }
        }
        mask_row(s, r, t, 0, c->C);
        tide_topk_scan(s->hv + (size_t)r * c->kk, s->hi + (size_t)r * c->kk, &s->hn[r], c->kk, t, c->C, 0);
    }
}

/* Contextual popularity: every item at the user's latest event (no events: the model's latest). */
static void score_pop_context(const run_ctx *c, scratch *s, const int64_t *users, int nb) {
    const tide_pop_context *pc = c->m->pop_context;
    const tide_dataset *ds = c->ds;
    for (int r = 0; r < nb; r++) {
        int64_t u = users[r], t = pc->latest;
        if (n_events(ds, u) > 0) {
            t = INT64_MIN;
            for (int64_t e = ds->indptr[u]; e < ds->indptr[u + 1]; e++)
                if (ds->times[e] > t) t = ds->times[e];
        }
        float *row = s->row;
        tide_pop_context_score(pc, t, row);
        /* Candidates are sorted and unique (cand[q] >= q): compacting in place is safe. */
        if (c->cand)
            for (int64_t q = 0; q < c->C; q++) row[q] = row[c->cand[q]];
        mask_row(s, r, row, 0, c->C);
        tide_topk_scan(s->hv + (size_t)r * c->kk, s->hi + (size_t)r * c->kk, &s->hn[r], c->kk, row, c->C, 0);
    }
}

/* Popularity rows are written sorted already. */
static void score_pop_row(const run_ctx *c, scratch *s, int r) {
    float *v = s->hv + (size_t)r * c->kk;
    int32_t *ix = s->hi + (size_t)r * c->kk;
    int n = 0;
    for (int64_t t = 0; t < c->C && n < c->kk; t++) {
        int32_t col = c->pop_order[t];
        if (excluded(s, r, col)) continue;
        v[n] = c->pop[col];
        ix[n] = col;
        n++;
    }
    s->hn[r] = n;
}

/* Score one block of users into the batch's output slots. */
static tide_status process_block(const run_ctx *c, scratch *s, const int64_t *users, int nb, int32_t *out_items,
                                 float *out_scores, int32_t *out_counts, uint8_t *by) {
    const tide_retrieval_job *job = c->job;
    tide_status st = TIDE_OK;
    for (int r = 0; r < nb; r++) by[r] = user_by(c, users[r]);
    /* Exclusions of the block's users in column space (sorted, since columns follow items). */
    size_t need = 0;
    if (job->excl_indptr)
        for (int r = 0; r < nb; r++) need += (size_t)(job->excl_indptr[users[r] + 1] - job->excl_indptr[users[r]]);
    if (need > s->ex_cap) {
        int32_t *x = tide_realloc(s->ex, need * sizeof *x);
        if (!x) return TIDE_ERR_NOMEM;
        s->ex = x;
        s->ex_cap = need;
    }
    int64_t w = 0;
    for (int r = 0; r < nb; r++) {
        s->ex_ptr[r] = w;
        if (job->excl_indptr)
            for (int64_t e = job->excl_indptr[users[r]]; e < job->excl_indptr[users[r] + 1]; e++) {
                int32_t col = c->local_of ? c->local_of[job->excl_items[e]] : job->excl_items[e];
                if (col >= 0) s->ex[w++] = col;
            }
        s->ex_pos[r] = s->ex_ptr[r];
        s->hn[r] = 0;
    }
    s->ex_ptr[nb] = w;

    switch (c->m->kind) {
    case TIDE_RETRIEVAL_FACTORS:
        st = score_factors(c, s, users, nb, by);
        break;
    case TIDE_RETRIEVAL_EASE:
        score_ease(c, s, users, nb, by);
        break;
    case TIDE_RETRIEVAL_ITEMKNN:
        score_knn(c, s, users, nb, by);
        break;
    case TIDE_RETRIEVAL_POP:
        if (c->m->pop_context) score_pop_context(c, s, users, nb);
        break;
    }
    if (st) return st;
    for (int r = 0; r < nb; r++) {
        float *v = s->hv + (size_t)r * c->kk;
        int32_t *ix = s->hi + (size_t)r * c->kk;
        if ((c->m->kind == TIDE_RETRIEVAL_POP && !c->m->pop_context) || by[r] == TIDE_RETRIEVAL_BY_POPULARITY)
            score_pop_row(c, s, r);
        else tide_topk_finish(v, ix, s->hn[r]);
        int n = s->hn[r];
        if (c->lambda > 0 && n > 0) tide_mmr_rerank(ix, v, n, c->k, c->lambda, c->cand, c->mvec, c->mdim, s->mf, s->mi);
        if (n > c->k) n = c->k;
        out_counts[r] = n;
        for (int q = 0; q < n; q++) {
            out_items[(size_t)r * c->k + q] = c->cand ? c->cand[ix[q]] : ix[q];
            out_scores[(size_t)r * c->k + q] = v[q];
        }
    }
    return TIDE_OK;
}

static int cmp_pop(const void *a, const void *b, void *arg) {
    const float *pop = arg;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (pop[x] != pop[y]) return pop[x] > pop[y] ? -1 : 1;
    return (x > y) - (x < y);
}

static void ctx_free(run_ctx *c) {
    free(c->local_of);
    free(c->owned_Y);
    free(c->owned_bias);
    free(c->yty);
    free(c->owned_hw);
    free(c->hp);
    free(c->pop);
    free(c->pop_order);
    if (c->Ydev.ptr) tide_buffer_free(&c->Ydev);
}

tide_status tide_retrieval_run(const tide_retrieval_job *job, const tide_retrieval_params *p, tide_retrieval_sink sink,
                               void *sink_ctx, tide_retrieval_stats *stats) {
    tide_status st = TIDE_OK;
    run_ctx c;
    memset(&c, 0, sizeof c);
    scratch *scr = NULL;
    int nthreads = 1;
    int32_t *b_items = NULL, *b_counts = NULL;
    float *b_scores = NULL;
    uint8_t *b_by = NULL;
    char *errmsg = NULL;
    tide_progress prog;
    memset(&prog, 0, sizeof prog);
    double t0 = tide_now();
    tide_retrieval_stats stt;
    memset(&stt, 0, sizeof stt);

    const tide_retrieval_model *m = job->model;
    const char *why = tide_retrieval_params_check(p);
    if (why) return tide_error(TIDE_ERR_USAGE, "%s", why);
    c.job = job;
    c.m = m;
    c.ds = job->data;
    c.k = p->k;
    c.lambda = p->diversity;
    c.ub = p->user_block;
    c.ib = p->item_block;
    c.cand = job->candidates;
    c.C = job->candidates ? job->n_candidates : m->n_items;
    c.host = !job->backend || tide_backend_is_host(job->backend);
    if ((m->kind != TIDE_RETRIEVAL_FACTORS || m->fold_in_all) && !c.ds)
        return tide_error(TIDE_ERR_USAGE, "a %s model scores from user histories: a dataset is required", m->algorithm);
    c.fold_all = m->kind == TIDE_RETRIEVAL_FACTORS && m->fold_in_all;
    if (c.ds && c.ds->n_items != m->n_items)
        return tide_error(TIDE_ERR_DATA, "the dataset has %lld items but the model %lld", (long long)c.ds->n_items, (long long)m->n_items);
    if (c.k > c.C)
        return tide_error(TIDE_ERR_USAGE, "k = %d is larger than the candidate set (%lld items%s)", c.k, (long long)c.C,
                          job->candidates ? " in the allow-list" : "");
    if (c.C > INT32_MAX) return tide_error(TIDE_ERR_USAGE, "too many items for 32-bit indices");
    int64_t n_user_space = c.ds ? c.ds->n_users : m->n_users;
    for (int64_t i = 0; i < job->n_users; i++)
        if (job->users[i] < 0 || job->users[i] >= n_user_space)
            return tide_error(TIDE_ERR_INTERNAL, "user index %lld out of range", (long long)job->users[i]);
    if (c.lambda > 0) {
        int pool = p->pool ? p->pool : (5 * c.k > 50 ? 5 * c.k : 50);
        c.kk = pool < c.C ? pool : (int)c.C;
        c.mvec = job->item_vectors ? job->item_vectors : (m->kind == TIDE_RETRIEVAL_FACTORS ? m->item_factors : NULL);
        c.mdim = job->item_vectors ? job->vec_dim : m->dim;
        if (!c.mvec) return tide_error(TIDE_ERR_USAGE, "diversity re-ranking of a %s model needs item vectors (--item-vectors)", m->algorithm);
    } else {
        c.kk = c.k;
    }
    if (!c.host && m->kind != TIDE_RETRIEVAL_FACTORS)
        tide_log(TIDE_LOG_INFO, "%s models are scored on the CPU (backend %s is used for factor models)", m->algorithm,
                 tide_backend_name(job->backend));

    /* Column space. */
    if (c.cand) {
        c.local_of = tide_malloc((size_t)m->n_items * sizeof *c.local_of);
        if (!c.local_of) return TIDE_ERR_NOMEM;
        for (int64_t i = 0; i < m->n_items; i++) c.local_of[i] = -1;
        for (int64_t q = 0; q < c.C; q++) {
            if (c.cand[q] < 0 || c.cand[q] >= m->n_items || (q && c.cand[q] <= c.cand[q - 1])) {
                st = tide_error(TIDE_ERR_INTERNAL, "candidates must be sorted, unique item indices");
                goto done;
            }
            c.local_of[c.cand[q]] = (int32_t)q;
        }
    }
    if (m->kind == TIDE_RETRIEVAL_FACTORS) {
        c.Y = m->item_factors;
        c.bias = m->item_bias;
        if (c.cand) {
            /* Gather the allowed items' rows once so the sgemm runs on a dense matrix. */
            c.owned_Y = tide_malloc((size_t)c.C * (size_t)m->dim * sizeof(float));
            if (!c.owned_Y) {
                st = TIDE_ERR_NOMEM;
                goto done;
            }
            for (int64_t q = 0; q < c.C; q++)
                memcpy(c.owned_Y + (size_t)q * (size_t)m->dim, m->item_factors + (size_t)c.cand[q] * (size_t)m->dim,
                       (size_t)m->dim * sizeof(float));
            c.Y = c.owned_Y;
            if (m->item_bias) {
                c.owned_bias = tide_malloc((size_t)c.C * sizeof(float));
                if (!c.owned_bias) {
                    st = TIDE_ERR_NOMEM;
                    goto done;
                }
                for (int64_t q = 0; q < c.C; q++) c.owned_bias[q] = m->item_bias[c.cand[q]];
                c.bias = c.owned_bias;
            }
        }
        if (!c.host) {
            size_t bytes = (size_t)c.C * (size_t)m->dim * sizeof(float);
            if ((st = tide_buffer_alloc(job->backend, bytes, &c.Ydev))) goto done;
            if ((st = tide_buffer_upload(&c.Ydev, 0, c.Y, bytes))) goto done;
        }
    }
    /* Who needs what: fold-in systems, popularity. */
    int need_pop = m->kind == TIDE_RETRIEVAL_POP && !m->pop_context, need_fold = c.fold_all;
    for (int64_t i = 0; i < job->n_users; i++) {
        uint8_t b = user_by(&c, job->users[i]);
        need_pop |= b == TIDE_RETRIEVAL_BY_POPULARITY;
        need_fold |= b == TIDE_RETRIEVAL_BY_FOLD_IN;
    }
    if (need_fold) {
        if (m->dim > INT32_MAX || m->n_items > INT32_MAX) {
            st = tide_error(TIDE_ERR_USAGE, "fold-in: factor matrix too large for BLAS");
            goto done;
        }
        c.yty = tide_malloc((size_t)(m->dim * m->dim) * sizeof *c.yty);
        if (!c.yty) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
        if ((st = tide_als_gram(m->item_factors, m->n_items, (int)m->dim, m->params.regularization, c.yty))) goto done;
    }
    /* History weights: the model's decay applies where a user is scored from their events. */
    if (c.ds) {
        c.hw = c.ds->weights;
        int from_history = m->kind == TIDE_RETRIEVAL_EASE || m->kind == TIDE_RETRIEVAL_ITEMKNN || need_fold;
        if (from_history && m->params.decay.half_life > 0) {
            if ((st = tide_mf_weights(c.ds, &m->params.decay, &c.owned_hw, NULL))) goto done;
            c.hw = c.owned_hw;
            /* The fading preference of a --decay-preference model: the decay factor alone. */
            if (need_fold && m->params.decay_preference && (st = tide_mf_decay_factors(c.ds, &m->params.decay, &c.hp)))
                goto done;
        }
    }
    if (need_pop) {
        c.pop = tide_calloc((size_t)c.C + 1, sizeof *c.pop);
        c.pop_order = tide_malloc(((size_t)c.C + 1) * sizeof *c.pop_order);
        if (!c.pop || !c.pop_order) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
        if (m->popularity) {
            for (int64_t q = 0; q < c.C; q++) c.pop[q] = m->popularity[c.cand ? c.cand[q] : q];
        } else {
            /* Fallback popularity: interaction counts in the dataset. */
            for (int64_t e = 0; e < c.ds->nnz; e++) {
                int32_t col = c.local_of ? c.local_of[c.ds->items[e]] : c.ds->items[e];
                if (col >= 0) c.pop[col] += 1.0f;
            }
        }
        for (int64_t q = 0; q < c.C; q++) c.pop_order[q] = (int32_t)q;
        qsort_r(c.pop_order, (size_t)c.C, sizeof *c.pop_order, cmp_pop, c.pop);
    }

#ifdef _OPENMP
    nthreads = c.host ? omp_get_max_threads() : 1;
#endif
    scr = tide_calloc((size_t)nthreads, sizeof *scr);
    if (!scr) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int t = 0; t < nthreads; t++)
        if ((st = scratch_init(&scr[t], &c))) goto done;

    int64_t batch = p->batch_users ? p->batch_users : 16384;
    int64_t bblocks = batch / c.ub > 0 ? batch / c.ub : 1;
    batch = bblocks * c.ub;
    int64_t cap = job->n_users < batch ? job->n_users : batch;
    b_items = tide_malloc((size_t)cap * (size_t)c.k * sizeof *b_items + 1);
    b_scores = tide_malloc((size_t)cap * (size_t)c.k * sizeof *b_scores + 1);
    b_counts = tide_malloc((size_t)cap * sizeof *b_counts + 1);
    b_by = tide_malloc((size_t)cap + 1);
    if (!b_items || !b_scores || !b_counts || !b_by) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    tide_progress_begin(&prog, "scoring users", (uint64_t)job->n_users);
    for (int64_t first = 0; first < job->n_users; first += batch) {
        int64_t n = job->n_users - first < batch ? job->n_users - first : batch;
        int64_t nblk = (n + c.ub - 1) / c.ub;
        tide_status bst = TIDE_OK;
        int64_t bad_block = -1;
        #pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
        for (int64_t b = 0; b < nblk; b++) {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            int64_t o = b * c.ub;
            int nb = (int)(n - o < c.ub ? n - o : c.ub);
            tide_status s1 = process_block(&c, &scr[tid], job->users + first + o, nb, b_items + (size_t)o * c.k,
                                           b_scores + (size_t)o * c.k, b_counts + o, b_by + o);
            if (s1) {
                /* Keep the first failing block's message (error state is per thread). */
                #pragma omp critical(tide_retrieval_err)
                {
                    if (bad_block < 0 || b < bad_block) {
                        bad_block = b;
                        bst = s1;
                        free(errmsg);
                        errmsg = strdup(tide_error_message());
                    }
                }
            }
        }
        if (bst) {
            st = tide_error(bst, "%s", errmsg ? errmsg : tide_status_str(bst));
            goto done;
        }
        for (int64_t i = 0; i < n; i++) {
            stt.by_fold_in += b_by[i] == TIDE_RETRIEVAL_BY_FOLD_IN;
            stt.by_popularity += b_by[i] == TIDE_RETRIEVAL_BY_POPULARITY;
            stt.short_lists += b_counts[i] < c.k;
        }
        stt.users += n;
        if (sink) {
            tide_retrieval_batch bt = {first, n, c.k, job->users + first, b_items, b_scores, b_counts, b_by};
            if ((st = sink(sink_ctx, &bt))) goto done;
        }
        tide_progress_update(&prog, (uint64_t)(first + n));
    }
    tide_progress_end(&prog);
done:
    stt.seconds = tide_now() - t0;
    if (stats) *stats = stt;
    if (scr)
        for (int t = 0; t < nthreads; t++) scratch_free(&scr[t]);
    free(scr);
    free(b_items);
    free(b_scores);
    free(b_counts);
    free(b_by);
    free(errmsg);
    ctx_free(&c);
    return st;
}
