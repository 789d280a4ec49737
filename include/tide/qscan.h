/* qscan.h — exact top-K of one query against many item vectors, fast: an fp32 dot-product kernel
 * with a fixed summation order (so every SIMD path and every call gives the same bits), and an
 * int8 per-item quantised copy of the item vectors that pre-scores every item with a rigorous
 * error bound and re-scores exactly only the items whose upper bound reaches the K-th best lower
 * bound. The result (items, scores, tie order) is identical to scoring every item with
 * tide_qscan_dot and keeping the best K (the engine's exhaustive one-row scan), never an
 * approximation. Part of the retrieval module: the engine uses it for one-row requests of scorers
 * that expose their query vector (tide-serve). */
#ifndef TIDE_QSCAN_H
#define TIDE_QSCAN_H

#include <stdint.h>

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out[j] = q · Y[j] for rows j in [0, n) of Y [n, d] (row-major), in fp32 with a fixed order:
 * 16 running lane sums (lane = index mod 16; products rounded, then added: no fused
 * multiply-add), then a fixed pairwise fold of the lanes. */
void tide_qscan_dot(const float *q, const float *Y, int64_t n, int64_t d, float *out);

typedef struct tide_qindex tide_qindex;

/* Quantise Y [n, d] per item (scale = max|x| / 127). Y must stay valid for the index's life (the
 * exact re-scoring reads it). */
tide_status tide_qindex_build(const float *Y, int64_t n, int64_t d, tide_qindex **out);
void tide_qindex_free(tide_qindex *ix);
/* Add a second int8 copy, 16 items side by side, which the several-query pass reads on the VNNI
 * path without an allow-list (2–3× fewer instructions than row by row); idempotent. */
tide_status tide_qindex_interleave(tide_qindex *ix);
int64_t tide_qindex_n(const tide_qindex *ix);
int64_t tide_qindex_dim(const tide_qindex *ix);
size_t tide_qindex_bytes(const tide_qindex *ix);

/* The best kk (score descending, ties by lower column) of the columns [0, C), column c being
 * item cand ? cand[c] : c, with exact score fl(tide_qscan_dot(q, Y[item]) + bias[c]) (bias may
 * be NULL), skipping the sorted columns ex[0..n_ex). Writes a bounded min-heap in the layout of
 * the engine's running top-K (val, idx, *n: root = worst; tide_topk_finish sorts it).
 * Returns 1 when it answered; 0 when the query cannot be bounded (a non-finite or huge norm):
 * then the caller scans exhaustively. *rescored (may be NULL) = items scored exactly. */
int tide_qindex_topk(const tide_qindex *ix, const float *q, const float *bias, int64_t C, const int32_t *cand,
                     const int32_t *ex, int64_t n_ex, int kk, float *val, int32_t *idx, int *n, int64_t *rescored);

/* Several queries against the same index in one pass over its int8 rows: for a model whose
 * score of an item combines several dot products with that item's vector (the interest model's
 * large-catalogue path: LM profile, words, each interest cluster). Only bounds, no selection:
 * the caller combines them. */
typedef struct tide_qmulti tide_qmulti;

/* Quantise the nq queries Q [nq, d] (d = the index's) for ix. *out = NULL (TIDE_OK) when a query
 * cannot be bounded (a non-finite value or a huge norm): the caller then scores exhaustively. */
tide_status tide_qmulti_new(const tide_qindex *ix, const float *Q, int nq, tide_qmulti **out);
void tide_qmulti_free(tide_qmulti *m);
int tide_qmulti_n(const tide_qmulti *m);
/* For columns c in [c0, c0 + w) (item cand ? cand[c] : c) and query t: the fp32 value
 * tide_qscan_dot(Q_t, Y[item]) lies in [est − mar, est + mar], est[t·w + c − c0] and
 * mar[t·w + c − c0] (rigorous: the bound of tide_qindex_topk). */
void tide_qmulti_block(const tide_qmulti *m, int64_t c0, int64_t w, const int32_t *cand, double *est, double *mar);
/* mar = NULL: est only. A margin of query t valid for every item (>= each mar; the largest
 * item errors, so a little wider), for callers that trade a tighter bound for less arithmetic. */
double tide_qmulti_margin(const tide_qmulti *m, int t);

/* SIMD paths, picked at first use from the CPU (0 baseline, 1 AVX2, 2 AVX-512BW, 3 AVX-512 VNNI:
 * the several-query int8 dots by VNNI, everything else as level 2). Tests force
 * each: tide_qscan_force(level) returns 0 if this CPU (or build) cannot run it. -1 = automatic. */
int tide_qscan_level(void);
int tide_qscan_force(int level);

#ifdef __cplusplus
}
#endif

#endif
