/* test-interest-large.c — the interest scorer's large-catalogue regime (src/interest/large.c):
 * above TIDE_INTEREST_LARGE_ITEMS items its exact pruned top-K (the scorer's row_topk) must give
 * the same lists, scores and tie order as scoring every item with the same per-item formula (the
 * engine's full scan, job.exhaustive), on every SIMD path this CPU can run (the others reported
 * as skipped). A synthetic catalogue of 20,000 items with LM vectors (items without events that
 * share a vector: exact ties; some have none), ALS factors, transitions, kNN, contextual popularity and the
 * user's words; users with one event, many events, words only or words beside events;
 * exclusions, allow-lists, k at or above the candidates, MMR, one user a run with the int8 pass
 * split over threads (tide-serve's requests). And at the threshold itself the
 * old regime stays: no row is answered by row_topk. */
#include "harness.h"
#include "topk-sink.h"

#include <float.h>
#include <math.h>

#include "tide/interest.h"
#include "tide/qscan.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"
#include "tide/synth.h"

#define NI 20000
#define D 32

static tide_dataset ds;
static float *lmv;
static float *tv;   /* text vectors [NT, D] */
enum { NT = 64 };

static uint64_t rs = 88172645463325252ULL;
static double unif(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) / 9007199254740992.0;
}

static void normalise(float *v, int d) {
    double s = 0;
    for (int j = 0; j < d; j++) s += (double)v[j] * v[j];
    s = sqrt(s);
    for (int j = 0; j < d; j++) v[j] = (float)(v[j] / s);
}

static void setup(int64_t n_items) {
    if (tide_synth_dataset(300, n_items, 9000, 1.0, 7, &ds) != TIDE_OK) exit(1);
    if (!ds.item_indptr && tide_dataset_build_item_major(&ds) != TIDE_OK) exit(1);
    lmv = malloc((size_t)n_items * D * sizeof *lmv);
    for (int64_t i = 0; i < n_items; i++) {
        for (int j = 0; j < D; j++) lmv[i * D + j] = (float)(unif() - 0.5);
        normalise(lmv + i * D, D);
    }
    /* Items without events share a few vectors: they tie exactly (same LM, same mapped ALS factors,
     * no popularity, no transitions into them). */
    int64_t shared = 0;
    for (int64_t i = 0; i < n_items; i++)
        if (ds.item_indptr[i + 1] == ds.item_indptr[i]) {
            int64_t src = -1;
            for (int64_t k = 0; k < n_items && src < 0; k++)
                if (ds.item_indptr[k + 1] == ds.item_indptr[k]) src = k;
            if (src >= 0 && src != i && (shared++ % 3) != 2) memcpy(lmv + i * D, lmv + src * D, D * sizeof *lmv);
            if (shared > 400) break;
        }
    /* and some have no vector at all (textless: zero LM row, zero ALS factors) */
    for (int64_t i = 50; i < n_items; i += 101)
        if (ds.item_indptr[i + 1] == ds.item_indptr[i]) memset(lmv + i * D, 0, D * sizeof *lmv);
    tv = malloc(NT * D * sizeof *tv);
    for (int k = 0; k < NT * D; k++) tv[k] = (float)(unif() - 0.5);
    for (int k = 0; k < NT; k++) normalise(tv + k * D, D);
}

/* Views: dataset row u, with words for some users, only words for some, one event for some (the
 * text times per user: a block's views stay valid together). */
static int64_t vtt[400][4];
/* future_mode: each user has one more event, five years after the data's last (tide-serve's
 * online events arrive "now", long after the batch data): its popularity has decayed to ~1e-18,
 * z-scored to the usual spread, which a bound by the all-times maximum cannot prune. */
static int future_mode;
static int32_t *fitems[400];
static int64_t *ftimes[400];
static tide_status view_fn(void *ctx, int64_t u, tide_user_view *v) {
    (void)ctx;
    tide_user_view_from_dataset(&ds, u, INT64_MIN, v);
    if (future_mode && v->n > 0 && u < 400) {
        if (!fitems[u]) {
            fitems[u] = malloc((size_t)(v->n + 1) * sizeof *fitems[u]);
            ftimes[u] = malloc((size_t)(v->n + 1) * sizeof *ftimes[u]);
            if (!fitems[u] || !ftimes[u]) return TIDE_ERR_NOMEM;
            memcpy(fitems[u], v->items, (size_t)v->n * sizeof *fitems[u]);
            memcpy(ftimes[u], v->times, (size_t)v->n * sizeof *ftimes[u]);
            fitems[u][v->n] = (int32_t)((u * 7919) % NI);
            ftimes[u][v->n] = tide_dataset_latest(&ds) + 5 * 365 * 86400LL;
        }
        v->items = fitems[u];
        v->times = ftimes[u];
        v->weights = NULL;
        v->events = NULL;
        v->n++;
    }
    v->user = -1;          /* scored from the view (fold-in), as tide-serve's new users */
    if (u % 5 == 1 && v->n > 1) v->n = 1;                                     /* one event */
    if (u % 7 == 3 || u % 7 == 4) {                                           /* words */
        int nt = 1 + (int)(u % 3);
        int64_t t0 = v->n ? v->times[v->n - 1] : 1000;
        for (int k = 0; k < nt; k++) vtt[u][k] = t0 - 100 * (nt - k);
        v->n_text = nt;
        v->text_times = vtt[u];
        v->text_vecs = tv + (u % (NT - 3)) * D;
        v->text_dim = D;
        if (u % 7 == 4) v->n = 0;                                             /* words only */
    }
    return TIDE_OK;
}


static tide_interest_params params(void) {
    tide_interest_params p = tide_interest_params_default();
    p.als_factors = 8;
    p.als_iterations = 3;
    p.knn_neighbors = 10;
    p.max_clusters = 4;
    p.cluster = (tide_interest_decay){20, 0};
    p.enabled = (1u << TIDE_IC_TRANS) | (1u << TIDE_IC_ALS) | (1u << TIDE_IC_LM) | (1u << TIDE_IC_CLUSTER) |
                (1u << TIDE_IC_POP) | (1u << TIDE_IC_KNN) | (1u << TIDE_IC_WORDS);
    float w[TIDE_IC_N] = {0};
    w[TIDE_IC_TRANS] = 0.7f;
    w[TIDE_IC_ALS] = 1.1f;
    w[TIDE_IC_LM] = 0.9f;
    w[TIDE_IC_CLUSTER] = 0.6f;
    w[TIDE_IC_POP] = -0.4f;   /* a negative weight: the bound takes the other end */
    w[TIDE_IC_KNN] = 0.5f;
    w[TIDE_IC_WORDS] = 0.8f;
    memcpy(p.weights, w, sizeof w);
    return p;
}

static int64_t total_fast, total_rescored, total_cols;
static float *pop;   /* the fallback of users without events or words */
static int32_t *ref_items;   /* the first SIMD path's lists, which every other must equal */
static float *ref_scores;

/* One comparison: the same job with and without the fast path. */
static void compare(const tide_scorer *s, int64_t *users, int64_t nu, const int64_t *ex_ptr, const int32_t *ex,
                    const int32_t *cand, int64_t nc, int k, double div, const char *what) {
    int32_t *it[2], *cnt[2];
    float *sc[2];
    tide_user_source src = {view_fn, NULL, ds.n_users};
    tide_retrieval_stats stt[2];
    for (int m = 0; m < 2; m++) {
        it[m] = calloc((size_t)nu * k, sizeof *it[m]);
        sc[m] = calloc((size_t)nu * k, sizeof *sc[m]);
        cnt[m] = calloc((size_t)nu, sizeof *cnt[m]);
        tide_retrieval_job job;
        memset(&job, 0, sizeof job);
        job.scorer = s;
        job.source = &src;
        job.users = users;
        job.n_users = nu;
        job.excl_indptr = ex_ptr;
        job.excl_items = ex;
        job.candidates = cand;
        job.n_candidates = nc;
        job.item_vectors = lmv;
        job.vec_dim = D;
        job.exhaustive = m;
        job.popularity = pop;
        tide_retrieval_params rp;
        tide_retrieval_params_default(&rp);
        rp.k = k;
        rp.diversity = div;
        rp.user_block = 7;   /* blocks of several users, as a batch run */
        topk_out o = {it[m], sc[m], cnt[m], k};
        CHECK_OK(tide_retrieval_run(&job, &rp, topk_sink, &o, &stt[m]));
    }
    CHECK_EQ(stt[1].fast_rows, 0);
    total_fast += stt[0].fast_rows;
    total_rescored += stt[0].rescored;
    total_cols += stt[0].fast_rows * (cand ? nc : NI);
    int bad = 0;
    for (int64_t u = 0; u < nu; u++) {
        int same = cnt[0][u] == cnt[1][u] && !memcmp(it[0] + u * k, it[1] + u * k, (size_t)cnt[0][u] * sizeof(int32_t)) &&
                   !memcmp(sc[0] + u * k, sc[1] + u * k, (size_t)cnt[0][u] * sizeof(float));
        if (!same && bad++ < 2) {
            printf("  %s (level %d): user %lld differs (n %d fast, %d full)\n", what, tide_qscan_level(), (long long)users[u],
                   cnt[0][u], cnt[1][u]);
            for (int q = 0; q < cnt[1][u] && q < 12; q++)
                printf("    %d: full %d %.9g  fast %d %.9g\n", q, it[1][u * k + q], sc[1][u * k + q], it[0][u * k + q],
                       sc[0][u * k + q]);
        }
    }
    CHECK_EQ(bad, 0);
    /* and every SIMD path gives the same lists and scores (its statistics come from integer dots) */
    if (!strcmp(what, "seen excluded, k 10")) {
        if (!ref_items) {
            ref_items = malloc((size_t)nu * k * sizeof *ref_items);
            ref_scores = malloc((size_t)nu * k * sizeof *ref_scores);
            memcpy(ref_items, it[0], (size_t)nu * k * sizeof *ref_items);
            memcpy(ref_scores, sc[0], (size_t)nu * k * sizeof *ref_scores);
        } else {
            CHECK(memcmp(ref_items, it[0], (size_t)nu * k * sizeof *ref_items) == 0);
            CHECK(memcmp(ref_scores, sc[0], (size_t)nu * k * sizeof *ref_scores) == 0);
        }
    }
    for (int m = 0; m < 2; m++) {
        free(it[m]);
        free(sc[m]);
        free(cnt[m]);
    }
}

static const char *level_name[] = {"baseline", "AVX2", "AVX-512BW", "AVX-512 VNNI"};

static void test_fast_equals_full_scan(void) {
    tide_interest_params p = params();
    tide_interest_items_opts io = {0};
    io.lm_vectors = lmv;
    io.lm_dim = D;
    tide_interest_items items;
    CHECK_OK(tide_interest_items_build(&ds, &p, &io, &items));
    tide_scorer *s = NULL;
    CHECK_OK(tide_interest_scorer_borrow(&items, &p, INT64_MIN, &s));
    if (!s) return;
    CHECK_OK(tide_retrieval_popularity(&ds, &pop));
    /* users: every 3rd of the first 240 */
    int64_t users[80];
    int64_t nu = 0;
    for (int64_t u = 0; u < 240 && u < ds.n_users; u += 3) users[nu++] = u;
    /* exclusions: the seen items, plus random ones, plus (for user keys % 4 == 0) the items the
     * full scan ranks first — so the bound must not count them */
    int64_t *ptr = NULL;
    int32_t *ex = NULL;
    CHECK_OK(tide_retrieval_exclusions_build(&ds, 0, NULL, NULL, 0, &ptr, &ex));
    int64_t *ptr2 = malloc(((size_t)ds.n_users + 1) * sizeof *ptr2);
    int32_t *ex2 = malloc(((size_t)ptr[ds.n_users] + (size_t)ds.n_users * 40) * sizeof *ex2);
    int64_t w = 0;
    for (int64_t u = 0; u < ds.n_users; u++) {
        ptr2[u] = w;
        int64_t a = ptr[u], b = ptr[u + 1];
        int32_t nxt = 0;
        for (int32_t i = 0; i < NI; i++) {
            int take = 0;
            while (a < b && ex[a] < i) a++;
            if (a < b && ex[a] == i) take = 1;
            if ((uint32_t)(i * 2654435761u + (uint32_t)u * 40503u) % 997 == 0) take = 1;
            if (u % 4 == 0 && i < 30 && i % 2 == 0) take = 1;
            if (take) ex2[w++] = i;
            nxt = i;
        }
        (void)nxt;
    }
    ptr2[ds.n_users] = w;
    /* an allow-list and a small one */
    int32_t *cand = malloc(NI * sizeof *cand), small[25];
    int64_t nc = 0;
    for (int32_t i = 0; i < NI; i++)
        if (unif() < 0.6) cand[nc++] = i;
    for (int t = 0; t < 25; t++) small[t] = 37 + 41 * t;

    int skipped = 0;
    char why[256] = "";
    for (int level = 0; level <= 3; level++) {
        if (!tide_qscan_force(level)) {
            printf("  SKIPPED: the %s path cannot run on this CPU/build\n", level_name[level]);
            snprintf(why + strlen(why), sizeof why - strlen(why), "%s%s path not run (CPU lacks it)", skipped++ ? "; " : "",
                     level_name[level]);
            continue;
        }
        total_fast = total_rescored = total_cols = 0;
        compare(s, users, nu, ptr, ex, NULL, 0, 10, 0, "seen excluded, k 10");
        compare(s, users, nu, ptr2, ex2, NULL, 0, 10, 0, "more exclusions, k 10");
        compare(s, users, nu, NULL, NULL, NULL, 0, 1, 0, "nothing excluded, k 1");
        compare(s, users, nu, ptr, ex, cand, nc, 50, 0, "allow-list, k 50");
        compare(s, users, nu, ptr2, ex2, small, 25, 25, 0, "k = the allow-list");
        compare(s, users, nu, ptr, ex, NULL, 0, 10, 0.3, "MMR");
        /* one user a run (tide-serve's requests), the int8 pass split over 3 threads */
        tide_interest_scorer_threads(s, 3);
        for (int64_t q = 0; q < nu; q += 4) compare(s, &users[q], 1, ptr2, ex2, NULL, 0, 10, 0, "one user, 3 threads");
        tide_interest_scorer_threads(s, 1);
        printf("  %s: %lld rows answered by the fast path, %.1f items scored exactly a row (of %.0f)\n", level_name[level],
               (long long)total_fast, total_fast ? (double)total_rescored / total_fast : 0.0,
               total_fast ? (double)total_cols / total_fast : 0.0);
        /* every row with a model state was answered, and it prunes */
        CHECK(total_fast >= 5 * nu + nu / 4);
        CHECK(total_rescored < total_cols / 10);
        /* users with an event long after the data: the same lists, and it still prunes (the
         * popularity bound from the data's latest event; with the all-times maximum nearly every
         * item was scored exactly: 70 ms instead of 5 at 100,000 items) */
        future_mode = 1;
        total_fast = total_rescored = total_cols = 0;
        compare(s, users, nu, ptr, ex, NULL, 0, 10, 0, "an event 5 years after the data, k 10");
        for (int64_t q = 0; q < nu; q += 4) compare(s, &users[q], 1, ptr2, ex2, NULL, 0, 10, 0, "an event 5 years later, one user");
        future_mode = 0;
        printf("  %s, an event 5 years after the data: %.1f items scored exactly a row (of %.0f)\n", level_name[level],
               total_fast ? (double)total_rescored / total_fast : 0.0, total_fast ? (double)total_cols / total_fast : 0.0);
        CHECK(total_fast > 0);
        CHECK(total_rescored < total_cols / 10);
    }
    tide_qscan_force(-1);
    /* The explanation's terms (tide-serve's explain=1) are the large formula's: added in
     * component order they give each recommended item's score to the bit. */
    for (int64_t u = 3; u < 40; u += 9) {
        int32_t its[10], cnt = 0;
        float scs[10];
        tide_user_source src = {view_fn, NULL, ds.n_users};
        tide_retrieval_job job;
        memset(&job, 0, sizeof job);
        job.scorer = s;
        job.source = &src;
        job.users = &u;
        job.n_users = 1;
        job.popularity = pop;
        tide_retrieval_params rp;
        tide_retrieval_params_default(&rp);
        topk_out o = {its, scs, &cnt, 10};
        CHECK_OK(tide_retrieval_run(&job, &rp, topk_sink, &o, NULL));
        tide_user_view v;
        view_fn(NULL, u, &v);
        float contrib[10 * TIDE_IC_N];
        CHECK_OK(tide_interest_scorer_user(s, &v, its, cnt, contrib, NULL));
        CHECK(cnt == 10);
        for (int q = 0; q < cnt; q++) {
            float acc = 0;
            for (int c = 0; c < TIDE_IC_N; c++) acc = acc + contrib[q * TIDE_IC_N + c];
            CHECK(memcmp(&acc, &scs[q], sizeof acc) == 0);
        }
    }
    tide_scorer_free(s);
    tide_interest_items_free(&items);
    free(ptr);
    free(ex);
    free(ptr2);
    free(ex2);
    free(cand);
    free(pop);
    free(ref_items);
    free(ref_scores);
    for (int u = 0; u < 400; u++) {
        free(fitems[u]);
        free(ftimes[u]);
    }
    if (skipped) SKIP("%s", why);
}

/* The settings' gate (combiner.c) picks each user's weights in the large regime too: gated with
 * every user above the threshold, the lists are those of the gate's weights ungated, and not
 * those of the main weights. */
static void lists_of(const tide_interest_items *items, const tide_interest_params *p, int32_t *its, float *scs) {
    tide_scorer *s = NULL;
    CHECK_OK(tide_interest_scorer_borrow(items, p, INT64_MIN, &s));
    if (!s) return;
    for (int64_t u = 3, r = 0; u < 60; u += 7, r++) {
        int32_t cnt = 0;
        tide_user_source src = {view_fn, NULL, ds.n_users};
        tide_retrieval_job job;
        memset(&job, 0, sizeof job);
        job.scorer = s;
        job.source = &src;
        job.users = &u;
        job.n_users = 1;
        job.popularity = pop;
        tide_retrieval_params rp;
        tide_retrieval_params_default(&rp);
        topk_out o = {its + r * 10, scs + r * 10, &cnt, 10};
        CHECK_OK(tide_retrieval_run(&job, &rp, topk_sink, &o, NULL));
        CHECK_EQ(cnt, 10);
    }
    tide_scorer_free(s);
}

static void test_gate(void) {
    tide_interest_params p = params();
    tide_interest_items_opts io = {0};
    io.lm_vectors = lmv;
    io.lm_dim = D;
    tide_interest_items items;
    CHECK_OK(tide_interest_items_build(&ds, &p, &io, &items));
    CHECK_OK(tide_retrieval_popularity(&ds, &pop));
    int32_t a[9 * 10], b[9 * 10], c[9 * 10];
    float sa[9 * 10], sb[9 * 10], sc[9 * 10];
    lists_of(&items, &p, a, sa);                  /* the main weights */
    tide_interest_params g = p;
    memcpy(g.gate_weights, p.weights, sizeof g.gate_weights);
    g.gate_weights[TIDE_IC_POP] = 2;              /* popularity-heavy for the users above */
    g.gate_weights[TIDE_IC_ALS] = 0;
    g.gate_by = TIDE_IG_EVENTS;
    g.gate_threshold = -1;                        /* everyone above */
    lists_of(&items, &g, b, sb);
    tide_interest_params q = p;
    memcpy(q.weights, g.gate_weights, sizeof q.weights);
    lists_of(&items, &q, c, sc);                  /* the gate's weights for everyone, ungated */
    CHECK(memcmp(b, c, sizeof b) == 0);
    CHECK(memcmp(sb, sc, sizeof sb) == 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    g.gate_threshold = 1e12;                      /* nobody above: the main weights */
    lists_of(&items, &g, b, sb);
    CHECK(memcmp(a, b, sizeof a) == 0);
    free(pop);
    pop = NULL;
    tide_interest_items_free(&items);
}

/* At the threshold the old regime stays (the accuracy figures on smaller catalogues are untouched). */
static void test_threshold(void) {
    tide_dataset small;
    CHECK_OK(tide_synth_dataset(50, 16384, 800, 1.0, 3, &small));
    if (!small.item_indptr) CHECK_OK(tide_dataset_build_item_major(&small));
    tide_interest_params p = params();
    p.enabled &= ~((1u << TIDE_IC_LM) | (1u << TIDE_IC_CLUSTER) | (1u << TIDE_IC_WORDS) | (1u << TIDE_IC_KNN));
    tide_interest_items items;
    CHECK_OK(tide_interest_items_build(&small, &p, NULL, &items));
    tide_scorer *s = NULL;
    CHECK_OK(tide_interest_scorer_borrow(&items, &p, INT64_MIN, &s));
    int64_t users[5] = {0, 1, 2, 3, 4};
    int32_t it[50], cnt[5];
    float sc[50];
    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.scorer = s;
    job.data = &small;
    job.users = users;
    job.n_users = 5;
    tide_retrieval_params rp;
    tide_retrieval_params_default(&rp);
    topk_out o = {it, sc, cnt, 10};
    tide_retrieval_stats st;
    CHECK_OK(tide_retrieval_run(&job, &rp, topk_sink, &o, &st));
    CHECK_EQ(st.fast_rows, 0);
    tide_scorer_free(s);
    tide_interest_items_free(&items);
    tide_dataset_free(&small);
}

int main(void) {
    setup(NI);
    RUN(test_fast_equals_full_scan);
    RUN(test_threshold);
    RUN(test_gate);
    tide_dataset_free(&ds);
    free(lmv);
    free(tv);
    return harness_done();
}
