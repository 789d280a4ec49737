/* tune.c — --tune: choose the decays, transitions, K, popularity's half-life and the combiner on
 * a validation split only. Each setting is chosen by its own component's valid NDCG@k over a
 * small fixed grid (components are computed one at a time, so a grid costs one component's
 * scoring); then every component's z-scored scores are stored for the valid users and the
 * combiner is fitted on pairs (held-out item vs. the union of the components' top lists), its
 * L2 picked by 2-fold cross-validation over users, and components whose removal does not lower
 * that cross-validated NDCG are dropped (backward elimination). Deterministic: fixed grids and orders,
 * per-user work independent of the thread count, ties to the earlier grid point. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tide/interest.h"

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* sorted unique copy of the user's training items (those before as-of are all of them here) */
static int64_t seen_items(const tide_interest_history *h, int32_t *out) {
    if (h->n) memcpy(out, h->items, (size_t)h->n * sizeof *out);
    qsort(out, (size_t)h->n, sizeof *out, cmp_i32);
    int64_t m = 0;
    for (int64_t k = 0; k < h->n; k++)
        if (m == 0 || out[m - 1] != out[k]) out[m++] = out[k];
    return m;
}

double tide_interest_ndcg(const float *score, int64_t n_items, const int32_t *excl, int64_t n_excl,
                          const int32_t *truth, int64_t n_truth, int k) {
    if (n_truth <= 0) return 0;
    double dcg = 0, idcg = 0;
    for (int64_t r = 0; r < n_truth && r < k; r++) idcg += 1 / log2((double)r + 2);
    for (int64_t t = 0; t < n_truth; t++) {
        int32_t j = truth[t];
        if (bsearch(&j, excl, (size_t)n_excl, sizeof *excl, cmp_i32)) continue;
        /* rank = items ranked above j: higher score, or equal score and lower index (tide's
         * tie rule), excluded items not counted */
        int64_t above = 0;
        float s = score[j];
        int64_t e = 0;
        for (int64_t i = 0; i < n_items && above < k; i++) {
            while (e < n_excl && excl[e] < i) e++;
            if (e < n_excl && excl[e] == i) continue;
            if (score[i] > s || (score[i] == s && i < j)) above++;
        }
        if (above < k) dcg += 1 / log2((double)above + 2);
    }
    return dcg / idcg;
}

typedef struct {
    tide_interest_items *it;
    const tide_interest_tune_opts *o;
    int64_t *users;            /* valid users used for tuning */
    int64_t n_users;
} ctx;

/* Mean valid NDCG@k of component c alone (raw scores) under p; with `also` (a mask, 0 = none),
 * of c plus those components, z-scored and summed with equal weights — how a setting of c is
 * judged by what it adds to them (the burst beside the EASE row). */
static tide_status eval_mix(const ctx *x, const tide_interest_params *p0, int c, unsigned also, double *out) {
    tide_interest_params p = *p0;
    p.enabled = (1u << c) | also;
    float wmix[TIDE_IC_N];
    for (int d = 0; d < TIDE_IC_N; d++) wmix[d] = (p.enabled >> d) & 1u ? 1.0f : 0.0f;
    int64_t N = x->it->n_items;
    /* per-user values summed in user order afterwards: a reduction's order depends on the
     * schedule, and grid points that tie exactly must stay tied (ties keep the earlier point) */
    double *val = tide_calloc((size_t)x->n_users + 1, sizeof *val);
    if (!val) return TIDE_ERR_NOMEM;
    tide_status st = TIDE_OK;
    size_t wf = tide_interest_work_floats(x->it, &p);
#pragma omp parallel
    {
        float *feats = tide_malloc((size_t)TIDE_IC_N * N * sizeof *feats);
        float *work = tide_malloc(wf * sizeof *work);
        int32_t *excl = NULL;
        int64_t cap = 0;
        if (!feats || !work) {
#pragma omp critical
            st = TIDE_ERR_NOMEM;
        }
#pragma omp for schedule(dynamic, 4)
        for (int64_t q = 0; q < x->n_users; q++) {
            if (!feats || !work || st) continue;
            int64_t u = x->users[q];
            tide_interest_history h;
            tide_interest_history_of(x->o->train, x->o->text_vectors, x->it->lm_dim, u, x->o->as_of, &h);
            if (h.n + 1 > cap) {
                cap = 2 * h.n + 16;
                int32_t *ne = realloc(excl, (size_t)cap * sizeof *ne);
                if (!ne) { st = TIDE_ERR_NOMEM; continue; }
                excl = ne;
            }
            int64_t ne_ = seen_items(&h, excl);
            tide_status s1 = tide_interest_features(x->it, &p, &h, feats, work, NULL);
            if (s1) { st = s1; continue; }
            const float *row = feats + (size_t)c * N;
            if (also) {
                tide_interest_normalise(feats, N, excl, ne_);
                tide_interest_combine(feats, N, wmix, work);
                row = work;
            }
            const tide_dataset *v = x->o->valid;
            val[q] = tide_interest_ndcg(row, N, excl, ne_, v->items + v->indptr[u],
                                        v->indptr[u + 1] - v->indptr[u], x->o->k);
        }
        free(feats);
        free(work);
        free(excl);
    }
    double sum = 0;
    for (int64_t q = 0; q < x->n_users; q++) sum += val[q];
    free(val);
    *out = x->n_users ? sum / (double)x->n_users : 0;
    return st;
}

static tide_status eval_one(const ctx *x, const tide_interest_params *p0, int c, double *out) {
    return eval_mix(x, p0, c, 0, out);
}

/* The stored z-scored features of every tuning user, their exclusions, and pairs. */
typedef struct {
    float *F;                  /* [n_users, TIDE_IC_N, N] */
    int64_t *ex_indptr;        /* slots: each user's training events */
    int32_t *ex;               /* sorted distinct seen items at the slot's start */
    int64_t *ex_n;             /* how many */
    tide_interest_pairs pp;
} store;

static void store_free(store *s) {
    free(s->F);
    free(s->ex_indptr);
    free(s->ex);
    free(s->ex_n);
    tide_interest_pairs_free(&s->pp);
}

typedef struct { float v; int32_t j; } sv;
static int sv_desc(const void *a, const void *b) {
    const sv *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? 1 : -1;
    return (x->j > y->j) - (x->j < y->j);
}

static tide_status build_store(const ctx *x, const tide_interest_params *p, store *s) {
    int64_t N = x->it->n_items, U = x->n_users, C = TIDE_IC_N;
    memset(s, 0, sizeof *s);
    s->F = tide_malloc((size_t)U * C * N * sizeof *s->F + 1);
    s->ex_indptr = tide_calloc((size_t)U + 1, sizeof *s->ex_indptr);
    if (!s->F || !s->ex_indptr) return TIDE_ERR_NOMEM;
    for (int64_t q = 0; q < U; q++) {
        int64_t u = x->users[q];
        s->ex_indptr[q + 1] = s->ex_indptr[q] + (x->o->train->indptr[u + 1] - x->o->train->indptr[u]);
    }
    s->ex = tide_malloc((size_t)s->ex_indptr[U] * sizeof *s->ex + 1);
    int64_t *nex = tide_calloc((size_t)U + 1, sizeof *nex);
    tide_interest_pairs *pp = &s->pp;
    pp->n_users = U;
    pp->pos_indptr = tide_calloc((size_t)U + 1, sizeof *pp->pos_indptr);
    pp->neg_indptr = tide_calloc((size_t)U + 1, sizeof *pp->neg_indptr);
    int per = p->candidates_per_component;
    int64_t maxneg = (int64_t)per * C;
    int32_t *negs = tide_malloc((size_t)U * maxneg * sizeof *negs + 1);
    int64_t *nneg = tide_calloc((size_t)U + 1, sizeof *nneg);
    if (!s->ex || !nex || !pp->pos_indptr || !pp->neg_indptr || !negs || !nneg) {
        free(nex); free(negs); free(nneg);
        return TIDE_ERR_NOMEM;
    }
    tide_status st = TIDE_OK;
    size_t wf = tide_interest_work_floats(x->it, p);
#pragma omp parallel
    {
        float *work = tide_malloc(wf * sizeof *work);
        sv *tmp = tide_malloc((size_t)N * sizeof *tmp);
        uint8_t *mark = tide_calloc((size_t)N, 1);
        if (!work || !tmp || !mark) {
#pragma omp critical
            st = TIDE_ERR_NOMEM;
        }
#pragma omp for schedule(dynamic, 4)
        for (int64_t q = 0; q < U; q++) {
            if (!work || !tmp || !mark || st) continue;
            int64_t u = x->users[q];
            tide_interest_history h;
            tide_interest_history_of(x->o->train, x->o->text_vectors, x->it->lm_dim, u, x->o->as_of, &h);
            int32_t *ex = s->ex + s->ex_indptr[q];
            nex[q] = seen_items(&h, ex);
            float *F = s->F + (size_t)q * C * N;
            tide_status s1 = tide_interest_features(x->it, p, &h, F, work, NULL);
            if (s1) { st = s1; continue; }
            tide_interest_normalise(F, N, ex, nex[q]);
            const tide_dataset *v = x->o->valid;
            for (int64_t e = 0; e < nex[q]; e++) mark[ex[e]] = 1;
            for (int64_t t = v->indptr[u]; t < v->indptr[u + 1]; t++) mark[v->items[t]] |= 2;
            int32_t *ng = negs + q * maxneg;
            int64_t m = 0;
            for (int c = 0; c < C; c++) {
                if (!((p->enabled >> c) & 1u)) continue;
                for (int64_t j = 0; j < N; j++) tmp[j] = (sv){F[(size_t)c * N + j], (int32_t)j};
                /* top `per` of the row among eligible items (partial: sort is fine at this size) */
                qsort(tmp, (size_t)N, sizeof *tmp, sv_desc);
                int taken = 0;
                for (int64_t r = 0; r < N && taken < per; r++) {
                    int32_t j = tmp[r].j;
                    if (mark[j] & 7) continue;
                    taken++;
                    mark[j] |= 4;
                    ng[m++] = j;
                }
            }
            for (int64_t k = 0; k < m; k++) mark[ng[k]] = 0;
            for (int64_t e = 0; e < nex[q]; e++) mark[ex[e]] = 0;
            for (int64_t t = v->indptr[u]; t < v->indptr[u + 1]; t++) mark[v->items[t]] = 0;
            qsort(ng, (size_t)m, sizeof *ng, cmp_i32);
            nneg[q] = m;
        }
        free(work);
        free(tmp);
        free(mark);
    }
    if (st) { free(nex); free(negs); free(nneg); return st; }
    /* positives: valid items not already seen */
    const tide_dataset *v = x->o->valid;
    for (int64_t q = 0; q < U; q++) {
        int64_t u = x->users[q], np = 0;
        for (int64_t t = v->indptr[u]; t < v->indptr[u + 1]; t++)
            if (!bsearch(&v->items[t], s->ex + s->ex_indptr[q], (size_t)nex[q], sizeof(int32_t), cmp_i32)) np++;
        pp->pos_indptr[q + 1] = pp->pos_indptr[q] + np;
        pp->neg_indptr[q + 1] = pp->neg_indptr[q] + nneg[q];
    }
    pp->pos = tide_malloc((size_t)pp->pos_indptr[U] * C * sizeof *pp->pos + 1);
    pp->neg = tide_malloc((size_t)pp->neg_indptr[U] * C * sizeof *pp->neg + 1);
    if (!pp->pos || !pp->neg) { free(nex); free(negs); free(nneg); return TIDE_ERR_NOMEM; }
    for (int64_t q = 0; q < U; q++) {
        int64_t u = x->users[q], a = pp->pos_indptr[q];
        const float *F = s->F + (size_t)q * C * N;
        for (int64_t t = v->indptr[u]; t < v->indptr[u + 1]; t++) {
            int32_t j = v->items[t];
            if (bsearch(&j, s->ex + s->ex_indptr[q], (size_t)nex[q], sizeof(int32_t), cmp_i32)) continue;
            for (int c = 0; c < C; c++) pp->pos[a * C + c] = F[(size_t)c * N + j];
            a++;
        }
        for (int64_t k = 0; k < nneg[q]; k++) {
            int32_t j = negs[q * maxneg + k];
            for (int c = 0; c < C; c++) pp->neg[(pp->neg_indptr[q] + k) * C + c] = F[(size_t)c * N + j];
        }
    }
    free(negs);
    free(nneg);
    s->ex_n = nex;
    return TIDE_OK;
}

/* Mean NDCG over users `sel` (indices into the store; NULL = all) with weights w. */
static double eval_weights(const ctx *x, const store *s, const float *w, const int64_t *sel, int64_t n_sel) {
    int64_t N = x->it->n_items, C = TIDE_IC_N;
    int64_t n = sel ? n_sel : x->n_users;
    double *val = tide_calloc((size_t)n + 1, sizeof *val);   /* summed in order: see eval_one */
    if (!val) return -1;
#pragma omp parallel
    {
        float *score = tide_malloc((size_t)N * sizeof *score);
#pragma omp for schedule(dynamic, 8)
        for (int64_t r = 0; r < n; r++) {
            if (!score) continue;
            int64_t q = sel ? sel[r] : r, u = x->users[q];
            tide_interest_combine(s->F + (size_t)q * C * N, N, w, score);
            const int32_t *ex = s->ex + s->ex_indptr[q];
            int64_t ne = s->ex_n[q];
            const tide_dataset *v = x->o->valid;
            val[r] = tide_interest_ndcg(score, N, ex, ne, v->items + v->indptr[u], v->indptr[u + 1] - v->indptr[u], x->o->k);
        }
        free(score);
    }
    double sum = 0;
    for (int64_t r = 0; r < n; r++) sum += val[r];
    free(val);
    return n ? sum / (double)n : 0;
}

static cJSON *grid_entry(cJSON *arr, const char *what, double a, double b, double ndcg) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "setting", what);
    cJSON_AddNumberToObject(e, "a", a);
    cJSON_AddNumberToObject(e, "b", b);
    cJSON_AddNumberToObject(e, "ndcg", ndcg);
    cJSON_AddItemToArray(arr, e);
    return e;
}

#define ON(p, c) (((p)->enabled >> (c)) & 1u)

/* Coordinate ascent on mean NDCG@k (Metzler & Croft 2007, RankLib's "coordinate ascent"): from
 * equal weights, each enabled component's weight in turn is set to the best of a fixed grid of
 * values (the current one kept on ties), for a few rounds. Directly optimises the metric the
 * protocol reports; deterministic (fixed order, fixed grid). */
static void coord_ascent(const ctx *x, const store *s, unsigned enabled, const int64_t *sel, int64_t n_sel, float *w) {
    static const float grid[] = {0, 0.125f, 0.25f, 0.5f, 1, 2, 4, 8};
    for (int c = 0; c < TIDE_IC_N; c++) w[c] = (enabled >> c) & 1u ? 1.0f : 0.0f;
    double cur = eval_weights(x, s, w, sel, n_sel);
    for (int round = 0; round < 3; round++) {
        int changed = 0;
        for (int c = 0; c < TIDE_IC_N; c++) {
            if (!((enabled >> c) & 1u)) continue;
            float keep = w[c];
            for (int g = 0; g < 8; g++) {
                if (grid[g] == keep) continue;
                w[c] = grid[g];
                double v = eval_weights(x, s, w, sel, n_sel);
                if (v > cur + 1e-12) { cur = v; keep = grid[g]; changed = 1; }
            }
            w[c] = keep;
        }
        if (!changed) break;
    }
}

/* 2-fold CV over users of one combiner method (l2 >= 0: pairwise logistic with that L2; < 0:
 * coordinate ascent) over the components in `enabled`: fit on one half, NDCG on the other. */
static tide_status cv_method(const ctx *x, const store *s, double l2, unsigned enabled, int64_t *const fold[2],
                             const int64_t nf[2], double *out) {
    double tot = 0;
    for (int f = 0; f < 2; f++) {
        float w[TIDE_IC_N];
        if (l2 >= 0) {
            tide_status st = tide_interest_fit_combiner(&s->pp, fold[f], nf[f], enabled, l2, w);
            if (st) return st;
        } else coord_ascent(x, s, enabled, fold[f], nf[f], w);
        tot += eval_weights(x, s, w, fold[1 - f], nf[1 - f]) * (double)nf[1 - f];
    }
    *out = x->n_users ? tot / (double)x->n_users : 0;
    return TIDE_OK;
}

tide_status tide_interest_tune(tide_interest_items *it, const tide_interest_tune_opts *o, tide_interest_params *p,
                               cJSON **report) {
    *report = NULL;
    ctx x = {it, o, NULL, 0};
    const tide_dataset *v = o->valid;
    int64_t N = it->n_items;
    tide_status st = TIDE_OK;
    x.users = tide_malloc((size_t)(v->n_users + 1) * sizeof *x.users);
    if (!x.users) return TIDE_ERR_NOMEM;
    for (int64_t u = 0; u < v->n_users && u < o->train->n_users; u++)
        if (v->indptr[u + 1] > v->indptr[u]) x.users[x.n_users++] = u;
    /* Cap the stored features: every k-th user (deterministic) when they would not fit. */
    size_t per_user = (size_t)TIDE_IC_N * (size_t)N * sizeof(float);
    size_t cap = o->max_feature_bytes ? o->max_feature_bytes : (size_t)2 << 30;
    if ((size_t)x.n_users * per_user > cap) {
        int64_t keep = (int64_t)(cap / per_user), step = (x.n_users + keep - 1) / keep, m = 0;
        for (int64_t q = 0; q < x.n_users; q += step) x.users[m++] = x.users[q];
        tide_log(TIDE_LOG_WARN, "interest: tuning on %lld of %lld valid users (every %lld-th; feature memory cap)",
                 (long long)m, (long long)x.n_users, (long long)step);
        x.n_users = m;
    }
    cJSON *rep = cJSON_CreateObject(), *grid = cJSON_AddArrayToObject(rep, "grid");
    cJSON_AddNumberToObject(rep, "valid_users", (double)x.n_users);
    cJSON_AddNumberToObject(rep, "k", o->k);
    double best, nd;

    /* 1. short-term CF decay (EASE, else kNN) */
    static const double taus[] = {0, 1, 2, 3, 5, 8, 13};
    static const double hls[] = {0, 30, 60, 120, 300, 3600, 86400};
    int cfc = ON(p, TIDE_IC_EASE) ? TIDE_IC_EASE : ON(p, TIDE_IC_KNN) ? TIDE_IC_KNN : -1;
    if (cfc >= 0) {
        best = -1;
        tide_interest_decay keep = p->cf;
        for (int a = 0; a < 7; a++)
            for (int b = 0; b < 7; b++) {
                if ((o->no_position && taus[a] != 0) || (o->no_time && hls[b] != 0)) continue;
                p->cf = (tide_interest_decay){taus[a], hls[b]};
                if ((st = eval_one(&x, p, cfc, &nd))) goto done;
                grid_entry(grid, "cf_decay(tau,half_life)", taus[a], hls[b], nd);
                if (nd > best) { best = nd; keep = p->cf; }
            }
        p->cf = keep;
        tide_log(TIDE_LOG_INFO, "interest: tune cf decay tau %g half-life %gs: valid ndcg@%d %.4f", keep.tau,
                 keep.half_life, o->k, best);
    } else if (o->no_position || o->no_time) {
        if (o->no_position) p->cf.tau = 0;
        if (o->no_time) p->cf.half_life = 0;
    }
    /* 1b. the burst row: short decays only (longer ones are the EASE row's), each judged by
     * EASE row + burst row with equal weights, so it is chosen for what it adds to the EASE row
     * (alone, its best setting would just be the EASE row's own) */
    if (ON(p, TIDE_IC_EASE_BURST) && it->ease) {
        static const double bt[] = {0, 0.5, 1, 2};
        static const double bh[] = {0, 10, 30, 60, 120};
        unsigned with = ON(p, TIDE_IC_EASE) ? 1u << TIDE_IC_EASE : 0;
        best = -1;
        tide_interest_decay keep = p->burst;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 5; b++) {
                if ((a == 0 && b == 0) || (o->no_position && bt[a] != 0) || (o->no_time && bh[b] != 0)) continue;
                p->burst = (tide_interest_decay){bt[a], bh[b]};
                if ((st = eval_mix(&x, p, TIDE_IC_EASE_BURST, with, &nd))) goto done;
                grid_entry(grid, with ? "burst(tau,half_life)+ease" : "burst(tau,half_life)", bt[a], bh[b], nd);
                if (nd > best) { best = nd; keep = p->burst; }
            }
        p->burst = keep;
        tide_log(TIDE_LOG_INFO, "interest: tune burst decay tau %g half-life %gs: valid ndcg@%d %.4f (with the EASE row)",
                 keep.tau, keep.half_life, o->k, best);
    }
    /* 1c. the session EASE row's decay, by its own valid NDCG */
    if (ON(p, TIDE_IC_SESSION) && it->sess) {
        static const double st_[] = {0, 1, 2, 3, 8};
        static const double sh[] = {0, 30, 60, 300, 3600};
        best = -1;
        tide_interest_decay keep = p->session;
        for (int a = 0; a < 5; a++)
            for (int b = 0; b < 5; b++) {
                if ((o->no_position && st_[a] != 0) || (o->no_time && sh[b] != 0)) continue;
                p->session = (tide_interest_decay){st_[a], sh[b]};
                if ((st = eval_one(&x, p, TIDE_IC_SESSION, &nd))) goto done;
                grid_entry(grid, "session(tau,half_life)", st_[a], sh[b], nd);
                if (nd > best) { best = nd; keep = p->session; }
            }
        p->session = keep;
        tide_log(TIDE_LOG_INFO, "interest: tune session decay tau %g half-life %gs: valid ndcg@%d %.4f", keep.tau,
                 keep.half_life, o->k, best);
    }
    /* 2. transitions */
    if (ON(p, TIDE_IC_TRANS)) {
        static const double tt[] = {0.5, 1, 2, 4};
        static const double th[] = {0, 60, 600, 3600};   /* time decay of the last events' weight */
        static const int tg[] = {2, 1, 3, 5};              /* the table: pairs up to this gap apart */
        static const double tb[] = {0, 0.5};               /* ... and reverse pairs at this weight */
        best = -1;
        double keep = p->trans_tau, keeph = p->trans_half_life, keepb = p->trans_back;
        int keepg = p->trans_gap;
        for (int g = 0; g < 4; g++)
            for (int r = 0; r < 2; r++) {
                p->trans_gap = tg[g];
                p->trans_back = tb[r];
                if ((st = tide_interest_fit_transitions(o->train, p, it))) goto done;
                for (int a = 0; a < 4; a++)
                    for (int b = 0; b < 4; b++) {
                        if ((o->no_position && a != 3) || (o->no_time && th[b] != 0)) continue;
                        p->trans_tau = tt[a];
                        p->trans_half_life = th[b];
                        if ((st = eval_one(&x, p, TIDE_IC_TRANS, &nd))) goto done;
                        cJSON *e = grid_entry(grid, "trans(tau,half_life)", tt[a], th[b], nd);
                        cJSON_AddNumberToObject(e, "gap", tg[g]);
                        cJSON_AddNumberToObject(e, "back", tb[r]);
                        if (nd > best) { best = nd; keep = tt[a]; keeph = th[b]; keepg = tg[g]; keepb = tb[r]; }
                    }
            }
        p->trans_tau = keep;
        p->trans_half_life = keeph;
        p->trans_gap = keepg;
        p->trans_back = keepb;
        if ((st = tide_interest_fit_transitions(o->train, p, it))) goto done;
        tide_log(TIDE_LOG_INFO, "interest: tune transitions gap %d back %g tau %g half-life %gs: valid ndcg@%d %.4f", keepg,
                 keepb, keep, keeph, o->k, best);
        if (o->no_position) { p->trans_tau = 1e9; }   /* flat over the last events */
    }
    /* 3. content decay (TF-IDF, else LM) */
    int cc = ON(p, TIDE_IC_TFIDF) && it->tfidf ? TIDE_IC_TFIDF : ON(p, TIDE_IC_LM) && it->lm ? TIDE_IC_LM : -1;
    if (cc >= 0) {
        static const double ct[] = {0, 1, 2, 5, 10, 20};   /* tau 1: little more than the last item */
        static const double ch[] = {0, 600, 86400, 30 * 86400.0};
        best = -1;
        tide_interest_decay keep = p->content;
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 4; b++) {
                if ((o->no_position && ct[a] != 0) || (o->no_time && ch[b] != 0)) continue;
                p->content = (tide_interest_decay){ct[a], ch[b]};
                if ((st = eval_one(&x, p, cc, &nd))) goto done;
                grid_entry(grid, "content_decay(tau,half_life)", ct[a], ch[b], nd);
                if (nd > best) { best = nd; keep = p->content; }
            }
        p->content = keep;
    } else {
        if (o->no_position) p->content.tau = 0;
        if (o->no_time) p->content.half_life = 0;
    }
    /* 4. clusters: decay of their mass and K */
    if (ON(p, TIDE_IC_CLUSTER) && it->sp) {
        static const double kt[] = {0, 10, 30};
        static const int ks[] = {1, 2, 4, 8};
        best = -1;
        tide_interest_decay keep = p->cluster;
        int keepk = p->max_clusters, kmax = p->max_clusters;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 4; b++) {
                if ((o->no_position && kt[a] != 0) || ks[b] > kmax) continue;
                p->cluster = (tide_interest_decay){kt[a], o->no_time ? 0 : p->cluster.half_life};
                p->max_clusters = ks[b];
                if ((st = eval_one(&x, p, TIDE_IC_CLUSTER, &nd))) goto done;
                grid_entry(grid, "cluster(tau,K)", kt[a], ks[b], nd);
                if (nd > best) { best = nd; keep = p->cluster; keepk = ks[b]; }
            }
        p->cluster = keep;
        p->max_clusters = keepk;
    }
    /* 5. the user's words */
    if (ON(p, TIDE_IC_WORDS) && it->lm && o->text_vectors) {
        static const double wh[] = {0, 86400, 30 * 86400.0, 365 * 86400.0};
        best = -1;
        double keep = p->words_half_life;
        for (int a = 0; a < 4; a++) {
            if (o->no_time && wh[a] != 0) continue;
            p->words_half_life = wh[a];
            if ((st = eval_one(&x, p, TIDE_IC_WORDS, &nd))) goto done;
            grid_entry(grid, "words_half_life", wh[a], 0, nd);
            if (nd > best) { best = nd; keep = wh[a]; }
        }
        p->words_half_life = keep;
    }
    /* 6. contextual popularity's kernel */
    if (ON(p, TIDE_IC_POP) && it->pop) {
        static const double ph[] = {86400, 7 * 86400.0, 30 * 86400.0, 180 * 86400.0};
        best = -1;
        double keep = p->pop_half_life;
        for (int a = 0; a < 4; a++) {
            tide_pop_context_free(it->pop);
            if ((st = tide_pop_context_init(it->pop, N, ph[a], TIDE_KERNEL_TWO_SIDED, it->pop_indptr, it->pop_times,
                                            it->pop_weights, "training events")))
                goto done;
            p->pop_half_life = ph[a];
            if ((st = eval_one(&x, p, TIDE_IC_POP, &nd))) goto done;
            grid_entry(grid, "pop_half_life", ph[a], 0, nd);
            if (nd > best) { best = nd; keep = ph[a]; }
        }
        p->pop_half_life = keep;
        tide_pop_context_free(it->pop);
        if ((st = tide_pop_context_init(it->pop, N, keep, TIDE_KERNEL_TWO_SIDED, it->pop_indptr, it->pop_times,
                                        it->pop_weights, "training events")))
            goto done;
    }
    /* components that cannot run (no LM vectors, no text vectors) are switched off */
    if (!it->lm) p->enabled &= ~((1u << TIDE_IC_LM) | (1u << TIDE_IC_WORDS));
    if (!it->sp) p->enabled &= ~(1u << TIDE_IC_CLUSTER);
    if (!o->text_vectors) p->enabled &= ~(1u << TIDE_IC_WORDS);

    /* 7. the combiner */
    {
        store s;
        if ((st = build_store(&x, p, &s))) { store_free(&s); goto done; }
        cJSON *alone = cJSON_AddObjectToObject(rep, "valid_ndcg_alone");
        float w1[TIDE_IC_N];
        for (int c = 0; c < TIDE_IC_N; c++) {
            if (!ON(p, c)) continue;
            for (int d = 0; d < TIDE_IC_N; d++) w1[d] = d == c;
            cJSON_AddNumberToObject(alone, tide_interest_component_name(c), eval_weights(&x, &s, w1, NULL, 0));
        }
        for (int c = 0; c < TIDE_IC_N; c++) w1[c] = ON(p, c) ? 1.0f : 0.0f;
        double eq = eval_weights(&x, &s, w1, NULL, 0);
        cJSON_AddNumberToObject(rep, "valid_ndcg_equal_weights", eq);
        if (o->fixed_weights) {
            memcpy(p->weights, w1, sizeof w1);
            cJSON_AddStringToObject(rep, "combiner", "equal weights (fixed)");
        } else {
            int64_t *fold[2], nf[2] = {0, 0};
            fold[0] = tide_malloc((size_t)(x.n_users + 1) * sizeof(int64_t));
            fold[1] = tide_malloc((size_t)(x.n_users + 1) * sizeof(int64_t));
            if (!fold[0] || !fold[1]) { free(fold[0]); free(fold[1]); store_free(&s); st = TIDE_ERR_NOMEM; goto done; }
            for (int64_t q = 0; q < x.n_users; q++) fold[q & 1][nf[q & 1]++] = q;
            /* Candidates, each scored by 2-fold cross-validation over users (fit on one half,
             * NDCG on the other): pairwise logistic at several L2 strengths (shrinking towards
             * equal weights), and coordinate ascent on NDCG itself. The best is refitted on all
             * valid users. */
            static const double l2s[] = {1e-3, 1e-2, 1e-1, 1};
            double bestcv = -1;
            int bestm = -1;
            cJSON *cv = cJSON_AddArrayToObject(rep, "combiner_cv");
            for (int a = 0; a <= 4; a++) {
                double tot;
                if ((st = cv_method(&x, &s, a < 4 ? l2s[a] : -1, p->enabled, fold, nf, &tot))) break;
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "method", a < 4 ? "pairwise-logistic" : "coordinate-ascent");
                if (a < 4) cJSON_AddNumberToObject(e, "l2", l2s[a]);
                cJSON_AddNumberToObject(e, "ndcg_2fold", tot);
                cJSON_AddItemToArray(cv, e);
                tide_log(TIDE_LOG_INFO, "interest: combiner %s %g: valid ndcg@%d 2-fold CV %.4f",
                         a < 4 ? "pairwise-logistic l2" : "coordinate-ascent", a < 4 ? l2s[a] : 0.0, o->k, tot);
                if (tot > bestcv) { bestcv = tot; bestm = a; }
            }
            /* Backward elimination (with the chosen method, same folds): while dropping some
             * component does not lower the cross-validated NDCG, drop the one whose removal
             * scores best (ties to the earlier component). A component that only adds noise on
             * valid — the users' words, written by ~10% of MovieLens users, were one — then costs
             * nothing at test time, and fewer weights overfit less. Off with keep_components
             * (and with fixed weights, where nothing is fitted). */
            cJSON *dropped = cJSON_AddArrayToObject(rep, "combiner_dropped");
            while (!st && !o->keep_components) {
                int on = 0, bc = -1;
                double bv = -1;
                for (int c = 0; c < TIDE_IC_N; c++) on += ON(p, c);
                if (on <= 1) break;
                for (int c = 0; c < TIDE_IC_N && !st; c++) {
                    if (!ON(p, c)) continue;
                    double tot;
                    if ((st = cv_method(&x, &s, bestm < 4 ? l2s[bestm] : -1, p->enabled & ~(1u << c), fold, nf, &tot))) break;
                    tide_log(TIDE_LOG_INFO, "interest: combiner without %s: valid ndcg@%d 2-fold CV %.4f",
                             tide_interest_component_name(c), o->k, tot);
                    if (tot > bv) { bv = tot; bc = c; }
                }
                if (st || bc < 0 || bv < bestcv) break;
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "component", tide_interest_component_name(bc));
                cJSON_AddNumberToObject(e, "ndcg_2fold_without", bv);
                cJSON_AddNumberToObject(e, "ndcg_2fold_with", bestcv);
                cJSON_AddItemToArray(dropped, e);
                tide_log(TIDE_LOG_INFO, "interest: combiner drops %s: valid ndcg@%d 2-fold CV %.4f -> %.4f",
                         tide_interest_component_name(bc), o->k, bestcv, bv);
                p->enabled &= ~(1u << bc);
                bestcv = bv;
            }
            free(fold[0]);
            free(fold[1]);
            if (st) { store_free(&s); goto done; }
            if (bestm < 4) {
                p->combiner_l2 = l2s[bestm];
                if ((st = tide_interest_fit_combiner(&s.pp, NULL, 0, p->enabled, l2s[bestm], p->weights))) { store_free(&s); goto done; }
            } else coord_ascent(&x, &s, p->enabled, NULL, 0, p->weights);
            cJSON_AddStringToObject(rep, "combiner", bestm < 4 ? "pairwise-logistic" : "coordinate-ascent");
            cJSON_AddNumberToObject(rep, "valid_ndcg_combiner_cv", bestcv);
            cJSON_AddNumberToObject(rep, "valid_ndcg_combiner_in_sample", eval_weights(&x, &s, p->weights, NULL, 0));
            tide_log(TIDE_LOG_INFO, "interest: combiner %s: valid ndcg@%d 2-fold CV %.4f (equal weights %.4f)",
                     bestm < 4 ? "pairwise-logistic" : "coordinate-ascent", o->k, bestcv, eq);
        }
        store_free(&s);
    }
done:
    free(x.users);
    if (st) cJSON_Delete(rep);
    else *report = rep;
    return st;
}
