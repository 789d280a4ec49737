/* tide/rng.h — a small, fast, seedable random generator (xoshiro256** seeded by splitmix64).
 * Every random choice in tide goes through one of these, seeded from --seed, so results are
 * reproducible; independent streams (per thread, per shard) come from tide_rng_init with
 * different stream numbers. */
#ifndef TIDE_RNG_H
#define TIDE_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { uint64_t s[4]; } tide_rng;

void tide_rng_init(tide_rng *r, uint64_t seed, uint64_t stream);
uint64_t tide_rng_next(tide_rng *r);
/* Uniform in [0, n) without modulo bias (n > 0). */
uint64_t tide_rng_below(tide_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double tide_rng_uniform(tide_rng *r);
/* Standard normal (Box-Muller). */
double tide_rng_normal(tide_rng *r);

#ifdef __cplusplus
}
#endif
#endif
