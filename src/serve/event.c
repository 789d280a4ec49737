/* event.c — the event parser (request bodies and log lines) and the log line writer.
 *
 * Everything a client sends passes through tide_serve_parse_events before it touches the store,
 * so this is the one place that bounds what a request can make the server do: nesting is
 * checked by a scan before cJSON recurses, ids, texts and batches have byte and count limits,
 * strings must be UTF-8 without NUL, tabs or line breaks in ids (they become lines of
 * users.txt/items.txt when the log is ingested), numbers must be finite. */
#define _GNU_SOURCE
#include "tide/serve.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/reader.h"
#include "tide/timeparse.h"

/* Nesting depth of a JSON text, strings skipped; > limit stops early. Sets *nul when a string
 * holds the escape \u0000: cJSON would cut the string there, silently turning "u1\u0000x"
 * into "u1". */
static int json_depth(const char *s, size_t n, int limit, int *nul) {
    int d = 0, maxd = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') {
                if (i + 5 < n && s[i + 1] == 'u' && !memcmp(s + i + 2, "0000", 4)) *nul = 1;
                i++;
            } else if (c == '"') in_str = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        else if (c == '{' || c == '[') {
            if (++d > maxd) maxd = d;
            if (maxd > limit) return maxd;
        } else if (c == '}' || c == ']') d--;
    }
    return maxd;
}

/* A string or integer id into a fresh, checked string. */
static tide_status get_id(const cJSON *v, const char *what, int idx, char *buf, size_t cap) {
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        if (n == 0) return tide_error(TIDE_ERR_DATA, "event %d: %s is empty", idx, what);
        if (n > TIDE_SERVE_MAX_ID) return tide_error(TIDE_ERR_DATA, "event %d: %s longer than %d bytes", idx, what, TIDE_SERVE_MAX_ID);
        if (tide_utf8_check(v->valuestring, n) != n) return tide_error(TIDE_ERR_DATA, "event %d: %s is not valid UTF-8", idx, what);
        if (strpbrk(v->valuestring, "\t\r\n"))
            return tide_error(TIDE_ERR_DATA, "event %d: %s holds a tab or line break", idx, what);
        memcpy(buf, v->valuestring, n + 1);
        return TIDE_OK;
    }
    if (cJSON_IsNumber(v)) {
        double x = v->valuedouble;
        if (!isfinite(x) || x != floor(x) || fabs(x) > 9007199254740992.0)
            return tide_error(TIDE_ERR_DATA, "event %d: %s must be a string or an integer", idx, what);
        snprintf(buf, cap, "%lld", (long long)x);
        return TIDE_OK;
    }
    return tide_error(TIDE_ERR_DATA, "event %d: %s must be a string or an integer", idx, what);
}

static char *arena_put(char **arena, size_t *used, size_t cap, const char *s) {
    size_t n = strlen(s) + 1;
    if (*used + n > cap) return NULL;
    char *p = *arena + *used;
    memcpy(p, s, n);
    *used += n;
    return p;
}

static tide_status parse_one(const cJSON *o, int idx, tide_serve_event *e, char **arena, size_t *used, size_t cap) {
    char buf[TIDE_SERVE_MAX_ID + 32];
    tide_status st;
    memset(e, 0, sizeof *e);
    if (!cJSON_IsObject(o)) return tide_error(TIDE_ERR_DATA, "event %d: expected a JSON object", idx);
    const cJSON *user = NULL, *item = NULL, *time = NULL, *weight = NULL, *type = NULL, *text = NULL, *kind = NULL;
    for (const cJSON *f = o->child; f; f = f->next) {
        const char *k = f->string;
        const cJSON **slot = !strcmp(k, "user") ? &user : !strcmp(k, "item") ? &item : !strcmp(k, "time") ? &time
                             : !strcmp(k, "weight") ? &weight : !strcmp(k, "type") || !strcmp(k, "event") ? &type
                             : !strcmp(k, "text") ? &text : !strcmp(k, "kind") ? &kind : NULL;
        if (!slot) return tide_error(TIDE_ERR_DATA, "event %d: unknown field \"%.64s\"", idx, k);
        if (*slot) return tide_error(TIDE_ERR_DATA, "event %d: field \"%s\" given twice", idx, k);
        *slot = f;
    }
    if (!user) return tide_error(TIDE_ERR_DATA, "event %d: missing \"user\"", idx);
    if ((st = get_id(user, "user", idx, buf, sizeof buf))) return st;
    if (!(e->user = arena_put(arena, used, cap, buf))) return tide_error(TIDE_ERR_DATA, "event %d: too large", idx);
    e->kind = text ? TIDE_SERVE_EV_TEXT : TIDE_SERVE_EV_INTERACTION;
    /* "" for the item of a text event means "no item" (the log writes it so; tide-ingest agrees). */
    if (item && !(e->kind == TIDE_SERVE_EV_TEXT && cJSON_IsString(item) && !item->valuestring[0])) {
        if ((st = get_id(item, "item", idx, buf, sizeof buf))) return st;
        if (!(e->item = arena_put(arena, used, cap, buf))) return tide_error(TIDE_ERR_DATA, "event %d: too large", idx);
    } else if (e->kind == TIDE_SERVE_EV_INTERACTION) {
        return tide_error(TIDE_ERR_DATA, "event %d: missing \"item\" (or \"text\" for a user text event)", idx);
    }
    if (time && !cJSON_IsNull(time)) {
        const char *why = "not a time";
        if (cJSON_IsNumber(time)) {
            double x = time->valuedouble;
            if (!isfinite(x) || x < 0 || x > 1e15) return tide_error(TIDE_ERR_DATA, "event %d: time out of range", idx);
            e->time = x >= 1e11 ? (int64_t)floor(x / 1000) : (int64_t)floor(x);
        } else if (cJSON_IsString(time)) {
            size_t n = strlen(time->valuestring);
            if (n > 64 || tide_time_parse(time->valuestring, n, TIDE_TIME_AUTO, &e->time, &why))
                return tide_error(TIDE_ERR_DATA, "event %d: bad time: %s", idx, why);
            if (e->time < 0) return tide_error(TIDE_ERR_DATA, "event %d: time before 1970", idx);
        } else {
            return tide_error(TIDE_ERR_DATA, "event %d: time must be a number (seconds) or an ISO-8601 string", idx);
        }
        /* The log writes seconds and tide-ingest reads numbers from 1e11 up as milliseconds:
         * a later time would come back 1000 times earlier (found by the fuzzer). */
        if (e->time >= 100000000000LL)
            return tide_error(TIDE_ERR_DATA, "event %d: time after the year 5138 (1e11 seconds)", idx);
        e->has_time = 1;
    }
    if (weight && !cJSON_IsNull(weight)) {
        if (e->kind == TIDE_SERVE_EV_TEXT) return tide_error(TIDE_ERR_DATA, "event %d: a text event has no weight", idx);
        if (!cJSON_IsNumber(weight) || !isfinite(weight->valuedouble) || weight->valuedouble < 0 || weight->valuedouble > 1e30)
            return tide_error(TIDE_ERR_DATA, "event %d: weight must be a finite number >= 0", idx);
        e->weight = (float)weight->valuedouble;
        e->has_weight = 1;
    } else {
        e->weight = 1.0f;
    }
    if (type && !cJSON_IsNull(type)) {
        if (e->kind == TIDE_SERVE_EV_TEXT) return tide_error(TIDE_ERR_DATA, "event %d: a text event has a kind, not a type", idx);
        if (!cJSON_IsString(type) || !type->valuestring[0] || strlen(type->valuestring) > TIDE_SERVE_MAX_TYPE ||
            strpbrk(type->valuestring, "\t\r\n\"\\") ||
            tide_utf8_check(type->valuestring, strlen(type->valuestring)) != strlen(type->valuestring))
            return tide_error(TIDE_ERR_DATA, "event %d: type must be a short non-empty string", idx);
        if (!(e->type = arena_put(arena, used, cap, type->valuestring))) return tide_error(TIDE_ERR_DATA, "event %d: too large", idx);
    }
    if (e->kind == TIDE_SERVE_EV_TEXT) {
        if (!cJSON_IsString(text)) return tide_error(TIDE_ERR_DATA, "event %d: text must be a string", idx);
        size_t n = strlen(text->valuestring);
        if (n == 0) return tide_error(TIDE_ERR_DATA, "event %d: text is empty", idx);
        if (n > TIDE_SERVE_MAX_TEXT) return tide_error(TIDE_ERR_DATA, "event %d: text longer than %d bytes", idx, TIDE_SERVE_MAX_TEXT);
        if (tide_utf8_check(text->valuestring, n) != n) return tide_error(TIDE_ERR_DATA, "event %d: text is not valid UTF-8", idx);
        if (!(e->text = arena_put(arena, used, cap, text->valuestring))) return tide_error(TIDE_ERR_DATA, "event %d: too large", idx);
        const char *k = "query";
        if (kind && !cJSON_IsNull(kind)) {
            if (!cJSON_IsString(kind) || (strcmp(kind->valuestring, "query") && strcmp(kind->valuestring, "review") &&
                                          strcmp(kind->valuestring, "tag")))
                return tide_error(TIDE_ERR_DATA, "event %d: kind must be \"query\", \"review\" or \"tag\"", idx);
            k = kind->valuestring;
        }
        snprintf(e->text_kind, sizeof e->text_kind, "%s", k);
    } else if (kind && !cJSON_IsNull(kind)) {
        return tide_error(TIDE_ERR_DATA, "event %d: kind applies to text events (with \"text\")", idx);
    }
    return TIDE_OK;
}

tide_status tide_serve_parse_events(const char *body, size_t len, tide_serve_events *out) {
    memset(out, 0, sizeof *out);
    if (len == 0) return tide_error(TIDE_ERR_DATA, "empty body: expected an event object or an array of them");
    int nul = 0;
    if (json_depth(body, len, TIDE_SERVE_MAX_DEPTH, &nul) > TIDE_SERVE_MAX_DEPTH)
        return tide_error(TIDE_ERR_DATA, "JSON nested deeper than %d levels", TIDE_SERVE_MAX_DEPTH);
    if (nul) return tide_error(TIDE_ERR_DATA, "a string holds \\u0000 (NUL is not allowed in ids or texts)");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!root) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        return tide_error(TIDE_ERR_DATA, "malformed JSON near byte %zu", at);
    }
    /* Trailing content other than whitespace is an error (two objects pasted together). */
    for (const char *p = end; p && p < body + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(root);
            return tide_error(TIDE_ERR_DATA, "malformed JSON: trailing data at byte %zu", (size_t)(p - body));
        }
    const cJSON *list = root;
    if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "events")) {
        if (root->child->next || !cJSON_IsArray(root->child)) {
            cJSON_Delete(root);
            return tide_error(TIDE_ERR_DATA, "{\"events\": [...]} must hold only an array of events");
        }
        list = root->child;
    }
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 1;
    tide_status st = TIDE_OK;
    if (n == 0) {
        cJSON_Delete(root);
        return tide_error(TIDE_ERR_DATA, "no events in the batch");
    }
    if (n > TIDE_SERVE_MAX_BATCH) {
        cJSON_Delete(root);
        return tide_error(TIDE_ERR_DATA, "%d events in one batch (at most %d)", n, TIDE_SERVE_MAX_BATCH);
    }
    /* Every string of the events fits in the body's size plus the decimal forms of numbers. */
    size_t cap = len + (size_t)n * 64 + 64;
    out->ev = calloc((size_t)n, sizeof *out->ev);
    out->arena = malloc(cap);
    if (!out->ev || !out->arena) {
        cJSON_Delete(root);
        tide_serve_events_free(out);
        return tide_error(TIDE_ERR_NOMEM, "out of memory for %d events", n);
    }
    size_t used = 0;
    int i = 0;
    const cJSON *o = cJSON_IsArray(list) ? list->child : list;
    for (; o && i < n; o = cJSON_IsArray(list) ? o->next : NULL, i++)
        if ((st = parse_one(o, i, &out->ev[i], &out->arena, &used, cap))) break;
    cJSON_Delete(root);
    if (st) {
        tide_serve_events_free(out);
        return st;
    }
    out->n = n;
    return TIDE_OK;
}

void tide_serve_events_free(tide_serve_events *e) {
    free(e->ev);
    free(e->arena);
    memset(e, 0, sizeof *e);
}

/* JSON string body escaping (the input was checked UTF-8; only controls, quote and backslash
 * need escapes). Returns bytes written or -1. */
static int put_str(char *b, size_t cap, const char *s) {
    size_t w = 0;
    if (w >= cap) return -1;
    b[w++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (w + 7 >= cap) return -1;
        if (*p == '"' || *p == '\\') {
            b[w++] = '\\';
            b[w++] = (char)*p;
        } else if (*p < 0x20) {
            w += (size_t)snprintf(b + w, cap - w, "\\u%04x", *p);
        } else {
            b[w++] = (char)*p;
        }
    }
    if (w + 1 >= cap) return -1;
    b[w++] = '"';
    return (int)w;
}

int tide_serve_event_line(const tide_serve_event *e, char *buf, size_t cap) {
    size_t w = 0;
    int n;
#define PUT_LIT(s)                                   \
    do {                                             \
        size_t l_ = strlen(s);                       \
        if (w + l_ >= cap) return -1;                \
        memcpy(buf + w, s, l_);                      \
        w += l_;                                     \
    } while (0)
#define PUT_STR(s)                                   \
    do {                                             \
        if ((n = put_str(buf + w, cap - w, s)) < 0) return -1; \
        w += (size_t)n;                              \
    } while (0)
    PUT_LIT("{\"user\":");
    PUT_STR(e->user);
    PUT_LIT(",\"item\":");
    PUT_STR(e->item ? e->item : "");
    n = snprintf(buf + w, cap - w, ",\"time\":%lld", (long long)e->time);
    if (n < 0 || (size_t)n >= cap - w) return -1;
    w += (size_t)n;
    if (e->kind == TIDE_SERVE_EV_TEXT) {
        PUT_LIT(",\"text\":");
        PUT_STR(e->text);
        PUT_LIT(",\"kind\":");
        PUT_STR(e->text_kind);
    } else {
        /* %.9g round-trips a float exactly: the dataset's f32 weight is what the store used. */
        n = snprintf(buf + w, cap - w, ",\"weight\":%.9g", (double)e->weight);
        if (n < 0 || (size_t)n >= cap - w) return -1;
        w += (size_t)n;
        if (e->type) {
            PUT_LIT(",\"event\":");
            PUT_STR(e->type);
        }
    }
    PUT_LIT("}\n");
    buf[w] = 0;
    return (int)w;
#undef PUT_LIT
#undef PUT_STR
}
