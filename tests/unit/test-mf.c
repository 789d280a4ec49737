/* test-mf.c — the CF algorithms against independent references: ALS objective decreases,
 * CG agrees with Cholesky, fold-in reproduces a trained user factor and (with fading
 * preferences) zeroes its objective's gradient, EASE matches a naive
 * Gauss-Jordan inverse, item-kNN matches brute-force similarities, popularity and time decay
 * match hand computations, contextual popularity matches its definition summed directly, BPR is deterministic and learns. */
#include <math.h>

#include "harness.h"
#include "dataset-builder.h"
#include "tide/dataset.h"
#include "tide/mf.h"
#include "tide/synth.h"

static tide_mf_params als_params(int k, tide_als_solver solver) {
    tide_mf_params p = tide_mf_params_default(TIDE_MF_ALS);
    p.factors = k;
    p.regularization = 0.1;
    p.alpha = 2.0;
    p.solver = solver;
    p.init_scale = 0.1;
    return p;
}

/* Train `iters` ALS iterations directly with the library pieces; returns per-iteration loss. */
static void als_run(const tide_dataset *ds, const tide_mf_params *p, int iters, float *U, float *V, double *loss) {
    int k = p->factors;
    float *uw, *iw, *G = malloc((size_t)k * k * sizeof *G);
    CHECK_OK(tide_mf_weights(ds, &p->decay, &uw, &iw));
    tide_mf_init_factors(U, ds->n_users, k, p->init_scale, 0, p->seed, 1);
    tide_mf_init_factors(V, ds->n_items, k, p->init_scale, 0, p->seed, 2);
    for (int it = 0; it < iters; it++) {
        tide_als_gram(V, ds->n_items, k, p->regularization, G);
        CHECK_OK(tide_als_solve_rows(p, G, V, k, ds->indptr, ds->items, uw, 0, ds->n_users, U, NULL));
        tide_als_gram(U, ds->n_users, k, p->regularization, G);
        double *rl = calloc(ds->n_items, sizeof *rl);
        CHECK_OK(tide_als_solve_rows(p, G, U, k, ds->item_indptr, ds->item_users, iw, 0, ds->n_items, V, rl));
        if (loss) {
            /* the same objective two ways: by users (loss_part) and by items (the solve's by-product) */
            double byitem = 0;
            for (int64_t i = 0; i < ds->n_items; i++) byitem += rl[i];
            for (int64_t q = 0; q < ds->n_users * k; q++) byitem += p->regularization * U[q] * U[q];
            tide_als_gram(V, ds->n_items, k, p->regularization, G);
            double l = tide_als_loss_part(p, U, V, G, k, ds->indptr, ds->items, uw, 0, ds->n_users);
            for (int64_t q = 0; q < ds->n_items * k; q++) l += p->regularization * V[q] * V[q];
            CHECK_NEAR(byitem, l, 1e-4 * l);
            loss[it] = l;
        }
        free(rl);
    }
    free(uw); free(iw); free(G);
}

/* Brute-force objective over all pairs, for checking tide_als_loss_part. */
static double brute_loss(const tide_dataset *ds, const tide_mf_params *p, const float *U, const float *V) {
    int k = p->factors;
    double l = 0;
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t i = 0; i < ds->n_items; i++) {
            double c = 1, pr = 0, s = 0;
            for (int64_t q = ds->indptr[u]; q < ds->indptr[u + 1]; q++)
                if (ds->items[q] == i) { c = 1 + p->alpha * ds->weights[q]; pr = 1; }
            for (int d = 0; d < k; d++) s += (double)U[u * k + d] * V[i * k + d];
            l += c * (pr - s) * (pr - s);
        }
    for (int64_t q = 0; q < ds->n_users * k; q++) l += p->regularization * U[q] * U[q];
    for (int64_t q = 0; q < ds->n_items * k; q++) l += p->regularization * V[q] * V[q];
    return l;
}

static void test_als_objective(void) {
    tide_dataset ds;
    CHECK_OK(tide_synth_dataset(120, 60, 1500, 0.8, 3, &ds));
    for (int s = 0; s < 2; s++) {
        tide_mf_params p = als_params(8, s ? TIDE_ALS_CHOLESKY : TIDE_ALS_CG);
        float *U = malloc(120 * 8 * sizeof *U), *V = malloc(60 * 8 * sizeof *V);
        double loss[8];
        als_run(&ds, &p, 8, U, V, loss);
        for (int it = 1; it < 8; it++) CHECK(loss[it] <= loss[it - 1] * (1 + 1e-5));
        CHECK(loss[7] < loss[0]);
        CHECK_NEAR(loss[7], brute_loss(&ds, &p, U, V), 1e-3 * loss[7]);
        free(U); free(V);
    }
    tide_dataset_free(&ds);
}

static void test_cg_vs_cholesky(void) {
    /* With enough CG steps, a user step from the same start solves the same linear systems. */
    tide_dataset ds;
    CHECK_OK(tide_synth_dataset(100, 50, 1200, 0.8, 5, &ds));
    int k = 6;
    tide_mf_params pc = als_params(k, TIDE_ALS_CHOLESKY), pg = als_params(k, TIDE_ALS_CG);
    pg.cg_steps = 40;
    float *V = malloc(50 * k * sizeof *V), *U1 = calloc(100 * k, sizeof *U1), *U2 = calloc(100 * k, sizeof *U2);
    float *G = malloc(k * k * sizeof *G), *uw;
    CHECK_OK(tide_mf_weights(&ds, &pc.decay, &uw, NULL));
    tide_mf_init_factors(V, 50, k, 1.0, 0, 1, 2);
    tide_als_gram(V, 50, k, pc.regularization, G);
    CHECK_OK(tide_als_solve_rows(&pc, G, V, k, ds.indptr, ds.items, uw, 0, 100, U1, NULL));
    CHECK_OK(tide_als_solve_rows(&pg, G, V, k, ds.indptr, ds.items, uw, 0, 100, U2, NULL));
    double md = 0;
    for (int q = 0; q < 100 * k; q++) md = fmax(md, fabs(U1[q] - U2[q]));
    CHECK(md < 1e-3);
    /* And 3 warm-started CG steps per iteration reach the same objective as exact ALS. */
    float *Ua = malloc(100 * k * sizeof *Ua), *Va = malloc(50 * k * sizeof *Va);
    float *Ub = malloc(100 * k * sizeof *Ub), *Vb = malloc(50 * k * sizeof *Vb);
    double la[30], lb[30];
    pg.cg_steps = 3;
    als_run(&ds, &pc, 30, Ua, Va, la);
    als_run(&ds, &pg, 30, Ub, Vb, lb);
    CHECK(fabs(la[29] - lb[29]) < 2e-3 * la[29]);
    free(V); free(U1); free(U2); free(G); free(uw); free(Ua); free(Va); free(Ub); free(Vb);
    tide_dataset_free(&ds);
}

static void test_fold_in(void) {
    tide_dataset ds;
    CHECK_OK(tide_synth_dataset(80, 40, 900, 0.8, 11, &ds));
    int k = 5;
    tide_mf_params p = als_params(k, TIDE_ALS_CHOLESKY);
    float *U = malloc(80 * k * sizeof *U), *V = malloc(40 * k * sizeof *V), f[5];
    als_run(&ds, &p, 200, U, V, NULL);
    double md = 0;
    for (int64_t u = 0; u < ds.n_users; u += 7) {
        int64_t b = ds.indptr[u];
        CHECK_OK(tide_mf_fold_in(&p, V, 40, k, NULL, ds.items + b, ds.weights + b, ds.times + b, ds.indptr[u + 1] - b, f));
        for (int d = 0; d < k; d++) md = fmax(md, fabs(f[d] - U[u * k + d]));
    }
    if (!(md < 1e-3)) fprintf(stderr, "fold-in max abs difference %g\n", md);
    CHECK(md < 1e-3);
    /* Decay in fold-in: halving every older event's weight changes the factor. */
    tide_mf_params pd = p;
    pd.decay.half_life = 60;
    int64_t b = ds.indptr[3];
    float g[5];
    CHECK_OK(tide_mf_fold_in(&pd, V, 40, k, NULL, ds.items + b, ds.weights + b, ds.times + b, ds.indptr[4] - b, g));
    CHECK_OK(tide_mf_fold_in(&p, V, 40, k, NULL, ds.items + b, ds.weights + b, ds.times + b, ds.indptr[4] - b, f));
    double diff = 0;
    for (int d = 0; d < k; d++) diff += fabs(f[d] - g[d]);
    CHECK(diff > 1e-4);
    /* Fading preference (decay_preference): the solution zeroes the gradient of
     * Σ_obs c_j (pref_j − x·y_j)² + Σ_unobs (x·y_i)² + λ|x|², c_j = 1 + alpha·w_j, pref_j = decay
     * factor, computed item by item here; and the times path equals explicit preferences. */
    pd.fold_in = 1;
    pd.decay_preference = 1;
    pd.decay.as_of_mode = TIDE_ASOF_USER;
    int64_t n = ds.indptr[4] - b;
    float *wd = malloc((size_t)n * sizeof *wd), *pf = malloc((size_t)n * sizeof *pf), h[5];
    int64_t ref = INT64_MIN;
    for (int64_t j = 0; j < n; j++) ref = ds.times[b + j] > ref ? ds.times[b + j] : ref;
    for (int64_t j = 0; j < n; j++) {
        pf[j] = (float)tide_mf_decay_factor(&pd.decay, ds.times[b + j], ref);
        wd[j] = ds.weights[b + j] * pf[j];
    }
    CHECK_OK(tide_mf_fold_in(&pd, V, 40, k, NULL, ds.items + b, ds.weights + b, ds.times + b, n, g));
    CHECK_OK(tide_mf_fold_in_pref(&pd, V, 40, k, NULL, ds.items + b, wd, pf, NULL, n, h));
    double grad[5] = {0}, gmax = 0, xmax = 0;
    for (int i = 0; i < 40; i++) {
        double c = 1, pr = 0, xy = 0;
        for (int d = 0; d < k; d++) xy += (double)g[d] * V[i * k + d];
        for (int64_t j = 0; j < n; j++)
            if (ds.items[b + j] == i) { c += pd.alpha * wd[j]; pr += (1 + pd.alpha * wd[j]) * pf[j]; }
        /* Repeated items add up: d/dx of Σ_j c_j (p_j − x·y)² over the item's events. */
        double cp = pr;
        for (int d = 0; d < k; d++) grad[d] += (c * xy - cp) * V[i * k + d];
    }
    for (int d = 0; d < k; d++) {
        grad[d] += pd.regularization * g[d];
        gmax = fmax(gmax, fabs(grad[d]));
        xmax = fmax(xmax, fabs(g[d]));
        CHECK_NEAR(g[d], h[d], 1e-5 * (1 + fabs(g[d])));
    }
    CHECK(xmax > 1e-3);
    if (!(gmax < 1e-4)) fprintf(stderr, "fold-in gradient %g\n", gmax);
    CHECK(gmax < 1e-4);
    /* The fading preference changes the factor compared with decayed confidence alone. */
    pd.decay_preference = 0;
    CHECK_OK(tide_mf_fold_in(&pd, V, 40, k, NULL, ds.items + b, ds.weights + b, ds.times + b, n, h));
    diff = 0;
    for (int d = 0; d < k; d++) diff += fabs(g[d] - h[d]);
    CHECK(diff > 1e-4);
    free(wd); free(pf);
    int32_t bad = 99;
    CHECK_STATUS(tide_mf_fold_in(&p, V, 40, k, NULL, &bad, NULL, NULL, 1, f), TIDE_ERR_DATA);
    float nanw = NAN;
    int32_t ok = 1;
    CHECK_STATUS(tide_mf_fold_in(&p, V, 40, k, NULL, &ok, &nanw, NULL, 1, f), TIDE_ERR_DATA);
    free(U); free(V);
    tide_dataset_free(&ds);
}

/* Naive Gauss-Jordan inverse in double. */
static void invert(double *A, int n, double *X) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) X[i * n + j] = i == j;
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++) if (fabs(A[r * n + c]) > fabs(A[piv * n + c])) piv = r;
        for (int j = 0; j < n; j++) {
            double t = A[c * n + j]; A[c * n + j] = A[piv * n + j]; A[piv * n + j] = t;
            t = X[c * n + j]; X[c * n + j] = X[piv * n + j]; X[piv * n + j] = t;
        }
        double d = A[c * n + c];
        for (int j = 0; j < n; j++) { A[c * n + j] /= d; X[c * n + j] /= d; }
        for (int r = 0; r < n; r++) {
            if (r == c) continue;
            double f = A[r * n + c];
            for (int j = 0; j < n; j++) { A[r * n + j] -= f * A[c * n + j]; X[r * n + j] -= f * X[c * n + j]; }
        }
    }
}

static void test_ease(void) {
    tide_dataset ds;
    CHECK_OK(tide_synth_dataset(60, 25, 400, 0.7, 13, &ds));
    int n = 25;
    double lambda = 3.0;
    float *uw, *B;
    tide_mf_decay nod = {0, TIDE_ASOF_LATEST, 0};
    CHECK_OK(tide_mf_weights(&ds, &nod, &uw, NULL));
    CHECK_OK(tide_ease_fit(&ds, uw, lambda, 0, &B));
    double *G = calloc(n * n, sizeof *G), *P = malloc(n * n * sizeof *P);
    for (int64_t u = 0; u < ds.n_users; u++)
        for (int64_t a = ds.indptr[u]; a < ds.indptr[u + 1]; a++)
            for (int64_t b = ds.indptr[u]; b < ds.indptr[u + 1]; b++) G[ds.items[a] * n + ds.items[b]] += uw[a] * uw[b];
    for (int i = 0; i < n; i++) G[i * n + i] += lambda;
    invert(G, n, P);
    double md = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double want = i == j ? 0 : -P[i * n + j] / P[j * n + j];
            md = fmax(md, fabs(want - B[i * n + j]));
        }
    CHECK(md < 1e-4);
    free(B); free(G); free(P); free(uw);
    /* Refusal with the memory needed. */
    float *uw2;
    CHECK_OK(tide_mf_weights(&ds, &nod, &uw2, NULL));
    CHECK_STATUS(tide_ease_fit(&ds, uw2, lambda, 1000, &B), TIDE_ERR_NOMEM);
    CHECK_CONTAINS(tide_error_message(), "EASE needs");
    CHECK_CONTAINS(tide_error_message(), "--max-memory");
    free(uw2);
    tide_dataset_free(&ds);
}

/* EASE past one block of the blocked Cholesky and inverse (600 items: blocks of 256, 256, 88)
 * against the double-precision reference, and the same bytes for 1, 2 and 3 threads (issue 15:
 * a multithreaded LAPACK made B depend on the thread count). */
static void test_ease_blocked(void) {
    tide_dataset ds;
    CHECK_OK(tide_synth_dataset(3000, 600, 30000, 0.5, 17, &ds));
    int n = 600;
    double lambda = 20.0;
    float *uw, *B[3];
    tide_mf_decay nod = {0, TIDE_ASOF_LATEST, 0};
    CHECK_OK(tide_mf_weights(&ds, &nod, &uw, NULL));
    for (int t = 0; t < 3; t++) {
        tide_threads_set(t + 1);
        CHECK_OK(tide_ease_fit(&ds, uw, lambda, 0, &B[t]));
    }
    tide_threads_set(2);
    CHECK(memcmp(B[0], B[1], sizeof(float) * n * n) == 0);
    CHECK(memcmp(B[0], B[2], sizeof(float) * n * n) == 0);
    double *G = calloc((size_t)n * n, sizeof *G), *P = malloc((size_t)n * n * sizeof *P);
    for (int64_t u = 0; u < ds.n_users; u++)
        for (int64_t a = ds.indptr[u]; a < ds.indptr[u + 1]; a++)
            for (int64_t b = ds.indptr[u]; b < ds.indptr[u + 1]; b++) G[ds.items[a] * n + ds.items[b]] += uw[a] * uw[b];
    for (int i = 0; i < n; i++) G[i * n + i] += lambda;
    invert(G, n, P);
    double md = 0, mb = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double want = i == j ? 0 : -P[i * n + j] / P[j * n + j];
            md = fmax(md, fabs(want - B[0][i * n + j]));
            mb = fmax(mb, fabs(want));
        }
    CHECK(mb > 0.01);
    CHECK(md < 1e-5 * (1 + mb));
    for (int t = 0; t < 3; t++) free(B[t]);
    free(G); free(P); free(uw);
    tide_dataset_free(&ds);
}

static void test_itemknn(void) {
    tide_dataset ds;
    CHECK_OK(tide_synth_dataset(70, 30, 500, 0.7, 17, &ds));
    for (int sim = 0; sim < 2; sim++) {
        tide_mf_params p = tide_mf_params_default(TIDE_MF_ITEMKNN);
        p.neighbors = 5;
        p.similarity = sim ? TIDE_KNN_BM25 : TIDE_KNN_COSINE;
        float *uw, *iw, *s;
        int64_t *ip;
        int32_t *nb;
        CHECK_OK(tide_mf_weights(&ds, &p.decay, &uw, &iw));
        CHECK_OK(tide_itemknn_fit(&ds, uw, iw, &p, &ip, &nb, &s));
        /* Brute force: dense user×item matrix of the same weights. */
        int n = 30, m = 70;
        double *X = calloc(m * n, sizeof *X), *S = calloc(n * n, sizeof *S);
        double *len = calloc(m, sizeof *len), avg = 0;
        for (int u = 0; u < m; u++) for (int64_t q = ds.indptr[u]; q < ds.indptr[u + 1]; q++) len[u] += uw[q];
        for (int u = 0; u < m; u++) avg += len[u] / m;
        for (int u = 0; u < m; u++)
            for (int64_t q = ds.indptr[u]; q < ds.indptr[u + 1]; q++) {
                int i = ds.items[q];
                double w = uw[q];
                if (sim) {
                    double df = (double)(ds.item_indptr[i + 1] - ds.item_indptr[i]);
                    double ln = (1 - p.bm25_b) + p.bm25_b * len[u] / avg;
                    w = w * (p.bm25_k1 + 1) / (p.bm25_k1 * ln + w) * (log(m) - log1p(df));
                }
                X[u * n + i] = w;
            }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double d = 0, ni = 0, nj = 0;
                for (int u = 0; u < m; u++) { d += X[u * n + i] * X[u * n + j]; ni += X[u * n + i] * X[u * n + i]; nj += X[u * n + j] * X[u * n + j]; }
                S[i * n + j] = sim ? d : (ni > 0 && nj > 0 ? d / sqrt(ni * nj) : 0);
            }
        for (int i = 0; i < n; i++) {
            /* expected: top 5 j != i with S > 0, desc, ties lower index */
            int want[5], nw = 0;
            int used[30] = {0};
            for (int r = 0; r < 5; r++) {
                int best = -1;
                for (int j = 0; j < n; j++)
                    if (j != i && !used[j] && S[i * n + j] > 1e-9 && (best < 0 || S[i * n + j] > S[i * n + best] + 1e-6)) best = j;
                if (best < 0) break;
                used[best] = 1;
                want[nw++] = best;
            }
            CHECK_EQ(ip[i + 1] - ip[i], nw);
            for (int r = 0; r < nw && r < ip[i + 1] - ip[i]; r++) {
                /* Near-ties may order differently in float; compare similarity values. */
                CHECK_NEAR(s[ip[i] + r], S[i * n + want[r]], 1e-4 * fmax(1, fabs(S[i * n + want[r]])));
                CHECK_NEAR(s[ip[i] + r], S[i * n + nb[ip[i] + r]], 1e-4 * fmax(1, fabs(S[i * n + want[r]])));
            }
        }
        free(X); free(S); free(len); free(uw); free(iw); free(ip); free(nb); free(s);
    }
    tide_dataset_free(&ds);
}

static void test_pop_and_decay(void) {
    tide_dataset ds;
    tb_build(&ds, &(tb_spec){.n_users = 2, .n_items = 3,
                             .user_ids = (const char *[]){"a", "b"}, .item_ids = (const char *[]){"x", "y", "z"},
                             .len = (int[]){2, 2}, .items = (int32_t[]){0, 1, 1, 2},
                             .times = (int64_t[]){0, 86400, 43200, 86400}, .weights = (float[]){1, 2, 1, 4}});
    CHECK_OK(tide_dataset_build_item_major(&ds));
    tide_mf_decay d = {86400, TIDE_ASOF_LATEST, 0};
    float *uw, *iw, *pop;
    CHECK_OK(tide_mf_weights(&ds, &d, &uw, &iw));
    CHECK_NEAR(uw[0], 0.5, 1e-7);        /* one half-life old */
    CHECK_NEAR(uw[1], 2.0, 1e-7);
    CHECK_NEAR(uw[2], sqrt(0.5), 1e-7);  /* half a half-life */
    CHECK_NEAR(uw[3], 4.0, 1e-7);
    CHECK_OK(tide_pop_fit(&ds, iw, &pop));
    CHECK_NEAR(pop[0], 0.5, 1e-6);
    CHECK_NEAR(pop[1], 2 + sqrt(0.5), 1e-6);
    CHECK_NEAR(pop[2], 4, 1e-6);
    free(uw); free(iw); free(pop);
    /* Per-user reference: user a's latest is 86400, b's too; a fixed as-of in the future. */
    tide_mf_decay du = {86400, TIDE_ASOF_TIME, 2 * 86400};
    CHECK_OK(tide_mf_weights(&ds, &du, &uw, NULL));
    CHECK_NEAR(uw[0], 0.25, 1e-7);
    CHECK_NEAR(uw[3], 2.0, 1e-7);
    free(uw);
    CHECK_NEAR(tide_mf_decay_factor(&du, 3 * 86400, 2 * 86400), 1.0, 0); /* future events are not amplified */
    ds.weights[2] = NAN;
    CHECK_STATUS(tide_mf_weights(&ds, &d, &uw, &iw), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "user 'b' with item 'y'");
    ds.weights[2] = INFINITY;
    CHECK_STATUS(tide_mf_weights(&ds, &d, &uw, &iw), TIDE_ERR_DATA);
    tide_dataset_free(&ds);
}

static void test_bpr(void) {
    tide_dataset ds;
    CHECK_OK(tide_synth_dataset(200, 80, 3000, 1.0, 19, &ds));
    tide_mf_params p = tide_mf_params_default(TIDE_MF_BPR);
    p.factors = 8;
    p.learning_rate = 0.05;
    float *uw;
    CHECK_OK(tide_mf_weights(&ds, &p.decay, &uw, NULL));
    float *U[2], *V[2], *bias[2];
    double first = 0, last = 0, acc = 0;
    for (int r = 0; r < 2; r++) {
        tide_bpr_state *s;
        CHECK_OK(tide_bpr_init(&ds, uw, 2, &s));
        U[r] = malloc(200 * 8 * sizeof(float)); V[r] = malloc(80 * 8 * sizeof(float)); bias[r] = calloc(80, sizeof(float));
        tide_mf_init_factors(U[r], 200, 8, 0.1, 1, 5, 1);
        tide_mf_init_factors(V[r], 80, 8, 0.1, 1, 5, 2);
        for (int e = 1; e <= 20; e++) {
            double l;
            CHECK_OK(tide_bpr_epoch(s, &p, e, U[r], V[r], bias[r], &l, &acc));
            if (e == 1) first = l;
            last = l;
        }
        tide_bpr_free(s);
    }
    CHECK(last < first);
    CHECK(acc > 0.7);
    CHECK(memcmp(U[0], U[1], 200 * 8 * sizeof(float)) == 0); /* same seed and shards: same bits */
    CHECK(memcmp(V[0], V[1], 80 * 8 * sizeof(float)) == 0);
    for (int r = 0; r < 2; r++) { free(U[r]); free(V[r]); free(bias[r]); }
    free(uw);
    tide_dataset_free(&ds);
}

static void test_params(void) {
    tide_mf_params p = tide_mf_params_default(TIDE_MF_ALS);
    CHECK(tide_mf_params_check(&p) == NULL);
    p.factors = 0;
    CHECK(strstr(tide_mf_params_check(&p), "--factors") != NULL);
    p = tide_mf_params_default(TIDE_MF_EASE);
    p.lambda = -1;
    CHECK(strstr(tide_mf_params_check(&p), "--lambda") != NULL);
    tide_mf_algo a;
    CHECK_STATUS(tide_mf_algo_parse("svd", &a), TIDE_ERR_USAGE);
    CHECK_OK(tide_mf_algo_parse("itemknn", &a));
    CHECK_EQ(a, TIDE_MF_ITEMKNN);
}

/* Contextual popularity against the definition summed directly: random events over 20 years
 * with tied times and uneven weights, queried before, between, at and after the events, for
 * both kernels and half-lives from an hour (2^(20y/1h) would overflow any prefix sum of
 * 2^(t/h)) to ten years. */
static void test_pop_context(void) {
    enum { NU = 40, NI = 12, PER = 25, NNZ = NU * PER };
    int64_t indptr[NU + 1], times[NNZ];
    int32_t it[NNZ];
    float w[NNZ];
    uint64_t x = 12345;
    const int64_t year = 365 * 86400LL, t0 = 800000000;
    for (int u = 0; u <= NU; u++) indptr[u] = (int64_t)u * PER;
    for (int e = 0; e < NNZ; e++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = x >> 20;
        it[e] = (int32_t)(r % NI);
        /* Every 7th event on a coarse grid, so several events of an item share a time. */
        times[e] = t0 + (e % 7 == 0 ? (int64_t)(r % 5) * year : (int64_t)((r >> 8) % (uint64_t)(20 * year)));
        w[e] = e % 11 == 0 ? 0.0f : (float)((r >> 4) % 1000) / 500.0f;
    }
    tide_dataset ds;
    tb_build(&ds, &(tb_spec){.n_users = NU, .n_items = NI, .indptr = indptr, .items = it, .times = times, .weights = w});
    CHECK_OK(tide_dataset_build_item_major(&ds));
    int64_t *eip, *et;
    float *ew;
    CHECK_OK(tide_pop_events(&ds, &eip, &et, &ew));
    CHECK_EQ(eip[NI], NNZ);
    double halves[] = {3600, 30 * 86400.0, 10.0 * year};
    int64_t queries[] = {t0 - year, t0, t0 + 3 * year, times[5], times[17], t0 + 20 * year, t0 + 40 * year, t0 + 7 * year + 12345};
    float s[NI];
    for (int kern = 0; kern < 2; kern++)
        for (int hq = 0; hq < 3; hq++) {
            tide_pop_context pc;
            CHECK_OK(tide_pop_context_init(&pc, NI, halves[hq], (tide_decay_kernel)kern, eip, et, ew, "test"));
            for (unsigned q = 0; q < sizeof queries / sizeof *queries; q++) {
                tide_pop_context_score(&pc, queries[q], s);
                for (int i = 0; i < NI; i++) {
                    double ref = 0;
                    for (int e = 0; e < NNZ; e++) {
                        if (it[e] != i || (kern == TIDE_KERNEL_PAST && times[e] > queries[q])) continue;
                        ref += w[e] * exp2(-fabs((double)queries[q] - (double)times[e]) / halves[hq]);
                    }
                    CHECK_NEAR(s[i], ref, 1e-5 * ref + 1e-30);
                }
            }
            tide_pop_context_free(&pc);
        }
    /* Times out of order are bad data, not a wrong score. */
    int64_t swap = et[0];
    et[0] = et[1] + 1;
    tide_pop_context pc;
    if (eip[1] - eip[0] >= 2) {
        CHECK_STATUS(tide_pop_context_init(&pc, NI, 3600, TIDE_KERNEL_TWO_SIDED, eip, et, ew, "bad"), TIDE_ERR_DATA);
        CHECK_CONTAINS(tide_error_message(), "bad: event 1 of item 0");
    }
    et[0] = swap;
    free(eip); free(et); free(ew);
    tide_dataset_free(&ds);
}

int main(void) {
    tide_threads_set(2);
    RUN(test_als_objective);
    RUN(test_cg_vs_cholesky);
    RUN(test_fold_in);
    RUN(test_ease);
    RUN(test_ease_blocked);
    RUN(test_itemknn);
    RUN(test_pop_and_decay);
    RUN(test_pop_context);
    RUN(test_bpr);
    RUN(test_params);
    return harness_done();
}
