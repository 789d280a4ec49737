/* tide/mf.h — collaborative-filtering models: implicit ALS (conjugate gradient or Cholesky),
 * BPR, EASE, item-kNN and popularity; interaction weighting (confidence, time decay); user
 * fold-in; training with validation, early stopping and checkpoints; the model directory.
 *
 * All matrices are row-major f32 (core.h). Every algorithm reads the dataset's user-major CSR
 * (and its item-major copy) with per-interaction weights w = dataset weight × time decay:
 *   decay(t) = 2^(-(t_ref - t) / half_life)     (1 when half_life is 0; t > t_ref counts as t_ref)
 * with t_ref = --as-of, or the dataset's latest event, or each user's own latest event.
 * ALS, BPR and popularity are fitted on the decayed weights. EASE and item-kNN, which score a
 * user from their history, fit the item-item model on undecayed weights (unless decay_fit) and
 * apply the decay to the history at scoring: recency of the user, not of the co-occurrences.
 * ALS with fold_in does the same with its item factors, re-solving each user's factor from the
 * decayed history at scoring. Popularity with as-of user is contextual: items scored by their
 * events around the user's own time (tide_pop_context).
 * ALS uses confidence c = 1 + alpha·w with preference 1 on observed pairs (Hu, Koren, Volinsky
 * 2008) and minimises Σ_u,i c_ui (p_ui − x_u·y_i)² + λ(Σ|x_u|² + Σ|y_i|²).
 * Results are deterministic for a given seed and thread count (docs/tide-train-mf.md says which
 * algorithms are also independent of the thread count).
 */
#ifndef TIDE_MF_H
#define TIDE_MF_H

#include "tide/core.h"
#include "tide/dataset.h"
#include "tide/decay.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TIDE_MF_ALS = 0, TIDE_MF_BPR, TIDE_MF_EASE, TIDE_MF_ITEMKNN, TIDE_MF_POP } tide_mf_algo;
typedef enum { TIDE_ALS_CG = 0, TIDE_ALS_CHOLESKY } tide_als_solver;
typedef enum { TIDE_KNN_COSINE = 0, TIDE_KNN_BM25 } tide_knn_similarity;

/* "als" ... "pop" <-> enum; parse returns TIDE_ERR_USAGE for unknown names. */
const char *tide_mf_algo_name(tide_mf_algo a);
tide_status tide_mf_algo_parse(const char *s, tide_mf_algo *out);

/* Time decay of interaction weights (tide/decay.h). */
typedef tide_decay tide_mf_decay;

/* Every hyper-parameter, by its command-line flag. One struct for all algorithms: each uses
 * the fields that apply to it (tide_mf_params_to_json writes only those). */
typedef struct {
    tide_mf_algo algo;
    int factors;              /* als, bpr */
    int iterations;           /* als (iterations), bpr (epochs) */
    double regularization;    /* als, bpr: λ on factor norms */
    double alpha;             /* als: confidence 1 + alpha·w */
    tide_als_solver solver;   /* als */
    int cg_steps;             /* als, CG solver */
    double learning_rate;     /* bpr */
    double lambda;            /* ease: L2 on B */
    int neighbors;            /* itemknn: top-N per item */
    tide_knn_similarity similarity; /* itemknn */
    double bm25_k1, bm25_b;   /* itemknn, bm25 */
    double init_scale;        /* als, bpr: factors start uniform in [0, init_scale) (bpr: ±) */
    int patience;             /* with validation: stop after this many iterations without a new best */
    tide_mf_decay decay;      /* als, bpr, pop: weights the fit; ease, itemknn: weights each user's
                               * history when scoring, and the fit too with decay_fit */
    int decay_fit;            /* ease, itemknn, als with fold_in: fit the model on decayed weights */
    int fold_in;              /* als: score every user by folding in their (decayed) history
                               * against the item factors (tide_mf_fold_in), not by the trained
                               * user factors; the item factors are then fitted on undecayed
                               * weights unless decay_fit */
    int decay_preference;     /* als with fold_in: the decay scales each event's preference too
                               * (p = decay factor, c = 1 + alpha·w): an old event fades towards
                               * an unobserved item instead of staying a full positive */
    tide_decay_kernel kernel; /* pop with as-of user: contextual popularity's kernel */
    uint64_t seed;
} tide_mf_params;

/* Defaults for one algorithm (implicit's defaults where implicit has the algorithm). */
tide_mf_params tide_mf_params_default(tide_mf_algo algo);
/* NULL when valid, else a message naming the bad parameter. */
const char *tide_mf_params_check(const tide_mf_params *p);

/* ---- interaction weights ------------------------------------------------------------------ */

/* Per-interaction weights (dataset weight × decay) in user-major order (`uw`, [nnz]) and, when
 * `iw` is not NULL, in the dataset's item-major order. Bad weights (NaN, ±inf, negative) are
 * TIDE_ERR_DATA naming the user and item. The dataset must have its item-major copy. */
tide_status tide_mf_weights(const tide_dataset *ds, const tide_mf_decay *d, float **uw, float **iw);
/* The decay factor for one event at time t against reference t_ref. */
double tide_mf_decay_factor(const tide_mf_decay *d, int64_t t, int64_t t_ref);
/* Reference time for user u under d (dataset latest, fixed, or the user's latest event). */
int64_t tide_mf_decay_ref(const tide_mf_decay *d, const tide_dataset *ds, int64_t u);
/* The decay factor alone of every event (user-major, [nnz]; 1 everywhere without decay). */
tide_status tide_mf_decay_factors(const tide_dataset *ds, const tide_mf_decay *d, float **out);

/* ---- the model ---------------------------------------------------------------------------- */

typedef struct tide_mf_model {
    tide_mf_algo algo;
    tide_mf_params params;
    int64_t n_users, n_items;
    int factors;
    float *user_factors;      /* als, bpr: [n_users, factors] */
    float *item_factors;      /* als, bpr: [n_items, factors] */
    float *item_bias;         /* bpr: [n_items] */
    float *item_matrix;       /* ease: [n_items, n_items], zero diagonal */
    int64_t *nb_indptr;       /* itemknn: [n_items + 1] */
    int32_t *nb_items;        /* itemknn: [nb_indptr[n_items]] */
    float *nb_sims;
    float *popularity;        /* pop: [n_items] */
    /* pop with as-of user (contextual popularity): the training events per item, times
     * ascending, with their dataset weights (tide_pop_events). */
    int64_t *ev_indptr;       /* [n_items + 1] or NULL */
    int64_t *ev_times;
    float *ev_weights;
    /* training record */
    char dataset_checksum[32];
    int iterations_run, best_iteration;   /* best_iteration: 1-based, 0 = last (no validation) */
    double best_ndcg;
    double wall_time;
    void *log;                /* cJSON array of per-iteration objects */
} tide_mf_model;

void tide_mf_model_free(tide_mf_model *m);

/* Write the model directory (docs/formats.md "Model directory") atomically. `dataset_path`
 * and `extra` (a cJSON object merged into the manifest, may be NULL) are recorded. */
tide_status tide_mf_model_save(const char *dir, const tide_mf_model *m, const char *dataset_path,
                               const void *extra);
/* The manifest's "params" object (a cJSON *) over `p` (which holds the algorithm's defaults):
 * the fields scoring follows (decay, alpha, regularization, fold-in, decay-preference,
 * decay-fit, decay-kernel), checked; TIDE_ERR_DATA "MPATH: params ..." when one is malformed. */
tide_status tide_mf_params_from_json(const void *params, tide_mf_params *p, const char *mpath);

/* ---- scoring (tide/scorer.h) ------------------------------------------------------------------ */

typedef struct tide_scorer tide_scorer;
/* The scorer of an in-memory model (tide-train-mf --valid); m's arrays are borrowed and must
 * outlive the scorer. */
tide_status tide_mf_scorer_from_model(const tide_mf_model *m, tide_scorer **out);
/* A factor scorer over caller arrays (content retrieval: query vectors × item vectors), borrowed. */
tide_status tide_mf_scorer_vectors(const float *user_vectors, int64_t n_users, const float *item_vectors,
                                   int64_t n_items, int64_t dim, tide_scorer **out);
/* The "tide-model" family's opener, called by tide_scorer_open (src/models/open.c) with the
 * parsed manifest (a cJSON *, taken over): maps the arrays and checks every shape. */
tide_status tide_mf_scorer_open(const char *dir, const char *manifest_path, void *manifest, tide_scorer **out);

/* ---- algorithms (one call each; the training driver below calls them) ---------------------- */

/* ALS: precomputed Gram matrix YtY (+λI) of the fixed side, then solve every row of the other
 * side in [lo, hi). `X` [n_rows, k] is updated in place (CG warm-starts from it). The CSR
 * (indptr/indices/w) gives each row's observed columns and weights. With `loss` not NULL,
 * loss[u − lo] receives row u's part of the objective at the new x_u (tide_als_loss_part's
 * terms), almost for free; sum it in order for a thread-independent total. */
tide_status tide_als_gram(const float *Y, int64_t n, int k, double reg, float *YtY);
tide_status tide_als_solve_rows(const tide_mf_params *p, const float *YtY, const float *Y, int k,
                                const int64_t *indptr, const int32_t *indices, const float *w,
                                int64_t lo, int64_t hi, float *X, double *loss);
/* Rows [lo, hi)'s part of the ALS objective: Σ_u [Σ_i c_ui (p_ui − x_u·y_i)² + λ|x_u|²] over
 * all items, with YtY = YᵀY + λI; the caller adds λΣ|y_i|² and sums parts across ranks. */
double tide_als_loss_part(const tide_mf_params *p, const float *X, const float *Y, const float *YtY,
                          int k, const int64_t *indptr, const int32_t *indices, const float *w,
                          int64_t lo, int64_t hi);

/* Random initial factors, deterministic per (seed, row, which) and independent of threads. */
void tide_mf_init_factors(float *F, int64_t rows, int k, double scale, int symmetric, uint64_t seed,
                          uint64_t which);

/* Fold-in: the ALS user factor for events (items, weights, times) against fixed item factors
 * Y [n_items, k], solved exactly (Cholesky) as ALS's user step would. `YtY` is the Gram matrix
 * of Y plus λI (tide_als_gram), or NULL to compute it. Decay applies as in training with t_ref
 * = the decay's fixed time, or the latest of the given events. times may be NULL (no decay). */
tide_status tide_mf_fold_in(const tide_mf_params *p, const float *Y, int64_t n_items, int k,
                            const float *YtY, const int32_t *items, const float *weights,
                            const int64_t *times, int64_t n, float *out);
/* The same with a preference per event (NULL = 1 each): minimises
 *   Σ_observed c_j (pref_j − x·y_j)² + Σ_unobserved (x·y_i)² + λ|x|²,  c_j = 1 + alpha·w_j.
 * With times and p->decay_preference the decay factor multiplies pref_j as well as w_j. */
tide_status tide_mf_fold_in_pref(const tide_mf_params *p, const float *Y, int64_t n_items, int k,
                                 const float *YtY, const int32_t *items, const float *weights,
                                 const float *prefs, const int64_t *times, int64_t n, float *out);

/* BPR: one epoch of stratified lock-free SGD (see bpr.c). */
typedef struct tide_bpr_state tide_bpr_state;
tide_status tide_bpr_init(const tide_dataset *ds, const float *uw, int threads, tide_bpr_state **out);
void tide_bpr_free(tide_bpr_state *s);
tide_status tide_bpr_epoch(tide_bpr_state *s, const tide_mf_params *p, int epoch, float *U, float *V,
                           float *bias, double *loss, double *accuracy);

/* EASE: B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, diagonal zeroed; B [n_items²]. Refuses
 * (TIDE_ERR_NOMEM with the bytes needed) when more than `max_bytes` would be needed. */
size_t tide_ease_bytes_needed(int64_t n_items);
tide_status tide_ease_fit(const tide_dataset *ds, const float *uw, double lambda, size_t max_bytes,
                          float **B);

/* A⁻¹ in place, for a symmetric positive definite row-major n×n A (both triangles written):
 * blocked Cholesky and inverse whose bytes do not depend on the thread count (ease.c). Not
 * positive definite: TIDE_ERR_INTERNAL with *info = LAPACK's (no message set); *info = 0 otherwise. */
tide_status tide_spd_invert(float *A, int64_t n, int *info);

/* item-kNN: top-`neighbors` similar items of every item (cosine or BM25-weighted dot product),
 * similarity descending, ties by lower index; self excluded, zero similarities dropped. */
tide_status tide_itemknn_fit(const tide_dataset *ds, const float *uw, const float *iw,
                             const tide_mf_params *p, int64_t **indptr, int32_t **nb, float **sims);

/* Popularity: the sum of (decayed) weights per item. */
tide_status tide_pop_fit(const tide_dataset *ds, const float *iw, float **pop);

/* Contextual (time-aware) popularity: item i's score for a user whose reference time is t is
 *   Σ over training events e of i   w_e · 2^(-|t - t_e| / h)       (two-sided kernel)
 *   Σ over events with t_e <= t     w_e · 2^(-(t - t_e) / h)       (past kernel)
 * i.e. what was popular around the time the user was active, not at the end of the data.
 * Evaluated exactly in O(log n_i) per item from per-item running sums that only ever multiply
 * by factors <= 1 (no 2^(t/h) overflow however long the data spans):
 *   fwd_k = fwd_{k-1} · 2^(-(t_k - t_{k-1})/h) + w_k   (decayed mass at or before t_k)
 *   bwd_k = bwd_{k+1} · 2^(-(t_{k+1} - t_k)/h) + w_k   (decayed mass at or after t_k)
 * so for t_k <= t < t_{k+1} the score is fwd_k·2^(-(t - t_k)/h) + bwd_{k+1}·2^(-(t_{k+1} - t)/h). */
typedef struct {
    int64_t n_items;
    double half_life;          /* seconds, > 0 */
    tide_decay_kernel kernel;
    const int64_t *indptr;     /* [n_items + 1]: item i's events are [indptr[i], indptr[i+1]) */
    const int64_t *times;      /* ascending within each item */
    double *fwd, *bwd;         /* owned, per event */
    int64_t latest;            /* the latest event time (reference for users without events) */
} tide_pop_context;

/* The dataset's events per item sorted by (time, item-major position), with their dataset
 * weights: the arrays a contextual popularity model stores (malloc'ed). */
tide_status tide_pop_events(const tide_dataset *ds, int64_t **indptr, int64_t **times, float **weights);
/* Build the running sums over borrowed event arrays (checked: indptr monotone from 0, times
 * ascending per item, weights finite and >= 0; TIDE_ERR_DATA otherwise, naming `what`). */
tide_status tide_pop_context_init(tide_pop_context *c, int64_t n_items, double half_life,
                                  tide_decay_kernel kernel, const int64_t *indptr, const int64_t *times,
                                  const float *weights, const char *what);
void tide_pop_context_free(tide_pop_context *c);
/* Scores of every item at reference time t (scores [n_items]). Thread-safe. */
void tide_pop_context_score(const tide_pop_context *c, int64_t t, float *scores);
/* Item i's score at t: the same bits as tide_pop_context_score's entry i. */
float tide_pop_context_score_one(const tide_pop_context *c, int64_t i, int64_t t);
/* An upper bound of item i's score over every t (>= every value tide_pop_context_score_one gives,
 * its float rounding included). */
double tide_pop_context_max(const tide_pop_context *c, int64_t i);

/* ---- validation ----------------------------------------------------------------------------- */

/* NDCG@k and recall@k of the model on `valid` (same id space as `train`): each valid user's
 * top-k as tide-recommend ranks it (the engine and the model's scorer, training items excluded,
 * users not in the model by fold-in or popularity), averaged over users with valid events. */
tide_status tide_mf_validate(const tide_mf_model *m, const tide_dataset *train, const tide_dataset *valid, int k,
                             double *ndcg, double *recall, int64_t *n_users);

/* ---- training driver ----------------------------------------------------------------------- */

typedef struct {
    const char *dataset_path;     /* recorded in the manifest */
    const tide_dataset *valid;    /* NULL = no validation */
    const char *checkpoint_dir;   /* NULL = no checkpoints */
    int checkpoint_every;         /* iterations between checkpoints (0 = none) */
    int resume;                   /* continue from checkpoint_dir if it holds a checkpoint */
    int threads;                  /* recorded; BPR's result depends on it */
    size_t max_memory;            /* EASE refusal limit in bytes (0 = available RAM) */
} tide_mf_train_opts;

/* Train `p->algo` on `train` (its item-major copy must be present) into `out`. */
tide_status tide_mf_train(const tide_mf_params *p, const tide_dataset *train,
                          const tide_mf_train_opts *o, tide_mf_model *out);

/* Available memory in bytes (MemAvailable from /proc/meminfo, else physical pages). */
size_t tide_mf_available_memory(void);

/* ---- distribution (MPI when built with TIDE_MPI and launched under mpirun; else 1 rank) ---- */
int tide_mf_dist_rank(void);
int tide_mf_dist_size(void);
/* Rows [lo, hi) of `n` owned by `rank` (contiguous, balanced by count). */
void tide_mf_dist_range(int64_t n, int rank, int size, int64_t *lo, int64_t *hi);
/* Every rank holds its own rows of M [n, k] (tide_mf_dist_range); afterwards all hold all. */
tide_status tide_mf_dist_allgather_rows(float *M, int64_t n, int k);
/* Sum of doubles over ranks (in place). */
tide_status tide_mf_dist_sum(double *v, int n);

#ifdef __cplusplus
}
#endif
#endif
