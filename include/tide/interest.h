/* tide/interest.h — dynamic user interests: each user's state at a reference time (long-term
 * CF vector, short-term interest decayed by position and by time, several interest clusters in
 * the language model's space, drift, the user's own words) and the scoring that combines
 * per-component scores with a linear combiner learned on a validation split.
 *
 * Row-major f32 everywhere. Everything a user's state or scores depend on is a pure function of
 * (that user's history, the item side, the settings), so scoring a block of users in a batch,
 * one user online, or a user advanced event by event gives the same numbers.
 *
 * History weights. A user's events, oldest first, n of them; the j-th most recent (j = 0 is the
 * latest) at time t_j gets
 *     w_j = exp(-j / tau) · 2^(-(t_ref - t_j) / half_life)
 * (a factor is 1 when its tau / half_life is 0, i.e. off). MovieLens users rate in bursts of
 * seconds, so position decay is the robust one; time decay separates sessions.
 */
#ifndef TIDE_INTEREST_H
#define TIDE_INTEREST_H

#include "tide/core.h"
#include "tide/dataset.h"
#include "tide/mf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cJSON cJSON;

/* The components, in the order of feature rows. */
typedef enum {
    TIDE_IC_EASE = 0,   /* EASE item-item weights × short-term (decayed) history */
    TIDE_IC_EASE_LONG,  /* EASE × the whole history, undecayed (static EASE) */
    TIDE_IC_KNN,        /* item-kNN (cosine) × short-term history */
    TIDE_IC_TRANS,      /* item → next-item transitions from the last few events */
    TIDE_IC_ALS,        /* long-term CF: ALS user vector folded in from the whole history */
    TIDE_IC_TFIDF,      /* cosine of the item to the short-term profile in TF-IDF space */
    TIDE_IC_LM,         /* ... in the language model's space */
    TIDE_IC_CLUSTER,    /* best match to one of the user's interest clusters (LM, else TF-IDF space) */
    TIDE_IC_WORDS,      /* cosine to the user's own words (text events, LM space) */
    TIDE_IC_POP,        /* popularity around the user's time (contextual popularity) */
    TIDE_IC_EASE_BURST, /* EASE × the burst: the history under a second, much shorter decay */
    TIDE_IC_SESSION,    /* session EASE (fitted on sessions, not whole users) × the decayed history */
    TIDE_IC_SEQ,        /* linear next-item model (SLIT, seq.c) × the last events */
    TIDE_IC_N
} tide_interest_component;

const char *tide_interest_component_name(int c);     /* "ease", "ease-long", ... */
int tide_interest_component_parse(const char *s);    /* -1 if unknown */

/* What selects the combiner's weights per user (tide_interest_params.gate_by). */
typedef enum {
    TIDE_IG_NONE = 0,   /* one weight vector for everyone */
    TIDE_IG_GAP,        /* seconds between the user's last two events (mid-burst vs returning);
                         * +inf with fewer than two timed events */
    TIDE_IG_EVENTS,     /* the number of events in the history */
    TIDE_IG_N
} tide_interest_gate;
const char *tide_interest_gate_name(int g);          /* "none", "gap", "events" */
int tide_interest_gate_parse(const char *s);         /* -1 if unknown */

/* A decay: position (tau, events; 0 = off) and time (half-life, seconds; 0 = off). */
typedef struct { double tau, half_life; } tide_interest_decay;

typedef struct tide_interest_params {
    unsigned enabled;             /* bit c = component c is on */
    tide_interest_decay cf;       /* EASE / kNN short-term history */
    tide_interest_decay content;  /* TF-IDF / LM short-term profile */
    tide_interest_decay cluster;  /* cluster strengths (decayed mass) */
    tide_interest_decay burst;    /* ease-burst: the last few events (MovieLens users rate in bursts
                                   * of seconds), beside the EASE row's longer short-term decay */
    tide_interest_decay session;  /* the session EASE row's history decay */
    double session_gap;           /* a gap longer than this (seconds) starts a new session */
    tide_interest_decay seq_fit;  /* seq: the prefix weights of its training rows (ages from the target) */
    tide_interest_decay seq;      /* ... and of the user's last events when scoring */
    double seq_lambda;            /* ... its ridge λ */
    int seq_gap;                  /* ... targets: the next seq_gap events, the g-th at weight 1/g */
    int seq_last;                 /* ... prefixes: at most this many events */
    double trans_tau;             /* transitions: exp(-j/trans_tau) over the last trans_last events */
    double trans_half_life;       /* ... times 2^(-age/trans_half_life), seconds (0 = no time decay) */
    int trans_gap;                /* the transition table counts i -> the next trans_gap events (weight 1/gap) */
    double trans_back;            /* ... and j -> i with weight trans_back/gap (0 = forward only) */
    int trans_last;
    double words_half_life;       /* the user's own words, seconds (0 = no decay) */
    double pop_half_life;         /* contextual popularity's kernel, seconds */
    int max_clusters;             /* K: at most this many clusters per user */
    double ease_lambda;           /* when the tool fits EASE itself */
    int knn_neighbors;
    int als_factors, als_iterations;
    double als_regularization, als_alpha;
    int tfidf_dim;
    double combiner_l2;           /* L2 of the pairwise logistic combiner */
    int candidates_per_component; /* negatives for the combiner: each component's top-N */
    float weights[TIDE_IC_N];     /* the combiner (z-scored features); 0 for disabled */
    /* The combiner conditioned on the user's state (combiner.c): a user whose gate value
     * (tide_interest_gate_value) is above gate_threshold is scored with gate_weights instead of
     * weights — e.g. one mix mid-burst, another for a user returning after a pause. */
    int gate_by;                  /* TIDE_IG_NONE (off), TIDE_IG_GAP, TIDE_IG_EVENTS */
    double gate_threshold;
    float gate_weights[TIDE_IC_N];
    uint64_t seed;
    /* Cold items: the ridge λ of the LM → CF map (coldmap.c): > 0 fixed (default 1), 0 = chosen on
     * held-out items with interactions, < 0 = no map (items without interactions get zero CF factors). */
    double cold_lambda;
} tide_interest_params;

tide_interest_params tide_interest_params_default(void);
const char *tide_interest_params_check(const tide_interest_params *p);
/* Settings as JSON (every field) and back; _from_json starts from `p` and overrides what the
 * object names, so a manifest's "settings" reproduce the run. Bad values: TIDE_ERR_DATA. */
cJSON *tide_interest_params_to_json(const tide_interest_params *p);
tide_status tide_interest_params_from_json(const cJSON *o, tide_interest_params *p);

/* History weights (header comment) of n events with times (NULL = position only), j counted from
 * the last event; t_ref below an event's time counts as that time (weight 1). */
void tide_interest_history_weights(const tide_interest_decay *d, const int64_t *times, int64_t n,
                                   int64_t t_ref, float *w);

/* ---- the item side: everything shared by all users, fitted once from the training data ---- */

typedef struct tide_interest_items {
    int64_t n_items;
    /* EASE B [n_items, n_items] (zero diagonal); borrowed or owned (own_ease). */
    const float *ease;
    int own_ease;
    /* session EASE [n_items, n_items] (zero diagonal): EASE over the users' sessions (runs of
     * events no more than session_gap apart) as rows — items rated in the same burst (owned). */
    float *sess;
    /* seq [n_items, n_items]: the linear next-item model B (seq.c; owned). */
    float *seq;
    /* item-kNN: CSR of neighbours with cosine similarities (owned). */
    int64_t *knn_indptr; int32_t *knn_items; float *knn_sims;
    /* transitions: CSR, row i = P(next = j | i) smoothed (owned). */
    int64_t *tr_indptr; int32_t *tr_items; float *tr_probs;
    /* ALS item factors [n_items, als_k] and Gram + λI (owned), the params used to fold in. */
    float *als_items, *als_gram;
    int als_k;
    tide_mf_params als_params;
    /* content spaces, rows L2-normalised (zero rows: items without text); owned copies. */
    float *tfidf; int tfidf_dim;
    float *lm; int lm_dim;
    /* the interest space (clusters, short/long-term profile, drift): the LM space when item
     * vectors were given, else TF-IDF; borrowed from lm or tfidf */
    const float *sp; int sp_dim;
    /* contextual popularity over the training events (owned). */
    tide_pop_context *pop;
    int64_t *pop_indptr, *pop_times; float *pop_weights;
    /* genre-like labels: per item its category words (the catalog's genres field split on '|'),
     * as indices into cat_names; CSR. NULL when the catalog has no such field. */
    int64_t *cat_indptr; int32_t *cat_ids; char **cat_names; int n_cats;
    char **item_text;             /* borrowed: the dataset's item text [n_items * n_text_fields] */
    int n_text_fields;
    /* Cold items (coldmap.c): the ridge map from LM space to ALS factors, [lm_dim + 1, als_k]
     * (last row = intercept), fitted on the items with interactions; NULL = none. The items
     * without interactions but with an LM vector got their ALS rows from it. */
    float *cold_map;
    double cold_lambda;           /* the λ used */
    double cold_holdout_r2;       /* R² of held-out items' factors at that λ (NaN: λ was given) */
    int64_t cold_fit, cold_mapped, cold_textless;  /* items fitted on; cold items mapped; cold items without text */
} tide_interest_items;

/* Options for building the item side. */
typedef struct tide_interest_items_opts {
    const float *ease;            /* a loaded EASE matrix to borrow (NULL = fit if enabled) */
    const float *lm_vectors;      /* [n_items, lm_dim] item vectors (tide-embed), NULL = none */
    int lm_dim;
    size_t max_memory;            /* EASE limit (0 = available RAM) */
    /* ALS item factors [n_items, als_k] of a trained model (tide-train-mf --algo als) to use
     * instead of fitting them (NULL = fit); folded in with p's regularization and alpha, which
     * the caller sets to the model's. */
    const float *als_items;
    int als_k;
} tide_interest_items_opts;

/* Fit what the enabled components need from `train` (its user-major CSR, item-major copy, item
 * text and text events — the tags users wrote on items join the item's TF-IDF text). */
tide_status tide_interest_items_build(const tide_dataset *train, const tide_interest_params *p,
                                      const tide_interest_items_opts *o, tide_interest_items *it);
void tide_interest_items_free(tide_interest_items *it);
/* (Re)fit the item -> next-item transition table from `ds` with p->trans_gap and p->trans_back
 * (replacing any table in `it`): the tuning's grid refits it per setting. */
tide_status tide_interest_fit_transitions(const tide_dataset *ds, const tide_interest_params *p, tide_interest_items *it);
/* (Re)fit the seq component's B from `ds` with p's seq_* settings into *B (tuning refits it). */
tide_status tide_interest_fit_seq(const tide_dataset *ds, const tide_interest_params *p, size_t max_bytes, float **B);
size_t tide_interest_seq_bytes_needed(int64_t n_items);
/* Cold items: fit the ridge map from the LM space (it->lm) to the ALS item factors on the items of
 * `ds` with interactions and a non-zero LM vector (λ = p->cold_lambda, or, when 0, the best of a
 * grid by R² on every 5th such item held out), then give each item without interactions its
 * mapped factors — or zero factors when it has no LM vector either, so the CF components never
 * score it. Needs it->als_items and it->lm (otherwise nothing happens). Called by
 * tide_interest_items_build before the ALS Gram matrix, which then covers the mapped rows too. */
tide_status tide_interest_cold_map_fit(const tide_dataset *ds, const tide_interest_params *p, tide_interest_items *it);
/* Only the catalog's categories (cat_indptr, cat_ids, cat_names, n_cats of a zeroed `it`; the
 * rule that labels interests): the "genres", "categories" or "category" item field split on '|'
 * or ','. Without such a field nothing is set. Release with tide_interest_items_free. */
tide_status tide_interest_fit_categories(const tide_dataset *ds, tide_interest_items *it);

/* ---- one user's history view and state ---- */

typedef struct tide_interest_history {
    const int32_t *items;         /* oldest first */
    const int64_t *times;
    int64_t n;
    const float *text_vecs;       /* [n_text, lm_dim], the user's own words in LM space, oldest first */
    const int64_t *text_times;
    int64_t n_text;
    int64_t t_ref;                /* the reference time (as-of) */
    /* The user's words as an already decayed, normalised profile in LM space (the interest
     * dir's words_lm row, or a caller's vector), used when there are no text vectors; NULL = none. */
    const float *words_profile;
} tide_interest_history;

/* The history view of dataset user u at as_of (INT64_MIN = the user's own last event): events
 * after as_of are left out. text vectors: rows aligned with ds's text events (may be NULL). */
void tide_interest_history_of(const tide_dataset *ds, const float *text_vectors, int lm_dim, int64_t u,
                              int64_t as_of, tide_interest_history *h);

#define TIDE_INTEREST_MAX_K 8

typedef struct tide_interest_cluster {
    float strength;               /* decayed mass of its items (cluster decay) */
    int64_t last_active;          /* time of its latest item */
    int32_t n_items;              /* history items in it */
    int32_t top_items[3];         /* most heavily weighted members (-1 = none) */
    int32_t cats[2];              /* its main categories (-1 = none) */
} tide_interest_cluster;

/* Per-user state (the arrays of the interest dir, one row each). */
typedef struct tide_interest_user {
    float *long_cf;               /* [als_k] */
    float *short_cf;              /* [als_k]: fold-in of the short-term (content-decay) history */
    float *short_lm;              /* [lm_dim] the short-term LM profile, L2-normalised (0 if none) */
    float *long_lm;               /* [lm_dim] the undecayed LM profile */
    float *words_lm;              /* [lm_dim] */
    float *centroids;             /* [K, lm_dim] */
    int n_clusters;
    tide_interest_cluster clusters[TIDE_INTEREST_MAX_K];
    float drift;                  /* 1 − cos(short_lm, long_lm) (LM space; CF when no LM) */
    float drift_cf;               /* 1 − cos(short_cf, long_cf) */
    int64_t last_time;
    int64_t n_events;
} tide_interest_user;

/* ---- scoring ---- */

/* Raw score of every component for one user: feats [TIDE_IC_N, n_items] (rows of disabled
 * components are zero). `work` scratch of tide_interest_work_floats floats. `state` (may be
 * NULL) receives the user's state; its arrays must be sized by the item side. */
size_t tide_interest_work_floats(const tide_interest_items *it, const tide_interest_params *p);
tide_status tide_interest_features(const tide_interest_items *it, const tide_interest_params *p,
                                   const tide_interest_history *h, float *feats, float *work,
                                   tide_interest_user *state);
/* z-score each component's row in place over the items not in `excl` (sorted item indices), so
 * weights are comparable across users; a constant row becomes 0. */
void tide_interest_normalise(float *feats, int64_t n_items, const int32_t *excl, int64_t n_excl);
/* score[j] = Σ_c weights[c] · feats[c][j] */
void tide_interest_combine(const float *feats, int64_t n_items, const float *weights, float *score);

/* ---- the combiner ---- */

/* Pairwise training data: per user, positives and sampled negatives as z-scored feature rows. */
typedef struct tide_interest_pairs {
    int64_t n_users;
    int64_t *pos_indptr, *neg_indptr;   /* [n_users+1] */
    float *pos, *neg;                   /* [*, TIDE_IC_N] */
    int64_t cap_pos, cap_neg;
} tide_interest_pairs;
void tide_interest_pairs_free(tide_interest_pairs *pp);
/* Fit weights minimising mean_users mean_pairs log(1 + exp(-w·(x_pos - x_neg))) + l2|w - 1|² (shrunk
 * towards equal weights) over the
 * enabled components (Newton's method, deterministic). Users listed in `users` (NULL = all). */
tide_status tide_interest_fit_combiner(const tide_interest_pairs *pp, const int64_t *users, int64_t n_users,
                                       unsigned enabled, double l2, float *weights);
/* The same with the L2 pulling towards `center` (TIDE_IC_N weights; NULL = equal weights 1): a
 * group of users fitted on its own is shrunk towards the weights fitted on everyone. */
tide_status tide_interest_fit_combiner_to(const tide_interest_pairs *pp, const int64_t *users, int64_t n_users,
                                          unsigned enabled, double l2, const float *center, float *weights);
/* ... and with lambda_rounds > 0 LambdaRank-style: each pair weighs |ΔNDCG| of swapping its two
 * items in the ranking of the user's candidates under the current weights (from the centre's),
 * refitted that many rounds — the pairs that decide the top of the list count most. */
tide_status tide_interest_fit_combiner_ex(const tide_interest_pairs *pp, const int64_t *users, int64_t n_users,
                                          unsigned enabled, double l2, const float *center, int lambda_rounds,
                                          float *weights);

/* The gate value of a history (`by`: tide_interest_gate) and the weights p scores it with:
 * p->gate_weights when p->gate_by is set and the value is above p->gate_threshold, else
 * p->weights. Batch, tuning and the online scorer all choose through this. */
double tide_interest_gate_value(int by, const tide_interest_history *h);
const float *tide_interest_weights_for(const tide_interest_params *p, const tide_interest_history *h);


/* ---- one user's state ---- */

/* Arrays of a state sized for the item side (free with tide_interest_user_free). */
tide_status tide_interest_user_alloc(const tide_interest_items *it, const tide_interest_params *p,
                                     tide_interest_user *s);
void tide_interest_user_free(tide_interest_user *s);

/* ---- all users' states (the interest dir's per-user arrays), contiguous, row = user ---- */

typedef struct tide_interest_states {
    int64_t n_users;
    int als_k, lm_dim;
    float *long_cf, *short_cf;              /* [n, als_k] */
    float *short_lm, *long_lm, *words_lm;   /* [n, lm_dim] */
    float *centroids;                       /* [n, K, lm_dim] (K = TIDE_INTEREST_MAX_K) */
    int32_t *n_clusters;                    /* [n] */
    float *strength;                        /* [n, K] */
    int64_t *last_active;                   /* [n, K] */
    int32_t *cluster_size;                  /* [n, K] */
    int32_t *top_items;                     /* [n, K, 3] */
    int32_t *cats;                          /* [n, K, 2] */
    float *drift, *drift_cf;                /* [n] */
    int64_t *last_time, *n_events;          /* [n] */
    int64_t *n_text;                        /* [n] text events in the history */
} tide_interest_states;

tide_status tide_interest_states_alloc(tide_interest_states *S, int64_t n_users, int als_k, int lm_dim);
void tide_interest_states_free(tide_interest_states *S);
/* Copy one user's state into / out of row u. */
void tide_interest_states_put(tide_interest_states *S, int64_t u, const tide_interest_user *s, int64_t n_text);
void tide_interest_states_get(const tide_interest_states *S, int64_t u, tide_interest_user *s);

/* Grow S to n users (appended rows zero); n <= S->n_users: nothing. */
tide_status tide_interest_states_grow(tide_interest_states *S, int64_t n);
/* The states of the listed dataset users (each once) into their rows; other rows untouched. */
tide_status tide_interest_capture_users(const tide_interest_items *it, const tide_interest_params *p,
                                        const tide_dataset *ds, const float *text_vectors, int64_t as_of,
                                        const int64_t *users, int64_t n, tide_interest_states *S);
/* The states of dataset users [lo, hi) (no recommendations). */
tide_status tide_interest_capture_block(const tide_interest_items *it, const tide_interest_params *p,
                                        const tide_dataset *ds, const float *text_vectors, int64_t as_of,
                                        int64_t lo, int64_t hi, tide_interest_states *S);
/* The same into rows 0..n-1 of S (a block of S->n_users >= n rows): row q = users[q], or lo + q
 * without a list. What a run that streams blocks of users to its output, and --update's list of
 * touched users, hold instead of every user's row. */
tide_status tide_interest_capture_rows(const tide_interest_items *it, const tide_interest_params *p,
                                       const tide_dataset *ds, const float *text_vectors, int64_t as_of,
                                       const int64_t *users, int64_t lo, int64_t n, tide_interest_states *S);

/* Online: advance one user's history view by one event / one text event (arrays appended by
 * the caller's storage: the view's pointers must stay valid) and recompute the state. The state
 * is a pure function of the history, so the result equals a batch run on the longer history. */
tide_status tide_interest_user_advance(const tide_interest_items *it, const tide_interest_params *p,
                                       tide_interest_history *h, int64_t n_new_events, int64_t n_new_text,
                                       int64_t as_of, tide_interest_user *state);

/* ---- the scorer (tide/scorer.h): tide-recommend --model INTEREST_DIR, tide-serve ---- */

typedef struct tide_scorer tide_scorer;
/* The "tide-interest" family's opener, registered in src/models/open.c. Each user's row is the
 * combiner over the components computed from the view's history (seen items excluded from the
 * z-scores) — the same function tide-capture-interest --recs uses, so both give the same lists.
 * The user's own words come from the view's text vectors (tide_user_view.text_vecs: the profile
 * is built from them at the view's reference time, as the batch run builds words_lm), else the
 * view's vector (an LM-space profile), else, for a user of the captured dataset, the dir's
 * words_lm row; raw texts are not embedded here. A user with text but no events is referenced
 * at their last text event, as tide_interest_history_of does. */
tide_status tide_interest_scorer_open(const char *dir, const char *manifest_path, void *manifest, tide_scorer **out);
/* A scorer over an item side and settings in memory (borrowed: they must outlive it; no
 * captured states, so every user is scored from their view, words from its text vectors), at
 * as_of (INT64_MIN = each user's own last event; else a fixed time, later events left out):
 * tide-capture-interest --recs ranks through it with the engine, as tide-recommend does. */
tide_status tide_interest_scorer_borrow(const tide_interest_items *it, const tide_interest_params *p, int64_t as_of,
                                        tide_scorer **out);
/* Threads (1..8, default 1) one user's ranking may use on a catalogue above the large-catalogue
 * threshold (its int8 pass over the items, split by columns; the result does not depend on it),
 * when not already inside a thread team: tide-serve passes its --threads. Other families and
 * smaller catalogues: no effect. */
void tide_interest_scorer_threads(tide_scorer *s, int n);
/* The item side, settings and captured states of an opened interest scorer (borrowed; they live
 * until tide_scorer_free); TIDE_ERR_USAGE if `s` is another family. */
tide_status tide_interest_scorer_parts(const tide_scorer *s, const tide_interest_items **it, const tide_interest_params **p,
                                       const tide_interest_states **S);
/* One user's view as the scorer sees it (the same as-of, reference time and words): `state` (may
 * be NULL, arrays from tide_interest_user_alloc) receives their state, and contrib (may be NULL)
 * [n, TIDE_IC_N] each listed item's weighted z-score per component — the terms of its score, so
 * the largest says which component the item comes from. A user with nothing to score gets zeros
 * and an empty state. */
struct tide_user_view;
tide_status tide_interest_scorer_user(const tide_scorer *s, const struct tide_user_view *v, const int32_t *items, int n,
                                      float *contrib, tide_interest_user *state);

/* ---- the interest dir (docs/tide-capture-interest.md) ---- */

typedef struct tide_interest_dir_info {
    const char *dataset_path;
    const char *dataset_checksum;
    int64_t as_of;                  /* INT64_MIN = user */
    const char *as_of_text;
    const char *item_vectors_path;
    const cJSON *tune_report;       /* may be NULL */
    const cJSON *extra;             /* merged into the manifest (command line...), may be NULL */
    /* An interest dir whose item-side arrays are these very bytes (--update's PREV: nothing is
     * refitted): they are hard-linked from it instead of written again, falling back to writing
     * (another filesystem). NULL = write them. */
    const char *item_side_from;
} tide_interest_dir_info;

/* DIR/manifest.json parsed, checked to be an interest dir (format "tide-interest"); on success the
 * caller owns *path (the manifest's path, for messages) and *manifest. */
tide_status tide_interest_manifest_read(const char *dir, char **path, cJSON **manifest);

/* Write DIR atomically: manifest.json (settings with the combiner's weights, dataset checksum,
 * as-of, tuning report), the per-user state arrays and the item side the scoring needs. */
tide_status tide_interest_dir_save(const char *dir, const tide_interest_items *it, const tide_interest_params *p,
                                   const tide_interest_states *S, const tide_interest_dir_info *info);
/* Streaming the per-user arrays: open announces the row count, rows() appends rows 0..n-1 of a
 * block B (any B->n_users >= n, same dimensions) in user order, finish writes the item side and
 * the manifest and commits (it, p, info as tide_interest_dir_save; `users` = the dataset's). A
 * run then holds one block of users, never all. abort (or any failure) leaves nothing behind.
 * With `delta` (an --update): the rows written are those of delta->users (sorted), into
 * delta_*.npy, and the base per-user arrays are hard-linked from delta->base_dir (an interest dir
 * whose base holds delta->base_users rows; copied on another file system). */
typedef struct tide_interest_delta {
    const char *base_dir;
    int64_t base_users;
    const int64_t *users;
    int64_t n;
} tide_interest_delta;
typedef struct tide_interest_writer tide_interest_writer;
tide_status tide_interest_writer_open(tide_interest_writer **w, const char *dir, int64_t rows, int als_k, int lm_dim,
                                      const tide_interest_delta *delta);
tide_status tide_interest_writer_rows(tide_interest_writer *w, const tide_interest_states *B, int64_t n);
/* Commits and frees w, also on failure. */
tide_status tide_interest_writer_finish(tide_interest_writer *w, const tide_interest_items *it, const tide_interest_params *p,
                                        int64_t users, const tide_interest_dir_info *info);
void tide_interest_writer_abort(tide_interest_writer *w);

/* Load an interest dir: settings, item side (into `it`, owned) and states. `manifest` (may be
 * NULL) receives the parsed manifest (caller frees). Shapes are checked: TIDE_ERR_DATA. */
tide_status tide_interest_dir_load(const char *dir, tide_interest_items *it, tide_interest_params *p,
                                   tide_interest_states *S, cJSON **manifest);
/* light: of the states only n_events, n_text and last_time (the rest NULL) — what --update
 * compares to find the touched users. */
tide_status tide_interest_dir_load_opts(const char *dir, tide_interest_items *it, tide_interest_params *p,
                                        tide_interest_states *S, cJSON **manifest, int light);

/* --update's output (src/interest/update.c): the states of the `n` touched users (sorted; every
 * user of ds past PREV's is among them) recomputed, every other row PREV's. Written as PREV's
 * base arrays hard-linked plus a delta of the rows that differ from the base (PREV's delta and
 * the touched users), or, when that delta would hold more than compact_above × users rows, as
 * a full dir (base rows read from PREV). PREV is never modified. *compacted says which. */
tide_status tide_interest_update_write(const char *out, const char *prev_dir, const tide_interest_items *it,
                                       const tide_interest_params *p, const tide_dataset *ds, const float *text_vectors,
                                       int64_t as_of, const int64_t *touched, int64_t n, double compact_above,
                                       const tide_interest_dir_info *info, int *compacted);

/* One JSON line per user: interests now (label, strength, last active, representative items),
 * drift. Labels from the clusters' categories (or their top items' titles). */
tide_status tide_interest_summary_write(const char *path, const tide_interest_items *it, const tide_interest_states *S,
                                        const tide_dataset *ds);

/* ---- evaluation and tuning (tide-capture-interest --tune) ---- */

/* NDCG@k of one ranking against a truth set (binary gains; IDCG over min(|truth|, k)), the way
 * tide-eval computes it. `score` over all items, `excl` sorted items never ranked. */
double tide_interest_ndcg(const float *score, int64_t n_items, const int32_t *excl, int64_t n_excl,
                          const int32_t *truth, int64_t n_truth, int k);

#define TIDE_INTEREST_MAX_FOLDS 20

typedef struct tide_interest_tune_opts {
    const tide_dataset *train;     /* histories (and the item side's fit) */
    const tide_dataset *valid;     /* truth: each user's held-out items (same id space) */
    const float *text_vectors;     /* the train split's text events in LM space, or NULL */
    int64_t as_of;                 /* INT64_MIN = each user's own last event */
    int k;                         /* NDCG cutoff (10) */
    int no_position, no_time;      /* ablations: position / time decay off everywhere */
    int fixed_weights;             /* ablation: equal weights instead of the learned combiner */
    int keep_components;           /* no backward elimination: every enabled component stays */
    int cv_folds;                  /* folds of the combiner's cross-validation over users (0 = 5) */
    int no_gate;                   /* one combiner for every user (no gate on the user's state) */
    size_t max_feature_bytes;      /* cap on stored features (users are subsampled above it) */
} tide_interest_tune_opts;

/* Pick decays, transitions, K, popularity's half-life (each by its component's own valid
 * NDCG@k, over fixed grids) and then the combiner (method and L2 by cv_folds-fold
 * cross-validation over users; then components are dropped one at a time while that
 * cross-validated NDCG does not fall — backward elimination, off with keep_components; then a
 * gate on the user's state, kept when it raises that NDCG, off with no_gate), starting from `p`; writes the
 * choice into `p` (dropped components leave p->enabled) and a report (every grid point's NDCG, the chosen values, valid NDCG of each component alone, equal weights, the combiner in
 * cross-validation and in-sample) into *report. `it` is the item side fitted on train with
 * the starting `p` (its popularity context is rebuilt for the chosen half-life). */
tide_status tide_interest_tune(tide_interest_items *it, const tide_interest_tune_opts *o, tide_interest_params *p,
                               cJSON **report);

#ifdef __cplusplus
}
#endif
#endif
