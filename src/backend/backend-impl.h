/* backend-impl.h — the backend function table (private). Slots may be NULL: the dispatcher in
 * backend.c then falls back (top-k downloads and runs the CPU selection; linalg.c's host linear
 * algebra runs the CPU reference). Version-numbered so implementations can grow without breaking
 * older ones: version 2 appended the host linear-algebra slots. */
#ifndef TIDE_BACKEND_IMPL_H
#define TIDE_BACKEND_IMPL_H

#include "tide/backend.h"

#define TIDE_BACKEND_API_VERSION 2

typedef struct tide_backend_i {
    int version;
    const char *name;
    int is_host;
    void (*free)(tide_backend *be);
    tide_status (*alloc)(tide_backend *be, size_t bytes, void **ptr);
    void (*buffer_free)(tide_backend *be, void *ptr);
    tide_status (*upload)(tide_backend *be, void *dst, const void *src, size_t bytes);
    tide_status (*download)(tide_backend *be, void *dst, const void *src, size_t bytes);
    tide_status (*sgemm)(tide_backend *be, int ta, int tb, int64_t M, int64_t N, int64_t K,
                         float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                         float beta, float *C, int64_t ldc);
    tide_status (*topk_rows)(tide_backend *be, const float *S, int64_t rows, int64_t cols,
                             int64_t ld, int k, int32_t *idx, float *val);
    tide_status (*synchronize)(tide_backend *be);
    /* version 2: host dense linear algebra (tide_la_*; NULL = CPU reference) */
    void (*la_ssyrk)(tide_backend *be, char uplo, int trans, int64_t n, int64_t k, float alpha, const float *A,
                     int64_t lda, float beta, float *C, int64_t ldc);
    void (*la_ssyr)(tide_backend *be, char uplo, int64_t n, float alpha, const float *x, float *A, int64_t lda);
    void (*la_sgemm)(tide_backend *be, int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                     int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
    void (*la_strsm)(tide_backend *be, char side, char uplo, int trans, int64_t m, int64_t n, float alpha,
                     const float *A, int64_t lda, float *B, int64_t ldb);
    int (*la_spotrf)(tide_backend *be, char uplo, int64_t n, float *A, int64_t lda);
    int (*la_sposv)(tide_backend *be, char uplo, int64_t n, int64_t nrhs, float *A, int64_t lda, float *B,
                    int64_t ldb);
} tide_backend_i;

struct tide_backend {
    const tide_backend_i *iface;
    void *ctx;
};

/* CPU reference implementation; also used as the top-k fallback on host copies. */
tide_status tide_backend_cpu_open(tide_backend **out);
tide_status tide_cpu_topk_rows(const float *S, int64_t rows, int64_t cols, int64_t ld, int k,
                               int32_t *idx, float *val);
#ifdef TIDE_USE_CUDA
tide_status tide_backend_cuda_open(tide_backend **out);
#endif

#endif
