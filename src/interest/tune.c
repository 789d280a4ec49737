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

static int cmp_f64(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
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
    double *gv[TIDE_IG_N];     /* each user's gate values (tide_interest_gate_value), [1..] */
    tide_interest_pairs pp;
} store;

static void store_free(store *s) {
    free(s->F);
    free(s->ex_indptr);
    free(s->ex);
    free(s->ex_n);
    for (int g = 0; g < TIDE_IG_N; g++) free(s->gv[g]);
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
    for (int g = 1; g < TIDE_IG_N; g++)
        if (!(s->gv[g] = tide_calloc((size_t)U + 1, sizeof *s->gv[g]))) return TIDE_ERR_NOMEM;
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
            for (int g = 1; g < TIDE_IG_N; g++) s->gv[g][q] = tide_interest_gate_value(g, &h);
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

/* Mean NDCG over users `sel` (indices into the store; NULL = all) with weights w, or, for the
 * users q with grp[q] set (grp may be NULL), w2. */
static double eval_weights_g(const ctx *x, const store *s, const float *w, const float *w2, const uint8_t *grp,
                             const int64_t *sel, int64_t n_sel) {
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
            tide_interest_combine(s->F + (size_t)q * C * N, N, grp && grp[q] ? w2 : w, score);
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

static double eval_weights(const ctx *x, const store *s, const float *w, const int64_t *sel, int64_t n_sel) {
    return eval_weights_g(x, s, w, NULL, NULL, sel, n_sel);
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
static void coord_ascent(const ctx *x, const store *s, unsigned enabled, const int64_t *sel, int64_t n_sel,
                         const float *start, float *w) {
    static const float grid[] = {0, 0.125f, 0.25f, 0.5f, 1, 2, 4, 8};
    for (int c = 0; c < TIDE_IC_N; c++) w[c] = (enabled >> c) & 1u ? (start ? start[c] : 1.0f) : 0.0f;
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

/* Cross-validation folds over the tuning users: user q is in fold q mod F; tr[f] lists the
 * others (fit), te[f] the fold (score). */
typedef struct {
    int F;
    int64_t *tr[TIDE_INTEREST_MAX_FOLDS], *te[TIDE_INTEREST_MAX_FOLDS], ntr[TIDE_INTEREST_MAX_FOLDS],
        nte[TIDE_INTEREST_MAX_FOLDS];
} folds;

static void folds_free(folds *fo) {
    for (int f = 0; f < fo->F; f++) { free(fo->tr[f]); free(fo->te[f]); }
}

static tide_status folds_make(int64_t n, int F, folds *fo) {
    memset(fo, 0, sizeof *fo);
    fo->F = F;
    for (int f = 0; f < F; f++) {
        fo->tr[f] = tide_malloc((size_t)(n + 1) * sizeof(int64_t));
        fo->te[f] = tide_malloc((size_t)(n + 1) * sizeof(int64_t));
        if (!fo->tr[f] || !fo->te[f]) { folds_free(fo); return TIDE_ERR_NOMEM; }
        for (int64_t q = 0; q < n; q++) {
            if (q % F == f) fo->te[f][fo->nte[f]++] = q;
            else fo->tr[f][fo->ntr[f]++] = q;
        }
    }
    return TIDE_OK;
}

/* The combiner's candidate methods: pairwise logistic at each L2 (shrinking towards equal
 * weights, or a centre), the same with LambdaRank pair weights, and coordinate ascent on NDCG. */
static const double l2s[] = {1e-3, 1e-2, 1e-1, 1};
enum { N_L2 = 4, M_LOGISTIC = 0, M_LAMBDA = N_L2, M_CA = 2 * N_L2, N_METHODS };
#define LAMBDA_ROUNDS 3

static const char *method_name(int m) {
    return m < M_LAMBDA ? "pairwise-logistic" : m < M_CA ? "lambdarank" : "coordinate-ascent";
}
static double method_l2(int m) { return m < M_CA ? l2s[m % N_L2] : 0; }

/* Fit method m on the users `sel` (NULL = all), from `center` (NULL = equal weights) — the
 * logistic ones are also pulled towards it by their L2 (`l2`, or the method's when < 0). */
static tide_status fit_method(const ctx *x, const store *s, int m, double l2, unsigned enabled, const int64_t *sel,
                              int64_t n, const float *center, float *w) {
    if (m < M_CA)
        return tide_interest_fit_combiner_ex(&s->pp, sel, n, enabled, l2 >= 0 ? l2 : method_l2(m), center,
                                             m >= M_LAMBDA ? LAMBDA_ROUNDS : 0, w);
    coord_ascent(x, s, enabled, sel, n, center, w);
    return TIDE_OK;
}

/* Cross-validated NDCG of one combiner method over the components in `enabled`: fit on the
 * other folds, NDCG on each fold in turn. With a gate (grp: the users above its threshold, NULL
 * = none), each side's weights are fitted on that side's users only, starting from (and, for
 * the logistic ones, shrunk towards, with L2 side_l2; < 0: the method's) the weights fitted on
 * everyone, so a small side stays near them. */
static tide_status cv_method(const ctx *x, const store *s, int meth, unsigned enabled, const folds *fo,
                             const uint8_t *grp, double side_l2, double *out) {
    double tot = 0;
    int64_t *side = NULL;
    if (grp && !(side = tide_malloc((size_t)(x->n_users + 1) * sizeof *side))) return TIDE_ERR_NOMEM;
    for (int f = 0; f < fo->F; f++) {
        float w[TIDE_IC_N], wg[2][TIDE_IC_N];
        tide_status st = fit_method(x, s, meth, -1, enabled, fo->tr[f], fo->ntr[f], NULL, w);
        if (st) { free(side); return st; }
        if (!grp) {
            tot += eval_weights(x, s, w, fo->te[f], fo->nte[f]) * (double)fo->nte[f];
            continue;
        }
        for (int g = 0; g < 2; g++) {
            int64_t m = 0;
            for (int64_t r = 0; r < fo->ntr[f]; r++)
                if (grp[fo->tr[f][r]] == g) side[m++] = fo->tr[f][r];
            if ((st = fit_method(x, s, meth, side_l2, enabled, side, m, w, wg[g]))) { free(side); return st; }
        }
        tot += eval_weights_g(x, s, wg[0], wg[1], grp, fo->te[f], fo->nte[f]) * (double)fo->nte[f];
    }
    free(side);
    *out = x->n_users ? tot / (double)x->n_users : 0;
    return TIDE_OK;
}

/* One decay's grid: every (tau, half-life) point that the ablations leave on, scored by component
 * c's own valid NDCG with *d (a field of p) set to it; *d ends at the best point (the first of
 * equal ones), whose NDCG goes to *best (-1 when no point ran, and *d is as it was). */
static tide_status decay_grid(const ctx *x, tide_interest_params *p, tide_interest_decay *d, int c, const double *taus,
                              int nt, const double *hls, int nh, const char *label, cJSON *grid, double *best) {
    const tide_interest_tune_opts *o = x->o;
    tide_interest_decay keep = *d;
    *best = -1;
    for (int a = 0; a < nt; a++)
        for (int b = 0; b < nh; b++) {
            if ((o->no_position && taus[a] != 0) || (o->no_time && hls[b] != 0)) continue;
            *d = (tide_interest_decay){taus[a], hls[b]};
            double nd;
            tide_status st = eval_one(x, p, c, &nd);
            if (st) { *d = keep; return st; }
            grid_entry(grid, label, taus[a], hls[b], nd);
            if (nd > *best) { *best = nd; keep = *d; }
        }
    *d = keep;
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
        if ((st = decay_grid(&x, p, &p->cf, cfc, taus, 7, hls, 7, "cf_decay(tau,half_life)", grid, &best))) goto done;
        tide_log(TIDE_LOG_INFO, "interest: tune cf decay tau %g half-life %gs: valid ndcg@%d %.4f", p->cf.tau,
                 p->cf.half_life, o->k, best);
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
        if ((st = decay_grid(&x, p, &p->session, TIDE_IC_SESSION, st_, 5, sh, 5, "session(tau,half_life)", grid, &best)))
            goto done;
        tide_log(TIDE_LOG_INFO, "interest: tune session decay tau %g half-life %gs: valid ndcg@%d %.4f", p->session.tau,
                 p->session.half_life, o->k, best);
    }
    /* 1d. seq: λ and the target window refit B (each point one fit), judged with the scoring
     * decay equal to the fit's; then the scoring decay alone on the chosen B */
    if (ON(p, TIDE_IC_SEQ) && it->seq) {
        static const double sl[] = {100, 300, 1000};
        static const int sg[] = {1, 3, 5};
        static const double qt[] = {0, 1, 2, 3, 5};
        static const double qh[] = {0, 60, 600, 3600};
        if (o->no_position) p->seq_fit.tau = 0;
        if (o->no_time) p->seq_fit.half_life = 0;
        tide_interest_decay fit = p->seq_fit;
        double keepl = p->seq_lambda;
        int keepg = p->seq_gap;
        best = -1;
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                p->seq_lambda = sl[a];
                p->seq_gap = sg[b];
                p->seq = fit;
                free(it->seq);
                it->seq = NULL;
                if ((st = tide_interest_fit_seq(o->train, p, 0, &it->seq))) goto done;
                if ((st = eval_one(&x, p, TIDE_IC_SEQ, &nd))) goto done;
                grid_entry(grid, "seq(lambda,gap)", sl[a], sg[b], nd);
                if (nd > best) { best = nd; keepl = sl[a]; keepg = sg[b]; }
            }
        p->seq_lambda = keepl;
        p->seq_gap = keepg;
        free(it->seq);
        it->seq = NULL;
        if ((st = tide_interest_fit_seq(o->train, p, 0, &it->seq))) goto done;
        /* the fit's own decay scored best so far: a scoring decay replaces it only when better */
        double fitbest = best;
        p->seq = fit;
        if ((st = decay_grid(&x, p, &p->seq, TIDE_IC_SEQ, qt, 5, qh, 4, "seq(tau,half_life)", grid, &best))) goto done;
        if (!(best > fitbest)) { p->seq = fit; best = fitbest; }
        tide_log(TIDE_LOG_INFO, "interest: tune seq lambda %g gap %d, decay tau %g half-life %gs: valid ndcg@%d %.4f",
                 keepl, keepg, p->seq.tau, p->seq.half_life, o->k, best);
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
        if ((st = decay_grid(&x, p, &p->content, cc, ct, 6, ch, 4, "content_decay(tau,half_life)", grid, &best))) goto done;
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
            folds fo;
            int F = o->cv_folds > 0 ? o->cv_folds : 5;
            if (F > TIDE_INTEREST_MAX_FOLDS) F = TIDE_INTEREST_MAX_FOLDS;
            if (F > x.n_users) F = x.n_users > 1 ? (int)x.n_users : 2;
            if ((st = folds_make(x.n_users, F, &fo))) { store_free(&s); goto done; }
            cJSON_AddNumberToObject(rep, "combiner_cv_folds", F);
            /* Candidates, each scored by 2-fold cross-validation over users (fit on one half,
             * NDCG on the other): pairwise logistic at several L2 strengths (shrinking towards
             * equal weights), and coordinate ascent on NDCG itself. The best is refitted on all
             * valid users. */
            double bestcv = -1;
            int bestm = -1;
            cJSON *cv = cJSON_AddArrayToObject(rep, "combiner_cv");
            for (int a = 0; a < N_METHODS; a++) {
                double tot;
                if ((st = cv_method(&x, &s, a, p->enabled, &fo, NULL, -1, &tot))) break;
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "method", method_name(a));
                if (a < M_CA) cJSON_AddNumberToObject(e, "l2", method_l2(a));
                cJSON_AddNumberToObject(e, "ndcg_cv", tot);
                cJSON_AddItemToArray(cv, e);
                tide_log(TIDE_LOG_INFO, "interest: combiner %s l2 %g: valid ndcg@%d %d-fold CV %.4f", method_name(a),
                         method_l2(a), o->k, F, tot);
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
                    if ((st = cv_method(&x, &s, bestm, p->enabled & ~(1u << c), &fo, NULL, -1, &tot))) break;
                    tide_log(TIDE_LOG_INFO, "interest: combiner without %s: valid ndcg@%d %d-fold CV %.4f",
                             tide_interest_component_name(c), o->k, F, tot);
                    if (tot > bv) { bv = tot; bc = c; }
                }
                if (st || bc < 0 || bv < bestcv) break;
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "component", tide_interest_component_name(bc));
                cJSON_AddNumberToObject(e, "ndcg_cv_without", bv);
                cJSON_AddNumberToObject(e, "ndcg_cv_with", bestcv);
                cJSON_AddItemToArray(dropped, e);
                tide_log(TIDE_LOG_INFO, "interest: combiner drops %s: valid ndcg@%d %d-fold CV %.4f -> %.4f",
                         tide_interest_component_name(bc), o->k, F, bestcv, bv);
                p->enabled &= ~(1u << bc);
                bestcv = bv;
            }
            /* The gate: the right mix may depend on the user's state — mid-burst (seconds since
             * the previous event) or returning after a pause, a short or a long history. Each
             * candidate splits the users in two at a threshold and fits each side's weights on
             * that side (from the weights fitted on everyone); it is kept only when its
             * cross-validated NDCG (same folds, same method, the components left by elimination)
             * beats the single combiner's. Thresholds: fixed for the gap (a burst is seconds to
             * minutes), the tuning users' quartiles for the history length; a split leaving
             * under 10% of the users on a side is not tried. */
            double gate_cv = bestcv, gate_thr = 0, gate_l2 = -1;
            int gate_by = TIDE_IG_NONE;
            uint8_t *grp = NULL;
            if (!st && !o->no_gate) {
                grp = tide_malloc((size_t)x.n_users + 1);
                double *sorted = tide_malloc((size_t)(x.n_users + 1) * sizeof *sorted);
                if (!grp || !sorted) st = TIDE_ERR_NOMEM;
                cJSON *gates = cJSON_AddArrayToObject(rep, "combiner_gates");
                for (int by = 1; by < TIDE_IG_N && !st; by++) {
                    double thr[5];
                    int nt = 0;
                    if (by == TIDE_IG_GAP) {
                        static const double gaps[] = {60, 300, 3600, 86400, 7 * 86400.0};
                        for (int t = 0; t < 5; t++) thr[nt++] = gaps[t];
                    } else {
                        memcpy(sorted, s.gv[by], (size_t)x.n_users * sizeof *sorted);
                        qsort(sorted, (size_t)x.n_users, sizeof *sorted, cmp_f64);
                        for (int qt = 1; qt <= 3; qt++) thr[nt++] = sorted[(size_t)x.n_users * (size_t)qt / 4];
                    }
                    for (int t = 0; t < nt && !st; t++) {
                        int64_t above = 0;
                        for (int64_t q = 0; q < x.n_users; q++) above += grp[q] = s.gv[by][q] > thr[t];
                        if (above < x.n_users / 10 || x.n_users - above < x.n_users / 10) continue;
                        /* the logistic sides' pull towards the everyone-weights: the method's own
                         * L2, or stronger (coordinate ascent has none: one point) */
                        double sl2[3] = {-1, 1, 10};
                        int nsl = bestm < M_CA ? 3 : 1;
                        for (int vi = 0; vi < nsl && !st; vi++) {
                            if (vi > 0 && sl2[vi] <= method_l2(bestm)) continue;
                            double tot;
                            if ((st = cv_method(&x, &s, bestm, p->enabled, &fo, grp, sl2[vi], &tot))) break;
                            double l2v = bestm < M_CA ? (sl2[vi] < 0 ? method_l2(bestm) : sl2[vi]) : 0;
                            cJSON *e = cJSON_CreateObject();
                            cJSON_AddStringToObject(e, "by", tide_interest_gate_name(by));
                            cJSON_AddNumberToObject(e, "threshold", thr[t]);
                            cJSON_AddNumberToObject(e, "users_above", (double)above);
                            if (bestm < M_CA) cJSON_AddNumberToObject(e, "side_l2", l2v);
                            cJSON_AddNumberToObject(e, "ndcg_cv", tot);
                            cJSON_AddItemToArray(gates, e);
                            tide_log(TIDE_LOG_INFO, "interest: combiner gated by %s > %g (%lld of %lld users, side l2 %g): valid ndcg@%d %d-fold CV %.4f",
                                     tide_interest_gate_name(by), thr[t], (long long)above, (long long)x.n_users, l2v, o->k, F, tot);
                            if (tot > gate_cv) { gate_cv = tot; gate_by = by; gate_thr = thr[t]; gate_l2 = sl2[vi]; }
                        }
                    }
                }
                free(sorted);
            }
            folds_free(&fo);
            if (st) { free(grp); store_free(&s); goto done; }
            if (bestm < M_CA) p->combiner_l2 = method_l2(bestm);
            if ((st = fit_method(&x, &s, bestm, -1, p->enabled, NULL, 0, NULL, p->weights))) { free(grp); store_free(&s); goto done; }
            p->gate_by = gate_by;
            p->gate_threshold = gate_thr;
            memset(p->gate_weights, 0, sizeof p->gate_weights);
            if (gate_by != TIDE_IG_NONE) {
                /* refit both sides on all valid users, from the weights fitted on everyone */
                float all[TIDE_IC_N];
                memcpy(all, p->weights, sizeof all);
                int64_t *side = tide_malloc((size_t)(x.n_users + 1) * sizeof *side);
                if (!side) st = TIDE_ERR_NOMEM;
                for (int g = 0; g < 2 && !st; g++) {
                    int64_t m = 0;
                    for (int64_t q = 0; q < x.n_users; q++)
                        if ((s.gv[gate_by][q] > gate_thr) == g) side[m++] = q;
                    st = fit_method(&x, &s, bestm, gate_l2, p->enabled, side, m, all, g ? p->gate_weights : p->weights);
                }
                free(side);
                if (st) { free(grp); store_free(&s); goto done; }
                for (int64_t q = 0; q < x.n_users; q++) grp[q] = s.gv[gate_by][q] > gate_thr;
                cJSON *g = cJSON_AddObjectToObject(rep, "combiner_gate");
                cJSON_AddStringToObject(g, "by", tide_interest_gate_name(gate_by));
                cJSON_AddNumberToObject(g, "threshold", gate_thr);
                if (bestm < M_CA) cJSON_AddNumberToObject(g, "side_l2", gate_l2 < 0 ? method_l2(bestm) : gate_l2);
                cJSON_AddNumberToObject(g, "ndcg_cv", gate_cv);
                cJSON_AddNumberToObject(g, "ndcg_cv_ungated", bestcv);
                tide_log(TIDE_LOG_INFO, "interest: combiner gated by %s > %g: valid ndcg@%d %d-fold CV %.4f (one combiner %.4f)",
                         tide_interest_gate_name(gate_by), gate_thr, o->k, F, gate_cv, bestcv);
            }
            cJSON_AddStringToObject(rep, "combiner", method_name(bestm));
            cJSON_AddNumberToObject(rep, "valid_ndcg_combiner_cv", gate_cv);
            cJSON_AddNumberToObject(rep, "valid_ndcg_combiner_in_sample",
                                    eval_weights_g(&x, &s, p->weights, p->gate_weights, gate_by ? grp : NULL, NULL, 0));
            tide_log(TIDE_LOG_INFO, "interest: combiner %s: valid ndcg@%d %d-fold CV %.4f (equal weights %.4f)",
                     method_name(bestm), o->k, F, gate_cv, eq);
            free(grp);
        }
        store_free(&s);
    }
done:
    free(x.users);
    if (st) cJSON_Delete(rep);
    else *report = rep;
    return st;
}
