/* test-qscan.c — the quantised one-query scan (tide/qscan.h) against the exhaustive scan it must
 * equal bit for bit: every item scored with tide_qscan_dot (+ bias) and fed in column order to
 * the engine's running top-K. Random and adversarial data (exact ties, duplicated items, zero,
 * tiny, subnormal and huge norms, one dominant coordinate, near-duplicates of the best item,
 * k ≥ n, exclusions of the best items, allow-lists, item bias), on every SIMD path this CPU can
 * run (the others are reported as skipped); the fp32 kernel's bits must not depend on the path.
 * Then the engine: tide_retrieval_run with and without job.qindex gives identical lists. */
#include "harness.h"

#include <float.h>
#include <math.h>

#include "retrieval/retrieval-impl.h"
#include "tide/mf.h"
#include "tide/qscan.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}
static double unif(void) { return (rnd() + 0.5) / 4294967296.0; } /* (0, 1) */
static float gauss(void) { return (float)(sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif())); }

/* The reference: every eligible column scored and fed to the running top-K in column order. */
static void exhaustive(const float *Y, int64_t d, const float *q, const float *bias, int64_t C, const int32_t *cand,
                       const int32_t *ex, int64_t n_ex, int kk, float *val, int32_t *idx, int *n) {
    *n = 0;
    int64_t e = 0;
    for (int64_t c = 0; c < C; c++) {
        while (e < n_ex && ex[e] < c) e++;
        if (e < n_ex && ex[e] == c) continue;
        int64_t i = cand ? cand[c] : c;
        float f;
        tide_qscan_dot(q, Y + (size_t)i * (size_t)d, 1, d, &f);
        if (bias) f = f + bias[c];
        tide_topk_scan(val, idx, n, kk, &f, 1, (int32_t)c);
    }
    tide_topk_finish(val, idx, *n);
}

static int cases_run, fast_answers;
static int64_t last_rescored;

/* One comparison; returns the fast path's answer flag. */
static int compare(const float *Y, int64_t N, int64_t d, const float *q, const float *bias, int64_t C,
                   const int32_t *cand, const int32_t *ex, int64_t n_ex, int kk, const char *what) {
    tide_qindex *ix = NULL;
    CHECK_OK(tide_qindex_build(Y, N, d, &ix));
    if (!ix) return 0;
    float *v1 = malloc((size_t)kk * sizeof *v1), *v2 = malloc((size_t)kk * sizeof *v2);
    int32_t *i1 = malloc((size_t)kk * sizeof *i1), *i2 = malloc((size_t)kk * sizeof *i2);
    int n1 = 0, n2 = 0;
    int64_t res = 0;
    exhaustive(Y, d, q, bias, C, cand, ex, n_ex, kk, v1, i1, &n1);
    int ok = tide_qindex_topk(ix, q, bias, C, cand, ex, n_ex, kk, v2, i2, &n2, &res);
    cases_run++;
    if (ok) {
        fast_answers++;
        tide_topk_finish(v2, i2, n2);
        if (n1 != n2 || memcmp(i1, i2, (size_t)n1 * sizeof *i1) || memcmp(v1, v2, (size_t)n1 * sizeof *v1)) {
            printf("  %s (level %d): fast path differs from the exhaustive scan (n %d vs %d)\n", what,
                   tide_qscan_level(), n2, n1);
            for (int t = 0; t < n1 && t < n2 && t < 12; t++)
                printf("    %d: exhaustive %d %.9g  fast %d %.9g\n", t, i1[t], v1[t], i2[t], v2[t]);
            CHECK(0);
        }
        CHECK(res <= C);
        last_rescored = res;
    } else {
        CHECK_EQ(n2, 0); /* declined: nothing written */
    }
    free(v1);
    free(v2);
    free(i1);
    free(i2);
    tide_qindex_free(ix);
    return ok;
}

static int *g_levels_skipped;

static void run_cases(void) {
    const int64_t N = 2000;
    int64_t dims[] = {384, 37, 16, 1, 64};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        int64_t d = dims[di];
        float *Y = malloc((size_t)N * (size_t)d * sizeof *Y);
        float *q = malloc((size_t)d * sizeof *q);
        float *bias = malloc((size_t)N * sizeof *bias);
        int32_t *ex = malloc((size_t)N * sizeof *ex), *cand = malloc((size_t)N * sizeof *cand);
        for (int variant = 0; variant < 12; variant++) {
            /* Items. */
            for (int64_t i = 0; i < N; i++)
                for (int64_t j = 0; j < d; j++) {
                    float x = gauss();
                    switch (variant) {
                    case 1: x = (float)(rnd() % 5) - 2; break;          /* small integers: many exact ties */
                    case 2: x = (i % 7 == 0) ? 0 : x; break;              /* zero items */
                    case 3: x *= 1e-30f; break;                           /* tiny */
                    case 4: x *= 1e-41f; break;                           /* subnormal */
                    case 5: x *= (i % 3 == 0) ? 1e15f : 1.0f; break;      /* huge and mixed norms */
                    case 6: x = (j == 0) ? 1000 * x : 1e-3f * x; break;   /* one dominant coordinate */
                    default: break;
                    }
                    Y[(size_t)i * (size_t)d + (size_t)j] = x;
                }
            if (variant == 7) /* near-duplicates and exact duplicates of item 0 */
                for (int64_t i = 1; i < N; i += 3)
                    for (int64_t j = 0; j < d; j++)
                        Y[(size_t)i * (size_t)d + (size_t)j] = Y[j] * (i % 2 ? 1.0f : 1.0f + 1e-7f * (float)(rnd() % 3));
            for (int64_t j = 0; j < d; j++) q[j] = variant == 8 ? 0 : variant == 1 ? (float)(rnd() % 3) - 1 : gauss();
            if (variant == 9 && d > 1) q[d / 2] = NAN;
            for (int64_t i = 0; i < N; i++) bias[i] = variant == 10 ? gauss() * 3 : variant == 1 ? (float)(rnd() % 2) : 0;
            const float *b = (variant == 10 || variant == 1) ? bias : NULL;
            int ks[] = {1, 10, 50, (int)N, (int)N + 7};
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
                int kk = ks[ki];
                char what[128];
                snprintf(what, sizeof what, "d=%lld variant %d k=%d", (long long)d, variant, kk);
                int ok = compare(Y, N, d, q, b, N, NULL, NULL, 0, kk, what);
                if (variant == 9 && d > 1) CHECK(!ok); /* a NaN query is declined */
                /* And it prunes: Gaussian data, top-10 re-scores a small fraction exactly. */
                if (variant == 0 && kk == 10 && d >= 37 && !(last_rescored < N / 4)) {
                    printf("  d=%lld: %lld of %lld items re-scored\n", (long long)d, (long long)last_rescored, (long long)N);
                    CHECK(0);
                }
                if (variant == 0 || variant == 1 || variant == 2 || variant == 3 || variant == 7) CHECK(ok);
                /* Exclusions: random ones, and the exhaustive top-50 (so the bound must not count them). */
                int64_t ne = 0;
                for (int64_t c = 0; c < N; c++)
                    if (rnd() % 5 == 0) ex[ne++] = (int32_t)c;
                compare(Y, N, d, q, b, N, NULL, ex, ne, kk, what);
                {
                    float v[64];
                    int32_t ix2[64];
                    int n = 0;
                    exhaustive(Y, d, q, b, N, NULL, NULL, 0, 50, v, ix2, &n);
                    for (int t = 0; t < n; t++) ex[t] = ix2[t];
                    ne = n;
                    for (int64_t a = 1; a < ne; a++) /* sort */
                        for (int64_t z = a; z > 0 && ex[z - 1] > ex[z]; z--) {
                            int32_t t = ex[z];
                            ex[z] = ex[z - 1];
                            ex[z - 1] = t;
                        }
                    compare(Y, N, d, q, b, N, NULL, ex, ne, kk, what);
                }
                /* An allow-list (columns → items) with exclusions in column space. */
                int64_t C = 0;
                for (int64_t i = 0; i < N; i++)
                    if (rnd() % 3) cand[C++] = (int32_t)i;
                float *bc = NULL;
                if (b) {
                    bc = malloc((size_t)C * sizeof *bc);
                    for (int64_t c = 0; c < C; c++) bc[c] = b[cand[c]];
                }
                ne = 0;
                for (int64_t c = 0; c < C; c++)
                    if (rnd() % 7 == 0) ex[ne++] = (int32_t)c;
                compare(Y, N, d, q, bc, C, cand, ex, ne, kk < C ? kk : (int)C, what);
                free(bc);
            }
        }
        free(Y);
        free(q);
        free(bias);
        free(ex);
        free(cand);
    }
    (void)g_levels_skipped;
}

static const char *level_name[] = {"baseline", "AVX2", "AVX-512BW", "AVX-512 VNNI"};

static void test_fast_equals_exhaustive_every_path(void) {
    int skipped = 0;
    char why[256] = "";
    for (int level = 0; level <= 3; level++) {
        if (!tide_qscan_force(level)) {
            printf("  SKIPPED: the %s path cannot run on this CPU/build\n", level_name[level]);
            skipped++;
            snprintf(why + strlen(why), sizeof why - strlen(why), "%s%s path not run (CPU lacks it)", skipped > 1 ? "; " : "",
                     level_name[level]);
            continue;
        }
        cases_run = fast_answers = 0;
        run_cases();
        printf("  %s: %d comparisons, %d answered by the fast path\n", level_name[level], cases_run, fast_answers);
        CHECK(fast_answers > cases_run / 2);
    }
    tide_qscan_force(-1);
    if (skipped) SKIP("%s", why);
}

/* tide_qscan_dot gives the same bits on every path (no FMA, fixed lane order). */
static void test_dot_same_bits_every_path(void) {
    const int64_t n = 300, d = 389;
    float *Y = malloc((size_t)n * d * sizeof *Y), q[389], ref[300], got[300];
    for (int64_t t = 0; t < n * d; t++) Y[t] = gauss() * (t % 11 ? 1.0f : 1e3f);
    for (int64_t j = 0; j < d; j++) q[j] = gauss();
    CHECK(tide_qscan_force(0));
    tide_qscan_dot(q, Y, n, d, ref);
    int runs = 0;
    for (int level = 1; level <= 3; level++) {
        if (!tide_qscan_force(level)) {
            SKIP("the %s path cannot run on this CPU/build: its bits were not compared", level_name[level]);
            continue;
        }
        tide_qscan_dot(q, Y, n, d, got);
        CHECK(memcmp(ref, got, sizeof ref) == 0);
        runs++;
    }
    tide_qscan_force(-1);
    /* And the order is the documented one: lane sums, then the fixed fold. */
    for (int64_t i = 0; i < n; i++) {
        float acc[16] = {0};
        for (int64_t j = 0; j < d; j++) {
            float p = q[j] * Y[i * d + j];
            acc[j % 16] = acc[j % 16] + p;
        }
        for (int s = 8; s; s >>= 1)
            for (int l = 0; l < s; l++) acc[l] = acc[l] + acc[l + s];
        CHECK(memcmp(&acc[0], &ref[i], sizeof(float)) == 0);
    }
    free(Y);
    (void)runs;
}

/* The engine: one-user runs of a factor scorer with and without the index, with exclusions,
 * an allow-list and MMR. */
static tide_status sink(void *ctx, const tide_retrieval_batch *b) {
    tide_retrieval_batch *out = ctx;
    memcpy((void *)out->items, b->items, (size_t)b->k * sizeof *b->items);
    memcpy((void *)out->scores, b->scores, (size_t)b->k * sizeof *b->scores);
    ((int32_t *)out->counts)[0] = b->counts[0];
    return TIDE_OK;
}

static void test_engine_with_index(void) {
    const int64_t N = 5000, d = 48, U = 20;
    float *Y = malloc((size_t)N * d * sizeof *Y), *Uf = malloc((size_t)U * d * sizeof *Uf);
    for (int64_t t = 0; t < N * d; t++) Y[t] = (t / d) % 13 == 0 ? Y[t % d] : gauss();
    for (int64_t t = 0; t < U * d; t++) Uf[t] = gauss();
    tide_scorer *sc = NULL;
    CHECK_OK(tide_mf_scorer_vectors(Uf, U, Y, N, d, &sc));
    tide_qindex *ix = NULL;
    CHECK_OK(tide_qindex_build(sc->info.item_vectors, N, d, &ix));
    int32_t cand[3000];
    int64_t nc = 0;
    for (int64_t i = 0; i < N && nc < 3000; i++)
        if (rnd() % 2) cand[nc++] = (int32_t)i;
    int compared = 0;
    for (int64_t u = 0; u < U; u++)
        for (int mode = 0; mode < 3; mode++) {
            int32_t items[2][100], counts[2];
            float scores[2][100];
            int32_t ex[40];
            int64_t ex_ptr[U + 1];
            int32_t exs[U * 40];
            int64_t w = 0;
            for (int64_t v = 0; v < U; v++) {
                ex_ptr[v] = w;
                int32_t base = (int32_t)(rnd() % 100);
                for (int t = 0; t < 40; t++) exs[w++] = base + 13 * t;
            }
            ex_ptr[U] = w;
            (void)ex;
            for (int with = 0; with < 2; with++) {
                tide_retrieval_job job;
                memset(&job, 0, sizeof job);
                job.scorer = sc;
                job.users = &u;
                job.n_users = 1;
                job.excl_indptr = ex_ptr;
                job.excl_items = exs;
                if (mode == 1) {
                    job.candidates = cand;
                    job.n_candidates = nc;
                }
                job.qindex = with ? ix : NULL;
                tide_retrieval_params p;
                tide_retrieval_params_default(&p);
                p.k = 100;
                p.user_block = 1;
                p.batch_users = 1;
                if (mode == 2) p.diversity = 0.3;
                tide_retrieval_batch out = {0, 1, 100, NULL, items[with], scores[with], &counts[with], NULL};
                CHECK_OK(tide_retrieval_run(&job, &p, sink, &out, NULL));
            }
            CHECK_EQ(counts[0], counts[1]);
            CHECK(memcmp(items[0], items[1], (size_t)counts[0] * sizeof(int32_t)) == 0);
            CHECK(memcmp(scores[0], scores[1], (size_t)counts[0] * sizeof(float)) == 0);
            compared++;
        }
    CHECK_EQ(compared, U * 3);
    /* The engine does consult the index: one built over other vectors (item 7 made the best for
     * user 0) changes the answer, which a full scan of the scorer's vectors would not. */
    float *Y2 = malloc((size_t)N * d * sizeof *Y2);
    memcpy(Y2, Y, (size_t)N * d * sizeof *Y2);
    for (int64_t j = 0; j < d; j++) Y2[7 * d + j] = 100 * Uf[j];
    tide_qindex *ix2 = NULL;
    CHECK_OK(tide_qindex_build(Y2, N, d, &ix2));
    int64_t u0 = 0;
    int32_t it[5], cnt;
    float sco[5];
    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.scorer = sc;
    job.users = &u0;
    job.n_users = 1;
    job.qindex = ix2;
    tide_retrieval_params p;
    tide_retrieval_params_default(&p);
    p.k = 5;
    p.user_block = 1;
    p.batch_users = 1;
    tide_retrieval_batch out = {0, 1, 5, NULL, it, sco, &cnt, NULL};
    CHECK_OK(tide_retrieval_run(&job, &p, sink, &out, NULL));
    CHECK_EQ(it[0], 7);
    tide_qindex_free(ix2);
    free(Y2);
    tide_qindex_free(ix);
    tide_scorer_free(sc);
    free(Y);
    free(Uf);
}

/* Several queries at once (tide_qmulti_block, the interest model's large-catalogue pass): the
 * fp32 dot of every query and column lies within [est − mar, est + mar], mar within the query's
 * margin for every item (tide_qmulti_margin), on every path, with and
 * without an allow-list, at block offsets that are and are not multiples of 16, with and without
 * the interleaved copy; est is the same on every path (integer dots). */
static void test_multi_bounds_every_path(void) {
    const int64_t N = 1000;
    int64_t dims[] = {384, 37, 64, 1};
    int nqs[] = {1, 5, 9, 17};
    int runs = 0;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        int64_t d = dims[di];
        float *Y = malloc((size_t)N * d * sizeof *Y), *Q = malloc((size_t)17 * d * sizeof *Q);
        for (int64_t t = 0; t < N * d; t++) Y[t] = (t / d) % 50 == 7 ? 0 : gauss() * ((t / d) % 9 == 0 ? 100.0f : 1.0f);
        for (int64_t t = 0; t < 17 * d; t++) Q[t] = gauss();
        int32_t cand[600];
        for (int c = 0; c < 600; c++) cand[c] = (int32_t)(c * 5 / 3);
        for (int il = 0; il < 2; il++) {
            tide_qindex *ix = NULL;
            CHECK_OK(tide_qindex_build(Y, N, d, &ix));
            if (il) CHECK_OK(tide_qindex_interleave(ix));
            for (size_t qi = 0; qi < sizeof nqs / sizeof nqs[0]; qi++) {
                int nq = nqs[qi];
                double *ref = NULL;
                for (int level = 0; level <= 3; level++) {
                    if (!tide_qscan_force(level)) continue;
                    tide_qmulti *m = NULL;
                    CHECK_OK(tide_qmulti_new(ix, Q, nq, &m));
                    if (!m) continue;
                    int64_t offs[][2] = {{0, N}, {16, 300}, {5, 77}, {992, 8}};
                    for (int oi = 0; oi < 4; oi++)
                        for (int wc = 0; wc < 2; wc++) {
                            int64_t c0 = offs[oi][0], w = offs[oi][1];
                            if (wc && c0 + w > 600) continue;
                            double *est = malloc((size_t)nq * w * sizeof *est), *mar = malloc((size_t)nq * w * sizeof *mar);
                            tide_qmulti_block(m, c0, w, wc ? cand : NULL, est, mar);
                            for (int t = 0; t < nq; t++)
                                for (int64_t i = 0; i < w; i++) {
                                    int64_t item = wc ? cand[c0 + i] : c0 + i;
                                    float f;
                                    tide_qscan_dot(Q + (size_t)t * d, Y + (size_t)item * d, 1, d, &f);
                                    double e = est[(size_t)t * w + i], r = mar[(size_t)t * w + i];
                                    double M = tide_qmulti_margin(m, t);   /* valid for every item */
                                    if (!(f >= e - r && f <= e + r) || !(r <= M)) {
                                        printf("  d=%lld nq=%d level %d: query %d item %lld: %.9g not in %.9g ± %.3g\n",
                                               (long long)d, nq, level, t, (long long)item, f, e, r);
                                        CHECK(0);
                                        t = nq;
                                        break;
                                    }
                                }
                            /* est alone (mar = NULL) is the same */
                            double *est2 = malloc((size_t)nq * w * sizeof *est2);
                            tide_qmulti_block(m, c0, w, wc ? cand : NULL, est2, NULL);
                            CHECK(memcmp(est, est2, (size_t)nq * w * sizeof *est2) == 0);
                            free(est2);
                            if (oi == 0 && !wc) {
                                if (!ref) {
                                    ref = malloc((size_t)nq * w * sizeof *ref);
                                    memcpy(ref, est, (size_t)nq * w * sizeof *ref);
                                } else {
                                    CHECK(memcmp(ref, est, (size_t)nq * w * sizeof *ref) == 0);
                                }
                            }
                            free(est);
                            free(mar);
                            runs++;
                        }
                    tide_qmulti_free(m);
                }
                free(ref);
            }
            tide_qindex_free(ix);
        }
        free(Y);
        free(Q);
    }
    tide_qscan_force(-1);
    CHECK(runs > 0);
    /* a query that cannot be bounded is declined */
    float Y1[8] = {1, 2, 3, 4, 5, 6, 7, 8}, q1[4] = {1, NAN, 0, 0};
    tide_qindex *ix = NULL;
    CHECK_OK(tide_qindex_build(Y1, 2, 4, &ix));
    tide_qmulti *m = (tide_qmulti *)1;
    CHECK_OK(tide_qmulti_new(ix, q1, 1, &m));
    CHECK(m == NULL);
    tide_qindex_free(ix);
    if (!tide_qscan_force(3)) SKIP("the AVX-512 VNNI path cannot run on this CPU/build: its several-query bounds were not checked");
    tide_qscan_force(-1);
}

int main(void) {
    RUN(test_multi_bounds_every_path);
    RUN(test_dot_same_bits_every_path);
    RUN(test_fast_equals_exhaustive_every_path);
    RUN(test_engine_with_index);
    return harness_done();
}
