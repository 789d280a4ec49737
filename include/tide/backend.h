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

#ifdef __cplusplus
}
#endif
#endif
