/* als.c — implicit-feedback ALS (Hu, Koren, Volinsky 2008): the Gram matrix of the fixed side
 * and the per-row solves of the other side, either by a few warm-started conjugate-gradient
 * steps (Takács, Pilászy, Tikk 2011; the formulation `implicit` uses) or exactly by Cholesky.
 *
 * For row u with observed columns i (weight w_ui, c_ui = 1 + alpha·w_ui, preference 1):
 *   (YᵀY + λI + Σ_i (c_ui − 1) y_i y_iᵀ) x_u = Σ_i c_ui y_i
 * YᵀY + λI is computed once per half-iteration; each row adds only its sparse correction, so a
 * CG step costs O(k² + n_u·k) and the exact solve O(n_u·k² + k³). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "mf-internal.h"
#include "tide/backend.h"
#include "tide/clones.h"


tide_status tide_als_gram(const float *Y, int64_t n, int k, double reg, float *YtY) {
    if (n > 0)
        tide_la_ssyrk(NULL, 'U', 1, k, n, 1.0f, Y, k, 0.0f, YtY, k);
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
TIDE_CLONES_V3
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

/* A thread's gather buffer holds at most this many factor rows (4 MiB at k = 64): longer
 * rows have their first CG_GATHER_MAX entries gathered and the rest read scattered (with
 * prefetch) in each CG step (AVX-512 solve) or are not gathered (portable solve). Rows this
 * long stream from L3 either way; a bigger buffer only adds resident memory. */
#ifndef CG_GATHER_MAX
#define CG_GATHER_MAX 16384
#endif

#define CHOL_CHUNK 256

/* Exact solve; `A` k×k and `G` CHOL_CHUNK×k scratch. Returns 0, or LAPACK's info. */
TIDE_CLONES_V3
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
        tide_la_ssyrk(NULL, 'U', 1, k, m, 1.0f, G, k, 1.0f, A, k);
    }
    return tide_la_sposv(NULL, 'U', k, 1, A, k, x, 1);
}

/* Rows at least this long are solved first, longest first, one per task: under Zipf
 * popularity a handful of items hold a large share of the entries, and one of them left for
 * the end of a dynamic schedule would keep a single thread busy while the others idle. */
#define BIG_ROW 2048

typedef struct { int64_t row, n; } big_row;

static int big_row_cmp(const void *a, const void *b) {
    const big_row *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* What one call solves, shared by the threads. */
typedef struct {
    const tide_mf_params *p;
    const float *YtY, *Y, *w;
    const int64_t *indptr;
    const int32_t *indices;
    int k, chol, fast;
    int64_t lo;
    float *X;
    double *loss;
    int64_t bad_row; /* lowest row whose Cholesky failed, else -1 */
} solve_job;

/* A thread's scratch: the CG vectors or Cholesky matrix, and the gather buffer (gcap rows). */
typedef struct {
    float *buf, *G;
    int64_t gcap;
} solve_scratch;

static void solve_row(solve_job *j, solve_scratch *t, int64_t u) {
    int k = j->k;
    float alpha = (float)j->p->alpha;
    int64_t b = j->indptr[u], n = j->indptr[u + 1] - b;
    const int32_t *idx = j->indices + b;
    const float *w = j->w + b;
    float *x = j->X + (size_t)u * k;
    double l;
    if (j->chol) {
        int info = chol_row(j->YtY, j->Y, k, alpha, idx, w, n, x, t->buf, t->buf + (size_t)k * k);
        if (info != 0) {
#pragma omp critical(tide_als_fail)
            if (j->bad_row < 0 || u < j->bad_row) j->bad_row = u;
        }
        l = j->loss ? row_loss(j->YtY, j->Y, NULL, k, alpha, idx, w, n, x, t->buf) : 0;
    } else {
        if (j->fast)
            l = tide_als_cg512_row(k, j->YtY, j->Y, j->p->cg_steps, alpha, idx, w, n, x, t->buf, t->G,
                                   n < t->gcap ? n : t->gcap, j->loss != NULL);
        else
            l = cg_row(j->YtY, j->Y, k, j->p->cg_steps, alpha, idx, w, n, x, t->buf, t->buf + k, t->buf + 2 * k,
                       n <= t->gcap ? t->G : NULL, j->loss ? t->buf + 3 * k : NULL);
    }
    if (j->loss) j->loss[u - j->lo] = l;
}

tide_status tide_als_solve_rows(const tide_mf_params *p, const float *YtY, const float *Y, int k,
                                const int64_t *indptr, const int32_t *indices, const float *w, int64_t lo,
                                int64_t hi, float *X, double *loss) {
    int chol = p->solver == TIDE_ALS_CHOLESKY;
    solve_job job = {p, YtY, Y, w, indptr, indices, k, chol, !chol && tide_als_cg512_supported(k), lo, X, loss, -1};
    int failed = 0;
    /* Each row's solve depends on nothing else that changes, so neither the order nor the
     * thread that solves a row changes its result. */
    int64_t n_big = 0, longest = 0;
    for (int64_t u = lo; u < hi; u++) {
        int64_t n = indptr[u + 1] - indptr[u];
        n_big += n >= BIG_ROW;
        if (n > longest) longest = n;
    }
    /* Each thread maps its gather buffer once, sized for this call's longest row: untouched
     * pages cost no memory, and munmap returns it (a malloc'd one can stay resident). */
    size_t gbytes = chol ? 0 : (size_t)(longest < CG_GATHER_MAX ? longest : CG_GATHER_MAX) * k * sizeof(float);
    big_row *big = n_big ? malloc((size_t)n_big * sizeof *big) : NULL;
    if (n_big && !big) return tide_error(TIDE_ERR_NOMEM, "ALS: out of memory for the row order");
    n_big = 0;
    for (int64_t u = lo; u < hi; u++)
        if (indptr[u + 1] - indptr[u] >= BIG_ROW) big[n_big++] = (big_row){u, indptr[u + 1] - indptr[u]};
    if (n_big) qsort(big, (size_t)n_big, sizeof *big, big_row_cmp);
#pragma omp parallel
    {
        solve_scratch t = {NULL, NULL, 0};
        size_t need = chol ? ((size_t)k * k + (size_t)CHOL_CHUNK * k) : (size_t)4 * k;
        t.buf = malloc(need * sizeof *t.buf);
        if (gbytes) {
            void *g = mmap(NULL, gbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (g != MAP_FAILED) { /* else no gathering: slower, same result */
                t.G = g;
                t.gcap = (int64_t)(gbytes / ((size_t)k * sizeof(float)));
            }
        }
        if (!t.buf) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1) nowait
        for (int64_t i = 0; i < n_big; i++)
            if (t.buf) solve_row(&job, &t, big[i].row);
#pragma omp for schedule(dynamic, 64)
        for (int64_t u = lo; u < hi; u++)
            if (t.buf && indptr[u + 1] - indptr[u] < BIG_ROW) solve_row(&job, &t, u);
        free(t.buf);
        if (t.G) munmap(t.G, gbytes);
    }
    free(big);
    if (failed) return tide_error(TIDE_ERR_NOMEM, "ALS: out of memory for per-thread buffers");
    if (job.bad_row >= 0)
        return tide_error(TIDE_ERR_INTERNAL, "ALS: the system of row %lld is not positive definite "
                          "(raise --regularization)", (long long)job.bad_row);
    return TIDE_OK;
}

TIDE_CLONES_V3
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
