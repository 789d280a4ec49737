/* mmr.c — diversity re-ranking by maximal marginal relevance (Carbonell & Goldstein 1998):
 * from a relevance-sorted pool, pick greedily the item that is relevant and unlike the items
 * already picked. Relevance is min-max scaled over the pool so that lambda weighs two quantities
 * on the same [0, 1]-ish scale (cosine similarity). Cost O(k · pool · dim) per user: the
 * max-similarity of every pool entry to the picked set is updated once per pick. */
#include "retrieval-impl.h"

#include <math.h>

void tide_mmr_rerank(int32_t *cols, float *scores, int n, int k, double lambda, const int32_t *items,
                     const float *vecs, int64_t dim, float *scratch, int32_t *iscratch) {
    if (k > n) k = n;
    if (k <= 0) return;
    float *rel = scratch, *maxsim = scratch + n, *inv = scratch + 2 * n;
    int32_t *state = iscratch; /* 0 = available, 1 = picked */
    float lo = scores[0], hi = scores[0];
    for (int i = 0; i < n; i++) {
        if (scores[i] < lo) lo = scores[i];
        if (scores[i] > hi) hi = scores[i];
    }
    for (int i = 0; i < n; i++) {
        rel[i] = hi > lo ? (scores[i] - lo) / (hi - lo) : 1.0f;
        maxsim[i] = 0;
        state[i] = 0;
        const float *v = vecs + (size_t)(items ? items[cols[i]] : cols[i]) * (size_t)dim;
        double ss = 0;
        for (int64_t d = 0; d < dim; d++) ss += (double)v[d] * v[d];
        inv[i] = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    }
    int32_t *order = iscratch + n; /* order[p] = pool entry picked p-th */
    int picked = 0;
    while (picked < k) {
        int best = -1;
        double bestv = 0;
        for (int i = 0; i < n; i++) {
            if (state[i]) continue;
            double v = (1.0 - lambda) * rel[i] - (picked ? lambda * maxsim[i] : 0.0);
            if (best < 0 || v > bestv) {
                best = i;
                bestv = v;
            }
        }
        state[best] = 1;
        order[picked++] = best;
        if (picked == k) break;
        const float *vb = vecs + (size_t)(items ? items[cols[best]] : cols[best]) * (size_t)dim;
        for (int i = 0; i < n; i++) {
            if (state[i]) continue;
            const float *v = vecs + (size_t)(items ? items[cols[i]] : cols[i]) * (size_t)dim;
            float dot = 0;
            for (int64_t d = 0; d < dim; d++) dot += v[d] * vb[d];
            float sim = dot * inv[i] * inv[best];
            if (sim > maxsim[i]) maxsim[i] = sim;
        }
    }
    /* Permute the picks to the front (rel and state are free now). */
    for (int p = 0; p < k; p++) {
        rel[p] = scores[order[p]];
        state[p] = cols[order[p]];
    }
    for (int p = 0; p < k; p++) {
        scores[p] = rel[p];
        cols[p] = state[p];
    }
}
