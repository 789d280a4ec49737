/* ingest-impl.h — state shared by the files of tide-ingest's library part (internal).
 *
 * ingest-read.c fills the state from the inputs (columns in input order, ids interned),
 * ingest-sort.c orders and merges interactions, ingest-manifest.c writes the provenance and
 * ingest.c runs the steps and assembles the dataset. Columns are plain growable arrays (i32 user
 * and item, i64 time, f32 weight, u8 event: 21 bytes per event) so memory stays close to the
 * output size; no row is ever kept as text.
 */
#ifndef TIDE_DATA_INGEST_IMPL_H
#define TIDE_DATA_INGEST_IMPL_H

#include "tide/ingest.h"
#include "tide/strmap.h"
#include "ingest-ids.h"

typedef struct ingest_source {
    char *path;
    const char *role;      /* "interactions", "items", "text_events" */
    const char *format;    /* "csv", "tsv", "jsonl" */
    int gzip;
    uint64_t bytes;
    uint32_t crc;
    int64_t rows, skipped;
} ingest_source;

typedef struct ingest_state {
    const tide_ingest_params *p;

    /* event types: fixed by --event-weight, or named in order of appearance */
    int n_events, events_fixed;
    char *event_names[256];
    size_t event_len[256];
    float event_w[256];

    ingest_ids users, items;
    tide_strmap events;
    int maps_ready;

    /* interactions, input order; u and it are grown and written by the interning side
     * (ingest-intern.c, ucap rows), the other columns by the parser (cap rows) */
    int64_t n, cap, ucap;
    int64_t row_hint;   /* expected rows of the first input (from its size), for the first allocation */
    int32_t *u, *it;
    int64_t *t;
    float *w;       /* kept only with a weight column or event weights (want_w) */
    uint8_t *ev;    /* kept only with an event column (want_ev) */
    int want_w, want_ev;

    /* item catalog */
    int64_t n_interaction_items;  /* items [0, this) came from the interactions */
    int n_fields;
    char **fields;                /* text field names */
    int64_t cat_cap;              /* rows allocated in in_catalog and text_off */
    uint8_t *in_catalog;          /* [cat_cap] */
    int64_t *text_off;            /* [cat_cap * n_fields] offset into arena, -1 = none */
    char *arena;
    size_t arena_len, arena_cap;

    /* text events, input order */
    int64_t nt, tcap;
    int32_t *tu, *ti;
    int64_t *tt, *toff;
    char *tarena;
    size_t tarena_len, tarena_cap;

    int text_item_found;          /* the text events have an item column */

    ingest_source *sources;
    int n_sources;
    int64_t rows_read, rows_bad, warned;
    tide_ingest_stats *stats;

    tide_progress prog;
    uint64_t prog_base;
} ingest_state;

/* The first capacity of the row columns: the first input's expected rows when its size is known
 * (a small file gets small columns: 64 Ki rows of every column cost fresh pages per small input),
 * else 64 Ki rows; they double from there. */
static inline int64_t ingest_first_cap(const ingest_state *s) {
    if (s->row_hint <= 0) return (int64_t)1 << 16;
    return s->row_hint < 256 ? 256 : s->row_hint;
}

/* Ask for transparent huge pages on a freshly allocated big array (before it is touched): fewer
 * page faults while filling it, and far fewer TLB misses in the random-access phases (id tables,
 * scatter by user and by item). Only the 2 MiB-aligned inside of the block can use them; a
 * no-op for small blocks and where the kernel does not support it. */
void ingest_hugepages(void *p, size_t n);

/* ingest-read.c */
tide_status ingest_parse_event_weights(ingest_state *s);
tide_status ingest_read_interactions(ingest_state *s, const char *path);
tide_status ingest_read_catalog(ingest_state *s);
tide_status ingest_read_text_events(ingest_state *s);
void ingest_state_free(ingest_state *s);

/* ingest-intern.c: interning interaction ids in input order, on a thread of its own when the
 * library runs with more than one thread. The parser adds each good row's ids (row index
 * ingest_interner_row(), starting at s->n); finish(ok = 1) interns what is left, joins the thread
 * and sets s->n; finish(ok = 0) only stops and frees. */
typedef struct ingest_interner ingest_interner;
tide_status ingest_interner_start(ingest_state *s, const char *path, ingest_interner **in);
int64_t ingest_interner_row(const ingest_interner *in);
tide_status ingest_interner_add(ingest_interner *in, const char *user, size_t ulen, int same_user, const char *item,
                                size_t ilen);
tide_status ingest_interner_finish(ingest_interner *in, int ok);

/* ingest-sort.c */
typedef struct ingest_col {
    void **data;     /* address of the column pointer: replaced by the sorted copy */
    size_t elem;     /* 1, 4 or 8 bytes */
} ingest_col;
/* Buffers a sort has finished with, kept for the item-major copy to reuse (NULL = none). */
typedef struct ingest_spare {
    void *packed, *dest;
    size_t packed_bytes, dest_bytes;
} ingest_spare;
void ingest_spare_free(ingest_spare *sp);
/* Counting sort of n rows by user (users[] is consumed), then a stable sort by time within each
 * user; times and every extra column are permuted alike, in their own arrays. Writes a malloc'ed
 * indptr[n_users + 1]. With `spare`, the spent scratch buffers (the users' included) go there,
 * else they are freed. */
tide_status ingest_sort_by_user_time(int64_t n, int64_t n_users, int32_t **users, int64_t **times,
                                     ingest_col *cols, int n_cols, int64_t **indptr, ingest_spare *spare);
/* The item-major copy (tide_dataset_build_item_major's layout) with a packed-record scatter;
 * takes what fits from `spare` (which is emptied, also on failure; NULL = allocate all).
 * weights = NULL means every weight is 1: *iw is then NULL (the caller shares its all-ones
 * user-major weights, which are the same array of ones). */
tide_status ingest_item_major(int64_t n_users, int64_t n_items, const int64_t *indptr, const int32_t *items,
                              const int64_t *times, const float *weights, int64_t **ip, int32_t **iu, float **iw,
                              int64_t **it, ingest_spare *spare);
/* Merge repeated (user, item) events of a sorted CSR in place; see tide_aggregate. Returns the
 * new nnz through indptr[n_users]. */
tide_status ingest_aggregate(tide_aggregate mode, int64_t n_users, int64_t n_items, int64_t *indptr, int32_t *items,
                             int64_t *times, float *weights, uint8_t *events, int64_t *merged);

/* ingest-manifest.c */
typedef struct cJSON cJSON;
/* The provenance keys merged into the dataset manifest (NULL when out of memory). */
cJSON *ingest_manifest(const ingest_state *s, const tide_ingest_stats *st);

#endif
