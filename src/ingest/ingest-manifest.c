/* ingest-manifest.c — the provenance tide-ingest adds to a dataset's manifest.json: the command
 * line, the column mapping, every source (path, role, format, raw size and CRC-32, rows read and
 * skipped), the parameters, and what aggregation, k-core and text-event matching removed. With it
 * a dataset says exactly how it was made and from which bytes. (tide_dataset_save adds the
 * counts, time range, event names, text fields and checksum itself.)
 */
#include "ingest-impl.h"

#include <cjson/cJSON.h>
#include <stdio.h>

static void add_str_or_null(cJSON *o, const char *key, const char *v) {
    if (v) cJSON_AddStringToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

cJSON *ingest_manifest(const ingest_state *s, const tide_ingest_stats *st) {
    const tide_ingest_params *p = s->p;
    cJSON *m = cJSON_CreateObject();
    if (!m) return NULL;
    cJSON *prod = cJSON_AddObjectToObject(m, "producer");
    cJSON_AddStringToObject(prod, "program", "tide-ingest");
    cJSON_AddStringToObject(prod, "version", tide_version());
    cJSON *cmd = cJSON_AddArrayToObject(m, "command");
    for (int i = 0; i < p->argc && p->argv; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(p->argv[i]));

    cJSON *cols = cJSON_AddObjectToObject(m, "columns");
    cJSON_AddStringToObject(cols, "user", p->user_col);
    cJSON_AddStringToObject(cols, "item", p->item_col);
    cJSON_AddStringToObject(cols, "time", p->time_col);
    add_str_or_null(cols, "weight", p->weight_col);
    add_str_or_null(cols, "event", p->event_col);
    if (p->items_path) {
        cJSON *it = cJSON_AddObjectToObject(cols, "items");
        cJSON_AddStringToObject(it, "id", p->item_id_col ? p->item_id_col : p->item_col);
        cJSON *tx = cJSON_AddArrayToObject(it, "text");
        for (int k = 0; k < s->n_fields; k++) cJSON_AddItemToArray(tx, cJSON_CreateString(s->fields[k]));
    }
    if (p->text_events_path) {
        cJSON *te = cJSON_AddObjectToObject(cols, "text_events");
        cJSON_AddStringToObject(te, "user", p->text_user_col ? p->text_user_col : p->user_col);
        add_str_or_null(te, "item", s->text_item_found ? (p->text_item_col ? p->text_item_col : p->item_col) : NULL);
        cJSON_AddStringToObject(te, "time", p->text_time_col ? p->text_time_col : p->time_col);
        cJSON_AddStringToObject(te, "text", p->text_col ? p->text_col : "text");
    }

    cJSON *srcs = cJSON_AddArrayToObject(m, "sources");
    for (int k = 0; k < s->n_sources; k++) {
        const ingest_source *x = &s->sources[k];
        cJSON *o = cJSON_CreateObject();
        char crc[16];
        snprintf(crc, sizeof crc, "%08x", x->crc);
        cJSON_AddStringToObject(o, "path", x->path);
        cJSON_AddStringToObject(o, "role", x->role);
        cJSON_AddStringToObject(o, "format", x->format ? x->format : "?");
        cJSON_AddBoolToObject(o, "gzip", x->gzip);
        cJSON_AddNumberToObject(o, "bytes", (double)x->bytes);
        cJSON_AddStringToObject(o, "crc32", crc);
        cJSON_AddNumberToObject(o, "rows", (double)x->rows);
        cJSON_AddNumberToObject(o, "rows_skipped", (double)x->skipped);
        cJSON_AddItemToArray(srcs, o);
    }

    cJSON *par = cJSON_AddObjectToObject(m, "params");
    cJSON_AddStringToObject(par, "format", tide_table_format_name(p->format));
    if (p->delimiter) {
        char d[2] = {p->delimiter, 0};
        cJSON_AddStringToObject(par, "delimiter", d);
    } else {
        cJSON_AddNullToObject(par, "delimiter");
    }
    cJSON_AddStringToObject(par, "time_format", tide_time_format_name(p->time_format));
    cJSON_AddStringToObject(par, "aggregate", tide_aggregate_name(p->aggregate));
    cJSON *ew = cJSON_AddObjectToObject(par, "event_weights");
    for (int k = 0; s->events_fixed && k < s->n_events; k++) cJSON_AddNumberToObject(ew, s->event_names[k] ? s->event_names[k] : "?", s->event_w[k]);
    cJSON_AddNumberToObject(par, "min_user_events", (double)p->min_user_events);
    cJSON_AddNumberToObject(par, "min_item_events", (double)p->min_item_events);
    cJSON_AddNumberToObject(par, "max_errors", (double)p->max_errors);
    cJSON_AddNumberToObject(par, "max_field_bytes", (double)p->max_field_bytes);

    cJSON_AddNumberToObject(m, "rows_read", (double)st->rows_read);
    cJSON_AddNumberToObject(m, "rows_skipped", (double)st->rows_skipped);
    cJSON_AddNumberToObject(m, "catalog_only_items", (double)st->catalog_only_items);
    cJSON *ag = cJSON_AddObjectToObject(m, "aggregate");
    cJSON_AddStringToObject(ag, "mode", tide_aggregate_name(p->aggregate));
    cJSON_AddNumberToObject(ag, "events_merged", (double)st->merged);
    cJSON *kc = cJSON_AddObjectToObject(m, "kcore");
    cJSON_AddNumberToObject(kc, "min_user_events", (double)p->min_user_events);
    cJSON_AddNumberToObject(kc, "min_item_events", (double)p->min_item_events);
    cJSON_AddNumberToObject(kc, "rounds", (double)st->kcore_rounds);
    cJSON_AddNumberToObject(kc, "users_removed", (double)st->kcore_users_removed);
    cJSON_AddNumberToObject(kc, "items_removed", (double)st->kcore_items_removed);
    cJSON_AddNumberToObject(kc, "interactions_removed", (double)st->kcore_interactions_removed);
    cJSON_AddNumberToObject(kc, "text_events_removed", (double)st->kcore_text_events_removed);
    cJSON *td = cJSON_AddObjectToObject(m, "text_events_dropped");
    cJSON_AddNumberToObject(td, "unknown_user", (double)st->text_unknown_user);
    cJSON_AddNumberToObject(td, "unknown_item", (double)st->text_unknown_item);
    cJSON_AddNumberToObject(td, "empty_text", (double)st->text_empty);
    cJSON_AddNumberToObject(td, "kcore", (double)st->kcore_text_events_removed);
    return m;
}
