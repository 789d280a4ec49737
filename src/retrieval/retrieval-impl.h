/* retrieval-impl.h — private pieces of the retrieval module shared by its files and unit tests:
 * the running per-row top-K (a bounded min-heap fed block by block) and MMR re-ranking. */
#ifndef TIDE_RETRIEVAL_IMPL_H
#define TIDE_RETRIEVAL_IMPL_H

#include "tide/retrieval.h"

/* Feed scores s[0..len) of columns base .. base+len-1 into a row's heap (val/idx, *n entries,
 * capacity k). Columns must arrive in increasing order across calls: then a later column equal to
 * the heap's worst loses, which is the "ties by lower index" rule, and the scan can reject with a
 * single vectorised compare against the current K-th value. -INFINITY (masked) and NaN never
 * enter. */
void tide_topk_scan(float *val, int32_t *idx, int *n, int k, const float *s, int64_t len, int32_t base);
/* Sort a heap of n entries into descending order (ties: lower index first). */
void tide_topk_finish(float *val, int32_t *idx, int n);

/* Greedy maximal marginal relevance over a pool sorted best-first (cols/scores, n entries):
 * repeatedly pick argmax (1-lambda)·rel'(i) - lambda·max_{j picked} cos(v_i, v_j), with rel'
 * the score min-max scaled to [0, 1] over the pool; ties go to the earlier pool entry. Writes
 * the first k picks (k <= n) over cols/scores in pick order (scores stay the model's). `items`
 * maps columns to item rows of `vecs` [*, dim] (NULL = identity). scratch: 3*n floats + 2*n ints. */
void tide_mmr_rerank(int32_t *cols, float *scores, int n, int k, double lambda, const int32_t *items,
                     const float *vecs, int64_t dim, float *scratch, int32_t *iscratch);

#endif
