/* tide/retrieval.h — the top-K engine: score every (allowed) item for every requested user through
 * a model's scorer (tide/scorer.h), drop seen and excluded items, keep the best K per user,
 * optionally re-rank a larger pool for diversity (MMR), and hand the lists out in input order,
 * batch by batch. The engine knows no model kind: it sees a scorer, user histories (a dataset,
 * or the caller's views) and a column space.
 *
 * Scoring never materialises users × items. Users go in blocks (default 512), items in blocks of
 * columns (default 1024): the scorer fills a [users × columns] tile small enough to stay in cache
 * (factor models by one sgemm through the backend, tide/backend.h), the engine masks the tile's
 * excluded entries to -INFINITY and folds it into a running per-user top-K. Users the scorer
 * says are not in the model get popularity. Threads (OpenMP) take whole user blocks; results
 * land by position, so the output is the same for every thread count. Ties are broken by the
 * lower item index everywhere.
 *
 * Items are addressed in a "column space": all items, or the sorted allow-list (--candidates);
 * because the allow-list is sorted, ordering by column is ordering by item index.
 * All matrices are row-major f32. The structs below do not own the arrays they point to unless
 * said so.
 */
#ifndef TIDE_RETRIEVAL_H
#define TIDE_RETRIEVAL_H

#include <stdio.h>

#include "tide/backend.h"
#include "tide/core.h"
#include "tide/dataset.h"
#include "tide/qscan.h"
#include "tide/recs.h"
#include "tide/scorer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tide_retrieval_params {
    int k;                  /* list length, >= 1 */
    double diversity;       /* MMR lambda in [0, 1]; 0 = plain top-K (exactly) */
    int pool;               /* MMR candidate pool per user; 0 = auto (max(5k, 50)) */
    int64_t user_block;     /* users per block (default 512) */
    int64_t item_block;     /* items per block (default 1024: a 2 MB score tile) */
    int64_t batch_users;    /* users handed to the sink at once; 0 = auto */
} tide_retrieval_params;

void tide_retrieval_params_default(tide_retrieval_params *p);
/* NULL if consistent, else what is wrong. */
const char *tide_retrieval_params_check(const tide_retrieval_params *p);

/* Where users' histories come from when they are not rows of a dataset (tide-serve: a dataset
 * row plus the events it received online). view() fills the view of user key `user` (an element
 * of the job's users); it is called from worker threads concurrently and the view's arrays must
 * stay valid until tide_retrieval_run returns. */
typedef struct tide_user_source {
    tide_status (*view)(void *ctx, int64_t user, tide_user_view *v);
    void *ctx;
    int64_t n_users;               /* user keys are in [0, n_users) */
} tide_user_source;

/* What to score. `users` are keys in output order: dense indices into `data` (or into `source`,
 * or, with neither, into the scorer's users, e.g. query vectors). */
typedef struct tide_retrieval_job {
    const tide_scorer *scorer;
    const tide_dataset *data;      /* histories (tide_user_view_from_dataset, "latest" = the
                                      dataset's latest event); NULL: `source`, or no histories
                                      (factor scorers only: no fallback) */
    const tide_user_source *source;/* instead of data */
    const int64_t *users;
    int64_t n_users;
    /* Excluded items per user key (CSR over keys, each row sorted ascending, unique);
     * NULL = nothing excluded. Build with tide_retrieval_exclusions_build. */
    const int64_t *excl_indptr;
    const int32_t *excl_items;
    /* Sorted unique allow-list of items; NULL = every item. */
    const int32_t *candidates;
    int64_t n_candidates;
    /* Vectors for MMR similarity [n_items, vec_dim]; NULL = the scorer's item vectors. */
    const float *item_vectors;
    int64_t vec_dim;
    /* Popularity for users not in the model [n_items]; NULL = the scorer's, else the
     * interaction counts of `data`. A caller scoring one user at a time passes it precomputed
     * (tide_retrieval_popularity). */
    const float *popularity;
    tide_backend *backend;         /* NULL = CPU */
    /* Optional: the items of `popularity` by score descending, ties by lower index
     * (tide_retrieval_popularity_order); saves a sort per run. */
    const int32_t *popularity_order;
    /* Optional: a quantised index of the scorer's item vectors (info.item_vectors, all
     * n_items rows). One-row blocks of a scorer with row_query are then answered by
     * tide_qindex_topk: the same lists and scores as the full scan, reading a quarter of the
     * bytes (tide-serve builds one at start-up). */
    const tide_qindex *qindex;
    /* 1: never a fast path (qindex, a scorer's row_topk): every row is scored over all columns
     * (the reference the fast paths equal; tests and benchmarks). */
    int exhaustive;
} tide_retrieval_job;

/* How each user was scored (tide/scorer.h's TIDE_BY_*). */
enum {
    TIDE_RETRIEVAL_BY_MODEL = TIDE_BY_MODEL,
    TIDE_RETRIEVAL_BY_FOLD_IN = TIDE_BY_FOLD_IN,
    TIDE_RETRIEVAL_BY_POPULARITY = TIDE_BY_POPULARITY
};

typedef struct tide_retrieval_stats {
    int64_t users;              /* scored */
    int64_t by_fold_in;         /* not in the model, folded in from their events (ALS) */
    int64_t by_popularity;      /* not in the model (or no events), popularity */
    int64_t short_lists;        /* users with fewer than k eligible items */
    double seconds;
    int64_t fast_rows;          /* users answered by a scorer's own exact top-K (row_topk) */
    int64_t rescored;           /* ... the items it scored exactly for them, in all */
} tide_retrieval_stats;

/* One batch of results, in job order (tide/recs.h's batch): user n of the batch is
 * job->users[first + n]. Called sequentially, batches in order. */
typedef tide_recs_batch tide_retrieval_batch;
typedef tide_status (*tide_retrieval_sink)(void *ctx, const tide_retrieval_batch *b);

/* The engine's running top-K, for a scorer that answers rows itself (tide/scorer.h row_topk):
 * feed scores s[0..len) of columns base .. base + len − 1 — columns in increasing order across
 * calls, so an equal later score loses (ties by lower column) — into the heap val/idx (*n
 * entries, capacity k; root = the worst kept). -INFINITY and NaN never enter. */
void tide_retrieval_topk_feed(float *val, int32_t *idx, int *n, int k, const float *s, int64_t len, int32_t base);

/* Run the job. K larger than the candidate set is TIDE_ERR_USAGE. */
tide_status tide_retrieval_run(const tide_retrieval_job *job, const tide_retrieval_params *p,
                               tide_retrieval_sink sink, void *ctx, tide_retrieval_stats *stats);

/* Interaction counts per item of a dataset, the default popularity of users not in the model
 * (malloc'ed [n_items]). */
tide_status tide_retrieval_popularity(const tide_dataset *ds, float **out);
/* The items by score descending, ties by lower index — the order the engine walks popularity in
 * (malloc'ed [n]). */
tide_status tide_retrieval_popularity_order(const float *scores, int64_t n, int32_t **out);

/* Exclusion lists: each data user's items (unless keep_seen) plus extra (user, item) pairs,
 * sorted and de-duplicated per user. Output arrays are malloc'ed (free()). */
tide_status tide_retrieval_exclusions_build(const tide_dataset *ds, int keep_seen,
                                            const int64_t *pair_users, const int32_t *pair_items,
                                            int64_t n_pairs, int64_t **indptr, int32_t **items);

#ifdef __cplusplus
}
#endif
#endif
