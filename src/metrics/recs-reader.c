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
#include <sys/mman.h>
#include <unistd.h>

#include "tide/fileio.h"

#define BLOCK (16u << 20)

/* Item lookup is the hot spot (one per line). tide_strmap keeps hashes, slots, key pointers and
 * key bytes in separate arrays: four or five cache misses per lookup on a large catalog. This
 * read-side index packs hash, index and (short) key bytes into one 32-byte slot, so a lookup
 * usually touches a single cache line. It mirrors t->items and is rebuilt from it. */
#define INLINE_KEY 19
typedef struct {
    uint64_t h;
    int32_t idx;      /* -1 = empty */
    uint8_t len;      /* 255: key longer than INLINE_KEY, compared in t->items */
    char key[INLINE_KEY];
} item_slot;

typedef struct {
    item_slot *slots;
    uint64_t mask;
    int64_t count;
} item_index;

/* The index's own hash: word at a time (ids are short), much cheaper than a byte loop. */
static inline uint64_t fast_hash(const char *p, size_t n) {
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    /* Full 64-bit finaliser (murmur3 fmix64): the slot is taken from the low bits, which must
     * depend on every byte (ids often differ only in their last characters). */
    h ^= w;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static void item_index_put(item_index *x, const tide_strmap *m, int64_t idx, uint64_t h) {
    uint64_t j = h & x->mask;
    while (x->slots[j].idx >= 0) j = (j + 1) & x->mask;
    item_slot *e = &x->slots[j];
    size_t len = m->lens[idx];
    e->h = h;
    e->idx = (int32_t)idx;
    if (len <= INLINE_KEY) {
        e->len = (uint8_t)len;
        memcpy(e->key, m->keys[idx], len);
    } else {
        e->len = 255;
    }
    x->count++;
}

/* (Re)build with room for at least `need` keys at load <= 1/2. */
static tide_status item_index_build(item_index *x, const tide_strmap *m, int64_t need) {
    uint64_t cap = 1024;
    while (cap < (uint64_t)need * 2) cap <<= 1;
    /* Random probes into a table of megabytes miss the TLB as much as the cache: ask for huge
     * pages (transparent huge pages in "madvise" mode need the hint and 2 MiB alignment). */
    item_slot *s = NULL;
    size_t bytes = cap * sizeof *s;
    if (bytes >= (2u << 20)) {
        void *mem = NULL;
        if (posix_memalign(&mem, 2u << 20, bytes) == 0) {
            s = mem;
            madvise(mem, bytes, MADV_HUGEPAGE);
        }
    } else {
        s = tide_malloc(bytes);
    }
    if (!s) return tide_error(TIDE_ERR_NOMEM, "out of memory for an item index of %zu bytes", bytes);
    for (uint64_t i = 0; i < cap; i++) s[i].idx = -1;
    free(x->slots);
    x->slots = s;
    x->mask = cap - 1;
    x->count = 0;
    for (int64_t i = 0; i < m->count; i++) item_index_put(x, m, i, fast_hash(m->keys[i], m->lens[i]));
    return TIDE_OK;
}

/* Equality of short ids without a libc call (ids are mostly a few bytes). */
static inline int same_bytes(const char *a, const char *b, size_t n) {
    if (n > 24) return memcmp(a, b, n) == 0;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static inline int64_t item_index_find(const item_index *x, const tide_strmap *m, const char *key, size_t len,
                                      uint64_t h) {
    uint64_t j = h & x->mask;
    for (;;) {
        const item_slot *e = &x->slots[j];
        if (e->idx < 0) return -1;
        if (e->h == h) {
            if (e->len == len && len <= INLINE_KEY) {
                if (same_bytes(e->key, key, len)) return e->idx;
            } else if (e->len == 255 && m->lens[e->idx] == len && memcmp(m->keys[e->idx], key, len) == 0) {
                return e->idx;
            }
        }
        j = (j + 1) & x->mask;
    }
}

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
    /* items of the current group (duplicate check): a small open-addressing set that stays in
     * L1, entries valid when their generation equals group_seq */
    struct { int32_t item; uint32_t gen; } *dup;
    uint32_t dup_mask;
    /* users already seen (grouping check) */
    uint8_t *seen;            /* [t->n_users] */
    tide_strmap extra;        /* users outside the truth dictionary (TSV truth) */
    item_index items;
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
    if ((uint32_t)r->group_seq == 0) { /* generation wrapped: 0 means empty */
        memset(r->dup, 0, ((size_t)r->dup_mask + 1) * sizeof *r->dup);
        r->group_seq++;
    }
    r->prev_rank = 0;
    r->n_recs = 0;
    return TIDE_OK;
not_grouped:
    return bad(r, "lines of user '%.*s' are not grouped: the user already appeared on earlier lines "
                  "(each user's recommendations must be consecutive)", SHOW(ulen), user);
}

/* Double the duplicate set, re-inserting the current group's items. */
static tide_status dup_grow(reader *r) {
    uint32_t cap = (r->dup_mask + 1) * 2, gen = (uint32_t)r->group_seq;
    void *n = tide_calloc(cap, sizeof *r->dup);
    if (!n) return TIDE_ERR_NOMEM;
    __typeof__(r->dup) nd = n;
    for (uint32_t i = 0; i <= r->dup_mask; i++) {
        if (r->dup[i].gen != gen) continue;
        uint32_t j = (uint32_t)((uint64_t)r->dup[i].item * 0x9e3779b97f4a7c15ull >> 32) & (cap - 1);
        while (nd[j].gen == gen) j = (j + 1) & (cap - 1);
        nd[j] = r->dup[i];
    }
    free(r->dup);
    r->dup = nd;
    r->dup_mask = cap - 1;
    return TIDE_OK;
}

/* One recommendation line after field splitting. */
/* `h` is the item's hash and `hint` its index if already looked up (-2 = not looked up). */
static tide_status accept(reader *r, const char *user, size_t ulen, const char *item, size_t ilen,
                          int64_t rank, uint64_t h, int64_t hint) {
    tide_status st;
    if (ulen == 0) return bad(r, "empty user id");
    if (ilen == 0) return bad(r, "empty item id");
    if (!r->in_group || ulen != r->cur_len || !same_bytes(user, r->cur, ulen))
        if ((st = start_group(r, user, ulen)) != TIDE_OK) return st;
    /* The hint is only trusted when found: an earlier line of the batch may have added the item. */
    int64_t it = hint >= 0 ? hint : item_index_find(&r->items, &r->t->items, item, ilen, h);
    if (it < 0) {
        if (r->t->items_closed)
            return bad(r, "unknown item '%.*s' (not in the truth dataset's items.txt)", SHOW(ilen), item);
        int added;
        if ((st = tide_strmap_intern(&r->t->items, item, ilen, &it, &added)) != TIDE_OK) return st;
        if (it > INT32_MAX) return bad(r, "more than 2^31 distinct items");
        if ((uint64_t)(r->items.count + 1) * 2 > r->items.mask + 1) {
            if ((st = item_index_build(&r->items, &r->t->items, r->t->items.count * 2)) != TIDE_OK) return st;
        } else {
            item_index_put(&r->items, &r->t->items, it, h);
        }
    }
    if (rank <= r->prev_rank)
        return bad(r, "rank %lld does not increase within user '%.*s' (previous rank %lld); ranks must be "
                      "strictly increasing in each user's lines", (long long)rank, SHOW(r->cur_len), r->cur,
                   (long long)r->prev_rank);
    if ((uint64_t)(r->n_recs + 1) * 2 > (uint64_t)r->dup_mask + 1 && (st = dup_grow(r)) != TIDE_OK) return st;
    uint32_t gen = (uint32_t)r->group_seq, j = (uint32_t)((uint64_t)it * 0x9e3779b97f4a7c15ull >> 32) & r->dup_mask;
    while (r->dup[j].gen == gen) {
        if (r->dup[j].item == (int32_t)it)
            return bad(r, "duplicate item '%.*s' in the list of user '%.*s'", SHOW(ilen), item, SHOW(r->cur_len), r->cur);
        j = (j + 1) & r->dup_mask;
    }
    r->dup[j].item = (int32_t)it;
    r->dup[j].gen = gen;
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

/* TSV lines are handled in batches so the item lookups' cache misses overlap: split and hash
 * every line and prefetch its slot, look the items up, then validate and accept the lines in
 * order (errors still come out for the first bad line). */
#define BATCH 64

/* Bytes of w equal to the byte of pat: the lowest flagged byte is exact (higher ones may not be). */
static inline uint64_t has_byte(uint64_t w, uint64_t pat) {
    uint64_t x = w ^ pat;
    return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}
typedef struct {
    const char *p, *end, *t1, *t2, *t3;
    uint64_t line, h;
    int64_t it;
} pending;

static tide_status tsv_batch(reader *r, pending *b, int n) {
    for (int i = 0; i < n; i++) {
        pending *x = &b[i];
        x->it = -2; /* t1..t3: the first three tabs, found by the scanner; a fourth fails the score */
        if (!x->t3) continue;
        x->h = fast_hash(x->t1 + 1, (size_t)(x->t2 - x->t1 - 1));
        __builtin_prefetch(&r->items.slots[x->h & r->items.mask]);
    }
    for (int i = 0; i < n; i++) {
        pending *x = &b[i];
        if (!x->t3) continue;
        x->it = item_index_find(&r->items, &r->t->items, x->t1 + 1, (size_t)(x->t2 - x->t1 - 1), x->h);
    }
    for (int i = 0; i < n; i++) {
        pending *x = &b[i];
        const char *p = x->p, *end = x->end, *t1 = x->t1, *t2 = x->t2, *t3 = x->t3;
        r->line = x->line;
        int score_ok = t3 && valid_score(t3 + 1, (size_t)(end - t3 - 1));
        if (!t3 || (!score_ok && memchr(t3 + 1, '\t', (size_t)(end - t3 - 1)))) {
            int nf = 1;
            for (const char *q = p; q < end; q++) nf += *q == '\t';
            return bad(r, "malformed line: expected 4 tab-separated fields 'user item rank score', found %d", nf);
        }
        int64_t rank;
        if (!parse_rank(t2 + 1, (size_t)(t3 - t2 - 1), &rank))
            return bad(r, "rank '%.*s' is not a positive integer", SHOW(t3 - t2 - 1), t2 + 1);
        if (!score_ok) return bad(r, "score '%.*s' is not a number", SHOW(end - t3 - 1), t3 + 1);
        tide_status st = accept(r, p, (size_t)(t1 - p), t1 + 1, (size_t)(t2 - t1 - 1), rank, x->h, x->it);
        if (st != TIDE_OK) return st;
    }
    return TIDE_OK;
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
        st = accept(r, u, ul, it, il, (int64_t)jr->valuedouble, fast_hash(it, il), -2);
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
    pending batch[BATCH];
    uint64_t lines = 0;
    size_t cap = BLOCK, have = 0;
    uint32_t crc = 0;
    r.list = tide_malloc((size_t)kmax * sizeof *r.list);
    r.seen = tide_calloc((size_t)(t->n_users > 0 ? t->n_users : 1), 1);
    buf = tide_malloc(cap + 16); /* room for a final '\n' and the scanner's sentinel word */
    if (!r.list || !r.seen || !buf) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < kmax; i++) r.list[i] = -1;
    if ((st = item_index_build(&r.items, &t->items, t->items.count)) != TIDE_OK) goto done;
    r.dup = tide_calloc(256, sizeof *r.dup);
    r.dup_mask = 255;
    if (!r.dup) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
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
            char *nb = tide_realloc(buf, cap * 2 + 16);
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
        int nb = 0;
        if (format == TIDE_RECS_JSONL) {
            for (;;) {
                char *nl = memchr(p, '\n', (size_t)(bend - p));
                if (!nl) break;
                lines++;
                char *end = nl;
                if (end > p && end[-1] == '\r') end--;
                r.line = lines;
                if (end > p && (st = jsonl_line(&r, p, end)) != TIDE_OK) goto done; /* blank lines carry nothing */
                p = nl + 1;
            }
        } else {
            /* One pass finds the line end and its first three tabs, 8 bytes at a time. A '\n'
             * sentinel after the data stops the scan; the buffer has 8 spare bytes after it. */
            memset(bend, '\n', 8);
            for (;;) {
                const char *q = p, *tabs[3] = {NULL, NULL, NULL};
                int nt = 0;
                for (;;) {
                    uint64_t w;
                    memcpy(&w, q, 8);
                    uint64_t m = has_byte(w, 0x0a0a0a0a0a0a0a0aull) | (nt < 3 ? has_byte(w, 0x0909090909090909ull) : 0);
                    if (!m) {
                        q += 8;
                        continue;
                    }
                    q += __builtin_ctzll(m) >> 3;
                    if (*q == '\n') break;
                    tabs[nt++] = q++;
                }
                if (q >= bend) break; /* incomplete line: wait for more data */
                lines++;
                const char *end = q;
                if (end > p && end[-1] == '\r') end--;
                if (end > p) {
                    batch[nb++] = (pending){.p = p, .end = end, .t1 = tabs[0], .t2 = tabs[1], .t3 = tabs[2], .line = lines};
                    if (nb == BATCH) {
                        nb = 0;
                        if ((st = tsv_batch(&r, batch, BATCH)) != TIDE_OK) goto done;
                    }
                }
                p = (char *)q + 1;
            }
        }
        /* The batch points into the buffer: finish it before the buffer moves. */
        if (nb > 0 && (st = tsv_batch(&r, batch, nb)) != TIDE_OK) goto done;
        have = (size_t)(bend - p);
        memmove(buf, p, have);
    }
    st = flush_group(&r);
    stats->format = format == TIDE_RECS_JSONL ? TIDE_RECS_JSONL : TIDE_RECS_TSV;
    snprintf(stats->checksum, sizeof stats->checksum, "crc32:%08x", crc);
    stats->lines = lines;
    stats->n_groups = r.n_groups;
done:
    if (fd > 0) close(fd);
    free(buf);
    free(r.list);
    free(r.seen);
    free(r.dup);
    free(r.cur);
    free(r.items.slots);
    if (r.extra_ready) tide_strmap_free(&r.extra);
    return st;
}
