/* tide/scorer.h — the one contract between a model and the top-K engine (tide/retrieval.h).
 *
 * A scorer turns users into scores over item columns. It knows nothing about top-K, exclusions,
 * candidates, MMR, shards or output; the engine knows nothing about model kinds. Every consumer
 * scores through it: tide-recommend (batch, histories from a dataset), tide-train-mf --valid
 * (validation during training), tide-serve (one user at a time, history = dataset row + online
 * events) and every model family (src/mf: factors, EASE, item-kNN, popularity; src/interest: the
 * dynamic-interest model). A CUDA backend plugs in underneath: scores are produced through
 * tide_backend (tide/backend.h) by the scorers that use it.
 *
 * The interface is a versioned table of function pointers, in the manner of ggml's backend
 * interface. Callers (the engine) call it in this order:
 *
 *   bind         once per run: the column space (all items or a sorted allow-list) and the
 *                backend; returns a run state that threads share read-only (e.g. the allowed
 *                items' factor rows gathered densely, uploaded to the device).
 *   block_alloc  once per worker thread: scratch for blocks of up to max_users users, with that
 *                thread's backend.
 *   prepare      per block of users, each given as a tide_user_view: decides how each user is
 *                scored (by[r]: by the model, folded in, or "not in the model" → the engine
 *                falls back to popularity) and builds the per-user state (fold-in, decayed
 *                history weights, the user's time for contextual models).
 *   score        per block × column range: fills a [rows × columns] tile of f32 scores.
 *   block_free, unbind, destroy.
 *
 * Rows: after prepare, the users of the block whose by[r] != TIDE_BY_POPULARITY are numbered
 * 0, 1, ... in block order; score() addresses those rows only. Scores must be finite or
 * -INFINITY ("never recommend"); the engine masks exclusions itself. Ties are broken by the
 * engine (lower item index), so a scorer need not care about them.
 *
 * Determinism: prepare and score must give the same bytes for a user whatever block they are
 * in, whatever thread runs them and whatever the other users of the block are — except that a
 * scorer using one sgemm over the block's rows (factors) relies on the engine calling score with
 * the same block layout (the engine's block layout depends only on the user list and block
 * size, never on the thread count).
 *
 * Threads: bind/unbind run on one thread. block_alloc, prepare, score and block_free run
 * concurrently on different blocks (each with its own block state); they may read the run state
 * and the scorer but must not write them, except through state the scorer guards itself (e.g. a
 * lazily computed Gram matrix behind a lock).
 *
 * Cost rule (for tide-serve): nothing in bind or prepare may be sized by the number of users of a
 * dataset; per-run work is bounded by the items (column space), per-user work by the user's
 * history. Anything expensive that depends only on the model (a Gram matrix, sorted popularity)
 * is computed once per scorer and cached inside it.
 *
 * Opening: tide_scorer_open(dir) reads DIR/manifest.json's "format" (and "algorithm") and hands
 * the directory to the model family that registered that format (src/models/open.c: "tide-model"
 * → src/mf/scorer.c; a "tide-interest" family registers the same way). A scorer over caller
 * arrays (content retrieval: query vectors × item vectors) comes from tide_mf_scorer_vectors().
 *
 * Versioning: iface->version is TIDE_SCORER_VERSION of the header the family was built with.
 * Later versions only append members (to tide_scorer_iface, tide_user_view, tide_scorer_info)
 * and define new flag bits; the engine checks the version before using an appended member, so
 * an older family keeps working. A view's or info's appended member is zero when not set.
 */
#ifndef TIDE_SCORER_H
#define TIDE_SCORER_H

#include "tide/backend.h"
#include "tide/core.h"
#include "tide/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TIDE_SCORER_VERSION 4

/* How one user was scored (prepare's by[r]; the engine's stats count them). */
enum {
    TIDE_BY_MODEL = 0,      /* the model's own state for this user (or its rule over the history) */
    TIDE_BY_FOLD_IN = 1,    /* not in the model: a state derived from the history (ALS fold-in) */
    TIDE_BY_POPULARITY = 2  /* not in the model and no usable history: the engine's popularity */
};

/* One user's history as the caller sees it, oldest event first. Arrays are borrowed and must
 * stay valid until the call that received the view returns. */
typedef struct tide_user_view {
    /* The user's row in the model's user space (the training dataset's dense user index; the
     * parts of one tide-split share it), or -1 for a user the model was never trained with
     * (an online user). A row past the model's users is also "not a trained user". */
    int64_t user;
    /* Interaction events. times NULL = unknown (no decay applies); weights NULL = 1 each;
     * events (event-type index, dataset manifest "event_names") NULL = unknown. */
    int64_t n;
    const int32_t *items;
    const int64_t *times;
    const float *weights;
    const uint8_t *events;
    /* Optional text events (tags, reviews, queries): text, time and the item it is about (-1 =
     * none); n_text 0 = none. For model families that read text (interest). */
    int64_t n_text;
    const char *const *texts;
    const int64_t *text_times;
    const int32_t *text_items;
    /* Optional vector of the user supplied by the caller (e.g. an embedded profile), NULL =
     * none. */
    const float *vector;
    int64_t vector_dim;
    /* "Now" for this user: the reference time of a decay whose as-of is "latest" (tide-recommend:
     * the latest event of the scoring dataset; tide-serve: the latest event it has seen, or the
     * request time). INT64_MIN = this user's own latest event. A model with a fixed as-of or
     * as-of "user" ignores it. */
    int64_t as_of;
    /* 1: the caller has no histories at all (content retrieval without a dataset): n is 0 and
     * says nothing; a model scores from its own state or not at all. */
    int no_history;
    /* Version 3: the text events' vectors [n_text, text_dim] in the model's language-model space
     * (rows aligned with texts / text_times, which must then be set and sorted by time), NULL =
     * none. A family that reads the user's words (interest) builds their profile from these at
     * its own reference time — what a batch run does from tide-embed --user-text vectors —
     * instead of a stored profile; tide-serve passes the batch texts' vectors plus those it
     * embedded online. */
    const float *text_vecs;
    int64_t text_dim;
} tide_user_view;

/* The columns a run scores: all items (items == NULL, n == n_items), or a sorted, unique
 * allow-list; column q is item items[q]. col_of maps an item to its column or -1 (NULL when
 * items is NULL). Sorted columns mean "ordered by column" is "ordered by item index". */
typedef struct tide_scorer_cols {
    int64_t n;
    const int32_t *items;
    const int32_t *col_of;
} tide_scorer_cols;

/* info.flags */
enum {
    /* Scores come from the user's history: a run without histories (no dataset) is refused. */
    TIDE_SCORER_NEEDS_HISTORY = 1u << 0,
    /* score() is called one row at a time over all columns (c0 = 0, w = cols->n): the model
     * builds a whole row at once (sparse neighbours, contextual popularity); otherwise it gets
     * tiles of the engine's item block. */
    TIDE_SCORER_WHOLE_ROWS = 1u << 1,
    /* Tiles are computed through the run's backend (dense factor products); otherwise the
     * scorer computes on the host whatever the backend (said once in the log). */
    TIDE_SCORER_USES_BACKEND = 1u << 2,
};

/* What the engine needs to know about a model; filled by the family at open. Arrays are owned
 * by the scorer and live until tide_scorer_free. */
typedef struct tide_scorer_info {
    const char *family;          /* "mf", "interest" */
    char algorithm[32];          /* "als", "bpr", "ease", "itemknn", "pop", "vectors", ... */
    int64_t n_items;
    int64_t n_users;             /* users with model state (rows of user factors); 0 if none */
    unsigned flags;              /* TIDE_SCORER_* */
    /* Scores that do not depend on the user (static popularity) [n_items], or NULL. With it,
     * users scored by the model are served by walking the items in score order (no tiles). */
    const float *item_scores;
    /* The popularity a user "not in the model" gets [n_items], or NULL: then the caller's
     * (tide_retrieval_job.popularity), else the scoring dataset's interaction counts. */
    const float *popularity;
    /* Default vectors for MMR similarity [n_items, item_dim] (item factors), or NULL. */
    const float *item_vectors;
    int64_t item_dim;
    /* The dataset the model was trained on (manifest "dataset"); empty checksum = unknown. */
    char dataset_checksum[64];
    char dataset_path[512];
    int64_t dataset_users, dataset_items;
    const void *manifest;        /* the parsed manifest (cJSON *), or NULL */
    /* Items by item_scores / popularity descending, ties by lower index (NULL = not given): the
     * engine then walks them without sorting per run (a one-user call stays O(k) for them). */
    const int32_t *item_order;
    const int32_t *popularity_order;
} tide_scorer_info;

typedef struct tide_scorer tide_scorer;

typedef struct tide_scorer_iface {
    uint32_t version;            /* TIDE_SCORER_VERSION the family was built with */
    /* Per run: bind to a column space and a backend (NULL = CPU). *run is the family's state,
     * shared read-only by the threads. */
    tide_status (*bind)(const tide_scorer *s, const tide_scorer_cols *cols, tide_backend *be, void **run);
    void (*unbind)(const tide_scorer *s, void *run);
    /* Per thread: scratch for blocks of up to max_users users; `be` is the backend this thread
     * uses (a host backend per thread, or the run's device backend on a single thread). */
    tide_status (*block_alloc)(const tide_scorer *s, void *run, int max_users, tide_backend *be, void **blk);
    void (*block_free)(const tide_scorer *s, void *run, void *blk);
    /* Per block: decide by[r] for users[0..n) and prepare the rows to score (module comment).
     * A user the model cannot score is TIDE_BY_POPULARITY, never an error; errors are bad data
     * (TIDE_ERR_DATA) or resources. The engine keeps `users` (the array and the views' arrays)
     * valid until the block's last score() call, so a scorer may keep pointers to them. */
    tide_status (*prepare)(const tide_scorer *s, void *run, void *blk, const tide_user_view *users, int n,
                           uint8_t *by);
    /* Scores of prepared rows [r0, r0 + nr) over columns [c0, c0 + w) into tile[nr × w] (host
     * memory, row stride w). Without TIDE_SCORER_WHOLE_ROWS the engine passes every prepared
     * row of the block at once (r0 = 0). */
    tide_status (*score)(const tide_scorer *s, void *run, void *blk, int r0, int nr, int64_t c0, int64_t w,
                         float *tile);
    /* Release the scorer's own state (not the tide_scorer struct; tide_scorer_free does that). */
    void (*destroy)(tide_scorer *s);
    /* Version 2, optional (NULL = no): when prepared row r's scores are exactly
     * fl(tide_qscan_dot(q, item row) + bias[c]) for a one-row score() call, set *q (item_dim
     * floats) and *bias (column space, or NULL) and return 1; the engine may then answer one-row
     * blocks through a quantised index (tide/qscan.h, job->qindex). Otherwise return 0. */
    int (*row_query)(const tide_scorer *s, void *run, void *blk, int r, const float **q, const float **bias);
    /* Version 4, optional (NULL = no): the top-kk of prepared row r computed by the scorer itself,
     * identical (items, scores, ties) to what the engine gets from a one-row score() over all
     * columns, masking the sorted excluded columns ex[0..n_ex) and its running top-K: writes the
     * heap (val, idx, *n) as tide_qindex_topk does and sets *answered = 1, plus *rescored = the
     * items it scored exactly. *answered = 0 (nothing written): the engine calls score(). For a
     * model whose score is not one query vector but can be bounded (the interest model above
     * its large-catalogue threshold). */
    tide_status (*row_topk)(const tide_scorer *s, void *run, void *blk, int r, const int32_t *ex, int64_t n_ex, int kk,
                            float *val, int32_t *idx, int *n, int *answered, int64_t *rescored);
} tide_scorer_iface;

struct tide_scorer {
    const tide_scorer_iface *iface;
    tide_scorer_info info;
    void *impl;                  /* the family's */
};

/* Open a model (or interest) directory through the family registered for its manifest's
 * "format". An unknown format or algorithm is TIDE_ERR_DATA "unsupported model kind"; bad
 * arrays are TIDE_ERR_DATA "path: reason". */
tide_status tide_scorer_open(const char *dir, tide_scorer **out);
/* destroy + free; NULL is fine. */
void tide_scorer_free(tide_scorer *s);

/* Check that `ds` is the dataset the model was trained on (info.dataset_checksum). With
 * allow_new_data, a different dataset is accepted when it has the model's item count (the parts
 * of one tide-split share their dictionaries); its users past the model's are then "not in the
 * model". TIDE_ERR_DATA otherwise, naming both checksums. */
tide_status tide_scorer_check_dataset(const tide_scorer *s, const tide_dataset *ds, const char *data_dir,
                                      int allow_new_data);

/* The view of dataset row u (user = u; as_of as given: tide-recommend passes
 * tide_dataset_latest(ds), tide/decay.h). */
void tide_user_view_from_dataset(const tide_dataset *ds, int64_t u, int64_t as_of, tide_user_view *v);

#ifdef __cplusplus
}
#endif
#endif
