/* test-interest.c — the interest module: history weights, component scores against direct
 * computations, z-scores, NDCG, the combiner, settings JSON, online advance = batch capture, and
 * the interest dir round trip. */
#include <cjson/cJSON.h>
#include <cblas.h>

#include "harness.h"
#include "topk-sink.h"
#include "tide/interest.h"
#include "tide/npy.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"
#include "tide/synth.h"

static tide_dataset ds;
static float *lmv;   /* random item vectors [60, 16] */
static const int D = 16;

static void setup(void) {
    if (tide_synth_dataset(120, 60, 1500, 0.8, 3, &ds) != TIDE_OK) { fprintf(stderr, "synthesize failed\n"); exit(1); }
    if (!ds.item_indptr && tide_dataset_build_item_major(&ds) != TIDE_OK) exit(1);
    lmv = malloc(60 * D * sizeof *lmv);
    uint64_t x = 12345;
    for (int k = 0; k < 60 * D; k++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        lmv[k] = (float)((double)(x >> 11) / 9007199254740992.0 - 0.5);
    }
}

/* Top-k of dataset users [lo, hi) through the interest scorer and the engine (what tide-capture-
 * interest --recs, tide-recommend and tide-serve run), seen items excluded. */
static tide_status engine_topk(const tide_interest_items *it, const tide_interest_params *p, int64_t lo, int64_t hi, int k,
                               int32_t *items, float *sc, int32_t *cnt) {
    tide_scorer *s = NULL;
    int64_t *ptr = NULL, users[64];
    int32_t *ex = NULL;
    tide_status st = tide_interest_scorer_borrow(it, p, INT64_MIN, &s);
    if (!st) st = tide_retrieval_exclusions_build(&ds, 0, NULL, NULL, 0, &ptr, &ex);
    for (int64_t u = lo; u < hi; u++) users[u - lo] = u;
    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.scorer = s;
    job.data = &ds;
    job.users = users;
    job.n_users = hi - lo;
    job.excl_indptr = ptr;
    job.excl_items = ex;
    tide_retrieval_params rp;
    tide_retrieval_params_default(&rp);
    rp.k = k;
    topk_out o = {items, sc, cnt, k};
    if (!st) st = tide_retrieval_run(&job, &rp, topk_sink, &o, NULL);
    tide_scorer_free(s);
    free(ptr);
    free(ex);
    return st;
}

static tide_interest_params base_params(void) {
    tide_interest_params p = tide_interest_params_default();
    p.als_factors = 4;
    p.als_iterations = 3;
    p.knn_neighbors = 10;
    p.tfidf_dim = 8;
    return p;
}

static void test_history_weights(void) {
    int64_t t[4] = {0, 100, 160, 220};
    float w[4];
    tide_interest_decay d = {2, 60};
    tide_interest_history_weights(&d, t, 4, 220, w);
    CHECK_NEAR(w[3], 1.0, 1e-6);
    CHECK_NEAR(w[2], exp(-0.5) * 0.5, 1e-6);
    CHECK_NEAR(w[1], exp(-1.0) * 0.25, 1e-6);
    CHECK_NEAR(w[0], exp(-1.5) * pow(2, -220.0 / 60), 1e-6);
    tide_interest_decay off = {0, 0};
    tide_interest_history_weights(&off, t, 4, 220, w);
    for (int k = 0; k < 4; k++) CHECK_NEAR(w[k], 1.0, 0);
    /* an event after t_ref counts as t_ref */
    tide_interest_decay tonly = {0, 60};
    tide_interest_history_weights(&tonly, t, 4, 100, w);
    CHECK_NEAR(w[3], 1.0, 0);
    CHECK_NEAR(w[0], 2.0 / 2.0 * pow(2, -100.0 / 60), 1e-6);
}

static void test_features(void) {
    tide_interest_params p = base_params();
    p.enabled = (1u << TIDE_IC_EASE) | (1u << TIDE_IC_TRANS) | (1u << TIDE_IC_LM) | (1u << TIDE_IC_ALS) | (1u << TIDE_IC_POP) |
                (1u << TIDE_IC_EASE_BURST);
    p.cf = (tide_interest_decay){3, 0};         /* several events (the synthetic times are far apart) */
    p.burst = (tide_interest_decay){0.5, 30};   /* ~ the last event only */
    p.trans_half_life = 600;
    tide_interest_items_opts io = {0};
    io.lm_vectors = lmv;
    io.lm_dim = D;
    tide_interest_items it;
    CHECK_OK(tide_interest_items_build(&ds, &p, &io, &it));
    int64_t N = it.n_items;
    float *F = malloc((size_t)TIDE_IC_N * N * sizeof *F);
    float *work = malloc(tide_interest_work_floats(&it, &p) * sizeof *work);
    for (int64_t u = 0; u < 5; u++) {
        tide_interest_history h;
        tide_interest_history_of(&ds, NULL, it.lm_dim, u, INT64_MIN, &h);
        CHECK_OK(tide_interest_features(&it, &p, &h, F, work, NULL));
        /* EASE: Σ w_k B[item_k, j] */
        float *w = malloc((size_t)h.n * sizeof *w);
        tide_interest_history_weights(&p.cf, h.times, h.n, h.t_ref, w);
        for (int64_t j = 0; j < N; j += 7) {
            double s = 0;
            for (int64_t k = 0; k < h.n; k++) s += w[k] * it.ease[(size_t)h.items[k] * N + j];
            CHECK_NEAR(F[TIDE_IC_EASE * N + j], s, 1e-4 * (1 + fabs(s)));
        }
        /* the burst: the same EASE rows under its own decay; it must differ from the EASE row */
        tide_interest_history_weights(&p.burst, h.times, h.n, h.t_ref, w);
        double diff = 0;
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t k = 0; k < h.n; k++)
                if (w[k] > 1e-6f * w[h.n - 1]) s += w[k] * it.ease[(size_t)h.items[k] * N + j];
            CHECK_NEAR(F[TIDE_IC_EASE_BURST * N + j], s, 1e-4 * (1 + fabs(s)));
            diff += fabs(F[TIDE_IC_EASE_BURST * N + j] - F[TIDE_IC_EASE * N + j]);
        }
        if (h.n > 1) CHECK(diff > 1e-3);   /* one event: both rows are its EASE row */
        /* transitions: the last event's row times 1, the one before times exp(-1/tau), each
         * times 2^(-age / trans half-life) */
        for (int64_t j = 0; j < N; j += 5) {
            double s = 0;
            for (int64_t q = 0; q < p.trans_last && q < h.n; q++) {
                int32_t i = h.items[h.n - 1 - q];
                double age = (double)(h.t_ref - h.times[h.n - 1 - q]);
                for (int64_t e = it.tr_indptr[i]; e < it.tr_indptr[i + 1]; e++)
                    if (it.tr_items[e] == j)
                        s += exp(-(double)q / p.trans_tau) * (age > 0 ? pow(2, -age / p.trans_half_life) : 1) * it.tr_probs[e];
            }
            CHECK_NEAR(F[TIDE_IC_TRANS * N + j], s, 1e-5);
        }
        /* LM: cosine to the content-decayed profile */
        tide_interest_history_weights(&p.content, h.times, h.n, h.t_ref, w);
        double prof[16] = {0}, nrm = 0;
        for (int64_t k = 0; k < h.n; k++)
            for (int c = 0; c < D; c++) prof[c] += w[k] * it.lm[h.items[k] * D + c];
        for (int c = 0; c < D; c++) nrm += prof[c] * prof[c];
        nrm = sqrt(nrm);
        for (int64_t j = 0; j < N; j += 3) {
            double s = 0;
            for (int c = 0; c < D; c++) s += it.lm[j * D + c] * prof[c] / nrm;
            CHECK_NEAR(F[TIDE_IC_LM * N + j], s, 1e-5);
        }
        /* disabled components stay zero */
        for (int64_t j = 0; j < N; j++) CHECK(F[TIDE_IC_KNN * N + j] == 0 && F[TIDE_IC_WORDS * N + j] == 0);
        free(w);
    }
    /* z-scores: mean 0, sd 1 over the non-excluded items */
    int32_t ex[3] = {1, 4, 9};
    tide_interest_normalise(F, N, ex, 3);
    double s = 0, s2 = 0;
    for (int64_t j = 0; j < N; j++)
        if (j != 1 && j != 4 && j != 9) { s += F[TIDE_IC_EASE * N + j]; s2 += F[TIDE_IC_EASE * N + j] * F[TIDE_IC_EASE * N + j]; }
    CHECK_NEAR(s / (N - 3), 0, 1e-4);
    CHECK_NEAR(s2 / (N - 3), 1, 1e-3);
    free(F);
    free(work);
    tide_interest_items_free(&it);
}

static void test_ndcg(void) {
    float score[6] = {0.1f, 0.9f, 0.5f, 0.5f, 0.2f, 0.8f};
    int32_t ex[1] = {1};
    int32_t truth[1] = {3};
    /* ranking without item 1: 5 (0.8), 2 (0.5), 3 (0.5; tie, higher index) -> rank 3 */
    CHECK_NEAR(tide_interest_ndcg(score, 6, ex, 1, truth, 1, 10), 1 / log2(4.0), 1e-12);
    CHECK_NEAR(tide_interest_ndcg(score, 6, ex, 1, truth, 1, 2), 0, 0);
    int32_t t2[2] = {5, 0};   /* ranks 1 and 5; IDCG over 2 */
    CHECK_NEAR(tide_interest_ndcg(score, 6, ex, 1, t2, 2, 10), (1 + 1 / log2(6.0)) / (1 + 1 / log2(3.0)), 1e-12);
    int32_t t3[1] = {1};      /* a seen truth item is never hit */
    CHECK_NEAR(tide_interest_ndcg(score, 6, ex, 1, t3, 1, 10), 0, 0);
}

static void test_combiner(void) {
    /* 40 users; component 0 separates positives from negatives, component 3 is noise */
    tide_interest_pairs pp = {0};
    pp.n_users = 40;
    pp.pos_indptr = calloc(41, sizeof(int64_t));
    pp.neg_indptr = calloc(41, sizeof(int64_t));
    pp.pos = calloc(40 * TIDE_IC_N, sizeof(float));
    pp.neg = calloc(40 * 5 * TIDE_IC_N, sizeof(float));
    uint64_t x = 7;
    for (int u = 0; u < 40; u++) {
        pp.pos_indptr[u + 1] = u + 1;
        pp.neg_indptr[u + 1] = (u + 1) * 5;
        x = x * 6364136223846793005ULL + 1;
        pp.pos[u * TIDE_IC_N + 0] = 1.0f + (float)((x >> 40) % 100) / 100;
        pp.pos[u * TIDE_IC_N + 3] = (float)((x >> 20) % 100) / 50 - 1;
        for (int k = 0; k < 5; k++) {
            x = x * 6364136223846793005ULL + 1;
            pp.neg[(u * 5 + k) * TIDE_IC_N + 0] = (float)((x >> 40) % 100) / 100 - 0.5f;
            pp.neg[(u * 5 + k) * TIDE_IC_N + 3] = (float)((x >> 20) % 100) / 50 - 1;
        }
    }
    float w[TIDE_IC_N], w2[TIDE_IC_N];
    unsigned en = (1u << 0) | (1u << 3);
    CHECK_OK(tide_interest_fit_combiner(&pp, NULL, 0, en, 1e-3, w));
    CHECK(w[0] > 1 && w[0] > 3 * fabs(w[3]));
    for (int c = 0; c < TIDE_IC_N; c++)
        if (c != 0 && c != 3) CHECK(w[c] == 0);
    CHECK_OK(tide_interest_fit_combiner(&pp, NULL, 0, en, 1e-3, w2));
    CHECK(memcmp(w, w2, sizeof w) == 0);   /* deterministic */
    /* a strong L2 keeps it at equal weights */
    CHECK_OK(tide_interest_fit_combiner(&pp, NULL, 0, en, 1e6, w));
    CHECK_NEAR(w[0], 1, 1e-3);
    CHECK_NEAR(w[3], 1, 1e-3);
    /* ... or at a given centre */
    float ctr[TIDE_IC_N] = {0};
    ctr[0] = 0.5f;
    ctr[3] = 2;
    CHECK_OK(tide_interest_fit_combiner_to(&pp, NULL, 0, en, 1e6, ctr, w));
    CHECK_NEAR(w[0], 0.5, 1e-3);
    CHECK_NEAR(w[3], 2, 1e-3);
    /* the optimum: the gradient vanishes there (the line search converges at any L2) */
    for (int li = 0; li < 3; li++) {
        double l2 = li == 0 ? 1e-3 : li == 1 ? 0.1 : 1;
        CHECK_OK(tide_interest_fit_combiner(&pp, NULL, 0, en, l2, w));
        double g0 = 2 * l2 * (w[0] - 1), g3 = 2 * l2 * (w[3] - 1);
        for (int u = 0; u < 40; u++)
            for (int k = 0; k < 5; k++) {
                double d0 = pp.pos[u * TIDE_IC_N] - pp.neg[(u * 5 + k) * TIDE_IC_N];
                double d3 = pp.pos[u * TIDE_IC_N + 3] - pp.neg[(u * 5 + k) * TIDE_IC_N + 3];
                double sg = 1 / (1 + exp(w[0] * d0 + w[3] * d3));
                g0 -= sg * d0 / 200;
                g3 -= sg * d3 / 200;
            }
        CHECK(fabs(g0) < 1e-4 && fabs(g3) < 1e-4);
    }
    /* LambdaRank pair weights: deterministic, and still the separating component first */
    CHECK_OK(tide_interest_fit_combiner_ex(&pp, NULL, 0, en, 1e-3, NULL, 3, w));
    CHECK_OK(tide_interest_fit_combiner_ex(&pp, NULL, 0, en, 1e-3, NULL, 3, w2));
    CHECK(memcmp(w, w2, sizeof w) == 0);
    CHECK(w[0] > 1 && w[0] > 3 * fabs(w[3]));
    tide_interest_pairs_free(&pp);
}

/* The combiner conditioned on the user's state: gate values, the weights a history is scored
 * with, the scorer ranking a constructed user by the gated weights, and the settings round trip. */
static void test_gate(void) {
    int64_t t[3] = {1000, 1030, 90000};
    int32_t it3[3] = {1, 2, 3};
    tide_interest_history h = {it3, t, 3, NULL, NULL, 0, 90000, NULL};
    CHECK_NEAR(tide_interest_gate_value(TIDE_IG_GAP, &h), 90000 - 1030, 0);
    CHECK_NEAR(tide_interest_gate_value(TIDE_IG_EVENTS, &h), 3, 0);
    h.n = 2;
    CHECK_NEAR(tide_interest_gate_value(TIDE_IG_GAP, &h), 30, 0);
    h.n = 1;
    CHECK(isinf(tide_interest_gate_value(TIDE_IG_GAP, &h)));   /* one event: no burst */
    CHECK_EQ(tide_interest_gate_parse("gap"), TIDE_IG_GAP);
    CHECK_EQ(tide_interest_gate_parse("events"), TIDE_IG_EVENTS);
    CHECK_EQ(tide_interest_gate_parse("drift"), -1);

    tide_interest_params p = base_params();
    p.enabled = (1u << TIDE_IC_EASE) | (1u << TIDE_IC_POP);
    for (int c = 0; c < TIDE_IC_N; c++) p.weights[c] = p.gate_weights[c] = 0;
    p.weights[TIDE_IC_EASE] = 1;        /* at or below the threshold: EASE only */
    p.gate_weights[TIDE_IC_POP] = 1;    /* above: popularity only */
    h.n = 3;
    CHECK(tide_interest_weights_for(&p, &h) == p.weights);     /* no gate */
    p.gate_by = TIDE_IG_EVENTS;
    p.gate_threshold = 2;
    CHECK(tide_interest_weights_for(&p, &h) == p.gate_weights);
    p.gate_threshold = 3;
    CHECK(tide_interest_weights_for(&p, &h) == p.weights);

    /* through the scorer and the engine: gated with every user above the threshold, the lists
     * are those of the gate's weights; below it, those of the main weights; and the two differ */
    tide_interest_items it;
    CHECK_OK(tide_interest_items_build(&ds, &p, NULL, &it));
    int32_t a[3 * 5], b[3 * 5], c[3 * 5], cnt[3];
    float sa[3 * 5], sb[3 * 5], sc[3 * 5];
    p.gate_threshold = -1;   /* everyone above */
    CHECK_OK(engine_topk(&it, &p, 20, 23, 5, a, sa, cnt));
    tide_interest_params q = p;
    q.gate_by = TIDE_IG_NONE;
    memcpy(q.weights, p.gate_weights, sizeof q.weights);
    CHECK_OK(engine_topk(&it, &q, 20, 23, 5, b, sb, cnt));
    CHECK(memcmp(a, b, sizeof a) == 0);
    p.gate_threshold = 1e9;  /* nobody above */
    CHECK_OK(engine_topk(&it, &p, 20, 23, 5, c, sc, cnt));
    q = p;
    q.gate_by = TIDE_IG_NONE;
    CHECK_OK(engine_topk(&it, &q, 20, 23, 5, b, sb, cnt));
    CHECK(memcmp(c, b, sizeof c) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);

    /* the settings (and so the manifest) keep the gate */
    p.gate_threshold = 42;
    p.gate_weights[TIDE_IC_EASE] = 0.25f;
    cJSON *j = tide_interest_params_to_json(&p);
    tide_interest_params r = tide_interest_params_default();
    CHECK_OK(tide_interest_params_from_json(j, &r));
    CHECK_EQ(r.gate_by, TIDE_IG_EVENTS);
    CHECK_NEAR(r.gate_threshold, 42, 0);
    CHECK_NEAR(r.gate_weights[TIDE_IC_EASE], 0.25, 0);
    CHECK_NEAR(r.gate_weights[TIDE_IC_POP], 1, 0);
    CHECK_NEAR(r.weights[TIDE_IC_EASE], 1, 0);
    CHECK_NEAR(r.weights[TIDE_IC_POP], 0, 0);
    cJSON_Delete(j);
    /* without a gate the settings name none, and reading them leaves it off */
    r = tide_interest_params_default();
    q.gate_by = TIDE_IG_NONE;
    j = tide_interest_params_to_json(&q);
    CHECK(cJSON_GetObjectItemCaseSensitive(j, "gate") == NULL);
    CHECK_OK(tide_interest_params_from_json(j, &r));
    CHECK_EQ(r.gate_by, TIDE_IG_NONE);
    cJSON_Delete(j);
    cJSON *bad = cJSON_Parse("{\"gate\": {\"by\": \"mood\", \"threshold\": 1, \"weights\": {}}}");
    CHECK_STATUS(tide_interest_params_from_json(bad, &r), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "gate");
    cJSON_Delete(bad);
    bad = cJSON_Parse("{\"gate\": {\"by\": \"gap\", \"threshold\": 60}}");
    CHECK_STATUS(tide_interest_params_from_json(bad, &r), TIDE_ERR_DATA);
    cJSON_Delete(bad);
    bad = cJSON_Parse("{\"gate\": {\"by\": \"gap\", \"threshold\": 60, \"weights\": {\"ease\": \"x\"}}}");
    CHECK_STATUS(tide_interest_params_from_json(bad, &r), TIDE_ERR_DATA);
    cJSON_Delete(bad);
    tide_interest_items_free(&it);
}

static void test_params_json(void) {
    tide_interest_params p = base_params(), q = tide_interest_params_default();
    p.enabled &= ~(1u << TIDE_IC_WORDS);
    p.cf = (tide_interest_decay){5, 90};
    p.weights[TIDE_IC_EASE] = 2.5f;
    p.weights[TIDE_IC_WORDS] = 0;
    p.max_clusters = 3;
    p.burst = (tide_interest_decay){0.5, 10};
    p.trans_half_life = 600;
    p.trans_gap = 5;
    p.trans_back = 0.5;
    p.session = (tide_interest_decay){2, 300};
    p.session_gap = 900;
    cJSON *j = tide_interest_params_to_json(&p);
    CHECK_OK(tide_interest_params_from_json(j, &q));
    CHECK_EQ(q.enabled, p.enabled);
    CHECK_NEAR(q.cf.tau, 5, 0);
    CHECK_NEAR(q.cf.half_life, 90, 0);
    CHECK_NEAR(q.weights[TIDE_IC_EASE], 2.5, 0);
    CHECK_EQ(q.max_clusters, 3);
    CHECK_EQ(q.als_factors, 4);
    CHECK_NEAR(q.burst.tau, 0.5, 0);
    CHECK_NEAR(q.burst.half_life, 10, 0);
    CHECK_NEAR(q.trans_half_life, 600, 0);
    CHECK_EQ(q.trans_gap, 5);
    CHECK_NEAR(q.trans_back, 0.5, 0);
    CHECK_NEAR(q.session.tau, 2, 0);
    CHECK_NEAR(q.session.half_life, 300, 0);
    CHECK_NEAR(q.session_gap, 900, 0);
    CHECK_EQ(tide_interest_component_parse("session"), TIDE_IC_SESSION);
    CHECK_EQ(tide_interest_component_parse("seq"), TIDE_IC_SEQ);
    CHECK_EQ(tide_interest_component_parse("ease-burst"), TIDE_IC_EASE_BURST);
    cJSON_Delete(j);
    cJSON *bad = cJSON_Parse("{\"components\": [\"ease\", \"nope\"]}");
    CHECK_STATUS(tide_interest_params_from_json(bad, &q), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "unknown component nope");
    cJSON_Delete(bad);
    bad = cJSON_Parse("{\"max_clusters\": 99}");
    CHECK_STATUS(tide_interest_params_from_json(bad, &q), TIDE_ERR_DATA);
    cJSON_Delete(bad);
    CHECK_EQ(tide_interest_component_parse("trans"), TIDE_IC_TRANS);
    CHECK_EQ(tide_interest_component_parse("x"), -1);
}

static int states_equal(const tide_interest_user *a, const tide_interest_user *b, int k, int d, double tol) {
    int ok = a->n_clusters == b->n_clusters && a->n_events == b->n_events && a->last_time == b->last_time;
    for (int c = 0; c < k; c++) ok &= fabs(a->long_cf[c] - b->long_cf[c]) <= tol && fabs(a->short_cf[c] - b->short_cf[c]) <= tol;
    for (int c = 0; c < d; c++) ok &= fabs(a->short_lm[c] - b->short_lm[c]) <= tol && fabs(a->long_lm[c] - b->long_lm[c]) <= tol;
    for (int c = 0; c < a->n_clusters * d; c++) ok &= fabs(a->centroids[c] - b->centroids[c]) <= tol;
    ok &= fabs(a->drift - b->drift) <= tol;
    return ok;
}

static void test_online_equals_batch_and_dir(void) {
    tide_interest_params p = base_params();
    p.enabled = (1u << TIDE_IC_EASE) | (1u << TIDE_IC_ALS) | (1u << TIDE_IC_LM) | (1u << TIDE_IC_CLUSTER) | (1u << TIDE_IC_POP);
    for (int c = 0; c < TIDE_IC_N; c++) p.weights[c] = (p.enabled >> c) & 1u ? 1.0f : 0.0f;
    tide_interest_items_opts io = {0};
    io.lm_vectors = lmv;
    io.lm_dim = D;
    tide_interest_items it;
    CHECK_OK(tide_interest_items_build(&ds, &p, &io, &it));
    tide_interest_states S;
    CHECK_OK(tide_interest_states_alloc(&S, ds.n_users, it.als_k, it.lm_dim));
    CHECK_OK(tide_interest_capture_block(&it, &p, &ds, NULL, INT64_MIN, 0, ds.n_users, &S));
    /* the online path: start from the first event and advance one event at a time */
    tide_interest_user on, ref;
    CHECK_OK(tide_interest_user_alloc(&it, &p, &on));
    CHECK_OK(tide_interest_user_alloc(&it, &p, &ref));
    for (int64_t u = 0; u < 6; u++) {
        tide_interest_history h;
        tide_interest_history_of(&ds, NULL, it.lm_dim, u, INT64_MIN, &h);
        int64_t n = h.n;
        h.n = 0;
        for (int64_t k = 0; k < n; k++) CHECK_OK(tide_interest_user_advance(&it, &p, &h, 1, 0, INT64_MIN, &on));
        tide_interest_states_get(&S, u, &ref);
        CHECK(states_equal(&on, &ref, it.als_k, it.lm_dim, 1e-6));
    }
    /* a user without events after one with: nothing of the earlier state remains (a state
     * struct is reused per thread) */
    {
        tide_interest_history h0 = {0};
        float *work = malloc(tide_interest_work_floats(&it, &p) * sizeof *work);
        CHECK(on.n_clusters > 0);
        CHECK_OK(tide_interest_features(&it, &p, &h0, NULL, work, &on));
        CHECK_EQ(on.n_clusters, 0);
        CHECK_EQ(on.n_events, 0);
        double s = 0;
        for (int c = 0; c < it.lm_dim; c++) s += fabs(on.short_lm[c]) + fabs(on.centroids[c]);
        for (int c = 0; c < it.als_k; c++) s += fabs(on.long_cf[c]);
        CHECK(s == 0);
        free(work);
    }
    /* a gated combiner (users with more than 12 events: popularity-heavy weights), which the
     * dir round trip below must keep */
    p.gate_by = TIDE_IG_EVENTS;
    p.gate_threshold = 12;
    for (int c = 0; c < TIDE_IC_N; c++) p.gate_weights[c] = (p.enabled >> c) & 1u ? 0.5f : 0.0f;
    p.gate_weights[TIDE_IC_POP] = 3;
    /* ranking through the scorer and the engine */
    int32_t items[2 * 5], cnt[2];
    float sc[2 * 5];
    CHECK_OK(engine_topk(&it, &p, 10, 12, 5, items, sc, cnt));
    CHECK_EQ(cnt[0], 5);
    for (int r = 1; r < 5; r++) CHECK(sc[r - 1] >= sc[r]);
    /* the dir round trip */
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/interest", harness_tmpdir("test-interest"));
    tide_interest_dir_info info = {"synthetic", ds.checksum, INT64_MIN, "user", NULL, NULL, NULL, NULL};
    CHECK_OK(tide_interest_dir_save(dir, &it, &p, &S, &info));
    tide_interest_items it2;
    tide_interest_params p2;
    tide_interest_states S2;
    cJSON *man = NULL;
    CHECK_OK(tide_interest_dir_load(dir, &it2, &p2, &S2, &man));
    CHECK_EQ(p2.enabled, p.enabled);
    CHECK_EQ(p2.gate_by, TIDE_IG_EVENTS);
    CHECK_NEAR(p2.gate_threshold, 12, 0);
    CHECK(memcmp(p2.gate_weights, p.gate_weights, sizeof p.gate_weights) == 0);
    CHECK(memcmp(p2.weights, p.weights, sizeof p.weights) == 0);
    CHECK_EQ(S2.n_users, S.n_users);
    CHECK(memcmp(S2.long_cf, S.long_cf, (size_t)S.n_users * S.als_k * sizeof(float)) == 0);
    CHECK(memcmp(S2.centroids, S.centroids, (size_t)S.n_users * TIDE_INTEREST_MAX_K * S.lm_dim * sizeof(float)) == 0);
    CHECK(memcmp(S2.n_clusters, S.n_clusters, (size_t)S.n_users * sizeof(int32_t)) == 0);
    /* scoring from the loaded item side equals scoring from the fitted one */
    int32_t items2[2 * 5], cnt2[2];
    float sc2[2 * 5];
    CHECK_OK(engine_topk(&it2, &p2, 10, 12, 5, items2, sc2, cnt2));
    CHECK(memcmp(items, items2, sizeof items) == 0);
    for (int r = 0; r < 10; r++) CHECK_NEAR(sc[r], sc2[r], 1e-5);
    cJSON_Delete(man);
    /* a dir with a wrong-shaped array is bad data */
    char path[1200];
    snprintf(path, sizeof path, "%s/drift.npy", dir);
    float junk[3] = {0, 0, 0};
    CHECK_OK(tide_npy_save_1d(path, TIDE_DTYPE_F32, 3, junk));
    tide_interest_items_free(&it2);
    tide_interest_states_free(&S2);
    CHECK_STATUS(tide_interest_dir_load(dir, &it2, &p2, &S2, NULL), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "drift.npy");
    tide_interest_user_free(&on);
    tide_interest_user_free(&ref);
    tide_interest_states_free(&S);
    tide_interest_items_free(&it);
}

static void test_empty_user(void) {
    /* a user without events: no components but popularity (at the data's last event) */
    tide_interest_params p = base_params();
    p.enabled = (1u << TIDE_IC_EASE) | (1u << TIDE_IC_POP);
    tide_interest_items it;
    CHECK_OK(tide_interest_items_build(&ds, &p, NULL, &it));
    tide_interest_history h = {0};
    float *F = malloc((size_t)TIDE_IC_N * it.n_items * sizeof *F);
    float *work = malloc(tide_interest_work_floats(&it, &p) * sizeof *work);
    CHECK_OK(tide_interest_features(&it, &p, &h, F, work, NULL));
    float *pop = malloc((size_t)it.n_items * sizeof *pop);
    tide_pop_context_score(it.pop, it.pop->latest, pop);
    for (int64_t j = 0; j < it.n_items; j++) {
        CHECK(F[(size_t)TIDE_IC_EASE * it.n_items + j] == 0);
        CHECK_NEAR(F[(size_t)TIDE_IC_POP * it.n_items + j], log1p(pop[j]), 1e-6);
    }
    free(pop);
    free(F);
    free(work);
    tide_interest_items_free(&it);
}

/* The session EASE: with a gap longer than any user's span every user is one session, so it is
 * exactly EASE; with a short gap it differs, and the component is its rows under the session decay. */
static void test_session(void) {
    tide_interest_params p = base_params();
    p.enabled = (1u << TIDE_IC_EASE) | (1u << TIDE_IC_SESSION);
    p.session_gap = 1e15;
    tide_interest_items it;
    CHECK_OK(tide_interest_items_build(&ds, &p, NULL, &it));
    int64_t N = it.n_items;
    CHECK(it.sess != NULL);
    CHECK(memcmp(it.sess, it.ease, (size_t)N * N * sizeof(float)) == 0);
    tide_interest_items_free(&it);
    /* the synthetic events are a minute apart: a day's break in the middle of each history makes
     * two sessions per user (the times are restored below) */
    int64_t *t0 = malloc((size_t)ds.nnz * sizeof *t0);
    memcpy(t0, ds.times, (size_t)ds.nnz * sizeof *t0);
    for (int64_t u = 0; u < ds.n_users; u++)
        for (int64_t k = (ds.indptr[u] + ds.indptr[u + 1]) / 2; k < ds.indptr[u + 1]; k++) ds.times[k] += 86400;
    p.session_gap = 3600;
    p.session = (tide_interest_decay){2, 0};
    CHECK_OK(tide_interest_items_build(&ds, &p, NULL, &it));
    memcpy(ds.times, t0, (size_t)ds.nnz * sizeof *t0);
    free(t0);
    double diff = 0;
    for (int64_t k = 0; k < N * N; k++) diff += fabs(it.sess[k] - it.ease[k]);
    CHECK(diff > 1e-3);
    float *F = malloc((size_t)TIDE_IC_N * N * sizeof *F);
    float *work = malloc(tide_interest_work_floats(&it, &p) * sizeof *work);
    float *w = malloc((size_t)ds.nnz * sizeof *w);
    for (int64_t u = 0; u < 5; u++) {
        tide_interest_history h;
        tide_interest_history_of(&ds, NULL, 0, u, INT64_MIN, &h);
        CHECK_OK(tide_interest_features(&it, &p, &h, F, work, NULL));
        tide_interest_history_weights(&p.session, h.times, h.n, h.t_ref, w);
        for (int64_t j = 0; j < N; j += 3) {
            double s = 0;
            for (int64_t k = 0; k < h.n; k++) s += w[k] * it.sess[(size_t)h.items[k] * N + j];
            CHECK_NEAR(F[TIDE_IC_SESSION * N + j], s, 1e-4 * (1 + fabs(s)));
        }
    }
    free(w);
    free(F);
    free(work);
    tide_interest_items_free(&it);
}

/* seq (SLIT): B against a direct dense ridge solve in double of the same regression (rows = each
 * event after a user's first; inputs = the last seq_last events under seq_fit, ages from the
 * target; targets = the next seq_gap events at 1/g); the same bytes at 1 and 2 threads; and
 * the component's row = Σ_j w_j B[item_j] over the user's last events. */
static void test_seq(void) {
    tide_interest_params p = base_params();
    p.enabled = 1u << TIDE_IC_SEQ;
    p.seq_fit = (tide_interest_decay){2, 600};
    p.seq = (tide_interest_decay){1.5, 300};
    p.seq_lambda = 5;
    p.seq_gap = 2;
    p.seq_last = 4;
    tide_interest_items it;
    CHECK_OK(tide_interest_items_build(&ds, &p, NULL, &it));
    int64_t N = it.n_items;
    CHECK(it.seq != NULL);
    double *A = calloc((size_t)N * N, sizeof *A), *C = calloc((size_t)N * N, sizeof *C), *s = malloc((size_t)N * sizeof *s);
    for (int64_t u = 0; u < ds.n_users; u++)
        for (int64_t k = ds.indptr[u] + 1; k < ds.indptr[u + 1]; k++) {
            memset(s, 0, (size_t)N * sizeof *s);
            for (int64_t j = 0; j < p.seq_last && k - 1 - j >= ds.indptr[u]; j++) {
                double w = exp(-(double)j / 2) * exp2(-(double)(ds.times[k] - ds.times[k - 1 - j]) / 600);
                if (w >= 1e-4) s[ds.items[k - 1 - j]] += w;
            }
            for (int64_t a = 0; a < N; a++) {
                if (s[a] == 0) continue;
                for (int64_t b = 0; b < N; b++) A[a * N + b] += s[a] * s[b];
                for (int g = 0; g < p.seq_gap && k + g < ds.indptr[u + 1]; g++) C[a * N + ds.items[k + g]] += s[a] / (g + 1);
            }
        }
    for (int64_t a = 0; a < N; a++) A[a * N + a] += p.seq_lambda;
    /* Gauss–Jordan on [A | C]: C becomes A⁻¹C */
    for (int64_t c = 0; c < N; c++) {
        double d = A[c * N + c];
        for (int64_t b = 0; b < N; b++) { A[c * N + b] /= d; C[c * N + b] /= d; }
        for (int64_t r = 0; r < N; r++) {
            if (r == c || A[r * N + c] == 0) continue;
            double f = A[r * N + c];
            for (int64_t b = 0; b < N; b++) { A[r * N + b] -= f * A[c * N + b]; C[r * N + b] -= f * C[c * N + b]; }
        }
    }
    double maxd = 0, maxb = 0;
    for (int64_t q = 0; q < N * N; q++) {
        maxd = fmax(maxd, fabs(it.seq[q] - C[q]));
        maxb = fmax(maxb, fabs(C[q]));
    }
    CHECK(maxb > 0.01);
    CHECK(maxd < 1e-4 * (1 + maxb));
    free(A); free(C); free(s);
    /* thread count: the same bytes */
    tide_threads_set(1);
    float *B1 = NULL;
    CHECK_OK(tide_interest_fit_seq(&ds, &p, 0, &B1));
    tide_threads_set(2);
    CHECK(B1 && memcmp(B1, it.seq, (size_t)N * N * sizeof(float)) == 0);
    free(B1);
    /* the component's row */
    float *F = malloc((size_t)TIDE_IC_N * N * sizeof *F);
    float *work = malloc(tide_interest_work_floats(&it, &p) * sizeof *work);
    for (int64_t u = 0; u < 5; u++) {
        tide_interest_history h;
        tide_interest_history_of(&ds, NULL, 0, u, INT64_MIN, &h);
        CHECK_OK(tide_interest_features(&it, &p, &h, F, work, NULL));
        for (int64_t j = 0; j < N; j += 3) {
            double x = 0;
            for (int64_t q = 0; q < p.seq_last && q < h.n; q++) {
                double w = exp(-(double)q / 1.5) * exp2(-(double)(h.t_ref - h.times[h.n - 1 - q]) / 300);
                if (w >= 1e-4) x += w * it.seq[(size_t)h.items[h.n - 1 - q] * N + j];
            }
            CHECK_NEAR(F[TIDE_IC_SEQ * N + j], x, 1e-4 * (1 + fabs(x)));
        }
    }
    free(F);
    free(work);
    tide_interest_items_free(&it);
    /* a bad λ is refused by the settings check */
    p.seq_lambda = 0;
    CHECK(tide_interest_params_check(&p) != NULL);
}

int main(void) {
    tide_threads_set(2);
    setup();
    RUN(test_history_weights);
    RUN(test_features);
    RUN(test_ndcg);
    RUN(test_combiner);
    RUN(test_params_json);
    RUN(test_gate);
    RUN(test_session);
    RUN(test_seq);
    RUN(test_online_equals_batch_and_dir);
    RUN(test_empty_user);
    free(lmv);
    tide_dataset_free(&ds);
    return harness_done();
}
