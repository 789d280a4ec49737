/* large.h — internal to src/interest: the interest scorer's large-catalogue regime (large.c).
 *
 * Catalogues of at most TIDE_INTEREST_LARGE_ITEMS items are scored as they always were (every
 * component over all items, z-scored over all unseen items, combined). Above it, an item's score
 * is a fixed per-item formula, so that a full scan and an exact pruned top-K compute the same
 * bits:
 *   score(j) = Σ_c fl(w_c · fl(fl(s_c(j) − mean_c) · inv_sd_c))   (components in order, fp32, no FMA)
 * where s_c(j) is the component's raw score — the dense ones (als, tfidf, lm, words, cluster = the
 * best scaled centroid) through tide_qscan_dot's fixed-order dot, pop = log1p of the contextual
 * popularity of item j alone, the others (transitions, kNN, EASE rows) the rows
 * tide_interest_features builds — and mean_c, sd_c are z-score statistics: over every unseen item
 * for the row components (exactly as tide_interest_normalise), over a fixed sample of
 * TIDE_INTEREST_STAT_SAMPLE items (256 evenly spaced runs of 16 consecutive items) minus the seen
 * ones for the dense components (their int8 pre-scores: exact integer dots) and every 4th run of
 * it for pop (1,024 items) — their full evaluation is what costs. */
#ifndef TIDE_INTEREST_LARGE_H
#define TIDE_INTEREST_LARGE_H

#include "tide/interest.h"
#include "tide/scorer.h"

/* Catalogues with more items than this use the large regime. */
#define TIDE_INTEREST_LARGE_ITEMS 16384
/* Items of the z-score sample of the dense and pop components in the large regime. */
#define TIDE_INTEREST_STAT_SAMPLE 4096

/* Per scorer, read-only once built: int8 copies of the item matrices, popularity bounds, the
 * sample. Borrows `it` (which must outlive it). */
typedef struct tide_ilarge tide_ilarge;
tide_status tide_ilarge_new(const tide_interest_items *it, tide_ilarge **out);
void tide_ilarge_free(tide_ilarge *L);
/* Threads one row's int8 pass may use (1..8; default 1), when not already inside a thread team. */
void tide_ilarge_set_threads(tide_ilarge *L, int n);

/* Per block (thread): one prepared user and scratch. Released blocks are kept by L (up to 16,
 * thread-safe) and handed out again: a one-user run (tide-serve) reuses warm scratch. The
 * settings p must be the same for every block of L. */
typedef struct tide_ilarge_blk tide_ilarge_blk;
tide_status tide_ilarge_blk_new(tide_ilarge *L, const tide_interest_params *p, tide_ilarge_blk **out);
void tide_ilarge_blk_free(tide_ilarge *L, tide_ilarge_blk *B);

/* Prepare one user: the state (tide_interest_features), the queries and the statistics; `excl`
 * the user's distinct seen items, sorted. */
tide_status tide_ilarge_user(const tide_ilarge *L, const tide_interest_params *p, const tide_interest_history *h,
                             const int32_t *excl, int64_t n_excl, tide_ilarge_blk *B);
/* The prepared user's score of item j (the formula above). */
float tide_ilarge_score(const tide_ilarge *L, const tide_ilarge_blk *B, int64_t j);
/* Its terms w_c · z_c(j) per component [TIDE_IC_N] (0 for components not in the score). */
void tide_ilarge_terms(const tide_ilarge *L, const tide_ilarge_blk *B, int64_t j, float *terms);
/* The prepared user's top-kk over the columns of `cols`, skipping the sorted excluded columns
 * ex[0..n_ex): the heap of the engine's running top-K (tide/scorer.h row_topk), identical to
 * scoring every column with tide_ilarge_score. *answered = 0 when a query cannot be bounded. */
tide_status tide_ilarge_topk(const tide_ilarge *L, tide_ilarge_blk *B, const tide_scorer_cols *cols, const int32_t *ex,
                             int64_t n_ex, int kk, float *val, int32_t *idx, int *n, int *answered, int64_t *rescored);

#endif
