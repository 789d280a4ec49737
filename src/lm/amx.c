/* amx.c — float32-accurate dense layers on Intel AMX tiles (the bf16x6 split, see lm-amx.h).
 *
 * Layouts are chosen so that every tile load reads 1 KiB of contiguous memory (row stride 64
 * bytes): a strided load of rows 3 KiB apart (K = 1536) maps all 16 rows onto 4 L1 sets and
 * thrashes. A micro-tile is 32 x 32 outputs in 4 accumulator tiles, fed by 2 A and 2 B tiles,
 * which stay in the tiles over the whole of K. Activations are split a 64-row panel at a time,
 * into a buffer that stays in L2 while the weights stream past it (see panel_rows). */
#define _GNU_SOURCE
#include "lm-amx.h"
#include "lm-math.h"
#include "tide/backend.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define LM_HAVE_AMX 1
#include <immintrin.h>
#endif

static int round32(int x) { return (x + 31) / 32 * 32; }

/* Rows per panel: the panel's split activations (rows x K x 3 terms x 2 bytes, about 576 KiB:
 * 256 rows at K = 384, 64 at K = 1536) stay in L2 while all the weights stream past them once per
 * panel, each 32-column block of weights serving all the panel's row strips from L1/L2. Splitting
 * a panel just before use, instead of the whole [T, K] matrix up front (13.5 MB at T = 1,463,
 * K = 1,536), keeps the kernel out of main memory: with the whole matrix split, two threads
 * together ran short of bandwidth. */
static int panel_rows(int kp) {
    int r = 98304 / kp / 32 * 32;
    return r < 32 ? 32 : r > 256 ? 256 : r;
}

uint16_t *lm_amx_alloc(size_t elems) {
    void *p = NULL;
    size_t bytes = (elems ? elems : 1) * sizeof(uint16_t);
    if (posix_memalign(&p, 64, (bytes + 63) / 64 * 64)) {
        tide_error(TIDE_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    return p;
}

size_t lm_amx_scratch_elems(int64_t rows, int k, int n) {
    /* the three split terms of one panel of rows (panel_rows) */
    (void)rows, (void)n;
    return 3 * (size_t)panel_rows(round32(k)) * (size_t)round32(k);
}

void lm_amx_weight_free(lm_amx_weight *w) {
    free(w->b);
    free(w->bias);
    memset(w, 0, sizeof *w);
}

/* float32 -> bfloat16 rounded to nearest even (finite inputs), and back. */
static uint16_t to_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}
static float from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, 4);
    return x;
}

tide_status lm_amx_pack(const float *w, const float *bias, int n, int k, lm_amx_weight *out) {
    memset(out, 0, sizeof *out);
    int np = round32(n), kp = round32(k), kc_n = kp / 32;
    size_t per = (size_t)np * (size_t)kp;
    uint16_t *b = lm_amx_alloc(3 * per);
    float *bp = tide_calloc((size_t)np, sizeof *bp);
    if (!b || !bp) {
        free(b);
        free(bp);
        return TIDE_ERR_NOMEM;
    }
    memset(b, 0, 3 * per * sizeof *b); /* padding stays zero: adds nothing */
    if (bias) memcpy(bp, bias, (size_t)n * sizeof *bp);
    for (int r = 0; r < n; r++)
        for (int c = 0; c < k; c++) {
            /* x - h and (x - h) - m are exact in float32: the split loses nothing above 2^-24 */
            float x = w[(size_t)r * k + c];
            uint16_t h = to_bf16(x);
            float rest = x - from_bf16(h);
            uint16_t m = to_bf16(rest);
            uint16_t l = to_bf16(rest - from_bf16(m));
            size_t off = ((((size_t)(r / 16) * kc_n + c / 32) * 16 + (size_t)(c % 32) / 2) * 16 + r % 16) * 2 + c % 2;
            b[off] = h;
            b[per + off] = m;
            b[2 * per + off] = l;
        }
    out->b = b;
    out->bias = bp;
    out->n = n;
    out->k = k;
    out->np = np;
    out->kp = kp;
    return TIDE_OK;
}

#ifdef LM_HAVE_AMX

/* The backend decides whether AMX runs (CPU, OS permission, TIDE_LM_AMX; tide/backend.h). */
int lm_amx_available(void) { return tide_cpu_kernels_get()->lm_amx; }

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

#define LM_AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16")))

/* Split a block of x (nrows <= 32 rows of ncols values, row stride ld), or of GELU(x) when gelu,
 * into its three bfloat16 terms in tile order: term t at a + t * per, then row block of 16, k chunk
 * of 32 (kcn chunks), 16 rows x 32 values. Rows past nrows (up to 32) and columns past ncols (up
 * to kcn * 32) are 0. */
LM_AMX static void split_block(const float *x, int64_t ld, int nrows, int ncols, int kcn, int gelu, uint16_t *a,
                               size_t per) {
    for (int i = 0; i < 32; i++) {
        const float *row = x + (int64_t)i * ld;
        for (int c = 0; c < kcn * 32; c += 16) {
            __mmask16 mask = i >= nrows || c >= ncols ? 0 : ncols - c >= 16 ? 0xffff : (__mmask16)((1u << (ncols - c)) - 1);
            __m512 v = _mm512_maskz_loadu_ps(mask, row + c);
            if (gelu) { /* GELU(0) = 0: the zero padding stays zero */
                float g[16];
                _mm512_storeu_ps(g, v);
#pragma omp simd
                for (int j = 0; j < 16; j++) g[j] = lm_gelu_f32(g[j]);
                v = _mm512_loadu_ps(g);
            }
            __m256bh h = _mm512_cvtneps_pbh(v);
            v = _mm512_sub_ps(v, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)h), 16)));
            __m256bh m = _mm512_cvtneps_pbh(v);
            v = _mm512_sub_ps(v, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)m), 16)));
            __m256bh l = _mm512_cvtneps_pbh(v);
            size_t off = (((size_t)(i / 16) * (size_t)kcn + (size_t)c / 32) * 16 + (size_t)(i % 16)) * 32 + (size_t)(c % 32);
            _mm256_storeu_si256((__m256i *)(a + off), (__m256i)h);
            _mm256_storeu_si256((__m256i *)(a + per + off), (__m256i)m);
            _mm256_storeu_si256((__m256i *)(a + 2 * per + off), (__m256i)l);
        }
    }
}

/* Tiles: 0-3 accumulators (rows 0-15 / 16-31 x cols 0-15 / 16-31), 4-5 A, 6-7 B. Runs kc_n k
 * chunks; the second row block of A lies a_next elements after the first, the second column block
 * of B b_next after its first; the accumulators start at the bias (a load with row stride 0
 * repeats it on every row) and end in c (row stride ldc floats). The six products of a chunk are taken in the order lh hh hl hm mm mh, where each step
 * changes one operand only: 14 tile loads per 24 tile products instead of 18. */
LM_AMX static void micro_tile(const uint16_t *a0, size_t a_per, size_t a_next, const uint16_t *b0, size_t b_per,
                              size_t b_next, int kc_n, const float *bias, float *c, size_t ldc) {
    const size_t ldb = ldc * sizeof(float);
    _tile_loadd(0, bias, 0);
    _tile_loadd(1, bias + 16, 0);
    _tile_loadd(2, bias, 0);
    _tile_loadd(3, bias + 16, 0);
#define LM_A(term) do { _tile_loadd(4, a + (term) * a_per, 64); _tile_loadd(5, a + (term) * a_per + a_next, 64); } while (0)
#define LM_B(term) do { _tile_loadd(6, b + (term) * b_per, 64); _tile_loadd(7, b + (term) * b_per + b_next, 64); } while (0)
#define LM_DP() do { _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7); _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7); } while (0)
    for (int kc = 0; kc < kc_n; kc++) {
        const uint16_t *a = a0 + (size_t)kc * 512, *b = b0 + (size_t)kc * 512;
        LM_A(2); LM_B(0); LM_DP(); /* lh */
        LM_A(0); LM_DP();          /* hh */
        LM_B(2); LM_DP();          /* hl */
        LM_B(1); LM_DP();          /* hm */
        LM_A(1); LM_DP();          /* mm */
        LM_B(0); LM_DP();          /* mh */
    }
#undef LM_A
#undef LM_B
#undef LM_DP
    _tile_stored(0, c, ldb);
    _tile_stored(1, c + 16, ldb);
    _tile_stored(2, c + 16 * ldc, ldb);
    _tile_stored(3, c + 16 * ldc + 16, ldb);
}


LM_AMX void lm_amx_linear(const float *x, int64_t rows, const lm_amx_weight *w, float *y, uint16_t *scratch,
                          unsigned flags) {
    const int kp = w->kp, kc_n = kp / 32, n = w->n, np = w->np, k = w->k;
    const int panel = panel_rows(kp);
    const size_t a_per = (size_t)panel * (size_t)kp, a_next = (size_t)kc_n * 512;
    const size_t b_per = (size_t)np * (size_t)kp, b_next = (size_t)kc_n * 512;
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) {
        cfg.rows[t] = 16;
        cfg.colsb[t] = 64;
    }
    _tile_loadconfig(&cfg);
    float edge[32 * 32]; /* a tile not wholly inside y */
    for (int64_t p0 = 0; p0 < rows; p0 += panel) {
        int prows = rows - p0 < panel ? (int)(rows - p0) : panel;
        for (int s0 = 0; s0 < prows; s0 += 32)
            split_block(x + (p0 + s0) * k, k, prows - s0 < 32 ? prows - s0 : 32, k, kc_n, (flags & LM_AMX_GELU_X) != 0,
                        scratch + (size_t)s0 * kp, a_per);
        for (int n0 = 0; n0 < np; n0 += 32) {
            const uint16_t *b = w->b + (size_t)(n0 / 16) * (size_t)kc_n * 512;
            for (int s0 = 0; s0 < prows; s0 += 32) {
                /* the accumulators stay in tiles over all of K: C is written once, never re-read */
                int srows = prows - s0 < 32 ? prows - s0 : 32, ncols = n - n0 < 32 ? n - n0 : 32;
                float *yt = y + (p0 + s0) * (int64_t)n + n0;
                int whole = srows == 32 && ncols == 32;
                micro_tile(scratch + (size_t)s0 * kp, a_per, a_next, b, b_per, b_next, kc_n, w->bias + n0,
                           whole ? yt : edge, whole ? (size_t)n : 32);
                if (!whole)
                    for (int r = 0; r < srows; r++) memcpy(yt + (int64_t)r * n, edge + r * 32, (size_t)ncols * sizeof *y);
            }
        }
    }
    _tile_release();
}

#else /* no AMX code in this build */

int lm_amx_available(void) { return 0; }

void lm_amx_linear(const float *x, int64_t rows, const lm_amx_weight *w, float *y, uint16_t *scratch,
                   unsigned flags) {
    (void)x, (void)rows, (void)w, (void)y, (void)scratch, (void)flags;
    abort(); /* unreachable: callers check lm_amx_available() */
}

#endif
