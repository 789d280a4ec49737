/* linalg.c — the host dense linear algebra of tide/backend.h: dispatch to a backend's own
 * implementation where it has one (backend API version 2 slots), else the CPU reference over
 * OpenBLAS and LAPACKE. This is the only place outside the CPU backend that calls them for the
 * model families. */
#include <cblas.h>
#include <lapacke.h>

#include "backend-impl.h"

#define SLOT(be, f) ((be) && (be)->iface->version >= 2 && (be)->iface->f ? (be)->iface->f : NULL)

static CBLAS_UPLO uplo_of(char u) { return u == 'L' || u == 'l' ? CblasLower : CblasUpper; }
static CBLAS_TRANSPOSE tr(int t) { return t ? CblasTrans : CblasNoTrans; }

void tide_la_ssyrk(tide_backend *be, char uplo, int trans, int64_t n, int64_t k, float alpha, const float *A,
                   int64_t lda, float beta, float *C, int64_t ldc) {
    if (SLOT(be, la_ssyrk)) {
        be->iface->la_ssyrk(be, uplo, trans, n, k, alpha, A, lda, beta, C, ldc);
        return;
    }
    cblas_ssyrk(CblasRowMajor, uplo_of(uplo), tr(trans), (int)n, (int)k, alpha, A, (int)lda, beta, C, (int)ldc);
}

void tide_la_ssyr(tide_backend *be, char uplo, int64_t n, float alpha, const float *x, float *A, int64_t lda) {
    if (SLOT(be, la_ssyr)) {
        be->iface->la_ssyr(be, uplo, n, alpha, x, A, lda);
        return;
    }
    cblas_ssyr(CblasRowMajor, uplo_of(uplo), (int)n, alpha, x, 1, A, (int)lda);
}

void tide_la_sgemm(tide_backend *be, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                   const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    if (SLOT(be, la_sgemm)) {
        be->iface->la_sgemm(be, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    cblas_sgemm(CblasRowMajor, tr(trans_a), tr(trans_b), (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta,
                C, (int)ldc);
}

void tide_la_strsm(tide_backend *be, char side, char uplo, int trans, int64_t m, int64_t n, float alpha,
                   const float *A, int64_t lda, float *B, int64_t ldb) {
    if (SLOT(be, la_strsm)) {
        be->iface->la_strsm(be, side, uplo, trans, m, n, alpha, A, lda, B, ldb);
        return;
    }
    cblas_strsm(CblasRowMajor, side == 'R' || side == 'r' ? CblasRight : CblasLeft, uplo_of(uplo), tr(trans),
                CblasNonUnit, (int)m, (int)n, alpha, A, (int)lda, B, (int)ldb);
}

int tide_la_spotrf(tide_backend *be, char uplo, int64_t n, float *A, int64_t lda) {
    if (SLOT(be, la_spotrf)) return be->iface->la_spotrf(be, uplo, n, A, lda);
    return (int)LAPACKE_spotrf(LAPACK_ROW_MAJOR, uplo == 'L' || uplo == 'l' ? 'L' : 'U', (lapack_int)n, A,
                               (lapack_int)lda);
}

int tide_la_sposv(tide_backend *be, char uplo, int64_t n, int64_t nrhs, float *A, int64_t lda, float *B,
                  int64_t ldb) {
    if (SLOT(be, la_sposv)) return be->iface->la_sposv(be, uplo, n, nrhs, A, lda, B, ldb);
    return (int)LAPACKE_sposv(LAPACK_ROW_MAJOR, uplo == 'L' || uplo == 'l' ? 'L' : 'U', (lapack_int)n,
                              (lapack_int)nrhs, A, (lapack_int)lda, B, (lapack_int)ldb);
}
