/* tide/dataset.h — the dataset directory: id dictionaries, interactions as CSR, text.
 *
 * On disk (docs/formats.md):
 *   manifest.json      format, counts, time range, event names, text fields, checksum, + the
 *                      producing tool's provenance (columns, sources, command line)
 *   users.txt items.txt  original ids, line n = dense index n
 *   indptr.npy  i64 [n_users+1]   user-major CSR, each row sorted by (time, input order)
 *   items.npy   i32 [nnz]   times.npy i64 [nnz] (seconds)   weights.npy f32 [nnz]
 *   events.npy  u8  [nnz]   index into manifest "event_names"
 *   item_indptr.npy i64 [n_items+1], item_users.npy i32, item_weights.npy f32,
 *   item_times.npy i64     item-major copy (within an item: by user index, then each
 *                          user's (time, input order))
 *   item_text.jsonl     line n = JSON object {field: text} for item n ({} = no text)
 *   text_indptr.npy i64 [n_users+1], text_items.npy i32 (-1 = no item), text_times.npy i64,
 *   text_events.jsonl   line k = {"text": ...}: user text events, user-major, time-ordered
 * Loading maps every array read-only (zero copy); the struct below then points into the maps.
 */
#ifndef TIDE_DATASET_H
#define TIDE_DATASET_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TIDE_DATASET_FORMAT_VERSION 1

typedef struct cJSON cJSON;

typedef struct tide_dataset {
    int64_t n_users, n_items, nnz;
    char **user_ids;          /* [n_users] */
    char **item_ids;          /* [n_items] */

    int64_t *indptr;          /* [n_users+1] */
    int32_t *items;           /* [nnz] */
    int64_t *times;           /* [nnz] */
    float *weights;           /* [nnz] */
    uint8_t *events;          /* [nnz] */
    int n_event_names;
    char **event_names;

    int64_t *item_indptr;     /* [n_items+1]; filled by tide_dataset_load / _build_item_major */
    int32_t *item_users;
    float *item_weights;
    int64_t *item_times;

    int n_text_fields;
    char **text_fields;       /* [n_text_fields] */
    char **item_text;         /* [n_items * n_text_fields], NULL = missing */

    int64_t n_text;           /* user text events */
    int64_t *text_indptr;     /* [n_users+1] */
    int32_t *text_items;      /* [n_text], -1 = none */
    int64_t *text_times;      /* [n_text] */
    char **texts;             /* [n_text] */

    cJSON *manifest;          /* on load: the parsed manifest; on save: extra keys to merge */
    char checksum[32];        /* "crc32:xxxxxxxx" over ids and arrays (set by load and save) */

    /* private: resources to release */
    void *priv;
} tide_dataset;

/* Load a dataset directory; arrays are memory-mapped read-only. Every array's dtype and length
 * is checked against the manifest and the CSR invariants (monotone indptr, indices in range). */
tide_status tide_dataset_load(const char *dir, tide_dataset *ds);

/* Write `ds` as a dataset directory atomically. The item-major copy is computed if absent.
 * Keys of ds->manifest (if set) are merged into the written manifest. Sets ds->checksum. */
tide_status tide_dataset_save(const char *dir, tide_dataset *ds);

/* Compute the item-major copy from the user-major CSR (allocates; released by _free). */
tide_status tide_dataset_build_item_major(tide_dataset *ds);

/* Checksum over ids and interaction arrays: identical datasets give identical strings. */
void tide_dataset_checksum(const tide_dataset *ds, char out[32]);

/* Number of items that have at least one interaction. */
int64_t tide_dataset_items_with_interactions(const tide_dataset *ds);

/* Release everything the struct owns or maps. Also safe on a zeroed struct. Arrays that the
 * caller set and owns must be detached (set to NULL) before, unless allocated with malloc and
 * handed over with tide_dataset_adopt(). */
void tide_dataset_free(tide_dataset *ds);

/* Hand a malloc'ed pointer to the dataset so tide_dataset_free() releases it. */
tide_status tide_dataset_adopt(tide_dataset *ds, void *p);

/* Find a dense index by original id (linear dictionary built on first call); -1 if absent. */
int64_t tide_dataset_user_index(tide_dataset *ds, const char *id);
int64_t tide_dataset_item_index(tide_dataset *ds, const char *id);

#ifdef __cplusplus
}
#endif
#endif
