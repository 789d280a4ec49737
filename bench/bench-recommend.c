/* bench-recommend.c — data generator (tide_synth_models_write) and timing harness for
 * tide-recommend.
 *
 *   bench-recommend gen --out DIR [--users N --items M --dim D --seen S --seed X --algos LIST
 *                       --int --queries Q --new-users U]
 *     writes DIR/data (a tide dataset: S distinct random items per user, every 9th user without
 *     events), and for each algorithm in LIST (als,bpr,ease,itemknn,pop) DIR/<algo> (a model dir
 *     to docs/formats.md, trained on DIR/data: random factors, a random EASE matrix, random
 *     neighbour lists, interaction counts), plus DIR/item_vectors.npy and DIR/queries.npy.
 *     --int draws small integers (exact scores, many ties: for tests). --new-users U leaves the
 *     last U users out of the factor models (they must be folded in). Seeded: same bytes for
 *     the same arguments.
 *
 *   bench-recommend run --dir DIR [--k K --threads T --reps R --user-block B --item-block I
 *                       --sgemm-users N]
 *     times tide_retrieval_run over DIR/als with DIR/data's seen items excluded (no output
 *     written: this is the scoring), best of R, and plain OpenBLAS sgemm with T threads on the same
 *     matrices (N users × all items, the output in memory); prints one JSON line. */
#define _GNU_SOURCE
#include <cblas.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/npy.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"
#include "tide/synth.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

static const char *arg(int argc, char **argv, const char *name, const char *dflt) {
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return dflt;
}
static int flag(int argc, char **argv, const char *name) {
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

/* CPU seconds of the whole process (all threads): less sensitive than wall time to other jobs
 * competing for the cores. */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int die(tide_status st) {
    fprintf(stderr, "bench-recommend: error: %s\n", tide_error_message());
    return st ? 1 : 0;
}

static int cmd_gen(int argc, char **argv) {
    tide_synth_models_params p;
    tide_synth_models_params_default(&p);
    const char *out = arg(argc, argv, "--out", NULL);
    if (!out) {
        fprintf(stderr, "bench-recommend gen: --out DIR is required\n");
        return 2;
    }
    p.users = atoll(arg(argc, argv, "--users", "200"));
    p.items = atoll(arg(argc, argv, "--items", "300"));
    p.dim = atoll(arg(argc, argv, "--dim", "8"));
    p.seen = atoll(arg(argc, argv, "--seen", "10"));
    p.queries = atoll(arg(argc, argv, "--queries", "5"));
    p.new_users = atoll(arg(argc, argv, "--new-users", "0"));
    p.seed = (uint64_t)atoll(arg(argc, argv, "--seed", "1"));
    p.algos = arg(argc, argv, "--algos", p.algos);
    p.ints = flag(argc, argv, "--int");
    const char *msg = tide_synth_models_params_check(&p);
    if (msg) {
        fprintf(stderr, "bench-recommend gen: %s\n", msg);
        return 2;
    }
    tide_status st = tide_synth_models_write(&p, out);
    if (st) return die(st);
    return 0;
}

static int cmd_run(int argc, char **argv) {
    const char *dir = arg(argc, argv, "--dir", NULL);
    if (!dir) {
        fprintf(stderr, "bench-recommend run: --dir DIR is required\n");
        return 2;
    }
    int k = atoi(arg(argc, argv, "--k", "10")), threads = atoi(arg(argc, argv, "--threads", "2"));
    int reps = atoi(arg(argc, argv, "--reps", "3"));
    int64_t sg_users = atoll(arg(argc, argv, "--sgemm-users", "8192"));
    int64_t max_users = atoll(arg(argc, argv, "--max-users", "0"));
    tide_retrieval_params p;
    tide_retrieval_params_default(&p);
    p.k = k;
    p.user_block = atoll(arg(argc, argv, "--user-block", "512"));
    p.item_block = atoll(arg(argc, argv, "--item-block", "1024"));
    tide_threads_set(threads);
    tide_dataset ds;
    tide_scorer *sc = NULL;
    char *dd = tide_path_join(dir, "data"), *md = tide_path_join(dir, "als");
    tide_status st;
    if ((st = tide_dataset_load(dd, &ds))) return die(st);
    if ((st = tide_scorer_open(md, &sc))) return die(st);
    /* The factor matrices themselves, for the plain-sgemm baseline. */
    tide_npy Un, Vn;
    char *up = tide_path_join(md, "user_factors.npy"), *vp = tide_path_join(md, "item_factors.npy");
    if ((st = tide_npy_load_expect(up, TIDE_DTYPE_F32, 2, &Un)) || (st = tide_npy_load_expect(vp, TIDE_DTYPE_F32, 2, &Vn)))
        return die(st);
    free(up);
    free(vp);
    struct { int64_t n_users, n_items, dim; const float *user_factors, *item_factors; } m = {
        Un.shape[0], Vn.shape[0], Un.shape[1], Un.data, Vn.data};
    int64_t *ip;
    int32_t *ix;
    if ((st = tide_retrieval_exclusions_build(&ds, 0, NULL, NULL, 0, &ip, &ix))) return die(st);
    int64_t nu = max_users > 0 && max_users < m.n_users ? max_users : m.n_users;
    int64_t *users = malloc((size_t)nu * sizeof *users);
    for (int64_t u = 0; u < nu; u++) users[u] = u;
    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.scorer = sc;
    job.data = &ds;
    job.users = users;
    job.n_users = nu;
    job.excl_indptr = ip;
    job.excl_items = ix;
    double best = 1e30, best_cpu = 1e30;
    for (int r = 0; r < reps; r++) {
        tide_retrieval_stats s;
        double c0 = cpu_seconds();
        if ((st = tide_retrieval_run(&job, &p, NULL, NULL, &s))) return die(st);
        double c = cpu_seconds() - c0;
        if (s.seconds < best) best = s.seconds;
        if (c < best_cpu) best_cpu = c;
    }
    double flops = 2.0 * (double)nu * (double)m.n_items * (double)m.dim;
    /* Plain sgemm, OpenBLAS-threaded, on the same matrices: the arithmetic ceiling. */
    if (sg_users > m.n_users) sg_users = m.n_users;
    int64_t chunk = sg_users < 2048 ? sg_users : 2048;
    float *C = aligned_alloc(64, ((size_t)(chunk * m.n_items) * sizeof(float) + 63) / 64 * 64);
    if (!C) return 1;
    if (openblas_set_num_threads) openblas_set_num_threads(threads);
    double sbest = 1e30, sbest_cpu = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = tide_now(), c0 = cpu_seconds();
        for (int64_t u0 = 0; u0 < sg_users; u0 += chunk) {
            int64_t n = sg_users - u0 < chunk ? sg_users - u0 : chunk;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)m.n_items, (int)m.dim, 1.0f,
                        m.user_factors + u0 * m.dim, (int)m.dim, m.item_factors, (int)m.dim, 0.0f, C, (int)m.n_items);
        }
        double t = tide_now() - t0, c = cpu_seconds() - c0;
        if (t < sbest) sbest = t;
        if (c < sbest_cpu) sbest_cpu = c;
    }
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    double sflops = 2.0 * (double)sg_users * (double)m.n_items * (double)m.dim;
    printf("{\"users\": %lld, \"items\": %lld, \"dim\": %lld, \"k\": %d, \"threads\": %d, \"user_block\": %lld, "
           "\"item_block\": %lld, \"seconds\": %.4f, \"users_per_s\": %.1f, \"gflops\": %.2f, "
           "\"sgemm_users\": %lld, \"sgemm_seconds\": %.4f, \"sgemm_gflops\": %.2f, \"ratio\": %.3f, "
           "\"cpu_seconds\": %.4f, \"gflop_per_cpu_s\": %.2f, \"sgemm_gflop_per_cpu_s\": %.2f}\n",
           (long long)nu, (long long)m.n_items, (long long)m.dim, k, threads, (long long)p.user_block, (long long)p.item_block,
           best, (double)nu / best, flops / best * 1e-9, (long long)sg_users, sbest, sflops / sbest * 1e-9,
           (flops / best) / (sflops / sbest), best_cpu, flops / best_cpu * 1e-9, sflops / sbest_cpu * 1e-9);
    free(C);
    free(users);
    free(ip);
    free(ix);
    free(dd);
    free(md);
    tide_scorer_free(sc);
    tide_npy_free(&Un);
    tide_npy_free(&Vn);
    tide_dataset_free(&ds);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "gen") == 0) return cmd_gen(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "run") == 0) return cmd_run(argc, argv);
    fprintf(stderr, "usage: bench-recommend gen --out DIR [...] | run --dir DIR [...]\n");
    return 2;
}
