/* tide/shard.h — `--shard I/N`: split a run's users into N parts a scheduler runs separately
 * (Slurm arrays, GNU parallel) and whose outputs concatenate, in shard order, to the unsharded
 * run's bytes. Every per-user program parses and splits with these two functions. */
#ifndef TIDE_SHARD_H
#define TIDE_SHARD_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int index; /* I, 0-based */
    int count; /* N >= 1 */
} tide_shard;

/* Parse "I/N" with 0 <= I < N (decimal, nothing else): TIDE_ERR_USAGE with a message otherwise.
 * NULL gives the whole run (0/1). */
tide_status tide_shard_parse(const char *text, tide_shard *out);

/* The half-open range [*lo, *hi) of n items (users, in the run's order) that shard s covers.
 * Shards are contiguous runs of whole blocks of `block` items (block >= 1; use 1 where blocks do
 * not matter), split as evenly as blocks allow, so a block is processed exactly as in the
 * unsharded run. Ranges of consecutive shards are adjacent and cover [0, n). */
void tide_shard_range(tide_shard s, int64_t n, int64_t block, int64_t *lo, int64_t *hi);

#ifdef __cplusplus
}
#endif
#endif
