/* recs-reader.h — internal: streaming reader of recommendation files (TSV or JSONL) that
 * validates every line and hands each user's ranked list to a callback. */
#ifndef TIDE_RECS_READER_H
#define TIDE_RECS_READER_H

#include "tide/eval.h"

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

tide_status tide_recs_read(const char *path, tide_recs_format format, tide_eval_truth *t, int kmax,
                           tide_recs_group_fn fn, void *ctx, tide_recs_stats *stats);

#endif
