/* tide/rng.h — the one random generator of tide: xoshiro256** (Blackman & Vigna, 2018) seeded
 * through splitmix64. Every random choice in tide goes through it, seeded from --seed, so results
 * are reproducible. Independent streams (per thread, per shard, per row of a factor matrix, per
 * epoch and sub-block of BPR) come from the seeding functions below: tide_rng_init with one
 * stream number, tide_rng_seed with two (a counter-based use: the numbers depend on the seed and
 * the stream, never on thread scheduling). The generator steps are inline: BPR draws several per
 * update in its innermost loop. */
#ifndef TIDE_RNG_H
#define TIDE_RNG_H

#include <math.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { uint64_t s[4]; } tide_rng;

void tide_rng_init(tide_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t tide_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A generator for (seed, stream a, stream b). */
static inline tide_rng tide_rng_seed(uint64_t seed, uint64_t a, uint64_t b) {
    uint64_t x = seed ^ (a * 0xd1342543de82ef95ULL) ^ (b * 0x2545f4914f6cdd1dULL + 0x632be59bd9b4e019ULL);
    tide_rng r;
    for (int i = 0; i < 4; i++) r.s[i] = tide_splitmix64(&x);
    return r;
}

static inline uint64_t tide_rng_next(tide_rng *r) {
    uint64_t *s = r->s;
    uint64_t t = s[1] << 17, res = s[1] * 5;
    res = ((res << 7) | (res >> 57)) * 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return res;
}

/* Uniform in [0, n) without modulo bias (n > 0): Lemire's nearly-divisionless method. */
static inline uint64_t tide_rng_below(tide_rng *r, uint64_t n) {
    __uint128_t m = (__uint128_t)tide_rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (__builtin_expect(lo < n, 0)) {
        uint64_t t = (0 - n) % n;
        while (lo < t) {
            m = (__uint128_t)tide_rng_next(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Uniform double in [0, 1). */
static inline double tide_rng_uniform(tide_rng *r) { return (double)(tide_rng_next(r) >> 11) * 0x1.0p-53; }

/* Standard normal (Box-Muller). */
static inline double tide_rng_normal(tide_rng *r) {
    double u1 = tide_rng_uniform(r), u2 = tide_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#ifdef __cplusplus
}
#endif
#endif
