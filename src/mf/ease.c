/* ease.c — EASE (Steck 2019): B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹ and a zero
 * diagonal. The Gram matrix is accumulated from the sparse rows (cost Σ_u n_u², each thread
 * owning whole rows of G, so the sum order never depends on the thread count), then inverted
 * in place by Cholesky (LAPACK potrf + potri): one items² float matrix is all the memory. */
#include <lapacke.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mf-internal.h"

size_t tide_mf_available_memory(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        unsigned long long kb = 0;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
        fclose(f);
        if (kb) return (size_t)kb * 1024;
    }
    long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (size_t)pages * (size_t)size : 0;
}

size_t tide_mf_limit_or_available(size_t max_bytes) { return max_bytes ? max_bytes : tide_mf_available_memory(); }

size_t tide_ease_bytes_needed(int64_t n_items) {
    /* G (inverted in place into B) plus per-item vectors. */
    double b = (double)n_items * (double)n_items * 4.0 + (double)n_items * 64.0;
    return b > (double)SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)b;
}

static double gib(size_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }

tide_status tide_ease_fit(const tide_dataset *ds, const float *uw, double lambda, size_t max_bytes, float **out) {
    *out = NULL;
    int64_t n = ds->n_items;
    size_t need = tide_ease_bytes_needed(n), have = tide_mf_limit_or_available(max_bytes);
    if (need > have || n > INT32_MAX / 2)
        return tide_error(TIDE_ERR_NOMEM, "EASE needs %.2f GiB for %lld items (items² × 4 bytes) but only %.2f GiB %s; "
                          "use --algo als or itemknn for this catalogue, or raise --max-memory",
                          gib(need), (long long)n, gib(have), max_bytes ? "are allowed by --max-memory" : "are available");
    float *G = tide_calloc((size_t)n * (size_t)n, sizeof *G);
    if (!G) return TIDE_ERR_NOMEM;
    float *iw = NULL;
    /* Item-major weights: the j-th entry of item i's column carries the same weight as the
     * matching user-major entry; recompute the mapping here rather than keep a second array. */
    int64_t *pos = tide_malloc(((size_t)n + 1) * sizeof *pos);
    iw = tide_malloc((size_t)ds->nnz * sizeof *iw + 1);
    if (!pos || !iw) {
        free(pos); free(iw); free(G);
        return TIDE_ERR_NOMEM;
    }
    memcpy(pos, ds->item_indptr, ((size_t)n + 1) * sizeof *pos);
    for (int64_t k = 0; k < ds->nnz; k++) iw[pos[ds->items[k]]++] = uw[k];
    free(pos);
#pragma omp parallel for schedule(dynamic, 16)
    for (int64_t i = 0; i < n; i++) {
        float *g = G + (size_t)i * n;
        for (int64_t q = ds->item_indptr[i]; q < ds->item_indptr[i + 1]; q++) {
            int32_t u = ds->item_users[q];
            float a = iw[q];
            for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++) g[ds->items[k]] += a * uw[k];
        }
        g[i] += (float)lambda;
    }
    free(iw);
    /* G is symmetric, so row-major storage is column-major storage of the same matrix: call
     * LAPACK column-major (no transposed copy) on the lower triangle = our upper triangle. */
    tide_blas_threads(tide_threads_get());
    lapack_int info = LAPACKE_spotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, G, (lapack_int)n);
    if (info == 0) info = LAPACKE_spotri(LAPACK_COL_MAJOR, 'L', (lapack_int)n, G, (lapack_int)n);
    tide_blas_threads(1);
    if (info != 0) {
        free(G);
        return tide_error(TIDE_ERR_INTERNAL, "EASE: Cholesky factorisation failed (LAPACK info %d); raise --lambda", (int)info);
    }
    /* P's upper triangle (row-major) is valid; mirror it, then B_ij = −P_ij / P_jj, B_ii = 0. */
    /* In 64×64 tiles: a plain column walk would miss the cache on every element. */
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i0 = 0; i0 < n; i0 += 64)
        for (int64_t j0 = 0; j0 <= i0; j0 += 64)
            for (int64_t i = i0; i < i0 + 64 && i < n; i++)
                for (int64_t j = j0; j < j0 + 64 && j < i; j++) G[(size_t)i * n + j] = G[(size_t)j * n + i];
    float *dinv = tide_malloc((size_t)n * sizeof *dinv + 1);
    if (!dinv) {
        free(G);
        return TIDE_ERR_NOMEM;
    }
    for (int64_t j = 0; j < n; j++) dinv[j] = -1.0f / G[(size_t)j * n + j];
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float *g = G + (size_t)i * n;
        for (int64_t j = 0; j < n; j++) g[j] *= dinv[j];
        g[i] = 0;
    }
    free(dinv);
    *out = G;
    return TIDE_OK;
}
