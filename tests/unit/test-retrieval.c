/* test-retrieval.c — the retrieval module against brute force: every model kind's top-K equals a
 * full score matrix computed here, sorted by (score desc, item asc), with seen items, extra
 * exclusions and allow-lists, on blocks much smaller than the problem (so block merging and
 * batching are exercised). Factors are small integers, so scores are exact and ties are
 * frequent: the tie rule is checked, not just approximated. Also: users not in the model (ALS
 * fold-in through tide_mf_fold_in, popularity), the model's time decay on EASE / kNN / fold-in
 * histories against weights computed here, MMR, thread-count independence, model-dir loading. */
#include "harness.h"
#include "dataset-builder.h"

#include <cjson/cJSON.h>
#include <omp.h>

#include "retrieval/retrieval-impl.h"
#include "tide/fileio.h"
#include "tide/npy.h"
#include "tide/decay.h"
#include "tide/mf.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"

static uint64_t rng = 88172645463325252ULL;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}
static int rint_in(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

enum { NU = 41, NI = 157, D = 6, K = 7 };

/* A dataset with random histories (some users empty, some repeated items), built by the shared
 * builder so it owns its arrays: the checks read them back from the dataset (ds->indptr,
 * ds->items, ...), and tide_dataset_free() releases them. */
static void make_data(tide_dataset *ds) {
    int len[NU];
    int32_t items[NU * 30];
    float weights[NU * 30];
    int64_t times[NU * 30];
    int64_t nnz = 0;
    for (int u = 0; u < NU; u++) {
        int n = len[u] = (u % 9 == 4) ? 0 : rint_in(1, 25);
        for (int e = 0; e < n; e++) {
            items[nnz] = rint_in(0, NI - 1);
            weights[nnz] = (float)rint_in(1, 3);
            /* Times without rnd() (the other tests' draws stay as they were): spread over ~6
             * days, users' latest events differing, some repeated times. */
            times[nnz] = 1000000 + (int64_t)((u * 7919 + e * 104729) % 500000);
            nnz++;
        }
    }
    tb_build(ds, &(tb_spec){.n_users = NU, .n_items = NI, .len = len, .items = items, .times = times,
                            .weights = weights});
}

/* Collects every batch into full arrays. */
typedef struct collect {
    int64_t n;
    int k;
    int32_t *items;
    float *scores;
    int32_t *counts;
    uint8_t *by;
    int64_t next;
    int bad_order;
} collect;

static tide_status sink(void *p, const tide_retrieval_batch *b) {
    collect *c = p;
    if (b->first != c->next) c->bad_order = 1;
    for (int64_t i = 0; i < b->n; i++) {
        int64_t o = b->first + i;
        c->counts[o] = b->counts[i];
        c->by[o] = b->by[i];
        for (int r = 0; r < b->counts[i]; r++) {
            c->items[o * c->k + r] = b->items[i * b->k + r];
            c->scores[o * c->k + r] = b->scores[i * b->k + r];
        }
    }
    c->next = b->first + b->n;
    return TIDE_OK;
}

static void collect_init(collect *c, int64_t n, int k) {
    memset(c, 0, sizeof *c);
    c->n = n;
    c->k = k;
    c->items = calloc((size_t)(n * k), sizeof *c->items);
    c->scores = calloc((size_t)(n * k), sizeof *c->scores);
    c->counts = calloc((size_t)n, sizeof *c->counts);
    c->by = calloc((size_t)n, 1);
}
static void collect_free(collect *c) {
    free(c->items);
    free(c->scores);
    free(c->counts);
    free(c->by);
}

/* Brute-force top-k of one score row: eligible = allowed and not excluded; sort by (score desc,
 * item asc) with a selection sort (obviously correct, n is small). */
static int brute_topk(const double *score, const int *eligible, int n, int k, int32_t *items, double *vals) {
    int *taken = calloc((size_t)n, sizeof *taken);
    int m = 0;
    for (; m < k; m++) {
        int best = -1;
        for (int j = 0; j < n; j++)
            if (eligible[j] && !taken[j] && (best < 0 || score[j] > score[best])) best = j;
        if (best < 0) break;
        taken[best] = 1;
        items[m] = best;
        vals[m] = score[best];
    }
    free(taken);
    return m;
}

/* Eligibility of items for user u: not seen (unless keep_seen), not in the extra pairs, in cand. */
static void eligibility(const tide_dataset *ds, int u, int keep_seen, const int64_t *pu, const int32_t *pi, int npairs,
                        const int32_t *cand, int ncand, int *el) {
    for (int j = 0; j < NI; j++) el[j] = cand ? 0 : 1;
    for (int q = 0; q < ncand; q++) el[cand[q]] = 1;
    if (!keep_seen)
        for (int64_t e = ds->indptr[u]; e < ds->indptr[u + 1]; e++) el[ds->items[e]] = 0;
    for (int q = 0; q < npairs; q++)
        if (pu[q] == u) el[pi[q]] = 0;
}

/* Compare a run with brute-force scores score[u][j] (double) for every user. */
static void check_against(const collect *c, const tide_dataset *ds, double *const *score, int k, int keep_seen,
                          const int64_t *pu, const int32_t *pi, int npairs, const int32_t *cand, int ncand) {
    int el[NI];
    int32_t bi[NI];
    double bv[NI];
    for (int u = 0; u < NU; u++) {
        eligibility(ds, u, keep_seen, pu, pi, npairs, cand, ncand, el);
        int m = brute_topk(score[u], el, NI, k, bi, bv);
        CHECK_EQ(c->counts[u], m);
        for (int r = 0; r < m && r < c->counts[u]; r++) {
            if (c->items[u * c->k + r] != bi[r]) {
                fprintf(stderr, "user %d rank %d: got item %d (%.9g), expected %d (%.9g)\n", u, r, c->items[u * c->k + r],
                        (double)c->scores[u * c->k + r], bi[r], bv[r]);
                CHECK(0);
                return;
            }
            CHECK_NEAR(c->scores[u * c->k + r], bv[r], 1e-4 * (1 + fabs(bv[r])));
        }
    }
}

static tide_retrieval_params small_blocks(int k) {
    tide_retrieval_params p;
    tide_retrieval_params_default(&p);
    p.k = k;
    p.user_block = 5;
    p.item_block = 17;
    p.batch_users = 11; /* rounds to 10: several batches */
    return p;
}

static double **alloc_scores(void) {
    double **s = malloc(NU * sizeof *s);
    for (int u = 0; u < NU; u++) s[u] = calloc(NI, sizeof **s);
    return s;
}
static void free_scores(double **s) {
    for (int u = 0; u < NU; u++) free(s[u]);
    free(s);
}

static int64_t all_users[NU];

static void run_job(const tide_retrieval_job *job, const tide_retrieval_params *p, collect *c) {
    collect_init(c, job->n_users, p->k);
    tide_retrieval_stats stats;
    CHECK_OK(tide_retrieval_run(job, p, sink, c, &stats));
    CHECK(!c->bad_order);
    CHECK_EQ(c->next, job->n_users);
    CHECK_EQ(stats.users, job->n_users);
}

/* A job over every fixture user, excluding their seen items (unless keep_seen) and the n extra
 * (user, item) pairs pu/pi (*ip, *ix: free()). */
/* Models are in-memory tide_mf_models scored through the mf family's scorer (arrays borrowed);
 * scorer_of makes one for the model as it is now, released at the end of the run. */
static tide_scorer *scorers[64];
static int n_scorers;
static const tide_scorer *scorer_of(const tide_mf_model *m) {
    tide_scorer *s = NULL;
    CHECK_OK(tide_mf_scorer_from_model(m, &s));
    if (n_scorers < 64) scorers[n_scorers++] = s;
    return s;
}
static void scorers_free(void) {
    for (int i = 0; i < n_scorers; i++) tide_scorer_free(scorers[i]);
    n_scorers = 0;
}

static tide_retrieval_job excl_job(const tide_mf_model *m, const tide_dataset *ds, int keep_seen, const int64_t *pu,
                                   const int32_t *pi, int64_t n, int64_t **ip, int32_t **ix) {
    CHECK_OK(tide_retrieval_exclusions_build(ds, keep_seen, pu, pi, n, ip, ix));
    tide_retrieval_job job = {0};
    job.scorer = m ? scorer_of(m) : NULL;
    job.data = ds;
    job.users = all_users;
    job.n_users = NU;
    job.excl_indptr = *ip;
    job.excl_items = *ix;
    return job;
}

/* A job over every fixture user with their seen items excluded (*ip, *ix: free()). */
static tide_retrieval_job seen_job(const tide_mf_model *m, const tide_dataset *ds, int64_t **ip, int32_t **ix) {
    return excl_job(m, ds, 0, NULL, NULL, 0, ip, ix);
}

/* History models over caller arrays. */
static tide_mf_model base_model(tide_mf_algo a) {
    tide_mf_model m = {0};
    m.algo = a;
    m.params = tide_mf_params_default(a);
    m.params.decay.half_life = 0;
    m.n_items = NI;
    return m;
}
static tide_mf_model ease_model(const float *B) {
    tide_mf_model m = base_model(TIDE_MF_EASE);
    m.item_matrix = (float *)B;
    return m;
}
static tide_mf_model knn_model(const int64_t *nip, const int32_t *nb, const float *sim) {
    tide_mf_model m = base_model(TIDE_MF_ITEMKNN);
    m.nb_indptr = (int64_t *)nip;
    m.nb_items = (int32_t *)nb;
    m.nb_sims = (float *)sim;
    return m;
}
/* Plain factors (bpr: no fold-in): every user scored by U · Yᵀ (+ bias). */
static tide_mf_model vec_model(const float *U, int64_t n_users, const float *Y) {
    tide_mf_model m = base_model(TIDE_MF_BPR);
    m.n_users = n_users;
    m.factors = D;
    m.user_factors = (float *)U;
    m.item_factors = (float *)Y;
    return m;
}
/* Random neighbour lists: min_n..6 per item, similarities step·{1..max_steps}. */
static void random_neighbours(int min_n, int max_steps, float step, int64_t *nip, int32_t *nb, float *sim) {
    int64_t e = 0;
    for (int i = 0; i < NI; i++) {
        nip[i] = e;
        int n = rint_in(min_n, 6);
        for (int q = 0; q < n; q++) {
            nb[e] = rint_in(0, NI - 1);
            sim[e] = (float)rint_in(1, max_steps) * step;
            e++;
        }
    }
    nip[NI] = e;
}
/* An ALS model (item factors Y) whose users from n_users on are folded in with alpha and reg. */
static tide_mf_model als_model(const float *U, int64_t n_users, const float *Y, double alpha, double reg) {
    tide_mf_model m = vec_model(U, n_users, Y);
    m.algo = TIDE_MF_ALS;
    m.params = tide_mf_params_default(TIDE_MF_ALS);
    m.params.decay.half_life = 0;
    m.params.alpha = alpha;
    m.params.regularization = reg;
    return m;
}

/* ---- factor models --------------------------------------------------------------------- */

static float UF[NU * D], IF[NI * D], BIAS[NI];

static void make_factors(void) {
    for (int i = 0; i < NU * D; i++) UF[i] = (float)rint_in(-2, 2);
    for (int i = 0; i < NI * D; i++) IF[i] = (float)rint_in(-1, 1);
    for (int i = 0; i < NI; i++) BIAS[i] = (float)rint_in(0, 1);
    for (int d = 0; d < D; d++) UF[3 * D + d] = 1; /* never all zero */
}

static void test_factors_exclusion(void) {
    tide_dataset ds;
    make_data(&ds);
    make_factors();
    tide_mf_model m = vec_model(UF, NU, IF);
    /* Every user row non-zero so none falls back to popularity. */
    for (int u = 0; u < NU; u++) UF[u * D] = UF[u * D] == 0 ? 1 : UF[u * D];
    int64_t pu[] = {0, 0, 7, 40};
    int32_t pi[] = {3, 150, 8, 0};
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = excl_job(&m, &ds, 0, pu, pi, 4, &ip, &ix);
    double **sc = alloc_scores();
    for (int u = 0; u < NU; u++)
        for (int j = 0; j < NI; j++) {
            double s = 0;
            for (int d = 0; d < D; d++) s += (double)UF[u * D + d] * IF[j * D + d];
            sc[u][j] = s;
        }
    int ks[] = {1, K, 40};
    for (int t = 0; t < 3; t++) {
        tide_retrieval_params p = small_blocks(ks[t]);
        collect c;
        run_job(&job, &p, &c);
        check_against(&c, &ds, sc, ks[t], 0, pu, pi, 4, NULL, 0);
        collect_free(&c);
    }
    /* Item bias. */
    m.item_bias = BIAS;
    job.scorer = scorer_of(&m);
    for (int u = 0; u < NU; u++)
        for (int j = 0; j < NI; j++) sc[u][j] += BIAS[j];
    {
        tide_retrieval_params p = small_blocks(K);
        collect c;
        run_job(&job, &p, &c);
        check_against(&c, &ds, sc, K, 0, pu, pi, 4, NULL, 0);
        collect_free(&c);
    }
    /* Allow-list + keep seen (only the extra pairs excluded). */
    free(ip);
    free(ix);
    CHECK_OK(tide_retrieval_exclusions_build(&ds, 1, pu, pi, 4, &ip, &ix));
    job.excl_indptr = ip;
    job.excl_items = ix;
    int32_t cand[40];
    for (int q = 0; q < 40; q++) cand[q] = q * 3 + (q % 2);
    job.candidates = cand;
    job.n_candidates = 40;
    {
        tide_retrieval_params p = small_blocks(K);
        collect c;
        run_job(&job, &p, &c);
        check_against(&c, &ds, sc, K, 1, pu, pi, 4, cand, 40);
        collect_free(&c);
    }
    /* K larger than the candidate set is a usage error. */
    {
        tide_retrieval_params p = small_blocks(41);
        CHECK_STATUS(tide_retrieval_run(&job, &p, NULL, NULL, NULL), TIDE_ERR_USAGE);
        CHECK_CONTAINS(tide_error_message(), "larger than the candidate set");
    }
    free_scores(sc);
    free(ip);
    free(ix);
    tide_dataset_free(&ds);
}

/* The same bytes for 1 and 2 threads and for different batch sizes. */
static void test_thread_independence(void) {
    tide_dataset ds;
    make_data(&ds);
    make_factors();
    /* Real-valued factors this time, so summation order would show. */
    float uf[NU * D], itf[NI * D];
    for (int i = 0; i < NU * D; i++) uf[i] = (float)rnd() / 4294967296.0f - 0.25f;
    for (int i = 0; i < NI * D; i++) itf[i] = (float)rnd() / 4294967296.0f - 0.25f;
    tide_mf_model m = vec_model(uf, NU, itf);
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = seen_job(&m, &ds, &ip, &ix);
    tide_retrieval_params p = small_blocks(K);
    collect a, b;
    tide_threads_set(1);
    run_job(&job, &p, &a);
    tide_threads_set(2);
    p.batch_users = 1000;
    run_job(&job, &p, &b);
    CHECK(memcmp(a.items, b.items, sizeof(int32_t) * NU * K) == 0);
    CHECK(memcmp(a.scores, b.scores, sizeof(float) * NU * K) == 0);
    CHECK(memcmp(a.counts, b.counts, sizeof(int32_t) * NU) == 0);
    collect_free(&a);
    collect_free(&b);
    free(ip);
    free(ix);
    tide_dataset_free(&ds);
}

/* ---- EASE, kNN, pop ---------------------------------------------------------------------- */

static void test_ease(void) {
    tide_dataset ds;
    make_data(&ds);
    float *B = calloc((size_t)NI * NI, sizeof *B);
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NI; j++) B[i * NI + j] = i == j ? 0.0f : (float)rint_in(-2, 3);
    tide_mf_model m = ease_model(B);
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = seen_job(&m, &ds, &ip, &ix);
    double **sc = alloc_scores();
    double pop[NI] = {0};
    for (int64_t e = 0; e < ds.nnz; e++) pop[ds.items[e]] += 1;
    for (int u = 0; u < NU; u++)
        for (int j = 0; j < NI; j++) {
            double s = 0;
            for (int64_t e = ds.indptr[u]; e < ds.indptr[u + 1]; e++) s += (double)ds.weights[e] * B[ds.items[e] * NI + j];
            /* Users without events get popularity (interaction counts). */
            sc[u][j] = ds.indptr[u + 1] > ds.indptr[u] ? s : pop[j];
        }
    tide_retrieval_params p = small_blocks(K);
    collect c;
    run_job(&job, &p, &c);
    check_against(&c, &ds, sc, K, 0, NULL, NULL, 0, NULL, 0);
    CHECK_EQ(c.by[4], TIDE_RETRIEVAL_BY_POPULARITY);
    CHECK_EQ(c.by[0], TIDE_RETRIEVAL_BY_MODEL);
    collect_free(&c);
    /* With an allow-list (gathered columns). */
    int32_t cand[50];
    for (int q = 0; q < 50; q++) cand[q] = q * 3 + 1;
    job.candidates = cand;
    job.n_candidates = 50;
    run_job(&job, &p, &c);
    check_against(&c, &ds, sc, K, 0, NULL, NULL, 0, cand, 50);
    collect_free(&c);
    free_scores(sc);
    free(B);
    free(ip);
    free(ix);
    tide_dataset_free(&ds);
}

static void test_knn(void) {
    tide_dataset ds;
    make_data(&ds);
    int64_t nip[NI + 1];
    int32_t nb[NI * 6];
    float sim[NI * 6];
    random_neighbours(0, 4, 0.25f, nip, nb, sim);
    tide_mf_model m = knn_model(nip, nb, sim);
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = seen_job(&m, &ds, &ip, &ix);
    double **sc = alloc_scores();
    double pop[NI] = {0};
    for (int64_t q = 0; q < ds.nnz; q++) pop[ds.items[q]] += 1;
    for (int u = 0; u < NU; u++) {
        for (int64_t h = ds.indptr[u]; h < ds.indptr[u + 1]; h++)
            for (int64_t q = nip[ds.items[h]]; q < nip[ds.items[h] + 1]; q++) sc[u][nb[q]] += (double)ds.weights[h] * sim[q];
        if (ds.indptr[u + 1] == ds.indptr[u])
            for (int j = 0; j < NI; j++) sc[u][j] = pop[j];
    }
    tide_retrieval_params p = small_blocks(K);
    collect c;
    run_job(&job, &p, &c);
    check_against(&c, &ds, sc, K, 0, NULL, NULL, 0, NULL, 0);
    collect_free(&c);
    int32_t cand[30];
    for (int q = 0; q < 30; q++) cand[q] = q * 5 + 2;
    job.candidates = cand;
    job.n_candidates = 30;
    run_job(&job, &p, &c);
    check_against(&c, &ds, sc, K, 0, NULL, NULL, 0, cand, 30);
    collect_free(&c);
    free_scores(sc);
    free(ip);
    free(ix);
    tide_dataset_free(&ds);
}

static void test_pop(void) {
    tide_dataset ds;
    make_data(&ds);
    float popv[NI];
    for (int j = 0; j < NI; j++) popv[j] = (float)rint_in(0, 5); /* many ties */
    tide_mf_model m = base_model(TIDE_MF_POP);
    m.popularity = popv;
    int64_t pu[] = {1, 2};
    int32_t pi[] = {5, 6};
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = excl_job(&m, &ds, 0, pu, pi, 2, &ip, &ix);
    double **sc = alloc_scores();
    for (int u = 0; u < NU; u++)
        for (int j = 0; j < NI; j++) sc[u][j] = popv[j];
    tide_retrieval_params p = small_blocks(K);
    collect c;
    run_job(&job, &p, &c);
    check_against(&c, &ds, sc, K, 0, pu, pi, 2, NULL, 0);
    collect_free(&c);
    free_scores(sc);
    free(ip);
    free(ix);
    tide_dataset_free(&ds);
}

/* ---- fold-in ------------------------------------------------------------------------------ */

/* Users past a factor model's user count: ALS folds them in, otherwise popularity. */
static void test_users_not_in_model(void) {
    tide_dataset ds;
    make_data(&ds);
    float Y[NI * D], U[NU * D];
    for (int i = 0; i < NI * D; i++) Y[i] = (float)rnd() / 4294967296.0f - 0.5f;
    for (int i = 0; i < NU * D; i++) U[i] = (float)rnd() / 4294967296.0f - 0.5f;
    tide_mf_model m = als_model(U, 30, Y, 5, 0.5); /* users 30.. are new */
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = seen_job(&m, &ds, &ip, &ix);
    double **sc = alloc_scores();
    double pop[NI] = {0};
    for (int64_t q = 0; q < ds.nnz; q++) pop[ds.items[q]] += 1;
    int want_fold = 0, want_pop = 0;
    for (int u = 0; u < NU; u++) {
        float xu[D];
        const float *x = U + u * D;
        int has = ds.indptr[u + 1] > ds.indptr[u];
        if (u >= 30 && has) {
            CHECK_OK(tide_mf_fold_in(&m.params, Y, NI, D, NULL, ds.items + ds.indptr[u], ds.weights + ds.indptr[u], NULL,
                                     ds.indptr[u + 1] - ds.indptr[u], xu));
            x = xu;
            want_fold++;
        }
        for (int j = 0; j < NI; j++) {
            float s = 0; /* same f32 rounding as sgemm's is not guaranteed: compared with tolerance */
            for (int d = 0; d < D; d++) s += x[d] * Y[j * D + d];
            sc[u][j] = (u >= 30 && !has) ? pop[j] : s;
        }
        want_pop += u >= 30 && !has;
    }
    tide_retrieval_params p = small_blocks(K);
    collect c;
    tide_retrieval_stats st;
    collect_init(&c, NU, K);
    CHECK_OK(tide_retrieval_run(&job, &p, sink, &c, &st));
    CHECK_EQ(st.by_fold_in, want_fold);
    CHECK_EQ(st.by_popularity, want_pop);
    CHECK(want_fold > 0 && want_pop > 0);
    check_against(&c, &ds, sc, K, 0, NULL, NULL, 0, NULL, 0);
    collect_free(&c);
    /* BPR (no fold-in): every new user gets popularity. */
    m.algo = TIDE_MF_BPR;
    job.scorer = scorer_of(&m);
    collect_init(&c, NU, K);
    CHECK_OK(tide_retrieval_run(&job, &p, sink, &c, &st));
    CHECK_EQ(st.by_popularity, NU - 30);
    collect_free(&c);
    free_scores(sc);
    free(ip);
    free(ix);
    tide_dataset_free(&ds);
}

/* ---- time decay of histories ------------------------------------------------------------ */

/* The decayed weight of event e of user u, computed here from the definition (tide/mf.h):
 * w · 2^(-(t_ref - t)/h), age <= 0 counting as 0, t_ref the data's latest event, the user's
 * latest event or a fixed time. */
static void decayed_weights(const tide_dataset *ds, const tide_mf_decay *d, double *w) {
    int64_t latest = INT64_MIN;
    for (int64_t e = 0; e < ds->nnz; e++) latest = ds->times[e] > latest ? ds->times[e] : latest;
    for (int u = 0; u < NU; u++) {
        int64_t ref = d->as_of_mode == TIDE_ASOF_TIME ? d->as_of : latest;
        if (d->as_of_mode == TIDE_ASOF_USER) {
            ref = INT64_MIN;
            for (int64_t e = ds->indptr[u]; e < ds->indptr[u + 1]; e++) ref = ds->times[e] > ref ? ds->times[e] : ref;
        }
        for (int64_t e = ds->indptr[u]; e < ds->indptr[u + 1]; e++) {
            double age = (double)(ref - ds->times[e]);
            w[e] = ds->weights[e] * (d->half_life > 0 && age > 0 ? pow(2.0, -age / d->half_life) : 1.0);
        }
    }
}

/* EASE, kNN and ALS fold-in under the model's decay (as-of latest, user, a fixed time) equal
 * brute force on the decayed weights; the as-of modes give different lists (so the decay is
 * really applied); a zero half-life scores on the raw weights. */
static void test_decayed_history(void) {
    tide_dataset ds;
    make_data(&ds);
    float *B = calloc((size_t)NI * NI, sizeof *B);
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NI; j++) B[i * NI + j] = i == j ? 0.0f : (float)rint_in(-20, 30) * 0.125f;
    int64_t nip[NI + 1];
    int32_t nb[NI * 6];
    float sim[NI * 6];
    random_neighbours(1, 40, 0.03125f, nip, nb, sim); /* exact in f32: no-decay sums tie exactly */
    float Y[NI * D];
    for (int i = 0; i < NI * D; i++) Y[i] = (float)rnd() / 4294967296.0f - 0.5f;
    tide_mf_model ease = ease_model(B), knn = knn_model(nip, nb, sim);
    tide_mf_model als = als_model(NULL, 0, Y, 4, 0.3); /* every user is folded in */
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = seen_job(NULL, &ds, &ip, &ix);
    tide_retrieval_params p = small_blocks(K);
    double pop[NI] = {0};
    for (int64_t q = 0; q < ds.nnz; q++) pop[ds.items[q]] += 1;
    const tide_mf_decay modes[] = {{43200, TIDE_ASOF_LATEST, 0}, {43200, TIDE_ASOF_USER, 0},
                                   {86400, TIDE_ASOF_TIME, 1300000}, {0, TIDE_ASOF_USER, 0}};
    float lists[3][4][NU * K];
    double *w = malloc((size_t)ds.nnz * sizeof *w + 1);
    float *wf = malloc((size_t)ds.nnz * sizeof *wf + 1);
    for (int md = 0; md < 4; md++) {
        decayed_weights(&ds, &modes[md], w);
        for (int64_t e = 0; e < ds.nnz; e++) wf[e] = (float)w[e];
        tide_mf_model *models[3] = {&ease, &knn, &als};
        for (int which = 0; which < 3; which++) {
            tide_mf_model *m = models[which];
            m->params.decay = modes[md];
            double **sc = alloc_scores();
            for (int u = 0; u < NU; u++) {
                int64_t a = ds.indptr[u], n = ds.indptr[u + 1] - a;
                if (n == 0) {
                    for (int j = 0; j < NI; j++) sc[u][j] = pop[j];
                    continue;
                }
                if (which == 0)
                    for (int j = 0; j < NI; j++)
                        for (int64_t e = a; e < a + n; e++) sc[u][j] += w[e] * B[ds.items[e] * NI + j];
                if (which == 1)
                    for (int64_t e = a; e < a + n; e++)
                        for (int64_t q = nip[ds.items[e]]; q < nip[ds.items[e] + 1]; q++) sc[u][nb[q]] += w[e] * sim[q];
                if (which == 2) {
                    /* The fold-in of the decayed weights with no further decay. */
                    tide_mf_params pn = als.params;
                    pn.decay.half_life = 0;
                    float x[D];
                    CHECK_OK(tide_mf_fold_in(&pn, Y, NI, D, NULL, ds.items + a, wf + a, NULL, n, x));
                    for (int j = 0; j < NI; j++)
                        for (int d = 0; d < D; d++) sc[u][j] += (double)x[d] * Y[j * D + d];
                }
            }
            job.scorer = scorer_of(m);
            collect c;
            tide_retrieval_stats st;
            collect_init(&c, NU, K);
            CHECK_OK(tide_retrieval_run(&job, &p, sink, &c, &st));
            if (which == 2) CHECK_EQ(st.by_fold_in, NU - 5); /* users 4, 13, 22, 31, 40 have no events */
            check_against(&c, &ds, sc, K, 0, NULL, NULL, 0, NULL, 0);
            memcpy(lists[which][md], c.scores, sizeof lists[which][md]);
            collect_free(&c);
            free_scores(sc);
        }
    }
    /* The decay changes the scores, differently per as-of mode (for the linear EASE and kNN,
     * user vs latest is a per-user factor: same order, other scores; fold-in is not linear). */
    for (int which = 0; which < 3; which++)
        for (int a = 0; a < 4; a++)
            for (int b = a + 1; b < 4; b++) CHECK(memcmp(lists[which][a], lists[which][b], sizeof lists[which][a]) != 0);
    free(w);
    free(wf);
    free(B);
    free(ip);
    free(ix);
    tide_dataset_free(&ds);
}

/* Contextual popularity (pop --as-of user) through the scorer, with an allow-list and extra
 * exclusions, against the definition summed directly at each user's latest event; and ALS
 * --fold-in --decay-preference: every user with events folded in with fading preferences
 * (counted as scored by the model), against tide_mf_fold_in_pref on hand-decayed inputs. */
static void test_contextual(void) {
    tide_dataset ds;
    make_data(&ds);
    CHECK_OK(tide_dataset_build_item_major(&ds));
    int64_t *eip, *et;
    float *ew;
    CHECK_OK(tide_pop_events(&ds, &eip, &et, &ew));
    const double h = 43200;
    float popv[NI] = {0};
    int32_t cand[NI];
    int nc = 0;
    for (int j = 0; j < NI; j++)
        if (j % 3 != 1) cand[nc++] = j;
    int64_t pu[] = {1, 2};
    int32_t pi[] = {cand[4], cand[7]};
    for (int kern = 0; kern < 2; kern++) {
        tide_mf_model m = base_model(TIDE_MF_POP);
        m.popularity = popv; /* all zero: a list from it would be by index, not by time */
        m.params.decay = (tide_mf_decay){h, TIDE_ASOF_USER, 0};
        m.params.kernel = (tide_decay_kernel)kern;
        m.ev_indptr = eip;
        m.ev_times = et;
        m.ev_weights = ew;
        int64_t *ip;
        int32_t *ix;
        tide_retrieval_job job = excl_job(&m, &ds, 0, pu, pi, 2, &ip, &ix);
        job.candidates = cand;
        job.n_candidates = nc;
        double **sc = alloc_scores();
        int64_t latest = INT64_MIN;
        for (int64_t e = 0; e < ds.nnz; e++) latest = ds.times[e] > latest ? ds.times[e] : latest;
        for (int u = 0; u < NU; u++) {
            int64_t t = ds.indptr[u] == ds.indptr[u + 1] ? latest : INT64_MIN;
            for (int64_t e = ds.indptr[u]; e < ds.indptr[u + 1]; e++) t = ds.times[e] > t ? ds.times[e] : t;
            for (int64_t e = 0; e < ds.nnz; e++)
                if (kern == TIDE_KERNEL_TWO_SIDED || ds.times[e] <= t)
                    sc[u][ds.items[e]] += ds.weights[e] * pow(2.0, -fabs((double)(t - ds.times[e])) / h);
        }
        tide_retrieval_params p = small_blocks(K);
        collect c;
        run_job(&job, &p, &c);
        check_against(&c, &ds, sc, K, 0, pu, pi, 2, cand, nc);
        collect_free(&c);
        free_scores(sc);
        free(ip);
        free(ix);
    }
    /* ALS --fold-in --decay-preference, as-of user. */
    float Y[NI * D], U0[NU * D];
    for (int i = 0; i < NI * D; i++) Y[i] = (float)rnd() / 4294967296.0f - 0.5f;
    for (int i = 0; i < NU * D; i++) U0[i] = 1.0f; /* trained factors the fold-in must ignore */
    tide_mf_model als = als_model(U0, NU, Y, 4, 0.3);
    als.params.fold_in = 1;
    als.params.decay_preference = 1;
    als.params.decay = (tide_mf_decay){43200, TIDE_ASOF_USER, 0};
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = seen_job(&als, &ds, &ip, &ix);
    double *w = malloc((size_t)ds.nnz * sizeof *w + 1);
    float *wf = malloc((size_t)ds.nnz * sizeof *wf + 1), *pf = malloc((size_t)ds.nnz * sizeof *pf + 1);
    decayed_weights(&ds, &als.params.decay, w);
    for (int64_t e = 0; e < ds.nnz; e++) {
        wf[e] = (float)w[e];
        pf[e] = (float)(w[e] / ds.weights[e]);
    }
    double **sc = alloc_scores();
    double pop[NI] = {0};
    for (int64_t q = 0; q < ds.nnz; q++) pop[ds.items[q]] += 1;
    tide_mf_params pn = als.params;
    pn.decay.half_life = 0;
    for (int u = 0; u < NU; u++) {
        int64_t a = ds.indptr[u], n = ds.indptr[u + 1] - a;
        if (n == 0) {
            for (int j = 0; j < NI; j++) sc[u][j] = pop[j];
            continue;
        }
        float x[D];
        CHECK_OK(tide_mf_fold_in_pref(&pn, Y, NI, D, NULL, ds.items + a, wf + a, pf + a, NULL, n, x));
        for (int j = 0; j < NI; j++)
            for (int d = 0; d < D; d++) sc[u][j] += (double)x[d] * Y[j * D + d];
    }
    tide_retrieval_params p = small_blocks(K);
    collect c;
    tide_retrieval_stats st;
    collect_init(&c, NU, K);
    CHECK_OK(tide_retrieval_run(&job, &p, sink, &c, &st));
    CHECK_EQ(st.by_fold_in, 0);      /* the model's own rule */
    CHECK_EQ(st.by_popularity, 5);   /* users 4, 13, 22, 31, 40 have no events */
    check_against(&c, &ds, sc, K, 0, NULL, NULL, 0, NULL, 0);
    collect_free(&c);
    free_scores(sc);
    free(w); free(wf); free(pf); free(ip); free(ix);
    free(eip); free(et); free(ew);
    tide_dataset_free(&ds); /* the builder's arrays and the item-major copy alike */
}

/* ---- histories from the caller (tide_user_source: tide-serve's overlays) ------------------- */

typedef struct src_ctx {
    const tide_dataset *ds;
    const int64_t *row;   /* key → dataset row */
    int online;           /* views say "not a trained user" (user = -1) */
    int64_t latest;
} src_ctx;

static tide_status src_view(void *p, int64_t key, tide_user_view *v) {
    const src_ctx *c = p;
    tide_user_view_from_dataset(c->ds, c->row[key], c->latest, v);
    if (c->online) v->user = -1;
    return TIDE_OK;
}

/* The engine over views a caller supplies gives the bytes of the dataset-fed run: every user at
 * once (EASE with decay, popularity fallback given precomputed), and one user at a time as
 * tide-serve calls it — an online user (no model row) with events is folded in (ALS) exactly as
 * a dataset user past the model's users. */
static void test_user_source(void) {
    tide_dataset ds;
    make_data(&ds);
    float *B = calloc((size_t)NI * NI, sizeof *B);
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NI; j++) B[i * NI + j] = i == j ? 0.0f : (float)rint_in(-20, 30) * 0.125f;
    tide_mf_model ease = ease_model(B);
    ease.params.decay = (tide_mf_decay){43200, TIDE_ASOF_LATEST, 0};
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = seen_job(&ease, &ds, &ip, &ix);
    tide_retrieval_params p = small_blocks(K);
    collect a, b;
    run_job(&job, &p, &a);
    int64_t rows[NU];
    for (int u = 0; u < NU; u++) rows[u] = u;
    src_ctx sc = {&ds, rows, 0, tide_dataset_latest(&ds)};
    tide_user_source src = {src_view, &sc, NU};
    float *pop;
    CHECK_OK(tide_retrieval_popularity(&ds, &pop));
    job.data = NULL;
    job.source = &src;
    job.popularity = pop;
    run_job(&job, &p, &b);
    CHECK(memcmp(a.items, b.items, sizeof(int32_t) * NU * K) == 0);
    CHECK(memcmp(a.scores, b.scores, sizeof(float) * NU * K) == 0);
    CHECK(memcmp(a.by, b.by, NU) == 0);
    collect_free(&b);
    /* The popularity's order given (no sort per run): the same bytes. */
    int32_t *order;
    CHECK_OK(tide_retrieval_popularity_order(pop, NI, &order));
    job.popularity_order = order;
    run_job(&job, &p, &b);
    CHECK(memcmp(a.items, b.items, sizeof(int32_t) * NU * K) == 0);
    CHECK(memcmp(a.scores, b.scores, sizeof(float) * NU * K) == 0);
    CHECK(a.by[4] == TIDE_BY_POPULARITY);
    free(order);
    collect_free(&a);
    collect_free(&b);
    free(ip);
    free(ix);
    /* One user at a time: ALS with users 30.. unknown to the model. */
    float Y[NI * D], U[NU * D];
    for (int i = 0; i < NI * D; i++) Y[i] = (float)rnd() / 4294967296.0f - 0.5f;
    for (int i = 0; i < NU * D; i++) U[i] = (float)rnd() / 4294967296.0f - 0.5f;
    tide_mf_model als = als_model(U, 30, Y, 5, 0.5);
    tide_retrieval_job dj = seen_job(&als, &ds, &ip, &ix);
    collect all;
    run_job(&dj, &p, &all);
    sc.online = 1;
    int checked = 0;
    for (int u = 30; u < NU; u++) {
        int64_t key = 0, one_ptr[2] = {0, ip[u + 1] - ip[u]};
        int64_t r1[1] = {u};
        src_ctx s1 = {&ds, r1, 1, tide_dataset_latest(&ds)};
        tide_user_source one = {src_view, &s1, 1};
        tide_retrieval_job oj = {0};
        oj.scorer = dj.scorer;
        oj.source = &one;
        oj.users = &key;
        oj.n_users = 1;
        oj.excl_indptr = one_ptr;
        oj.excl_items = ix + ip[u];
        oj.popularity = pop;
        tide_retrieval_params p1 = p;
        collect c1;
        collect_init(&c1, 1, K);
        tide_retrieval_stats st;
        CHECK_OK(tide_retrieval_run(&oj, &p1, sink, &c1, &st));
        CHECK_EQ(c1.by[0], all.by[u]);
        CHECK_EQ(c1.counts[0], all.counts[u]);
        /* Equal to rounding, items equal unless their scores tie to rounding: a one-row block is
         * scored by tide_qscan_dot (the kernel tide-serve's quantised index re-scores with), a
         * multi-row block by sgemm, and OpenBLAS itself gives other bits for a 1×n than for an
         * m×n product (at d = 384, 85% of scores differ between m = 1 and m = 512). */
        for (int t = 0; t < c1.counts[0] && t < all.counts[u]; t++) {
            float sa = c1.scores[t], s2 = all.scores[(size_t)u * K + t];
            float tol = 1e-6f * (fabsf(s2) > 1 ? fabsf(s2) : 1);
            CHECK(fabsf(sa - s2) <= tol);
            if (c1.items[t] != all.items[(size_t)u * K + t]) {
                /* a swapped tie: the other list holds this item at a neighbouring rank, equal score */
                int found = 0;
                for (int z = 0; z < all.counts[u]; z++)
                    if (all.items[(size_t)u * K + z] == c1.items[t] && fabsf(all.scores[(size_t)u * K + z] - sa) <= 2 * tol)
                        found = 1;
                CHECK(found || t == c1.counts[0] - 1);
            }
        }
        checked += all.by[u] == TIDE_BY_FOLD_IN;
        collect_free(&c1);
    }
    CHECK(checked > 0);
    collect_free(&all);
    free(pop);
    free(B);
    free(ip);
    free(ix);
    tide_dataset_free(&ds);
}

/* ---- MMR ---------------------------------------------------------------------------------- */

static void test_mmr(void) {
    tide_dataset ds;
    make_data(&ds);
    float uf[NU * D], itf[NI * D];
    for (int i = 0; i < NU * D; i++) uf[i] = (float)rnd() / 4294967296.0f - 0.5f;
    for (int i = 0; i < NI * D; i++) itf[i] = (float)rnd() / 4294967296.0f - 0.5f;
    tide_mf_model m = vec_model(uf, NU, itf);
    int64_t *ip;
    int32_t *ix;
    tide_retrieval_job job = seen_job(&m, &ds, &ip, &ix);
    tide_retrieval_params p = small_blocks(K);
    collect plain, pool, div;
    run_job(&job, &p, &plain);
    p.pool = 30;
    run_job(&job, &p, &pool); /* lambda 0 with a pool: still exactly the plain top-K */
    CHECK(memcmp(plain.items, pool.items, sizeof(int32_t) * NU * K) == 0);
    CHECK(memcmp(plain.scores, pool.scores, sizeof(float) * NU * K) == 0);
    p.diversity = 0.7;
    run_job(&job, &p, &div);
    /* First pick is the most relevant; the others come from the top-30 pool, no repeats. */
    collect big;
    tide_retrieval_params pb = small_blocks(30);
    run_job(&job, &pb, &big);
    int differs = 0;
    for (int u = 0; u < NU; u++) {
        CHECK_EQ(div.counts[u], K);
        CHECK_EQ(div.items[u * K], plain.items[u * K]);
        for (int r = 0; r < K; r++) {
            int in_pool = 0, dup = 0;
            for (int q = 0; q < 30; q++) in_pool |= big.items[u * 30 + q] == div.items[u * K + r];
            for (int q = 0; q < r; q++) dup |= div.items[u * K + q] == div.items[u * K + r];
            CHECK(in_pool && !dup);
            differs |= div.items[u * K + r] != plain.items[u * K + r];
        }
    }
    CHECK(differs);
    collect_free(&plain);
    collect_free(&pool);
    collect_free(&div);
    collect_free(&big);
    free(ip);
    free(ix);
    tide_dataset_free(&ds);
}

/* ---- running top-k directly: ties and masking across many small pieces ---------------------- */

static void test_topk_scan(void) {
    enum { N = 1000, KK = 37 };
    float s[N];
    for (int j = 0; j < N; j++) s[j] = (float)rint_in(0, 20);
    for (int j = 0; j < N; j += 7) s[j] = -INFINITY;
    s[5] = NAN;
    float v[KK];
    int32_t ix[KK];
    int n = 0;
    for (int o = 0; o < N;) {
        int len = rint_in(1, 70);
        if (o + len > N) len = N - o;
        tide_topk_scan(v, ix, &n, KK, s + o, len, o);
        o += len;
    }
    tide_topk_finish(v, ix, n);
    double sc[N];
    int el[N];
    int32_t bi[KK];
    double bv[KK];
    for (int j = 0; j < N; j++) {
        sc[j] = s[j];
        el[j] = s[j] != -INFINITY && s[j] == s[j];
    }
    int m = brute_topk(sc, el, N, KK, bi, bv);
    CHECK_EQ(n, m);
    for (int r = 0; r < KK; r++) {
        CHECK_EQ(ix[r], bi[r]);
        CHECK_EQ(v[r], bv[r]);
    }
}

/* ---- model dirs ------------------------------------------------------------------------------ */

static const char *manifest_as_of; /* with manifest_half_life: params "as-of", "half-life" */
static double manifest_half_life;

static void write_manifest(const char *dir, const char *format, const char *algo, int users, int items) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "format", format);
    cJSON_AddNumberToObject(m, "format_version", 1);
    cJSON_AddStringToObject(m, "algorithm", algo);
    cJSON *p = cJSON_AddObjectToObject(m, "params");
    cJSON_AddNumberToObject(p, "alpha", 10);
    cJSON_AddNumberToObject(p, "regularization", 0.1);
    if (manifest_as_of) {
        cJSON_AddNumberToObject(p, "half-life", manifest_half_life);
        cJSON_AddStringToObject(p, "as-of", manifest_as_of);
    }
    cJSON *d = cJSON_AddObjectToObject(m, "dataset");
    cJSON_AddStringToObject(d, "checksum", "crc32:01234567");
    cJSON_AddStringToObject(d, "path", "somewhere");
    cJSON_AddNumberToObject(d, "users", users);
    cJSON_AddNumberToObject(d, "items", items);
    char *s = cJSON_Print(m);
    char path[1200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    harness_write(path, s);
    free(s);
    cJSON_Delete(m);
}

static void test_model_load(void) {
    const char *tmp = harness_tmpdir("test-retrieval");
    char dir[1100], path[1200];
    snprintf(dir, sizeof dir, "%s/als", tmp);
    mkdir(dir, 0777);
    float u[4 * 3] = {0}, it[5 * 3] = {0}, it2[5 * 2] = {0};
    write_manifest(dir, "tide-model", "als", 4, 5);
    snprintf(path, sizeof path, "%s/user_factors.npy", dir);
    CHECK_OK(tide_npy_save_2d(path, TIDE_DTYPE_F32, 4, 3, u));
    snprintf(path, sizeof path, "%s/item_factors.npy", dir);
    CHECK_OK(tide_npy_save_2d(path, TIDE_DTYPE_F32, 5, 3, it));
    tide_scorer *m = NULL;
    CHECK_OK(tide_scorer_open(dir, &m));
    CHECK_STR(m->info.family, "mf");
    CHECK_STR(m->info.algorithm, "als");
    CHECK_EQ(m->info.item_dim, 3);
    CHECK_EQ(m->info.n_users, 4);
    CHECK_EQ(m->info.n_items, 5);
    CHECK(m->info.flags & TIDE_SCORER_USES_BACKEND);
    CHECK(!(m->info.flags & TIDE_SCORER_NEEDS_HISTORY));
    CHECK_STR(m->info.dataset_checksum, "crc32:01234567");
    /* The params scoring follows, read back by the one parser (tide_mf_params_from_json). */
    tide_mf_params pp = tide_mf_params_default(TIDE_MF_ALS);
    CHECK_OK(tide_mf_params_from_json(cJSON_GetObjectItem((cJSON *)m->info.manifest, "params"), &pp, "x"));
    CHECK_NEAR(pp.alpha, 10, 0);
    CHECK_NEAR(pp.regularization, 0.1, 1e-12);
    CHECK_NEAR(pp.decay.half_life, 0, 0); /* no "half-life": no decay */
    tide_scorer_free(m);
    /* Factor dims that disagree. */
    CHECK_OK(tide_npy_save_2d(path, TIDE_DTYPE_F32, 5, 2, it2));
    CHECK_STATUS(tide_scorer_open(dir, &m), TIDE_ERR_DATA);
    CHECK(m == NULL);
    CHECK_CONTAINS(tide_error_message(), "has 3 factors but item_factors.npy has 2");
    /* The decay params, as tide-train-mf writes them. */
    CHECK_OK(tide_npy_save_2d(path, TIDE_DTYPE_F32, 5, 3, it));
    const char *asof[] = {"latest", "user", "1000000000"};
    const tide_asof_mode want[] = {TIDE_ASOF_LATEST, TIDE_ASOF_USER, TIDE_ASOF_TIME};
    for (int q = 0; q < 3; q++) {
        manifest_as_of = asof[q];
        manifest_half_life = 86400;
        write_manifest(dir, "tide-model", "als", 4, 5);
        CHECK_OK(tide_scorer_open(dir, &m));
        pp = tide_mf_params_default(TIDE_MF_ALS);
        CHECK_OK(tide_mf_params_from_json(cJSON_GetObjectItem((cJSON *)m->info.manifest, "params"), &pp, "x"));
        CHECK_NEAR(pp.decay.half_life, 86400, 0);
        CHECK_EQ(pp.decay.as_of_mode, want[q]);
        if (want[q] == TIDE_ASOF_TIME) CHECK_EQ(pp.decay.as_of, 1000000000);
        tide_scorer_free(m);
    }
    manifest_as_of = "yesterday";
    write_manifest(dir, "tide-model", "als", 4, 5);
    CHECK_STATUS(tide_scorer_open(dir, &m), TIDE_ERR_DATA);
    CHECK(m == NULL);
    CHECK_CONTAINS(tide_error_message(), "\"as-of\" must be");
    manifest_as_of = "latest";
    manifest_half_life = -1;
    write_manifest(dir, "tide-model", "als", 4, 5);
    CHECK_STATUS(tide_scorer_open(dir, &m), TIDE_ERR_DATA);
    CHECK(m == NULL);
    CHECK_CONTAINS(tide_error_message(), "\"half-life\" must be");
    manifest_as_of = NULL;
    /* Unknown kinds. */
    write_manifest(dir, "tide-future", "drift", 4, 5); /* a format no family registered */
    CHECK_STATUS(tide_scorer_open(dir, &m), TIDE_ERR_DATA);
    CHECK(m == NULL);
    CHECK_CONTAINS(tide_error_message(), "unsupported model kind");
    write_manifest(dir, "tide-model", "slim", 4, 5);
    CHECK_STATUS(tide_scorer_open(dir, &m), TIDE_ERR_DATA);
    CHECK(m == NULL);
    CHECK_CONTAINS(tide_error_message(), "unsupported model kind: algorithm 'slim'");
    /* Missing array. */
    write_manifest(dir, "tide-model", "ease", 4, 5);
    CHECK_STATUS(tide_scorer_open(dir, &m), TIDE_ERR_DATA);
    CHECK(m == NULL);
    CHECK_CONTAINS(tide_error_message(), "item_matrix.npy: missing");
    tide_rmtree(tmp);
}

int main(void) {
    for (int u = 0; u < NU; u++) all_users[u] = u;
    tide_threads_set(2);
    RUN(test_topk_scan);
    RUN(test_factors_exclusion);
    RUN(test_thread_independence);
    RUN(test_ease);
    RUN(test_knn);
    RUN(test_pop);
    RUN(test_decayed_history);
    RUN(test_contextual);
    RUN(test_users_not_in_model);
    RUN(test_user_source);
    RUN(test_mmr);
    RUN(test_model_load);
    scorers_free();
    return harness_done();
}
