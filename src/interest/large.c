/* large.c — the interest scorer's large-catalogue regime (large.h states the formula): one
 * user's queries and z-score statistics, the per-item score, and an exact top-K that does not
 * score every item.
 *
 * Why a second regime: at 100,000 items scoring a user over all items costs ~70 ms, nearly all
 * of it the LM matrix scanned once for the profile and once per interest cluster. The score is
 * a sum of per-component terms, each monotone in that component's raw score, and the dense raw
 * scores are dot products with item vectors: an int8 copy of each item matrix bounds every dot
 * of every query in one pass (tide_qmulti, the rigorous bound of tide/qscan.h), so each item gets
 * an upper bound of its score. A few items with the highest bounds are scored exactly; their
 * kk-th best exact score T is a threshold every item of the true top-kk reaches, so only items
 * whose bound reaches T are scored exactly (the popularity term, bounded first by the item's
 * maximum over all times, is then evaluated exactly before the dense dots are). The scored
 * items enter the engine's running top-K in column order, as the full scan's do: same items,
 * scores and ties. The z-score statistics of the dense components come from a fixed sample of
 * items (their int8 pre-scores: exact integer dots, so every SIMD path gives the same bits),
 * because computing them over all items would be the full scan again. Why "the kk-th best
 * exact score": an item whose bound is below T is beaten strictly by kk scored items, under any
 * tie rule.
 *
 * All bounds are computed in double and widened by 1e-5 of the terms' magnitudes, far above the
 * fp32 rounding of the formula (a few units of 2^-24 per operation). Compiled without FP
 * contraction, so the formula's bits do not depend on the compiler's choices. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "interest-impl.h"
#include "large.h"
#include "tide/qscan.h"
#include "tide/retrieval.h"
#include "tide/clones.h"

#define ON(p, c) (((p)->enabled >> (c)) & 1u)
#define SLACK 1e-5
#define BLK 256
#define MAXQ (TIDE_INTEREST_MAX_K + 2)
#define SRUN 16
#define TMAX 8   /* threads of one row's int8 pass */
#define POOL 16  /* released blocks kept */
#define POP_RUNS 4
#define POP_ABS 1e-44   /* above the largest float subnormal spacing: a popularity that underflows */

/* Which raw score a component has in this regime. */
enum { K_NONE = 0, K_DENSE, K_CLUSTER, K_POP, K_ROW };

struct tide_ilarge {
    const tide_interest_items *it;
    int64_t N;
    tide_qindex *ix_lm, *ix_tfidf, *ix_als;
    double *pop_lmax;   /* [N] upper bound of log1p(popularity) over all times, or NULL */
    double pop_lmax_max;
    /* [N] popularity at the data's latest event, rounded up: after it no item has an event, so
     * at t >= latest an item's popularity is exactly this × 2^(-(t - latest)/h) — the bound for
     * users whose reference time is past the data (every online event), where the all-times
     * maximum is useless: its 1/sd-scaled slack would let every item through. */
    double *pop_at_latest;
    double pop_at_latest_max;
    double maxn_lm, maxn_tfidf, maxn_als;   /* the largest row norms, rounded up */
    int threads;        /* of one row's int8 pass (tide_ilarge_set_threads) */
    /* Released blocks kept for the next run: tide-serve runs the engine once a request, and a
     * fresh block would fault in its megabytes of scratch every time. */
    pthread_mutex_t mu;
    tide_ilarge_blk *pool[POOL];
    int npool;
    int32_t *sample;
    int64_t ns;
};

/* One query group: the queries of one index. */
typedef struct {
    const tide_qindex *ix;
    int nq;
    int comp[MAXQ + 2];     /* component of query t (clusters repeat TIDE_IC_CLUSTER) */
    int cq[MAXQ + 2];       /* its centroid for the cluster component */
    tide_qmulti *m;
    double *est;            /* per thread of the pass: [nq, BLK] int8 estimates (TMAX of them) */
} qgroup;

struct tide_ilarge_blk {
    float *feats;       /* [TIDE_IC_N, N]: the row components' rows */
    float *work;
    tide_interest_user st;
    float *prof;        /* [lm_dim + tfidf_dim]: the LM and TF-IDF profiles */
    float *wc;
    int64_t wcap;
    /* the prepared user */
    int kind[TIDE_IC_N];
    int act[TIDE_IC_N];           /* the term is in the score */
    float w[TIDE_IC_N], fm[TIDE_IC_N], inv[TIDE_IC_N];
    double mabs[TIDE_IC_N];       /* >= |s_c(j)| for every item: the slack of the dense and pop terms */
    const float *q[TIDE_IC_N];    /* dense queries (NULL = the zero row) */
    int K;
    float csc[TIDE_INTEREST_MAX_K];
    int64_t tpop;
    double pop_f;       /* INFINITY, or the decay since the data's latest event (pop_at_latest) */
    qgroup G[3];                  /* the dense queries by index */
    int ng, bounded;              /* bounded: every group's queries have int8 bounds */
    float *Q;
    /* top-K scratch, sized by the columns */
    double *hi, *hi2;
    int64_t ccap;
    int32_t *rc;
    float *rv;
    size_t rcap;
};

/* The matrix and dimension of a dense component. */
static const float *dense_matrix(const tide_interest_items *it, int c, int *d) {
    switch (c) {
    case TIDE_IC_ALS: *d = it->als_k; return it->als_items;
    case TIDE_IC_TFIDF: *d = it->tfidf_dim; return it->tfidf;
    case TIDE_IC_LM: case TIDE_IC_WORDS: *d = it->lm_dim; return it->lm;
    case TIDE_IC_CLUSTER: *d = it->sp_dim; return it->sp;
    }
    *d = 0;
    return NULL;
}

static const tide_qindex *dense_index(const tide_ilarge *L, int c) {
    const tide_interest_items *it = L->it;
    const float *M;
    int d;
    M = dense_matrix(it, c, &d);
    if (M && M == it->lm) return L->ix_lm;
    if (M && M == it->tfidf) return L->ix_tfidf;
    if (M && M == it->als_items) return L->ix_als;
    return NULL;
}

void tide_ilarge_set_threads(tide_ilarge *L, int n) { L->threads = n < 1 ? 1 : n > TMAX ? TMAX : n; }

static void blk_destroy(tide_ilarge_blk *B);

void tide_ilarge_free(tide_ilarge *L) {
    if (!L) return;
    for (int i = 0; i < L->npool; i++) blk_destroy(L->pool[i]);
    pthread_mutex_destroy(&L->mu);
    tide_qindex_free(L->ix_lm);
    tide_qindex_free(L->ix_tfidf);
    tide_qindex_free(L->ix_als);
    free(L->pop_lmax);
    free(L->pop_at_latest);
    free(L->sample);
    free(L);
}

/* The largest row norm of M [n, d] (NULL: 0), rounded up. */
static double maxnorm(const float *M, int64_t n, int d) {
    double mx = 0;
    for (int64_t i = 0; M && i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) s += (double)M[(size_t)i * d + j] * M[(size_t)i * d + j];
        if (s > mx) mx = s;
    }
    return sqrt(mx) * (1 + 1e-9);
}

static double qnorm(const float *q, int d) {
    double s = 0;
    for (int j = 0; q && j < d; j++) s += (double)q[j] * q[j];
    return sqrt(s) * (1 + 1e-9);
}

tide_status tide_ilarge_new(const tide_interest_items *it, tide_ilarge **out) {
    *out = NULL;
    tide_ilarge *L = tide_calloc(1, sizeof *L);
    if (!L) return TIDE_ERR_NOMEM;
    L->it = it;
    L->threads = 1;
    pthread_mutex_init(&L->mu, NULL);
    int64_t N = L->N = it->n_items;
    tide_status st = TIDE_OK;
    if (it->lm && (st = tide_qindex_build(it->lm, N, it->lm_dim, &L->ix_lm))) goto fail;
    if (it->tfidf && (st = tide_qindex_build(it->tfidf, N, it->tfidf_dim, &L->ix_tfidf))) goto fail;
    if (it->als_items && (st = tide_qindex_build(it->als_items, N, it->als_k, &L->ix_als))) goto fail;
    L->maxn_lm = maxnorm(it->lm, N, it->lm_dim);
    L->maxn_tfidf = maxnorm(it->tfidf, N, it->tfidf_dim);
    L->maxn_als = maxnorm(it->als_items, N, it->als_k);
    /* the interleaved copies for the VNNI pass (tide/qscan.h) */
    if (L->ix_lm && (st = tide_qindex_interleave(L->ix_lm))) goto fail;
    if (L->ix_tfidf && (st = tide_qindex_interleave(L->ix_tfidf))) goto fail;
    if (L->ix_als && (st = tide_qindex_interleave(L->ix_als))) goto fail;
    if (it->pop) {
        if (!(L->pop_lmax = tide_malloc((size_t)N * sizeof *L->pop_lmax + 1))) { st = TIDE_ERR_NOMEM; goto fail; }
        /* log1p is monotone; the bound is widened for its rounding and the float conversion */
        for (int64_t j = 0; j < N; j++) {
            L->pop_lmax[j] = log1p(tide_pop_context_max(it->pop, j)) * (1 + 1e-6) + 1e-30;
            if (L->pop_lmax[j] > L->pop_lmax_max) L->pop_lmax_max = L->pop_lmax[j];
        }
        if (!(L->pop_at_latest = tide_malloc((size_t)N * sizeof *L->pop_at_latest + 1))) { st = TIDE_ERR_NOMEM; goto fail; }
        for (int64_t j = 0; j < N; j++) {
            L->pop_at_latest[j] = (double)tide_pop_context_score_one(it->pop, j, it->pop->latest) * (1 + 1e-6);
            if (L->pop_at_latest[j] > L->pop_at_latest_max) L->pop_at_latest_max = L->pop_at_latest[j];
        }
    }
    /* The sample: runs of SRUN consecutive items, evenly spaced, ascending (runs, not single items,
     * so the int8 pass reads them as whole interleaved blocks). */
    int64_t runs = N / SRUN < TIDE_INTEREST_STAT_SAMPLE / SRUN ? N / SRUN : TIDE_INTEREST_STAT_SAMPLE / SRUN;
    L->ns = runs > 0 ? runs * SRUN : N;
    if (!(L->sample = tide_malloc((size_t)L->ns * sizeof *L->sample + 1))) { st = TIDE_ERR_NOMEM; goto fail; }
    for (int64_t i = 0; i < L->ns; i++)
        L->sample[i] = runs > 0 ? (int32_t)((i / SRUN) * (N / SRUN) / runs * SRUN + i % SRUN) : (int32_t)i;
    *out = L;
    return TIDE_OK;
fail:
    tide_ilarge_free(L);
    return st;
}

static void blk_destroy(tide_ilarge_blk *B) {
    if (!B) return;
    free(B->feats);
    free(B->work);
    tide_interest_user_free(&B->st);
    free(B->prof);
    free(B->wc);
    free(B->hi);
    free(B->hi2);
    free(B->rc);
    free(B->rv);
    for (int g = 0; g < 3; g++) {
        tide_qmulti_free(B->G[g].m);
        free(B->G[g].est);
    }
    free(B->Q);
    free(B);
}

void tide_ilarge_blk_free(tide_ilarge *L, tide_ilarge_blk *B) {
    if (!B) return;
    pthread_mutex_lock(&L->mu);
    if (L->npool < POOL) {
        L->pool[L->npool++] = B;
        B = NULL;
    }
    pthread_mutex_unlock(&L->mu);
    blk_destroy(B);
}

tide_status tide_ilarge_blk_new(tide_ilarge *L, const tide_interest_params *p, tide_ilarge_blk **out) {
    *out = NULL;
    const tide_interest_items *it = L->it;
    pthread_mutex_lock(&L->mu);
    tide_ilarge_blk *B = L->npool ? L->pool[--L->npool] : NULL;
    pthread_mutex_unlock(&L->mu);
    if (B) {   /* every field a user's preparation reads is rewritten by it */
        *out = B;
        return TIDE_OK;
    }
    B = tide_calloc(1, sizeof *B);
    if (!B) return TIDE_ERR_NOMEM;
    tide_status st = tide_interest_user_alloc(it, p, &B->st);
    B->work = tide_malloc(tide_interest_work_floats(it, p) * sizeof *B->work);
    B->prof = tide_calloc((size_t)it->lm_dim + (size_t)it->tfidf_dim + 1, sizeof *B->prof);
    if (!st && (!B->work || !B->prof)) st = TIDE_ERR_NOMEM;
    if (st) {
        blk_destroy(B);
        return st;
    }
    *out = B;
    return TIDE_OK;
}

/* The raw score of component c for item j (the prepared user). */
static inline float raw(const tide_ilarge *L, const tide_ilarge_blk *B, int c, int64_t j) {
    const tide_interest_items *it = L->it;
    int d;
    float f = 0;
    switch (B->kind[c]) {
    case K_DENSE: {
        const float *M = dense_matrix(it, c, &d);
        if (B->q[c]) tide_qscan_dot(B->q[c], M + (size_t)j * (size_t)d, 1, d, &f);
        return f;
    }
    case K_CLUSTER: {
        const float *M = dense_matrix(it, c, &d);
        float best = -FLT_MAX;
        for (int q = 0; q < B->K; q++) {
            tide_qscan_dot(B->st.centroids + (size_t)q * (size_t)d, M + (size_t)j * (size_t)d, 1, d, &f);
            float v = B->csc[q] * f;
            if (v > best) best = v;
        }
        return B->K ? best : 0;
    }
    case K_POP: return (float)log1p(tide_pop_context_score_one(it->pop, j, B->tpop));
    case K_ROW: return B->feats[(size_t)c * (size_t)L->N + (size_t)j];
    }
    return 0;
}

static inline float term(const tide_ilarge_blk *B, int c, float s) { return B->w[c] * ((s - B->fm[c]) * B->inv[c]); }

float tide_ilarge_score(const tide_ilarge *L, const tide_ilarge_blk *B, int64_t j) {
    float acc = 0;
    for (int c = 0; c < TIDE_IC_N; c++)
        if (B->act[c]) acc = acc + term(B, c, raw(L, B, c, j));
    return acc;
}

void tide_ilarge_terms(const tide_ilarge *L, const tide_ilarge_blk *B, int64_t j, float *terms) {
    for (int c = 0; c < TIDE_IC_N; c++) terms[c] = B->act[c] ? term(B, c, raw(L, B, c, j)) : 0;
}

/* z-score statistics of component c from sums over m items (tide_interest_normalise's rule). */
static void stats(tide_ilarge_blk *B, int c, double s, double s2, double m) {
    B->act[c] = 0;
    if (m < 2) return;
    double mean = s / m, var = s2 / m - mean * mean;
    if (!(var > 1e-12 * (mean * mean + 1e-30))) return;
    B->fm[c] = (float)mean;
    B->inv[c] = (float)(1 / sqrt(var));
    B->act[c] = 1;
}

/* The prepared user's dense queries grouped by index, each group quantised for one int8 pass. */
static tide_status groups(const tide_ilarge *L, tide_ilarge_blk *B) {
    for (int g = 0; g < 3; g++) {
        tide_qmulti_free(B->G[g].m);
        B->G[g].m = NULL;
        B->G[g].nq = 0;
        B->G[g].ix = NULL;
    }
    B->ng = 0;
    B->bounded = 1;
    for (int c = 0; c < TIDE_IC_N; c++) {
        int nq = B->kind[c] == K_CLUSTER ? B->K : B->kind[c] == K_DENSE && B->q[c] ? 1 : 0;
        if (!nq) continue;
        const tide_qindex *ix = dense_index(L, c);
        if (!ix) { B->bounded = 0; continue; }
        int g = 0;
        while (g < B->ng && B->G[g].ix != ix) g++;
        if (g == B->ng) B->G[B->ng++].ix = ix;
        for (int q = 0; q < nq; q++) {
            B->G[g].comp[B->G[g].nq] = c;
            B->G[g].cq[B->G[g].nq] = q;
            B->G[g].nq++;
        }
    }
    size_t per = BLK;
    for (int g = 0; g < B->ng; g++) {
        qgroup *G = &B->G[g];
        int64_t d = tide_qindex_dim(G->ix);
        float *x = realloc(B->Q, (size_t)G->nq * (size_t)d * sizeof *x);
        if (!x) return TIDE_ERR_NOMEM;
        B->Q = x;
        for (int t = 0; t < G->nq; t++) {
            int c = G->comp[t];
            const float *q = c == TIDE_IC_CLUSTER ? B->st.centroids + (size_t)G->cq[t] * (size_t)d : B->q[c];
            memcpy(x + (size_t)t * (size_t)d, q, (size_t)d * sizeof *x);
        }
        tide_status st = tide_qmulti_new(G->ix, x, G->nq, &G->m);
        if (st) return st;
        if (!G->m) B->bounded = 0;   /* a query that cannot be bounded: exact dots instead */
        if (!G->est && !(G->est = tide_malloc((size_t)TMAX * (size_t)MAXQ * per * sizeof *G->est))) return TIDE_ERR_NOMEM;
    }
    return TIDE_OK;
}

tide_status tide_ilarge_user(const tide_ilarge *L, const tide_interest_params *p, const tide_interest_history *h,
                             const int32_t *excl, int64_t ne, tide_ilarge_blk *B) {
    const tide_interest_items *it = L->it;
    int64_t N = L->N, n = h->n;
    /* Which components score, and how. */
    unsigned rows = 0;
    const float *wt = tide_interest_weights_for(p, h);   /* the settings' gate picks the user's weights */
    for (int c = 0; c < TIDE_IC_N; c++) {
        B->kind[c] = K_NONE;
        B->act[c] = 0;
        B->q[c] = NULL;
        B->w[c] = wt[c];
        if (!ON(p, c) || wt[c] == 0) continue;
        int d;
        switch (c) {
        case TIDE_IC_ALS: case TIDE_IC_TFIDF: case TIDE_IC_LM:
            if (dense_matrix(it, c, &d) && n > 0) B->kind[c] = K_DENSE;
            break;
        case TIDE_IC_WORDS:
            if (it->lm && it->sp == it->lm) B->kind[c] = K_DENSE;
            break;
        case TIDE_IC_CLUSTER:
            if (it->sp && n > 0) B->kind[c] = K_CLUSTER;
            break;
        case TIDE_IC_POP:
            if (it->pop) B->kind[c] = K_POP;
            break;
        default:
            B->kind[c] = K_ROW;
            rows |= 1u << c;
        }
    }
    /* The state (profiles, clusters, the ALS fold-in, the words) and the row components' rows:
     * tide_interest_features with only the row components on, so no dense row is scanned. */
    tide_interest_params pr = *p;
    pr.enabled = rows;
    if (rows && !B->feats && !(B->feats = tide_malloc((size_t)TIDE_IC_N * (size_t)N * sizeof *B->feats)))
        return TIDE_ERR_NOMEM;
    tide_status st = tide_interest_features(it, &pr, h, rows ? B->feats : NULL, B->work, &B->st);
    if (st) return st;
    if (n > B->wcap) {
        float *x = realloc(B->wc, (size_t)n * sizeof *x);
        if (!x) return TIDE_ERR_NOMEM;
        B->wc = x;
        B->wcap = n;
    }
    if (n) tide_interest_history_weights(&p->content, h->times, n, h->t_ref, B->wc);
    float *prof_lm = B->prof, *prof_tf = B->prof + it->lm_dim;
    if (B->kind[TIDE_IC_LM] && tide_interest_profile(it->lm, it->lm_dim, h->items, B->wc, n, prof_lm) > 0) B->q[TIDE_IC_LM] = prof_lm;
    if (B->kind[TIDE_IC_TFIDF] && tide_interest_profile(it->tfidf, it->tfidf_dim, h->items, B->wc, n, prof_tf) > 0)
        B->q[TIDE_IC_TFIDF] = prof_tf;
    if (B->kind[TIDE_IC_ALS]) B->q[TIDE_IC_ALS] = B->st.long_cf;
    if (B->kind[TIDE_IC_WORDS]) B->q[TIDE_IC_WORDS] = h->n_text > 0 ? B->st.words_lm : h->words_profile;
    B->K = 0;
    if (B->kind[TIDE_IC_CLUSTER]) {
        /* features.c: a weaker interest counts less, cosine × (strength / strongest)^0.25 */
        B->K = B->st.n_clusters;
        float smax = 0;
        for (int q = 0; q < B->K; q++) smax = B->st.clusters[q].strength > smax ? B->st.clusters[q].strength : smax;
        for (int q = 0; q < B->K; q++) B->csc[q] = (float)pow(B->st.clusters[q].strength / smax, 0.25);
    }
    B->tpop = n || h->n_text ? h->t_ref : (it->pop ? it->pop->latest : 0);
    /* Past the data's latest event: log1p(x) <= x and popularity decays from its value at the
     * latest, so pop_at_latest[j] · pop_f bounds log1p(popularity) (widened for exp2's and the
     * float conversion's rounding, plus the float subnormals' absolute error). */
    B->pop_f = it->pop && B->tpop > it->pop->latest
                   ? exp2(-(double)(B->tpop - it->pop->latest) / it->pop->half_life) * (1 + 1e-6)
                   : INFINITY;
    if ((st = groups(L, B))) return st;
    /* Statistics: the row components over every unseen item, the others over the sample. */
    for (int c = 0; c < TIDE_IC_N; c++) {
        if (B->kind[c] != K_ROW) continue;
        const float *row = B->feats + (size_t)c * (size_t)N;
        double s = 0, s2 = 0, mx = 0;
        for (int64_t j = 0; j < N; j++) {
            s += row[j];
            s2 += (double)row[j] * row[j];
            mx = fabs((double)row[j]) > mx ? fabs((double)row[j]) : mx;
        }
        B->mabs[c] = mx;
        for (int64_t e = 0; e < ne; e++) { double x = row[excl[e]]; s -= x; s2 -= x * x; }
        stats(B, c, s, s2, (double)(N - ne));
    }
    /* The dense components' sample values: the int8 pre-scores (exact integer dots, so the same
     * bits on every path) when the queries are bounded, else the fp32 raw scores. */
    double s[TIDE_IC_N] = {0}, s2[TIDE_IC_N] = {0}, mc[TIDE_IC_N] = {0};
    int64_t e = 0, i0 = -1, w = SRUN;
    for (int64_t i = 0; i < L->ns; i++) {
        int64_t j = L->sample[i];
        if (i % SRUN == 0 && B->bounded) {   /* the next run: consecutive items */
            i0 = i;
            w = L->ns - i < SRUN ? L->ns - i : SRUN;
            for (int g = 0; g < B->ng; g++) tide_qmulti_block(B->G[g].m, j, w, NULL, B->G[g].est, NULL);
        }
        while (e < ne && excl[e] < j) e++;
        if (e < ne && excl[e] == j) continue;
        for (int c = 0; c < TIDE_IC_N; c++) {
            int k = B->kind[c];
            if (k == K_NONE || k == K_ROW) continue;
            /* popularity is evaluated item by item (a search in the item's events): every
             * POP_RUNS-th run only */
            if (k == K_POP && (i / SRUN) % POP_RUNS) continue;
            double x;
            if ((k == K_DENSE || k == K_CLUSTER) && B->bounded) {
                x = k == K_CLUSTER ? -FLT_MAX : 0;
                for (int g = 0; g < B->ng; g++)
                    for (int t = 0; t < B->G[g].nq; t++)
                        if (B->G[g].comp[t] == c) {
                            double v = B->G[g].est[(size_t)t * (size_t)w + (size_t)(i - i0)];
                            if (k == K_CLUSTER) v *= B->csc[B->G[g].cq[t]];
                            x = k == K_CLUSTER ? (v > x ? v : x) : v;
                        }
                if (k == K_CLUSTER && B->K == 0) x = 0;
            } else {
                x = raw(L, B, c, j);
            }
            s[c] += x;
            s2[c] += x * x;
            mc[c]++;
        }
    }
    for (int c = 0; c < TIDE_IC_N; c++)
        if (B->kind[c] != K_NONE && B->kind[c] != K_ROW) stats(B, c, s[c], s2[c], mc[c]);
    /* max |s_c| over all items: |q·x| <= ‖q‖ max‖x‖ (times 1 + 1e-5 for the fp32 dot's rounding) */
    for (int c = 0; c < TIDE_IC_N; c++) {
        int d;
        const float *M = dense_matrix(it, c, &d);
        double mn = M == it->lm ? L->maxn_lm : M == it->tfidf ? L->maxn_tfidf : M == it->als_items ? L->maxn_als : 0;
        if (B->kind[c] == K_DENSE) B->mabs[c] = qnorm(B->q[c], d) * mn * (1 + 1e-5);
        else if (B->kind[c] == K_CLUSTER) {
            B->mabs[c] = 0;
            for (int q = 0; q < B->K; q++) {
                double v = B->csc[q] * qnorm(B->st.centroids + (size_t)q * (size_t)d, d) * mn * (1 + 1e-5);
                if (v > B->mabs[c]) B->mabs[c] = v;
            }
        } else if (B->kind[c] == K_POP) {
            B->mabs[c] = L->pop_lmax_max;
            double b = L->pop_at_latest_max * B->pop_f + POP_ABS;
            if (b < B->mabs[c]) B->mabs[c] = b;
        }
    }
    return TIDE_OK;
}

/* ---- the exact top-K ---------------------------------------------------------------------- */


/* The raw score's interval [lo, up] of a run of columns: sc · [est − mar, est + mar] with the
 * query's margin for every item (tide_qmulti_margin: a little wider than each item's, and no
 * per-item arithmetic), the max over the queries of a component (first: its first query). */
TIDE_CLONES_WIDE static void span(double sc, const double *es, double mr, int first, int64_t w, double *lo, double *up) {
    if (first)
        for (int64_t i = 0; i < w; i++) {
            lo[i] = sc * (es[i] - mr);
            up[i] = sc * (es[i] + mr);
        }
    else
        for (int64_t i = 0; i < w; i++) {
            double l = sc * (es[i] - mr), u = sc * (es[i] + mr);
            lo[i] = l > lo[i] ? l : lo[i];
            up[i] = u > up[i] ? u : up[i];
        }
}

/* A term a·(s − f) over s in [lo, up]: its maximum into hb, plus rs·(|lo| + |f|) (the slack of a
 * component known exactly per item, lo = up; rs = 0 for the others). */
TIDE_CLONES_WIDE static void add_term(double a, double f, double rs, const double *lo, const double *up, int64_t w, double *hb) {
    const double *s = a >= 0 ? up : lo;
    double ff = fabs(f);
    if (rs > 0)
        for (int64_t i = 0; i < w; i++) hb[i] += a * (s[i] - f) + rs * (fabs(lo[i]) + ff);
    else
        for (int64_t i = 0; i < w; i++) hb[i] += a * (s[i] - f);
}

/* A min-heap of (bound, column) keeping the `cap` highest bounds (root = the lowest kept). */
typedef struct { double v; int32_t c; } hc;
static void hc_push(hc *h, int *n, int cap, double v, int32_t c) {
    if (*n < cap) {
        int i = (*n)++;
        h[i] = (hc){v, c};
        while (i > 0 && h[(i - 1) / 2].v > h[i].v) {
            hc t = h[i]; h[i] = h[(i - 1) / 2]; h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    if (v <= h[0].v) return;
    h[0] = (hc){v, c};
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, mm = i;
        if (l < cap && h[l].v < h[mm].v) mm = l;
        if (r < cap && h[r].v < h[mm].v) mm = r;
        if (mm == i) break;
        hc t = h[i]; h[i] = h[mm]; h[mm] = t;
        i = mm;
    }
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* A min-heap of the kk largest exact scores (root = the kk-th). */
static void th_push(double *h, int *n, int kk, double x) {
    if (*n < kk) {
        int i = (*n)++;
        h[i] = x;
        while (i > 0 && h[(i - 1) / 2] > h[i]) { double t = h[i]; h[i] = h[(i - 1) / 2]; h[(i - 1) / 2] = t; i = (i - 1) / 2; }
        return;
    }
    if (x <= h[0]) return;
    h[0] = x;
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < kk && h[l] < h[m]) m = l;
        if (r < kk && h[r] < h[m]) m = r;
        if (m == i) break;
        double t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}


static tide_status record(tide_ilarge_blk *B, size_t *nr, int32_t c, float f) {
    if (*nr == B->rcap) {
        size_t cap = B->rcap ? 2 * B->rcap : 1024;
        int32_t *x = realloc(B->rc, cap * sizeof *x);
        if (!x) return TIDE_ERR_NOMEM;
        B->rc = x;
        float *y = realloc(B->rv, cap * sizeof *y);
        if (!y) return TIDE_ERR_NOMEM;
        B->rv = y;
        B->rcap = cap;
    }
    B->rc[*nr] = c;
    B->rv[*nr] = f;
    (*nr)++;
    return TIDE_OK;
}

tide_status tide_ilarge_topk(const tide_ilarge *L, tide_ilarge_blk *B, const tide_scorer_cols *cols, const int32_t *ex,
                             int64_t n_ex, int kk, float *val, int32_t *idx, int *n, int *answered, int64_t *rescored) {
    *answered = 0;
    *rescored = 0;
    int64_t C = cols->n;
    const int32_t *cand = cols->items;
    tide_status st = TIDE_OK;
    if (!B->bounded) return TIDE_OK;   /* the engine scans */
    qgroup *G = B->G;
    int ng = B->ng;
    hc *seeds = NULL;
    if (C > B->ccap) {
        double *a = realloc(B->hi, (size_t)C * sizeof *a);
        if (a) B->hi = a;
        double *b = a ? realloc(B->hi2, (size_t)C * sizeof *b) : NULL;
        if (b) B->hi2 = b;
        if (!a || !b) { st = TIDE_ERR_NOMEM; goto done; }
        B->ccap = C;
    }
    /* Pass 1: every eligible column's upper bound (hi), and the same without the popularity
     * term's static bound (hi2, for the exact popularity of stage 2). Excluded columns: -inf.
     * Per block of columns, component by component, so that the loops vectorise. */
    {
        int pop = B->act[TIDE_IC_POP];
        double ap = pop ? (double)B->w[TIDE_IC_POP] * B->inv[TIDE_IC_POP] : 0, fp = B->fm[TIDE_IC_POP];
        /* The slack: SLACK of Σ |a_c| (|s_c| + |mean_c|), far above the fp32 rounding of the
         * formula — with |s_c| bounded once per user (mabs) for the dense components and pop, and
         * item by item for the row components (add_term: a nearly constant sparse row can have a
         * huge 1/sd, and only its few non-zero items a large term). */
        double sl_np = 1e-30, sl_pop = 0;
        for (int c = 0; c < TIDE_IC_N; c++)
            if (B->act[c] && B->kind[c] != K_ROW) {
                double v = SLACK * fabs((double)B->w[c] * B->inv[c]) * (B->mabs[c] + fabs((double)B->fm[c]));
                if (c == TIDE_IC_POP) sl_pop = v;
                else sl_np += v;
            }
        /* Column blocks are independent: one request may use several threads (tide-serve); the
         * bounds, and so the result, do not depend on how many. Not inside another team. */
        int nthr = L->threads;
#ifdef _OPENMP
        if (omp_in_parallel() || C < 16 * BLK) nthr = 1;
#else
        nthr = 1;
#endif
        int64_t nblk = (C + BLK - 1) / BLK;
        #pragma omp parallel for num_threads(nthr) schedule(static) if (nthr > 1)
        for (int64_t bk = 0; bk < nblk; bk++) {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            double hb[BLK], lo[BLK], up[BLK];
            double *est[3] = {0};
            int64_t c0 = bk * BLK;
            int64_t w = C - c0 < BLK ? C - c0 : BLK;
            for (int g = 0; g < ng; g++) {
                est[g] = G[g].est + (size_t)tid * MAXQ * BLK;
                if (G[g].nq) tide_qmulti_block(G[g].m, c0, w, cand, est[g], NULL);
            }
            for (int64_t i = 0; i < w; i++) hb[i] = 0;
            for (int c = 0; c < TIDE_IC_N; c++) {
                if (!B->act[c] || c == TIDE_IC_POP) continue;
                if (B->kind[c] == K_ROW) {
                    const float *row = B->feats + (size_t)c * (size_t)L->N;
                    for (int64_t i = 0; i < w; i++) lo[i] = up[i] = row[cand ? cand[c0 + i] : c0 + i];
                } else {
                    int g = 0;
                    while (G[g].ix != dense_index(L, c)) g++;
                    int first = 1;
                    for (int t = 0; t < G[g].nq; t++) {
                        if (G[g].comp[t] != c) continue;
                        const double *es = est[g] + (size_t)t * (size_t)w;
                        double sc = c == TIDE_IC_CLUSTER ? B->csc[G[g].cq[t]] : 1;
                        span(sc, es, tide_qmulti_margin(G[g].m, t), first, w, lo, up);
                        first = 0;
                    }
                }
                double a = (double)B->w[c] * B->inv[c];
                add_term(a, B->fm[c], B->kind[c] == K_ROW ? SLACK * fabs(a) : 0, lo, up, w, hb);
            }
            for (int64_t i = 0; i < w; i++) {
                int64_t col = c0 + i, j = cand ? cand[col] : col;
                B->hi2[col] = hb[i] + sl_np;
                if (pop) {
                    double lm = L->pop_lmax[j];
                    if (B->pop_f < INFINITY) {
                        double b = L->pop_at_latest[j] * B->pop_f + POP_ABS;
                        if (b < lm) lm = b;
                    }
                    hb[i] += ap >= 0 ? ap * (lm - fp) : ap * (0 - fp);
                }
                B->hi[col] = hb[i] + sl_np + sl_pop;
            }
        }
        for (int64_t e = 0; e < n_ex; e++)
            if (ex[e] >= 0 && ex[e] < C) B->hi[ex[e]] = B->hi2[ex[e]] = -INFINITY;
    }
    /* Seeds: the columns with the highest bounds, scored exactly; T = the kk-th best exact score. */
    int ms = kk + 16, nsd = 0;
    seeds = tide_malloc((size_t)ms * sizeof *seeds);
    double *th = tide_malloc((size_t)kk * sizeof *th);
    if (!seeds || !th) { free(th); st = TIDE_ERR_NOMEM; goto done; }
    for (int64_t col = 0; col < C; col++)
        if (B->hi[col] > -INFINITY) hc_push(seeds, &nsd, ms, B->hi[col], (int32_t)col);
    size_t nr = 0;
    int nth = 0;
    double T = -INFINITY;
    for (int t = 0; t < nsd && !st; t++) {
        int32_t col = seeds[t].c;
        float f = tide_ilarge_score(L, B, cand ? cand[col] : col);
        B->hi[col] = -INFINITY;   /* scored */
        st = record(B, &nr, col, f);
        if (f == f && f != -INFINITY) th_push(th, &nth, kk, f);
    }
    if (nth == kk) T = th[0];
    free(th);
    if (st) goto done;
    /* Stage 2: the other columns whose bound reaches T; the popularity term exactly first. */
    {
        int pop = B->act[TIDE_IC_POP];
        double ap = pop ? (double)B->w[TIDE_IC_POP] * B->inv[TIDE_IC_POP] : 0, fp = B->fm[TIDE_IC_POP];
        double sl_pop = pop ? SLACK * fabs(ap) * (B->mabs[TIDE_IC_POP] + fabs(fp)) : 0;
        for (int64_t col = 0; col < C && !st; col++) {
            if (B->hi[col] == -INFINITY || !(B->hi[col] >= T)) continue;   /* excluded, a seed, or below T */
            int64_t j = cand ? cand[col] : col;
            if (pop) {
                double x = raw(L, B, TIDE_IC_POP, j);
                if (!(B->hi2[col] + ap * (x - fp) + sl_pop >= T)) continue;
            }
            st = record(B, &nr, (int32_t)col, tide_ilarge_score(L, B, j));
        }
    }
    if (st) goto done;
    /* Into the engine's running top-K in column order, as the full scan feeds it (columns are
     * distinct: positions sorted by a packed column key). */
    {
        int64_t *key = tide_malloc((nr + 1) * sizeof *key);
        if (!key) { st = TIDE_ERR_NOMEM; goto done; }
        for (size_t t = 0; t < nr; t++) key[t] = (int64_t)B->rc[t] << 32 | (int64_t)t;
        qsort(key, nr, sizeof *key, cmp_i64);
        for (size_t t = 0; t < nr; t++) {
            size_t pos = (size_t)(key[t] & 0xffffffff);
            tide_retrieval_topk_feed(val, idx, n, kk, &B->rv[pos], 1, B->rc[pos]);
        }
        free(key);
    }
    *rescored = (int64_t)nr;
    *answered = 1;
done:
    free(seeds);
    return st;
}
