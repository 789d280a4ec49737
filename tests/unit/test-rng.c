/* test-rng.c — the seeded generator: reproducible, independent streams, unbiased ranges. */
#include "harness.h"
#include "tide/rng.h"

static void test_reproducible(void) {
    tide_rng a, b, c;
    tide_rng_init(&a, 42, 0);
    tide_rng_init(&b, 42, 0);
    tide_rng_init(&c, 42, 1);
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = tide_rng_next(&a), y = tide_rng_next(&b), z = tide_rng_next(&c);
        if (x != y) { CHECK(x == y); break; }
        same_c += x == z;
    }
    CHECK(same_c < 2);
}

static void test_ranges(void) {
    tide_rng r;
    tide_rng_init(&r, 1, 0);
    int counts[10] = {0};
    for (int i = 0; i < 100000; i++) {
        uint64_t v = tide_rng_below(&r, 10);
        if (v >= 10) { CHECK(v < 10); return; }
        counts[v]++;
    }
    /* chi-square with 9 degrees of freedom: 99.9% quantile is 27.9 */
    double chi = 0;
    for (int k = 0; k < 10; k++) chi += (counts[k] - 10000.0) * (counts[k] - 10000.0) / 10000.0;
    CHECK(chi < 27.9);
    double s = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        double u = tide_rng_uniform(&r);
        CHECK(u >= 0 && u < 1);
        double n = tide_rng_normal(&r);
        s += n;
        s2 += n * n;
    }
    CHECK_NEAR(s / 100000, 0, 0.02);
    CHECK_NEAR(s2 / 100000, 1, 0.03);
}

int main(void) {
    RUN(test_reproducible);
    RUN(test_ranges);
    return harness_done();
}
