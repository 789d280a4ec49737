/* tide/recs.h — the recommendations file (docs/formats.md), both directions in one module:
 * TSV `user<TAB>item<TAB>rank<TAB>score` (original ids, rank from 1, score %.9g, grouped by
 * user) or JSON lines with the same fields. tide-recommend writes it (tide_recs_write_batch, fed
 * by the engine's batches), tide-eval and tide-train-mf read it (tide_recs_read, a streaming,
 * validating reader: every bad line is TIDE_ERR_DATA "file:line: reason").
 *
 * Layer: beside metrics (the reader resolves ids against an evaluation truth, tide/eval.h);
 * retrieval (above) writes through it. */
#ifndef TIDE_RECS_H
#define TIDE_RECS_H

#include <stdio.h>

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TIDE_RECS_AUTO = 0, TIDE_RECS_TSV, TIDE_RECS_JSONL } tide_recs_format;

/* One batch of ranked lists, in order: user n of the batch is users[n] (a dense index); its list
 * is items[n*k .. n*k + counts[n]) (item indices, best first) with scores alongside; by[n] says
 * how it was scored (tide/scorer.h TIDE_BY_*). */
typedef struct tide_recs_batch {
    int64_t first, n;
    int k;
    const int64_t *users;
    const int32_t *items;
    const float *scores;
    const int32_t *counts;
    const uint8_t *by;
} tide_recs_batch;

/* Format a batch as TSV lines or JSON objects (fmt TSV or JSONL), using the id strings (NULL
 * arrays = the dense index as a decimal number). Formats in parallel, writes in order. */
tide_status tide_recs_write_batch(FILE *fp, tide_recs_format fmt, const tide_recs_batch *b,
                                  char *const *user_ids, char *const *item_ids);

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct tide_eval_truth tide_eval_truth;

/* One user's list: user = dictionary index in t->users, or -1 for a user outside the truth
 * dictionary (possible with a TSV truth only). list[i] is the item ranked i+1 (or -1 when no
 * line has that rank), for i < n_list <= kmax; n_recs counts all of the user's lines. */
typedef tide_status (*tide_recs_group_fn)(void *ctx, int64_t user, const char *user_id,
                                          const int32_t *list, int64_t n_list, int64_t n_recs);

typedef struct {
    tide_recs_format format;  /* detected */
    char checksum[32];
    uint64_t bytes, lines;
    int64_t n_groups;         /* distinct users */
} tide_recs_stats;

/* Stream `path` ("-" = stdin; format AUTO detects TSV or JSONL), resolving ids against the
 * truth's dictionaries (with an open item dictionary, unknown items are added), and call fn once
 * per user group. */
tide_status tide_recs_read(const char *path, tide_recs_format format, tide_eval_truth *t, int kmax,
                           tide_recs_group_fn fn, void *ctx, tide_recs_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
