/* store.c — per-user state in memory: the batch dataset (memory-mapped, never modified) plus,
 * per user, the events applied online since. A user's history is read as batch events followed
 * by online events merged stably by time, which is the order tide-ingest produces when the log
 * is ingested after the original inputs — so online and batch score the same history.
 *
 * Memory: a pointer per user slot, plus the online events of users who have some (21 bytes an
 * event); new users' ids live in one string map. One reader-writer lock: writers (event
 * application) are short; readers copy a user's history out and score without the lock. */
#define _GNU_SOURCE
#include "tide/serve.h"

#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"

int tide_serve_shard_of(const char *id, int n) {
    if (n <= 1) return 0;
    /* CRC-32 (zlib's, HAProxy's `crc32` converter) of the id: a proxy computes the same. */
    return (int)(tide_crc32(0, id, strlen(id)) % (uint32_t)n);
}

tide_status tide_serve_store_init(tide_serve_store *s, tide_dataset *ds, const tide_serve_store_opts *o) {
    memset(s, 0, sizeof *s);
    s->ds = ds;
    if (o) s->opts = *o;
    if (s->opts.shard_n < 1) s->opts.shard_n = 1;
    pthread_rwlock_init(&s->lock, NULL);
    tide_status st = tide_strmap_init(&s->new_users, 1024);
    if (st) return st;
    s->cap_slots = ds->n_users + 1024;
    s->n_slots = ds->n_users;
    s->online = calloc((size_t)s->cap_slots, sizeof *s->online);
    s->item_counts = calloc((size_t)ds->n_items + 1, sizeof *s->item_counts);
    if (!s->online || !s->item_counts) return tide_error(TIDE_ERR_NOMEM, "out of memory for %lld users", (long long)ds->n_users);
    for (int64_t e = 0; e < ds->nnz; e++) s->item_counts[ds->items[e]] += 1.0f;
    s->latest = INT64_MIN;
    for (int64_t e = 0; e < ds->nnz; e++)
        if (ds->times[e] > s->latest) s->latest = ds->times[e];
    /* Build the id dictionaries now: their lazy construction is not thread-safe. */
    if (ds->n_users) (void)tide_dataset_user_index(ds, ds->user_ids[0]);
    if (ds->n_items) (void)tide_dataset_item_index(ds, ds->item_ids[0]);
    return TIDE_OK;
}

static void online_free(tide_serve_online *o) {
    if (!o) return;
    free(o->items);
    free(o->times);
    free(o->weights);
    free(o->events);
    for (int64_t k = 0; k < o->n_text; k++) {
        free(o->texts[k].text);
        free(o->texts[k].vec);
    }
    free(o->texts);
    free(o);
}

void tide_serve_store_free(tide_serve_store *s) {
    if (s->online)
        for (int64_t i = 0; i < s->n_slots; i++) online_free(s->online[i]);
    free(s->online);
    free(s->item_counts);
    tide_strmap_free(&s->new_users);
    pthread_rwlock_destroy(&s->lock);
    memset(s, 0, sizeof *s);
}

void tide_serve_store_text_space(tide_serve_store *s, const float *batch_vecs, int64_t dim) {
    s->batch_text_vecs = batch_vecs;
    s->text_dim = dim;
}

void tide_serve_store_wrlock(tide_serve_store *s) { pthread_rwlock_wrlock(&s->lock); }
void tide_serve_store_rdlock(tide_serve_store *s) { pthread_rwlock_rdlock(&s->lock); }
void tide_serve_store_unlock(tide_serve_store *s) { pthread_rwlock_unlock(&s->lock); }

int64_t tide_serve_store_user(tide_serve_store *s, const char *id) {
    int64_t u = tide_dataset_user_index(s->ds, id);
    if (u >= 0) return u;
    /* New users' map grows under the write lock (tide_serve_store_apply): read it under the
     * read lock. (The batch dictionary never changes after init.) */
    tide_serve_store_rdlock(s);
    u = tide_strmap_find(&s->new_users, id, strlen(id));
    tide_serve_store_unlock(s);
    return u >= 0 ? s->ds->n_users + u : -1;
}

const char *tide_serve_store_user_id(const tide_serve_store *s, int64_t slot) {
    if (slot < 0 || slot >= s->n_slots) return NULL;
    return slot < s->ds->n_users ? s->ds->user_ids[slot] : s->new_users.keys[slot - s->ds->n_users];
}

tide_status tide_serve_store_check(tide_serve_store *s, const tide_serve_event *e, int from_log, int32_t *item,
                                   float *weight) {
    if (s->opts.shard_n > 1) {
        int sh = tide_serve_shard_of(e->user, s->opts.shard_n);
        if (sh != s->opts.shard_i)
            return tide_error(TIDE_ERR_DATA, "user '%s' belongs to shard %d/%d, this server is shard %d/%d", e->user, sh,
                              s->opts.shard_n, s->opts.shard_i, s->opts.shard_n);
    }
    *item = -1;
    if (e->item) {
        int64_t it = tide_dataset_item_index(s->ds, e->item);
        /* New items need a catalog entry with text, i.e. an index in the batch dataset: the
         * catalog defines the item universe (and the model's columns). */
        if (it < 0) return tide_error(TIDE_ERR_DATA, "unknown item '%s' (not in the dataset's catalog)", e->item);
        *item = (int32_t)it;
    }
    float w = e->weight;
    if (e->kind == TIDE_SERVE_EV_INTERACTION && !from_log && s->opts.n_event_weights) {
        int found = 0;
        for (int k = 0; k < s->opts.n_event_weights && e->type; k++)
            if (!strcmp(s->opts.event_names[k], e->type)) {
                w = (float)(s->opts.event_weights[k] * (e->has_weight ? e->weight : 1.0));
                found = 1;
            }
        if (!found && s->opts.require_known_type)
            return tide_error(TIDE_ERR_DATA, "event type '%s' is not one of --event-weight's", e->type ? e->type : "(none)");
    }
    *weight = w;
    return TIDE_OK;
}

static int grow(void **p, int64_t *cap, int64_t need, size_t elem) {
    if (need <= *cap) return 0;
    int64_t nc = *cap ? *cap : 8;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, (size_t)nc * elem);
    if (!q) return -1;
    *p = q;
    return 0;
}

tide_status tide_serve_store_apply(tide_serve_store *s, const tide_serve_event *e, int32_t item, float weight) {
    int64_t slot = tide_dataset_user_index(s->ds, e->user);
    if (slot < 0) {
        int64_t idx;
        int added = 0;
        tide_status st = tide_strmap_intern(&s->new_users, e->user, strlen(e->user), &idx, &added);
        if (st) return st;
        slot = s->ds->n_users + idx;
        if (slot >= s->cap_slots) {
            int64_t nc = s->cap_slots * 2;
            tide_serve_online **no = realloc(s->online, (size_t)nc * sizeof *no);
            if (!no) return tide_error(TIDE_ERR_NOMEM, "out of memory for new users");
            memset(no + s->cap_slots, 0, (size_t)(nc - s->cap_slots) * sizeof *no);
            s->online = no;
            s->cap_slots = nc;
        }
        if (slot >= s->n_slots) s->n_slots = slot + 1;
    }
    tide_serve_online *o = s->online[slot];
    if (!o) {
        o = calloc(1, sizeof *o);
        if (!o) return TIDE_ERR_NOMEM;
        s->online[slot] = o;
        s->users_touched++;
    }
    if (e->kind == TIDE_SERVE_EV_INTERACTION) {
        int64_t c = o->cap;
        if (grow((void **)&o->items, &c, o->n + 1, sizeof *o->items)) return TIDE_ERR_NOMEM;
        c = o->cap;
        if (grow((void **)&o->times, &c, o->n + 1, sizeof *o->times)) return TIDE_ERR_NOMEM;
        c = o->cap;
        if (grow((void **)&o->weights, &c, o->n + 1, sizeof *o->weights)) return TIDE_ERR_NOMEM;
        c = o->cap;
        if (grow((void **)&o->events, &c, o->n + 1, sizeof *o->events)) return TIDE_ERR_NOMEM;
        o->cap = c;
        o->items[o->n] = item;
        o->times[o->n] = e->time;
        o->weights[o->n] = weight;
        o->events[o->n] = 0;
        o->n++;
        s->item_counts[item] += 1.0f;
        s->events_applied++;
    } else {
        if (grow((void **)&o->texts, &o->cap_text, o->n_text + 1, sizeof *o->texts)) return TIDE_ERR_NOMEM;
        tide_serve_text *t = &o->texts[o->n_text];
        t->text = strdup(e->text);
        if (!t->text) return TIDE_ERR_NOMEM;
        t->time = e->time;
        t->item = item;
        t->vec = NULL;
        if (s->text_dim > 0 && e->vec) {
            t->vec = malloc((size_t)s->text_dim * sizeof *t->vec);
            if (!t->vec) {
                free(t->text);
                return TIDE_ERR_NOMEM;
            }
            memcpy(t->vec, e->vec, (size_t)s->text_dim * sizeof *t->vec);
        }
        snprintf(t->kind, sizeof t->kind, "%s", e->text_kind);
        o->n_text++;
        s->texts_applied++;
    }
    if (e->time > s->latest) s->latest = e->time;
    return TIDE_OK;
}

void tide_serve_history_free(tide_serve_history *h) {
    free(h->items);
    free(h->times);
    free(h->weights);
    free(h->events);
    for (int64_t k = 0; k < h->n_text; k++) free(h->texts[k].text);
    free(h->texts);
    free(h->text_times);
    free(h->text_vecs);
    memset(h, 0, sizeof *h);
}

tide_status tide_serve_store_history(tide_serve_store *s, int64_t slot, tide_serve_history *h) {
    memset(h, 0, sizeof *h);
    tide_status st = TIDE_OK;
    tide_serve_store_rdlock(s);
    const tide_dataset *ds = s->ds;
    h->slot = slot;
    h->batch_user = slot < ds->n_users ? slot : -1;
    int64_t b0 = 0, b1 = 0;
    if (h->batch_user >= 0) {
        b0 = ds->indptr[slot];
        b1 = ds->indptr[slot + 1];
    }
    const tide_serve_online *o = slot < s->n_slots ? s->online[slot] : NULL;
    int64_t nb = b1 - b0, no = o ? o->n : 0, n = nb + no;
    h->items = malloc((size_t)n * sizeof *h->items + 1);
    h->times = malloc((size_t)n * sizeof *h->times + 1);
    h->weights = malloc((size_t)n * sizeof *h->weights + 1);
    h->events = malloc((size_t)n + 1);
    int64_t ntext_b = h->batch_user >= 0 && ds->text_indptr ? ds->text_indptr[slot + 1] - ds->text_indptr[slot] : 0;
    int64_t ntext = ntext_b + (o ? o->n_text : 0);
    h->texts = calloc((size_t)ntext + 1, sizeof *h->texts);
    h->text_times = malloc((size_t)ntext * sizeof *h->text_times + 1);
    /* Vectors for every text, or none: the batch texts' rows (when the dataset has texts) and
     * each online text's own. */
    int all_vecs = s->text_dim > 0 && (ntext_b == 0 || s->batch_text_vecs);
    for (int64_t k = 0; all_vecs && o && k < o->n_text; k++)
        if (!o->texts[k].vec) all_vecs = 0;
    if (all_vecs && ntext) {
        h->text_dim = s->text_dim;
        h->text_vecs = malloc((size_t)ntext * (size_t)s->text_dim * sizeof *h->text_vecs);
        if (!h->text_vecs) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory for %lld text vectors", (long long)ntext);
            goto out;
        }
    }
    if (!h->items || !h->times || !h->weights || !h->events || !h->texts || !h->text_times) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory for a history of %lld events", (long long)n);
        goto out;
    }
    /* Online events arrive in any time order: order them stably by time, then merge after the
     * batch events (batch first on equal times: the log is ingested after the original data). */
    int64_t *ord = malloc((size_t)no * sizeof *ord + 1);
    if (!ord) {
        st = TIDE_ERR_NOMEM;
        goto out;
    }
    for (int64_t k = 0; k < no; k++) ord[k] = k;
    /* Insertion sort: online parts are short and mostly in order already. */
    for (int64_t k = 1; k < no; k++) {
        int64_t x = ord[k], j = k;
        while (j > 0 && o->times[ord[j - 1]] > o->times[x]) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = x;
    }
    int64_t i = b0, j = 0, w = 0;
    while (i < b1 || j < no) {
        int take_batch = j >= no || (i < b1 && ds->times[i] <= o->times[ord[j]]);
        if (take_batch) {
            h->items[w] = ds->items[i];
            h->times[w] = ds->times[i];
            h->weights[w] = ds->weights[i];
            h->events[w] = ds->events ? ds->events[i] : 0;
            i++;
        } else {
            int64_t k = ord[j++];
            h->items[w] = o->items[k];
            h->times[w] = o->times[k];
            h->weights[w] = o->weights[k];
            h->events[w] = o->events[k];
        }
        w++;
    }
    free(ord);
    h->n = n;
    /* Texts the same way: online ones ordered stably by time, merged after the batch ones. */
    int64_t not = o ? o->n_text : 0;
    ord = malloc((size_t)not * sizeof *ord + 1);
    if (!ord) {
        st = TIDE_ERR_NOMEM;
        goto out;
    }
    for (int64_t k = 0; k < not; k++) ord[k] = k;
    for (int64_t k = 1; k < not; k++) {
        int64_t x = ord[k], j2 = k;
        while (j2 > 0 && o->texts[ord[j2 - 1]].time > o->texts[x].time) {
            ord[j2] = ord[j2 - 1];
            j2--;
        }
        ord[j2] = x;
    }
    int64_t tb0 = ntext_b ? ds->text_indptr[slot] : 0, ti = 0, tj = 0;
    size_t D = (size_t)h->text_dim;
    while (ti < ntext_b || tj < not) {
        int take_batch = tj >= not || (ti < ntext_b && ds->text_times[tb0 + ti] <= o->texts[ord[tj]].time);
        tide_serve_text *t = &h->texts[h->n_text];
        const float *vec;
        if (take_batch) {
            int64_t e = tb0 + ti++;
            t->time = ds->text_times[e];
            t->item = ds->text_items[e];
            snprintf(t->kind, sizeof t->kind, "batch");
            t->text = strdup(ds->texts && ds->texts[e] ? ds->texts[e] : "");
            vec = s->batch_text_vecs ? s->batch_text_vecs + (size_t)e * D : NULL;
        } else {
            const tide_serve_text *src = &o->texts[ord[tj++]];
            *t = *src;
            t->text = strdup(src->text);
            vec = src->vec;
        }
        t->vec = NULL;
        if (!t->text) {
            st = TIDE_ERR_NOMEM;
            free(ord);
            goto out;
        }
        h->text_times[h->n_text] = t->time;
        if (h->text_vecs) memcpy(h->text_vecs + (size_t)h->n_text * D, vec, D * sizeof *vec);
        h->n_text++;
    }
    free(ord);
    h->latest_global = s->latest;
out:
    tide_serve_store_unlock(s);
    if (st) tide_serve_history_free(h);
    return st;
}
