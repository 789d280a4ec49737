/* strmap.c — string dictionary with open addressing (linear probing) and an arena for keys.
 * Hash: 64-bit FNV-1a followed by a murmur-style finaliser, which is fast on the short ids
 * (user and item ids of a few bytes) that dominate tide's inputs. */
#include "tide/strmap.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (1u << 20)

uint64_t tide_hash_bytes(const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

tide_status tide_strmap_init(tide_strmap *m, size_t expected) {
    memset(m, 0, sizeof *m);
    size_t cap = 64;
    while (cap < expected * 2) cap <<= 1;
    m->cap = cap;
    m->slots = tide_calloc(cap, sizeof *m->slots);
    m->hashes = tide_calloc(cap, sizeof *m->hashes);
    if (!m->slots || !m->hashes) {
        tide_strmap_free(m);
        return TIDE_ERR_NOMEM;
    }
    return TIDE_OK;
}

void tide_strmap_free(tide_strmap *m) {
    free(m->slots);
    free(m->hashes);
    free(m->keys);
    free(m->lens);
    for (size_t i = 0; i < m->n_blocks; i++) free(m->blocks[i]);
    free(m->blocks);
    memset(m, 0, sizeof *m);
}

static char *arena_copy(tide_strmap *m, const char *key, size_t len) {
    if (m->n_blocks == 0 || m->block_used + len + 1 > m->block_cap) {
        size_t cap = len + 1 > BLOCK_SIZE ? len + 1 : BLOCK_SIZE;
        char **nb = realloc(m->blocks, (m->n_blocks + 1) * sizeof *nb);
        if (!nb) return NULL;
        m->blocks = nb;
        char *b = malloc(cap);
        if (!b) return NULL;
        m->blocks[m->n_blocks++] = b;
        m->block_used = 0;
        m->block_cap = cap;
    }
    char *dst = m->blocks[m->n_blocks - 1] + m->block_used;
    memcpy(dst, key, len);
    dst[len] = 0;
    m->block_used += len + 1;
    return dst;
}

static tide_status grow(tide_strmap *m) {
    size_t ncap = m->cap * 2;
    int64_t *ns = calloc(ncap, sizeof *ns);
    uint64_t *nh = calloc(ncap, sizeof *nh);
    if (!ns || !nh) {
        free(ns);
        free(nh);
        return tide_error(TIDE_ERR_NOMEM, "out of memory growing a dictionary to %zu slots", ncap);
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i]) continue;
        size_t j = m->hashes[i] & (ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        ns[j] = m->slots[i];
        nh[j] = m->hashes[i];
    }
    free(m->slots);
    free(m->hashes);
    m->slots = ns;
    m->hashes = nh;
    m->cap = ncap;
    return TIDE_OK;
}

int64_t tide_strmap_find(const tide_strmap *m, const char *key, size_t len) {
    uint64_t h = tide_hash_bytes(key, len);
    size_t j = h & (m->cap - 1);
    while (m->slots[j]) {
        int64_t idx = m->slots[j] - 1;
        if (m->hashes[j] == h && m->lens[idx] == len && memcmp(m->keys[idx], key, len) == 0) return idx;
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

tide_status tide_strmap_intern(tide_strmap *m, const char *key, size_t len, int64_t *index, int *added) {
    uint64_t h = tide_hash_bytes(key, len);
    size_t j = h & (m->cap - 1);
    while (m->slots[j]) {
        int64_t idx = m->slots[j] - 1;
        if (m->hashes[j] == h && m->lens[idx] == len && memcmp(m->keys[idx], key, len) == 0) {
            *index = idx;
            if (added) *added = 0;
            return TIDE_OK;
        }
        j = (j + 1) & (m->cap - 1);
    }
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
    m->slots[j] = idx + 1;
    m->hashes[j] = h;
    *index = idx;
    if (added) *added = 1;
    if ((size_t)m->count * 2 > m->cap) return grow(m);
    return TIDE_OK;
}
