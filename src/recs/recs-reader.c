/* recs-reader.c — streaming reader of recommendation files (docs/formats.md): TSV
 * `user item rank score` or JSON lines with the same fields, from a file or stdin.
 *
 * Speed matters (10^8 lines in nightly jobs). A regular TSV file is mapped (stdin and pipes are
 * read in blocks) and each span is checksummed just before it is parsed, while it is in cache.
 * recs-scan.c checks each common line from one 64-byte window and prefetches its item's index
 * bucket; here the lines are accepted a batch later, when the buckets have arrived, so the cache
 * misses overlap. A user id is looked up only when the user changes, ranks must increase (no
 * sort), and duplicates are found with one generation stamp per item. Lines the scanner did
 * not vouch for are parsed again by the exact code below, so every rejected line is
 * TIDE_ERR_DATA "file:line: reason" whichever path saw it first. */
#define _GNU_SOURCE
#include "tide/recs.h"
#include "tide/eval.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recs-scan.h"
#include "tide/json.h"
#include "tide/fileio.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define RECS_X86 1
#endif

#define BLOCK (1u << 20)   /* read(2) block */
#define SPAN (256u << 10)  /* mapped input: checksummed, then parsed while still in L2 */
#define DROP (32u << 20)   /* mapped bytes released at a time behind the parser */
#define SHORT_ID 16         /* user ids up to this length are compared as two words */

/* Item lookup is the hot spot (one per line, into a table of megabytes). tide_strmap keeps
 * hashes, slots, key pointers and key bytes in separate arrays; this read-side index packs an
 * id's key and index into a 16-byte slot, four slots to a 64-byte bucket: a lookup compares the
 * four keys of its home bucket at once (no data-dependent branch, unlike slot-by-slot probing)
 * and touches one cache line unless the bucket overflowed (rare at load <= 1/2). The slot also holds the
 * item's duplicate-check stamp (the generation of the last list that had it), so that check
 * costs no second miss. It mirrors t->items.
 *
 * Key of an id: up to 7 bytes, its bytes with the length in the top byte (0..7); 8 bytes whose
 * last byte is >= 8, its bytes (the top byte is then >= 8: the two kinds never meet); any other
 * id is "long": a 64-bit hash, flagged in the slot and confirmed against t->items. */
#define LONG_FLAG 0x80000000u
#define EMPTY 0xffffffffu
typedef struct {
    uint64_t key;
    uint32_t tag;   /* item index | LONG_FLAG for a long id; EMPTY */
    uint32_t stamp;
} item_slot;

typedef struct {
    item_slot *slots;   /* [4 * (mask + 1)], 64-byte aligned */
    uint64_t mask;      /* buckets - 1 */
    int shift;          /* 64 - log2(buckets) */
    int64_t count;
} item_index;

/* Hash of a long id, word at a time, with a full 64-bit finaliser. */
static uint64_t long_hash(const char *p, size_t n) {
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull;
    while (n >= 8) {
        h = (h ^ tide_recs_load64(p)) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    h ^= w;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

/* Key and long flag of the id s[0..n), given w0 = its first min(n, 8) bytes zero-padded. */
static inline uint64_t item_key(uint64_t w0, const char *s, size_t n, uint32_t *flag) {
    uint64_t k = tide_recs_short_key(w0, n);
    *flag = k ? 0 : LONG_FLAG;
    return k ? k : long_hash(s, n);
}

static inline uint64_t item_key_of(const char *s, size_t n, uint32_t *flag) {
    char tmp[8] = {0};
    memcpy(tmp, s, n < 8 ? n : 8);
    return item_key(tide_recs_load64(tmp), s, n, flag);
}

static inline uint64_t slot_of(const item_index *x, uint64_t key) { return tide_recs_home(key, x->shift); }

/* Into the first free slot of the home bucket or the buckets after it, so that a lookup can
 * stop at the first bucket with a free slot. */
static void item_index_insert(item_index *x, const item_slot *e) {
    for (uint64_t b = slot_of(x, e->key);; b = (b + 1) & x->mask)
        for (int i = 0; i < 4; i++)
            if (x->slots[4 * b + i].tag == EMPTY) {
                x->slots[4 * b + i] = *e;
                x->count++;
                return;
            }
}

static void item_index_put(item_index *x, const tide_strmap *m, int64_t idx) {
    uint32_t flag;
    item_slot e = {.key = item_key_of(m->keys[idx], m->lens[idx], &flag), .stamp = 0};
    e.tag = (uint32_t)idx | flag;
    item_index_insert(x, &e);
}

/* Room for `need` keys at load <= 1/2. */
static int item_index_full(const item_index *x, int64_t need) { return (uint64_t)need * 2 > 4 * (x->mask + 1); }

/* (Re)build with room for at least `need` keys: the old slots (stamps kept), then the
 * dictionary's keys the index did not have yet. */
static tide_status item_index_build(item_index *x, const tide_strmap *m, int64_t need) {
    uint64_t cap = 64; /* slots: a small dictionary gets a small index (it doubles as it grows) */
    int bits = 4;      /* log2(buckets), buckets = cap / 4 */
    while ((uint64_t)need * 2 > cap) cap <<= 1, bits++;
    /* Random probes into a table of megabytes miss the TLB as much as the cache: huge pages. */
    size_t bytes = cap * sizeof(item_slot);
    item_slot *s = tide_calloc_large(cap, sizeof *s);
    if (!s) return tide_error(TIDE_ERR_NOMEM, "out of memory for an item index of %zu bytes", bytes);
    for (uint64_t i = 0; i < cap; i++) s[i] = (item_slot){.key = 0, .tag = EMPTY, .stamp = 0};
    item_index old = *x;
    x->slots = s;
    x->mask = (cap >> 2) - 1;
    x->shift = 64 - bits;
    x->count = 0;
    if (old.slots)
        for (uint64_t i = 0; i < 4 * (old.mask + 1); i++)
            if (old.slots[i].tag != EMPTY) item_index_insert(x, &old.slots[i]);
    free(old.slots);
    for (int64_t i = x->count; i < m->count; i++) item_index_put(x, m, i);
    return TIDE_OK;
}

/* The slot of an id (key and flag from item_key, h = slot_of(key)), or NULL. */
static inline item_slot *item_index_find(const item_index *x, const tide_strmap *m, const char *id, size_t len,
                                         uint64_t key, uint32_t flag, uint64_t h) {
    for (uint64_t b = h;; b = (b + 1) & x->mask) {
        item_slot *s = &x->slots[4 * b];
        unsigned hit = (unsigned)(s[0].key == key) | (unsigned)(s[1].key == key) << 1 |
                       (unsigned)(s[2].key == key) << 2 | (unsigned)(s[3].key == key) << 3;
        for (; hit; hit &= hit - 1) {
            item_slot *e = &s[__builtin_ctz(hit)];
            if (e->tag == EMPTY || (e->tag & LONG_FLAG) != flag) continue;
            if (!flag) return e;
            uint32_t idx = e->tag & ~LONG_FLAG;
            if (m->lens[idx] == len && memcmp(m->keys[idx], id, len) == 0) return e;
        }
        if ((s[0].tag == EMPTY) | (s[1].tag == EMPTY) | (s[2].tag == EMPTY) | (s[3].tag == EMPTY)) return NULL;
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
    uint64_t cur_w0, cur_w1;  /* its words when short */
    int in_group;
    int64_t cur_user;         /* dictionary index or -1 */
    uint32_t group_seq;       /* generation of the current group, never 0 */
    int64_t prev_rank;
    int64_t n_recs;
    int32_t *list;            /* [kmax] */
    int64_t n_list;
    /* users already seen (grouping check) */
    uint8_t *seen;            /* [t->n_users] */
    tide_strmap extra;        /* users outside the truth dictionary (TSV truth) */
    item_index items;
    int extra_ready;
    uint64_t line;            /* the line being accepted (messages) */
    tide_recs_scan_state scan;
    int64_t n_groups;
    int avx512;               /* accept_run_avx512 can run */
    size_t pf_len;            /* the user last prefetched (words when short) */
    uint64_t pf_w0, pf_w1;
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
    r->cur_w0 = r->cur_w1 = 0;
    if (ulen <= SHORT_ID) tide_recs_id_words(user, ulen, &r->cur_w0, &r->cur_w1);
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
    if (++r->group_seq == 0) { /* generation wrapped: 0 means "in no list" */
        for (uint64_t i = 0; i < 4 * (r->items.mask + 1); i++) r->items.slots[i].stamp = 0;
        r->group_seq = 1;
    }
    r->prev_rank = 0;
    r->n_recs = 0;
    return TIDE_OK;
not_grouped:
    return bad(r, "lines of user '%.*s' are not grouped: the user already appeared on earlier lines "
                  "(each user's recommendations must be consecutive)", SHOW(ulen), user);
}

/* The line's user: continue the current group or start the next one. */
static inline tide_status user_of_line(reader *r, const char *user, size_t ulen, uint64_t w0, uint64_t w1) {
    if (r->in_group && ulen == r->cur_len &&
        (ulen <= SHORT_ID ? (w0 == r->cur_w0 && w1 == r->cur_w1) : memcmp(user, r->cur, ulen) == 0))
        return TIDE_OK;
    return start_group(r, user, ulen);
}

/* An item not in the index: an error with a closed dictionary, else added to it. */
static tide_status new_item(reader *r, const char *item, size_t ilen, uint64_t key, uint32_t flag, item_slot **e) {
    tide_status st;
    if (r->t->items_closed)
        return bad(r, "unknown item '%.*s' (not in the truth dataset's items.txt)", SHOW(ilen), item);
    int added;
    int64_t it;
    if ((st = tide_strmap_intern(&r->t->items, item, ilen, &it, &added)) != TIDE_OK) return st;
    if (it >= INT32_MAX) return bad(r, "more than 2^31 - 1 distinct items");
    if (item_index_full(&r->items, r->items.count + 1)) {
        if ((st = item_index_build(&r->items, &r->t->items, r->t->items.count * 2)) != TIDE_OK) return st;
    } else {
        item_index_put(&r->items, &r->t->items, it);
    }
    *e = item_index_find(&r->items, &r->t->items, item, ilen, key, flag, slot_of(&r->items, key));
    return *e ? TIDE_OK : tide_error(TIDE_ERR_INTERNAL, "item index out of step with the item dictionary");
}

/* The item of slot e at `rank` in the current group: rank order, duplicates, the list. */
static inline tide_status place(reader *r, item_slot *e, int64_t rank, const char *item, size_t ilen) {
    if (rank <= r->prev_rank)
        return bad(r, "rank %lld does not increase within user '%.*s' (previous rank %lld); ranks must be "
                      "strictly increasing in each user's lines", (long long)rank, SHOW(r->cur_len), r->cur,
                   (long long)r->prev_rank);
    if (e->stamp == r->group_seq)
        return bad(r, "duplicate item '%.*s' in the list of user '%.*s'", SHOW(ilen), item, SHOW(r->cur_len), r->cur);
    e->stamp = r->group_seq;
    r->prev_rank = rank;
    r->n_recs++;
    if (rank <= r->kmax) {
        r->list[rank - 1] = (int32_t)(e->tag & ~LONG_FLAG);
        if (rank > r->n_list) r->n_list = rank;
    }
    return TIDE_OK;
}

/* One recommendation line after field splitting (JSON lines and the TSV lines the scanner did
 * not check). */
static tide_status accept(reader *r, const char *user, size_t ulen, const char *item, size_t ilen, int64_t rank) {
    tide_status st;
    if (ulen == 0) return bad(r, "empty user id");
    if (ilen == 0) return bad(r, "empty item id");
    uint64_t u0 = 0, u1 = 0;
    if (ulen <= SHORT_ID) tide_recs_id_words(user, ulen, &u0, &u1);
    if ((st = user_of_line(r, user, ulen, u0, u1)) != TIDE_OK) return st;
    uint32_t flag;
    uint64_t key = item_key_of(item, ilen, &flag);
    item_slot *e = item_index_find(&r->items, &r->t->items, item, ilen, key, flag, slot_of(&r->items, key));
    if (!e && (st = new_item(r, item, ilen, key, flag, &e)) != TIDE_OK) return st;
    return place(r, e, rank, item, ilen);
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

/* A TSV line the scanner did not check: split, validate with exact messages, accept. */
static tide_status tsv_line_exact(reader *r, const char *p, const char *end) {
    const char *t[3] = {NULL, NULL, NULL};
    int nt = 0;
    for (const char *q = p; q < end && nt < 3; q++)
        if (*q == '\t') t[nt++] = q;
    const char *t1 = t[0], *t2 = t[1], *t3 = t[2];
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
    return accept(r, p, (size_t)(t1 - p), t1 + 1, (size_t)(t2 - t1 - 1), rank);
}

/* Lines are handled in batches so the lookups' cache misses overlap: the scanner checks a batch
 * and prefetches the home buckets of its items (long ids are hashed and prefetched here, with each
 * new user's dictionary slot), and the batch is accepted in order while the next one is being
 * scanned (errors still come out for the first bad line). */
typedef struct {
    tide_recs_lines l; /* fast = 2 marks a long item id, hashed by batch_prefetch */
    int shift;         /* the index size the home buckets are for (it may grow meanwhile) */
    int n;
} batch;

static void batch_prefetch(reader *r, batch *b) {
    tide_recs_lines *x = &b->l;
    for (int i = 0; i < b->n; i++) {
        if (!x->fast[i] || (x->same[i] && x->key[i])) continue;
        if (!x->key[i]) { /* a long item id: its hash is the key, and fast = 2 says so */
            x->key[i] = long_hash(x->p[i] + x->t1[i] + 1, x->ilen[i]);
            x->home[i] = (uint32_t)slot_of(&r->items, x->key[i]);
            x->fast[i] = 2;
            __builtin_prefetch(&r->items.slots[4 * (uint64_t)x->home[i]]);
        }
        if (!x->same[i]) { /* maybe a new user: its dictionary lookup will follow */
            size_t ulen = x->t1[i];
            uint64_t u0 = 0, u1 = 0;
            if (ulen <= SHORT_ID) tide_recs_id_words(x->p[i], ulen, &u0, &u1);
            if (ulen != r->pf_len || (ulen <= SHORT_ID ? u0 != r->pf_w0 || u1 != r->pf_w1 : 1)) {
                r->pf_len = ulen;
                r->pf_w0 = u0;
                r->pf_w1 = u1;
                tide_strmap_prefetch(&r->t->users, tide_hash_bytes(x->p[i], ulen));
            }
        }
    }
}

/* The common run: lines the scanner vouched for, of the current user, whose short item id is
 * in its home bucket, in rank order and not repeated. The reader's state is kept in locals
 * while the run lasts; the first line that is anything else is left to the general path
 * (new items, overflowing buckets, errors with their messages). Returns the line it stopped at.
 * Instantiated twice (scalar, AVX-512): FIND sets `hit`, whose bit (s << SH) says that slot s of
 * the bucket holds the key. */
#define ACCEPT_RUN(FIND, SH)                                                                           \
    const item_slot *slots = r->items.slots;                                                       \
    const uint32_t seq = r->group_seq;                                                             \
    const int64_t kmax = r->kmax;                                                                  \
    int32_t *list = r->list;                                                                       \
    int64_t prev = r->prev_rank, nrecs = r->n_recs, nlist = r->n_list;                             \
    for (; i < n && x->fast[i] == 1 && x->same[i]; i++) {                                          \
        uint64_t key = x->key[i];                                                                  \
        item_slot *sl = (item_slot *)&slots[4 * (uint64_t)x->home[i]];                             \
        unsigned hit;                                                                              \
        FIND;                                                                                      \
        if (!hit) break;                                                                           \
        item_slot *e = &sl[__builtin_ctz(hit) >> (SH)];                                            \
        int64_t rank = x->rank[i];                                                                 \
        if ((e->tag & LONG_FLAG) | (rank <= prev) | (e->stamp == seq)) break;                      \
        e->stamp = seq;                                                                            \
        prev = rank;                                                                               \
        nrecs++;                                                                                   \
        if (rank <= kmax) {                                                                        \
            list[rank - 1] = (int32_t)e->tag;                                                      \
            if (rank > nlist) nlist = rank;                                                        \
        }                                                                                          \
    }                                                                                              \
    r->prev_rank = prev;                                                                           \
    r->n_recs = nrecs;                                                                             \
    r->n_list = nlist;                                                                             \
    return i;

static int accept_run(reader *r, const tide_recs_lines *x, int i, int n) {
    ACCEPT_RUN(hit = (unsigned)(sl[0].key == key) | (unsigned)(sl[1].key == key) << 1 |
                     (unsigned)(sl[2].key == key) << 2 | (unsigned)(sl[3].key == key) << 3, 0)
}

#ifdef RECS_X86
/* The four keys of a bucket compared by one AVX-512 instruction: which slot holds the key is
 * random, and the scalar compares compile to branches that mispredict. */
__attribute__((target("avx512f"))) static int accept_run_avx512(reader *r, const tide_recs_lines *x, int i, int n) {
    ACCEPT_RUN(hit = _mm512_mask_cmpeq_epi64_mask(0x55, _mm512_loadu_si512((const void *)sl), _mm512_set1_epi64((long long)key)), 1)
}
#endif

static tide_status batch_accept(reader *r, const batch *b) {
    const tide_recs_lines *x = &b->l;
    for (int i = 0; i < b->n; i++) {
        tide_status st;
        if (x->fast[i] == 1 && x->same[i] && r->in_group && b->shift == r->items.shift) {
#ifdef RECS_X86
            i = r->avx512 ? accept_run_avx512(r, x, i, b->n) : accept_run(r, x, i, b->n);
#else
            i = accept_run(r, x, i, b->n);
#endif
            if (i == b->n) break;
        }
        r->line = x->line[i];
        if (!x->fast[i]) {
            if ((st = tsv_line_exact(r, x->p[i], x->p[i] + x->len[i])) != TIDE_OK) return st;
            continue;
        }
        const char *item = x->p[i] + x->t1[i] + 1;
        size_t ilen = x->ilen[i];
        if (!x->same[i]) {
            uint64_t u0 = 0, u1 = 0;
            if (x->t1[i] <= SHORT_ID) tide_recs_id_words(x->p[i], x->t1[i], &u0, &u1);
            if ((st = user_of_line(r, x->p[i], x->t1[i], u0, u1)) != TIDE_OK) return st;
        }
        uint32_t flag = x->fast[i] == 2 ? LONG_FLAG : 0;
        uint64_t h = b->shift == r->items.shift ? x->home[i] : slot_of(&r->items, x->key[i]); /* it may grow */
        item_slot *e = item_index_find(&r->items, &r->t->items, item, ilen, x->key[i], flag, h);
        if (!e && (st = new_item(r, item, ilen, x->key[i], flag, &e)) != TIDE_OK) return st;
        if ((st = place(r, e, x->rank[i], item, ilen)) != TIDE_OK) return st;
    }
    return TIDE_OK;
}

/* Scans and accepts the complete lines in [*pp, stop) (see tide_recs_scan for stop and lim),
 * one batch scanned ahead of the one being accepted. */
static tide_status tsv_lines(reader *r, const char **pp, const char *stop, const char *lim) {
    batch b[2];
    int cur = 0, more = 1;
    b[0].n = 0;
    for (;;) {
        batch *next = &b[cur ^ 1];
        next->n = 0;
        if (more) {
            const char *before = *pp;
            tide_recs_prefetch pf = {(const char *)r->items.slots, r->items.shift};
            next->shift = pf.shift;
            next->n = tide_recs_scan(pp, stop, lim, &r->scan, &next->l, TIDE_RECS_BATCH, &pf);
            if (next->n) batch_prefetch(r, next);
            if (*pp == before || *pp >= stop) more = 0; /* done, or an incomplete line */
        }
        if (b[cur].n) {
            tide_status st = batch_accept(r, &b[cur]);
            if (st != TIDE_OK) return st;
        }
        cur ^= 1;
        if (!more && b[cur].n == 0) break;
    }
    r->line = r->scan.line;
    return TIDE_OK;
}

/* A JSON id: a string, or a number as written (its raw token: through a double, distinct ids such
 * as 9007199254740993 and ...992, or 1 and 1.0, would merge). 0: missing or another type, -1: a
 * string holding an escaped NUL (cJSON would cut it short, making it another id). */
static int json_id(const cJSON *o, const cJSON *v, const char *line, size_t line_len, const char **s, size_t *n) {
    const char *raw;
    size_t raw_len;
    if (cJSON_IsString(v)) {
        if (memmem(line, line_len, "\\u0000", 6) && tide_json_member_raw(line, line_len, o, v, &raw, &raw_len) &&
            tide_json_string_has_nul(raw, raw_len))
            return -1;
        *s = v->valuestring;
        *n = strlen(v->valuestring);
        return 1;
    }
    if (cJSON_IsNumber(v) && tide_json_member_raw(line, line_len, o, v, &raw, &raw_len)) {
        *s = raw;
        *n = raw_len;
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
    const char *u, *it;
    size_t ul, il, n = (size_t)(end - p);
    int ju, ji;
    const cJSON *jr = cJSON_GetObjectItemCaseSensitive(o, "rank");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(o, "score");
    if ((ju = json_id(o, cJSON_GetObjectItemCaseSensitive(o, "user"), p, n, &u, &ul)) <= 0) {
        st = bad(r, ju < 0 ? "\"user\" holds a NUL character (\\u0000)" : "malformed line: \"user\" missing or not a string");
    } else if ((ji = json_id(o, cJSON_GetObjectItemCaseSensitive(o, "item"), p, n, &it, &il)) <= 0) {
        st = bad(r, ji < 0 ? "\"item\" holds a NUL character (\\u0000)" : "malformed line: \"item\" missing or not a string");
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

/* Format from the first non-blank byte. */
static tide_recs_format sniff(const char *p, size_t n) {
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) i++;
    return i == n ? TIDE_RECS_AUTO : p[i] == '{' ? TIDE_RECS_JSONL : TIDE_RECS_TSV;
}

/* A mapped regular TSV file: each span is checksummed just before it is parsed; the last lines
 * (within TIDE_RECS_PAD of the end, or a last line without '\n') are copied into a padded
 * buffer so that the scanner never reads past the mapping. */
static tide_status read_mapped(reader *r, const char *base, size_t size, uint32_t *crc) {
    tide_status st = TIDE_OK;
    const char *p = base, *lim = base + size;
    size_t crc_done = 0, dropped = 0;
    char *tail = NULL;
    while (size > TIDE_RECS_PAD && p < lim - TIDE_RECS_PAD) {
        size_t want = (size_t)(p - base) + SPAN;
        if (crc_done < size && crc_done < want) {
            size_t n = size - crc_done < want - crc_done ? size - crc_done : want - crc_done;
            *crc = tide_crc32(*crc, base + crc_done, n);
            crc_done += n;
        }
        const char *stop = base + (want < size - TIDE_RECS_PAD ? want : size - TIDE_RECS_PAD);
        const char *before = p;
        if ((st = tsv_lines(r, &p, stop, lim)) != TIDE_OK) goto done;
        if (p == before && p < stop) break; /* a last line without '\n' */
        /* Unmap what was parsed (the pages stay in the page cache): else they all count in
         * the resident set, a gigabyte per 10^7 lines. */
        size_t parsed = (size_t)(p - base) & ~(size_t)(DROP - 1);
        if (parsed > dropped + DROP) {
            madvise((char *)base + dropped, parsed - DROP - dropped, MADV_DONTNEED);
            dropped = parsed - DROP;
        }
    }
    *crc = tide_crc32(*crc, base + crc_done, size - crc_done);
    size_t rest = (size_t)(lim - p);
    if (rest > 0) {
        if (!(tail = tide_malloc(rest + 1 + TIDE_RECS_PAD))) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
        memcpy(tail, p, rest);
        if (tail[rest - 1] != '\n') tail[rest++] = '\n';
        memset(tail + rest, 0, TIDE_RECS_PAD);
        const char *q = tail;
        st = tsv_lines(r, &q, tail + rest, tail + rest);
    }
done:
    free(tail);
    return st;
}

tide_status tide_recs_read(const char *path, tide_recs_format format, tide_eval_truth *t, int kmax,
                           tide_recs_group_fn fn, void *ctx, tide_recs_stats *stats) {
    reader r;
    memset(&r, 0, sizeof r);
    memset(stats, 0, sizeof *stats);
    r.path = path;
    r.t = t;
    r.kmax = kmax;
#ifdef RECS_X86
    r.avx512 = __builtin_cpu_supports("avx512f") && tide_recs_scan_choice != TIDE_RECS_SCAN_SCALAR;
#endif
    r.fn = fn;
    r.ctx = ctx;
    tide_status st = TIDE_OK;
    int fd = -1;
    char *buf = NULL;
    void *map = NULL;
    struct stat sb;
    size_t cap = BLOCK, have = 0;
    uint32_t crc = 0;
    r.list = tide_malloc((size_t)kmax * sizeof *r.list);
    r.seen = tide_calloc((size_t)(t->n_users > 0 ? t->n_users : 1), 1);
    if (!r.list || !r.seen) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < kmax; i++) r.list[i] = -1;
    if ((st = item_index_build(&r.items, &t->items, t->items.count)) != TIDE_OK) goto done;
    if (format == TIDE_RECS_AUTO) {
        if (ends_with(path, ".jsonl") || ends_with(path, ".json") || ends_with(path, ".ndjson")) format = TIDE_RECS_JSONL;
        else if (ends_with(path, ".tsv") || ends_with(path, ".txt")) format = TIDE_RECS_TSV;
    }
    fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        st = tide_error(TIDE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    /* A regular file is mapped (no copy through the kernel), unless it is JSON lines. */
    if (fd > 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && format != TIDE_RECS_JSONL) {
        size_t size = (size_t)sb.st_size;
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            map = NULL;
        } else {
            madvise(map, size, MADV_SEQUENTIAL);
            if (format == TIDE_RECS_AUTO) format = sniff(map, size);
            if (format != TIDE_RECS_JSONL) {
                format = TIDE_RECS_TSV;
                if ((st = read_mapped(&r, map, size, &crc)) != TIDE_OK) goto done;
                stats->bytes = size;
                goto finish;
            }
            munmap(map, size);
            map = NULL;
        }
    }
    /* A small regular file on stdin needs no megabyte of buffer (which costs fresh pages per
     * call: the fuzz target's reads ran at ~75 a second); the buffer grows for longer lines. */
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 0 && (uint64_t)sb.st_size < cap) {
        cap = 4096;
        while (cap <= (size_t)sb.st_size) cap *= 2;
    }
    if (!(buf = tide_malloc(cap + 1 + TIDE_RECS_PAD))) { /* room for a final '\n' and the scanner's window */
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int eof = 0; !eof;) {
        if (have == cap) { /* one line longer than the buffer: grow */
            char *nb = tide_realloc(buf, cap * 2 + 1 + TIDE_RECS_PAD);
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
        if (format == TIDE_RECS_AUTO) format = sniff(buf, have + (size_t)got);
        have += (size_t)got;
        eof = got == 0;
        if (eof && have > 0 && buf[have - 1] != '\n') buf[have++] = '\n'; /* last line without newline */
        const char *p = buf, *bend = buf + have;
        if (format == TIDE_RECS_JSONL) {
            for (;;) {
                const char *nl = memchr(p, '\n', (size_t)(bend - p));
                if (!nl) break;
                r.line++;
                const char *end = nl;
                if (end > p && end[-1] == '\r') end--;
                if (end > p && (st = jsonl_line(&r, p, end)) != TIDE_OK) goto done; /* blank lines carry nothing */
                p = nl + 1;
            }
        } else {
            memset(buf + have, 0, TIDE_RECS_PAD);
            if ((st = tsv_lines(&r, &p, bend, bend)) != TIDE_OK) goto done;
        }
        have = (size_t)(bend - p);
        memmove(buf, p, have);
    }
finish:
    if ((st = flush_group(&r)) != TIDE_OK) goto done;
    stats->format = format == TIDE_RECS_JSONL ? TIDE_RECS_JSONL : TIDE_RECS_TSV;
    snprintf(stats->checksum, sizeof stats->checksum, "crc32:%08x", crc);
    stats->lines = r.line;
    stats->n_groups = r.n_groups;
done:
    if (map) munmap(map, (size_t)sb.st_size);
    if (fd > 0) close(fd);
    free(buf);
    free(r.list);
    free(r.seen);
    free(r.cur);
    free(r.items.slots);
    if (r.extra_ready) tide_strmap_free(&r.extra);
    return st;
}
