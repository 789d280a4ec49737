/* recs-scan.h — internal: the line scanner of the recommendation TSV reader. It finds each line's
 * structure (tabs, end) and checks the common, well-formed line completely from one 64-byte
 * window (SIMD compares on x86, a portable SWAR version elsewhere), so that the reader is left
 * with the id lookups and the per-user checks. Lines it cannot vouch for are passed on unchecked
 * ("slow") and re-parsed by the reader's exact, message-producing code. */
#ifndef TIDE_METRICS_RECS_SCAN_H
#define TIDE_METRICS_RECS_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Readable bytes the scanner needs past the start of any line it scans. */
#define TIDE_RECS_PAD 128

/* Classification of the 64 bytes at a line start: bit i set when byte i is a tab, '\n', an ASCII
 * digit or '.'. */
typedef struct {
    uint64_t tab, nl, digit, dot;
} tide_recs_masks;

/* Scanned lines, column by column (the vector scanner stores eight lines' fields at a time). */
#define TIDE_RECS_BATCH 64
typedef struct {
    const char *p[TIDE_RECS_BATCH];      /* line start */
    uint64_t line[TIDE_RECS_BATCH];      /* 1-based line number */
    size_t len[TIDE_RECS_BATCH];         /* bytes up to the line end, '\r' before '\n' excluded */
    uint64_t key[TIDE_RECS_BATCH];       /* (fast) tide_recs_short_key of the item, 0 for a long id */
    uint32_t home[TIDE_RECS_BATCH];      /* (fast, key != 0, prefetching) its home bucket */
    uint32_t rank[TIDE_RECS_BATCH];      /* (fast) */
    uint8_t t1[TIDE_RECS_BATCH];         /* (fast) offset of the first tab: the user id's length */
    uint8_t ilen[TIDE_RECS_BATCH];       /* (fast) the item id's length; it starts at p + t1 + 1 */
    uint8_t fast[TIDE_RECS_BATCH];       /* 1: 4 fields, non-empty ids, rank and score valid; 0: not checked */
    uint8_t same[TIDE_RECS_BATCH];       /* (fast) 1: the same user id as the line before, which was fast
                                          * too (ids of up to 16 bytes; 0 says nothing: the reader compares) */
} tide_recs_lines;

/* What the scanner carries from one call to the next. Zero it before the first call. */
typedef struct {
    uint64_t line;    /* lines consumed so far */
    uint64_t u0, u1;  /* tide_recs_id_words of the last line's user id, if it was fast */
    unsigned ulen;    /* its length; 0: no such line */
} tide_recs_scan_state;

/* The reader's item index, for the scanner to prefetch each line's bucket (64 bytes) while it
 * works on the following lines: spread out, the prefetches do not queue for fill buffers. */
typedef struct {
    const char *buckets;
    int shift;        /* 64 - log2(number of buckets) */
} tide_recs_prefetch;

/* Scanner implementations; tests compare them. AVX512X8 checks eight lines at a time (AVX-512
 * F/BW/DQ/VL/VBMI2) and hands other lines to the AVX512 per-line scanner. */
enum { TIDE_RECS_SCAN_AUTO = 0, TIDE_RECS_SCAN_SCALAR, TIDE_RECS_SCAN_AVX2, TIDE_RECS_SCAN_AVX512, TIDE_RECS_SCAN_AVX512X8 };

/* Which implementation tide_recs_scan uses: TIDE_RECS_SCAN_AUTO (default) picks the best one the
 * CPU has. Tests set it to compare implementations; not for concurrent changes. */
extern int tide_recs_scan_choice;

/* Groups of eight lines the vector scanner (TIDE_RECS_SCAN_AVX512X8) checked at once, so that
 * tests can see it did (not thread-safe: a test's counter). */
extern uint64_t tide_recs_scan_groups;

/* 1 when implementation `which` can run on this CPU. */
int tide_recs_scan_available(int which);

/* The masks of 64 bytes at p (64 readable bytes) by implementation `which` (for tests). */
void tide_recs_masks_of(int which, const char *p, tide_recs_masks *m);

/* Scans up to `max` <= TIDE_RECS_BATCH complete, non-blank lines starting at *pp, with *pp < stop, into out, and
 * advances *pp past them (blank lines are skipped and counted in s->line). A line whose '\n' is
 * not before `lim` stops the scan (incomplete: the caller brings more data). Bytes
 * [*pp, stop + TIDE_RECS_PAD) must be readable. Returns the number of lines in out[]; a call may
 * stop early (fewer lines, *pp advanced): call again until *pp stops moving or reaches stop. */
int tide_recs_scan(const char **pp, const char *stop, const char *lim, tide_recs_scan_state *s, tide_recs_lines *out,
                   int max, const tide_recs_prefetch *pf);

/* A little-endian 64-bit load (the masks and key words are defined in little-endian order). */
static inline uint64_t tide_recs_load64(const char *p) {
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* An id of n <= 16 bytes as two words: its bytes zero-padded to 16, little-endian. Together
 * with the length they identify the id exactly, so short ids compare as two integers. */
static inline void tide_recs_id_words(const char *s, size_t n, uint64_t *w0, uint64_t *w1) {
    char tmp[16] = {0};
    memcpy(tmp, s, n);
    *w0 = tide_recs_load64(tmp);
    *w1 = tide_recs_load64(tmp + 8);
}

/* Index key of an item id of n >= 1 bytes whose first min(n, 8) bytes are w0: up to 7 bytes,
 * the bytes with the length in the top byte (1..7); 8 bytes whose last byte is >= 8, the bytes
 * (top byte >= 8: the two kinds never meet). 0 for any other id ("long": the reader hashes it). */
static inline uint64_t tide_recs_short_key(uint64_t w0, size_t n) {
    if (n <= 7) return w0 | (uint64_t)n << 56;
    if (n == 8 && (w0 >> 56) >= 8) return w0;
    return 0;
}

/* Home bucket of a key among 2^(64 - shift) buckets: the top bits of a multiplicative hash (they
 * depend on every byte of the key). */
static inline uint64_t tide_recs_home(uint64_t key, int shift) {
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    h ^= h >> 32;
    return (h * 0xd6e8feb86659fd93ull) >> shift;
}

#endif
