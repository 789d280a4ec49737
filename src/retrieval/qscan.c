/* qscan.c — exact top-K of one query over many item vectors through an int8 pre-score with a
 * rigorous error bound (tide/qscan.h).
 *
 * Why it is exact: for item x with quantised x̂ = s·x8 and query q with q̃ = s_q·q8,
 *   q·x − q̃·x̂ = q·(x − x̂) + (q − q̃)·x̂,  so  |q·x − p| ≤ ‖q‖‖x − x̂‖ + ‖q − q̃‖‖x̂‖
 * with p = s_q·s·(q8·x8) (an exact integer dot). The fp32 score f the exhaustive scan computes
 * differs from q·x (+ bias) by at most γ‖q‖‖x‖ + the underflow of d products + the rounding of
 * the bias add (standard bounds, γ = (d+5)·2⁻²⁴·1.01). So every item lies in [p − m, p + m]. Let T
 * be the kk-th largest lower bound among the eligible columns: kk items have f ≥ T, so an item
 * whose upper bound is below T is beaten strictly by kk others and can be in no top-kk under any
 * tie rule. The survivors are re-scored with the same kernel and fed, in column order, to the
 * same running top-K as the exhaustive scan, which therefore picks the same items, scores and
 * ties. Everything in the bound is computed in double and inflated, so double rounding cannot
 * break it.
 *
 * Kernels: the fp32 dot keeps 16 lane sums (index mod 16) and folds them in a fixed order; this
 * file is compiled with -ffp-contract=off, so the baseline, AVX2 and AVX-512 builds of the same
 * loop give the same bits (the unit test checks it). The int8 dot is integer arithmetic. */
#include "tide/qscan.h"
#include "tide/clones.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "retrieval-impl.h"

struct tide_qindex {
    const float *Y;
    int64_t n, d;
    int8_t *q8;      /* [n, d] */
    double *scale;   /* x̂ = scale · x8 */
    double *err;     /* ‖x − x̂‖ + ((1+u)γ + u)‖x‖, rounded up: the query-norm part of the bound */
    double *xn;      /* ‖x‖, rounded up */
    double *xhn;     /* ‖x̂‖, rounded up */
    double max_xn;
    double max_err, max_xhn;   /* the largest err and xhn: a margin valid for every item */
    /* Optional (tide_qindex_interleave): x8 again, 16 items side by side — block b, dimension
     * group k (4 dims) is 64 bytes, item 16b + l's 4 bytes at 4l — so one VNNI instruction
     * multiplies 16 items by one query's 4 dims: no per-item horizontal sums. Stored as the
     * unsigned bytes VNNI takes, x + 128 (x XOR 0x80); padding is 128 (a zero). */
    int8_t *x16;
    int64_t d4;      /* dimension groups: ceil(d / 4) */
};

#define UP(x) ((x) * (1 + 1e-9) + 1e-300)
/* The relative error bound of one fp32 dot of length d (products, ≤ d/16 lane adds, 4 folds). */
#define GAMMA(d) ((double)((d) + 5) * 0x1p-24 * 1.01)

/* ---- kernels ------------------------------------------------------------------------------- */

static inline __attribute__((always_inline)) float dot16(const float *a, const float *b, int64_t d) {
    float acc[16] = {0};
    int64_t j = 0;
    for (; j + 16 <= d; j += 16)
        for (int l = 0; l < 16; l++) acc[l] += a[j + l] * b[j + l];
    for (int l = 0; j + l < d; l++) acc[l] += a[j + l] * b[j + l];
    for (int s = 8; s; s >>= 1)
        for (int l = 0; l < s; l++) acc[l] += acc[l + s];
    return acc[0];
}

static inline __attribute__((always_inline)) int32_t qdot(const int8_t *a, const int8_t *b, int64_t d) {
    int32_t s = 0;
    for (int64_t j = 0; j < d; j++) s += (int32_t)a[j] * (int32_t)b[j];
    return s;
}

#define KERNELS(SUF, ATTR)                                                                                      \
    __attribute__((unused)) ATTR static void dots_##SUF(const float *q, const float *Y, int64_t n, int64_t d, float *out) {            \
        for (int64_t j = 0; j < n; j++) out[j] = dot16(q, Y + (size_t)j * (size_t)d, d);                       \
    }                                                                                                           \
    __attribute__((unused)) ATTR static void qdots_##SUF(const int8_t *q, const int8_t *X, const int32_t *cand, int64_t C, int64_t d,  \
                                 int32_t *out) {                                                                \
        for (int64_t c = 0; c < C; c++) out[c] = qdot(q, X + (size_t)(cand ? cand[c] : c) * (size_t)d, d);     \
    }

KERNELS(base, )
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_X86 1
#include <immintrin.h>
KERNELS(avx2, __attribute__((target("avx2"))))
KERNELS(avx512, __attribute__((target("avx512f,avx512bw"))))

/* The int8 dots by hand: the compiler's widening multiplies cost 3× a sign-extend + madd. */
__attribute__((target("avx2"))) static void qdots_avx2_x(const int8_t *q, const int8_t *X, const int32_t *cand, int64_t C,
                                                         int64_t d, int32_t *out) {
    int64_t d16 = d / 16 * 16;
    for (int64_t c = 0; c < C; c++) {
        const int8_t *x = X + (size_t)(cand ? cand[c] : c) * (size_t)d;
        __m256i acc = _mm256_setzero_si256();
        for (int64_t j = 0; j < d16; j += 16) {
            __m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + j)));
            __m256i b = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + j)));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
        }
        __m128i h = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
        int32_t s = _mm_cvtsi128_si32(h);
        for (int64_t j = d16; j < d; j++) s += (int32_t)q[j] * (int32_t)x[j];
        out[c] = s;
    }
}

__attribute__((target("avx512f,avx512bw"))) static void qdots_avx512_x(const int8_t *q, const int8_t *X, const int32_t *cand,
                                                                      int64_t C, int64_t d, int32_t *out) {
    int64_t d32 = d / 32 * 32;
    for (int64_t c = 0; c < C; c++) {
        const int8_t *x = X + (size_t)(cand ? cand[c] : c) * (size_t)d;
        __m512i acc = _mm512_setzero_si512();
        for (int64_t j = 0; j < d32; j += 32) {
            __m512i a = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(q + j)));
            __m512i b = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(x + j)));
            acc = _mm512_add_epi32(acc, _mm512_madd_epi16(a, b));
        }
        int32_t s = _mm512_reduce_add_epi32(acc);
        for (int64_t j = d32; j < d; j++) s += (int32_t)q[j] * (int32_t)x[j];
        out[c] = s;
    }
}
#endif

typedef void (*dots_fn)(const float *, const float *, int64_t, int64_t, float *);
typedef void (*qdots_fn)(const int8_t *, const int8_t *, const int32_t *, int64_t, int64_t, int32_t *);

static int g_level = -1;

static int cpu_level(void) {
#ifdef HAVE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni"))
        return 3;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
#endif
    return 0;
}

int tide_qscan_level(void) {
    int l = __atomic_load_n(&g_level, __ATOMIC_RELAXED);
    if (l < 0) {
        l = cpu_level();
        __atomic_store_n(&g_level, l, __ATOMIC_RELAXED);
    }
    return l;
}

int tide_qscan_force(int level) {
    if (level < 0) {
        __atomic_store_n(&g_level, cpu_level(), __ATOMIC_RELAXED);
        return 1;
    }
    if (level > cpu_level()) return 0;
    __atomic_store_n(&g_level, level, __ATOMIC_RELAXED);
    return 1;
}

static dots_fn pick_dots(void) {
#ifdef HAVE_X86
    switch (tide_qscan_level()) {
    case 3: case 2: return dots_avx512;
    case 1: return dots_avx2;
    }
#endif
    return dots_base;
}

static qdots_fn pick_qdots(void) {
#ifdef HAVE_X86
    switch (tide_qscan_level()) {
    case 3: case 2: return qdots_avx512_x;
    case 1: return qdots_avx2_x;
    }
#endif
    return qdots_base;
}

void tide_qscan_dot(const float *q, const float *Y, int64_t n, int64_t d, float *out) { pick_dots()(q, Y, n, d, out); }

/* ---- index --------------------------------------------------------------------------------- */

/* x8 = round(x / scale) clamped to ±127 (scale = max|x| / 127); the bound uses the values
 * actually stored, so clamping or a subnormal scale only loosens it. */
static void quantise(const float *x, int64_t d, int8_t *x8, double *scale, double *err, double *xhn, double *xn) {
    double mx = 0, e = 0, h = 0, nn = 0;
    for (int64_t j = 0; j < d; j++) mx = fabs((double)x[j]) > mx ? fabs((double)x[j]) : mx;
    double s = mx / 127;
    for (int64_t j = 0; j < d; j++) {
        double v = s > 0 ? nearbyint((double)x[j] / s) : 0;
        v = v > 127 ? 127 : v < -127 ? -127 : v;
        x8[j] = (int8_t)v;
        double xh = s * v, r = (double)x[j] - xh;
        e += r * r;
        h += xh * xh;
        nn += (double)x[j] * x[j];
    }
    *scale = s;
    *err = UP(sqrt(e));
    *xhn = UP(sqrt(h));
    *xn = UP(sqrt(nn));
}

tide_status tide_qindex_build(const float *Y, int64_t n, int64_t d, tide_qindex **out) {
    *out = NULL;
    if (n < 0 || d < 1 || d > 100000) return tide_error(TIDE_ERR_USAGE, "quantised index: dimension %lld not in [1, 100000]", (long long)d);
    tide_qindex *ix = calloc(1, sizeof *ix);
    if (!ix) return TIDE_ERR_NOMEM;
    ix->Y = Y;
    ix->n = n;
    ix->d = d;
    ix->q8 = malloc((size_t)n * (size_t)d + 1);
    ix->scale = malloc(((size_t)n + 1) * sizeof(double));
    ix->err = malloc(((size_t)n + 1) * sizeof(double));
    ix->xn = malloc(((size_t)n + 1) * sizeof(double));
    ix->xhn = malloc(((size_t)n + 1) * sizeof(double));
    if (!ix->q8 || !ix->scale || !ix->err || !ix->xn || !ix->xhn) {
        tide_qindex_free(ix);
        return TIDE_ERR_NOMEM;
    }
    double mx = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *x = Y + (size_t)i * (size_t)d;
        for (int64_t j = 0; j < d; j++)
            if (!isfinite(x[j])) {
                tide_qindex_free(ix);
                return tide_error(TIDE_ERR_DATA, "quantised index: item %lld has a non-finite value", (long long)i);
            }
        quantise(x, d, ix->q8 + (size_t)i * (size_t)d, &ix->scale[i], &ix->err[i], &ix->xhn[i], &ix->xn[i]);
        if (ix->xn[i] > mx) mx = ix->xn[i];
        ix->err[i] = UP(ix->err[i] + ((1 + 0x1p-24) * GAMMA(d) + 0x1p-24) * ix->xn[i]);
        if (ix->err[i] > ix->max_err) ix->max_err = ix->err[i];
        if (ix->xhn[i] > ix->max_xhn) ix->max_xhn = ix->xhn[i];
    }
    ix->max_xn = mx;
    *out = ix;
    return TIDE_OK;
}

void tide_qindex_free(tide_qindex *ix) {
    if (!ix) return;
    free(ix->q8);
    free(ix->x16);
    free(ix->scale);
    free(ix->err);
    free(ix->xn);
    free(ix->xhn);
    free(ix);
}

tide_status tide_qindex_interleave(tide_qindex *ix) {
    if (ix->x16) return TIDE_OK;
    int64_t d4 = (ix->d + 3) / 4, nb = (ix->n + 15) / 16;
    int8_t *x = malloc((size_t)nb * (size_t)d4 * 64 + 1);
    if (!x) return TIDE_ERR_NOMEM;
    memset(x, 0x80, (size_t)nb * (size_t)d4 * 64 + 1);
    for (int64_t i = 0; i < ix->n; i++)
        for (int64_t j = 0; j < ix->d; j++)
            x[((size_t)(i / 16) * (size_t)d4 + (size_t)(j / 4)) * 64 + (size_t)(i % 16) * 4 + (size_t)(j % 4)] =
                (int8_t)(ix->q8[(size_t)i * (size_t)ix->d + (size_t)j] ^ (int8_t)0x80);
    ix->d4 = d4;
    ix->x16 = x;
    return TIDE_OK;
}

int64_t tide_qindex_n(const tide_qindex *ix) { return ix->n; }
int64_t tide_qindex_dim(const tide_qindex *ix) { return ix->d; }
size_t tide_qindex_bytes(const tide_qindex *ix) {
    return (size_t)ix->n * ((size_t)ix->d + 4 * sizeof(double)) + (ix->x16 ? (size_t)(ix->n + 15) / 16 * (size_t)ix->d4 * 64 : 0);
}

/* ---- top-K --------------------------------------------------------------------------------- */

/* A min-heap of the kk largest lower bounds (root = the kk-th). */
static void lb_push(double *h, int *n, int kk, double x) {
    if (*n < kk) {
        int i = (*n)++;
        h[i] = x;
        while (i > 0 && h[(i - 1) / 2] > h[i]) {
            double t = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    if (x <= h[0]) return;
    h[0] = x;
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < kk && h[l] < h[m]) m = l;
        if (r < kk && h[r] < h[m]) m = r;
        if (m == i) break;
        double t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

int tide_qindex_topk(const tide_qindex *ix, const float *q, const float *bias, int64_t C, const int32_t *cand,
                     const int32_t *ex, int64_t n_ex, int kk, float *val, int32_t *idx, int *np, int64_t *rescored) {
    int64_t d = ix->d;
    if (rescored) *rescored = 0;
    double qn2 = 0, qmax = 0;
    for (int64_t j = 0; j < d; j++) {
        if (!isfinite(q[j])) return 0;
        qn2 += (double)q[j] * q[j];
        if (fabs((double)q[j]) > qmax) qmax = fabs((double)q[j]);
    }
    double qn = UP(sqrt(qn2));
    /* fp32 scores near overflow would leave the bound's world: scan exhaustively. */
    if (qn * ix->max_xn > 1e36) return 0;
    /* Pass 1 keeps (column, upper bound) of the items whose bound reaches the running kk-th
     * lower bound; that threshold only rises, so the final filter below loses nothing. No
     * per-column array: the dots go through a small block on the stack. */
    enum { BLK = 512 };
    int32_t dots[BLK];
    int8_t *q8 = malloc((size_t)d + 1);
    double *heap = malloc(((size_t)kk + 1) * sizeof *heap);
    size_t cap = 4096, nl = 0;
    int32_t *lc = malloc(cap * sizeof *lc);
    double *lu = malloc(cap * sizeof *lu);
    int ok = q8 && heap && lc && lu;
    if (ok) {
        double sq = qmax / 127, qe2 = 0;
        for (int64_t j = 0; j < d; j++) {
            double v = sq > 0 ? nearbyint((double)q[j] / sq) : 0;
            v = v > 127 ? 127 : v < -127 ? -127 : v;
            q8[j] = (int8_t)v;
            double r = (double)q[j] - sq * v;
            qe2 += r * r;
        }
        double qe = UP(sqrt(qe2));
        const double u = 0x1p-24, uf = (1 + u) * (double)(d + 5) * FLT_TRUE_MIN;
        qdots_fn qd = pick_qdots();
        int hn = 0;
        double T = -INFINITY;
        int64_t e = 0;
        for (int64_t c0 = 0; c0 < C && ok; c0 += BLK) {
            int64_t w = C - c0 < BLK ? C - c0 : BLK;
            if (cand) qd(q8, ix->q8, cand + c0, w, d, dots);
            else qd(q8, ix->q8 + (size_t)c0 * (size_t)d, NULL, w, d, dots);
            for (int64_t t = 0; t < w; t++) {
                int64_t c = c0 + t;
                while (e < n_ex && ex[e] < c) e++;
                if (e < n_ex && ex[e] == c) continue;
                int64_t i = cand ? cand[c] : c;
                double p = sq * ix->scale[i] * (double)dots[t];
                double b = bias ? (double)bias[c] : 0;
                if (!(fabs(b) < 1e36)) {
                    ok = 0;
                    break;
                }
                double m = UP(qn * ix->err[i] + qe * ix->xhn[i] + uf + u * fabs(b) + 1e-12 * (fabs(p) + fabs(b)));
                double hi = p + b + m;
                if (!(hi >= T)) continue;
                double lo = p + b - m;
                if (hn < kk || lo > heap[0]) {
                    lb_push(heap, &hn, kk, lo);
                    if (hn == kk) T = heap[0];
                }
                if (nl == cap) {
                    cap *= 2;
                    int32_t *x = realloc(lc, cap * sizeof *lc);
                    if (x) lc = x;
                    double *y = x ? realloc(lu, cap * sizeof *lu) : NULL;
                    if (y) lu = y;
                    if (!x || !y) {
                        ok = 0;
                        break;
                    }
                }
                lc[nl] = (int32_t)c;
                lu[nl] = hi;
                nl++;
            }
        }
        if (ok) {
            dots_fn dot = pick_dots();
            int64_t nres = 0;
            for (size_t t = 0; t < nl; t++) {
                if (!(lu[t] >= T)) continue;
                int64_t c = lc[t], i = cand ? cand[c] : c;
                float f;
                dot(q, ix->Y + (size_t)i * (size_t)d, 1, d, &f);
                if (bias) f = f + bias[c];
                tide_topk_scan(val, idx, np, kk, &f, 1, (int32_t)c);
                nres++;
            }
            if (rescored) *rescored = nres;
        }
    }
    free(q8);
    free(heap);
    free(lc);
    free(lu);
    return ok;
}

/* ---- several queries in one pass ----------------------------------------------------------- */

struct tide_qmulti {
    const tide_qindex *ix;
    int nq, nq4;     /* queries; rounded up to a multiple of 4 (zero rows) for the kernels */
    int16_t *q16;    /* [nq4, d] the int8 queries widened once, so each item's row is widened once */
    int8_t *q8;      /* [nq4 + 4, d] the same as int8 (VNNI) */
    int32_t *qb;     /* [nq4 + 4] 128 · Σ q over the first d/64·64 coordinates (VNNI's unsigned bias) */
    int32_t *qw;     /* [nq, d4] the int8 queries' dimension groups as 32-bit words (interleaved VNNI) */
    int32_t *qball;  /* [nq] 128 · Σ q */
    double *sq, *qn, *qe;
};

/* out[t·w + i] = Q_t · x8(item of column c0 + i), exactly (integer arithmetic). */
static void qmdots_base(const int16_t *Q, int nq, int nq4, const int8_t *X, const int32_t *cand, int64_t c0, int64_t w,
                        int64_t d, int32_t *out) {
    (void)nq4;
    for (int64_t i = 0; i < w; i++) {
        const int8_t *x = X + (size_t)(cand ? cand[c0 + i] : c0 + i) * (size_t)d;
        for (int t = 0; t < nq; t++) {
            const int16_t *q = Q + (size_t)t * (size_t)d;
            int32_t s = 0;
            for (int64_t j = 0; j < d; j++) s += (int32_t)q[j] * (int32_t)x[j];
            out[(size_t)t * (size_t)w + (size_t)i] = s;
        }
    }
}

#ifdef HAVE_X86
__attribute__((target("avx2"))) static inline int32_t hsum256(__m256i a) {
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
    return _mm_cvtsi128_si32(h);
}

__attribute__((target("avx2"))) static void qmdots_avx2(const int16_t *Q, int nq, int nq4, const int8_t *X,
                                                        const int32_t *cand, int64_t c0, int64_t w, int64_t d, int32_t *out) {
    int64_t d16 = d / 16 * 16;
    for (int64_t i = 0; i < w; i++) {
        const int8_t *x = X + (size_t)(cand ? cand[c0 + i] : c0 + i) * (size_t)d;
        for (int t0 = 0; t0 < nq4; t0 += 4) {
            const int16_t *q0 = Q + (size_t)t0 * (size_t)d, *q1 = q0 + d, *q2 = q1 + d, *q3 = q2 + d;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
            for (int64_t j = 0; j < d16; j += 16) {
                __m256i xv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + j)));
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(xv, _mm256_loadu_si256((const __m256i *)(q0 + j))));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(xv, _mm256_loadu_si256((const __m256i *)(q1 + j))));
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(xv, _mm256_loadu_si256((const __m256i *)(q2 + j))));
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(xv, _mm256_loadu_si256((const __m256i *)(q3 + j))));
            }
            int32_t s[4] = {hsum256(a0), hsum256(a1), hsum256(a2), hsum256(a3)};
            for (int64_t j = d16; j < d; j++) {
                s[0] += (int32_t)q0[j] * x[j];
                s[1] += (int32_t)q1[j] * x[j];
                s[2] += (int32_t)q2[j] * x[j];
                s[3] += (int32_t)q3[j] * x[j];
            }
            for (int u = 0; u < 4 && t0 + u < nq; u++) out[(size_t)(t0 + u) * (size_t)w + (size_t)i] = s[u];
        }
    }
}

__attribute__((target("avx512f,avx512bw"))) static void qmdots_avx512(const int16_t *Q, int nq, int nq4, const int8_t *X,
                                                                      const int32_t *cand, int64_t c0, int64_t w, int64_t d,
                                                                      int32_t *out) {
    int64_t d32 = d / 32 * 32;
    for (int64_t i = 0; i < w; i++) {
        const int8_t *x = X + (size_t)(cand ? cand[c0 + i] : c0 + i) * (size_t)d;
        for (int t0 = 0; t0 < nq4; t0 += 4) {
            const int16_t *q0 = Q + (size_t)t0 * (size_t)d, *q1 = q0 + d, *q2 = q1 + d, *q3 = q2 + d;
            __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
            for (int64_t j = 0; j < d32; j += 32) {
                __m512i xv = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(x + j)));
                a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(xv, _mm512_loadu_si512((const void *)(q0 + j))));
                a1 = _mm512_add_epi32(a1, _mm512_madd_epi16(xv, _mm512_loadu_si512((const void *)(q1 + j))));
                a2 = _mm512_add_epi32(a2, _mm512_madd_epi16(xv, _mm512_loadu_si512((const void *)(q2 + j))));
                a3 = _mm512_add_epi32(a3, _mm512_madd_epi16(xv, _mm512_loadu_si512((const void *)(q3 + j))));
            }
            int32_t s[4] = {_mm512_reduce_add_epi32(a0), _mm512_reduce_add_epi32(a1), _mm512_reduce_add_epi32(a2),
                            _mm512_reduce_add_epi32(a3)};
            for (int64_t j = d32; j < d; j++) {
                s[0] += (int32_t)q0[j] * x[j];
                s[1] += (int32_t)q1[j] * x[j];
                s[2] += (int32_t)q2[j] * x[j];
                s[3] += (int32_t)q3[j] * x[j];
            }
            for (int u = 0; u < 4 && t0 + u < nq; u++) out[(size_t)(t0 + u) * (size_t)w + (size_t)i] = s[u];
        }
    }
}
#endif

#ifdef HAVE_X86
/* VNNI multiplies unsigned by signed bytes: x + 128 (x XOR 0x80) times q, minus 128·Σq. G queries
 * (8 or 4) per pass over the item's row, the accumulators in registers. */
#define QMD_GROUP(G)                                                                                             \
    do {                                                                                                         \
        __m512i a[G];                                                                                            \
        for (int u = 0; u < G; u++) a[u] = _mm512_setzero_si512();                                               \
        for (int64_t j = 0; j < d64; j += 64) {                                                                  \
            __m512i xu = _mm512_xor_si512(_mm512_loadu_si512((const void *)(x + j)), flip);                      \
            for (int u = 0; u < G; u++)                                                                          \
                a[u] = _mm512_dpbusd_epi32(a[u], xu, _mm512_loadu_si512((const void *)(Q + (size_t)(g + u) * (size_t)d + j))); \
        }                                                                                                        \
        for (int u = 0; u < G && g + u < nq; u++) {                                                              \
            const int8_t *q = Q + (size_t)(g + u) * (size_t)d;                                                   \
            int32_t s = _mm512_reduce_add_epi32(a[u]) - qb[g + u];                                               \
            for (int64_t j = d64; j < d; j++) s += (int32_t)q[j] * x[j];                                         \
            out[(size_t)(g + u) * (size_t)w + (size_t)i] = s;                                                    \
        }                                                                                                        \
    } while (0)

/* The interleaved layout: 16 items per instruction, G queries per pass over a block of 16. */
#define QMD16_GROUP(G)                                                                                           \
    do {                                                                                                         \
        __m512i a[G];                                                                                            \
        for (int u = 0; u < G; u++) a[u] = _mm512_setzero_si512();                                               \
        for (int64_t k = 0; k < d4; k++) {                                                                       \
            __m512i xu = _mm512_loadu_si512((const void *)(xb + (size_t)k * 64));                                 \
            for (int u = 0; u < G; u++) a[u] = _mm512_dpbusd_epi32(a[u], xu, _mm512_set1_epi32(qw[(size_t)(g + u) * (size_t)d4 + (size_t)k])); \
        }                                                                                                        \
        for (int u = 0; u < G; u++) {                                                                            \
            __m512i r = _mm512_sub_epi32(a[u], _mm512_set1_epi32(qball[g + u]));                                 \
            _mm512_mask_storeu_epi32(out + (size_t)(g + u) * (size_t)w + (size_t)(b * 16 - c0), keep, r);        \
        }                                                                                                        \
    } while (0)

/* Columns [c0, c0 + w) without an allow-list, c0 a multiple of 16. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void qmdots_vnni16(const tide_qindex *ix, const int32_t *qw,
                                                                                 const int32_t *qball, int nq, int64_t c0,
                                                                                 int64_t w, int32_t *out) {
    int64_t d4 = ix->d4;
    for (int64_t b = c0 / 16; b * 16 < c0 + w; b++) {
        const int8_t *xb = ix->x16 + (size_t)b * (size_t)d4 * 64;
        int64_t lanes = c0 + w - b * 16 < 16 ? c0 + w - b * 16 : 16;
        __mmask16 keep = (__mmask16)((1u << lanes) - 1);
        /* all of a group's accumulators in registers: one pass over the block per 8 queries */
        for (int g = 0; g < nq;) {
            switch (nq - g >= 8 ? 8 : nq - g) {
            case 8: QMD16_GROUP(8); g += 8; break;
            case 7: QMD16_GROUP(7); g += 7; break;
            case 6: QMD16_GROUP(6); g += 6; break;
            case 5: QMD16_GROUP(5); g += 5; break;
            case 4: QMD16_GROUP(4); g += 4; break;
            case 3: QMD16_GROUP(3); g += 3; break;
            case 2: QMD16_GROUP(2); g += 2; break;
            default: QMD16_GROUP(1); g += 1; break;
            }
        }
    }
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void qmdots_vnni(const int8_t *Q, const int32_t *qb, int nq,
                                                                               const int8_t *X, const int32_t *cand, int64_t c0,
                                                                               int64_t w, int64_t d, int32_t *out) {
    int64_t d64 = d / 64 * 64;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    for (int64_t i = 0; i < w; i++) {
        const int8_t *x = X + (size_t)(cand ? cand[c0 + i] : c0 + i) * (size_t)d;
        for (int g = 0; g < nq;) {
            if (nq - g > 4) {
                QMD_GROUP(8);
                g += 8;
            } else {
                QMD_GROUP(4);
                g += 4;
            }
        }
    }
}
#endif

typedef void (*qmdots_fn)(const int16_t *, int, int, const int8_t *, const int32_t *, int64_t, int64_t, int64_t, int32_t *);

static qmdots_fn pick_qmdots(void) {
#ifdef HAVE_X86
    switch (tide_qscan_level()) {
    case 3: /* VNNI: see tide_qmulti_block */
    case 2: return qmdots_avx512;
    case 1: return qmdots_avx2;
    }
#endif
    return qmdots_base;
}

void tide_qmulti_free(tide_qmulti *m) {
    if (!m) return;
    free(m->q16);
    free(m->q8);
    free(m->qb);
    free(m->qw);
    free(m->qball);
    free(m->sq);
    free(m);
}

int tide_qmulti_n(const tide_qmulti *m) { return m->nq; }

double tide_qmulti_margin(const tide_qmulti *m, int t) {
    /* the per-item margin with every item's err and xhn at their maximum, and |p| <= ‖q̃‖‖x̂‖ <=
     * (qn + qe)·xhn for its relative term */
    const tide_qindex *ix = m->ix;
    const double u = 0x1p-24, uf = (1 + u) * (double)(ix->d + 5) * FLT_TRUE_MIN;
    double pmax = UP((m->qn[t] + m->qe[t]) * ix->max_xhn);
    return UP(UP(m->qn[t] * ix->max_err + m->qe[t] * ix->max_xhn + uf + 1e-12 * pmax));
}

tide_status tide_qmulti_new(const tide_qindex *ix, const float *Q, int nq, tide_qmulti **out) {
    *out = NULL;
    int64_t d = ix->d;
    if (nq < 1) return tide_error(TIDE_ERR_USAGE, "quantised index: no queries");
    tide_qmulti *m = calloc(1, sizeof *m);
    if (!m) return TIDE_ERR_NOMEM;
    m->ix = ix;
    m->nq = nq;
    m->nq4 = (nq + 3) / 4 * 4;
    m->q16 = calloc((size_t)m->nq4 * (size_t)d + 1, sizeof *m->q16);
    m->q8 = calloc(((size_t)m->nq4 + 4) * (size_t)d + 1, sizeof *m->q8);
    m->qb = calloc((size_t)m->nq4 + 4, sizeof *m->qb);
    int64_t d4 = (d + 3) / 4;
    m->qw = calloc((size_t)nq * (size_t)d4 + 1, sizeof *m->qw);
    m->qball = calloc((size_t)nq, sizeof *m->qball);
    m->sq = malloc(3 * (size_t)nq * sizeof *m->sq);
    if (!m->q16 || !m->q8 || !m->qb || !m->qw || !m->qball || !m->sq) {
        tide_qmulti_free(m);
        return TIDE_ERR_NOMEM;
    }
    m->qn = m->sq + nq;
    m->qe = m->qn + nq;
    for (int t = 0; t < nq; t++) {
        const float *q = Q + (size_t)t * (size_t)d;
        double qn2 = 0, qmax = 0;
        for (int64_t j = 0; j < d; j++) {
            if (!isfinite(q[j])) {
                tide_qmulti_free(m);
                return TIDE_OK;   /* cannot be bounded: *out stays NULL */
            }
            qn2 += (double)q[j] * q[j];
            if (fabs((double)q[j]) > qmax) qmax = fabs((double)q[j]);
        }
        double qn = UP(sqrt(qn2));
        if (qn * ix->max_xn > 1e36) {
            tide_qmulti_free(m);
            return TIDE_OK;
        }
        /* the quantisation of tide_qindex_topk's query */
        double sq = qmax / 127, qe2 = 0;
        for (int64_t j = 0; j < d; j++) {
            double v = sq > 0 ? nearbyint((double)q[j] / sq) : 0;
            v = v > 127 ? 127 : v < -127 ? -127 : v;
            m->q16[(size_t)t * (size_t)d + (size_t)j] = (int16_t)v;
            m->q8[(size_t)t * (size_t)d + (size_t)j] = (int8_t)v;
            if (j < d / 64 * 64) m->qb[t] += 128 * (int32_t)v;
            m->qball[t] += 128 * (int32_t)v;
            ((int8_t *)(m->qw + (size_t)t * (size_t)d4))[j] = (int8_t)v;
            double r = (double)q[j] - sq * v;
            qe2 += r * r;
        }
        m->sq[t] = sq;
        m->qn[t] = qn;
        m->qe[t] = UP(sqrt(qe2));
    }
    *out = m;
    return TIDE_OK;
}


/* est only (the caller takes tide_qmulti_margin). */
TIDE_CLONES_WIDE static void est_run(double sq, const double *sc, const int32_t *dt, int64_t n, double *e) {
    for (int64_t i = 0; i < n; i++) e[i] = sq * sc[i] * (double)dt[i];
}

/* est and mar of one query over contiguous columns. Plain double arithmetic without contraction
 * (this file's -ffp-contract=off): the same bits at every vector width. */
TIDE_CLONES_WIDE static void bounds_run(double sq, double qn, double qe, double uf, const double *sc, const double *er,
                                   const double *xh, const int32_t *dt, int64_t n, double *e, double *mr) {
    for (int64_t i = 0; i < n; i++) {
        double p = sq * sc[i] * (double)dt[i];
        e[i] = p;
        mr[i] = UP(qn * er[i] + qe * xh[i] + uf + 1e-12 * fabs(p));
    }
}

void tide_qmulti_block(const tide_qmulti *m, int64_t c0, int64_t w, const int32_t *cand, double *est, double *mar) {
    const tide_qindex *ix = m->ix;
    int64_t d = ix->d;
    enum { BLK = 256 };
    int32_t dots[16 * BLK];
    const double u = 0x1p-24, uf = (1 + u) * (double)(d + 5) * FLT_TRUE_MIN;
    qmdots_fn qd = pick_qmdots();
#ifdef HAVE_X86
    int vnni = tide_qscan_level() >= 3;
#endif
    /* at most 16 queries per kernel call (the stack block); more go round again */
    for (int t0 = 0; t0 < m->nq; t0 += 16) {
        int nt = m->nq - t0 < 16 ? m->nq - t0 : 16;
        for (int64_t b0 = 0; b0 < w; b0 += BLK) {
            int64_t bw = w - b0 < BLK ? w - b0 : BLK;
#ifdef HAVE_X86
            if (vnni && !cand && ix->x16 && (c0 + b0) % 16 == 0) {
                qmdots_vnni16(ix, m->qw + (size_t)t0 * (size_t)((d + 3) / 4), m->qball + t0, nt, c0 + b0, bw, dots);
            } else if (vnni) {
                qmdots_vnni(m->q8 + (size_t)t0 * (size_t)d, m->qb + t0, nt, ix->q8, cand, c0 + b0, bw, d, dots);
            } else
#endif
            qd(m->q16 + (size_t)t0 * (size_t)d, nt, (nt + 3) / 4 * 4, ix->q8, cand, c0 + b0, bw, d, dots);
            for (int t = 0; t < nt; t++) {
                int q = t0 + t;
                double sq = m->sq[q], qn = m->qn[q], qe = m->qe[q];
                double *e = est + (size_t)q * (size_t)w + (size_t)b0;
                const int32_t *dt = dots + (size_t)t * (size_t)bw;
                if (!mar) {   /* est only */
                    if (cand)
                        for (int64_t i = 0; i < bw; i++) e[i] = sq * ix->scale[cand[c0 + b0 + i]] * (double)dt[i];
                    else
                        est_run(sq, ix->scale + c0 + b0, dt, bw, e);
                    continue;
                }
                double *mr = mar + (size_t)q * (size_t)w + (size_t)b0;
                if (cand)
                    for (int64_t i = 0; i < bw; i++) {
                        int64_t it = cand[c0 + b0 + i];
                        double p = sq * ix->scale[it] * (double)dt[i];
                        e[i] = p;
                        mr[i] = UP(qn * ix->err[it] + qe * ix->xhn[it] + uf + 1e-12 * fabs(p));
                    }
                else   /* contiguous: vectorised */
                    bounds_run(sq, qn, qe, uf, ix->scale + c0 + b0, ix->err + c0 + b0, ix->xhn + c0 + b0, dt, bw, e, mr);
            }
        }
    }
}
