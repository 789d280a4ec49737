/* rng.h — internal: the seeded generator of the statistics (xoshiro256** seeded through
 * splitmix64). A stream is keyed by (seed, stream id, replicate), so replicate b draws the same
 * numbers whatever thread runs it. */
#ifndef TIDE_METRICS_RNG_H
#define TIDE_METRICS_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} tide_rng;

static inline uint64_t tide_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void tide_rng_seed(tide_rng *r, uint64_t seed, uint64_t stream, uint64_t replicate) {
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);
    x = tide_splitmix64(&x) ^ replicate;
    for (int i = 0; i < 4; i++) r->s[i] = tide_splitmix64(&x);
}

static inline uint64_t tide_rng_next(tide_rng *r) {
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, n), unbiased (Lemire's multiply-and-reject). */
static inline uint64_t tide_rng_below(tide_rng *r, uint64_t n) {
    unsigned __int128 m = (unsigned __int128)tide_rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t thresh = -n % n;
        while (lo < thresh) {
            m = (unsigned __int128)tide_rng_next(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

#endif
