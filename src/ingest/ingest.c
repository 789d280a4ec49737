/* ingest.c — tide-ingest's library entry points: parameters, the build pipeline, the run.
 *
 * Pipeline (tide_ingest_build):
 *   1. read every interaction file in order (ingest-read.c): dense user/item indices in order of
 *      first appearance, columns in input order;
 *   2. read the catalog: ids it alone names are appended to the items (cold-start items);
 *   3. read text events: users and items must already be known (others are counted and dropped:
 *      a user without interactions has nothing to recommend from);
 *   4. sort interactions by (user, time, input order) (ingest-sort.c) and aggregate repeats if
 *      asked;
 *   5. k-core (kcore.c), if asked. Users and items left without interactions are removed, except
 *      catalog items: they stay, without interactions, like other cold-start items. Text events
 *      of removed users or about removed items are dropped (counted in the manifest);
 *   6. sort text events the same way and assemble the tide_dataset (ids, CSR, item text, text
 *      events, provenance manifest).
 * Every buffer goes to the dataset through tide_dataset_adopt(), so one tide_dataset_free()
 * releases everything, on success and on failure alike.
 */
#define _GNU_SOURCE
#include "ingest-impl.h"
#include "tide/fileio.h"
#include "tide/kcore.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Seconds on a monotonic clock and of process CPU time, for the phase times logged at debug
 * level (-v): on a shared machine the CPU time is the steadier of the two. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int tide_aggregate_parse(const char *name, tide_aggregate *out) {
    static const char *names[] = {"none", "sum", "max", "last", "count"};
    for (int i = 0; i < 5; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (tide_aggregate)i;
            return 0;
        }
    return -1;
}

const char *tide_aggregate_name(tide_aggregate a) {
    static const char *names[] = {"none", "sum", "max", "last", "count"};
    return a >= TIDE_AGGREGATE_NONE && a <= TIDE_AGGREGATE_COUNT ? names[a] : "?";
}

void tide_ingest_params_default(tide_ingest_params *p) {
    memset(p, 0, sizeof *p);
    p->format = TIDE_TABLE_AUTO;
    p->time_format = TIDE_TIME_AUTO;
    p->max_field_bytes = TIDE_READER_DEFAULT_MAX_FIELD;
    p->aggregate = TIDE_AGGREGATE_NONE;
}

const char *tide_ingest_params_check(const tide_ingest_params *p) {
    static _Thread_local char msg[256];
    int stdin_uses = 0;
    if (p->n_inputs < 1 || !p->inputs) return "no input file given";
    for (int i = 0; i < p->n_inputs; i++) {
        if (!p->inputs[i] || !p->inputs[i][0]) return "an input path is empty";
        stdin_uses += strcmp(p->inputs[i], "-") == 0;
    }
    if (!p->user_col || !*p->user_col) return "--user-col is required";
    if (!p->item_col || !*p->item_col) return "--item-col is required";
    if (!p->time_col || !*p->time_col) return "--time-col is required";
    if (p->items_path) stdin_uses += strcmp(p->items_path, "-") == 0;
    if (p->text_events_path) stdin_uses += strcmp(p->text_events_path, "-") == 0;
    if (stdin_uses > 1) return "standard input ('-') can be read only once";
    if (p->delimiter == '"' || p->delimiter == '\n' || p->delimiter == '\r')
        return "--delimiter cannot be a quote, CR or LF";
    if (p->format < TIDE_TABLE_AUTO || p->format > TIDE_TABLE_JSONL) return "unknown --format";
    if (p->time_format < TIDE_TIME_AUTO || p->time_format > TIDE_TIME_ISO8601) return "unknown --time-format";
    if (p->aggregate < TIDE_AGGREGATE_NONE || p->aggregate > TIDE_AGGREGATE_COUNT) return "unknown --aggregate";
    if (p->max_errors < 0) return "--max-errors must be >= 0";
    if (p->min_user_events < 0 || p->min_item_events < 0) return "--min-user-events and --min-item-events must be >= 0";
    if (p->event_weights && !p->event_col) return "--event-weight needs --event-col";
    if (!p->items_path && (p->item_id_col || p->n_item_text_cols))
        return "--item-id-col and --item-text-cols need --items";
    if (!p->text_events_path && (p->text_col || p->text_user_col || p->text_item_col || p->text_time_col))
        return "--text-col and --text-*-col need --text-events";
    for (int i = 0; i < p->n_item_text_cols; i++)
        if (!p->item_text_cols[i] || !p->item_text_cols[i][0]) return "--item-text-cols has an empty name";
    if (p->n_item_text_cols > 64) {
        snprintf(msg, sizeof msg, "--item-text-cols: at most 64 fields (got %d)", p->n_item_text_cols);
        return msg;
    }
    return NULL;
}

/* Copy n interned keys (selected by keep/NULL = all) into one adopted block. */
static tide_status copy_ids(tide_dataset *ds, const tide_strmap *m, const uint8_t *keep, int64_t n_out, char ***out) {
    size_t total = 0;
    for (int64_t k = 0; k < m->count; k++)
        if (!keep || keep[k]) total += m->lens[k] + 1;
    char **ids = malloc(((size_t)n_out + 1) * sizeof *ids);
    char *block = malloc(total + 1);
    if (!ids || !block) {
        free(ids);
        free(block);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    tide_status st;
    if ((st = tide_dataset_adopt(ds, ids))) {
        free(block);
        return st;
    }
    if ((st = tide_dataset_adopt(ds, block))) return st;
    char *w = block;
    int64_t j = 0;
    for (int64_t k = 0; k < m->count; k++) {
        if (keep && !keep[k]) continue;
        memcpy(w, m->keys[k], m->lens[k] + 1);
        ids[j++] = w;
        w += m->lens[k] + 1;
    }
    *out = ids;
    return TIDE_OK;
}

static tide_status adopt(tide_dataset *ds, void *p) { return p ? tide_dataset_adopt(ds, p) : TIDE_OK; }

static uint64_t input_size(const char *path) {
    struct stat sb;
    if (strcmp(path, "-") == 0 || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return 0;
    return (uint64_t)sb.st_size;
}

/* A column that is not a time parses as one all too easily (a rating 1..5 is 1..5 seconds after
 * 1970): warn when every time is before 1990 or after the present, or when the times take only
 * a handful of values within seconds of each other. Data that really is like that can ignore it. */
static void warn_implausible_times(const char *col, const int64_t *t, int64_t n) {
    if (n <= 0) return;
    int64_t lo = t[0], hi = t[0];
    for (int64_t k = 1; k < n; k++) {
        if (t[k] < lo) lo = t[k];
        if (t[k] > hi) hi = t[k];
    }
    const int64_t y1990 = 631152000, now = (int64_t)time(NULL);
    char a[32], b[32];
    struct tm tm;
    time_t x = (time_t)lo;
    strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", gmtime_r(&x, &tm));
    x = (time_t)hi;
    strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", gmtime_r(&x, &tm));
    if (hi < y1990)
        tide_log(TIDE_LOG_WARN, "--time-col %s: every time is before 1990 (%s .. %s UTC, %lld .. %lld): is it a time column?",
                 col, a, b, (long long)lo, (long long)hi);
    else if (lo > now + 86400)
        tide_log(TIDE_LOG_WARN, "--time-col %s: every time is in the future (%s .. %s UTC): is it a time column, in seconds?",
                 col, a, b);
    if (n >= 100 && hi - lo <= 100) {
        int64_t distinct = 0;
        uint8_t seen[101] = {0};
        for (int64_t k = 0; k < n; k++)
            if (!seen[t[k] - lo]) {
                seen[t[k] - lo] = 1;
                distinct++;
            }
        if (distinct <= 10)
            tide_log(TIDE_LOG_WARN, "--time-col %s: %lld events take only %lld distinct times within %lld s: it looks "
                     "like a small integer range, not a time", col, (long long)n, (long long)distinct, (long long)(hi - lo));
    }
}

tide_status tide_ingest_build(const tide_ingest_params *p, tide_dataset *ds, tide_ingest_stats *stats_out) {
    tide_ingest_stats stats;
    ingest_state s;
    tide_status st = TIDE_OK;
    int64_t *indptr = NULL, *tindptr = NULL;
    uint8_t *user_keep = NULL, *item_keep = NULL;
    int64_t *new_u = NULL, *new_i = NULL;
    uint8_t *item_out = NULL; /* kept in items.txt: k-core alive or in the catalog */
    ingest_spare spare = {0}; /* the sort's spent buffers, reused by the item-major copy */
    memset(ds, 0, sizeof *ds);
    memset(&stats, 0, sizeof stats);
    memset(&s, 0, sizeof s);
    const char *why = tide_ingest_params_check(p);
    if (why) return tide_error(TIDE_ERR_USAGE, "%s", why);
    s.p = p;
    s.stats = &stats;
    s.want_w = p->weight_col || p->event_weights;
    s.want_ev = p->event_col != NULL;
    s.maps_ready = 1; /* zeroed maps free cleanly: a failure below frees the ones made */
    if ((st = ingest_ids_init(&s.users, 1024)) || (st = ingest_ids_init(&s.items, 1024)) ||
        (st = tide_strmap_init(&s.events, 16)))
        goto done;
    if ((st = ingest_parse_event_weights(&s))) goto done;

    /* 1-3: read */
    double t0 = now_s(), t1, c0 = cpu_s(), c1;
    uint64_t total = 0;
    for (int i = 0; i < p->n_inputs; i++) total += input_size(p->inputs[i]);
    tide_progress_begin(&s.prog, "reading", total);
    for (int i = 0; i < p->n_inputs; i++)
        if ((st = ingest_read_interactions(&s, p->inputs[i]))) break;
    tide_progress_end(&s.prog);
    if (st) goto done;
    if (s.n == 0) {
        st = tide_error(TIDE_ERR_DATA, "no interactions were read (%lld rows, %lld skipped)", (long long)s.rows_read,
                        (long long)s.rows_bad);
        goto done;
    }
    s.n_interaction_items = s.items.map.count;
    if (p->items_path && (st = ingest_read_catalog(&s))) goto done;
    if (p->text_events_path && (st = ingest_read_text_events(&s))) goto done;
    int64_t n_users = s.users.map.count, n_items = s.items.map.count;
    t1 = now_s();
    c1 = cpu_s();
    tide_log(TIDE_LOG_DEBUG, "read the inputs in %.3f s (CPU %.3f s)", t1 - t0, c1 - c0);
    t0 = t1;
    c0 = c1;

    /* 4: sort, aggregate */
    {
        /* Without a weight column every weight is 1: the column is made after the sort, which then
         * moves 4 bytes less per row. */
        ingest_col cols[3];
        int nc = 0;
        cols[nc++] = (ingest_col){(void **)&s.it, 4};
        if (s.want_w) cols[nc++] = (ingest_col){(void **)&s.w, 4};
        if (s.want_ev) cols[nc++] = (ingest_col){(void **)&s.ev, 1};
        if ((st = ingest_sort_by_user_time(s.n, n_users, &s.u, &s.t, cols, nc, &indptr, &spare))) goto done;
    }
    if (!s.want_w) {
        if (!(s.w = malloc((size_t)s.n * sizeof *s.w + 1))) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto done;
        }
        ingest_hugepages(s.w, (size_t)s.n * sizeof *s.w);
        float *w = s.w;
        int64_t n = s.n;
#pragma omp parallel for schedule(static) if (n > (1 << 20))
        for (int64_t k = 0; k < n; k++) w[k] = 1.0f; /* fresh pages: the kernel zeroes them on both cores */
    }
    if ((st = ingest_aggregate(p->aggregate, n_users, n_items, indptr, s.it, s.t, s.w, s.ev, &stats.merged))) goto done;
    int64_t nnz = indptr[n_users];
    t1 = now_s();
    c1 = cpu_s();
    tide_log(TIDE_LOG_DEBUG, "sorted by (user, time) in %.3f s (CPU %.3f s)", t1 - t0, c1 - c0);
    t0 = t1;
    c0 = c1;

    /* 5: k-core, then drop users/items without interactions (catalog items stay) */
    user_keep = malloc((size_t)n_users + 1);
    item_keep = malloc((size_t)n_items + 1);
    new_u = malloc(((size_t)n_users + 1) * sizeof *new_u);
    new_i = malloc(((size_t)n_items + 1) * sizeof *new_i);
    if (!user_keep || !item_keep || !new_u || !new_i) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    tide_kcore_stats ks;
    if (p->min_user_events > 1 || p->min_item_events > 1) {
        if ((st = tide_kcore_filter(n_users, n_items, indptr, s.it, p->min_user_events, p->min_item_events, user_keep,
                                    item_keep, &ks)))
            goto done;
    } else { /* off: every user and every item seen in the interactions has an event */
        memset(&ks, 0, sizeof ks);
        memset(user_keep, 1, (size_t)n_users);
        for (int64_t i = 0; i < n_items; i++) item_keep[i] = i < s.n_interaction_items;
        ks.interactions_after = nnz;
    }
    stats.kcore_rounds = ks.rounds;
    stats.kcore_users_removed = ks.users_before - ks.users_after;
    stats.kcore_items_removed = ks.items_before - ks.items_after;
    stats.kcore_interactions_removed = ks.interactions_before - ks.interactions_after;
    int64_t nu = 0, ni = 0;
    for (int64_t x = 0; x < n_users; x++) new_u[x] = user_keep[x] ? nu++ : -1;
    if (!(item_out = malloc((size_t)n_items + 1))) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n_items; i++) {
        int cat = i < s.cat_cap && s.in_catalog[i];
        item_out[i] = item_keep[i] || cat;
        new_i[i] = item_out[i] ? ni++ : -1;
        if (cat && i >= s.n_interaction_items) stats.catalog_only_items++;
    }
    if (nu != n_users || ni != n_items || ks.interactions_after != nnz) {
        int64_t out = 0, w = 0;
        for (int64_t x = 0; x < n_users; x++) {
            int64_t a = indptr[x], b = indptr[x + 1];
            if (!user_keep[x]) continue;
            indptr[w++] = out;
            for (int64_t k = a; k < b; k++) {
                int32_t i = s.it[k];
                if (!item_keep[i]) continue;
                s.it[out] = (int32_t)new_i[i];
                s.t[out] = s.t[k];
                s.w[out] = s.w[k];
                if (s.ev) s.ev[out] = s.ev[k];
                out++;
            }
        }
        indptr[w] = out;
        nnz = out;
        if (nnz == 0) {
            st = tide_error(TIDE_ERR_DATA, "k-core filtering (--min-user-events %lld, --min-item-events %lld) removed every interaction",
                            (long long)p->min_user_events, (long long)p->min_item_events);
            goto done;
        }
    }

    /* 6: text events: remap, drop what k-core removed, sort */
    {
        int64_t w = 0;
        for (int64_t k = 0; k < s.nt; k++) {
            int64_t x = new_u[s.tu[k]], i = s.ti[k] >= 0 ? new_i[s.ti[k]] : -1;
            if (x < 0 || (s.ti[k] >= 0 && i < 0)) {
                stats.kcore_text_events_removed++;
                continue;
            }
            s.tu[w] = (int32_t)x;
            s.ti[w] = (int32_t)i;
            s.tt[w] = s.tt[k];
            s.toff[w] = s.toff[k];
            w++;
        }
        s.nt = w;
        ingest_col cols[2] = {{(void **)&s.ti, 4}, {(void **)&s.toff, 8}};
        if ((st = ingest_sort_by_user_time(s.nt, nu, &s.tu, &s.tt, cols, 2, &tindptr, NULL))) goto done;
    }

    /* assemble the dataset; from here on every buffer belongs to ds */
    ds->n_users = nu;
    ds->n_items = ni;
    ds->nnz = nnz;
    if ((st = copy_ids(ds, &s.users.map, user_keep, nu, &ds->user_ids)) || (st = copy_ids(ds, &s.items.map, item_out, ni, &ds->item_ids)))
        goto done;
    /* The dictionaries are no longer needed: release them before the item-major copy peaks. */
    ingest_ids_free(&s.users);
    ingest_ids_free(&s.items);
    ds->indptr = indptr;
    ds->items = s.it;
    ds->times = s.t;
    ds->weights = s.w;
    ds->events = s.ev;
    indptr = NULL;
    s.it = NULL;
    s.t = NULL;
    s.w = NULL;
    s.ev = NULL;
    if ((st = adopt(ds, ds->indptr)) || (st = adopt(ds, ds->items)) || (st = adopt(ds, ds->times)) ||
        (st = adopt(ds, ds->weights)) || (st = adopt(ds, ds->events)))
        goto done;
    {
        /* Without a weight column and without aggregation every weight is 1, in either order:
         * the item-major weights are the user-major array itself (one array fewer to build). */
        int ones = !s.want_w && p->aggregate == TIDE_AGGREGATE_NONE;
        if ((st = ingest_item_major(nu, ni, ds->indptr, ds->items, ds->times, ones ? NULL : ds->weights,
                                    &ds->item_indptr, &ds->item_users, &ds->item_weights, &ds->item_times, &spare)) ||
            (st = adopt(ds, ds->item_indptr)) || (st = adopt(ds, ds->item_users)) ||
            (st = adopt(ds, ds->item_weights)) || (st = adopt(ds, ds->item_times)))
            goto done;
        if (ones) ds->item_weights = ds->weights; /* adopted once, as weights */
    }
    t1 = now_s();
    tide_log(TIDE_LOG_DEBUG, "filtered and built the item-major copy in %.3f s (CPU %.3f s)", t1 - t0, cpu_s() - c0);
    if (s.n_events) {
        ds->event_names = calloc((size_t)s.n_events, sizeof *ds->event_names);
        if ((st = ds->event_names ? adopt(ds, ds->event_names) : tide_error(TIDE_ERR_NOMEM, "out of memory"))) goto done;
        for (int k = 0; k < s.n_events; k++) {
            if (!(ds->event_names[k] = strdup(s.event_names[k]))) {
                st = tide_error(TIDE_ERR_NOMEM, "out of memory");
                goto done;
            }
            if ((st = adopt(ds, ds->event_names[k]))) goto done;
        }
        ds->n_event_names = s.n_events;
    }
    if (s.n_fields) {
        ds->text_fields = calloc((size_t)s.n_fields, sizeof *ds->text_fields);
        if ((st = ds->text_fields ? adopt(ds, ds->text_fields) : tide_error(TIDE_ERR_NOMEM, "out of memory"))) goto done;
        for (int k = 0; k < s.n_fields; k++) {
            if (!(ds->text_fields[k] = strdup(s.fields[k]))) {
                st = tide_error(TIDE_ERR_NOMEM, "out of memory");
                goto done;
            }
            if ((st = adopt(ds, ds->text_fields[k]))) goto done;
        }
        ds->n_text_fields = s.n_fields;
        ds->item_text = calloc((size_t)ni * (size_t)ds->n_text_fields + 1, sizeof *ds->item_text);
        if ((st = ds->item_text ? adopt(ds, ds->item_text) : tide_error(TIDE_ERR_NOMEM, "out of memory"))) goto done;
        char *arena = s.arena;
        s.arena = NULL;
        if ((st = adopt(ds, arena))) goto done;
        int nf = ds->n_text_fields;
        for (int64_t i = 0; i < n_items && i < s.cat_cap; i++) {
            if (new_i[i] < 0) continue;
            for (int k = 0; k < nf; k++) {
                int64_t off = s.text_off[i * nf + k];
                if (off >= 0) ds->item_text[new_i[i] * nf + k] = arena + off;
            }
        }
    }
    ds->n_text = s.nt;
    ds->text_indptr = tindptr;
    ds->text_items = s.ti;
    ds->text_times = s.tt;
    tindptr = NULL;
    s.ti = NULL;
    s.tt = NULL;
    if ((st = adopt(ds, ds->text_indptr)) || (st = adopt(ds, ds->text_items)) || (st = adopt(ds, ds->text_times)))
        goto done;
    ds->texts = calloc((size_t)s.nt + 1, sizeof *ds->texts);
    if ((st = ds->texts ? adopt(ds, ds->texts) : tide_error(TIDE_ERR_NOMEM, "out of memory"))) goto done;
    {
        char *arena = s.tarena;
        s.tarena = NULL;
        if ((st = adopt(ds, arena))) goto done;
        for (int64_t k = 0; k < s.nt; k++) ds->texts[k] = arena + s.toff[k];
    }

    stats.rows_read = s.rows_read;
    stats.rows_skipped = s.rows_bad;
    stats.users = nu;
    stats.items = ni;
    stats.interactions = nnz;
    stats.text_events = s.nt;
    stats.items_with_interactions = tide_dataset_items_with_interactions(ds);
    if (!(ds->manifest = ingest_manifest(&s, &stats))) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory building the manifest");
        goto done;
    }
    tide_log(TIDE_LOG_INFO,
             "%lld rows read, %lld skipped: %lld users, %lld items (%lld with interactions), %lld interactions, "
             "%lld text events",
             (long long)stats.rows_read, (long long)stats.rows_skipped, (long long)nu, (long long)ni,
             (long long)stats.items_with_interactions, (long long)nnz, (long long)s.nt);
    warn_implausible_times(p->time_col, ds->times, nnz);
    if (stats.text_unknown_user || stats.text_unknown_item || stats.kcore_text_events_removed)
        tide_log(TIDE_LOG_INFO, "text events dropped: %lld of unknown users, %lld about unknown items, %lld by k-core",
                 (long long)stats.text_unknown_user, (long long)stats.text_unknown_item,
                 (long long)stats.kcore_text_events_removed);
done:
    ingest_spare_free(&spare);
    free(item_out);
    free(indptr);
    free(tindptr);
    free(user_keep);
    free(item_keep);
    free(new_u);
    free(new_i);
    ingest_state_free(&s);
    if (st) tide_dataset_free(ds);
    if (stats_out) *stats_out = stats;
    return st;
}

tide_status tide_ingest_run(const tide_ingest_params *p, const char *out_dir, tide_ingest_stats *stats) {
    tide_dataset ds;
    if (!out_dir || !*out_dir) return tide_error(TIDE_ERR_USAGE, "no output directory given");
    tide_status st = tide_ingest_build(p, &ds, stats);
    if (st) return st;
    /* Create missing parents of the output (the output itself appears atomically). */
    char *copy = strdup(out_dir);
    if (!copy) {
        tide_dataset_free(&ds);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    char *parent = dirname(copy);
    if (!tide_is_dir(parent)) st = tide_mkdirs(parent);
    free(copy);
    double t0 = now_s(), c0 = cpu_s();
    if (!st) st = tide_dataset_save(out_dir, &ds);
    if (!st) tide_log(TIDE_LOG_DEBUG, "saved the dataset in %.3f s (CPU %.3f s)", now_s() - t0, cpu_s() - c0);
    tide_dataset_free(&ds);
    return st;
}
