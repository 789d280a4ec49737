/* ingest-ids.h — id interning for tide-ingest (internal): tide_strmap, with a direct-indexed
 * table in front of it for ids written as plain decimal integers.
 *
 * Many logs use integer ids (MovieLens, most database exports). For those, a flat array indexed
 * by the id's value answers a lookup with one read from a table that is 4 bytes per id value
 * (usually cache-resident), instead of hashing and comparing strings. Only canonical decimals
 * ("0" or no leading zero, at most 9 digits) take this path, so "007" and "7" stay different
 * ids, exactly as strings. The strmap remains the one authority: the table only caches indices it
 * handed out. The table grows to cover the largest id seen only while it stays within 16 entries
 * per distinct id (or 1 Mi entries), so a few huge ids cannot blow memory up.
 */
#ifndef TIDE_DATA_INGEST_IDS_H
#define TIDE_DATA_INGEST_IDS_H

#include "tide/strmap.h"

typedef struct ingest_ids {
    tide_strmap map;
    uint32_t *direct;      /* [direct_cap]: index + 1 of id value v, 0 = not cached */
    size_t direct_cap;
} ingest_ids;

tide_status ingest_ids_init(ingest_ids *d, size_t expected);
void ingest_ids_free(ingest_ids *d);

/* The value of a canonical decimal id ("0" or no leading zero, at most 9 digits), else -1. */
static inline int64_t ingest_ids_decimal(const char *s, size_t n) {
    if (n == 0 || n > 9 || (s[0] == '0' && n > 1)) return -1;
    uint32_t x = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned)(unsigned char)s[i] - '0';
        if (c > 9) return -1;
        x = x * 10 + c;
    }
    return x;
}

/* Batched interning: ingest_ids_hint() classifies a key and prefetches the memory its lookup will
 * read; ingest_ids_intern_hint() (called a batch later, in the same key order as without
 * batching) does the lookup. */
typedef struct ingest_id_hint {
    int64_t value;     /* decimal value, or -1 */
    uint64_t hash;     /* valid when has_hash */
    int has_hash;
} ingest_id_hint;

static inline void ingest_ids_hint(const ingest_ids *d, const char *s, size_t n, ingest_id_hint *h) {
    h->value = ingest_ids_decimal(s, n);
    h->has_hash = 0;
    if (h->value >= 0 && (size_t)h->value < d->direct_cap) {
        __builtin_prefetch(&d->direct[h->value]);
        return;
    }
    h->hash = tide_hash_bytes(s, n);
    h->has_hash = 1;
    tide_strmap_prefetch(&d->map, h->hash);
}

tide_status ingest_ids_intern_slow(ingest_ids *d, const char *s, size_t n, const ingest_id_hint *h, int64_t *idx);

static inline tide_status ingest_ids_intern_hint(ingest_ids *d, const char *s, size_t n, const ingest_id_hint *h,
                                                 int64_t *idx) {
    if (h->value >= 0 && (size_t)h->value < d->direct_cap && d->direct[h->value]) {
        *idx = (int64_t)d->direct[h->value] - 1;
        return TIDE_OK;
    }
    return ingest_ids_intern_slow(d, s, n, h, idx);
}

/* Dense index of id s[0..n), added if new (unbatched). */
static inline tide_status ingest_ids_intern(ingest_ids *d, const char *s, size_t n, int64_t *idx) {
    ingest_id_hint h;
    h.value = ingest_ids_decimal(s, n);
    h.has_hash = 0;
    return ingest_ids_intern_hint(d, s, n, &h, idx);
}

#endif
