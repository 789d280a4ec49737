/* tide/retrieval.h — top-K retrieval: score every (allowed) item for every requested user with a
 * trained model, drop seen and excluded items, keep the best K per user, optionally re-rank a
 * larger pool for diversity (MMR), and hand the lists out in input order, batch by batch.
 *
 * Scoring never materialises users × items. Factor models (ALS, BPR, content vectors) score a
 * block of users against a block of items with one sgemm through the backend (tide/backend.h),
 * mask the block's excluded entries to -INFINITY and fold the block into a running per-user top-K
 * while it is still in cache; EASE is history-row × B as a sparse-dense product on the same item
 * blocks; item-kNN sums neighbour similarities over the history; popularity walks a sorted list.
 * Threads (OpenMP) take whole user blocks; results land by position, so the output is the same
 * for every thread count. Ties are broken by the lower item index everywhere.
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
#include "tide/mf.h"
#include "tide/npy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cJSON cJSON;

typedef enum {
    TIDE_RETRIEVAL_FACTORS = 0, /* score = u · v (+ item bias): als, bpr, content vectors */
    TIDE_RETRIEVAL_EASE,        /* score = x_u B */
    TIDE_RETRIEVAL_ITEMKNN,     /* score(j) = Σ_{i in history, j in N(i)} w_ui sim(i, j) */
    TIDE_RETRIEVAL_POP          /* score(j) = popularity[j], or contextual (pop_context) */
} tide_retrieval_kind;
/* History weights (x_u, w_ui, fold-in events) are the dataset's weights times the model's time
 * decay (params.decay; tide_mf_weights), or the dataset's weights when the model has none. */

/* A loaded model directory (docs/formats.md), arrays memory-mapped. */
typedef struct tide_retrieval_model {
    tide_retrieval_kind kind;
    char algorithm[32];          /* "als", "bpr", "ease", "itemknn", "pop", "vectors" */
    int64_t n_users;             /* rows of user_factors (0 for models without user state) */
    int64_t n_items;
    int64_t dim;                 /* factors (FACTORS only) */
    const float *user_factors;   /* [n_users, dim] */
    const float *item_factors;   /* [n_items, dim] */
    const float *item_bias;      /* [n_items] or NULL */
    const float *item_matrix;    /* EASE B [n_items, n_items] */
    const int64_t *nb_indptr;    /* itemknn [n_items+1] */
    const int32_t *nb_items;
    const float *nb_sims;
    const float *popularity;     /* pop [n_items] */
    /* pop trained with --as-of user: contextual popularity over the model's training events
     * (event_*.npy), scored at each user's latest event in the scoring data (a user without
     * events: at the model's latest event); NULL = the static popularity array. Owned. */
    tide_pop_context *pop_context;
    /* Fold-in (ALS): a user's factor from their events against fixed item factors
     * (tide_mf_fold_in with params.alpha, params.regularization). */
    int can_fold_in;
    /* ALS trained with --fold-in (params "fold-in"): every user with events is scored by folding
     * in their (decayed) history, not by user_factors; a dataset is then required. */
    int fold_in_all;
    /* The manifest's training parameters that scoring must follow (tide_mf_params_default of
     * the algorithm, overridden by manifest "params"): ALS fold-in's alpha and regularization,
     * and the time decay (params.decay), which weights each user's history for ease, itemknn
     * and ALS fold-in exactly as tide-train-mf does (tide_mf_weights on the scoring data). */
    tide_mf_params params;
    /* The dataset the model was trained on (manifest "dataset"). */
    char dataset_checksum[64];
    char dataset_path[512];
    int64_t dataset_users, dataset_items;
    cJSON *manifest;             /* owned */
    tide_npy arrays[6];          /* owned maps */
} tide_retrieval_model;

/* Load DIR/manifest.json and the arrays its algorithm needs, checking every shape against the
 * manifest and against each other (factor dims that disagree, a CSR that is not one, ...):
 * TIDE_ERR_DATA with "path: reason". A manifest whose format or algorithm tide-recommend does
 * not know (e.g. an interest dir before its scoring rule exists) is TIDE_ERR_DATA
 * "unsupported model kind". */
tide_status tide_retrieval_model_load(const char *dir, tide_retrieval_model *m);

/* A FACTORS model over caller arrays (content retrieval: query vectors × item vectors). The
 * arrays are borrowed. */
void tide_retrieval_model_from_vectors(tide_retrieval_model *m, const float *user_vectors,
                                       int64_t n_users, const float *item_vectors, int64_t n_items,
                                       int64_t dim);
void tide_retrieval_model_free(tide_retrieval_model *m);

/* Check that `ds` is the dataset the model was trained on (manifest checksum). With
 * allow_new_data, a different dataset is accepted when it has the model's item count (the parts
 * of one tide-split share their dictionaries); its users past the model's are then "not in the
 * model". TIDE_ERR_DATA otherwise, naming both checksums. */
tide_status tide_retrieval_check_dataset(const tide_retrieval_model *m, const tide_dataset *ds,
                                         const char *data_dir, int allow_new_data);

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

/* What to score. `users` are dense indices into `data` (or, without data, into the model's
 * users), in output order. */
typedef struct tide_retrieval_job {
    const tide_retrieval_model *model;
    const tide_dataset *data;      /* histories: EASE, kNN, fold-in, popularity fallback; may be
                                      NULL for FACTORS models (no exclusion, no fallback) */
    const int64_t *users;
    int64_t n_users;
    /* Excluded items per data user (CSR over data users, each row sorted ascending, unique);
     * NULL = nothing excluded. Build with tide_retrieval_exclusions_build. */
    const int64_t *excl_indptr;
    const int32_t *excl_items;
    /* Sorted unique allow-list of items; NULL = every item. */
    const int32_t *candidates;
    int64_t n_candidates;
    /* Vectors for MMR similarity [n_items, vec_dim]; NULL = the model's item factors. */
    const float *item_vectors;
    int64_t vec_dim;
    tide_backend *backend;         /* NULL = CPU */
} tide_retrieval_job;

/* How each user was scored. */
enum { TIDE_RETRIEVAL_BY_MODEL = 0, TIDE_RETRIEVAL_BY_FOLD_IN = 1, TIDE_RETRIEVAL_BY_POPULARITY = 2 };

typedef struct tide_retrieval_stats {
    int64_t users;              /* scored */
    int64_t by_fold_in;         /* not in the model, folded in from their events (ALS) */
    int64_t by_popularity;      /* not in the model (or no events), popularity */
    int64_t short_lists;        /* users with fewer than k eligible items */
    double seconds;
} tide_retrieval_stats;

/* One batch of results, in job order: user n of the batch is job->users[first + n]; its list is
 * items[n*k .. n*k + counts[n]) (item indices, best first) with scores alongside; by[n] says how
 * it was scored. Called sequentially, batches in order. */
typedef struct tide_retrieval_batch {
    int64_t first, n;
    int k;
    const int64_t *users;
    const int32_t *items;
    const float *scores;
    const int32_t *counts;
    const uint8_t *by;
} tide_retrieval_batch;
typedef tide_status (*tide_retrieval_sink)(void *ctx, const tide_retrieval_batch *b);

/* Run the job. K larger than the candidate set is TIDE_ERR_USAGE. */
tide_status tide_retrieval_run(const tide_retrieval_job *job, const tide_retrieval_params *p,
                               tide_retrieval_sink sink, void *ctx, tide_retrieval_stats *stats);

/* Exclusion lists: each data user's items (unless keep_seen) plus extra (user, item) pairs,
 * sorted and de-duplicated per user. Output arrays are malloc'ed (free()). */
tide_status tide_retrieval_exclusions_build(const tide_dataset *ds, int keep_seen,
                                            const int64_t *pair_users, const int32_t *pair_items,
                                            int64_t n_pairs, int64_t **indptr, int32_t **items);

/* ---- recommendation files (docs/formats.md) ---- */
typedef enum { TIDE_RECS_TSV = 0, TIDE_RECS_JSONL } tide_recs_format;

/* Format a batch as lines `user item rank score` (score %.9g) or JSON objects, using the id
 * strings (NULL arrays = the dense index as a decimal number). Formats in parallel, writes in
 * order. */
tide_status tide_recs_write_batch(FILE *fp, tide_recs_format fmt, const tide_retrieval_batch *b,
                                  char *const *user_ids, char *const *item_ids);

#ifdef __cplusplus
}
#endif
#endif
