/* tide/metrics.h — ranking metrics for one user's ranked list against that user's truth.
 *
 * Definitions (docs/metrics.md has the edge cases): with R_k the first k recommended items
 * (fewer if the list is shorter), T the relevant items with gains g (1 for binary relevance):
 *   precision@k = |R_k ∩ T| / k          (k, not |R_k|: short lists are not rewarded)
 *   recall@k    = |R_k ∩ T| / |T|
 *   f1@k        = 2 P R / (P + R), 0 when both are 0
 *   ndcg@k      = DCG / IDCG, DCG = Σ_{i<k} g(r_i) / log2(i + 2), IDCG the same over the k
 *                 largest gains of T (linear gain, as trec_eval and ranx)
 *   ap@k        = Σ_{i<k, r_i ∈ T} precision@(i+1) / |T|   (trec_eval map_cut, ranx map@k)
 *   rr@k        = 1 / rank of the first relevant item within k, else 0
 *   hit@k       = 1 if any relevant item is within k, else 0
 * A user with an empty truth set is not defined; callers skip (and report) such users.
 */
#ifndef TIDE_METRICS_H
#define TIDE_METRICS_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double precision, recall, f1, ndcg, ap, rr, hit;
} tide_metrics_at_k;

/* Metrics of one ranked list. `truth` must be sorted ascending by item index with no duplicates
 * (gains aligned with it; NULL = binary relevance). `ranked` must hold no duplicates. */
void tide_metrics_user(const int32_t *ranked, int64_t n_ranked, const int32_t *truth,
                       const float *gains, int64_t n_truth, int k, tide_metrics_at_k *out);

/* The same metrics at several cutoffs in one pass: ks[n_k] ascending and >= 1, out[n_k].
 * `ranked` may contain -1 entries (a rank absent from the input: matches nothing), so position
 * i always means rank i+1. Identical to calling tide_metrics_user once per cutoff. */
void tide_metrics_user_multi(const int32_t *ranked, int64_t n_ranked, const int32_t *truth,
                             const float *gains, int64_t n_truth, const int *ks, int n_k,
                             tide_metrics_at_k *out);

#ifdef __cplusplus
}
#endif
#endif
