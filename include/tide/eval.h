/* tide/eval.h — offline evaluation of recommendation runs against a truth set: truth loading,
 * streaming reading of recommendation files with validation, per-user metrics at several
 * cutoffs, catalog coverage, novelty, intra-list diversity, bootstrap confidence intervals,
 * paired comparisons and segments. Definitions and edge cases: docs/metrics.md.
 *
 * Layout: a run keeps its per-user values metric-major, values[(metric * n_k + k) * n_eval + e]
 * for evaluated user e (a truth user with at least one relevant item), so that means, bootstrap
 * resampling and paired tests stream over contiguous columns.
 */
#ifndef TIDE_EVAL_H
#define TIDE_EVAL_H

#include "tide/core.h"
#include "tide/recs.h"
#include "tide/strmap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-user metrics, in column order. NOVELTY and DIVERSITY are NaN for a user whose list has
 * too few items at that cutoff (0 resp. fewer than 2) and are averaged over defined users. */
typedef enum {
    TIDE_EVAL_PRECISION = 0,
    TIDE_EVAL_RECALL,
    TIDE_EVAL_F1,
    TIDE_EVAL_NDCG,
    TIDE_EVAL_MAP,
    TIDE_EVAL_MRR,
    TIDE_EVAL_HIT,
    TIDE_EVAL_NOVELTY,
    TIDE_EVAL_DIVERSITY,
    TIDE_EVAL_N_METRICS
} tide_eval_metric;

/* "precision", "recall", "f1", "ndcg", "map", "mrr", "hit", "novelty", "diversity". */
const char *tide_eval_metric_name(int metric);

#define TIDE_EVAL_MAX_K 64

/* ---- truth ------------------------------------------------------------------------------- */
typedef struct tide_eval_truth {
    int from_dataset;         /* 1: a dataset dir (closed dictionaries), 0: a TSV file */
    int items_closed;         /* unknown items are errors (dataset dir, or seeded from --train) */
    tide_strmap users;        /* id -> user index (dataset order, or first appearance) */
    tide_strmap items;        /* id -> item index; grows with recommended items when open */
    int64_t n_users;          /* users in the dictionary */
    int64_t *indptr;          /* [n_users+1] distinct relevant items per user */
    int32_t *truth_items;     /* sorted ascending within each user */
    float *gains;             /* largest weight of the user's events on the item */
    int64_t n_eval;           /* users with at least one relevant item */
    int64_t *eval_of_user;    /* [n_users] evaluated index or -1 */
    int64_t *user_of_eval;    /* [n_eval] */
    int64_t n_events;         /* truth events read (interactions or lines) */
    int64_t n_pairs;          /* distinct (user, item) pairs */
    int64_t n_bad_gains;      /* events with a negative weight: only an error with --graded */
    char bad_gain_where[256]; /* "file:line" (or array position) of the first one */
    char checksum[32];        /* dataset checksum, or crc32 of the TSV bytes */
    uint64_t bytes;           /* TSV size (0 for a dataset) */
} tide_eval_truth;

/* Load the truth from a dataset directory or a TSV of `user item [weight]` (no header; "-" =
 * stdin). `seed_items` (may be NULL, n_seed 0) pre-fills the item dictionary so that item indices
 * follow another dataset's items.txt (used with a TSV truth and --train); the dictionary is then
 * closed. Bad lines are TIDE_ERR_DATA "file:line: reason". */
tide_status tide_eval_truth_load(const char *path, char *const *seed_items, int64_t n_seed,
                                 tide_eval_truth *t);
void tide_eval_truth_free(tide_eval_truth *t);

/* ---- evaluation parameters ---------------------------------------------------------------- */
typedef struct tide_eval_params {
    int n_k;
    int ks[TIDE_EVAL_MAX_K];  /* ascending, distinct, >= 1 */
    int graded;               /* NDCG gains from truth weights (else binary) */
    const double *item_info;  /* self-information per item (novelty), NULL = not computed */
    int64_t n_info;           /* items covered by item_info (others: the maximum, see docs) */
    double info_unseen;       /* self-information of an item absent from train */
    const float *item_vecs;   /* unit-normalised item vectors [n_vecs, dim], NULL = no ILD */
    int64_t n_vecs;
    int dim;
    const int32_t *segment_of_eval; /* [n_eval] segment index, or NULL: coverage per segment */
    int n_segments;
} tide_eval_params;

void tide_eval_params_default(tide_eval_params *p);
/* NULL when valid, else a message. */
const char *tide_eval_params_check(const tide_eval_params *p);
/* Parse "1,5,10,20" into p->ks (sorted, deduplicated). NULL on success, else a message. */
const char *tide_eval_parse_ks(const char *s, tide_eval_params *p);

/* ---- one run ------------------------------------------------------------------------------ */

typedef struct tide_eval_run {
    char *path;               /* as given ("-" = stdin) */
    char *name;               /* label in reports */
    tide_recs_format format;  /* detected */
    char checksum[32];        /* "crc32:xxxxxxxx" of the bytes read */
    uint64_t bytes, lines;
    int64_t n_users_in_file;  /* distinct users with recommendations */
    int64_t n_users_no_truth; /* ... of which ignored: no relevant item in the truth */
    int64_t n_eval_no_recs;   /* evaluated users without any recommendation (scored 0) */
    int n_k;
    double *values;           /* [N_METRICS * n_k * n_eval], metric-major (see top) */
    int32_t *n_recs;          /* [n_eval] recommendations read per evaluated user */
    int n_cov;                /* 1 + number of segments */
    int32_t **first_rank;     /* [n_cov][n_first_rank]: best rank of each item over the evaluated
                                 users (0) and over each segment's users (1 + s) */
    int64_t n_first_rank;
    char **missing_examples;  /* up to 5 ids of ignored users (for the report) */
    int n_missing_examples;
} tide_eval_run;

/* Read and score one recommendation file (TSV `user item rank score` or JSONL with the same
 * fields, grouped by user, ranks strictly increasing). Every bad line is TIDE_ERR_DATA with
 * "file:line: reason". With an open item dictionary, unknown items are added to t->items. */
tide_status tide_eval_run_read(const char *path, tide_recs_format format, tide_eval_truth *t,
                               const tide_eval_params *p, tide_eval_run *run);
void tide_eval_run_free(tide_eval_run *run);

/* Column of a metric at cutoff index ki. */
static inline double *tide_eval_column(const tide_eval_run *r, int64_t n_eval, int metric, int ki) {
    return r->values + ((int64_t)metric * r->n_k + ki) * n_eval;
}

/* ---- aggregation -------------------------------------------------------------------------- */
/* Mean of a column over the evaluated users `subset` (NULL = all n). NaN entries are skipped;
 * *n_defined receives how many were used (may be NULL). */
double tide_eval_mean(const double *col, const int64_t *subset, int64_t n, int64_t *n_defined);

/* Catalog coverage at cutoff k: distinct items ranked <= k for some evaluated user (segment < 0)
 * or some user of that segment, divided by n_catalog. */
double tide_eval_coverage(const tide_eval_run *r, int segment, int k, int64_t n_catalog);

/* ---- beyond accuracy ---------------------------------------------------------------------- */
struct tide_dataset;
/* Self-information log2(U / c_i) per item of a train dataset (c_i distinct train users of item i,
 * floored at 1; U train users with at least one interaction). info[train->n_items] (malloc'ed);
 * *unseen = log2(U), used for items outside the train dictionary. */
tide_status tide_eval_novelty_info(const struct tide_dataset *train, double **info, double *unseen);

/* Load item vectors (f32 [items, dim] .npy) and normalise rows to unit length (zero rows stay
 * zero). The row count must equal n_items. */
tide_status tide_eval_vectors_load(const char *path, int64_t n_items, float **vecs, int *dim);

/* ---- statistics --------------------------------------------------------------------------- */
typedef struct tide_eval_ci {
    double low, high;
} tide_eval_ci;

/* Percentile bootstrap intervals at `level` (e.g. 0.95) for the means of n_cols columns, by
 * resampling the users of `subset` (NULL = 0..n-1) with replacement, B replicates. The replicate
 * b draws from a generator seeded by (seed, b) only, so results do not depend on threads. NaN
 * entries are skipped (ratio of sums over defined users). */
tide_status tide_eval_bootstrap(const double *const *cols, int n_cols, const int64_t *subset,
                                int64_t n, int B, uint64_t seed, double level, tide_eval_ci *out);

typedef struct tide_eval_paired {
    double mean_a, mean_b, diff; /* diff = mean over paired users of (a - b) */
    tide_eval_ci ci;             /* paired bootstrap interval of diff */
    double p_value;              /* two-sided paired randomization (sign-flip) test */
    int64_t n_pairs;             /* users where both are defined */
} tide_eval_paired;

/* Paired comparison of runs a and b over the same users, column by column. */
tide_status tide_eval_compare(const double *const *cols_a, const double *const *cols_b, int n_cols,
                              const int64_t *subset, int64_t n, int B, int n_perm, uint64_t seed,
                              double level, tide_eval_paired *out);

/* ---- segments ----------------------------------------------------------------------------- */
typedef struct tide_eval_segments {
    int n_labels;
    char **labels;            /* [n_labels]; the last may be "(none)" for unlabelled users */
    int64_t *offsets;         /* [n_labels+1] into members */
    int64_t *members;         /* evaluated user indices grouped by label */
    int64_t n_unknown_users;  /* lines whose user is not an evaluated user (ignored) */
    char checksum[32];
} tide_eval_segments;

/* Read a `user label` TSV. Duplicate users and malformed lines are TIDE_ERR_DATA. */
tide_status tide_eval_segments_load(const char *path, const tide_eval_truth *t,
                                    tide_eval_segments *s);
void tide_eval_segments_free(tide_eval_segments *s);

#ifdef __cplusplus
}
#endif
#endif
