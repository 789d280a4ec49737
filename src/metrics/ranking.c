/* ranking.c — per-user ranking metrics (definitions in include/tide/metrics.h). Shared by
 * tide-eval and by training's validation so both report identical numbers. */
#include "tide/metrics.h"

#include <math.h>
#include <stdlib.h>

/* Position of item in the sorted truth array, or -1. */
static int64_t find_truth(const int32_t *truth, int64_t n, int32_t item) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (truth[mid] < item) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && truth[lo] == item ? lo : -1;
}

static int cmp_desc(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

void tide_metrics_user(const int32_t *ranked, int64_t n_ranked, const int32_t *truth,
                       const float *gains, int64_t n_truth, int k, tide_metrics_at_k *out) {
    tide_metrics_at_k m = {0};
    if (n_truth <= 0 || k <= 0) {
        *out = m;
        return;
    }
    int64_t lim = n_ranked < k ? n_ranked : k;
    double hits = 0, dcg = 0, ap = 0;
    for (int64_t i = 0; i < lim; i++) {
        int64_t t = find_truth(truth, n_truth, ranked[i]);
        if (t < 0) continue;
        double g = gains ? (double)gains[t] : 1.0;
        hits += 1;
        dcg += g / log2((double)i + 2.0);
        ap += hits / (double)(i + 1);
        if (m.rr == 0) m.rr = 1.0 / (double)(i + 1);
    }
    /* Ideal DCG over the k largest gains. */
    double idcg = 0;
    int64_t nid = n_truth < k ? n_truth : k;
    if (!gains) {
        for (int64_t i = 0; i < nid; i++) idcg += 1.0 / log2((double)i + 2.0);
    } else {
        float stackbuf[256];
        float *g = n_truth <= 256 ? stackbuf : malloc((size_t)n_truth * sizeof *g);
        if (g) {
            for (int64_t i = 0; i < n_truth; i++) g[i] = gains[i];
            qsort(g, (size_t)n_truth, sizeof *g, cmp_desc);
            for (int64_t i = 0; i < nid; i++) idcg += (double)g[i] / log2((double)i + 2.0);
            if (g != stackbuf) free(g);
        }
    }
    m.precision = hits / (double)k;
    m.recall = hits / (double)n_truth;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
    m.ndcg = idcg > 0 ? dcg / idcg : 0;
    m.ap = ap / (double)n_truth;
    m.hit = hits > 0 ? 1 : 0;
    *out = m;
}
