/* test-metrics.c — per-user ranking metrics against values worked out by hand. */
#include "harness.h"
#include "tide/metrics.h"

static void test_hand_computed(void) {
    /* ranked: 5 3 9 1 7; truth {1, 3, 4} (sorted). Hits at ranks 2 and 4. */
    int32_t ranked[] = {5, 3, 9, 1, 7};
    int32_t truth[] = {1, 3, 4};
    tide_metrics_at_k m;
    tide_metrics_user(ranked, 5, truth, NULL, 3, 5, &m);
    CHECK_NEAR(m.precision, 2.0 / 5, 1e-12);
    CHECK_NEAR(m.recall, 2.0 / 3, 1e-12);
    CHECK_NEAR(m.f1, 2 * 0.4 * (2.0 / 3) / (0.4 + 2.0 / 3), 1e-12);
    double dcg = 1 / log2(3.0) + 1 / log2(5.0), idcg = 1 + 1 / log2(3.0) + 1 / log2(4.0);
    CHECK_NEAR(m.ndcg, dcg / idcg, 1e-12);
    CHECK_NEAR(m.ap, (1.0 / 2 + 2.0 / 4) / 3, 1e-12);
    CHECK_NEAR(m.rr, 0.5, 1e-12);
    CHECK_NEAR(m.hit, 1, 0);
    /* k = 1: nothing relevant at rank 1. */
    tide_metrics_user(ranked, 5, truth, NULL, 3, 1, &m);
    CHECK_NEAR(m.precision, 0, 0);
    CHECK_NEAR(m.ndcg, 0, 0);
    CHECK_NEAR(m.rr, 0, 0);
    /* Short list: precision still divides by k. */
    tide_metrics_user(ranked, 2, truth, NULL, 3, 10, &m);
    CHECK_NEAR(m.precision, 0.1, 1e-12);
    /* Graded gains: truth 1 (g=3), 3 (g=1), 4 (g=2). */
    float gains[] = {3, 1, 2};
    tide_metrics_user(ranked, 5, truth, gains, 3, 5, &m);
    dcg = 1 / log2(3.0) + 3 / log2(5.0);
    idcg = 3 + 2 / log2(3.0) + 1 / log2(4.0);
    CHECK_NEAR(m.ndcg, dcg / idcg, 1e-12);
}

int main(void) {
    RUN(test_hand_computed);
    return harness_done();
}
