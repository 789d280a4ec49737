/* recs-scan.c — the TSV line scanner of the recommendation reader (see recs-scan.h).
 *
 * One 64-byte window per line start gives four bit masks (tabs, newlines, digits, dots); a
 * well-formed line `user \t item \t rank \t score \n` of up to 63 bytes is then checked with
 * bit arithmetic alone: exactly three tabs, non-empty ids, a rank of 1-8 digits (converted
 * eight digits at a time), a score of the form [+-]digits[.digits]. Everything else — long
 * lines, exponents, "inf", errors — is handed to the reader unchecked, which re-parses it with
 * the exact code that also words the error messages. The scan loop is compiled once per
 * instruction set (AVX-512BW, AVX2, portable SWAR) and chosen at run time. */
#include "recs-scan.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SCAN_X86 1
#endif

int tide_recs_scan_choice = TIDE_RECS_SCAN_AUTO;

/* ---- masks: portable SWAR ------------------------------------------------------------------ */
#define LO7 0x7f7f7f7f7f7f7f7full
#define HI1 0x8080808080808080ull

/* 0x80 in each byte of w equal to the byte of pat (exact: no borrow between bytes). */
static inline uint64_t swar_eq(uint64_t w, uint64_t pat) {
    uint64_t x = w ^ pat;
    return ~(((x & LO7) + LO7) | x) & HI1;
}
/* 0x80 in each byte of w that is '0'..'9'. */
static inline uint64_t swar_digit(uint64_t w) {
    uint64_t y = w & LO7;
    return (y + 0x5050505050505050ull) & ~(y + 0x4646464646464646ull) & ~w & HI1;
}
/* The eight 0x80 flags of a word as 8 bits (byte i -> bit i). */
static inline uint64_t swar_pack(uint64_t f) { return ((f >> 7) * 0x0102040810204080ull) >> 56; }

static inline __attribute__((always_inline)) void masks_scalar(const char *p, tide_recs_masks *m) {
    uint64_t tab = 0, nl = 0, dig = 0, dot = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t w = tide_recs_load64(p + 8 * i);
        tab |= swar_pack(swar_eq(w, 0x0909090909090909ull)) << (8 * i);
        nl |= swar_pack(swar_eq(w, 0x0a0a0a0a0a0a0a0aull)) << (8 * i);
        dig |= swar_pack(swar_digit(w)) << (8 * i);
        dot |= swar_pack(swar_eq(w, 0x2e2e2e2e2e2e2e2eull)) << (8 * i);
    }
    m->tab = tab;
    m->nl = nl;
    m->digit = dig;
    m->dot = dot;
}

#ifdef SCAN_X86
__attribute__((target("avx2"), always_inline)) static inline void masks_avx2(const char *p, tide_recs_masks *m) {
    __m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 32));
    __m256i z = _mm256_set1_epi8('0'), nine = _mm256_set1_epi8(9);
#define M2(x, y) ((uint64_t)(uint32_t)_mm256_movemask_epi8(x) | (uint64_t)(uint32_t)_mm256_movemask_epi8(y) << 32)
    __m256i da = _mm256_sub_epi8(a, z), db = _mm256_sub_epi8(b, z);
    m->tab = M2(_mm256_cmpeq_epi8(a, _mm256_set1_epi8('\t')), _mm256_cmpeq_epi8(b, _mm256_set1_epi8('\t')));
    m->nl = M2(_mm256_cmpeq_epi8(a, _mm256_set1_epi8('\n')), _mm256_cmpeq_epi8(b, _mm256_set1_epi8('\n')));
    m->dot = M2(_mm256_cmpeq_epi8(a, _mm256_set1_epi8('.')), _mm256_cmpeq_epi8(b, _mm256_set1_epi8('.')));
    m->digit = M2(_mm256_cmpeq_epi8(_mm256_min_epu8(da, nine), da), _mm256_cmpeq_epi8(_mm256_min_epu8(db, nine), db));
#undef M2
}

__attribute__((target("avx512bw"), always_inline)) static inline void masks_avx512(const char *p, tide_recs_masks *m) {
    __m512i v = _mm512_loadu_si512((const void *)p);
    m->tab = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\t'));
    m->nl = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
    m->dot = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.'));
    m->digit = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(9));
}

/* Callable (not inlined) versions for tide_recs_masks_of. */
__attribute__((target("avx2"))) static void masks_avx2_fn(const char *p, tide_recs_masks *m) { masks_avx2(p, m); }
__attribute__((target("avx512bw"))) static void masks_avx512_fn(const char *p, tide_recs_masks *m) { masks_avx512(p, m); }
#endif

/* ---- the per-line check, shared by every implementation ------------------------------------ */

/* Bits [lo, lo + n) of a word, n < 64. */
static inline uint64_t bits(unsigned lo, unsigned n) { return ((1ull << n) - 1) << lo; }

/* Bytes [0, n) of w kept, n <= 8. */
static inline uint64_t keep(uint64_t w, unsigned n) { return n >= 8 ? w : w & ((1ull << (8 * n)) - 1); }

/* Fills x (len, fast and the fields) for the line at p whose '\n' is at offset k, from the masks
 * of its first 64 bytes. */
static inline __attribute__((always_inline)) void check_line(const tide_recs_masks *m, const char *p, size_t k,
                                                              tide_recs_line *x, const tide_recs_prefetch *pf) {
    unsigned end = (unsigned)k;
    if (end > 0 && p[end - 1] == '\r') end--;
    x->len = end;
    x->fast = 0;
    if (k >= 64) return;
    uint64_t tabs = m->tab & bits(0, end);
    if (__builtin_popcountll(tabs) != 3) return;
    unsigned t1 = (unsigned)__builtin_ctzll(tabs);
    tabs &= tabs - 1;
    unsigned t2 = (unsigned)__builtin_ctzll(tabs);
    tabs &= tabs - 1;
    unsigned t3 = (unsigned)__builtin_ctzll(tabs);
    unsigned ilen = t2 - t1 - 1, rlen = t3 - t2 - 1, slen = end - t3 - 1;
    if (t1 == 0 || ilen == 0 || rlen == 0 || rlen > 8 || slen == 0) return;
    uint64_t rm = bits(t2 + 1, rlen);
    if ((m->digit & rm) != rm) return;
    /* score: [+-] digits [. digits] with at least one digit */
    unsigned s0 = t3 + 1;
    if (p[s0] == '-' || p[s0] == '+') s0++, slen--;
    if (slen == 0) return;
    uint64_t sm = bits(s0, slen), sd = m->digit & sm, other = sm & ~sd;
    if (!sd || (other & (other - 1)) || (other & ~m->dot)) return;
    /* rank: the digits right-aligned in a word (leading bytes 0), then 8 digits at once */
    uint64_t w = (tide_recs_load64(p + t2 + 1) << (8 * (8 - rlen))) & 0x0f0f0f0f0f0f0f0full;
    w = w * 10 + (w >> 8);
    w = (((w & 0x000000ff000000ffull) * 0x000f424000000064ull) +
         (((w >> 16) & 0x000000ff000000ffull) * 0x0000271000000001ull)) >> 32;
    if (w == 0) return;
    x->rank = (int64_t)(uint32_t)w;
    if (t1 <= 16) {
        x->u0 = keep(tide_recs_load64(p), t1);
        x->u1 = t1 > 8 ? keep(tide_recs_load64(p + 8), t1 - 8) : 0;
    }
    x->i0 = keep(tide_recs_load64(p + t1 + 1), ilen);
    x->key = tide_recs_short_key(x->i0, ilen);
    if (pf && x->key) {
        x->home = tide_recs_home(x->key, pf->shift);
        __builtin_prefetch(pf->buckets + (x->home << 6));
    }
    x->t1 = (uint16_t)t1;
    x->t2 = (uint16_t)t2;
    x->t3 = (uint16_t)t3;
    x->fast = 1;
}

/* The scan loop, instantiated per implementation. Stage 1 lists the newlines of the bytes ahead
 * (no dependence between blocks); stage 2 checks each line from its own window. Finding each
 * line's end from the previous one instead would chain load -> compare -> count -> next load,
 * ~20 cycles a line that the processor could not overlap. */
#define NLPOS_MAX (2 * 64 + 64)
#define SCAN_LOOP(MASKS, NLMASK)                                                                   \
    const char *p = *pp;                                                                           \
    int n = 0, np = 0;                                                                             \
    uint64_t ln = *line;                                                                           \
    const char *nlpos[NLPOS_MAX];                                                                  \
    const char *q = p, *qend = lim < stop + 64 ? lim : stop + 64;                                 \
    if (max > 2 * 64) max = 2 * 64;                                                                \
    while (np < max && q < qend) {                                                                 \
        uint64_t b = NLMASK(q);                                                                    \
        if ((size_t)(lim - q) < 64) b &= bits(0, (unsigned)(lim - q));                             \
        int c = __builtin_popcountll(b);                                                           \
        /* four unconditional writes cover most blocks without a data-dependent branch */         \
        nlpos[np] = q + __builtin_ctzll(b | 1ull << 63);                                           \
        b &= b - 1;                                                                                \
        nlpos[np + 1] = q + __builtin_ctzll(b | 1ull << 63);                                       \
        b &= b - 1;                                                                                \
        nlpos[np + 2] = q + __builtin_ctzll(b | 1ull << 63);                                       \
        b &= b - 1;                                                                                \
        nlpos[np + 3] = q + __builtin_ctzll(b | 1ull << 63);                                       \
        b &= b - 1;                                                                                \
        for (int i = np + 4; b; i++, b &= b - 1) nlpos[i] = q + __builtin_ctzll(b);                \
        np += c;                                                                                   \
        q += 64;                                                                                   \
    }                                                                                              \
    for (int j = 0; n < max && p < stop; j++) {                                                    \
        const char *e;                                                                             \
        int last = 0;                                                                              \
        if (j < np) {                                                                              \
            e = nlpos[j];                                                                          \
        } else { /* past the listed newlines: a long line, or an incomplete one */                \
            if (q >= lim) break;                                                                   \
            e = memchr(q, '\n', (size_t)(lim - q));                                                \
            if (!e) break;                                                                         \
            last = 1;                                                                              \
        }                                                                                          \
        tide_recs_line *x = &out[n];                                                               \
        tide_recs_masks m;                                                                         \
        MASKS(p, &m);                                                                              \
        check_line(&m, p, (size_t)(e - p), x, pf);                                                     \
        ln++;                                                                                      \
        if (x->len > 0) {                                                                          \
            x->p = p;                                                                              \
            x->line = ln;                                                                          \
            n++;                                                                                   \
        }                                                                                          \
        p = e + 1;                                                                                 \
        if (last) break;                                                                           \
    }                                                                                              \
    *pp = p;                                                                                       \
    *line = ln;                                                                                    \
    return n;

static inline uint64_t nl_scalar(const char *p) {
    uint64_t nl = 0;
    for (int i = 0; i < 8; i++) nl |= swar_pack(swar_eq(tide_recs_load64(p + 8 * i), 0x0a0a0a0a0a0a0a0aull)) << (8 * i);
    return nl;
}

static int scan_scalar(const char **pp, const char *stop, const char *lim, uint64_t *line, tide_recs_line *out,
                       int max, const tide_recs_prefetch *pf) {
    SCAN_LOOP(masks_scalar, nl_scalar)
}

#ifdef SCAN_X86
__attribute__((target("avx2,popcnt,bmi"), always_inline)) static inline uint64_t nl_avx2(const char *p) {
    __m256i nl = _mm256_set1_epi8('\n');
    __m256i a = _mm256_loadu_si256((const __m256i *)p), b = _mm256_loadu_si256((const __m256i *)(p + 32));
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, nl)) |
           (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, nl)) << 32;
}

__attribute__((target("avx512bw,popcnt,bmi"), always_inline)) static inline uint64_t nl_avx512(const char *p) {
    return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)p), _mm512_set1_epi8('\n'));
}

__attribute__((target("avx2,popcnt,bmi"))) static int scan_avx2(const char **pp, const char *stop, const char *lim,
                                                                uint64_t *line, tide_recs_line *out, int max,
                                                                const tide_recs_prefetch *pf) {
    SCAN_LOOP(masks_avx2, nl_avx2)
}

__attribute__((target("avx512bw,popcnt,bmi"))) static int scan_avx512(const char **pp, const char *stop,
                                                                      const char *lim, uint64_t *line,
                                                                      tide_recs_line *out, int max,
                                                                      const tide_recs_prefetch *pf) {
    SCAN_LOOP(masks_avx512, nl_avx512)
}
#endif

int tide_recs_scan_available(int which) {
    switch (which) {
    case TIDE_RECS_SCAN_AUTO:
    case TIDE_RECS_SCAN_SCALAR:
        return 1;
#ifdef SCAN_X86
    case TIDE_RECS_SCAN_AVX2:
        return __builtin_cpu_supports("avx2");
    case TIDE_RECS_SCAN_AVX512:
        return __builtin_cpu_supports("avx512bw");
#endif
    default:
        return 0;
    }
}

static int resolve(int which) {
    if (which != TIDE_RECS_SCAN_AUTO) return tide_recs_scan_available(which) ? which : TIDE_RECS_SCAN_SCALAR;
    if (tide_recs_scan_available(TIDE_RECS_SCAN_AVX512)) return TIDE_RECS_SCAN_AVX512;
    if (tide_recs_scan_available(TIDE_RECS_SCAN_AVX2)) return TIDE_RECS_SCAN_AVX2;
    return TIDE_RECS_SCAN_SCALAR;
}

void tide_recs_masks_of(int which, const char *p, tide_recs_masks *m) {
    switch (resolve(which)) {
#ifdef SCAN_X86
    case TIDE_RECS_SCAN_AVX512:
        masks_avx512_fn(p, m);
        return;
    case TIDE_RECS_SCAN_AVX2:
        masks_avx2_fn(p, m);
        return;
#endif
    default:
        masks_scalar(p, m);
    }
}

int tide_recs_scan(const char **pp, const char *stop, const char *lim, uint64_t *line, tide_recs_line *out,
                   int max, const tide_recs_prefetch *pf) {
    switch (resolve(tide_recs_scan_choice)) {
#ifdef SCAN_X86
    case TIDE_RECS_SCAN_AVX512:
        return scan_avx512(pp, stop, lim, line, out, max, pf);
    case TIDE_RECS_SCAN_AVX2:
        return scan_avx2(pp, stop, lim, line, out, max, pf);
#endif
    default:
        return scan_scalar(pp, stop, lim, line, out, max, pf);
    }
}
