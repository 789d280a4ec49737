/* tide/strmap.h — string → dense index dictionary (open addressing, keys in an arena).
 *
 * Used for id dictionaries: the n-th distinct key added gets index n, so indices follow first
 * appearance. Keys are arbitrary bytes (length given), copied into the map. */
#ifndef TIDE_STRMAP_H
#define TIDE_STRMAP_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tide_strmap {
    int64_t *slots;        /* index+1, 0 = empty */
    uint64_t *hashes;      /* per slot, to skip most key compares */
    size_t cap;            /* power of two */
    int64_t count;
    char **keys;           /* [count] NUL-terminated copies */
    uint32_t *lens;        /* [count] */
    size_t keys_cap;
    /* arena */
    char **blocks;
    size_t n_blocks, block_used, block_cap;
} tide_strmap;

tide_status tide_strmap_init(tide_strmap *m, size_t expected);
void tide_strmap_free(tide_strmap *m);
/* Index of key, adding it if new (*added = 1). */
tide_status tide_strmap_intern(tide_strmap *m, const char *key, size_t len, int64_t *index, int *added);
/* Index of key or -1. */
int64_t tide_strmap_find(const tide_strmap *m, const char *key, size_t len);
uint64_t tide_hash_bytes(const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
