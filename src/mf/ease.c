/* ease.c — EASE (Steck 2019): B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹ and a zero
 * diagonal. The Gram matrix is accumulated from the sparse rows (cost Σ_u n_u², each thread
 * owning whole rows of G, so the sum order never depends on the thread count), then inverted
 * in place by a blocked Cholesky (below): one items² float matrix plus a few item × block
 * panels is all the memory.
 *
 * The factorisation and the inverse are blocked here rather than left to a multithreaded
 * LAPACK, whose partition of the work (and so its rounding) follows the thread count: every
 * block operation runs single-threaded on a block fixed by the item count alone, and threads
 * only pick which blocks to do, so B has the same bytes for every --threads (issue 15). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mf-internal.h"
#include "tide/backend.h"

extern void openblas_set_num_threads(int) __attribute__((weak));

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

/* Block edge of the Cholesky and the inverse: large enough for BLAS-3 efficiency, small
 * enough that the trailing update has work for many threads. */
#define EASE_BS 256

size_t tide_ease_bytes_needed(int64_t n_items) {
    /* G (inverted in place into B) plus per-item vectors and the inverse's n × block panels
     * (one per thread and one for the diagonal blocks). */
    double b = (double)n_items * (double)n_items * 4.0 + (double)n_items * 64.0 +
               (double)n_items * EASE_BS * 4.0 * (double)(tide_threads_get() + 1);
    return b > (double)SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)b;
}

static double gib(size_t b) { return (double)b / (1024.0 * 1024.0 * 1024.0); }


/* In place: the lower triangle of the row-major n×n A (symmetric positive definite) becomes L
 * with A = L·Lᵀ (right-looking, block by block). Returns LAPACK's info (0 = success). */
static int chol_blocked(float *A, int64_t n) {
    for (int64_t k0 = 0; k0 < n; k0 += EASE_BS) {
        int64_t kb = n - k0 < EASE_BS ? n - k0 : EASE_BS;
        float *Akk = A + (size_t)k0 * n + k0;
        int info = tide_la_spotrf(NULL, 'L', kb, Akk, n);
        if (info != 0) return info > 0 ? info + (int)k0 : info;
        int64_t t0 = k0 + kb, nt = (n - t0 + EASE_BS - 1) / EASE_BS;
        /* Panel: A_ik ← A_ik · L_kk⁻ᵀ. */
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t b = 0; b < nt; b++) {
            int64_t i0 = t0 + b * EASE_BS, ib = n - i0 < EASE_BS ? n - i0 : EASE_BS;
            tide_la_strsm(NULL, 'R', 'L', 1, ib, kb, 1.0f, Akk, n, A + (size_t)i0 * n + k0, n);
        }
        /* Trailing update of the lower blocks: A_ij −= A_ik · A_jkᵀ, j <= i. */
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t q = 0; q < nt * (nt + 1) / 2; q++) {
            int64_t bi = (int64_t)((sqrt(8.0 * (double)q + 1.0) - 1.0) / 2.0);
            while (bi * (bi + 1) / 2 > q) bi--;
            while ((bi + 1) * (bi + 2) / 2 <= q) bi++;
            int64_t bj = q - bi * (bi + 1) / 2;
            int64_t i0 = t0 + bi * EASE_BS, j0 = t0 + bj * EASE_BS;
            int64_t ib = n - i0 < EASE_BS ? n - i0 : EASE_BS, jb = n - j0 < EASE_BS ? n - j0 : EASE_BS;
            const float *Aik = A + (size_t)i0 * n + k0, *Ajk = A + (size_t)j0 * n + k0;
            float *Aij = A + (size_t)i0 * n + j0;
            if (bi == bj)
                tide_la_ssyrk(NULL, 'L', 0, ib, kb, -1.0f, Aik, n, 1.0f, Aij, n);
            else
                tide_la_sgemm(NULL, 0, 1, ib, jb, kb, -1.0f, Aik, n, Ajk, n, 1.0f, Aij, n);
        }
    }
    return 0;
}

/* With L in A's lower triangle (chol_blocked), write P = (L·Lᵀ)⁻¹'s upper triangle over A's
 * upper triangle, diagonal blocks included. Each column block J of P solves L·Lᵀ·X = E_J (two
 * triangular solves on a private n × block panel); its rows above the block land in A's free
 * upper part at once, its diagonal block waits in `diag` until no solve needs L any more. */
static tide_status inverse_blocked(float *A, int64_t n) {
    int64_t nb = (n + EASE_BS - 1) / EASE_BS;
    float *diag = tide_malloc((size_t)n * EASE_BS * sizeof *diag + 1);
    if (!diag) return TIDE_ERR_NOMEM;
    int failed = 0;
#pragma omp parallel
    {
        float *Y = tide_malloc((size_t)n * EASE_BS * sizeof *Y + 1);
        if (!Y) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < nb; b++) {
            if (!Y) continue;
            int64_t j0 = b * EASE_BS, jb = n - j0 < EASE_BS ? n - j0 : EASE_BS;
            /* Y = E_J; L·Y = E_J touches only rows >= j0; then Lᵀ·X = Y over all rows. */
            memset(Y, 0, (size_t)n * (size_t)jb * sizeof *Y);
            for (int64_t c = 0; c < jb; c++) Y[(size_t)(j0 + c) * jb + c] = 1.0f;
            tide_la_strsm(NULL, 'L', 'L', 0, n - j0, jb, 1.0f, A + (size_t)j0 * n + j0, n, Y + (size_t)j0 * jb, jb);
            tide_la_strsm(NULL, 'L', 'L', 1, n, jb, 1.0f, A, n, Y, jb);
            for (int64_t r = 0; r < j0; r++) memcpy(A + (size_t)r * n + j0, Y + (size_t)r * jb, (size_t)jb * sizeof *Y);
            memcpy(diag + (size_t)j0 * EASE_BS, Y + (size_t)j0 * jb, (size_t)jb * (size_t)jb * sizeof *Y);
        }
        free(Y);
    }
    if (!failed)
        for (int64_t b = 0; b < nb; b++) {
            int64_t j0 = b * EASE_BS, jb = n - j0 < EASE_BS ? n - j0 : EASE_BS;
            for (int64_t r = 0; r < jb; r++)
                memcpy(A + (size_t)(j0 + r) * n + j0, diag + (size_t)j0 * EASE_BS + (size_t)r * jb, (size_t)jb * sizeof *A);
        }
    free(diag);
    return failed ? TIDE_ERR_NOMEM : TIDE_OK;
}

tide_status tide_spd_invert(float *A, int64_t n, int *info) {
    /* Block operations single-threaded inside OpenMP (see the top of the file). */
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    *info = chol_blocked(A, n);
    if (*info != 0) return TIDE_ERR_INTERNAL;
    tide_status st = inverse_blocked(A, n);
    if (st) return st;
    /* P's upper triangle (row-major) is valid; mirror it, in 64×64 tiles: a plain column walk
     * would miss the cache on every element. */
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i0 = 0; i0 < n; i0 += 64)
        for (int64_t j0 = 0; j0 <= i0; j0 += 64)
            for (int64_t i = i0; i < i0 + 64 && i < n; i++)
                for (int64_t j = j0; j < j0 + 64 && j < i; j++) A[(size_t)i * n + j] = A[(size_t)j * n + i];
    return TIDE_OK;
}

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
    int info = 0;
    tide_status ist = tide_spd_invert(G, n, &info);
    if (ist) {
        free(G);
        if (info) return tide_error(TIDE_ERR_INTERNAL, "EASE: Cholesky factorisation failed (LAPACK info %d); raise --lambda", info);
        return ist;
    }
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
