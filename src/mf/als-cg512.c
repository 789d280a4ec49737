/* als-cg512.c — ALS's per-row conjugate-gradient solve written for AVX-512 with the factor
 * size a compile-time multiple of 16 (k = 32, 64, 128), chosen at run time when the CPU has
 * AVX-512 (als.c keeps the portable version for everything else).
 *
 * Why a separate kernel: at 10^7 observed entries the solve is one dot product and one axpy
 * per entry and pass (residual + each CG step). The portable version spends most of its time
 * on what surrounds those 2k FMAs: a serial horizontal sum per entry, the Ap/r accumulator
 * going through memory, a library memcpy per gathered row and loops of unknown trip count.
 * Here the direction p and the accumulator stay in zmm registers for the whole pass, four
 * entries share one horizontal reduction, and the scattered factor rows are prefetched
 * several entries ahead while being copied into the row's contiguous gather buffer. The
 * arithmetic is the same CG as als.c (same recurrences, same stopping rules); only the
 * summation order inside dot products differs. */
#include <stdlib.h>
#include <string.h>

#include "mf-internal.h"
#include "tide/backend.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define T512 __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma"), always_inline)) static inline
#define T512F __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma"), noinline)) static

/* Scattered rows are fetched this many entries ahead (64 lines in flight at k = 64); 16
 * measured ~5 % less CPU than 8 or 4 on the ML-20M-shaped set. */
#define PF_DIST 16

/* Sums of four vectors, one per lane of the result. */
T512 __m128 hsum4(__m512 a, __m512 b, __m512 c, __m512 d) {
    __m256 a2 = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
    __m256 b2 = _mm256_add_ps(_mm512_castps512_ps256(b), _mm512_extractf32x8_ps(b, 1));
    __m256 c2 = _mm256_add_ps(_mm512_castps512_ps256(c), _mm512_extractf32x8_ps(c, 1));
    __m256 d2 = _mm256_add_ps(_mm512_castps512_ps256(d), _mm512_extractf32x8_ps(d, 1));
    __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a2, b2), _mm256_hadd_ps(c2, d2));
    return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

T512 float dot(const float *a, const float *b, int nv) {
    __m512 s = _mm512_setzero_ps();
    for (int v = 0; v < nv; v++) s = _mm512_fmadd_ps(_mm512_loadu_ps(a + 16 * v), _mm512_loadu_ps(b + 16 * v), s);
    return _mm512_reduce_add_ps(s);
}

/* y = A x for the symmetric k×k A, as Σ_b x_b·A[b,:]; four accumulator sets (b mod 4) so
 * the FMA chains overlap (4·nv independent chains). */
T512 void symv(const float *A, const float *x, float *y, int nv) {
    int k = 16 * nv;
    __m512 s[4][8];
    for (int q = 0; q < 4; q++)
        for (int v = 0; v < nv; v++) s[q][v] = _mm512_setzero_ps();
    for (int b = 0; b < k; b += 4)
        for (int q = 0; q < 4; q++) {
            __m512 xb = _mm512_set1_ps(x[b + q]);
            const float *row = A + (size_t)(b + q) * k;
            for (int v = 0; v < nv; v++) s[q][v] = _mm512_fmadd_ps(xb, _mm512_loadu_ps(row + 16 * v), s[q][v]);
        }
    for (int v = 0; v < nv; v++)
        _mm512_storeu_ps(y + 16 * v, _mm512_add_ps(_mm512_add_ps(s[0][v], s[1][v]), _mm512_add_ps(s[2][v], s[3][v])));
}

/* The cache lines of one factor row (nv lines when the row starts on a line, as training's
 * factor matrices do; one more otherwise). */
T512 void prefetch_row(const float *row, int nv) {
    uintptr_t a = (uintptr_t)row & ~(uintptr_t)63, e = (uintptr_t)row + 64 * (uintptr_t)nv;
    for (; a < e; a += 64) _mm_prefetch((const char *)a, _MM_HINT_T0);
}

/* Four entries of a pass: rows r[0..3], weights w[0..3]. Dots against v, then
 *   resid: a += ((1 + c1) − c1·(y·v)) y, b += (1 + c1) y (when b), *cs += 1 + c1, and the rows
 *          are copied to `gout` (4 consecutive gather rows) when not NULL;
 *   step:  a += c1·(y·v) y, rows 0–1 into a, rows 2–3 into a2 (two FMA chains).
 * c1 = alpha·w. */
T512 void block4(int resid, int nv, const float *const r[4], const float *w, float alpha, const __m512 *v,
                 __m512 *a, __m512 *a2, __m512 *b, double *cs, float *gout) {
    __m512 y[4][8], d[4];
    for (int i = 0; i < 4; i++) {
        __m512 e = _mm512_setzero_ps(), o = _mm512_setzero_ps();
        for (int t = 0; t < nv; t++) {
            y[i][t] = _mm512_loadu_ps(r[i] + 16 * t);
            if (t & 1) o = _mm512_fmadd_ps(y[i][t], v[t], o);
            else e = _mm512_fmadd_ps(y[i][t], v[t], e);
        }
        d[i] = _mm512_add_ps(e, o);
    }
    if (gout)
        for (int i = 0; i < 4; i++)
            for (int t = 0; t < nv; t++) _mm512_storeu_ps(gout + (size_t)i * 16 * nv + 16 * t, y[i][t]);
    __m128 s = hsum4(d[0], d[1], d[2], d[3]);
    __m128 c1 = _mm_mul_ps(_mm_set1_ps(alpha), _mm_loadu_ps(w));
    float co[4];
    if (resid) {
        __m128 c = _mm_add_ps(_mm_set1_ps(1.0f), c1);
        _mm_storeu_ps(co, _mm_sub_ps(c, _mm_mul_ps(c1, s)));
        float cf[4], c1f[4];
        _mm_storeu_ps(cf, c);
        _mm_storeu_ps(c1f, c1);
        for (int i = 0; i < 4; i++) {
            *cs += 1.0 + c1f[i];
            if (b) {
                __m512 cb = _mm512_set1_ps(cf[i]);
                for (int t = 0; t < nv; t++) b[t] = _mm512_fmadd_ps(cb, y[i][t], b[t]);
            }
        }
    } else {
        _mm_storeu_ps(co, _mm_mul_ps(c1, s));
    }
    for (int i = 0; i < 4; i++) {
        __m512 cb = _mm512_set1_ps(co[i]);
        __m512 *acc = (i < 2 || resid) ? a : a2;
        for (int t = 0; t < nv; t++) acc[t] = _mm512_fmadd_ps(cb, y[i][t], acc[t]);
    }
}

/* One entry (the tails). */
T512 void block1(int resid, int nv, const float *r, float w, float alpha, const __m512 *v, __m512 *a, __m512 *b,
                 double *cs, float *gout) {
    __m512 y[8], d = _mm512_setzero_ps();
    for (int t = 0; t < nv; t++) {
        y[t] = _mm512_loadu_ps(r + 16 * t);
        d = _mm512_fmadd_ps(y[t], v[t], d);
    }
    if (gout)
        for (int t = 0; t < nv; t++) _mm512_storeu_ps(gout + 16 * t, y[t]);
    float s = _mm512_reduce_add_ps(d), c1 = alpha * w, coef;
    if (resid) {
        float c = 1.0f + c1;
        coef = c - c1 * s;
        *cs += 1.0 + c1;
        if (b)
            for (int t = 0; t < nv; t++) b[t] = _mm512_fmadd_ps(_mm512_set1_ps(c), y[t], b[t]);
    } else {
        coef = c1 * s;
    }
    __m512 cb = _mm512_set1_ps(coef);
    for (int t = 0; t < nv; t++) a[t] = _mm512_fmadd_ps(cb, y[t], a[t]);
}

/* One pass over a row's observed entries j (factor y_j, c1_j = alpha·w_j):
 *   resid: acc += ((1 + c1) − c1·(y·v)) y, bacc += (1 + c1) y, *csum = Σ(1 + c1);
 *          y is read from the scattered rows Y[idx[j]] and copied to G[j] for j < gn;
 *   step:  acc += c1·(y·v) y, y from G[j] for j < gn, else from Y[idx[j]].
 * `acc` (and `bacc`) hold their starting values on entry. The loops are split at gn so the
 * inner ones carry no per-entry branches. */
T512 void pass(int resid, int nv, const float *Y, const int32_t *idx, const float *w, float alpha, int64_t n,
               float *G, int64_t gn, const float *vin, float *acc_io, float *bacc_io, double *csum) {
    int k = 16 * nv;
    __m512 v_[8], a_[8], a2_[8], b_[8];
    for (int t = 0; t < nv; t++) {
        v_[t] = _mm512_loadu_ps(vin + 16 * t);
        a_[t] = _mm512_loadu_ps(acc_io + 16 * t);
        a2_[t] = _mm512_setzero_ps();
        b_[t] = bacc_io ? _mm512_loadu_ps(bacc_io + 16 * t) : _mm512_setzero_ps();
    }
    __m512 *bp = bacc_io ? b_ : NULL;
    double cs = 0;
    int64_t j = resid ? 0 : gn; /* first scattered entry */
    int64_t g4 = gn & ~(int64_t)3;
    if (!resid) { /* gathered part: contiguous, hardware-prefetched */
        int64_t q = 0;
        for (; q < g4; q += 4) {
            const float *r[4] = {G + (size_t)q * k, G + (size_t)(q + 1) * k, G + (size_t)(q + 2) * k,
                                 G + (size_t)(q + 3) * k};
            block4(0, nv, r, w + q, alpha, v_, a_, a2_, NULL, &cs, NULL);
        }
        for (; q < gn; q++) block1(0, nv, G + (size_t)q * k, w[q], alpha, v_, a_, NULL, &cs, NULL);
    }
    for (int64_t q = j; q < n && q < j + PF_DIST; q++) prefetch_row(Y + (size_t)idx[q] * k, nv);
    /* scattered part, 4 at a time while prefetch targets exist, copying into G below gn */
    for (; j + 4 <= n; j += 4) {
        const float *r[4];
        for (int i = 0; i < 4; i++) r[i] = Y + (size_t)idx[j + i] * k;
        int64_t pe = j + 4 + PF_DIST < n ? j + 4 + PF_DIST : n;
        for (int64_t q = j + PF_DIST; q < pe; q++) prefetch_row(Y + (size_t)idx[q] * k, nv);
        float *gout = resid && j + 4 <= g4 ? G + (size_t)j * k : NULL;
        if (resid && !gout && j < gn) { /* the block straddles gn: copy the gathered ones */
            for (int i = 0; i < 4 && j + i < gn; i++) memcpy(G + (size_t)(j + i) * k, r[i], (size_t)k * sizeof *G);
        }
        block4(resid, nv, r, w + j, alpha, v_, a_, a2_, bp, &cs, gout);
    }
    for (; j < n; j++)
        block1(resid, nv, Y + (size_t)idx[j] * k, w[j], alpha, v_, a_, bp, &cs,
               resid && j < gn ? G + (size_t)j * k : NULL);
    for (int t = 0; t < nv; t++) {
        _mm512_storeu_ps(acc_io + 16 * t, _mm512_add_ps(a_[t], a2_[t]));
        if (bacc_io) _mm512_storeu_ps(bacc_io + 16 * t, b_[t]);
    }
    if (csum) *csum = cs;
}

T512 double cg_row(int nv, const float *YtY, const float *Y, int steps, float alpha, const int32_t *idx,
                   const float *w, int64_t n, float *x, float *r, float *p, float *Ap, float *G, int64_t gn,
                   float *bv) {
    int k = 16 * nv;
    symv(YtY, x, r, nv);
    for (int a = 0; a < k; a++) r[a] = -r[a];
    double csum = 0;
    if (bv) memset(bv, 0, (size_t)k * sizeof *bv);
    if (n > 0) pass(1, nv, Y, idx, w, alpha, n, G, gn, x, r, bv, bv ? &csum : NULL);
    memcpy(p, r, (size_t)k * sizeof *p);
    float rsold = dot(r, r, nv);
    for (int s = 0; s < steps && rsold >= 1e-20f; s++) {
        symv(YtY, p, Ap, nv);
        if (n > 0) pass(0, nv, Y, idx, w, alpha, n, G, gn, p, Ap, NULL, NULL);
        float pAp = dot(p, Ap, nv);
        if (!(pAp > 0)) break;
        float a = rsold / pAp;
        __m512 av = _mm512_set1_ps(a);
        for (int t = 0; t < nv; t++) {
            _mm512_storeu_ps(x + 16 * t, _mm512_fmadd_ps(av, _mm512_loadu_ps(p + 16 * t), _mm512_loadu_ps(x + 16 * t)));
            _mm512_storeu_ps(r + 16 * t, _mm512_fnmadd_ps(av, _mm512_loadu_ps(Ap + 16 * t), _mm512_loadu_ps(r + 16 * t)));
        }
        float rsnew = dot(r, r, nv);
        if (rsnew < 1e-20f) break;
        float beta = rsnew / rsold;
        __m512 bb = _mm512_set1_ps(beta);
        for (int t = 0; t < nv; t++)
            _mm512_storeu_ps(p + 16 * t, _mm512_fmadd_ps(bb, _mm512_loadu_ps(p + 16 * t), _mm512_loadu_ps(r + 16 * t)));
        rsold = rsnew;
    }
    /* Objective part Σc − xᵀr − bᵀx (Ax = b − r), as in als.c. */
    return bv ? csum - (double)dot(x, r, nv) - (double)dot(bv, x, nv) : 0;
}

T512F double cg_row_2(const float *YtY, const float *Y, int steps, float alpha, const int32_t *idx, const float *w,
                      int64_t n, float *x, float *r, float *p, float *Ap, float *G, int64_t gn, float *bv) {
    return cg_row(2, YtY, Y, steps, alpha, idx, w, n, x, r, p, Ap, G, gn, bv);
}
T512F double cg_row_4(const float *YtY, const float *Y, int steps, float alpha, const int32_t *idx, const float *w,
                      int64_t n, float *x, float *r, float *p, float *Ap, float *G, int64_t gn, float *bv) {
    return cg_row(4, YtY, Y, steps, alpha, idx, w, n, x, r, p, Ap, G, gn, bv);
}
T512F double cg_row_8(const float *YtY, const float *Y, int steps, float alpha, const int32_t *idx, const float *w,
                      int64_t n, float *x, float *r, float *p, float *Ap, float *G, int64_t gn, float *bv) {
    return cg_row(8, YtY, Y, steps, alpha, idx, w, n, x, r, p, Ap, G, gn, bv);
}

int tide_als_cg512_supported(int k) {
    if (k != 32 && k != 64 && k != 128) return 0;
    /* The backend's choice: AVX-512 present and TIDE_ALS_PORTABLE unset (tide/backend.h). */
    return tide_cpu_kernels_get()->als_avx512;
}

double tide_als_cg512_row(int k, const float *YtY, const float *Y, int steps, float alpha, const int32_t *idx,
                          const float *w, int64_t n, float *x, float *scratch, float *G, int64_t gn, int want_loss) {
    float *r = scratch, *p = scratch + k, *Ap = scratch + 2 * k, *bv = want_loss ? scratch + 3 * k : NULL;
    if (k == 32) return cg_row_2(YtY, Y, steps, alpha, idx, w, n, x, r, p, Ap, G, gn, bv);
    if (k == 64) return cg_row_4(YtY, Y, steps, alpha, idx, w, n, x, r, p, Ap, G, gn, bv);
    return cg_row_8(YtY, Y, steps, alpha, idx, w, n, x, r, p, Ap, G, gn, bv);
}

#else
int tide_als_cg512_supported(int k) { (void)k; return 0; }
double tide_als_cg512_row(int k, const float *YtY, const float *Y, int steps, float alpha, const int32_t *idx,
                          const float *w, int64_t n, float *x, float *scratch, float *G, int64_t gn, int want_loss) {
    (void)k; (void)YtY; (void)Y; (void)steps; (void)alpha; (void)idx; (void)w; (void)n; (void)x; (void)scratch;
    (void)G; (void)gn; (void)want_loss;
    return 0;
}
#endif
