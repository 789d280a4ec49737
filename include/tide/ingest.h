/* tide/ingest.h — turn interaction logs, an item catalog and user text events into a dataset.
 *
 * Inputs (each CSV, TSV or JSON lines, plain or gzip, a path or "-" for stdin):
 *  - interaction logs: one event per row, columns chosen by name (user, item, time, and optionally
 *    weight and event type);
 *  - an item catalog (optional): item id plus text columns (title, genres, ...). Items that only
 *    the catalog names still get an index, after every item seen in the interactions: they are
 *    the cold-start items;
 *  - text events (optional): user-written text (tags, reviews, queries) with user, time and an
 *    optional item.
 *
 * Output (tide_dataset_save): ids in order of first appearance; each user's interactions and text
 * events sorted by (time, input order); provenance in the manifest. Duplicate (user, item) events
 * are all kept unless an aggregate mode merges them. k-core filtering is applied last.
 *
 * Bad rows (file:line: reason) are logged as warnings and skipped while there are at most
 * max_errors of them; one more fails the run with TIDE_ERR_DATA. A failed run writes nothing.
 */
#ifndef TIDE_INGEST_H
#define TIDE_INGEST_H

#include "tide/core.h"
#include "tide/dataset.h"
#include "tide/reader.h"
#include "tide/timeparse.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TIDE_AGGREGATE_NONE = 0,  /* keep every event */
    TIDE_AGGREGATE_SUM,       /* one entry per (user, item): weights summed */
    TIDE_AGGREGATE_MAX,       /* ... the largest weight */
    TIDE_AGGREGATE_LAST,      /* ... the weight of the latest event */
    TIDE_AGGREGATE_COUNT      /* ... the number of events */
} tide_aggregate;

/* "none", "sum", "max", "last", "count" ↔ enum; -1 for an unknown name. */
int tide_aggregate_parse(const char *name, tide_aggregate *out);
const char *tide_aggregate_name(tide_aggregate a);

typedef struct tide_ingest_params {
    const char *const *inputs;   /* interaction files, read in order */
    int n_inputs;

    tide_table_format format;    /* for every input; AUTO detects each file */
    char delimiter;              /* 0 = the format's */
    size_t max_field_bytes;      /* default 1 MiB */
    tide_time_format time_format;

    const char *user_col, *item_col, *time_col;  /* required */
    const char *weight_col;      /* NULL: weight 1 */
    const char *event_col;       /* NULL: no event types */
    const char *event_weights;   /* "view=1,cart=3": event name → weight multiplier; events not
                                    listed are bad rows. NULL: names in order of appearance, weight 1 */
    tide_aggregate aggregate;

    const char *items_path;      /* item catalog, or NULL */
    const char *item_id_col;     /* default: item_col */
    const char *const *item_text_cols;  /* NULL/0: every CSV/TSV column except the id */
    int n_item_text_cols;

    const char *text_events_path;  /* or NULL */
    const char *text_col;          /* default "text" */
    const char *text_user_col, *text_item_col, *text_time_col;  /* default: user/item/time_col;
                                    the item column may be absent unless set explicitly */

    int64_t min_user_events, min_item_events;  /* k-core thresholds; 0 or 1 = off */
    int64_t max_errors;          /* bad rows skipped before the run fails (default 0) */

    int argc;                    /* the command line, recorded in the manifest */
    char *const *argv;
} tide_ingest_params;

typedef struct tide_ingest_stats {
    int64_t rows_read, rows_skipped;      /* data rows over all inputs; bad rows skipped */
    int64_t users, items, items_with_interactions, interactions, text_events;
    int64_t catalog_only_items;           /* items named only by the catalog */
    int64_t merged;                       /* events folded into another by aggregation */
    int64_t text_unknown_user, text_unknown_item, text_empty;  /* text events dropped */
    int64_t kcore_users_removed, kcore_items_removed, kcore_interactions_removed,
            kcore_text_events_removed, kcore_rounds;
} tide_ingest_stats;

void tide_ingest_params_default(tide_ingest_params *p);
/* NULL if the parameters are usable, else a message naming the option (thread-local buffer). */
const char *tide_ingest_params_check(const tide_ingest_params *p);

/* Read every input and build the dataset in memory (ds is initialised here; release it with
 * tide_dataset_free). ds->manifest holds the provenance keys. When every weight is 1 (no weight
 * column, no aggregation), ds->item_weights and ds->weights are the same array: treat it as
 * read-only. The result does not depend on the thread count. */
tide_status tide_ingest_build(const tide_ingest_params *p, tide_dataset *ds, tide_ingest_stats *stats);

/* Build and write the dataset directory `out_dir` atomically (an existing directory there is
 * replaced only on success). `stats` may be NULL. */
tide_status tide_ingest_run(const tide_ingest_params *p, const char *out_dir, tide_ingest_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
