/* http.c — tide-serve's routes over libmicrohttpd (docs/tide-serve.md).
 *
 * libmicrohttpd parses HTTP; this file routes, bounds what a client can make us hold (body size
 * limit answered with 413 before reading more, connection and per-IP limits, a timeout for slow
 * clients, a per-connection memory limit), checks the bearer token, and turns libtide's answers
 * into JSON. One thread per connection: an event request blocks while the log syncs (group
 * commit), and must not stall other connections. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"

typedef struct req {
    char *body;
    size_t len, cap;
    int too_large;
    double t0;
} req;

static enum MHD_Result send_text(struct MHD_Connection *c, int status, const char *type, char *body, size_t len, int owned) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!r) {
        if (owned) free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, cJSON *j) {
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s) return MHD_NO;
    size_t n = strlen(s);
    /* A trailing newline: curl output and JSON-lines tools read better. */
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return MHD_NO;
    }
    t[n] = '\n';
    t[n + 1] = 0;
    return send_text(c, status, "application/json", t, n + 1, 1);
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *msg) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", msg);
    cJSON_AddNumberToObject(j, "status", status);
    return send_json(c, status, j);
}

static const char *arg(struct MHD_Connection *c, const char *k) {
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

/* An integer query argument in [lo, hi]; -1 with *bad set when malformed. */
static int int_arg(struct MHD_Connection *c, const char *k, int def, int lo, int hi, int *bad) {
    const char *v = arg(c, k);
    if (!v) return def;
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < lo || x > hi) {
        *bad = 1;
        return -1;
    }
    return (int)x;
}

static int authorized(app *a, struct MHD_Connection *c, int write) {
    if (!a->token || (!write && !a->token_reads)) return 1;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7)) return 0;
    const char *t = h + 7;
    size_t n = strlen(t), m = strlen(a->token);
    /* Constant time in the token's length: no early exit on the first differing byte. */
    unsigned char diff = n != m;
    for (size_t i = 0; i < m; i++) diff |= (unsigned char)(a->token[i] ^ (i < n ? t[i] : 0));
    return diff == 0;
}

static cJSON *item_json(app *a, int32_t it) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "item", a->ds.item_ids[it]);
    for (int f = 0; f < a->ds.n_text_fields; f++) {
        const char *t = a->ds.item_text ? a->ds.item_text[(size_t)it * (size_t)a->ds.n_text_fields + (size_t)f] : NULL;
        if (t) cJSON_AddStringToObject(o, a->ds.text_fields[f], t);
    }
    return o;
}

/* Label of item `it` under the interest field, first one only. */
static void item_labels(app *a, int32_t it, char *out, size_t cap) {
    out[0] = 0;
    if (a->interest_field < 0) return;
    const char *t = a->ds.item_text[(size_t)it * (size_t)a->ds.n_text_fields + (size_t)a->interest_field];
    if (t) snprintf(out, cap, "%s", t);
}

/* Why item j: the history event it is most like. With item vectors (--item-vectors, or the
 * model's factors) the most similar of the last 200 events by cosine; otherwise the event whose
 * score alone (through the model's scorer: EASE w·B[i, j], item-kNN w·sim(i, j)) is largest
 * among the last 50 (tide_serve_contributions, computed once per request in h_recs). */
static void explain(app *a, const tide_serve_history *h, int32_t j, int64_t contrib_event, float contrib, cJSON *o) {
    int64_t best = -1;
    double bestv = 0;
    const float *Y = a->scorer.item_vectors ? a->scorer.item_vectors : a->model->info.item_vectors;
    int64_t d = a->scorer.item_vectors ? a->scorer.vec_dim : a->model->info.item_dim;
    if (a->have_interest && a->imodel->info.item_vectors) {
        /* the interest model's own space (the one its clusters and profiles live in) */
        Y = a->imodel->info.item_vectors;
        d = a->imodel->info.item_dim;
    }
    const char *how = "similar to";
    if (Y) {
        int64_t from = h->n > 200 ? h->n - 200 : 0;
        for (int64_t e = h->n - 1; e >= from; e--) {
            const float *x = Y + (size_t)h->items[e] * (size_t)d, *y = Y + (size_t)j * (size_t)d;
            double dot = 0, nx = 0, ny = 0;
            for (int64_t k = 0; k < d; k++) {
                dot += (double)x[k] * y[k];
                nx += (double)x[k] * x[k];
                ny += (double)y[k] * y[k];
            }
            double v = nx > 0 && ny > 0 ? dot / sqrt(nx * ny) : 0;
            if (v > bestv) {
                bestv = v;
                best = e;
            }
        }
    } else {
        best = contrib_event;
        bestv = contrib;
        how = "because of";
    }
    cJSON *x = cJSON_AddObjectToObject(o, "because");
    if (best >= 0) {
        cJSON_AddStringToObject(x, "relation", how);
        cJSON_AddStringToObject(x, "item", a->ds.item_ids[h->items[best]]);
        cJSON_AddNumberToObject(x, "time", (double)h->times[best]);
        cJSON_AddNumberToObject(x, "strength", bestv);
        cJSON_AddBoolToObject(x, "recent", best >= h->n - a->recent);
        const char *title = a->ds.n_text_fields > 0 && a->ds.item_text ? a->ds.item_text[(size_t)h->items[best] * (size_t)a->ds.n_text_fields] : NULL;
        if (title) cJSON_AddStringToObject(x, "title", title);
    } else {
        cJSON_AddStringToObject(x, "relation", h->n ? "model" : "popular");
    }
    char lab[256];
    item_labels(a, j, lab, sizeof lab);
    if (lab[0]) cJSON_AddStringToObject(x, "interest", lab);
}

static int64_t user_from_path(app *a, const char *id) { return tide_serve_store_user(&a->store, id); }

static int parse_id_list(app *a, const char *s, int32_t **out, int64_t *n, char *err, size_t errcap) {
    /* "a,b,c" of item ids → sorted unique indices. */
    size_t L = strlen(s);
    int32_t *v = malloc((L / 1 + 1) * sizeof *v);
    if (!v) return -1;
    int64_t k = 0;
    char *dup = strdup(s);
    if (!dup) {
        free(v);
        return -1;
    }
    for (char *save = NULL, *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int64_t it = tide_dataset_item_index(&a->ds, t);
        if (it < 0) {
            snprintf(err, errcap, "unknown item '%.200s' in candidates", t);
            free(dup);
            free(v);
            return -2;
        }
        v[k++] = (int32_t)it;
    }
    free(dup);
    for (int64_t i = 1; i < k; i++) {
        int32_t x = v[i];
        int64_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    int64_t w = 0;
    for (int64_t i = 0; i < k; i++)
        if (!w || v[i] != v[w - 1]) v[w++] = v[i];
    *out = v;
    *n = w;
    return 0;
}

/* A cluster's label: its two main categories, else its latest member's title. */
static void cluster_label(app *a, const tide_interest_cluster *cl, char *label, size_t cap) {
    const tide_interest_items *it = a->interest_items;
    label[0] = 0;
    for (int q = 0; q < 2; q++)
        if (cl->cats[q] >= 0 && cl->cats[q] < it->n_cats) {
            if (label[0]) strncat(label, ", ", cap - strlen(label) - 1);
            strncat(label, it->cat_names[cl->cats[q]], cap - strlen(label) - 1);
        }
    for (int q = 0; q < 3 && !label[0]; q++) {
        int32_t ji = cl->top_items[q];
        if (ji < 0 || ji >= a->ds.n_items) continue;
        const char *title = a->ds.n_text_fields ? a->ds.item_text[(size_t)ji * (size_t)a->ds.n_text_fields] : NULL;
        snprintf(label, cap, "%s", title ? title : a->ds.item_ids[ji]);
    }
}

/* explain=1 with the interest model: the component whose term is the largest in the item's
 * score, and what in the user's state it points at — the interest (cluster) for "cluster", the
 * text the user wrote for "words", the history event most like the item for the event-driven
 * components (EASE, kNN, transitions, ALS, content profiles), "popular" for popularity. */
static void explain_interest(app *a, const tide_serve_history *h, int32_t j, const tide_serve_why *w,
                             const tide_interest_user *state, cJSON *o) {
    if (w->component < 0) {
        cJSON *x = cJSON_AddObjectToObject(o, "because");
        cJSON_AddStringToObject(x, "relation", "popular");
        return;
    }
    cJSON *x = NULL;
    if (w->component == TIDE_IC_CLUSTER && w->cluster >= 0) {
        const tide_interest_cluster *cl = &state->clusters[w->cluster];
        char label[256];
        cluster_label(a, cl, label, sizeof label);
        x = cJSON_AddObjectToObject(o, "because");
        cJSON_AddStringToObject(x, "relation", "fits your interest");
        cJSON_AddStringToObject(x, "title", label);
        cJSON_AddStringToObject(x, "interest", label);
        cJSON_AddNumberToObject(x, "time", (double)cl->last_active);
        cJSON_AddBoolToObject(x, "recent", h->n > 0 && cl->last_active >= h->times[h->n > a->recent ? h->n - a->recent : 0]);
    } else if (w->component == TIDE_IC_WORDS && w->text >= 0) {
        const tide_serve_text *t = &h->texts[w->text];
        x = cJSON_AddObjectToObject(o, "because");
        cJSON_AddStringToObject(x, "relation", !strcmp(t->kind, "query") ? "matches your search" : "matches what you wrote");
        cJSON_AddStringToObject(x, "title", t->text);
        cJSON_AddStringToObject(x, "text", t->text);
        cJSON_AddStringToObject(x, "kind", t->kind);
        cJSON_AddNumberToObject(x, "time", (double)t->time);
        cJSON_AddBoolToObject(x, "recent", w->text >= h->n_text - a->recent);
    } else if (w->component == TIDE_IC_POP) {
        x = cJSON_AddObjectToObject(o, "because");
        cJSON_AddStringToObject(x, "relation", "popular");
    } else {
        explain(a, h, j, -1, 0, o);
        x = cJSON_GetObjectItemCaseSensitive(o, "because");
    }
    cJSON_AddStringToObject(x, "component", tide_interest_component_name(w->component));
    cJSON_AddNumberToObject(x, "contribution", w->contribution);
    /* every component's term of the score (weight × z-score), the chosen one the largest */
    cJSON *terms = cJSON_AddObjectToObject(x, "terms");
    for (int c = 0; c < TIDE_IC_N; c++)
        if (w->terms[c] != 0) cJSON_AddNumberToObject(terms, tide_interest_component_name(c), w->terms[c]);
}

static enum MHD_Result h_recs(app *a, struct MHD_Connection *c, const char *uid, int *status) {
    int bad = 0;
    int k = int_arg(c, "k", 10, 1, 1000, &bad);
    int ex = int_arg(c, "explain", 0, 0, 1, &bad);
    int keep = int_arg(c, "keep_seen", 0, 0, 1, &bad);
    const char *dv = arg(c, "diversity");
    double div = a->diversity_default;
    if (dv) {
        char *end;
        div = strtod(dv, &end);
        if (end == dv || *end || !(div >= 0 && div <= 1)) bad = 1;
    }
    if (bad) return send_error(c, *status = 400, "bad query: k in [1, 1000], explain and keep_seen 0 or 1, diversity in [0, 1]");
    int64_t slot = user_from_path(a, uid);
    if (slot < 0) return send_error(c, *status = 404, "unknown user");
    int32_t *only = NULL;
    int64_t n_only = 0;
    const char *cs = arg(c, "candidates");
    if (cs) {
        char err[300];
        int r = parse_id_list(a, cs, &only, &n_only, err, sizeof err);
        if (r == -2) return send_error(c, *status = 400, err);
        if (r) return send_error(c, *status = 500, "out of memory");
    }
    tide_serve_history h;
    tide_status st = tide_serve_store_history(&a->store, slot, &h);
    if (st) {
        free(only);
        return send_error(c, *status = 500, tide_error_message());
    }
    tide_serve_recs *r = malloc(sizeof *r);
    if (!r || (st = tide_serve_score(app_recs_scorer(a), &a->store, &h, k, div, only, n_only, keep, r))) {
        free(r);
        free(only);
        tide_serve_history_free(&h);
        return send_error(c, *status = st == TIDE_ERR_USAGE ? 400 : 500, st ? tide_error_message() : "out of memory");
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "user", uid);
    cJSON_AddStringToObject(j, "scored_by", r->by == TIDE_RETRIEVAL_BY_MODEL ? "model" : r->by == TIDE_RETRIEVAL_BY_FOLD_IN ? "fold-in" : "popularity");
    cJSON_AddNumberToObject(j, "history", (double)h.n);
    cJSON_AddStringToObject(j, "model", a->have_interest ? "interest" : a->model->info.algorithm);
    if (a->have_interest) cJSON_AddNumberToObject(j, "texts", (double)h.n_text);
    int64_t cev[1024];
    float cval[1024];
    for (int q = 0; q < r->n; q++) cev[q] = -1, cval[q] = 0;
    tide_serve_why *why = NULL;
    tide_interest_user state;
    memset(&state, 0, sizeof state);
    if (ex && a->have_interest) {
        why = calloc((size_t)(r->n ? r->n : 1), sizeof *why);
        st = why ? tide_interest_user_alloc(a->interest_items, NULL, &state) : TIDE_ERR_NOMEM;
        if (!st) st = tide_serve_interest_explain(&a->iscorer, &h, r->items, r->n, why, &state);
        if (st) {
            tide_log(TIDE_LOG_WARN, "explain: %s", tide_error_message());
            free(why);
            why = NULL;
        }
    } else if (ex && !a->scorer.item_vectors && !a->model->info.item_vectors &&
               tide_serve_contributions(&a->scorer, &a->store, &h, 50, r->items, r->n, cev, cval)) {
        tide_log(TIDE_LOG_WARN, "explain: %s", tide_error_message());
    }
    cJSON *arr = cJSON_AddArrayToObject(j, "items");
    for (int q = 0; q < r->n; q++) {
        cJSON *o = ex ? item_json(a, r->items[q]) : cJSON_CreateObject();
        if (!ex) cJSON_AddStringToObject(o, "item", a->ds.item_ids[r->items[q]]);
        cJSON_AddNumberToObject(o, "rank", q + 1);
        cJSON_AddNumberToObject(o, "score", r->scores[q]);
        if (ex && why) explain_interest(a, &h, r->items[q], &why[q], &state, o);
        else if (ex) explain(a, &h, r->items[q], cev[q], cval[q], o);
        cJSON_AddItemToArray(arr, o);
    }
    free(why);
    tide_interest_user_free(&state);
    free(r);
    free(only);
    tide_serve_history_free(&h);
    return send_json(c, *status = 200, j);
}

/* /interests from the dynamic-interest model: its clusters (label from their categories or
 * top item, strength share, last active, representative items) and drift — the state the
 * interest scorer builds from the same view /recommendations ranks (tide_serve_interest_model);
 * model_recommendations are /recommendations' own top 10 (the engine, the server's rules). */
static enum MHD_Result h_interests_model(app *a, struct MHD_Connection *c, const char *uid, tide_serve_history *h,
                                         int *status) {
    tide_interest_user s;
    memset(&s, 0, sizeof s);
    tide_serve_recs *rec = malloc(sizeof *rec);
    tide_status st = rec ? tide_interest_user_alloc(a->interest_items, NULL, &s) : TIDE_ERR_NOMEM;
    if (!st) st = tide_serve_interest_model(&a->iscorer, h, NULL, 0, NULL, &s);
    if (!st) st = tide_serve_score(&a->iscorer, &a->store, h, 10, 0, NULL, 0, 0, rec);
    if (st) {
        free(rec);
        tide_interest_user_free(&s);
        tide_serve_history_free(h);
        return send_error(c, *status = 500, tide_error_message());
    }
    const tide_interest_items *it = a->interest_items;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "user", uid);
    cJSON_AddStringToObject(j, "source", "interest-model");
    cJSON_AddNumberToObject(j, "events", (double)h->n);
    cJSON_AddNumberToObject(j, "texts", (double)h->n_text);
    cJSON_AddNumberToObject(j, "drift", it->sp_dim ? s.drift : s.drift_cf);
    cJSON_AddNumberToObject(j, "drift_cf", s.drift_cf);
    if (h->n) cJSON_AddNumberToObject(j, "last_active", (double)h->times[h->n - 1]);
    cJSON_AddStringToObject(j, "label_field", it->n_cats ? "categories" : "items");
    double tot = 0;
    for (int q = 0; q < s.n_clusters; q++) tot += s.clusters[q].strength;
    int order[TIDE_INTEREST_MAX_K];
    for (int q = 0; q < s.n_clusters; q++) order[q] = q;
    for (int x = 1; x < s.n_clusters; x++)
        for (int y = x; y > 0 && s.clusters[order[y]].strength > s.clusters[order[y - 1]].strength; y--) {
            int t = order[y];
            order[y] = order[y - 1];
            order[y - 1] = t;
        }
    cJSON *arr = cJSON_AddArrayToObject(j, "interests");
    for (int r = 0; r < s.n_clusters; r++) {
        const tide_interest_cluster *cl = &s.clusters[order[r]];
        char label[256];
        cluster_label(a, cl, label, sizeof label);
        cJSON *o = cJSON_CreateObject();
        cJSON *tops = cJSON_CreateArray();
        for (int q = 0; q < 3; q++) {
            int32_t ji = cl->top_items[q];
            if (ji < 0 || ji >= a->ds.n_items) continue;
            cJSON_AddItemToArray(tops, item_json(a, ji));
        }
        cJSON_AddStringToObject(o, "label", label);
        cJSON_AddNumberToObject(o, "strength", tot > 0 ? cl->strength / tot : 0);
        cJSON_AddNumberToObject(o, "last_active", (double)cl->last_active);
        cJSON_AddNumberToObject(o, "events", cl->n_items);
        cJSON_AddItemToObject(o, "items", tops);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON *ra = cJSON_AddArrayToObject(j, "model_recommendations");
    for (int q = 0; q < rec->n; q++) cJSON_AddItemToArray(ra, cJSON_CreateString(a->ds.item_ids[rec->items[q]]));
    free(rec);
    tide_interest_user_free(&s);
    tide_serve_history_free(h);
    return send_json(c, *status = 200, j);
}

static enum MHD_Result h_interests(app *a, struct MHD_Connection *c, const char *uid, int *status) {
    int64_t slot = user_from_path(a, uid);
    if (slot < 0) return send_error(c, *status = 404, "unknown user");
    tide_serve_history h;
    if (tide_serve_store_history(&a->store, slot, &h)) return send_error(c, *status = 500, tide_error_message());
    const char *src = arg(c, "source");
    if (a->have_interest && !(src && !strcmp(src, "history"))) return h_interests_model(a, c, uid, &h, status);
    tide_serve_interests *in = malloc(sizeof *in);
    if (!in) {
        tide_serve_history_free(&h);
        return send_error(c, *status = 500, "out of memory");
    }
    tide_serve_interests_compute(&a->ds, a->interest_field, &h, a->recent, in);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "user", uid);
    cJSON_AddStringToObject(j, "source", "history");
    cJSON_AddStringToObject(j, "label_field", in->field);
    cJSON_AddNumberToObject(j, "events", (double)h.n);
    cJSON_AddNumberToObject(j, "short_term_events", (double)in->short_events);
    cJSON_AddNumberToObject(j, "drift", in->drift);
    if (h.n) cJSON_AddNumberToObject(j, "last_active", (double)h.times[h.n - 1]);
    cJSON *arr = cJSON_AddArrayToObject(j, "interests");
    for (int i = 0; i < in->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "label", in->v[i].label);
        cJSON_AddNumberToObject(o, "long_term", in->v[i].long_share);
        cJSON_AddNumberToObject(o, "short_term", in->v[i].short_share);
        cJSON_AddNumberToObject(o, "last_active", (double)in->v[i].last_active);
        cJSON_AddNumberToObject(o, "events", (double)in->v[i].events);
        cJSON_AddItemToArray(arr, o);
    }
    free(in);
    tide_serve_history_free(&h);
    return send_json(c, *status = 200, j);
}

static enum MHD_Result h_user(app *a, struct MHD_Connection *c, const char *uid, int *status) {
    int64_t slot = user_from_path(a, uid);
    if (slot < 0) return send_error(c, *status = 404, "unknown user");
    tide_serve_history h;
    if (tide_serve_store_history(&a->store, slot, &h)) return send_error(c, *status = 500, tide_error_message());
    int bad = 0;
    int lim = int_arg(c, "limit", 20, 1, 100000, &bad);
    if (bad) {
        tide_serve_history_free(&h);
        return send_error(c, *status = 400, "limit must be in [1, 100000]");
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "user", uid);
    cJSON_AddBoolToObject(j, "new", h.batch_user < 0);
    cJSON_AddNumberToObject(j, "events", (double)h.n);
    cJSON_AddNumberToObject(j, "texts", (double)h.n_text);
    cJSON *arr = cJSON_AddArrayToObject(j, "recent");
    for (int64_t e = h.n - 1; e >= 0 && e >= h.n - lim; e--) {
        cJSON *o = item_json(a, h.items[e]);
        cJSON_AddNumberToObject(o, "time", (double)h.times[e]);
        cJSON_AddNumberToObject(o, "weight", h.weights[e]);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON *ta = cJSON_AddArrayToObject(j, "recent_texts");
    for (int64_t e = h.n_text - 1; e >= 0 && e >= h.n_text - lim; e--) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "text", h.texts[e].text);
        cJSON_AddStringToObject(o, "kind", h.texts[e].kind);
        cJSON_AddNumberToObject(o, "time", (double)h.texts[e].time);
        if (h.texts[e].item >= 0) cJSON_AddStringToObject(o, "item", a->ds.item_ids[h.texts[e].item]);
        cJSON_AddItemToArray(ta, o);
    }
    tide_serve_history_free(&h);
    return send_json(c, *status = 200, j);
}

/* Users whose id starts with ?prefix= (batch users first, then new ones), at most ?limit=. */
static enum MHD_Result h_users(app *a, struct MHD_Connection *c, int *status) {
    int bad = 0;
    int lim = int_arg(c, "limit", 20, 1, 1000, &bad);
    if (bad) return send_error(c, *status = 400, "limit must be in [1, 1000]");
    const char *pre = arg(c, "prefix");
    size_t pl = pre ? strlen(pre) : 0;
    cJSON *j = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(j, "users");
    int n = 0;
    tide_serve_store_rdlock(&a->store);
    for (int64_t s = 0; s < a->store.n_slots && n < lim; s++) {
        const char *id = tide_serve_store_user_id(&a->store, s);
        if (id && (!pl || !strncmp(id, pre, pl))) {
            cJSON_AddItemToArray(arr, cJSON_CreateString(id));
            n++;
        }
    }
    int64_t total = a->store.n_slots;
    tide_serve_store_unlock(&a->store);
    cJSON_AddNumberToObject(j, "total_users", (double)total);
    return send_json(c, *status = 200, j);
}

static cJSON *recs_items(app *a, const tide_serve_recs *r) {
    cJSON *arr = cJSON_CreateArray();
    for (int q = 0; q < r->n; q++) {
        cJSON *o = item_json(a, r->items[q]);
        cJSON_AddNumberToObject(o, "rank", q + 1);
        cJSON_AddNumberToObject(o, "score", r->scores[q]);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static enum MHD_Result h_similar(app *a, struct MHD_Connection *c, const char *iid, int *status) {
    int bad = 0;
    int k = int_arg(c, "k", 10, 1, 1000, &bad);
    if (bad) return send_error(c, *status = 400, "k must be in [1, 1000]");
    int64_t it = tide_dataset_item_index(&a->ds, iid);
    if (it < 0) return send_error(c, *status = 404, "unknown item");
    tide_serve_recs *r = malloc(sizeof *r);
    tide_status st = r ? tide_serve_similar(&a->scorer, (int32_t)it, k, r) : TIDE_ERR_NOMEM;
    if (st) {
        free(r);
        return send_error(c, *status = st == TIDE_ERR_USAGE ? 409 : 500, tide_error_message());
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "item", iid);
    cJSON_AddItemToObject(j, "items", recs_items(a, r));
    free(r);
    return send_json(c, *status = 200, j);
}

static enum MHD_Result h_item(app *a, struct MHD_Connection *c, const char *iid, int *status) {
    int64_t it = tide_dataset_item_index(&a->ds, iid);
    if (it < 0) return send_error(c, *status = 404, "unknown item");
    cJSON *j = item_json(a, (int32_t)it);
    tide_serve_store_rdlock(&a->store);
    cJSON_AddNumberToObject(j, "interactions", a->store.item_counts[it]);
    tide_serve_store_unlock(&a->store);
    return send_json(c, *status = 200, j);
}

/* Words of q (lower-cased ASCII, split on non-alphanumerics) all found in item text: the
 * search without a language model. Score = matched words / words, ties by popularity. */
static int text_search(app *a, const char *q, int pool, int32_t *items, float *scores) {
    char words[16][64];
    int nw = 0;
    for (const char *p = q; *p && nw < 16;) {
        while (*p && !((unsigned char)*p >= 0x80 || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z'))) p++;
        int l = 0;
        while (*p && ((unsigned char)*p >= 0x80 || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z'))) {
            if (l < 63) words[nw][l++] = (char)((unsigned char)*p < 0x80 ? (*p | 32) : *p);
            p++;
        }
        if (l) words[nw++][l] = 0;
    }
    if (!nw) return 0;
    int n = 0;
    for (int64_t i = 0; i < a->ds.n_items; i++) {
        int hit = 0;
        for (int w = 0; w < nw; w++) {
            int found = 0;
            for (int f = 0; f < a->ds.n_text_fields && !found; f++) {
                const char *t = a->ds.item_text[(size_t)i * (size_t)a->ds.n_text_fields + (size_t)f];
                if (t && strcasestr(t, words[w])) found = 1;
            }
            hit += found;
        }
        if (!hit) continue;
        float s = (float)hit / (float)nw + 1e-6f * logf(1.0f + a->store.item_counts[i]);
        /* Keep the best `pool` by insertion (pool is small). */
        int pos = n < pool ? n++ : pool;
        if (pos == pool) {
            if (s <= scores[pool - 1]) continue;
            pos = pool - 1;
        }
        while (pos > 0 && scores[pos - 1] < s) {
            scores[pos] = scores[pos - 1];
            items[pos] = items[pos - 1];
            pos--;
        }
        scores[pos] = s;
        items[pos] = (int32_t)i;
    }
    return n;
}

static enum MHD_Result h_search(app *a, struct MHD_Connection *c, int *status) {
    int bad = 0;
    int k = int_arg(c, "k", 10, 1, 200, &bad);
    const char *q = arg(c, "q"), *uid = arg(c, "user");
    if (bad || !q || !*q || strlen(q) > 1000) return send_error(c, *status = 400, "need q (1-1000 bytes) and k in [1, 200]");
    int64_t slot = -1;
    if (uid && *uid && (slot = user_from_path(a, uid)) < 0) return send_error(c, *status = 404, "unknown user");
    enum { POOL = 200 };
    int32_t items[POOL];
    float scores[POOL];
    int n = 0;
    const char *how = "text match";
    /* The vectors queries are matched to: --item-vectors, else the interest model's own LM space
     * (the item vectors it was captured with) when it has the language model's dimension. */
    const tide_serve_scorer *vsc = NULL;
    if (a->lm && a->ivec.data) vsc = &a->scorer;
    else if (a->lm && a->have_interest && a->imodel->info.item_vectors &&
             a->imodel->info.item_dim == tide_lm_get_config(a->lm)->dim)
        vsc = &a->iscorer;
    if (vsc) {
        int dim = tide_lm_get_config(a->lm)->dim;
        float *v = calloc((size_t)dim, sizeof *v);
        tide_serve_recs *r = malloc(sizeof *r);
        tide_lm_params lp = tide_lm_params_default();
        const char *texts[1] = {q};
        size_t lens[1] = {strlen(q)};
        tide_status st = v && r ? TIDE_OK : TIDE_ERR_NOMEM;
        if (!st) {
            /* The encoder keeps scratch state: one query at a time. */
            pthread_mutex_lock(&a->lm_mu);
            st = tide_lm_embed(a->lm, texts, lens, 1, &lp, v, NULL);
            pthread_mutex_unlock(&a->lm_mu);
        }
        if (!st) st = tide_serve_search_vec(vsc, v, POOL, r);
        if (st) {
            free(v);
            free(r);
            return send_error(c, *status = 500, tide_error_message());
        }
        n = r->n;
        memcpy(items, r->items, (size_t)n * sizeof *items);
        memcpy(scores, r->scores, (size_t)n * sizeof *scores);
        free(v);
        free(r);
        how = "language model";
    } else {
        tide_serve_store_rdlock(&a->store); /* item_counts change with every event */
        n = text_search(a, q, POOL, items, scores);
        tide_serve_store_unlock(&a->store);
    }
    /* Personalised: re-rank the pool by (query relevance + the user's model score), each
     * min-max scaled over the pool, so the user's interests break near-ties of the query. */
    if (slot >= 0 && n > 1) {
        int32_t *sorted = malloc((size_t)n * sizeof *sorted);
        tide_serve_recs *r = malloc(sizeof *r);
        tide_serve_history h;
        memset(&h, 0, sizeof h);
        tide_status st = sorted && r ? tide_serve_store_history(&a->store, slot, &h) : TIDE_ERR_NOMEM;
        if (!st) {
            memcpy(sorted, items, (size_t)n * sizeof *sorted);
            for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
                    int32_t t = sorted[j];
                    sorted[j] = sorted[j - 1];
                    sorted[j - 1] = t;
                }
            st = tide_serve_score(app_recs_scorer(a), &a->store, &h, n, 0, sorted, n, 1, r);
        }
        if (!st && r->n > 1) {
            float qlo = scores[n - 1], qhi = scores[0], ulo = r->scores[r->n - 1], uhi = r->scores[0];
            float comb[POOL];
            for (int i = 0; i < n; i++) {
                float us = 0;
                for (int q2 = 0; q2 < r->n; q2++)
                    if (r->items[q2] == items[i]) us = uhi > ulo ? (r->scores[q2] - ulo) / (uhi - ulo) : 0;
                comb[i] = (qhi > qlo ? (scores[i] - qlo) / (qhi - qlo) : 1) + us;
            }
            for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && comb[j - 1] < comb[j]; j--) {
                    float t = comb[j];
                    comb[j] = comb[j - 1];
                    comb[j - 1] = t;
                    int32_t ti = items[j];
                    items[j] = items[j - 1];
                    items[j - 1] = ti;
                    float ts = scores[j];
                    scores[j] = scores[j - 1];
                    scores[j - 1] = ts;
                }
            how = a->lm ? "language model, personalised" : "text match, personalised";
        }
        free(sorted);
        free(r);
        tide_serve_history_free(&h);
    }
    if (n > k) n = k;
    tide_serve_recs *out = malloc(sizeof *out);
    if (!out) return send_error(c, *status = 500, "out of memory");
    out->n = n;
    memcpy(out->items, items, (size_t)n * sizeof *items);
    memcpy(out->scores, scores, (size_t)n * sizeof *scores);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "q", q);
    cJSON_AddStringToObject(j, "ranking", how);
    cJSON_AddItemToObject(j, "items", recs_items(a, out));
    free(out);
    return send_json(c, *status = 200, j);
}

static enum MHD_Result h_events(app *a, struct MHD_Connection *c, req *r, int *status) {
    if (atomic_load(&a->log_failed)) return send_error(c, *status = 503, "the event log failed: writes are refused");
    tide_serve_events ev;
    if (tide_serve_parse_events(r->body ? r->body : "", r->len, &ev)) {
        atomic_fetch_add(&a->m.events_rejected, 1);
        return send_error(c, *status = 400, tide_error_message());
    }
    /* Routing check: ?user= (what a proxy routes by) must name every event's user. */
    const char *ru = arg(c, "user");
    for (int i = 0; ru && i < ev.n; i++)
        if (strcmp(ev.ev[i].user, ru)) {
            tide_serve_events_free(&ev);
            return send_error(c, *status = 400, "an event's user differs from ?user=");
        }
    int http = 0;
    int texts = 0;
    for (int i = 0; i < ev.n; i++) texts += ev.ev[i].kind == TIDE_SERVE_EV_TEXT;
    tide_status st = app_apply(a, &ev, 0, &http);
    int n = ev.n;
    tide_serve_events_free(&ev);
    if (st) {
        atomic_fetch_add(&a->m.events_rejected, n);
        return send_error(c, *status = http ? http : 500, tide_error_message());
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "accepted", n);
    cJSON_AddBoolToObject(j, "durable", a->log != NULL);
    /* Text events that cannot move the words component are said so, not silently kept. */
    if (texts && a->have_interest && a->words_note) cJSON_AddStringToObject(j, "warning", a->words_note);
    return send_json(c, *status = 200, j);
}

static enum MHD_Result h_health(app *a, struct MHD_Connection *c, int *status) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", atomic_load(&a->log_failed) ? "degraded" : "ok");
    tide_serve_store_rdlock(&a->store);
    cJSON_AddNumberToObject(j, "users", (double)a->store.n_slots);
    cJSON_AddNumberToObject(j, "items", (double)a->ds.n_items);
    cJSON_AddNumberToObject(j, "events_applied", (double)a->store.events_applied);
    tide_serve_store_unlock(&a->store);
    cJSON_AddStringToObject(j, "model", a->model->info.algorithm);
    cJSON_AddStringToObject(j, "recommendations", a->have_interest ? "interest" : a->model->info.algorithm);
    cJSON_AddBoolToObject(j, "words_online", a->have_interest && !a->words_note);
    cJSON_AddNumberToObject(j, "uptime_s", tide_now() - a->started);
    return send_json(c, *status = atomic_load(&a->log_failed) ? 503 : 200, j);
}

/* "/v1/users/ID/rest" → ID copied out, *rest set. */
static int path_id(const char *url, const char *prefix, char *id, size_t cap, const char **rest) {
    size_t pl = strlen(prefix);
    if (strncmp(url, prefix, pl)) return 0;
    const char *s = url + pl, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n == 0 || n >= cap) return 0;
    memcpy(id, s, n);
    id[n] = 0;
    *rest = e ? e : "";
    return 1;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    app *a = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        r->t0 = tide_now();
        *con_cls = r;
        atomic_fetch_add(&a->inflight, 1);
        /* Refuse a declared oversized body before reading any of it. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > a->max_body) r->too_large = 1;
        if (!r->too_large) return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_large && r->len + *upload_size > a->max_body) r->too_large = 1;
        if (!r->too_large) {
            if (r->len + *upload_size + 1 > r->cap) {
                size_t nc = r->cap ? r->cap * 2 : 4096;
                while (nc < r->len + *upload_size + 1) nc *= 2;
                char *b = realloc(r->body, nc);
                if (!b) return MHD_NO;
                r->body = b;
                r->cap = nc;
            }
            memcpy(r->body + r->len, upload, *upload_size);
            r->len += *upload_size;
            r->body[r->len] = 0;
            *upload_size = 0;
            return MHD_YES;
        }
    }
    int route = R_OTHER, status = 500;
    enum MHD_Result ret;
    int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int is_post = !strcmp(method, "POST");
    char id[TIDE_SERVE_MAX_ID + 1];
    const char *rest = NULL;
    if (r->too_large) {
        atomic_fetch_add(&a->m.bodies_too_large, 1);
        /* Answer now; libmicrohttpd closes the connection instead of reading the rest. */
        ret = send_error(c, status = 413, "request body too large");
        *upload_size = 0;
    } else if (!strcmp(url, "/") || !strcmp(url, "/index.html")) {
        route = R_PAGE;
        ret = is_get ? send_text(c, status = 200, "text/html; charset=utf-8", (char *)serve_page_html, strlen(serve_page_html), 0)
                     : send_error(c, status = 405, "method not allowed");
    } else if (!strcmp(url, "/healthz")) {
        route = R_HEALTH;
        ret = h_health(a, c, &status);
    } else if (!strcmp(url, "/metrics")) {
        route = R_METRICS;
        char *m = metrics_render(a);
        ret = m ? send_text(c, status = 200, "text/plain; version=0.0.4", m, strlen(m), 1) : send_error(c, status = 500, "out of memory");
    } else if (!strcmp(url, "/v1/events")) {
        route = R_EVENTS;
        if (!is_post) ret = send_error(c, status = 405, "POST events to /v1/events");
        else if (!authorized(a, c, 1)) ret = send_error(c, status = 401, "missing or wrong bearer token");
        else ret = h_events(a, c, r, &status);
    } else if (!is_get) {
        ret = send_error(c, status = 405, "method not allowed");
    } else if (!authorized(a, c, 0)) {
        ret = send_error(c, status = 401, "missing or wrong bearer token");
    } else if (!strcmp(url, "/v1/users")) {
        route = R_USERS;
        ret = h_users(a, c, &status);
    } else if (path_id(url, "/v1/users/", id, sizeof id, &rest)) {
        if (!strcmp(rest, "/recommendations")) {
            route = R_RECS;
            ret = h_recs(a, c, id, &status);
        } else if (!strcmp(rest, "/interests")) {
            route = R_INTERESTS;
            ret = h_interests(a, c, id, &status);
        } else if (!*rest) {
            route = R_USER;
            ret = h_user(a, c, id, &status);
        } else {
            ret = send_error(c, status = 404, "no such route");
        }
    } else if (path_id(url, "/v1/items/", id, sizeof id, &rest)) {
        if (!strcmp(rest, "/similar")) {
            route = R_SIMILAR;
            ret = h_similar(a, c, id, &status);
        } else if (!*rest) {
            route = R_ITEM;
            ret = h_item(a, c, id, &status);
        } else {
            ret = send_error(c, status = 404, "no such route");
        }
    } else if (!strcmp(url, "/v1/search")) {
        route = R_SEARCH;
        ret = h_search(a, c, &status);
    } else {
        ret = send_error(c, status = 404, "no such route");
    }
    metrics_observe(a, route, status, tide_now() - r->t0);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    app *a = cls;
    req *r = *con_cls;
    if (r) {
        free(r->body);
        free(r);
        atomic_fetch_sub(&a->inflight, 1);
    }
    *con_cls = NULL;
}

static void log_mhd(void *cls, const char *fmt, va_list ap) {
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '\n') buf[--n] = 0;
    tide_log(TIDE_LOG_DEBUG, "http: %s", buf);
}

int http_start(app *a, const char *host, int port, int threads, int conn_limit, int timeout_s, void **out) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return -1;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    (void)threads;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, handler, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, completed, a, MHD_OPTION_CONNECTION_LIMIT, (unsigned)conn_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)conn_limit, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1 << 20),
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL, MHD_OPTION_END);
    if (!d) return -1;
    *out = d;
    return 0;
}

void http_quiesce(void *d) {
    MHD_socket s = MHD_quiesce_daemon(d);
    (void)s;
}

void http_stop(void *d) { MHD_stop_daemon(d); }
