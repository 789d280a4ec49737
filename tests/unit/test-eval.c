/* test-eval.c — the evaluation library: multi-cutoff metrics against the single-cutoff ones,
 * truth from a dataset dir (dictionaries authoritative: unknown ids are file:line errors), rank
 * gaps, novelty and diversity worked out by hand, bootstrap determinism and paired tests. */
#include "harness.h"
#include "dataset-builder.h"
#include "tide/dataset.h"
#include "tide/eval.h"
#include "tide/fileio.h"
#include "tide/metrics.h"
#include "tide/npy.h"

static uint64_t lcg = 12345;
static int rnd(int n) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (int)((lcg >> 33) % (uint64_t)n);
}

static void test_multi_matches_single(void) {
    int ks[] = {1, 2, 3, 5, 10, 20, 50};
    for (int trial = 0; trial < 500; trial++) {
        int nt = 1 + rnd(30), nr = rnd(40);
        int32_t truth[64], ranked[64];
        float gains[64];
        int used[200] = {0};
        /* distinct sorted truth */
        int cnt = 0;
        for (int i = 0; i < 200 && cnt < nt; i++)
            if (rnd(200) < nt * 2) truth[cnt++] = i;
        nt = cnt ? cnt : 1;
        if (!cnt) truth[0] = 7;
        for (int i = 0; i < nt; i++) gains[i] = (float)(1 + rnd(4));
        for (int i = 0; i < nr; i++) {
            int it;
            do it = rnd(200); while (used[it]);
            used[it] = 1;
            ranked[i] = it;
        }
        tide_metrics_at_k multi[7], single;
        for (int g = 0; g < 2; g++) {
            tide_metrics_user_multi(ranked, nr, truth, g ? gains : NULL, nt, ks, 7, multi);
            for (int j = 0; j < 7; j++) {
                tide_metrics_user(ranked, nr, truth, g ? gains : NULL, nt, ks[j], &single);
                CHECK_NEAR(multi[j].precision, single.precision, 1e-12);
                CHECK_NEAR(multi[j].recall, single.recall, 1e-12);
                CHECK_NEAR(multi[j].f1, single.f1, 1e-12);
                CHECK_NEAR(multi[j].ndcg, single.ndcg, 1e-12);
                CHECK_NEAR(multi[j].ap, single.ap, 1e-12);
                CHECK_NEAR(multi[j].rr, single.rr, 1e-12);
                CHECK_NEAR(multi[j].hit, single.hit, 0);
            }
        }
    }
}

/* A gap (rank absent from the file) is a position that matches nothing. */
static void test_gaps(void) {
    int32_t ranked[] = {-1, 3, -1, 1};
    int32_t truth[] = {1, 3};
    int ks[] = {1, 2, 4};
    tide_metrics_at_k m[3];
    tide_metrics_user_multi(ranked, 4, truth, NULL, 2, ks, 3, m);
    CHECK_NEAR(m[0].hit, 0, 0);
    CHECK_NEAR(m[1].precision, 0.5, 1e-15);
    CHECK_NEAR(m[1].rr, 0.5, 1e-15);
    CHECK_NEAR(m[2].ap, (1.0 / 2 + 2.0 / 4) / 2, 1e-15);
    CHECK_NEAR(m[2].ndcg, (1 / log2(3.0) + 1 / log2(5.0)) / (1 + 1 / log2(3.0)), 1e-15);
}

/* users u1..u4, items i1..i5; u1: i2 (w1), i2 (w3), i4 (w2); u2: nothing; u3: i1; u4: i5. */
static char *make_dataset(const char *dir) {
    tide_dataset ds;
    tb_build(&ds, &(tb_spec){.n_users = 4, .n_items = 5,
                             .user_ids = (const char *[]){"u1", "u2", "u3", "u4"},
                             .item_ids = (const char *[]){"i1", "i2", "i3", "i4", "i5"},
                             .len = (int[]){3, 0, 1, 1}, .items = (int32_t[]){1, 1, 3, 0, 4},
                             .times = (int64_t[]){1, 2, 3, 4, 5}, .weights = (float[]){1, 3, 2, 1, 1}});
    char *out = tide_path_join(dir, "test");
    CHECK_OK(tide_dataset_save(out, &ds));
    tide_dataset_free(&ds);
    return out;
}

static void test_dataset_truth(void) {
    const char *dir = harness_tmpdir("eval");
    char *ds = make_dataset(dir);
    tide_eval_truth t;
    CHECK_OK(tide_eval_truth_load(ds, NULL, 0, &t));
    CHECK_EQ(t.n_users, 4);
    CHECK_EQ(t.n_eval, 3);        /* u2 has no relevant item */
    CHECK_EQ(t.eval_of_user[1], -1);
    CHECK_EQ(t.indptr[1], 2);     /* u1: i2 once (deduplicated), i4 */
    CHECK_EQ(t.truth_items[0], 1);
    CHECK_NEAR(t.gains[0], 3, 0); /* largest weight of the repeated item */
    CHECK_EQ(t.items_closed, 1);

    tide_eval_params p;
    tide_eval_params_default(&p);
    CHECK(tide_eval_parse_ks("2,1", &p) == NULL);
    CHECK_EQ(p.ks[0], 1);
    tide_eval_run run;
    char *recs = tide_path_join(dir, "recs.tsv");
    /* u2 has recommendations but no truth: ignored and counted; u4 has none: scored 0. */
    harness_write(recs, "u1\ti4\t1\t0.9\nu1\ti3\t2\t0.5\nu2\ti1\t1\t1\nu3\ti1\t3\t1e-3\n");
    CHECK_OK(tide_eval_run_read(recs, TIDE_RECS_AUTO, &t, &p, &run));
    CHECK_EQ(run.n_users_in_file, 3);
    CHECK_EQ(run.n_users_no_truth, 1);
    CHECK_EQ(run.n_eval_no_recs, 1);
    double *prec2 = tide_eval_column(&run, t.n_eval, TIDE_EVAL_PRECISION, 1);
    CHECK_NEAR(prec2[0], 0.5, 0); /* u1: i4 at rank 1 */
    CHECK_NEAR(prec2[1], 0, 0);   /* u3: i1 at rank 3, beyond k = 2 */
    CHECK_NEAR(tide_eval_mean(tide_eval_column(&run, t.n_eval, TIDE_EVAL_HIT, 1), NULL, t.n_eval, NULL), 1.0 / 3, 1e-15);
    CHECK_NEAR(tide_eval_coverage(&run, -1, 1, 5), 1.0 / 5, 0);
    CHECK_NEAR(tide_eval_coverage(&run, -1, 2, 5), 2.0 / 5, 0);
    tide_eval_run_free(&run);

    /* Unknown ids relative to the dataset's dictionaries. */
    harness_write(recs, "u1\ti4\t1\t0.9\nu9\ti3\t1\t0.5\n");
    CHECK_STATUS(tide_eval_run_read(recs, TIDE_RECS_TSV, &t, &p, &run), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "recs.tsv:2: unknown user 'u9'");
    harness_write(recs, "u1\ti4\t1\t0.9\nu1\tzz\t2\t0.5\n");
    CHECK_STATUS(tide_eval_run_read(recs, TIDE_RECS_TSV, &t, &p, &run), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "recs.tsv:2: unknown item 'zz'");
    tide_eval_truth_free(&t);

    /* Novelty from this dataset as train: U = 3 users with events; i2 and i4 by u1, i1 by u3. */
    tide_dataset train;
    CHECK_OK(tide_dataset_load(ds, &train));
    double *info, unseen;
    CHECK_OK(tide_eval_novelty_info(&train, &info, &unseen));
    CHECK_NEAR(info[1], log2(3.0), 1e-15);  /* i2: 1 distinct user (repeated events count once) */
    CHECK_NEAR(info[2], log2(3.0), 1e-15);  /* i3: unseen, floored at 1 */
    CHECK_NEAR(unseen, log2(3.0), 1e-15);
    free(info);
    tide_dataset_free(&train);
    free(recs);
    free(ds);
}

static void test_diversity(void) {
    const char *dir = harness_tmpdir("eval");
    char *vp = tide_path_join(dir, "vec.npy");
    /* i0 = (1,0), i1 = (0,2), i2 = (1,1), i3 = (0,0) */
    float v[] = {1, 0, 0, 2, 1, 1, 0, 0};
    CHECK_OK(tide_npy_save_2d(vp, TIDE_DTYPE_F32, 4, 2, v));
    float *vecs;
    int dim;
    CHECK_OK(tide_eval_vectors_load(vp, 4, &vecs, &dim));
    CHECK_EQ(dim, 2);
    CHECK_STATUS(tide_eval_vectors_load(vp, 5, &vecs, &dim), TIDE_ERR_DATA);
    char *tp = tide_path_join(dir, "truth.tsv"), *rp = tide_path_join(dir, "r.tsv");
    harness_write(tp, "a\ti0\nb\ti1\n");
    harness_write(rp, "a\ti0\t1\t1\na\ti1\t2\t1\na\ti2\t3\t1\na\ti3\t4\t1\nb\ti1\t1\t1\n");
    tide_eval_truth t;
    char *seed[] = {"i0", "i1", "i2", "i3"};
    CHECK_OK(tide_eval_truth_load(tp, seed, 4, &t));
    tide_eval_params p;
    tide_eval_params_default(&p);
    CHECK(tide_eval_parse_ks("1,2,3,4", &p) == NULL);
    p.item_vecs = vecs;
    p.n_vecs = 4;
    p.dim = dim;
    tide_eval_run run;
    CHECK_OK(tide_eval_run_read(rp, TIDE_RECS_TSV, &t, &p, &run));
    double *d = run.values + (int64_t)TIDE_EVAL_DIVERSITY * 4 * t.n_eval;
    double s = sqrt(0.5);
    CHECK(isnan(d[0 * 2 + 0]));                               /* one item: undefined */
    CHECK_NEAR(d[1 * 2 + 0], 1.0, 1e-7);                      /* cos(i0, i1) = 0 */
    CHECK_NEAR(d[2 * 2 + 0], 1 - (0 + s + s) / 3, 1e-7);      /* pairs (0,1) (0,2) (1,2) */
    CHECK_NEAR(d[3 * 2 + 0], 1 - (0 + s + s) / 6, 1e-7);      /* the zero vector: cosine 0 */
    CHECK(isnan(d[3 * 2 + 1]));                               /* user b: one item */
    CHECK_NEAR(tide_eval_mean(d + 3 * 2, NULL, 2, NULL), 1 - (2 * s) / 6, 1e-7);
    tide_eval_run_free(&run);
    tide_eval_truth_free(&t);
    free(vecs);
    free(vp);
    free(tp);
    free(rp);
}

static void test_bootstrap_and_paired(void) {
    enum { N = 5000 };
    static double a[N], b[N];
    for (int i = 0; i < N; i++) {
        a[i] = rnd(1000) / 1000.0;
        b[i] = a[i] * 0.9 + (rnd(2) ? 0.05 : 0);
    }
    const double *ca[1] = {a}, *cb[1] = {b};
    tide_eval_ci c1, c2, c3;
    tide_threads_set(1);
    CHECK_OK(tide_eval_bootstrap(ca, 1, NULL, N, 300, 7, 0.95, &c1));
    tide_threads_set(2);
    CHECK_OK(tide_eval_bootstrap(ca, 1, NULL, N, 300, 7, 0.95, &c2));
    CHECK_OK(tide_eval_bootstrap(ca, 1, NULL, N, 300, 8, 0.95, &c3));
    CHECK(c1.low == c2.low && c1.high == c2.high); /* independent of the thread count */
    CHECK(c1.low != c3.low || c1.high != c3.high); /* the seed matters */
    double mean = tide_eval_mean(a, NULL, N, NULL);
    CHECK(c1.low < mean && mean < c1.high);
    /* Standard error of a uniform mean: 0.2887 / sqrt(N); the 95% interval is about ±1.96 se. */
    double se = 0.2887 / sqrt((double)N);
    CHECK(fabs((c1.high - c1.low) / (2 * 1.96 * se) - 1) < 0.15);

    tide_eval_paired self, diff;
    CHECK_OK(tide_eval_compare(ca, ca, 1, NULL, N, 200, 500, 1, 0.95, &self));
    CHECK_NEAR(self.diff, 0, 0);
    CHECK_NEAR(self.p_value, 1, 0);
    CHECK_NEAR(self.ci.low, 0, 0);
    CHECK_NEAR(self.ci.high, 0, 0);
    CHECK_OK(tide_eval_compare(ca, cb, 1, NULL, N, 200, 500, 1, 0.95, &diff));
    CHECK_NEAR(diff.diff, tide_eval_mean(a, NULL, N, NULL) - tide_eval_mean(b, NULL, N, NULL), 1e-12);
    CHECK(diff.p_value < 0.01);   /* a real difference of ~0.025 over 5000 users */
    CHECK(diff.ci.low > 0);
    /* A subset: the first 100 users only. */
    int64_t sub[100];
    for (int i = 0; i < 100; i++) sub[i] = i;
    CHECK_OK(tide_eval_bootstrap(ca, 1, sub, 100, 300, 7, 0.95, &c3));
    CHECK(c3.high - c3.low > c1.high - c1.low);
}

int main(void) {
    RUN(test_multi_matches_single);
    RUN(test_gaps);
    RUN(test_dataset_truth);
    RUN(test_diversity);
    RUN(test_bootstrap_and_paired);
    return harness_done();
}
