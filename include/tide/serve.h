/* tide/serve.h — the online half of tide: per-user state held in memory as an overlay of new
 * events on top of the memory-mapped batch dataset, the parser of incoming events, the
 * append-only event log (group commit, crash recovery) and one-user scoring through the same
 * retrieval code as tide-recommend. tools/serve/ puts HTTP in front of it.
 *
 * Consistency model: every accepted event is applied to the store and appended to the log under
 * one lock, so the log's order is the order in which the store saw events; replaying the log on
 * top of the batch dataset rebuilds the same state. A user's history is its batch events
 * followed (stably, by time) by its online events — exactly the order tide-ingest gives when the
 * log is ingested after the original inputs, so scoring the merged history equals scoring the
 * re-ingested dataset.
 */
#ifndef TIDE_SERVE_H
#define TIDE_SERVE_H

#include <pthread.h>
#include <stdio.h>

#include "tide/core.h"
#include "tide/dataset.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"
#include "tide/strmap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- events and their parser ------------------------------------------------------------- */

enum { TIDE_SERVE_EV_INTERACTION = 0, TIDE_SERVE_EV_TEXT = 1 };

/* Limits a request body must respect (a client cannot make the server allocate without bound). */
#define TIDE_SERVE_MAX_ID 256          /* bytes in a user or item id */
#define TIDE_SERVE_MAX_TEXT 16384      /* bytes in a text event */
#define TIDE_SERVE_MAX_TYPE 64         /* bytes in an event type */
#define TIDE_SERVE_MAX_BATCH 10000     /* events in one request */
#define TIDE_SERVE_MAX_DEPTH 8         /* JSON nesting */

typedef struct tide_serve_event {
    int kind;             /* TIDE_SERVE_EV_* */
    char *user;           /* owned by the event list */
    char *item;           /* NULL: a text event without item */
    int64_t time;         /* seconds since the epoch */
    int has_time;         /* 0: the caller fills in "now" */
    float weight;         /* interaction weight (event-type weight applied by the store) */
    int has_weight;
    char *type;           /* event type or NULL */
    char *text;           /* text events */
    char text_kind[8];    /* "query", "review", "tag" */
    const float *vec;     /* a text event's vector in the store's text space (text_dim floats;
                             the caller's, copied by apply), NULL = not embedded */
} tide_serve_event;

typedef struct tide_serve_events {
    tide_serve_event *ev;
    int n;
    char *arena;          /* every string of the list */
} tide_serve_events;

/* Parse a request body or a log line: one event object, an array of them, or {"events": [...]}.
 * Fields: user (string or integer), item (string or integer), time (seconds, milliseconds from
 * 1e11 up, or an ISO-8601 string; optional), weight (finite number >= 0, optional), type
 * (string, optional); or, for user text, text (string) with kind "query" | "review" | "tag"
 * (default "query") and an optional item. Unknown keys are refused (a typo must not silently
 * drop a field). On failure returns TIDE_ERR_DATA with a message naming the event (its index in
 * a batch) and the field; nothing is kept. Deep nesting is refused before cJSON sees it. */
tide_status tide_serve_parse_events(const char *body, size_t len, tide_serve_events *out);
void tide_serve_events_free(tide_serve_events *e);

/* One event as a JSON line in the shape tide-ingest reads (with "\n"): interactions as
 * {"user","item","time","weight"[,"event"]}, text events as {"user","item","time","text","kind"}
 * ("item" is "" without item). Returns the length written, or -1 if `cap` is too small. */
int tide_serve_event_line(const tide_serve_event *e, char *buf, size_t cap);

/* ---- the append-only event log ----------------------------------------------------------- */

typedef enum { TIDE_SYNC_NONE = 0, TIDE_SYNC_BATCH, TIDE_SYNC_ALWAYS } tide_sync_mode;
int tide_sync_mode_parse(const char *s, tide_sync_mode *out);

/* DIR/events.jsonl (interactions) and DIR/text.jsonl (user text). Appends are buffered in
 * memory and made durable by a writer thread: with `batch` it writes and fdatasyncs everything
 * queued since its last round in one go (group commit), with `always` each append's round
 * holds that append alone, with `none` it writes without fsync (safe against a killed process,
 * not against a power cut). tide_serve_log_wait returns once the given ticket is durable. */
typedef struct tide_serve_log tide_serve_log;

/* What recovery found (tide_serve_log_replay). */
typedef struct tide_serve_log_info {
    int64_t events, texts;         /* replayed */
    int64_t skipped_bytes[2];      /* prefix already in the batch dataset (per file) */
    int64_t truncated_bytes[2];    /* torn tail cut off (per file) */
} tide_serve_log_info;

typedef tide_status (*tide_serve_replay_fn)(void *ctx, const tide_serve_event *e, const char *file, int64_t line);

/* Open (creating) the log files. Recovery first: a last line without its "\n", or a run of
 * unparseable lines at the very end (a write torn by a crash), is truncated away; an
 * unparseable line followed by good ones is corruption (TIDE_ERR_DATA "file:line: ..."). Every
 * good line past `skip` bytes (see tide_serve_log_batch_prefix) is handed to `fn` in order. */
tide_status tide_serve_log_open(const char *dir, tide_sync_mode mode, const cJSON *dataset_manifest,
                                tide_serve_replay_fn fn, void *ctx, tide_serve_log_info *info,
                                tide_serve_log **out);
/* Queue a line (`which` 0 = events.jsonl, 1 = text.jsonl); returns a ticket. Call under the
 * caller's ordering lock so the log order is the apply order. */
tide_status tide_serve_log_append(tide_serve_log *l, int which, const char *line, size_t len, uint64_t *ticket);
/* Block until `ticket` is on disk per the sync mode; TIDE_ERR_IO if the writer failed. */
tide_status tide_serve_log_wait(tide_serve_log *l, uint64_t ticket);
/* Bytes appended (durable) so far, over both files. */
int64_t tide_serve_log_bytes(tide_serve_log *l);
int64_t tide_serve_log_syncs(tide_serve_log *l);
/* Flush everything queued, stop the writer, close the files. */
tide_status tide_serve_log_close(tide_serve_log *l);

/* How much of a log file the batch dataset already holds: if the dataset manifest's "sources"
 * list a file with the same name whose recorded bytes are a prefix of `path` with the same
 * CRC-32, that prefix length (those events are in the batch arrays and must not be applied
 * again); else 0. */
int64_t tide_serve_log_batch_prefix(const cJSON *dataset_manifest, const char *path);

/* ---- the store --------------------------------------------------------------------------- */

typedef struct tide_serve_text {
    int64_t time;
    int32_t item;           /* -1: none */
    char kind[8];
    char *text;
    float *vec;             /* online texts: the vector it was applied with (owned), or NULL */
} tide_serve_text;

/* A user's online part: events since the batch dataset, in apply order. */
typedef struct tide_serve_online {
    int32_t *items;
    int64_t *times;
    float *weights;
    uint8_t *events;
    int64_t n, cap;
    tide_serve_text *texts;
    int64_t n_text, cap_text;
} tide_serve_online;

typedef struct tide_serve_store_opts {
    int n_event_weights;          /* --event-weight E=W pairs */
    char **event_names;
    double *event_weights;
    int require_known_type;       /* with event weights: an unknown type is refused */
    int shard_i, shard_n;         /* users of other shards are refused (n = 1: all) */
} tide_serve_store_opts;

typedef struct tide_serve_store {
    tide_dataset *ds;             /* the batch dataset (not owned) */
    tide_serve_store_opts opts;
    pthread_rwlock_t lock;
    tide_strmap new_users;        /* ids the batch never saw: slot = ds->n_users + index */
    tide_serve_online **online;   /* [n_slots]; NULL = nothing online */
    int64_t n_slots, cap_slots;
    float *item_counts;           /* interactions per item, batch + online (popularity fallback) */
    int64_t latest;               /* latest event time over batch and online */
    int64_t events_applied, texts_applied, users_touched;
    int has_items_text;
    /* Text vectors (tide_serve_store_text_space): the batch text events' rows [ds->n_text,
     * text_dim] (borrowed) and the dimension online text events are applied with; 0 = none. */
    const float *batch_text_vecs;
    int64_t text_dim;
} tide_serve_store;

tide_status tide_serve_store_init(tide_serve_store *s, tide_dataset *ds, const tide_serve_store_opts *o);
/* Give the store a text space: vectors of the batch dataset's text events (rows aligned with
 * ds's text events, as tide-embed --user-text writes them; may be NULL when ds has none) of
 * `dim` floats. Online text events are then expected with a vector (tide_serve_event.vec), and
 * histories carry every text's vector. Call before any event is applied. */
void tide_serve_store_text_space(tide_serve_store *s, const float *batch_vecs, int64_t dim);
void tide_serve_store_free(tide_serve_store *s);

/* The shard of a user id: tide_hash-independent FNV-1a 64 of the id modulo n, the rule the
 * batch programs use for --shard on ids. */
int tide_serve_shard_of(const char *id, int n);

/* Check an event against the store (known item, shard, type) without changing anything;
 * TIDE_ERR_DATA with a message when refused. Resolves the item index and the final weight:
 * the event-type weight times the given weight, unless `from_log` (a log line's weight is
 * already final). */
tide_status tide_serve_store_check(tide_serve_store *s, const tide_serve_event *e, int from_log, int32_t *item,
                                   float *weight);
/* Apply a checked event (write lock held by the caller via tide_serve_store_wrlock). */
tide_status tide_serve_store_apply(tide_serve_store *s, const tide_serve_event *e, int32_t item, float weight);
void tide_serve_store_wrlock(tide_serve_store *s);
void tide_serve_store_rdlock(tide_serve_store *s);
void tide_serve_store_unlock(tide_serve_store *s);

/* The slot of a user id (batch index, or past the batch users for new ones); -1 unknown. */
int64_t tide_serve_store_user(tide_serve_store *s, const char *id);
/* The id of a slot. For a new user the string lives in a map that grows under the write lock:
 * call with the read lock held (or copy it out under it). */
const char *tide_serve_store_user_id(const tide_serve_store *s, int64_t slot);

/* A user's full history (batch then online, merged stably by time) copied out under the read
 * lock: arrays malloc'ed into *h (free with tide_serve_history_free). */
typedef struct tide_serve_history {
    int64_t slot;
    int64_t batch_user;           /* index in the batch dataset, -1 for a new user */
    int64_t n;
    int32_t *items;
    int64_t *times;
    float *weights;
    uint8_t *events;
    int64_t n_text;
    tide_serve_text *texts;       /* copies (text strings owned), batch and online merged stably
                                     by time (batch first on equal times, as tide-ingest orders) */
    int64_t *text_times;          /* [n_text] the texts' times */
    float *text_vecs;             /* [n_text, text_dim] their vectors, or NULL when the store has no
                                     text space or some text has no vector */
    int64_t text_dim;
    int64_t latest_global;
} tide_serve_history;
tide_status tide_serve_store_history(tide_serve_store *s, int64_t slot, tide_serve_history *h);
void tide_serve_history_free(tide_serve_history *h);

/* ---- scoring ----------------------------------------------------------------------------- */

typedef struct tide_serve_scorer {
    const tide_scorer *model;     /* tide_scorer_open of --model */
    tide_dataset *ds;
    const float *item_vectors;    /* MMR, similar items, search; NULL = item factors if any */
    int64_t vec_dim;
    int keep_seen;
    const int32_t *candidates;    /* sorted allow-list or NULL */
    int64_t n_candidates;
    tide_strmap excl_users;       /* --exclude: user id -> list */
    int64_t *excl_indptr;
    int32_t *excl_items;
    int have_excl;
    tide_qindex *qindex;          /* the model's item factors quantised (NULL = full scans) */
} tide_serve_scorer;

typedef struct tide_serve_recs {
    int n;
    int32_t items[1024];
    float scores[1024];
    uint8_t by;                   /* TIDE_RETRIEVAL_BY_* */
} tide_serve_recs;

/* Top-k for one user's history through tide_retrieval_run (the batch code) with a
 * tide_user_source view: the merged history, the user's model row (its batch index), as_of =
 * the store's latest event (the batch run's "latest" over the re-ingested data), the popularity
 * fallback = the store's counts (batch + online, the batch run's counts of its dataset).
 * `only` (sorted unique, may be NULL) narrows the candidates further; keep_seen overrides. */
tide_status tide_serve_score(const tide_serve_scorer *sc, tide_serve_store *st, const tide_serve_history *h, int k,
                             double diversity, const int32_t *only, int64_t n_only, int keep_seen, tide_serve_recs *out);

/* Why: the score each of the user's last `last` events alone gives each of items[0..n) through
 * the model's scorer (a view of that one event, not a trained user): EASE w·B[i, j], item-kNN
 * w·sim(i, j), ALS a one-event fold-in. best_event[q] = the history index (or -1), best[q] its
 * score. */
tide_status tide_serve_contributions(const tide_serve_scorer *sc, tide_serve_store *st, const tide_serve_history *h,
                                     int last, const int32_t *items, int n, int64_t *best_event, float *best);

/* Items most similar to item `item` by cosine of the item vectors (or factors). */
tide_status tide_serve_similar(const tide_serve_scorer *sc, int32_t item, int k, tide_serve_recs *out);
/* Items by dot product with a query vector [vec_dim]. */
tide_status tide_serve_search_vec(const tide_serve_scorer *sc, const float *q, int k, tide_serve_recs *out);

/* ---- interests from history (until the dynamic-interest model lands) --------------------- */

typedef struct tide_serve_interest {
    char label[96];
    double long_share, short_share;  /* share of the (decayed) weight; short = recent events */
    int64_t last_active;
    int64_t events;
} tide_serve_interest;

typedef struct tide_serve_interests {
    int n;
    tide_serve_interest v[32];
    double drift;                    /* total variation between short and long shares, [0, 1] */
    int64_t short_events;
    const char *field;               /* catalog field the labels come from, or "item" */
} tide_serve_interests;

/* Labels are the values of the catalog text field `field` split on '|' ',' ';' (e.g.
 * MovieLens genres), or the items themselves when field is NULL. Long term: every event,
 * weighted; short term: the last `recent` events. */
void tide_serve_interests_compute(const tide_dataset *ds, int field, const tide_serve_history *h, int recent,
                                  tide_serve_interests *out);
/* Index of the catalog field to take labels from: `want` if given, else the first of
 * genres/genre/category/categories/tags; -1 none. */
int tide_serve_interest_field(const tide_dataset *ds, const char *want);

/* ---- the dynamic-interest model (--interest DIR) ----------------------------------------- */

struct tide_interest_user;

/* The view of a served history the engine scores (tide_serve_score): the merged events, the
 * user's model row, as_of = the store's latest event, the texts with their vectors. */
void tide_serve_view(const tide_serve_history *h, tide_user_view *v);

/* For an interest scorer (sc->model from an interest dir): the user's state (`state` from
 * tide_interest_user_alloc, may be NULL) and contrib [n, TIDE_IC_N] (may be NULL): each listed
 * item's weighted z-score per component — through tide_interest_scorer_user, i.e. exactly the
 * view and computation tide_serve_score ranks by. */
tide_status tide_serve_interest_model(const tide_serve_scorer *sc, const tide_serve_history *h, const int32_t *items,
                                      int n, float *contrib, struct tide_interest_user *state);

/* Why the interest model recommends each item. */
typedef struct tide_serve_why {
    int component;           /* TIDE_IC_* of the largest term of its score; -1: none (popularity) */
    float contribution;      /* that term: weight × z-score */
    float terms[16];         /* every component's term (TIDE_IC_N of them), 0 when off */
    int cluster;             /* component "cluster": the state's cluster that scores it best, else -1 */
    int64_t text;            /* component "words": index into h->texts of the closest text, else -1 */
} tide_serve_why;
/* why[n] for items[n]; `state` (allocated) receives the user's state (the clusters cluster
 * indexes). For other components the caller names the history event most like the item. */
tide_status tide_serve_interest_explain(const tide_serve_scorer *sc, const tide_serve_history *h, const int32_t *items,
                                        int n, tide_serve_why *why, struct tide_interest_user *state);

#ifdef __cplusplus
}
#endif
#endif
