/* verify.h — `tide verify`: check a tide directory or file against its manifest.
 *
 * Knows datasets (tide-dataset), splits (tide-split: each part), models (tide-model), interest
 * dirs (tide-interest) and vectors (tide-embed: OUT.npy with OUT.json). For each: every file the
 * manifest's "files" lists has its recorded size and CRC-32 (a manifest without "files", from an
 * older tide, is noted: "no per-file checksums recorded"); every array loads with its dtype and
 * shape (the loaders' checks: CSR structure, finite factors, ...); cross-references hold (a dataset's content checksum
 * and its item-major copy against the user-major arrays; the dataset a model, interest dir or
 * vectors name, when that path exists, has the checksum and counts recorded; the item vectors an
 * interest dir names have its item count and LM dimension); and stray temporaries
 * (".NAME.tmp.XXXXXX" left by a killed writer) are listed. An unknown format is a problem too.
 */
#ifndef TIDE_VERIFY_H
#define TIDE_VERIFY_H

#include <stdint.h>

#include "tide/core.h"

typedef enum { TIDE_VERIFY_PROBLEM = 0, TIDE_VERIFY_NOTE } tide_verify_level;
/* Called once per finding: a problem (the path is corrupt) or a note (something unchecked). */
typedef void (*tide_verify_fn)(void *ctx, tide_verify_level level, const char *msg);

typedef struct tide_verify_stats {
    const char *kind;       /* "dataset", "model", "interest", "vectors", "split", or NULL */
    int64_t files_checked;  /* files whose size and CRC-32 were compared */
    int64_t problems, notes, temporaries;
} tide_verify_stats;

/* TIDE_OK once the checks ran (their findings went to fn, counted in *stats); TIDE_ERR_IO when
 * `path` cannot be read at all. A path that is no tide directory or vectors file is a problem. */
tide_status tide_verify(const char *path, tide_verify_fn fn, void *ctx, tide_verify_stats *stats);

#endif
