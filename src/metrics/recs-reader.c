/* recs-reader.c — streaming reader of recommendation files (docs/formats.md): TSV
 * `user item rank score` or JSON lines with the same fields, from a file or stdin.
 *
 * Speed matters (10^8 lines in nightly jobs), so the TSV path reads large blocks with read(2),
 * parses lines in place, looks an id up only when the user changes and validates scores with a
 * small grammar check instead of converting them (ranks, not scores, order a list). Every
 * rejected line is TIDE_ERR_DATA "file:line: reason". */
#define _GNU_SOURCE
#include "recs-reader.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tide/fileio.h"

#define BLOCK (16u << 20)

typedef struct {
    const char *path;
    tide_eval_truth *t;
    int kmax;
    tide_recs_group_fn fn;
    void *ctx;
    /* current group */
    char *cur;                /* current user id */
    size_t cur_len, cur_cap;
    int in_group;
    int64_t cur_user;         /* dictionary index or -1 */
    int64_t group_seq;
    int64_t prev_rank;
    int64_t n_recs;
    int32_t *list;            /* [kmax] */
    int64_t n_list;
    /* per-item stamp of the last group that listed it (duplicate check) */
    int64_t *stamp;
    int64_t stamp_cap;
    /* users already seen (grouping check) */
    uint8_t *seen;            /* [t->n_users] */
    tide_strmap extra;        /* users outside the truth dictionary (TSV truth) */
    int extra_ready;
    uint64_t line;
    int64_t n_groups;
} reader;

static tide_status bad(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static tide_status bad(reader *r, const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tide_error(TIDE_ERR_DATA, "%s:%llu: %s", r->path, (unsigned long long)r->line, msg);
}

/* Ids in messages are cut to keep a line readable. */
#define SHOW(len) (int)((len) > 120 ? 120 : (len))

static tide_status flush_group(reader *r) {
    if (!r->in_group) return TIDE_OK;
    r->in_group = 0;
    r->n_groups++;
    tide_status st = r->fn(r->ctx, r->cur_user, r->cur, r->list, r->n_list, r->n_recs);
    for (int64_t i = 0; i < r->n_list; i++) r->list[i] = -1;
    r->n_list = 0;
    return st;
}

static tide_status start_group(reader *r, const char *user, size_t ulen) {
    tide_status st = flush_group(r);
    if (st != TIDE_OK) return st;
    if (ulen + 1 > r->cur_cap) {
        size_t cap = ulen + 64;
        char *c = tide_realloc(r->cur, cap);
        if (!c) return TIDE_ERR_NOMEM;
        r->cur = c;
        r->cur_cap = cap;
    }
    memcpy(r->cur, user, ulen);
    r->cur[ulen] = 0;
    r->cur_len = ulen;
    int64_t u = tide_strmap_find(&r->t->users, user, ulen);
    if (u < 0) {
        if (r->t->from_dataset)
            return bad(r, "unknown user '%.*s' (not in the truth dataset's users.txt)", SHOW(ulen), user);
        if (!r->extra_ready) {
            if ((st = tide_strmap_init(&r->extra, 1024)) != TIDE_OK) return st;
            r->extra_ready = 1;
        }
        int64_t idx;
        int added;
        if ((st = tide_strmap_intern(&r->extra, user, ulen, &idx, &added)) != TIDE_OK) return st;
        if (!added) goto not_grouped;
    } else {
        if (r->seen[u]) goto not_grouped;
        r->seen[u] = 1;
    }
    r->cur_user = u;
    r->in_group = 1;
    r->group_seq++;
    r->prev_rank = 0;
    r->n_recs = 0;
    return TIDE_OK;
not_grouped:
    return bad(r, "lines of user '%.*s' are not grouped: the user already appeared on earlier lines "
                  "(each user's recommendations must be consecutive)", SHOW(ulen), user);
}

/* One recommendation line after field splitting. */
static tide_status accept(reader *r, const char *user, size_t ulen, const char *item, size_t ilen,
                          int64_t rank) {
    tide_status st;
    if (ulen == 0) return bad(r, "empty user id");
    if (ilen == 0) return bad(r, "empty item id");
    if (!r->in_group || ulen != r->cur_len || memcmp(user, r->cur, ulen) != 0)
        if ((st = start_group(r, user, ulen)) != TIDE_OK) return st;
    int64_t it = tide_strmap_find(&r->t->items, item, ilen);
    if (it < 0) {
        if (r->t->items_closed)
            return bad(r, "unknown item '%.*s' (not in the truth dataset's items.txt)", SHOW(ilen), item);
        int added;
        if ((st = tide_strmap_intern(&r->t->items, item, ilen, &it, &added)) != TIDE_OK) return st;
        if (it > INT32_MAX) return bad(r, "more than 2^31 distinct items");
    }
    if (it >= r->stamp_cap) {
        int64_t cap = r->stamp_cap ? r->stamp_cap : 1024;
        while (cap <= it) cap *= 2;
        int64_t *s = tide_realloc(r->stamp, (size_t)cap * sizeof *s);
        if (!s) return TIDE_ERR_NOMEM;
        memset(s + r->stamp_cap, 0, (size_t)(cap - r->stamp_cap) * sizeof *s);
        r->stamp = s;
        r->stamp_cap = cap;
    }
    if (rank <= r->prev_rank)
        return bad(r, "rank %lld does not increase within user '%.*s' (previous rank %lld); ranks must be "
                      "strictly increasing in each user's lines", (long long)rank, SHOW(r->cur_len), r->cur,
                   (long long)r->prev_rank);
    if (r->stamp[it] == r->group_seq)
        return bad(r, "duplicate item '%.*s' in the list of user '%.*s'", SHOW(ilen), item, SHOW(r->cur_len), r->cur);
    r->stamp[it] = r->group_seq;
    r->prev_rank = rank;
    r->n_recs++;
    if (rank <= r->kmax) {
        r->list[rank - 1] = (int32_t)it;
        if (rank > r->n_list) r->n_list = rank;
    }
    return TIDE_OK;
}

/* Positive integer, digits only. */
static int parse_rank(const char *s, size_t n, int64_t *out) {
    if (n == 0 || n > 18) return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9) return 0;
        v = v * 10 + d;
    }
    if (v < 1) return 0;
    *out = v;
    return 1;
}

/* A decimal number: [+-] digits [. digits] [(e|E) [+-] digits], or what strtod accepts
 * entirely except NaN (inf is allowed: masked items are sometimes scored -inf). */
static int valid_score(const char *s, size_t n) {
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    while (i < n && (unsigned)(s[i] - '0') <= 9) i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && (unsigned)(s[i] - '0') <= 9) i++, digits++;
    }
    if (digits && i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        while (i < n && (unsigned)(s[i] - '0') <= 9) i++, e++;
        if (!e) return 0;
    }
    if (digits && i == n) return 1;
    char tmp[64];
    if (n == 0 || n >= sizeof tmp) return 0;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    double d = strtod(tmp, &end);
    return *end == 0 && !isnan(d);
}

static tide_status tsv_line(reader *r, const char *p, const char *end) {
    const char *t1 = memchr(p, '\t', (size_t)(end - p));
    const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(end - t1 - 1)) : NULL;
    const char *t3 = t2 ? memchr(t2 + 1, '\t', (size_t)(end - t2 - 1)) : NULL;
    if (!t3 || memchr(t3 + 1, '\t', (size_t)(end - t3 - 1))) {
        int nf = 1;
        for (const char *q = p; q < end; q++) nf += *q == '\t';
        return bad(r, "malformed line: expected 4 tab-separated fields 'user item rank score', found %d", nf);
    }
    int64_t rank;
    if (!parse_rank(t2 + 1, (size_t)(t3 - t2 - 1), &rank))
        return bad(r, "rank '%.*s' is not a positive integer", SHOW(t3 - t2 - 1), t2 + 1);
    if (!valid_score(t3 + 1, (size_t)(end - t3 - 1)))
        return bad(r, "score '%.*s' is not a number", SHOW(end - t3 - 1), t3 + 1);
    return accept(r, p, (size_t)(t1 - p), t1 + 1, (size_t)(t2 - t1 - 1), rank);
}

/* A JSON id: a string, or an integer written without exponent. */
static int json_id(const cJSON *v, char *buf, size_t cap, const char **s, size_t *n) {
    if (cJSON_IsString(v)) {
        *s = v->valuestring;
        *n = strlen(v->valuestring);
        return 1;
    }
    if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9e15) {
        *n = (size_t)snprintf(buf, cap, "%lld", (long long)v->valuedouble);
        *s = buf;
        return 1;
    }
    return 0;
}

static tide_status jsonl_line(reader *r, const char *p, const char *end) {
    tide_status st;
    cJSON *o = cJSON_ParseWithLength(p, (size_t)(end - p));
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return bad(r, "malformed line: not a JSON object");
    }
    char ub[32], ib[32];
    const char *u, *it;
    size_t ul, il;
    const cJSON *jr = cJSON_GetObjectItemCaseSensitive(o, "rank");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(o, "score");
    if (!json_id(cJSON_GetObjectItemCaseSensitive(o, "user"), ub, sizeof ub, &u, &ul)) {
        st = bad(r, "malformed line: \"user\" missing or not a string");
    } else if (!json_id(cJSON_GetObjectItemCaseSensitive(o, "item"), ib, sizeof ib, &it, &il)) {
        st = bad(r, "malformed line: \"item\" missing or not a string");
    } else if (!cJSON_IsNumber(jr) || jr->valuedouble < 1 || jr->valuedouble != floor(jr->valuedouble) ||
               jr->valuedouble > 1e15) {
        st = bad(r, "rank is missing or not a positive integer");
    } else if (!cJSON_IsNumber(js) || isnan(js->valuedouble)) {
        st = bad(r, "score is missing or not a number");
    } else {
        st = accept(r, u, ul, it, il, (int64_t)jr->valuedouble);
    }
    cJSON_Delete(o);
    return st;
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

tide_status tide_recs_read(const char *path, tide_recs_format format, tide_eval_truth *t, int kmax,
                           tide_recs_group_fn fn, void *ctx, tide_recs_stats *stats) {
    reader r;
    memset(&r, 0, sizeof r);
    memset(stats, 0, sizeof *stats);
    r.path = path;
    r.t = t;
    r.kmax = kmax;
    r.fn = fn;
    r.ctx = ctx;
    r.line = 0;
    tide_status st = TIDE_OK;
    int fd = -1;
    char *buf = NULL;
    size_t cap = BLOCK, have = 0;
    uint32_t crc = 0;
    r.list = tide_malloc((size_t)kmax * sizeof *r.list);
    r.seen = tide_calloc((size_t)(t->n_users > 0 ? t->n_users : 1), 1);
    buf = tide_malloc(cap + 1);
    if (!r.list || !r.seen || !buf) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < kmax; i++) r.list[i] = -1;
    if (format == TIDE_RECS_AUTO) {
        if (ends_with(path, ".jsonl") || ends_with(path, ".json") || ends_with(path, ".ndjson")) format = TIDE_RECS_JSONL;
        else if (ends_with(path, ".tsv") || ends_with(path, ".txt")) format = TIDE_RECS_TSV;
    }
    fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        st = tide_error(TIDE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    for (int eof = 0; !eof;) {
        if (have == cap) { /* one line longer than the buffer: grow */
            char *nb = tide_realloc(buf, cap * 2 + 1);
            if (!nb) {
                st = TIDE_ERR_NOMEM;
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + have, cap - have);
        if (got < 0) {
            if (errno == EINTR) continue;
            st = tide_error(TIDE_ERR_IO, "%s: read failed: %s", path, strerror(errno));
            goto done;
        }
        crc = tide_crc32(crc, buf + have, (size_t)got);
        stats->bytes += (uint64_t)got;
        if (format == TIDE_RECS_AUTO && have + (size_t)got > 0) {
            size_t i = 0;
            while (i < have + (size_t)got && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')) i++;
            if (i < have + (size_t)got) format = buf[i] == '{' ? TIDE_RECS_JSONL : TIDE_RECS_TSV;
        }
        have += (size_t)got;
        eof = got == 0;
        if (eof && have > 0 && buf[have - 1] != '\n') buf[have++] = '\n'; /* last line without newline */
        char *p = buf, *bend = buf + have;
        for (;;) {
            char *nl = memchr(p, '\n', (size_t)(bend - p));
            if (!nl) break;
            r.line++;
            char *end = nl;
            if (end > p && end[-1] == '\r') end--;
            if (end > p) {
                st = format == TIDE_RECS_JSONL ? jsonl_line(&r, p, end) : tsv_line(&r, p, end);
                if (st != TIDE_OK) goto done;
            }
            p = nl + 1;
        }
        have = (size_t)(bend - p);
        memmove(buf, p, have);
    }
    st = flush_group(&r);
    stats->format = format == TIDE_RECS_JSONL ? TIDE_RECS_JSONL : TIDE_RECS_TSV;
    snprintf(stats->checksum, sizeof stats->checksum, "crc32:%08x", crc);
    stats->lines = r.line;
    stats->n_groups = r.n_groups;
done:
    if (fd > 0) close(fd);
    free(buf);
    free(r.list);
    free(r.seen);
    free(r.stamp);
    free(r.cur);
    if (r.extra_ready) tide_strmap_free(&r.extra);
    return st;
}
