/* engine.c — the top-K engine: users in blocks, items in blocks, the best K per user, through a
 * model's scorer (tide/scorer.h); nothing here knows a model kind.
 *
 * For a block of users (default 512) the scorer prepares each user from their history view and
 * says who it cannot score (popularity then). For each block of item columns (default 1024) it
 * fills a [users × columns] score tile small enough to stay in L2; the engine masks the tile's
 * excluded entries to -INFINITY by walking each user's sorted exclusion list and feeds every row
 * into that user's running top-K heap (topk.c) while the tile is still in cache; then the next
 * item block overwrites the same tile. Scorers that build whole rows (sparse neighbours,
 * contextual popularity) get one row of all columns at a time. Memory is O(user_block ×
 * item_block + user_block × K) per thread, never users × items. User-independent scores (static
 * popularity) and the popularity fallback are served by walking the columns in score order.
 *
 * Threads take whole user blocks (OpenMP, dynamic schedule); each block writes its results by
 * position, and the block layout depends only on the user list and block size, never on the
 * thread count, so any thread count (and any shard whose range starts on a block boundary, see
 * tide-recommend) produces the same bytes. Batches of blocks are handed to the sink in order.
 *
 * Per-run tables are sized by the items (column space, popularity order), never by the users of
 * a dataset, so a one-user call (tide-serve) stays cheap; the popularity order is built only
 * when some user needs it.
 *
 * A one-user block of a scorer that exposes its query vector (row_query) is answered through
 * job->qindex when one is given: an int8 pre-score with an error bound and exact re-scoring of
 * the few items that can still reach the top (qscan.c), the same list and scores as the scan.
 * A whole-rows scorer with its own exact top-K (row_topk: the interest model on a large
 * catalogue) answers each of its rows itself, in batch and online alike. */
#define _GNU_SOURCE
#include "retrieval-impl.h"
#include "tide/decay.h"

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

/* A column order by score, descending, ties by lower column: the walk that serves users whose
 * scores do not depend on them. */
typedef struct walk {
    const float *val;      /* score per column */
    const int32_t *order;  /* columns by score */
    float *own_val;        /* what this run allocated */
    int32_t *own_order;
} walk;

/* Shared, read-only during the parallel part (except the lazily built fallback walk, behind a
 * critical section). */
typedef struct run_ctx {
    const tide_retrieval_job *job;
    const tide_scorer *sc;
    const tide_scorer_info *info;
    void *run;              /* the scorer's run state */
    int bound;
    int k, kk;              /* output length; selection length (MMR pool) */
    double lambda;
    int64_t C;              /* columns */
    int64_t ub, ib;
    int whole_rows;
    const int32_t *cand;    /* column → item, NULL = identity */
    int32_t *local_of;      /* item → column or -1 (NULL = identity) */
    const float *mvec;      /* MMR vectors by item */
    int64_t mdim;
    int host;
    int64_t latest;         /* the dataset's latest event ("now" of its views) */
    walk model_walk;        /* info->item_scores in column space */
    walk fb;                /* fallback popularity, built on first need */
    int fb_ready;
    tide_status fb_st;
} run_ctx;

/* Per thread. */
typedef struct scratch {
    tide_backend *be;
    int owns_be;
    void *blk;              /* the scorer's block state */
    float *S;               /* score tile */
    tide_user_view *views;
    float *hv;
    int32_t *hi;
    int *hn;
    int *rowmap;
    int64_t *ex_ptr, *ex_pos;
    int32_t *ex;
    size_t ex_cap;
    float *mf;
    int32_t *mi;
    int64_t fast_rows, rescored;   /* row_topk answers, and the items they scored */
} scratch;

static void scratch_free(const run_ctx *c, scratch *s) {
    if (!s) return;
    if (s->blk) c->sc->iface->block_free(c->sc, c->run, s->blk);
    free(s->S);
    free(s->views);
    free(s->hv);
    free(s->hi);
    free(s->hn);
    free(s->rowmap);
    free(s->ex_ptr);
    free(s->ex_pos);
    free(s->ex);
    free(s->mf);
    free(s->mi);
    if (s->owns_be) tide_backend_free(s->be);
    memset(s, 0, sizeof *s);
}

static tide_status scratch_init(scratch *s, const run_ctx *c) {
    memset(s, 0, sizeof *s);
    size_t ub = (size_t)c->ub, kk = (size_t)c->kk;
    tide_status st = TIDE_OK;
    if (c->host) {
        if ((st = tide_backend_open(TIDE_DEVICE_CPU, &s->be))) return st;
        s->owns_be = 1;
    } else {
        s->be = c->job->backend;
    }
    size_t tile = c->whole_rows ? (size_t)c->C : ub * (size_t)(c->ib < c->C ? c->ib : c->C);
    s->views = tide_calloc(ub, sizeof *s->views);
    s->hv = tide_malloc(ub * kk * sizeof *s->hv);
    s->hi = tide_malloc(ub * kk * sizeof *s->hi);
    s->hn = tide_calloc(ub, sizeof *s->hn);
    s->rowmap = tide_malloc(ub * sizeof *s->rowmap);
    s->ex_ptr = tide_malloc((ub + 1) * sizeof *s->ex_ptr);
    s->ex_pos = tide_malloc(ub * sizeof *s->ex_pos);
    s->mf = tide_malloc(3 * kk * sizeof *s->mf + 1);
    s->mi = tide_malloc(2 * kk * sizeof *s->mi + 1);
    if (!s->views || !s->hv || !s->hi || !s->hn || !s->rowmap || !s->ex_ptr || !s->ex_pos || !s->mf || !s->mi)
        return TIDE_ERR_NOMEM;
    if (!c->info->item_scores) {
        /* 64-byte aligned tiles for the BLAS kernels. */
        s->S = aligned_alloc(64, (tile * sizeof(float) + 63) / 64 * 64);
        if (!s->S) return tide_error(TIDE_ERR_NOMEM, "out of memory for a %zu-float score tile", tile);
    }
    return c->sc->iface->block_alloc(c->sc, c->run, (int)c->ub, s->be, &s->blk);
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

static int cmp_walk(const void *a, const void *b, void *arg) {
    const float *v = arg;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (v[x] != v[y]) return v[x] > v[y] ? -1 : 1;
    return (x > y) - (x < y);
}

/* Scores by item → a walk in column space; without candidates a given item order (the same
 * total order: score descending, ties by lower index) is used as it is. */
static tide_status walk_build(const run_ctx *c, const float *by_item, const int32_t *order, walk *w) {
    if (!c->cand && order) {
        w->val = by_item;
        w->order = order;
        return TIDE_OK;
    }
    w->val = w->own_val = tide_malloc(((size_t)c->C + 1) * sizeof *w->own_val);
    w->order = w->own_order = tide_malloc(((size_t)c->C + 1) * sizeof *w->own_order);
    if (!w->own_val || !w->own_order) return TIDE_ERR_NOMEM;
    for (int64_t q = 0; q < c->C; q++) w->own_val[q] = by_item[c->cand ? c->cand[q] : q];
    for (int64_t q = 0; q < c->C; q++) w->own_order[q] = (int32_t)q;
    qsort_r(w->own_order, (size_t)c->C, sizeof *w->own_order, cmp_walk, w->own_val);
    return TIDE_OK;
}

tide_status tide_retrieval_popularity_order(const float *scores, int64_t n, int32_t **out) {
    int32_t *o = tide_malloc(((size_t)n + 1) * sizeof *o);
    if (!o) return TIDE_ERR_NOMEM;
    for (int64_t q = 0; q < n; q++) o[q] = (int32_t)q;
    qsort_r(o, (size_t)n, sizeof *o, cmp_walk, (void *)scores);
    *out = o;
    return TIDE_OK;
}

/* The fallback popularity: the job's, the scorer's, or the dataset's interaction counts. */
static tide_status fallback_build(run_ctx *c) {
    const tide_retrieval_job *job = c->job;
    if (job->popularity) return walk_build(c, job->popularity, job->popularity_order, &c->fb);
    if (c->info->popularity) return walk_build(c, c->info->popularity, c->info->popularity_order, &c->fb);
    if (!job->data)
        return tide_error(TIDE_ERR_USAGE, "users not in the %s model need a popularity fallback: pass a dataset or "
                          "popularity", c->info->algorithm);
    float *val = c->fb.own_val = tide_calloc((size_t)c->C + 1, sizeof *c->fb.own_val);
    int32_t *order = c->fb.own_order = tide_malloc(((size_t)c->C + 1) * sizeof *c->fb.own_order);
    if (!val || !order) return TIDE_ERR_NOMEM;
    const tide_dataset *ds = job->data;
    for (int64_t e = 0; e < ds->nnz; e++) {
        int32_t col = c->local_of ? c->local_of[ds->items[e]] : ds->items[e];
        if (col >= 0) val[col] += 1.0f;
    }
    for (int64_t q = 0; q < c->C; q++) order[q] = (int32_t)q;
    qsort_r(order, (size_t)c->C, sizeof *order, cmp_walk, val);
    c->fb.val = val;
    c->fb.order = order;
    return TIDE_OK;
}

static tide_status need_fallback(run_ctx *c) {
    int ready;
    #pragma omp atomic read
    ready = c->fb_ready;
    if (ready) return c->fb_st;
    tide_status st;
    #pragma omp critical(tide_retrieval_fallback)
    {
        if (!c->fb_ready) {
            c->fb_st = fallback_build(c);
            #pragma omp atomic write
            c->fb_ready = 1;
        }
        st = c->fb_st;
    }
    return st;
}

/* Rows written sorted already: the first eligible columns of a walk. */
static void walk_row(const run_ctx *c, const walk *wk, scratch *s, int r) {
    float *v = s->hv + (size_t)r * c->kk;
    int32_t *ix = s->hi + (size_t)r * c->kk;
    int n = 0;
    for (int64_t t = 0; t < c->C && n < c->kk; t++) {
        int32_t col = wk->order[t];
        if (excluded(s, r, col)) continue;
        v[n] = wk->val[col];
        ix[n] = col;
        n++;
    }
    s->hn[r] = n;
}

static tide_status user_view(const run_ctx *c, int64_t key, tide_user_view *v) {
    const tide_retrieval_job *job = c->job;
    if (job->data) {
        tide_user_view_from_dataset(job->data, key, c->latest, v);
        return TIDE_OK;
    }
    memset(v, 0, sizeof *v);
    v->as_of = INT64_MIN;
    if (job->source) {
        v->user = -1;
        return job->source->view(job->source->ctx, key, v);
    }
    v->user = key;
    v->no_history = 1;
    return TIDE_OK;
}

/* Score one block of users into the batch's output slots. */
static tide_status process_block(run_ctx *c, scratch *s, const int64_t *users, int nb, int32_t *out_items,
                                 float *out_scores, int32_t *out_counts, uint8_t *by) {
    const tide_retrieval_job *job = c->job;
    const tide_scorer *sc = c->sc;
    tide_status st = TIDE_OK;
    for (int r = 0; r < nb; r++)
        if ((st = user_view(c, users[r], &s->views[r]))) return st;
    if ((st = sc->iface->prepare(sc, c->run, s->blk, s->views, nb, by))) return st;
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

    /* Prepared rows: the users the model scores. */
    int rows = 0, fallback = 0;
    for (int r = 0; r < nb; r++) {
        if (by[r] == TIDE_BY_POPULARITY) fallback = 1;
        else s->rowmap[rows++] = r;
    }
    if (fallback && (st = need_fallback(c))) return st;
    int fast = 0;
    if (rows == 1 && nb == 1 && !c->info->item_scores && !c->whole_rows && c->host && job->qindex && !job->exhaustive &&
        sc->iface->version >= 2 && sc->iface->row_query && tide_qindex_n(job->qindex) == c->info->n_items &&
        tide_qindex_dim(job->qindex) == c->info->item_dim) {
        const float *q = NULL, *bias = NULL;
        int r = s->rowmap[0];
        if (sc->iface->row_query(sc, c->run, s->blk, 0, &q, &bias) && q)
            fast = tide_qindex_topk(job->qindex, q, bias, c->C, c->cand, s->ex + s->ex_ptr[r], s->ex_ptr[r + 1] - s->ex_ptr[r],
                                    c->kk, s->hv + (size_t)r * c->kk, s->hi + (size_t)r * c->kk, &s->hn[r], NULL);
    }
    if (rows && !fast && !c->info->item_scores) {
        if (c->whole_rows) {
            int own = sc->iface->version >= 4 && sc->iface->row_topk && c->host && !job->exhaustive;
            for (int q = 0; q < rows; q++) {
                int r = s->rowmap[q];
                if (own) {
                    /* the scorer's exact top-K (tide/scorer.h): the same list as the scan below */
                    int answered = 0;
                    int64_t res = 0;
                    if ((st = sc->iface->row_topk(sc, c->run, s->blk, q, s->ex + s->ex_ptr[r], s->ex_ptr[r + 1] - s->ex_ptr[r],
                                                  c->kk, s->hv + (size_t)r * c->kk, s->hi + (size_t)r * c->kk, &s->hn[r],
                                                  &answered, &res)))
                        return st;
                    if (answered) {
                        s->fast_rows++;
                        s->rescored += res;
                        continue;
                    }
                    s->hn[r] = 0;
                }
                if ((st = sc->iface->score(sc, c->run, s->blk, q, 1, 0, c->C, s->S))) return st;
                mask_row(s, r, s->S, 0, c->C);
                tide_topk_scan(s->hv + (size_t)r * c->kk, s->hi + (size_t)r * c->kk, &s->hn[r], c->kk, s->S, c->C, 0);
            }
        } else {
            for (int64_t c0 = 0; c0 < c->C; c0 += c->ib) {
                int64_t cw = c->C - c0 < c->ib ? c->C - c0 : c->ib;
                if ((st = sc->iface->score(sc, c->run, s->blk, 0, rows, c0, cw, s->S))) return st;
                for (int q = 0; q < rows; q++) {
                    int r = s->rowmap[q];
                    float *t = s->S + (size_t)q * (size_t)cw;
                    mask_row(s, r, t, c0, cw);
                    tide_topk_scan(s->hv + (size_t)r * c->kk, s->hi + (size_t)r * c->kk, &s->hn[r], c->kk, t, cw,
                                   (int32_t)c0);
                }
            }
        }
    }
    for (int r = 0; r < nb; r++) {
        float *v = s->hv + (size_t)r * c->kk;
        int32_t *ix = s->hi + (size_t)r * c->kk;
        if (by[r] == TIDE_BY_POPULARITY) walk_row(c, &c->fb, s, r);
        else if (c->info->item_scores) walk_row(c, &c->model_walk, s, r);
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

static void ctx_free(run_ctx *c) {
    if (c->bound) c->sc->iface->unbind(c->sc, c->run);
    free(c->local_of);
    free(c->model_walk.own_val);
    free(c->model_walk.own_order);
    free(c->fb.own_val);
    free(c->fb.own_order);
}

tide_status tide_retrieval_popularity(const tide_dataset *ds, float **out) {
    float *p = tide_calloc((size_t)ds->n_items + 1, sizeof *p);
    if (!p) return TIDE_ERR_NOMEM;
    for (int64_t e = 0; e < ds->nnz; e++) p[ds->items[e]] += 1.0f;
    *out = p;
    return TIDE_OK;
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

    const tide_scorer *sc = job->scorer;
    const char *why = tide_retrieval_params_check(p);
    if (why) return tide_error(TIDE_ERR_USAGE, "%s", why);
    if (!sc || !sc->iface || sc->iface->version < 1)
        return tide_error(TIDE_ERR_INTERNAL, "retrieval: the job has no scorer (or one of an unknown version)");
    const tide_scorer_info *info = &sc->info;
    c.job = job;
    c.sc = sc;
    c.info = info;
    c.k = p->k;
    c.lambda = p->diversity;
    c.ub = p->user_block;
    c.ib = p->item_block;
    c.cand = job->candidates;
    c.C = job->candidates ? job->n_candidates : info->n_items;
    c.whole_rows = (info->flags & TIDE_SCORER_WHOLE_ROWS) != 0;
    c.host = !job->backend || tide_backend_is_host(job->backend);
    if ((info->flags & TIDE_SCORER_NEEDS_HISTORY) && !job->data && !job->source)
        return tide_error(TIDE_ERR_USAGE, "a %s model scores from user histories: a dataset is required", info->algorithm);
    if (job->data && job->data->n_items != info->n_items)
        return tide_error(TIDE_ERR_DATA, "the dataset has %lld items but the model %lld", (long long)job->data->n_items,
                          (long long)info->n_items);
    if (c.k > c.C)
        return tide_error(TIDE_ERR_USAGE, "k = %d is larger than the candidate set (%lld items%s)", c.k, (long long)c.C,
                          job->candidates ? " in the allow-list" : "");
    if (c.C > INT32_MAX) return tide_error(TIDE_ERR_USAGE, "too many items for 32-bit indices");
    int64_t n_user_space = job->data ? job->data->n_users : job->source ? job->source->n_users : info->n_users;
    for (int64_t i = 0; i < job->n_users; i++)
        if (job->users[i] < 0 || job->users[i] >= n_user_space)
            return tide_error(TIDE_ERR_INTERNAL, "user index %lld out of range", (long long)job->users[i]);
    if (c.lambda > 0) {
        int pool = p->pool ? p->pool : (5 * c.k > 50 ? 5 * c.k : 50);
        c.kk = pool < c.C ? pool : (int)c.C;
        c.mvec = job->item_vectors ? job->item_vectors : info->item_vectors;
        c.mdim = job->item_vectors ? job->vec_dim : info->item_dim;
        if (!c.mvec) return tide_error(TIDE_ERR_USAGE, "diversity re-ranking of a %s model needs item vectors (--item-vectors)", info->algorithm);
    } else {
        c.kk = c.k;
    }
    if (!c.host && !(info->flags & TIDE_SCORER_USES_BACKEND))
        tide_log(TIDE_LOG_INFO, "%s models are scored on the CPU (backend %s is used for factor models)", info->algorithm,
                 tide_backend_name(job->backend));
    c.latest = job->data ? tide_dataset_latest(job->data) : INT64_MIN;

    /* Column space. */
    if (c.cand) {
        c.local_of = tide_malloc((size_t)info->n_items * sizeof *c.local_of);
        if (!c.local_of) return TIDE_ERR_NOMEM;
        for (int64_t i = 0; i < info->n_items; i++) c.local_of[i] = -1;
        for (int64_t q = 0; q < c.C; q++) {
            if (c.cand[q] < 0 || c.cand[q] >= info->n_items || (q && c.cand[q] <= c.cand[q - 1])) {
                st = tide_error(TIDE_ERR_INTERNAL, "candidates must be sorted, unique item indices");
                goto done;
            }
            c.local_of[c.cand[q]] = (int32_t)q;
        }
    }
    tide_scorer_cols cols = {c.C, c.cand, c.local_of};
    if ((st = sc->iface->bind(sc, &cols, job->backend, &c.run))) goto done;
    c.bound = 1;
    if (info->item_scores && (st = walk_build(&c, info->item_scores, info->item_order, &c.model_walk))) goto done;

#ifdef _OPENMP
    nthreads = c.host ? omp_get_max_threads() : 1;
#endif
    /* No more threads than blocks: a one-user call allocates one scratch. */
    int64_t total_blocks = (job->n_users + c.ub - 1) / c.ub;
    if (nthreads > total_blocks) nthreads = total_blocks > 0 ? (int)total_blocks : 1;
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
            stt.by_fold_in += b_by[i] == TIDE_BY_FOLD_IN;
            stt.by_popularity += b_by[i] == TIDE_BY_POPULARITY;
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
    if (scr)
        for (int t = 0; t < nthreads; t++) {
            stt.fast_rows += scr[t].fast_rows;
            stt.rescored += scr[t].rescored;
        }
    if (stats) *stats = stt;
    if (scr)
        for (int t = 0; t < nthreads; t++) scratch_free(&c, &scr[t]);
    free(scr);
    free(b_items);
    free(b_scores);
    free(b_counts);
    free(b_by);
    free(errmsg);
    ctx_free(&c);
    return st;
}
