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
tide_status ingest_ids_intern_slow(ingest_ids *d, const char *s, size_t n, int64_t value, int64_t *idx);

/* Dense index of id s[0..n), added if new. */
static inline tide_status ingest_ids_intern(ingest_ids *d, const char *s, size_t n, int64_t *idx) {
    int64_t v = -1;
    if (n > 0 && n <= 9 && (s[0] != '0' || n == 1)) {
        uint32_t x = 0;
        size_t i = 0;
        for (; i < n; i++) {
            unsigned c = (unsigned)(unsigned char)s[i] - '0';
            if (c > 9) break;
            x = x * 10 + c;
        }
        if (i == n) {
            if (x < d->direct_cap && d->direct[x]) {
                *idx = (int64_t)d->direct[x] - 1;
                return TIDE_OK;
            }
            v = x;
        }
    }
    return ingest_ids_intern_slow(d, s, n, v, idx);
}

#endif
