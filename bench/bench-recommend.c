/* bench-recommend.c — data generator and timing harness for tide-recommend.
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

extern void openblas_set_num_threads(int) __attribute__((weak));

static uint64_t rs;
static uint64_t next64(void) { /* splitmix64 */
    uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double unif(void) { return (double)(next64() >> 11) / 9007199254740992.0; }
static float gauss(void) { /* sum of uniforms: cheap, deterministic, roughly normal */
    double s = 0;
    for (int i = 0; i < 4; i++) s += unif();
    return (float)((s - 2.0) * 1.7320508);
}

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

static tide_status write_manifest(const char *dir, const char *algo, const tide_dataset *ds, const char *data_path,
                                  int64_t model_users) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "format", "tide-model");
    cJSON_AddNumberToObject(m, "format_version", 1);
    cJSON_AddStringToObject(m, "algorithm", algo);
    cJSON *p = cJSON_AddObjectToObject(m, "params");
    cJSON_AddStringToObject(p, "generator", "bench-recommend gen (random model, for tests and benchmarks)");
    cJSON_AddNumberToObject(p, "alpha", 2.0);
    cJSON_AddNumberToObject(p, "regularization", 0.5);
    cJSON *d = cJSON_AddObjectToObject(m, "dataset");
    cJSON_AddStringToObject(d, "path", data_path);
    cJSON_AddStringToObject(d, "checksum", ds->checksum);
    cJSON_AddNumberToObject(d, "users", (double)model_users);
    cJSON_AddNumberToObject(d, "items", (double)ds->n_items);
    char *s = cJSON_Print(m);
    cJSON_Delete(m);
    char *path = tide_path_join(dir, "manifest.json");
    tide_status st = s && path ? tide_write_file_atomic(path, s, strlen(s)) : TIDE_ERR_NOMEM;
    free(s);
    free(path);
    return st;
}

static tide_status save_in(const char *dir, const char *name, tide_dtype dt, int ndim, int64_t r, int64_t c, const void *x) {
    char *p = tide_path_join(dir, name);
    if (!p) return TIDE_ERR_NOMEM;
    int64_t shape[2] = {r, c};
    tide_status st = tide_npy_save(p, dt, ndim, shape, x);
    free(p);
    return st;
}

static float draw(int ints, float scale) { return ints ? (float)((int)(next64() % 5) - 2) : gauss() * scale; }

static int cmd_gen(int argc, char **argv) {
    const char *out = arg(argc, argv, "--out", NULL);
    if (!out) {
        fprintf(stderr, "bench-recommend gen: --out DIR is required\n");
        return 2;
    }
    int64_t nu = atoll(arg(argc, argv, "--users", "200")), ni = atoll(arg(argc, argv, "--items", "300"));
    int64_t d = atoll(arg(argc, argv, "--dim", "8")), seen = atoll(arg(argc, argv, "--seen", "10"));
    int64_t nq = atoll(arg(argc, argv, "--queries", "5")), newu = atoll(arg(argc, argv, "--new-users", "0"));
    rs = (uint64_t)atoll(arg(argc, argv, "--seed", "1"));
    const char *algos = arg(argc, argv, "--algos", "als,bpr,ease,itemknn,pop");
    int ints = flag(argc, argv, "--int");
    if (nu < 1 || ni < 2 || d < 1 || seen < 0 || seen >= ni || newu < 0 || newu > nu) {
        fprintf(stderr, "bench-recommend gen: bad sizes\n");
        return 2;
    }
    tide_status st = tide_mkdirs(out);
    if (st) return die(st);
    tide_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n_users = nu;
    ds.n_items = ni;
    ds.user_ids = calloc((size_t)nu, sizeof(char *));
    ds.item_ids = calloc((size_t)ni, sizeof(char *));
    ds.indptr = calloc((size_t)nu + 1, sizeof(int64_t));
    int64_t cap = nu * seen;
    ds.items = malloc((size_t)cap * sizeof(int32_t) + 4);
    ds.times = malloc((size_t)cap * sizeof(int64_t) + 8);
    ds.weights = malloc((size_t)cap * sizeof(float) + 4);
    uint8_t *mark = calloc((size_t)ni, 1);
    for (int64_t u = 0; u < nu; u++) {
        if (asprintf(&ds.user_ids[u], "u%lld", (long long)u) < 0) return 1;
    }
    for (int64_t i = 0; i < ni; i++)
        if (asprintf(&ds.item_ids[i], "i%lld", (long long)i) < 0) return 1;
    int64_t nnz = 0;
    for (int64_t u = 0; u < nu; u++) {
        ds.indptr[u] = nnz;
        int64_t n = (u % 9 == 4) ? 0 : seen;
        int64_t a = nnz;
        while (nnz - a < n) {
            /* Skewed item choice: squares of uniforms favour low item indices (a popular head). */
            double x = unif();
            int32_t it = (int32_t)(x * x * (double)ni);
            if (it >= ni) it = (int32_t)ni - 1;
            if (mark[it]) continue;
            mark[it] = 1;
            ds.items[nnz] = it;
            ds.times[nnz] = 1500000000 + (nnz - a) * 60;
            ds.weights[nnz] = ints ? (float)(1 + next64() % 3) : 1.0f;
            nnz++;
        }
        for (int64_t e = a; e < nnz; e++) mark[ds.items[e]] = 0;
    }
    ds.indptr[nu] = nnz;
    ds.nnz = nnz;
    char *data_dir = tide_path_join(out, "data");
    if ((st = tide_dataset_save(data_dir, &ds))) return die(st);

    int64_t mu = nu - newu;
    float *U = malloc((size_t)(nu * d) * sizeof(float) + 4), *V = malloc((size_t)(ni * d) * sizeof(float) + 4);
    float scale = 1.0f / (float)d;
    for (int64_t i = 0; i < nu * d; i++) U[i] = draw(ints, 1.0f);
    for (int64_t i = 0; i < ni * d; i++) V[i] = draw(ints, scale * 8);
    if ((st = save_in(out, "item_vectors.npy", TIDE_DTYPE_F32, 2, ni, d, V))) return die(st);
    float *Q = malloc((size_t)(nq * d) * sizeof(float) + 4);
    for (int64_t i = 0; i < nq * d; i++) Q[i] = draw(ints, 1.0f);
    if ((st = save_in(out, "queries.npy", TIDE_DTYPE_F32, 2, nq, d, Q))) return die(st);

    int n_alg = 0;
    char **al = NULL;
    {
        char *copy = strdup(algos), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            al = realloc(al, (size_t)(n_alg + 1) * sizeof *al);
            al[n_alg++] = strdup(t);
        }
        free(copy);
    }
    for (int a = 0; a < n_alg; a++) {
        char *mdir = tide_path_join(out, al[a]);
        if ((st = tide_mkdirs(mdir))) return die(st);
        if (strcmp(al[a], "als") == 0 || strcmp(al[a], "bpr") == 0) {
            if ((st = save_in(mdir, "user_factors.npy", TIDE_DTYPE_F32, 2, mu, d, U))) return die(st);
            if ((st = save_in(mdir, "item_factors.npy", TIDE_DTYPE_F32, 2, ni, d, V))) return die(st);
            if ((st = write_manifest(mdir, al[a], &ds, data_dir, mu))) return die(st);
        } else if (strcmp(al[a], "ease") == 0) {
            float *B = malloc((size_t)(ni * ni) * sizeof(float));
            if (!B) return 1;
            for (int64_t i = 0; i < ni; i++)
                for (int64_t j = 0; j < ni; j++) B[i * ni + j] = i == j ? 0.0f : draw(ints, 0.1f);
            if ((st = save_in(mdir, "item_matrix.npy", TIDE_DTYPE_F32, 2, ni, ni, B))) return die(st);
            free(B);
            if ((st = write_manifest(mdir, "ease", &ds, data_dir, nu))) return die(st);
        } else if (strcmp(al[a], "itemknn") == 0) {
            int64_t nbk = ni - 1 < 10 ? ni - 1 : 10;
            int64_t *ip = malloc((size_t)(ni + 1) * sizeof *ip);
            int32_t *nb = malloc((size_t)(ni * nbk) * sizeof *nb);
            float *sim = malloc((size_t)(ni * nbk) * sizeof *sim);
            for (int64_t i = 0; i < ni; i++) {
                ip[i] = i * nbk;
                for (int64_t q = 0; q < nbk; q++) {
                    nb[i * nbk + q] = (int32_t)((i + 1 + (int64_t)(next64() % (uint64_t)(ni - 1))) % ni);
                    sim[i * nbk + q] = ints ? (float)(1 + next64() % 4) * 0.25f : (float)unif();
                }
            }
            ip[ni] = ni * nbk;
            if ((st = save_in(mdir, "neighbors_indptr.npy", TIDE_DTYPE_I64, 1, ni + 1, 0, ip)) ||
                (st = save_in(mdir, "neighbors.npy", TIDE_DTYPE_I32, 1, ni * nbk, 0, nb)) ||
                (st = save_in(mdir, "similarities.npy", TIDE_DTYPE_F32, 1, ni * nbk, 0, sim)))
                return die(st);
            free(ip);
            free(nb);
            free(sim);
            if ((st = write_manifest(mdir, "itemknn", &ds, data_dir, nu))) return die(st);
        } else if (strcmp(al[a], "pop") == 0) {
            float *pop = calloc((size_t)ni, sizeof *pop);
            for (int64_t e = 0; e < nnz; e++) pop[ds.items[e]] += 1;
            if ((st = save_in(mdir, "popularity.npy", TIDE_DTYPE_F32, 1, ni, 0, pop))) return die(st);
            free(pop);
            if ((st = write_manifest(mdir, "pop", &ds, data_dir, nu))) return die(st);
        } else {
            fprintf(stderr, "bench-recommend gen: unknown algorithm '%s'\n", al[a]);
            return 2;
        }
        free(mdir);
        free(al[a]);
    }
    free(al);
    for (int64_t u = 0; u < nu; u++) free(ds.user_ids[u]);
    for (int64_t i = 0; i < ni; i++) free(ds.item_ids[i]);
    free(ds.user_ids);
    free(ds.item_ids);
    free(ds.indptr);
    free(ds.items);
    free(ds.times);
    free(ds.weights);
    /* Detach what this program owns; tide_dataset_free releases what save computed. */
    ds.user_ids = ds.item_ids = NULL;
    ds.indptr = NULL;
    ds.items = NULL;
    ds.times = NULL;
    ds.weights = NULL;
    tide_dataset_free(&ds);
    free(mark);
    free(U);
    free(V);
    free(Q);
    free(data_dir);
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
