/* strmap.c — string dictionary with open addressing (linear probing) and an arena for keys.
 *
 * Interning ids is the hot loop of tide-ingest (two lookups per input row), and with hundreds of
 * thousands of ids the table no longer fits in cache, so the layout is chosen to minimise memory
 * reads: a 16-byte slot carries 32 hash bits, the index and the key pointer; the key's length is
 * stored in the 4 bytes before its text in the arena. A lookup reads one slot (plus neighbours,
 * usually in the same cache line) and, on a hash match, one key. The table grows at 70% load.
 * A key's home slot is derived from the same 32 hash bits the slot keeps (h32 * cap >> 32), so
 * growing the table moves slots without rehashing or touching a single key.
 * Hash: 16 bytes at a time through a 64x64→128-bit multiply-fold (as in wyhash), which mixes
 * well and costs a few cycles for the short ids that dominate tide's inputs.
 */
#include "tide/strmap.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (1u << 20)       /* the first arena block at most (sized by `expected`)... */
#define BLOCK_SIZE_MAX (16u << 20)  /* ...up to this, on huge pages (keys are compared at random) */

static inline uint64_t fold(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t tide_hash_bytes(const void *data, size_t len) {
    const unsigned char *p = data;
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
    uint64_t h = k2 ^ (uint64_t)len;
    size_t n = len;
    while (n >= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        h = fold(a ^ k0, b ^ h ^ k1);
        p += 16;
        n -= 16;
    }
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, p, 8);
        for (size_t i = 8; i < n; i++) b |= (uint64_t)p[i] << (8 * (i - 8));
    } else {
        for (size_t i = 0; i < n; i++) a |= (uint64_t)p[i] << (8 * i);
    }
    h = fold(a ^ k0 ^ h, b ^ k1);
    return fold(h ^ k2, (uint64_t)len ^ k0);
}

tide_status tide_strmap_init(tide_strmap *m, size_t expected) {
    memset(m, 0, sizeof *m);
    size_t cap = 64;
    while (cap * 7 / 10 < expected) cap <<= 1;
    m->cap = cap;
    /* The first arena block fits `expected` keys of ~16 bytes: a map of a few keys made per call
     * (a truth file in tests, a request) must not cost a megabyte of fresh pages; later blocks
     * double, so a wrong guess costs a few more blocks only. */
    size_t first = 4096;
    while (first < BLOCK_SIZE && first / 16 < expected) first <<= 1;
    m->block_cap = first;
    m->slots = tide_calloc_large(cap, sizeof *m->slots);
    if (!m->slots) {
        tide_strmap_free(m);
        return TIDE_ERR_NOMEM;
    }
    return TIDE_OK;
}

void tide_strmap_free(tide_strmap *m) {
    free(m->slots);
    free(m->keys);
    free(m->lens);
    for (size_t i = 0; i < m->n_blocks; i++) free(m->blocks[i]);
    free(m->blocks);
    memset(m, 0, sizeof *m);
}

/* Copy a key into the arena as [u32 length][bytes][NUL]; returns the bytes. */
static char *arena_copy(tide_strmap *m, const char *key, size_t len) {
    size_t need = len + 5;
    if (m->n_blocks == 0 || m->block_used + need > m->block_cap) {
        size_t cap = m->n_blocks == 0 ? (m->block_cap ? m->block_cap : BLOCK_SIZE) : m->block_cap * 2 > BLOCK_SIZE_MAX ? BLOCK_SIZE_MAX : m->block_cap * 2;
        if (cap < need) cap = need;
        char **nb = realloc(m->blocks, (m->n_blocks + 1) * sizeof *nb);
        if (!nb) return NULL;
        m->blocks = nb;
        char *b = cap >= (4u << 20) ? tide_calloc_large(cap, 1) : malloc(cap);
        if (!b) return NULL;
        m->blocks[m->n_blocks++] = b;
        m->block_used = 0;
        m->block_cap = cap;
    }
    char *dst = m->blocks[m->n_blocks - 1] + m->block_used;
    uint32_t l32 = (uint32_t)len;
    memcpy(dst, &l32, 4);
    memcpy(dst + 4, key, len);
    dst[4 + len] = 0;
    m->block_used += need;
    return dst + 4;
}

static inline int same_key(const char *stored, const char *key, size_t len) {
    uint32_t l32;
    memcpy(&l32, stored - 4, 4);
    return l32 == len && tide_bytes_equal(stored, key, len);
}

static inline size_t home(uint32_t h32, size_t cap) { return (size_t)(((uint64_t)h32 * cap) >> 32); }

static tide_status grow(tide_strmap *m) {
    size_t ncap = m->cap * 2;
    tide_strmap_slot *ns = tide_calloc_large(ncap, sizeof *ns);
    if (!ns) return tide_error(TIDE_ERR_NOMEM, "out of memory growing a dictionary to %zu slots", ncap);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].index1) continue;
        size_t j = home(m->slots[i].hash, ncap);
        while (ns[j].index1) j = (j + 1) & (ncap - 1);
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return TIDE_OK;
}

int64_t tide_strmap_find(const tide_strmap *m, const char *key, size_t len) {
    uint64_t h = tide_hash_bytes(key, len);
    uint32_t h32 = (uint32_t)(h >> 32);
    size_t mask = m->cap - 1, j = home(h32, m->cap);
    for (;;) {
        const tide_strmap_slot *s = &m->slots[j];
        if (!s->index1) return -1;
        if (s->hash == h32 && same_key(s->key, key, len)) return (int64_t)s->index1 - 1;
        j = (j + 1) & mask;
    }
}

tide_status tide_strmap_intern(tide_strmap *m, const char *key, size_t len, int64_t *index, int *added) {
    return tide_strmap_intern_hashed(m, key, len, tide_hash_bytes(key, len), index, added);
}

tide_status tide_strmap_intern_hashed(tide_strmap *m, const char *key, size_t len, uint64_t h, int64_t *index,
                                      int *added) {
    uint32_t h32 = (uint32_t)(h >> 32);
    size_t mask = m->cap - 1, j = home(h32, m->cap);
    for (;;) {
        tide_strmap_slot *s = &m->slots[j];
        if (!s->index1) break;
        if (s->hash == h32 && same_key(s->key, key, len)) {
            *index = (int64_t)s->index1 - 1;
            if (added) *added = 0;
            return TIDE_OK;
        }
        j = (j + 1) & mask;
    }
    if (m->count >= (int64_t)UINT32_MAX - 1 || len > UINT32_MAX - 8)
        return tide_error(TIDE_ERR_DATA, "dictionary full (too many or too long keys)");
    if ((size_t)m->count >= m->keys_cap) {
        size_t nc = m->keys_cap ? m->keys_cap * 2 : 1024;
        char **nk = realloc(m->keys, nc * sizeof *nk);
        if (!nk) return tide_error(TIDE_ERR_NOMEM, "out of memory growing a dictionary");
        m->keys = nk;
        uint32_t *nl = realloc(m->lens, nc * sizeof *nl);
        if (!nl) return tide_error(TIDE_ERR_NOMEM, "out of memory growing a dictionary");
        m->lens = nl;
        m->keys_cap = nc;
    }
    char *copy = arena_copy(m, key, len);
    if (!copy) return tide_error(TIDE_ERR_NOMEM, "out of memory storing a key");
    int64_t idx = m->count++;
    m->keys[idx] = copy;
    m->lens[idx] = (uint32_t)len;
    m->slots[j].hash = h32;
    m->slots[j].index1 = (uint32_t)(idx + 1);
    m->slots[j].key = copy;
    *index = idx;
    if (added) *added = 1;
    if ((size_t)m->count * 10 > m->cap * 7) return grow(m);
    return TIDE_OK;
}
