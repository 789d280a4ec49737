/* tide/synth.h — tide's synthetic data, one module for tests, samples and benchmarks.
 *
 * Behaviour logs: a seeded generator of realistic-looking behaviour logs (zstd's datagen idea):
 * users whose interests drift between topics over time, a catalog with readable titles and
 * categories, view/cart/purchase events, and user-written text (search queries and short
 * reviews). It makes the sample in data/ and the large inputs of the benchmarks. The same seed
 * and parameters always give byte-identical files. */
#ifndef TIDE_SYNTH_H
#define TIDE_SYNTH_H

#include "tide/core.h"
#include "tide/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t users;        /* number of users */
    int64_t items;        /* catalog size */
    int64_t events;       /* approximate total interactions */
    int topics;           /* 1 .. tide_synth_max_topics() */
    int64_t t_start;      /* epoch seconds of the first possible event */
    int64_t t_end;        /* epoch seconds of the last possible event */
    double drift;         /* probability that a user's interests change (once or twice) */
    double text_rate;     /* text events per interaction */
    int catalog;          /* also write items.csv and text_events.csv */
    int planted;          /* also write the planted interests: planted_phases.csv (every phase of
                             every user's favourite topics) and planted.tsv (the final phase,
                             `user<TAB>Topic|Topic`, as tide-eval --label-truth reads it) */
    uint64_t seed;
} tide_synth_params;

void tide_synth_params_default(tide_synth_params *p);
/* NULL if valid, else a message. */
const char *tide_synth_params_check(const tide_synth_params *p);
int tide_synth_max_topics(void);

/* Write interactions.csv (user_id,item_id,timestamp,event) and, with catalog, items.csv
 * (item_id,title,category) and text_events.csv (user_id,item_id,timestamp,text) into dir, each
 * atomically. The interactions are in time order per user, users one after another. */
tide_status tide_synth_write(const tide_synth_params *p, const char *dir);

/* An in-memory dataset of `n_users` × `n_items` with about `nnz` interactions: item popularity
 * Zipf with exponent `zipf` (0 = uniform), user activity log-normal-ish, items in each user's
 * row distinct and time-ordered, weights 1, times increasing, ids "u<n>" / "i<n>".
 * Deterministic for `seed`. */
tide_status tide_synth_dataset(int64_t n_users, int64_t n_items, int64_t nnz, double zipf,
                               uint64_t seed, tide_dataset *out);

/* Random models: a dataset DIR/data (`seen` distinct skewed items per user, every 9th user
 * without events, ids "u<n>"/"i<n>") and, for each algorithm in `algos` (comma-separated: als,
 * bpr, ease, itemknn, pop), a model directory DIR/<algo> in tide-model format with random
 * factors, a random EASE matrix, random neighbour lists or interaction counts, plus
 * DIR/item_vectors.npy and DIR/queries.npy. `ints` draws small integers (exact scores, many
 * ties: for tests); the last `new_users` users are left out of the factor models (they must be
 * folded in). The recommend tests' fixture and bench-recommend's input; same bytes for the same
 * parameters. */
typedef struct {
    int64_t users, items, dim;
    int64_t seen;         /* events per user */
    int64_t queries;      /* rows of queries.npy */
    int64_t new_users;
    int ints;
    const char *algos;    /* default "als,bpr,ease,itemknn,pop" */
    uint64_t seed;
} tide_synth_models_params;

void tide_synth_models_params_default(tide_synth_models_params *p);
const char *tide_synth_models_params_check(const tide_synth_models_params *p);
tide_status tide_synth_models_write(const tide_synth_models_params *p, const char *dir);

#ifdef __cplusplus
}
#endif
#endif
