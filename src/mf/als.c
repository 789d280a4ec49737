/* als.c — implicit-feedback ALS (Hu, Koren, Volinsky 2008): the Gram matrix of the fixed side
 * and the per-row solves of the other side, either by a few warm-started conjugate-gradient
 * steps (Takács, Pilászy, Tikk 2011; the formulation `implicit` uses) or exactly by Cholesky.
 *
 * For row u with observed columns i (weight w_ui, c_ui = 1 + alpha·w_ui, preference 1):
 *   (YᵀY + λI + Σ_i (c_ui − 1) y_i y_iᵀ) x_u = Σ_i c_ui y_i
 * YᵀY + λI is computed once per half-iteration; each row adds only its sparse correction, so a
 * CG step costs O(k² + n_u·k) and the exact solve O(n_u·k² + k³). */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "mf-internal.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
/* An AVX2+FMA (x86-64-v3) clone and a portable one, chosen at load time by CPU features: the
 * build stays portable and still uses the wide units where they exist. */
#define TIDE_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TIDE_MULTIVERSION
#endif

tide_status tide_als_gram(const float *Y, int64_t n, int k, double reg, float *YtY) {
    if (n > 0)
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, k, (int)n, 1.0f, Y, k, 0.0f, YtY, k);
    else
        memset(YtY, 0, (size_t)k * k * sizeof *YtY);
    for (int a = 0; a < k; a++) {
        YtY[(size_t)a * k + a] += (float)reg;
        for (int b = 0; b < a; b++) YtY[(size_t)a * k + b] = YtY[(size_t)b * k + a];
    }
    return TIDE_OK;
}

/* y = A x for symmetric k×k A, as Σ_b x_b·A[b,:] (rows = columns): axpys into y need no
 * horizontal sums. Inlined rather than BLAS sgemv: at k ≈ 64 a library call's overhead
 * dominates, and this compiles into the wide clones below. */
static inline void symv(const float *A, const float *x, float *restrict y, int k) {
    int a0 = 0;
    for (; a0 + 32 <= k; a0 += 32) { /* 32 outputs stay in registers across the b loop */
        tide_v8 y0 = {0}, y1 = {0}, y2 = {0}, y3 = {0};
        for (int b = 0; b < k; b++) {
            const float *row = A + (size_t)b * k + a0;
            float xb = x[b];
            tide_v8 xv = {xb, xb, xb, xb, xb, xb, xb, xb};
            y0 += xv * *(const tide_v8u *)row;
            y1 += xv * *(const tide_v8u *)(row + 8);
            y2 += xv * *(const tide_v8u *)(row + 16);
            y3 += xv * *(const tide_v8u *)(row + 24);
        }
        *(tide_v8u *)(y + a0) = y0;
        *(tide_v8u *)(y + a0 + 8) = y1;
        *(tide_v8u *)(y + a0 + 16) = y2;
        *(tide_v8u *)(y + a0 + 24) = y3;
    }
    if (a0 < k) {
        memset(y + a0, 0, (size_t)(k - a0) * sizeof *y);
        for (int b = 0; b < k; b++) tide_vaxpy(x[b], A + (size_t)b * k + a0, y + a0, k - a0);
    }
}

/* Row u's part of the objective once x is final: xᵀ(YᵀY + λI)x + Σ_obs (c − 2c·s + (c − 1)s²),
 * s = x·y (the exact solver's path; CG gets it from its residual instead). */
static inline double row_loss(const float *YtY, const float *Y, const float *G, int k, float alpha, const int32_t *idx,
                              const float *w, int64_t n, const float *x, float *tmp) {
    symv(YtY, x, tmp, k);
    double l = tide_vdot(x, tmp, k);
    for (int64_t j = 0; j < n; j++) {
        const float *y = G ? G + (size_t)j * k : Y + (size_t)idx[j] * k;
        double c1 = alpha * w[j], c = 1 + c1, d = tide_vdot(y, x, k);
        l += c - 2 * c * d + c1 * d * d;
    }
    return l;
}

/* One row's CG solve. The row's observed factors are gathered into `G` (n×k, contiguous)
 * during the residual pass, so the CG passes stream them from cache instead of chasing
 * scattered rows again; `G` NULL falls back to the scattered rows (very long rows). */
TIDE_MULTIVERSION
static double cg_row(const float *YtY, const float *Y, int k, int steps, float alpha, const int32_t *idx,
                     const float *w, int64_t n, float *x, float *r, float *p, float *Ap, float *G, float *bv) {
    symv(YtY, x, r, k);
    for (int a = 0; a < k; a++) r[a] = -r[a];
    double csum = 0;
    if (bv) memset(bv, 0, (size_t)k * sizeof *bv);
    for (int64_t j = 0; j < n; j++) {
        const float *y = Y + (size_t)idx[j] * k;
        if (j + 4 < n) { /* the rows are scattered: fetch ahead */
            const char *q = (const char *)(Y + (size_t)idx[j + 4] * k);
            for (int off = 0; off < k * 4; off += 64) __builtin_prefetch(q + off);
        }
        if (G) memcpy(G + (size_t)j * k, y, (size_t)k * sizeof *y);
        float c1 = alpha * w[j];
        tide_vaxpy((1.0f + c1) - c1 * tide_vdot(y, x, k), y, r, k);
        if (bv) {
            tide_vaxpy(1.0f + c1, y, bv, k);
            csum += 1.0 + c1;
        }
    }
    memcpy(p, r, (size_t)k * sizeof *p);
    float rsold = tide_vdot(r, r, k);
    for (int s = 0; s < steps && rsold >= 1e-20f; s++) {
        symv(YtY, p, Ap, k);
        for (int64_t j = 0; j < n; j++) {
            const float *y = G ? G + (size_t)j * k : Y + (size_t)idx[j] * k;
            float c1 = alpha * w[j];
            tide_vaxpy(c1 * tide_vdot(y, p, k), y, Ap, k);
        }
        float pAp = tide_vdot(p, Ap, k);
        if (!(pAp > 0)) break;
        float a = rsold / pAp;
        tide_vaxpy(a, p, x, k);
        tide_vaxpy(-a, Ap, r, k);
        float rsnew = tide_vdot(r, r, k);
        if (rsnew < 1e-20f) break;
        float beta = rsnew / rsold;
        for (int d = 0; d < k; d++) p[d] = r[d] + beta * p[d];
        rsold = rsnew;
    }
    /* The objective part xᵀAx − 2bᵀx + Σc with Ax = b − r (r is kept by the CG recurrence):
     * Σc − xᵀr − bᵀx, no extra matvec or pass over the rows. */
    return bv ? csum - (double)tide_vdot(x, r, k) - (double)tide_vdot(bv, x, k) : 0;
}

/* Rows longer than this are not gathered (bounds the per-thread buffer). */
#define CG_GATHER_MAX 65536

#define CHOL_CHUNK 256

/* Exact solve; `A` k×k and `G` CHOL_CHUNK×k scratch. Returns 0, or LAPACK's info. */
TIDE_MULTIVERSION
static int chol_row(const float *YtY, const float *Y, int k, float alpha, const int32_t *idx, const float *w,
                    int64_t n, float *x, float *A, float *G) {
    memcpy(A, YtY, (size_t)k * k * sizeof *A);
    memset(x, 0, (size_t)k * sizeof *x);
    for (int64_t j0 = 0; j0 < n; j0 += CHOL_CHUNK) {
        int m = (int)(n - j0 < CHOL_CHUNK ? n - j0 : CHOL_CHUNK);
        for (int j = 0; j < m; j++) {
            const float *y = Y + (size_t)idx[j0 + j] * k;
            float c1 = alpha * w[j0 + j];
            float sc = sqrtf(c1);
            for (int d = 0; d < k; d++) G[(size_t)j * k + d] = sc * y[d];
            tide_vaxpy(1.0f + c1, y, x, k);
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, k, m, 1.0f, G, k, 1.0f, A, k);
    }
    return LAPACKE_sposv(LAPACK_ROW_MAJOR, 'U', k, 1, A, k, x, 1);
}

tide_status tide_als_solve_rows(const tide_mf_params *p, const float *YtY, const float *Y, int k,
                                const int64_t *indptr, const int32_t *indices, const float *w, int64_t lo,
                                int64_t hi, float *X, double *loss) {
    tide_status st = TIDE_OK;
    int failed = 0;
    int64_t bad_row = -1;
    float alpha = (float)p->alpha;
    int chol = p->solver == TIDE_ALS_CHOLESKY;
#pragma omp parallel
    {
        float *buf = NULL, *G = NULL;
        int64_t gcap = 0;
        size_t need = chol ? ((size_t)k * k + (size_t)CHOL_CHUNK * k) : (size_t)4 * k;
        buf = malloc(need * sizeof *buf);
        if (!buf) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 32)
        for (int64_t u = lo; u < hi; u++) {
            if (!buf) continue;
            int64_t b = indptr[u], n = indptr[u + 1] - b;
            float *x = X + (size_t)u * k;
            if (chol) {
                int info = chol_row(YtY, Y, k, alpha, indices + b, w + b, n, x, buf, buf + (size_t)k * k);
                if (info != 0) {
#pragma omp critical(tide_als_fail)
                    if (bad_row < 0 || u < bad_row) bad_row = u;
                }
                if (loss) loss[u - lo] = row_loss(YtY, Y, NULL, k, alpha, indices + b, w + b, n, x, buf);
            } else {
                if (n > gcap && n <= CG_GATHER_MAX) {
                    /* grow geometrically; on failure just run without gathering */
                    int64_t nc = n > 2 * gcap ? n : 2 * gcap;
                    if (nc > CG_GATHER_MAX) nc = CG_GATHER_MAX;
                    float *g = realloc(G, (size_t)nc * k * sizeof *g);
                    if (g) { G = g; gcap = nc; }
                }
                double l = cg_row(YtY, Y, k, p->cg_steps, alpha, indices + b, w + b, n, x, buf, buf + k,
                                  buf + 2 * k, n <= gcap ? G : NULL, loss ? buf + 3 * k : NULL);
                if (loss) loss[u - lo] = l;
            }
        }
        free(buf);
        free(G);
    }
    if (failed) st = tide_error(TIDE_ERR_NOMEM, "ALS: out of memory for per-thread buffers");
    else if (bad_row >= 0)
        st = tide_error(TIDE_ERR_INTERNAL, "ALS: the system of row %lld is not positive definite "
                        "(raise --regularization)", (long long)bad_row);
    return st;
}

TIDE_MULTIVERSION
double tide_als_loss_part(const tide_mf_params *p, const float *X, const float *Y, const float *YtY, int k,
                          const int64_t *indptr, const int32_t *indices, const float *w, int64_t lo, int64_t hi) {
    /* Σ_u [xᵀ(YᵀY + λI)x + Σ_obs (c − 2c·s + (c − 1)s²)], s = x·y: the full objective over all
     * pairs without visiting the unobserved ones; the caller adds λΣ|y|². */
    double total = 0;
    float alpha = (float)p->alpha;
    int n_threads = tide_threads_get();
    double *part = calloc((size_t)n_threads + 1, sizeof *part);
    if (!part) return NAN;
#pragma omp parallel
    {
        float *t = malloc((size_t)k * sizeof *t);
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double acc = 0;
#pragma omp for schedule(static)
        for (int64_t u = lo; u < hi; u++) {
            if (!t) continue;
            const float *x = X + (size_t)u * k;
            symv(YtY, x, t, k);
            double s = tide_vdot(x, t, k);
            for (int64_t j = indptr[u]; j < indptr[u + 1]; j++) {
                double c1 = alpha * w[j], c = 1 + c1;
                double d = tide_vdot(x, Y + (size_t)indices[j] * k, k);
                s += c - 2 * c * d + c1 * d * d;
            }
            acc += s;
        }
        if (tid <= n_threads) part[tid] = acc;
        free(t);
    }
    for (int i = 0; i <= n_threads; i++) total += part[i];
    free(part);
    return total;
}

void tide_mf_init_factors(float *F, int64_t rows, int k, double scale, int symmetric, uint64_t seed, uint64_t which) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        tide_rng g = tide_rng_seed(seed, which, (uint64_t)r);
        float *f = F + (size_t)r * k;
        for (int d = 0; d < k; d++) {
            double u = tide_rng_uniform(&g);
            f[d] = (float)(symmetric ? (u - 0.5) * scale : u * scale);
        }
    }
}
