/* test-als-kernels.c — ALS's AVX-512 CG row solve (als-cg512.c) against the portable one in
 * als.c on the same systems: k = 32, 64, 128, rows of every tail length (0–9 entries), rows
 * past the long-row threshold and one longer than the per-thread gather buffer (65,536 rows),
 * so part of it is read scattered in every CG step; with and without the objective. Also: a
 * solve does not depend on the thread count (bit for bit), on either path; undecayed ALS,
 * which trains on the dataset's own weight arrays, gives the same factors as decayed ALS
 * with a half-life so long that every weight is unchanged (the copying path), and refuses an
 * item-major weight copy that disagrees with the user-major one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tide/mf.h"
#include "tide/synth.h"

/* A hand-made CSR over `n_cols` columns: rows 0..9 have 0..9 entries, then rows of 2,500,
 * 70,000 and 13 entries; columns and weights from a fixed LCG. */
typedef struct {
    int64_t n_rows, n_cols;
    int64_t *indptr;
    int32_t *idx;
    float *w;
} csr;

static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static csr make_csr(int64_t n_cols) {
    static const int64_t extra[] = {2500, 70000, 13};
    csr c = {13, n_cols, NULL, NULL, NULL};
    c.indptr = malloc((size_t)(c.n_rows + 1) * sizeof *c.indptr);
    c.indptr[0] = 0;
    for (int64_t r = 0; r < c.n_rows; r++) c.indptr[r + 1] = c.indptr[r] + (r < 10 ? r : extra[r - 10]);
    int64_t nnz = c.indptr[c.n_rows];
    c.idx = malloc((size_t)nnz * sizeof *c.idx);
    c.w = malloc((size_t)nnz * sizeof *c.w);
    uint64_t s = 7;
    for (int64_t j = 0; j < nnz; j++) {
        c.idx[j] = (int32_t)(lcg(&s) % (uint64_t)n_cols);
        c.w[j] = (float)(lcg(&s) % 5) + 1; /* weights 1..5 */
    }
    return c;
}

static void free_csr(csr *c) {
    free(c->indptr);
    free(c->idx);
    free(c->w);
}

/* One solve of all rows from a fixed start; returns X (rows × k) and the loss parts. */
static float *solve(const tide_mf_params *p, const float *YtY, const float *Y, const csr *c, int k, int portable,
                    int threads, double *loss) {
    setenv("TIDE_ALS_PORTABLE", portable ? "1" : "0", 1);
    tide_threads_set(threads);
    float *X = malloc((size_t)c->n_rows * k * sizeof *X);
    tide_mf_init_factors(X, c->n_rows, k, 0.1, 0, 5, 1);
    CHECK_OK(tide_als_solve_rows(p, YtY, Y, k, c->indptr, c->idx, c->w, 0, c->n_rows, X, loss));
    return X;
}

static void test_fast_vs_portable(void) {
    static const int ks[] = {32, 64, 128};
    int64_t n_cols = 6000; /* the 70,000-entry row repeats columns, as it may */
    csr c = make_csr(n_cols);
    for (int ki = 0; ki < 3; ki++) {
        int k = ks[ki];
        tide_mf_params p = tide_mf_params_default(TIDE_MF_ALS);
        p.factors = k;
        p.regularization = 0.1;
        p.alpha = 0.5;
        p.cg_steps = 3;
        float *Y = malloc((size_t)n_cols * k * sizeof *Y), *YtY = malloc((size_t)k * k * sizeof *YtY);
        tide_mf_init_factors(Y, n_cols, k, 0.2, 1, 9, 2); /* zero mean: a well-conditioned YᵀY */
        tide_als_gram(Y, n_cols, k, p.regularization, YtY);
        double la[13], lb[13], lc[13];
        float *A = solve(&p, YtY, Y, &c, k, 1, 2, la);
        float *B = solve(&p, YtY, Y, &c, k, 0, 2, lb);
        float *C = solve(&p, YtY, Y, &c, k, 0, 1, lc);
        /* Same CG, different summation order inside the dot products: equal to float
         * rounding, relative to each row's scale. */
        for (int64_t r = 0; r < c.n_rows; r++) {
            double scale = 0, md = 0;
            for (int d = 0; d < k; d++) {
                scale = fmax(scale, fabs(A[r * k + d]));
                md = fmax(md, fabs(A[r * k + d] - B[r * k + d]));
            }
            if (!(md <= 1e-4 * scale + 1e-7))
                fprintf(stderr, "k %d row %lld (%lld entries): max |fast - portable| %g, scale %g\n", k, (long long)r,
                        (long long)(c.indptr[r + 1] - c.indptr[r]), md, scale);
            CHECK(md <= 1e-4 * scale + 1e-7);
            CHECK(fabs(la[r] - lb[r]) <= 1e-4 * fabs(la[r]) + 1e-6);
        }
        /* The thread count changes nothing. */
        CHECK(memcmp(B, C, (size_t)c.n_rows * k * sizeof *B) == 0);
        CHECK(memcmp(lb, lc, sizeof lb) == 0);
        float *D = solve(&p, YtY, Y, &c, k, 1, 1, lc);
        CHECK(memcmp(A, D, (size_t)c.n_rows * k * sizeof *A) == 0);
        /* Without the objective the factors are the same bits. */
        float *E = solve(&p, YtY, Y, &c, k, 0, 2, NULL);
        CHECK(memcmp(B, E, (size_t)c.n_rows * k * sizeof *B) == 0);
        free(A); free(B); free(C); free(D); free(E); free(Y); free(YtY);
    }
    unsetenv("TIDE_ALS_PORTABLE");
    free_csr(&c);
    /* Without AVX-512 both runs took the portable path: the comparison above proved nothing. */
    if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
          __builtin_cpu_supports("avx512vl")))
        SKIP("no AVX-512 F/DQ/VL on this CPU: the fast solve was not exercised (thread-count checks ran)");
}

static void test_shared_weights(void) {
    tide_dataset ds;
    CHECK_OK(tide_synth_dataset(120, 60, 2000, 0.8, 3, &ds));
    tide_mf_params p = tide_mf_params_default(TIDE_MF_ALS);
    p.factors = 16;
    p.iterations = 3;
    tide_mf_train_opts o;
    memset(&o, 0, sizeof o);
    tide_threads_set(2);
    tide_mf_model a, b;
    CHECK_OK(tide_mf_train(&p, &ds, &o, &a));
    tide_mf_params q = p;
    q.decay.half_life = 1e300; /* 2^(-age/1e300) == 1 exactly: copied weights, same values */
    CHECK_OK(tide_mf_train(&q, &ds, &o, &b));
    CHECK(memcmp(a.user_factors, b.user_factors, 120 * 16 * sizeof(float)) == 0);
    CHECK(memcmp(a.item_factors, b.item_factors, 60 * 16 * sizeof(float)) == 0);
    tide_mf_model_free(&a);
    tide_mf_model_free(&b);
    /* An item-major copy that disagrees is refused. */
    float *iw = malloc((size_t)ds.nnz * sizeof *iw);
    memcpy(iw, ds.item_weights, (size_t)ds.nnz * sizeof *iw);
    iw[ds.nnz / 2] += 1;
    float *orig = ds.item_weights;
    ds.item_weights = iw;
    CHECK_STATUS(tide_mf_train(&p, &ds, &o, &a), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "item_weights.npy");
    ds.item_weights = orig;
    free(iw);
    tide_dataset_free(&ds);
}

int main(void) {
    RUN(test_fast_vs_portable);
    RUN(test_shared_weights);
    return harness_done();
}
