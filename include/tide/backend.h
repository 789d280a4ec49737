/* tide/backend.h — the compute backend: a small interface (buffers, sgemm, row top-k) with a
 * CPU reference implementation (OpenBLAS + OpenMP) and, when built with TIDE_CUDA, a CUDA one
 * (cuBLAS + kernels), chosen at run time by `--device cpu|cuda|auto`.
 *
 * Callers use these shape-checking wrappers, never the function table. Matrices are row-major
 * f32. Buffers live where the backend computes (host memory for CPU, device memory for CUDA);
 * tide_backend_is_host() tells whether a buffer's pointer may be dereferenced by the caller.
 * A backend object is not thread-safe: use one per thread, or serialise calls. */
#ifndef TIDE_BACKEND_H
#define TIDE_BACKEND_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TIDE_DEVICE_CPU = 0, TIDE_DEVICE_CUDA, TIDE_DEVICE_AUTO } tide_device;

/* "cpu", "cuda", "auto" → device; anything else is TIDE_ERR_USAGE. */
tide_status tide_device_parse(const char *s, tide_device *out);

typedef struct tide_backend tide_backend;
typedef struct tide_buffer {
    tide_backend *be;
    void *ptr;     /* host or device address */
    size_t size;   /* bytes */
    int owned;     /* freed by tide_buffer_free */
} tide_buffer;

/* Open a backend. CUDA without a usable GPU (or a build without CUDA) is TIDE_ERR_BACKEND;
 * AUTO picks CUDA when usable, else CPU. */
tide_status tide_backend_open(tide_device dev, tide_backend **out);
void tide_backend_free(tide_backend *be);
const char *tide_backend_name(const tide_backend *be);
int tide_backend_is_host(const tide_backend *be);

tide_status tide_buffer_alloc(tide_backend *be, size_t bytes, tide_buffer *out);
/* Wrap caller memory without copying (host backends only; the caller keeps ownership). */
tide_status tide_buffer_wrap_host(tide_backend *be, void *ptr, size_t bytes, tide_buffer *out);
void tide_buffer_free(tide_buffer *b);
tide_status tide_buffer_upload(tide_buffer *dst, size_t offset, const void *src, size_t bytes);
tide_status tide_buffer_download(const tide_buffer *src, size_t offset, void *dst, size_t bytes);

/* C = alpha * op(A) * op(B) + beta * C, row-major f32. op(A) is [M, K], op(B) is [K, N], C is
 * [M, N]; lda/ldb/ldc are the row strides (in elements) of A, B, C as stored. Offsets are in
 * elements from the buffers' starts. */
tide_status tide_backend_sgemm(tide_backend *be, int trans_a, int trans_b, int64_t M, int64_t N,
                               int64_t K, float alpha, const tide_buffer *A, size_t a_off,
                               int64_t lda, const tide_buffer *B, size_t b_off, int64_t ldb,
                               float beta, tide_buffer *C, size_t c_off, int64_t ldc);

/* For each of `rows` rows of the [rows, cols] matrix S (row stride ld), the k largest values
 * that are not -INFINITY (masked), in descending order, ties broken by the lower column index.
 * Writes host arrays idx [rows, k] (i32) and val [rows, k]; a row with fewer than k eligible
 * columns is padded with idx -1, val -INFINITY. */
tide_status tide_backend_topk_rows(tide_backend *be, const tide_buffer *S, size_t s_off,
                                   int64_t rows, int64_t cols, int64_t ld, int k, int32_t *idx,
                                   float *val);

tide_status tide_backend_synchronize(tide_backend *be);

/* ---- dense linear algebra on host memory (the model families' solvers) -------------------
 * The kernels MF's training and fold-in are made of (Gram matrices, Cholesky solves, the blocked
 * EASE inverse), row-major f32 on host pointers, so a backend can take them over (a CUDA one by
 * staging blocks on the device) without the model code changing. `be` NULL = the CPU reference
 * (OpenBLAS/LAPACKE, single-threaded on the calling thread: callers parallelise over rows or
 * blocks themselves, which keeps results independent of the thread count). uplo: 'U' or 'L'. */

/* C = alpha · op(A)ᵀop(A)-style rank-k update of the uplo triangle of the n × n C:
 * trans 0: C = alpha·A·Aᵀ + beta·C with A [n, k]; trans 1: C = alpha·Aᵀ·A + beta·C with A [k, n]. */
void tide_la_ssyrk(tide_backend *be, char uplo, int trans, int64_t n, int64_t k, float alpha, const float *A,
                   int64_t lda, float beta, float *C, int64_t ldc);
/* A += alpha · x·xᵀ on the uplo triangle of the n × n A. */
void tide_la_ssyr(tide_backend *be, char uplo, int64_t n, float alpha, const float *x, float *A, int64_t lda);
/* C = alpha·op(A)·op(B) + beta·C on host memory (op = transpose when trans_*). */
void tide_la_sgemm(tide_backend *be, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                   const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
/* Solve op(A)·X = alpha·B (side 'L') or X·op(A) = alpha·B (side 'R') for triangular A (uplo),
 * X over B [m, n]. */
void tide_la_strsm(tide_backend *be, char side, char uplo, int trans, int64_t m, int64_t n, float alpha,
                   const float *A, int64_t lda, float *B, int64_t ldb);
/* Cholesky factorisation of the n × n symmetric positive definite A in place (uplo triangle).
 * Returns LAPACK's info: 0, or > 0 when the leading minor of that order is not positive. */
int tide_la_spotrf(tide_backend *be, char uplo, int64_t n, float *A, int64_t lda);
/* Solve A·X = B for symmetric positive definite A (uplo triangle used, overwritten by its
 * factor), B [n, nrhs] overwritten by X. Returns LAPACK's info (0 = solved). */
int tide_la_sposv(tide_backend *be, char uplo, int64_t n, int64_t nrhs, float *A, int64_t lda, float *B,
                  int64_t ldb);

/* ---- CPU kernel choice -------------------------------------------------------------------
 * Which hand-written CPU kernels run, decided once per process from the CPU and the environment
 * overrides (docs/environment.md): the backend owns this choice; the model families ask. */
typedef struct tide_cpu_kernels {
    int avx512;          /* AVX-512 F/BW/DQ/VL present */
    int amx;             /* AMX-TILE/BF16 + AVX512-BF16 present and the OS grants the tile state */
    int als_avx512;      /* ALS conjugate-gradient rows on the AVX-512 kernel (k = 32, 64, 128);
                            off with TIDE_ALS_PORTABLE=1 */
    int lm_amx;          /* language-model dense layers on AMX tiles; off with TIDE_LM_AMX=0 */
    const char *blas;    /* the BLAS and the core it chose, e.g. "OpenBLAS (core SkylakeX)" */
} tide_cpu_kernels;
const tide_cpu_kernels *tide_cpu_kernels_get(void);
/* One line for --version and -v: "BLAS ...; ALS CG ...; LM dense ..." */
void tide_cpu_kernels_describe(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
