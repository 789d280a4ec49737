/* recs-scan.c — the TSV line scanner of the recommendation reader (see recs-scan.h).
 *
 * One 64-byte window per line start gives four bit masks (tabs, newlines, digits, dots); a
 * well-formed line `user \t item \t rank \t score \n` of up to 63 bytes is then checked with
 * bit arithmetic alone: exactly three tabs, non-empty ids, a rank of 1-8 digits (converted
 * eight digits at a time), a score of the form [+-]digits[.digits]. Everything else — long
 * lines, exponents, "inf", errors — is handed to the reader unchecked, which re-parses it with
 * the exact code that also words the error messages. The scan loop is compiled once per
 * instruction set (AVX-512BW, AVX2, portable SWAR) and chosen at run time; with AVX-512 VBMI2 a
 * vector scanner checks eight common lines at a time (below) and leaves the rest to it. */
#include "recs-scan.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SCAN_X86 1
#endif

int tide_recs_scan_choice = TIDE_RECS_SCAN_AUTO;
uint64_t tide_recs_scan_groups = 0;

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

/* Bits [0, n) of a word; all 64 for n >= 64 (like BZHI). */
static inline uint64_t below(unsigned n) { return n >= 64 ? ~0ull : (1ull << n) - 1; }

/* The first n <= 8 bytes of w (n >= 1). */
static inline uint64_t first_bytes(uint64_t w, unsigned n) {
    unsigned drop = 64 - 8 * n;
    return w << drop >> drop;
}

/* The user carried from line to line (a copy in registers while a scan runs). */
typedef struct {
    uint64_t u0, u1;
    unsigned ulen;
} user_words;

/* Checks the line at p whose '\n' is at offset k, 1 <= k < 64, from the masks of its first 64
 * bytes, fills x (but p and line) and updates the user carried in u. The tests of the common line
 * are bit arithmetic on the masks (shift counts kept below 64 by sentinel bits) folded into one
 * word, so that a well-formed line takes a single, predictable branch. */
static inline __attribute__((always_inline)) void check_line(const tide_recs_masks *m, const char *p, unsigned k,
                                                              tide_recs_lines *o, int i, user_words *u, const char *buckets,
                                                              int shift) {
    unsigned end = k - (p[k - 1] == '\r');
    o->len[i] = end;
    uint64_t lm = (1ull << end) - 1, tabs = m->tab & lm, dig = m->digit;
    unsigned t1 = (unsigned)__builtin_ctzll(tabs | 1ull << 63);
    unsigned t2 = (unsigned)__builtin_ctzll((tabs & (tabs - 1)) | 1ull << 63);
    unsigned t3 = 63 - (unsigned)__builtin_clzll(tabs | 1);
    /* three tabs, none first or last, no two adjacent: four non-empty fields */
    uint64_t bad = (uint64_t)(__builtin_popcountll(tabs) ^ 3) | (tabs & ((tabs >> 1) | 1 | (lm ^ (lm >> 1))));
    /* after the second tab only digits, but for the third tab, a sign after it and one '.' in the
     * score; the rank has 1 to 8 digits, the score at least one */
    uint64_t sign = (uint64_t)(p[t3 + 1] == '-' || p[t3 + 1] == '+') << ((t3 + 1) & 63);
    uint64_t other = lm & (~1ull << t2) & ~dig & ~(1ull << t3) & ~sign;
    bad |= (other & ((1ull << t3) - 1)) | (other & (other - 1)) | (other & ~m->dot);
    bad |= (uint64_t)(t3 - t2 > 9) | (uint64_t)((dig & lm & (~1ull << t3)) == 0);
    /* rank: the digits right-aligned in a word (leading bytes 0), then 8 digits at once */
    uint64_t w = (tide_recs_load64(p + t2 + 1) << ((8 * (9 - (t3 - t2))) & 63)) & 0x0f0f0f0f0f0f0f0full;
    w = w * 10 + (w >> 8);
    w = (((w & 0x000000ff000000ffull) * 0x000f424000000064ull) +
         (((w >> 16) & 0x000000ff000000ffull) * 0x0000271000000001ull)) >> 32;
    bad |= (uint64_t)(w == 0);
    if (bad) {
        o->fast[i] = 0;
        u->ulen = 0;
        return;
    }
    o->rank[i] = (uint32_t)w;
    /* the user: the same as the line before? (ids up to 16 bytes, as two words) */
    uint64_t u0 = first_bytes(tide_recs_load64(p), t1 < 8 ? t1 : 8);
    uint64_t u1 = t1 > 8 ? first_bytes(tide_recs_load64(p + 8), t1 < 16 ? t1 - 8 : 8) : 0;
    unsigned ulen = t1 <= 16 ? t1 : 0;
    o->same[i] = (uint8_t)((ulen != 0) & (ulen == u->ulen) & (u0 == u->u0) & (u1 == u->u1));
    u->ulen = ulen;
    u->u0 = u0;
    u->u1 = u1;
    unsigned ilen = t2 - t1 - 1;
    uint64_t key = tide_recs_short_key(first_bytes(tide_recs_load64(p + t1 + 1), ilen < 8 ? ilen : 8), ilen);
    o->key[i] = key;
    if (buckets && key) {
        uint64_t home = tide_recs_home(key, shift);
        o->home[i] = (uint32_t)home;
        __builtin_prefetch(buckets + (home << 6));
    }
    o->t1[i] = (uint8_t)t1;
    o->ilen[i] = (uint8_t)ilen;
    o->fast[i] = 1;
}

/* A line the window does not hold whole (k >= 64) or a blank one: only its length is found. */
static __attribute__((noinline)) void other_line(const char *p, size_t k, tide_recs_lines *o, int i) {
    o->len[i] = k - (k > 0 && p[k - 1] == '\r');
    o->fast[i] = 0;
}

/* The scan loop, instantiated per implementation: each line's end comes from its own 64-byte
 * window (the newline mask), so one load and four compares give a line its structure. (Listing
 * the newlines of the bytes ahead first measured no faster: the chain from one line's end to the
 * next line's load overlaps with the checks.) A line longer than the window is finished by
 * memchr. */
#define SCAN_LOOP(MASKS)                                                                           \
    const char *p = *pp;                                                                           \
    int n = n0;                                                                                    \
    uint64_t ln = s->line;                                                                         \
    user_words u = {s->u0, s->u1, s->ulen};                                                        \
    const char *buckets = pf ? pf->buckets : NULL;                                                 \
    int shift = pf ? pf->shift : 0;                                                                \
    while (n < max && p < stop) {                                                                  \
        tide_recs_masks m;                                                                         \
        MASKS(p, &m);                                                                              \
        uint64_t nl = m.nl;                                                                        \
        if ((size_t)(lim - p) < 64) nl &= below((unsigned)(lim - p));                              \
        size_t k;                                                                                  \
        if (__builtin_expect((nl & 1) == 0 && nl != 0, 1)) { /* k >= 1 */                        \
            k = (size_t)__builtin_ctzll(nl);                                                       \
            check_line(&m, p, (unsigned)k, out, n, &u, buckets, shift);                            \
        } else { /* blank, long, or incomplete */                                                 \
            const char *e = nl ? p : (size_t)(lim - p) > 64 ? memchr(p + 64, '\n', (size_t)(lim - p) - 64) : NULL; \
            if (!e) break;                                                                         \
            k = (size_t)(e - p);                                                                   \
            other_line(p, k, out, n);                                                              \
            u.ulen = 0;                                                                            \
        }                                                                                          \
        ln++;                                                                                      \
        out->p[n] = p;                                                                             \
        out->line[n] = ln;                                                                         \
        n += out->len[n] > 0;                                                                      \
        p += k + 1;                                                                                \
    }                                                                                              \
    *pp = p;                                                                                       \
    s->line = ln;                                                                                  \
    s->u0 = u.u0;                                                                                  \
    s->u1 = u.u1;                                                                                  \
    s->ulen = u.ulen;                                                                              \
    return n;


static int scan_scalar(const char **pp, const char *stop, const char *lim, tide_recs_scan_state *s, tide_recs_lines *out,
                       int n0, int max, const tide_recs_prefetch *pf) {
    SCAN_LOOP(masks_scalar)
}

#ifdef SCAN_X86


__attribute__((target("avx2,popcnt,bmi"))) static int scan_avx2(const char **pp, const char *stop, const char *lim,
                                                                tide_recs_scan_state *s, tide_recs_lines *out, int n0,
                                                                int max, const tide_recs_prefetch *pf) {
    SCAN_LOOP(masks_avx2)
}

__attribute__((target("avx512bw,popcnt,bmi"))) static int scan_avx512(const char **pp, const char *stop,
                                                                      const char *lim, tide_recs_scan_state *s,
                                                                      tide_recs_lines *out, int n0, int max,
                                                                      const tide_recs_prefetch *pf) {
    SCAN_LOOP(masks_avx512)
}

/* ---- eight lines at a time (AVX-512) ----------------------------------------------------------
 * Per-line work is mostly serial bit twiddling; here the common lines are checked eight at once
 * in 64-bit lanes. Stage 1 lists the separators (tabs and newlines, a newline flagged in bit 31)
 * of the next 2 KiB by compressing byte offsets, and keeps bitmaps of its non-digits and dots.
 * Stage 2 takes 32 separators: if they are eight times tab, tab, tab, newline, the eight lines'
 * fields are gathered and checked in lanes, with exactly the tests of check_line, and stored
 * column by column. Any group with a line that is not like that (blank, long, CR-less edge cases
 * aside, any line check_line would not vouch for) is left to the per-line scan. */
#define X8 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vbmi2,popcnt,bmi,bmi2")))
#define X8_BLOCKS 32 /* 2 KiB a stage-1 pass */

X8 static inline __m512i lowbits(__m512i n) { /* bits [0, n) per lane, all for n >= 64 */
    return _mm512_andnot_si512(_mm512_sllv_epi64(_mm512_set1_epi64(-1), n), _mm512_set1_epi64(-1));
}

X8 static inline __m512i take(__m512i a, int first) { /* 16-bit words first, first+4, ... of a as qwords */
    __m512i idx = _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, first + 28,
                                   first + 24, first + 20, first + 16, first + 12, first + 8, first + 4, first);
    return _mm512_cvtepu16_epi64(_mm512_castsi512_si128(_mm512_permutexvar_epi16(idx, a)));
}

X8 static int scan_avx512x8(const char **pp, const char *stop, const char *lim, tide_recs_scan_state *s,
                            tide_recs_lines *out, int max, const tide_recs_prefetch *pf) {
    const char *p = *pp;
    int n = 0;
    /* a separator: its offset in the pass (bits 0-13), bit 15 for a newline, bit 14 for a newline
     * after '\r' or a tab before a sign */
    uint16_t sep[64 * X8_BLOCKS + 32];
    uint64_t nd[X8_BLOCKS + 2], dt[X8_BLOCKS + 2], tm[X8_BLOCKS + 1], nm[X8_BLOCKS + 1], crm[X8_BLOCKS + 1], sg[X8_BLOCKS + 1];
    const __m512i iota = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
                                          12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i pattern = _mm512_set_epi16(1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
                                             0, 0, 0, 1, 0, 0, 0);
    const __m512i ones = _mm512_set1_epi64(1);
    const char *buckets = pf ? pf->buckets : NULL;
    __m128i shift = _mm_cvtsi32_si128(pf ? pf->shift : 0);
    int broken = 0;
    while (!broken && max - n >= 8 && lim - p >= 64 * X8_BLOCKS + 128 && p < stop) {
        const char *p0 = p;
        int ns = 0;
        for (int b = 0; b <= X8_BLOCKS; b++) { /* one block more: its first byte may be a sign */
            __m512i v = _mm512_loadu_si512((const void *)(p0 + 64 * b));
            tm[b] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\t'));
            nm[b] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
            crm[b] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\r'));
            sg[b] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('+'));
            uint64_t dg = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(9));
            dt[b] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.'));
            nd[b] = ~dg & ~dt[b]; /* neither digit nor '.' */
        }
        for (int b = 0; b < X8_BLOCKS; b++) {
            uint64_t sm = tm[b] | nm[b];
            uint64_t fl = (nm[b] & (crm[b] << 1 | (b ? crm[b - 1] >> 63 : 0))) | (tm[b] & (sg[b] >> 1 | sg[b + 1] << 63));
            for (int g = 0; g < 2; g++) {
                __mmask32 m = (__mmask32)(sm >> (32 * g));
                __m512i idx = _mm512_add_epi16(iota, _mm512_set1_epi16((short)(64 * b + 32 * g)));
                idx = _mm512_or_si512(idx, _mm512_maskz_mov_epi16((__mmask32)(nm[b] >> (32 * g)), _mm512_set1_epi16((short)0x8000)));
                idx = _mm512_or_si512(idx, _mm512_maskz_mov_epi16((__mmask32)(fl >> (32 * g)), _mm512_set1_epi16(0x4000)));
                _mm512_storeu_si512((void *)(sep + ns), _mm512_maskz_compress_epi16(m, idx));
                ns += __builtin_popcount(m);
            }
        }
        nd[X8_BLOCKS] = nd[X8_BLOCKS + 1] = ~0ull; /* past the pass: never a digit */
        dt[X8_BLOCKS] = dt[X8_BLOCKS + 1] = 0;
        __m512i eprev = _mm512_set1_epi64(-1); /* lane 7: the newline before the next line */
        __m512i u0p = _mm512_set1_epi64((long long)s->u0), u1p = _mm512_set1_epi64((long long)s->u1);
        __m512i ulp = _mm512_set1_epi64((long long)(s->ulen));
        int j = 0, done = 0;
        while (max - n >= 8 && j + 32 <= ns) {
            __m512i a = _mm512_loadu_si512((const void *)(sep + j));
            if (_mm512_cmpeq_epi16_mask(_mm512_srli_epi16(a, 15), pattern) != 0xffffffffu) {
                broken = 1;
                break;
            }
            const __m512i pos = _mm512_set1_epi64(0x3fff);
            __m512i t1 = _mm512_and_si512(take(a, 0), pos), t2 = _mm512_and_si512(take(a, 1), pos);
            __m512i t3f = take(a, 2), ef = take(a, 3);
            __m512i t3 = _mm512_and_si512(t3f, pos), e = _mm512_and_si512(ef, pos);
            __m512i st = _mm512_add_epi64(_mm512_alignr_epi64(e, eprev, 7), ones);
            /* every line starts before stop and is under 64 bytes (as check_line needs) */
            __mmask8 ok = _mm512_cmplt_epi64_mask(st, _mm512_set1_epi64(stop - p0)) &
                          _mm512_cmplt_epu64_mask(_mm512_sub_epi64(e, st), _mm512_set1_epi64(64));
            __m512i flag = _mm512_set1_epi64(0x4000);
            __m512i end = _mm512_mask_sub_epi64(e, _mm512_test_epi64_mask(ef, flag), e, ones);
            __m512i ulen = _mm512_sub_epi64(t1, st);
            __m512i ilen = _mm512_sub_epi64(_mm512_sub_epi64(t2, t1), ones);
            __m512i rlen = _mm512_sub_epi64(_mm512_sub_epi64(t3, t2), ones);
            ok &= _mm512_cmpgt_epi64_mask(ulen, _mm512_setzero_si512()) & _mm512_cmpgt_epi64_mask(ilen, _mm512_setzero_si512()) &
                  _mm512_cmplt_epu64_mask(_mm512_sub_epi64(rlen, ones), _mm512_set1_epi64(8));
            /* rank and score from one window of the bitmaps at the rank's first byte r0: the rank
             * only digits; the score (after an optional sign) digits and at most one '.', with
             * at least one digit; both within the 56 bits the window is sure to hold */
            __m512i r0 = _mm512_add_epi64(t2, ones), at = _mm512_srli_epi64(r0, 3), sh = _mm512_and_si512(r0, _mm512_set1_epi64(7));
            __m512i xw = _mm512_srlv_epi64(_mm512_i64gather_epi64(at, (const void *)nd, 1), sh);
            __m512i dw = _mm512_srlv_epi64(_mm512_i64gather_epi64(at, (const void *)dt, 1), sh);
            ok &= _mm512_testn_epi64_mask(_mm512_or_si512(xw, dw), lowbits(rlen));
            __m512i s0 = _mm512_add_epi64(_mm512_add_epi64(rlen, ones), _mm512_maskz_mov_epi64(_mm512_test_epi64_mask(t3f, flag), ones));
            __m512i s1 = _mm512_sub_epi64(end, r0); /* the score: bits [s0, s1) of the window */
            ok &= _mm512_cmplt_epi64_mask(s0, s1) & _mm512_cmple_epi64_mask(s1, _mm512_set1_epi64(56));
            __m512i sm = _mm512_andnot_si512(lowbits(s0), lowbits(s1));
            __m512i ds = _mm512_and_si512(dw, sm);
            ok &= _mm512_testn_epi64_mask(xw, sm) & _mm512_testn_epi64_mask(ds, _mm512_sub_epi64(ds, ones)) &
                  _mm512_test_epi64_mask(sm, _mm512_andnot_si512(ds, sm));
            /* rank: converted eight digits at a time */
            __m512i w = _mm512_i64gather_epi64(r0, (const void *)p0, 1);
            w = _mm512_sllv_epi64(w, _mm512_slli_epi64(_mm512_sub_epi64(_mm512_set1_epi64(8), rlen), 3));
            w = _mm512_and_si512(w, _mm512_set1_epi64(0x0f0f0f0f0f0f0f0fll));
            w = _mm512_add_epi64(_mm512_add_epi64(_mm512_slli_epi64(w, 3), _mm512_slli_epi64(w, 1)), _mm512_srli_epi64(w, 8));
            w = _mm512_srli_epi64(
                _mm512_add_epi64(
                    _mm512_mullo_epi64(_mm512_and_si512(w, _mm512_set1_epi64(0x000000ff000000ffll)), _mm512_set1_epi64(0x000f424000000064ll)),
                    _mm512_mullo_epi64(_mm512_and_si512(_mm512_srli_epi64(w, 16), _mm512_set1_epi64(0x000000ff000000ffll)),
                                       _mm512_set1_epi64(0x0000271000000001ll))),
                32);
            ok &= _mm512_test_epi64_mask(w, w);
            if (ok != 0xff) {
                broken = 1;
                break;
            }
            /* the user (ids up to 16 bytes as two words) against the line before */
            __m512i c8 = _mm512_set1_epi64(8);
            __m512i u0 = _mm512_and_si512(_mm512_i64gather_epi64(st, (const void *)p0, 1),
                                          lowbits(_mm512_slli_epi64(_mm512_min_epu64(ulen, c8), 3)));
            __mmask8 long8 = _mm512_cmpgt_epu64_mask(ulen, c8);
            __m512i u1 = _mm512_setzero_si512(); /* most ids fit in 8 bytes: skip the gather then */
            if (long8)
                u1 = _mm512_maskz_and_epi64(long8, _mm512_mask_i64gather_epi64(u1, long8, _mm512_add_epi64(st, c8), (const void *)p0, 1),
                                            lowbits(_mm512_slli_epi64(_mm512_min_epu64(_mm512_sub_epi64(ulen, c8), c8), 3)));
            __m512i ul = _mm512_maskz_mov_epi64(_mm512_cmple_epu64_mask(ulen, _mm512_set1_epi64(16)), ulen);
            __mmask8 same = _mm512_test_epi64_mask(ul, ul) & _mm512_cmpeq_epi64_mask(ul, _mm512_alignr_epi64(ul, ulp, 7)) &
                            _mm512_cmpeq_epi64_mask(u0, _mm512_alignr_epi64(u0, u0p, 7)) &
                            _mm512_cmpeq_epi64_mask(u1, _mm512_alignr_epi64(u1, u1p, 7));
            /* the item's key (tide_recs_short_key) and home bucket */
            __m512i iw = _mm512_and_si512(_mm512_i64gather_epi64(_mm512_add_epi64(t1, ones), (const void *)p0, 1),
                                          lowbits(_mm512_slli_epi64(_mm512_min_epu64(ilen, c8), 3)));
            __mmask8 short7 = _mm512_cmplt_epu64_mask(ilen, c8);
            __mmask8 eight = _mm512_cmpeq_epi64_mask(ilen, c8) & _mm512_cmpge_epu64_mask(_mm512_srli_epi64(iw, 56), c8);
            __m512i key = _mm512_maskz_mov_epi64(eight, iw);
            key = _mm512_mask_or_epi64(key, short7, iw, _mm512_slli_epi64(ilen, 56));
            int i0 = n;
            _mm512_storeu_si512((void *)(out->key + i0), key);
            if (buckets) {
                __m512i h = _mm512_mullo_epi64(key, _mm512_set1_epi64((long long)0x9e3779b97f4a7c15ull));
                h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 32));
                h = _mm512_srl_epi64(_mm512_mullo_epi64(h, _mm512_set1_epi64((long long)0xd6e8feb86659fd93ull)), shift);
                _mm256_storeu_si256((__m256i *)(out->home + i0), _mm512_cvtepi64_epi32(h));
                /* every lane's bucket (a long id's lane, key 0, fetches a harmless one) */
                uint64_t addr[8];
                _mm512_storeu_si512((void *)addr, _mm512_add_epi64(_mm512_slli_epi64(h, 6), _mm512_set1_epi64((long long)(intptr_t)buckets)));
                for (int l = 0; l < 8; l++) __builtin_prefetch((const void *)(intptr_t)addr[l]);
            }
            _mm256_storeu_si256((__m256i *)(out->rank + i0), _mm512_cvtepi64_epi32(w));
            _mm512_storeu_si512((void *)(out->p + i0), _mm512_add_epi64(_mm512_set1_epi64((long long)(intptr_t)p0), st));
            _mm512_storeu_si512((void *)(out->line + i0),
                                _mm512_add_epi64(_mm512_set1_epi64((long long)s->line + 1), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7)));
            _mm512_storeu_si512((void *)(out->len + i0), _mm512_sub_epi64(end, st));
            _mm_storel_epi64((__m128i *)(out->t1 + i0), _mm512_cvtepi64_epi8(ulen));
            _mm_storel_epi64((__m128i *)(out->ilen + i0), _mm512_cvtepi64_epi8(ilen));
            _mm_storel_epi64((__m128i *)(out->fast + i0), _mm512_cvtepi64_epi8(ones));
            _mm_storel_epi64((__m128i *)(out->same + i0), _mm512_cvtepi64_epi8(_mm512_maskz_mov_epi64(same, ones)));
            n += 8;
            s->line += 8;
            tide_recs_scan_groups++;
            eprev = e;
            u0p = u0;
            u1p = u1;
            ulp = ul;
            j += 32;
            done = 1;
        }
        if (!done) break;
        /* carry the last line's user, and go on after its newline */
        uint64_t lane[8];
        _mm512_storeu_si512((void *)lane, u0p);
        s->u0 = lane[7];
        _mm512_storeu_si512((void *)lane, u1p);
        s->u1 = lane[7];
        _mm512_storeu_si512((void *)lane, ulp);
        s->ulen = (unsigned)lane[7];
        _mm512_storeu_si512((void *)lane, eprev);
        p = p0 + lane[7] + 1;
    }
    *pp = p;
    return scan_avx512(pp, stop, lim, s, out, n, max, pf);
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
    case TIDE_RECS_SCAN_AVX512X8:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2");
#endif
    default:
        return 0;
    }
}

static int resolve(int which) {
    if (which != TIDE_RECS_SCAN_AUTO) return tide_recs_scan_available(which) ? which : TIDE_RECS_SCAN_SCALAR;
    if (tide_recs_scan_available(TIDE_RECS_SCAN_AVX512X8)) return TIDE_RECS_SCAN_AVX512X8;
    if (tide_recs_scan_available(TIDE_RECS_SCAN_AVX512)) return TIDE_RECS_SCAN_AVX512;
    if (tide_recs_scan_available(TIDE_RECS_SCAN_AVX2)) return TIDE_RECS_SCAN_AVX2;
    return TIDE_RECS_SCAN_SCALAR;
}

void tide_recs_masks_of(int which, const char *p, tide_recs_masks *m) {
    switch (resolve(which)) {
#ifdef SCAN_X86
    case TIDE_RECS_SCAN_AVX512X8:
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

int tide_recs_scan(const char **pp, const char *stop, const char *lim, tide_recs_scan_state *s, tide_recs_lines *out,
                   int max, const tide_recs_prefetch *pf) {
    if (max > TIDE_RECS_BATCH) max = TIDE_RECS_BATCH;
    switch (resolve(tide_recs_scan_choice)) {
#ifdef SCAN_X86
    case TIDE_RECS_SCAN_AVX512X8:
        return scan_avx512x8(pp, stop, lim, s, out, max, pf);
    case TIDE_RECS_SCAN_AVX512:
        return scan_avx512(pp, stop, lim, s, out, 0, max, pf);
    case TIDE_RECS_SCAN_AVX2:
        return scan_avx2(pp, stop, lim, s, out, 0, max, pf);
#endif
    default:
        return scan_scalar(pp, stop, lim, s, out, 0, max, pf);
    }
}
