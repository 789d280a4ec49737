/* tide/strmap.h — string → dense index dictionary (open addressing, keys in an arena).
 *
 * Used for id dictionaries: the n-th distinct key added gets index n, so indices follow first
 * appearance. Keys are arbitrary bytes (length given), copied into the map and NUL-terminated.
 *
 * Layout (for speed on tens of millions of lookups): each 16-byte slot holds 32 bits of the hash,
 * the index and a pointer to the key, whose length is stored just before its bytes; a hit thus
 * costs one slot read and one read of the key, and a miss usually only the slot read. */
#ifndef TIDE_STRMAP_H
#define TIDE_STRMAP_H

#include "tide/core.h"

#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tide_strmap_slot {
    uint32_t hash;         /* high 32 bits of the key's hash; the home slot is hash * cap >> 32 */
    uint32_t index1;       /* index + 1; 0 = empty */
    const char *key;
} tide_strmap_slot;

typedef struct tide_strmap {
    tide_strmap_slot *slots;
    size_t cap;            /* power of two */
    int64_t count;
    char **keys;           /* [count] NUL-terminated copies: keys[i] is the key of index i */
    uint32_t *lens;        /* [count] */
    size_t keys_cap;
    /* arena */
    char **blocks;
    size_t n_blocks, block_used, block_cap;
} tide_strmap;

tide_status tide_strmap_init(tide_strmap *m, size_t expected);
void tide_strmap_free(tide_strmap *m);
/* Index of key, adding it if new (*added = 1; `added` may be NULL). At most 2^32 - 2 keys. */
tide_status tide_strmap_intern(tide_strmap *m, const char *key, size_t len, int64_t *index, int *added);
/* Index of key or -1. */
int64_t tide_strmap_find(const tide_strmap *m, const char *key, size_t len);
/* For batched lookups: intern with a hash computed earlier by tide_hash_bytes(key, len), after
 * tide_strmap_prefetch() asked the CPU to bring the key's slot into cache. Issuing the prefetches
 * for a batch of keys first lets their memory reads overlap instead of stalling one by one. */
tide_status tide_strmap_intern_hashed(tide_strmap *m, const char *key, size_t len, uint64_t hash, int64_t *index,
                                      int *added);
static inline void tide_strmap_prefetch(const tide_strmap *m, uint64_t hash) {
    __builtin_prefetch(&m->slots[((hash >> 32) * m->cap) >> 32]);
}
/* a[0..n) == b[0..n), for the short keys (ids) that dominate dictionaries: two overlapping loads of 8 or 4 bytes
 * cover any length from 4 to 16 without reading outside either key, where a memcmp() call costs
 * more than the comparison itself. */
static inline int tide_bytes_equal(const char *a, const char *b, size_t n) {
    if (n >= 8 && n <= 16) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b1, b + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + n - 4, 4);
        memcpy(&b1, b + n - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    return memcmp(a, b, n) == 0;
}

/* 64-bit hash of a byte string (not stable across versions: never store it). */
uint64_t tide_hash_bytes(const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
