/* backend.c — backend selection and the shape-checking wrappers around the function table. */
#include "backend-impl.h"

#include <stdlib.h>
#include <string.h>

tide_status tide_device_parse(const char *s, tide_device *out) {
    if (strcmp(s, "cpu") == 0) *out = TIDE_DEVICE_CPU;
    else if (strcmp(s, "cuda") == 0) *out = TIDE_DEVICE_CUDA;
    else if (strcmp(s, "auto") == 0) *out = TIDE_DEVICE_AUTO;
    else return tide_error(TIDE_ERR_USAGE, "unknown device '%s' (expected cpu, cuda or auto)", s);
    return TIDE_OK;
}

tide_status tide_backend_open(tide_device dev, tide_backend **out) {
    *out = NULL;
    switch (dev) {
    case TIDE_DEVICE_CPU:
        return tide_backend_cpu_open(out);
    case TIDE_DEVICE_CUDA:
#ifdef TIDE_USE_CUDA
        return tide_backend_cuda_open(out);
#else
        return tide_error(TIDE_ERR_BACKEND, "--device cuda: this build of tide has no CUDA backend (configure with -DTIDE_CUDA=ON)");
#endif
    case TIDE_DEVICE_AUTO:
#ifdef TIDE_USE_CUDA
        if (tide_backend_cuda_open(out) == TIDE_OK) return TIDE_OK;
        tide_log(TIDE_LOG_INFO, "no usable GPU (%s); using the CPU", tide_error_message());
        tide_error_clear();
#endif
        return tide_backend_cpu_open(out);
    }
    return tide_error(TIDE_ERR_USAGE, "unknown device");
}

void tide_backend_free(tide_backend *be) {
    if (be && be->iface->free) be->iface->free(be);
}

const char *tide_backend_name(const tide_backend *be) { return be->iface->name; }
int tide_backend_is_host(const tide_backend *be) { return be->iface->is_host; }

tide_status tide_buffer_alloc(tide_backend *be, size_t bytes, tide_buffer *out) {
    memset(out, 0, sizeof *out);
    void *p = NULL;
    tide_status st = be->iface->alloc(be, bytes, &p);
    if (st) return st;
    out->be = be;
    out->ptr = p;
    out->size = bytes;
    out->owned = 1;
    return TIDE_OK;
}

tide_status tide_buffer_wrap_host(tide_backend *be, void *ptr, size_t bytes, tide_buffer *out) {
    memset(out, 0, sizeof *out);
    if (!be->iface->is_host) return tide_error(TIDE_ERR_USAGE, "cannot wrap host memory for backend %s", be->iface->name);
    out->be = be;
    out->ptr = ptr;
    out->size = bytes;
    return TIDE_OK;
}

void tide_buffer_free(tide_buffer *b) {
    if (b->owned && b->ptr) b->be->iface->buffer_free(b->be, b->ptr);
    memset(b, 0, sizeof *b);
}

tide_status tide_buffer_upload(tide_buffer *dst, size_t offset, const void *src, size_t bytes) {
    if (offset > dst->size || bytes > dst->size - offset)
        return tide_error(TIDE_ERR_INTERNAL, "upload of %zu bytes at %zu exceeds a %zu-byte buffer", bytes, offset, dst->size);
    return dst->be->iface->upload(dst->be, (char *)dst->ptr + offset, src, bytes);
}

tide_status tide_buffer_download(const tide_buffer *src, size_t offset, void *dst, size_t bytes) {
    if (offset > src->size || bytes > src->size - offset)
        return tide_error(TIDE_ERR_INTERNAL, "download of %zu bytes at %zu exceeds a %zu-byte buffer", bytes, offset, src->size);
    return src->be->iface->download(src->be, dst, (const char *)src->ptr + offset, bytes);
}

/* Elements needed by a row-major [rows, cols] view with stride ld. */
static int fits(const tide_buffer *b, size_t off, int64_t rows, int64_t cols, int64_t ld) {
    if (rows < 0 || cols < 0 || ld < cols || ld < 1) return 0;
    if (rows == 0 || cols == 0) return 1;
    size_t need = off + (size_t)(rows - 1) * (size_t)ld + (size_t)cols;
    return need <= b->size / sizeof(float);
}

tide_status tide_backend_sgemm(tide_backend *be, int trans_a, int trans_b, int64_t M, int64_t N,
                               int64_t K, float alpha, const tide_buffer *A, size_t a_off,
                               int64_t lda, const tide_buffer *B, size_t b_off, int64_t ldb,
                               float beta, tide_buffer *C, size_t c_off, int64_t ldc) {
    int64_t ar = trans_a ? K : M, ac = trans_a ? M : K, br = trans_b ? N : K, bc = trans_b ? K : N;
    if (!fits(A, a_off, ar, ac, lda) || !fits(B, b_off, br, bc, ldb) || !fits(C, c_off, M, N, ldc))
        return tide_error(TIDE_ERR_INTERNAL, "sgemm: shapes M=%lld N=%lld K=%lld do not fit the buffers or strides",
                          (long long)M, (long long)N, (long long)K);
    if (A->be != be || B->be != be || C->be != be) return tide_error(TIDE_ERR_INTERNAL, "sgemm: buffers of another backend");
    if (M == 0 || N == 0) return TIDE_OK;
    return be->iface->sgemm(be, trans_a, trans_b, M, N, K, alpha, (const float *)A->ptr + a_off, lda,
                            (const float *)B->ptr + b_off, ldb, beta, (float *)C->ptr + c_off, ldc);
}

tide_status tide_backend_topk_rows(tide_backend *be, const tide_buffer *S, size_t s_off,
                                   int64_t rows, int64_t cols, int64_t ld, int k, int32_t *idx,
                                   float *val) {
    if (k < 1) return tide_error(TIDE_ERR_USAGE, "top-k needs k >= 1");
    if (!fits(S, s_off, rows, cols, ld) || cols > INT32_MAX) return tide_error(TIDE_ERR_INTERNAL, "topk: shape does not fit the buffer");
    if (be->iface->topk_rows) return be->iface->topk_rows(be, (const float *)S->ptr + s_off, rows, cols, ld, k, idx, val);
    if (be->iface->is_host) return tide_cpu_topk_rows((const float *)S->ptr + s_off, rows, cols, ld, k, idx, val);
    /* Fallback: copy the rows to the host and select there. */
    size_t n = rows ? (size_t)(rows - 1) * (size_t)ld + (size_t)cols : 0;
    float *h = tide_malloc(n * sizeof *h + 1);
    if (!h) return TIDE_ERR_NOMEM;
    tide_status st = tide_buffer_download(S, s_off * sizeof(float), h, n * sizeof *h);
    if (!st) st = tide_cpu_topk_rows(h, rows, cols, ld, k, idx, val);
    free(h);
    return st;
}

tide_status tide_backend_synchronize(tide_backend *be) {
    return be->iface->synchronize ? be->iface->synchronize(be) : TIDE_OK;
}
