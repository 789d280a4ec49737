/* cpu.c — the CPU reference backend: OpenBLAS sgemm and an OpenMP-parallel per-row top-k by a
 * bounded min-heap (O(cols log k) per row, no full sort, no copy of the row). */
#include "backend-impl.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void cpu_free(tide_backend *be) { free(be); }

static tide_status cpu_alloc(tide_backend *be, size_t bytes, void **ptr) {
    (void)be;
    /* 64-byte alignment for SIMD loads; round the size up as aligned_alloc requires. */
    size_t sz = (bytes + 63) / 64 * 64;
    *ptr = aligned_alloc(64, sz ? sz : 64);
    if (!*ptr) return tide_error(TIDE_ERR_NOMEM, "out of memory allocating a %zu-byte buffer", bytes);
    return TIDE_OK;
}

static void cpu_buffer_free(tide_backend *be, void *ptr) {
    (void)be;
    free(ptr);
}

static tide_status cpu_copy(tide_backend *be, void *dst, const void *src, size_t bytes) {
    (void)be;
    if (bytes) memmove(dst, src, bytes);
    return TIDE_OK;
}

static tide_status cpu_sgemm(tide_backend *be, int ta, int tb, int64_t M, int64_t N, int64_t K,
                             float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                             float beta, float *C, int64_t ldc) {
    (void)be;
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX || lda > INT32_MAX || ldb > INT32_MAX || ldc > INT32_MAX)
        return tide_error(TIDE_ERR_USAGE, "sgemm dimensions exceed the BLAS integer range");
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
    return TIDE_OK;
}

/* Heap order: the root is the worst kept entry (lowest value; among equal values the higher
 * index, since ties prefer lower indices). */
static inline int worse(float va, int32_t ia, float vb, int32_t ib) {
    return va < vb || (va == vb && ia > ib);
}

static void sift_down(float *v, int32_t *ix, int n, int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && worse(v[l], ix[l], v[w], ix[w])) w = l;
        if (r < n && worse(v[r], ix[r], v[w], ix[w])) w = r;
        if (w == i) return;
        float tv = v[i]; v[i] = v[w]; v[w] = tv;
        int32_t ti = ix[i]; ix[i] = ix[w]; ix[w] = ti;
        i = w;
    }
}

static void topk_row(const float *s, int64_t cols, int k, int32_t *idx, float *val) {
    int n = 0;
    for (int64_t j = 0; j < cols; j++) {
        float x = s[j];
        if (x == -INFINITY || x != x) continue; /* masked or NaN: never recommended */
        if (n < k) {
            /* sift up */
            int i = n++;
            val[i] = x;
            idx[i] = (int32_t)j;
            while (i > 0) {
                int p = (i - 1) / 2;
                if (!worse(val[i], idx[i], val[p], idx[p])) break;
                float tv = val[i]; val[i] = val[p]; val[p] = tv;
                int32_t ti = idx[i]; idx[i] = idx[p]; idx[p] = ti;
                i = p;
            }
        } else if (worse(val[0], idx[0], x, (int32_t)j)) {
            val[0] = x;
            idx[0] = (int32_t)j;
            sift_down(val, idx, n, 0);
        }
    }
    /* Heap-sort in place: repeatedly move the worst to the end → descending order. */
    for (int m = n; m > 1; m--) {
        float tv = val[0]; val[0] = val[m - 1]; val[m - 1] = tv;
        int32_t ti = idx[0]; idx[0] = idx[m - 1]; idx[m - 1] = ti;
        sift_down(val, idx, m - 1, 0);
    }
    for (int i = n; i < k; i++) {
        idx[i] = -1;
        val[i] = -INFINITY;
    }
}

tide_status tide_cpu_topk_rows(const float *S, int64_t rows, int64_t cols, int64_t ld, int k,
                               int32_t *idx, float *val) {
    #pragma omp parallel for schedule(static) if (rows > 16)
    for (int64_t r = 0; r < rows; r++) topk_row(S + r * ld, cols, k, idx + r * k, val + r * k);
    return TIDE_OK;
}

static tide_status cpu_topk(tide_backend *be, const float *S, int64_t rows, int64_t cols, int64_t ld, int k,
                            int32_t *idx, float *val) {
    (void)be;
    return tide_cpu_topk_rows(S, rows, cols, ld, k, idx, val);
}

static const tide_backend_i cpu_iface = {
    .version = TIDE_BACKEND_API_VERSION,
    .name = "cpu",
    .is_host = 1,
    .free = cpu_free,
    .alloc = cpu_alloc,
    .buffer_free = cpu_buffer_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .sgemm = cpu_sgemm,
    .topk_rows = cpu_topk,
    .synchronize = NULL,
};

tide_status tide_backend_cpu_open(tide_backend **out) {
    tide_backend *be = calloc(1, sizeof *be);
    if (!be) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    be->iface = &cpu_iface;
    *out = be;
    return TIDE_OK;
}
