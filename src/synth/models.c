/* models.c — a random dataset plus random model directories of every kind tide-recommend reads
 * (see tide/synth.h): the fixture of the recommend tests and the input of bench-recommend. The
 * draws follow one splitmix64 stream in a fixed order, so the files are byte-identical to what
 * bench-recommend's own generator wrote before it moved here (the tests' golden outputs depend
 * on that). */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"
#include "tide/npy.h"
#include "tide/synth.h"

typedef struct { uint64_t s; } sm_rng;

static uint64_t next64(sm_rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double unif(sm_rng *r) { return (double)(next64(r) >> 11) / 9007199254740992.0; }
static float gauss(sm_rng *r) { /* sum of uniforms: cheap, deterministic, roughly normal */
    double s = 0;
    for (int i = 0; i < 4; i++) s += unif(r);
    return (float)((s - 2.0) * 1.7320508);
}
/* Integers in -2..2 make every score exact (ties included) for the tests. */
static float draw(sm_rng *r, int ints, float scale) {
    return ints ? (float)((int)(next64(r) % 5) - 2) : gauss(r) * scale;
}

void tide_synth_models_params_default(tide_synth_models_params *p) {
    memset(p, 0, sizeof *p);
    p->users = 200;
    p->items = 300;
    p->dim = 8;
    p->seen = 10;
    p->queries = 5;
    p->seed = 1;
    p->algos = "als,bpr,ease,itemknn,pop";
}

const char *tide_synth_models_params_check(const tide_synth_models_params *p) {
    if (p->users < 1 || p->users > INT32_MAX) return "users must be in 1..2147483647";
    if (p->items < 2 || p->items > INT32_MAX) return "items must be in 2..2147483647";
    if (p->dim < 1 || p->dim > 4096) return "dim must be in 1..4096";
    if (p->seen < 0 || p->seen >= p->items) return "seen must be in 0..items-1";
    if (p->queries < 0) return "queries must be >= 0";
    if (p->new_users < 0 || p->new_users > p->users) return "new users must be in 0..users";
    if (!p->algos || !*p->algos) return "no algorithms";
    for (const char *a = p->algos; *a;) {
        size_t n = strcspn(a, ",");
        static const char *known[] = {"als", "bpr", "ease", "itemknn", "pop"};
        int ok = 0;
        for (int k = 0; k < 5; k++) ok |= strlen(known[k]) == n && strncmp(a, known[k], n) == 0;
        if (!ok) return "unknown algorithm (als, bpr, ease, itemknn, pop)";
        a += n + (a[n] == ',');
    }
    return NULL;
}

static tide_status save_in(const char *dir, const char *name, tide_dtype dt, int ndim, int64_t r, int64_t c,
                           const void *x) {
    char *p = tide_path_join(dir, name);
    if (!p) return TIDE_ERR_NOMEM;
    int64_t shape[2] = {r, c};
    tide_status st = tide_npy_save(p, dt, ndim, shape, x);
    free(p);
    return st;
}

static tide_status write_manifest(const char *dir, const char *algo, const tide_dataset *ds, const char *data_path,
                                  int64_t model_users) {
    cJSON *m = cJSON_CreateObject();
    if (!m) return tide_error(TIDE_ERR_NOMEM, "out of memory");
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
    tide_status st = s && path ? tide_write_file_atomic(path, s, strlen(s)) : tide_error(TIDE_ERR_NOMEM, "out of memory");
    free(s);
    free(path);
    return st;
}

/* One model directory of kind `algo`; draws from r in the generator's fixed order. */
static tide_status write_model(const tide_synth_models_params *p, sm_rng *r, const char *out, const char *algo,
                               const tide_dataset *ds, const char *data_dir, const float *U, const float *V) {
    int64_t nu = p->users, ni = p->items, d = p->dim, mu = p->users - p->new_users;
    int ints = p->ints;
    char *mdir = tide_path_join(out, algo);
    if (!mdir) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    tide_status st = tide_mkdirs(mdir);
    void *a = NULL, *b = NULL, *c = NULL;
    if (st) goto done;
    if (strcmp(algo, "als") == 0 || strcmp(algo, "bpr") == 0) {
        if ((st = save_in(mdir, "user_factors.npy", TIDE_DTYPE_F32, 2, mu, d, U)) ||
            (st = save_in(mdir, "item_factors.npy", TIDE_DTYPE_F32, 2, ni, d, V)))
            goto done;
        st = write_manifest(mdir, algo, ds, data_dir, mu);
    } else if (strcmp(algo, "ease") == 0) {
        float *B = a = malloc((size_t)(ni * ni) * sizeof(float));
        if (!B) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto done; }
        for (int64_t i = 0; i < ni; i++)
            for (int64_t j = 0; j < ni; j++) B[i * ni + j] = i == j ? 0.0f : draw(r, ints, 0.1f);
        if ((st = save_in(mdir, "item_matrix.npy", TIDE_DTYPE_F32, 2, ni, ni, B))) goto done;
        st = write_manifest(mdir, "ease", ds, data_dir, nu);
    } else if (strcmp(algo, "itemknn") == 0) {
        int64_t nbk = ni - 1 < 10 ? ni - 1 : 10;
        int64_t *ip = a = malloc((size_t)(ni + 1) * sizeof *ip);
        int32_t *nb = b = malloc((size_t)(ni * nbk) * sizeof *nb + 4);
        float *sim = c = malloc((size_t)(ni * nbk) * sizeof *sim + 4);
        if (!ip || !nb || !sim) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto done; }
        for (int64_t i = 0; i < ni; i++) {
            ip[i] = i * nbk;
            for (int64_t q = 0; q < nbk; q++) {
                nb[i * nbk + q] = (int32_t)((i + 1 + (int64_t)(next64(r) % (uint64_t)(ni - 1))) % ni);
                sim[i * nbk + q] = ints ? (float)(1 + next64(r) % 4) * 0.25f : (float)unif(r);
            }
        }
        ip[ni] = ni * nbk;
        if ((st = save_in(mdir, "neighbors_indptr.npy", TIDE_DTYPE_I64, 1, ni + 1, 0, ip)) ||
            (st = save_in(mdir, "neighbors.npy", TIDE_DTYPE_I32, 1, ni * nbk, 0, nb)) ||
            (st = save_in(mdir, "similarities.npy", TIDE_DTYPE_F32, 1, ni * nbk, 0, sim)))
            goto done;
        st = write_manifest(mdir, "itemknn", ds, data_dir, nu);
    } else if (strcmp(algo, "pop") == 0) {
        float *pop = a = calloc((size_t)ni, sizeof *pop);
        if (!pop) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto done; }
        for (int64_t e = 0; e < ds->nnz; e++) pop[ds->items[e]] += 1;
        if ((st = save_in(mdir, "popularity.npy", TIDE_DTYPE_F32, 1, ni, 0, pop))) goto done;
        st = write_manifest(mdir, "pop", ds, data_dir, nu);
    } else {
        st = tide_error(TIDE_ERR_USAGE, "unknown algorithm '%s' (als, bpr, ease, itemknn, pop)", algo);
    }
done:
    free(a);
    free(b);
    free(c);
    free(mdir);
    return st;
}

tide_status tide_synth_models_write(const tide_synth_models_params *p, const char *out) {
    const char *msg = tide_synth_models_params_check(p);
    if (msg) return tide_error(TIDE_ERR_USAGE, "%s", msg);
    int64_t nu = p->users, ni = p->items, d = p->dim, seen = p->seen, nq = p->queries;
    sm_rng r = {p->seed};
    tide_dataset ds;
    memset(&ds, 0, sizeof ds);
    float *U = NULL, *V = NULL, *Q = NULL;
    uint8_t *mark = NULL;
    char *data_dir = NULL, *algos = NULL;
    tide_status st = tide_mkdirs(out);
    if (st) goto done;
    ds.n_users = nu;
    ds.n_items = ni;
    int64_t cap = nu * seen;
    void *arrays[] = {
        ds.user_ids = calloc((size_t)nu, sizeof(char *)), ds.item_ids = calloc((size_t)ni, sizeof(char *)),
        ds.indptr = calloc((size_t)nu + 1, sizeof(int64_t)), ds.items = malloc((size_t)cap * sizeof(int32_t) + 4),
        ds.times = malloc((size_t)cap * sizeof(int64_t) + 8), ds.weights = malloc((size_t)cap * sizeof(float) + 4)};
    for (size_t a = 0; a < sizeof arrays / sizeof *arrays; a++) {
        if (!arrays[a]) st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        else if (!st) st = tide_dataset_adopt(&ds, arrays[a]);
        else free(arrays[a]);
    }
    if (st) goto done;
    mark = calloc((size_t)ni, 1);
    if (!mark) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto done; }
    for (int64_t u = 0; u < nu; u++) {
        if (asprintf(&ds.user_ids[u], "u%lld", (long long)u) < 0) { ds.user_ids[u] = NULL; st = tide_error(TIDE_ERR_NOMEM, "out of memory"); }
        else if ((st = tide_dataset_adopt(&ds, ds.user_ids[u]))) ds.user_ids[u] = NULL;
        if (st) goto done;
    }
    for (int64_t i = 0; i < ni; i++) {
        if (asprintf(&ds.item_ids[i], "i%lld", (long long)i) < 0) { ds.item_ids[i] = NULL; st = tide_error(TIDE_ERR_NOMEM, "out of memory"); }
        else if ((st = tide_dataset_adopt(&ds, ds.item_ids[i]))) ds.item_ids[i] = NULL;
        if (st) goto done;
    }
    /* S distinct items per user, every 9th user (u % 9 == 4) without events. */
    int64_t nnz = 0;
    for (int64_t u = 0; u < nu; u++) {
        ds.indptr[u] = nnz;
        int64_t n = (u % 9 == 4) ? 0 : seen;
        int64_t a = nnz;
        while (nnz - a < n) {
            /* Skewed item choice: squares of uniforms favour low item indices (a popular head). */
            double x = unif(&r);
            int32_t it = (int32_t)(x * x * (double)ni);
            if (it >= ni) it = (int32_t)ni - 1;
            if (mark[it]) continue;
            mark[it] = 1;
            ds.items[nnz] = it;
            ds.times[nnz] = 1500000000 + (nnz - a) * 60;
            ds.weights[nnz] = p->ints ? (float)(1 + next64(&r) % 3) : 1.0f;
            nnz++;
        }
        for (int64_t e = a; e < nnz; e++) mark[ds.items[e]] = 0;
    }
    ds.indptr[nu] = nnz;
    ds.nnz = nnz;
    if (!(data_dir = tide_path_join(out, "data"))) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto done; }
    if ((st = tide_dataset_save(data_dir, &ds))) goto done;

    U = malloc((size_t)(nu * d) * sizeof(float) + 4);
    V = malloc((size_t)(ni * d) * sizeof(float) + 4);
    Q = malloc((size_t)(nq * d) * sizeof(float) + 4);
    if (!U || !V || !Q) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto done; }
    float scale = 1.0f / (float)d;
    for (int64_t i = 0; i < nu * d; i++) U[i] = draw(&r, p->ints, 1.0f);
    for (int64_t i = 0; i < ni * d; i++) V[i] = draw(&r, p->ints, scale * 8);
    if ((st = save_in(out, "item_vectors.npy", TIDE_DTYPE_F32, 2, ni, d, V))) goto done;
    for (int64_t i = 0; i < nq * d; i++) Q[i] = draw(&r, p->ints, 1.0f);
    if ((st = save_in(out, "queries.npy", TIDE_DTYPE_F32, 2, nq, d, Q))) goto done;

    if (!(algos = strdup(p->algos))) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto done; }
    char *save = NULL;
    for (char *t = strtok_r(algos, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if ((st = write_model(p, &r, out, t, &ds, data_dir, U, V))) goto done;
done:
    tide_dataset_free(&ds);
    free(mark);
    free(U);
    free(V);
    free(Q);
    free(data_dir);
    free(algos);
    return st;
}
