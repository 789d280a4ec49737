/* rng.c — seeding of the one generator (tide/rng.h); the steps are inline in the header. */
#include "tide/rng.h"

void tide_rng_init(tide_rng *r, uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
    for (int i = 0; i < 4; i++) r->s[i] = tide_splitmix64(&x);
}
