/* ingest-intern.c — interning the user and item ids of interaction rows, on a thread of its own
 * when the library runs with more than one thread.
 *
 * Why: parsing a row (CSV scan, time, weight, event) and interning its two ids cost about the
 * same, and both used to run on the caller's thread. Here the parser hands over batches of rows
 * (the id bytes copied aside, since a buffer refill moves the parsed text) and an interning
 * thread turns them into dense indices, writing the user and item columns, while the parser goes
 * on with the next rows. Batches are interned strictly in input order and, inside a batch, row by
 * row, user before item, so indices follow first appearance exactly as with one thread: the
 * output does not depend on --threads.
 *
 * Inside a batch, lookups are issued BLOCK rows at a time: the hints of a block (hash, prefetch
 * of the slot or direct-table entry) first, then its lookups, so dozens of cache misses overlap.
 *
 * Ownership: the interning side alone grows and writes s->u and s->it (s->ucap rows); the parser
 * owns every other column. Errors met by the thread (out of memory, too many ids) are handed
 * back, with their message, when the parser submits its next batch or finishes.
 */
#include "ingest-impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 8192
#define RING 4
#define BLOCK 64

typedef struct {
    uint32_t uoff, ulen, ioff, ilen;   /* into the batch's key buffer */
    int same_user;                     /* same user as the row before: no lookup */
} id_row;

typedef struct {
    id_row rows[BATCH_ROWS];
    int n;
    int64_t base;                      /* row index of rows[0] */
    char *keys;
    size_t keys_len, keys_cap;
} id_batch;

struct ingest_interner {
    ingest_state *s;
    const char *path;
    id_batch *ring[RING];
    int cur;                           /* parser's batch (when not threaded: always 0) */
    int64_t next_row;
    int64_t last_uidx;                 /* interning side: the user of the row before */
    /* threaded hand-over */
    int threaded;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int head, full;                    /* oldest batch handed over; batches handed over and not done */
    int closing;                       /* the parser has handed over its last batch */
    tide_status st;                    /* the interning side's first error */
    char *msg;
};

static tide_status reserve_ids(ingest_state *s, int64_t rows) {
    if (rows <= s->ucap) return TIDE_OK;
    int64_t nc = s->ucap ? s->ucap : ingest_first_cap(s);
    while (nc < rows) nc *= 2;
    int32_t *u = realloc(s->u, (size_t)nc * sizeof *u);
    if (u) {
        ingest_hugepages(u, (size_t)nc * sizeof *u);
        s->u = u;
    }
    int32_t *it = u ? realloc(s->it, (size_t)nc * sizeof *it) : NULL;
    if (!it) return tide_error(TIDE_ERR_NOMEM, "out of memory holding %lld interactions", (long long)nc);
    ingest_hugepages(it, (size_t)nc * sizeof *it);
    s->it = it;
    s->ucap = nc;
    return TIDE_OK;
}

/* Intern one batch into rows base .. base + n - 1 of the user and item columns. */
static tide_status intern_batch(ingest_interner *in, const id_batch *b) {
    ingest_state *s = in->s;
    tide_status st = reserve_ids(s, b->base + b->n);
    if (st) return st;
    ingest_id_hint uh[BLOCK], ih[BLOCK];
    for (int k0 = 0; k0 < b->n; k0 += BLOCK) {
        int k1 = k0 + BLOCK < b->n ? k0 + BLOCK : b->n;
        for (int k = k0; k < k1; k++) {
            const id_row *r = &b->rows[k];
            if (!r->same_user) ingest_ids_hint(&s->users, b->keys + r->uoff, r->ulen, &uh[k - k0]);
            ingest_ids_hint(&s->items, b->keys + r->ioff, r->ilen, &ih[k - k0]);
        }
        for (int k = k0; k < k1; k++) {
            const id_row *r = &b->rows[k];
            int64_t uidx, iidx;
            if (r->same_user) {
                uidx = in->last_uidx;
            } else {
                if ((st = ingest_ids_intern_hint(&s->users, b->keys + r->uoff, r->ulen, &uh[k - k0], &uidx))) return st;
                in->last_uidx = uidx;
            }
            if ((st = ingest_ids_intern_hint(&s->items, b->keys + r->ioff, r->ilen, &ih[k - k0], &iidx))) return st;
            if (uidx > INT32_MAX - 1 || iidx > INT32_MAX - 1)
                return tide_error(TIDE_ERR_DATA, "%s: more than 2^31-1 distinct users or items", in->path);
            s->u[b->base + k] = (int32_t)uidx;
            s->it[b->base + k] = (int32_t)iidx;
        }
    }
    return TIDE_OK;
}

static void *intern_thread(void *arg) {
    ingest_interner *in = arg;
    pthread_mutex_lock(&in->mu);
    for (;;) {
        while (in->full == 0 && !in->closing) pthread_cond_wait(&in->cv, &in->mu);
        if (in->full == 0) break;
        id_batch *b = in->ring[in->head];
        int failed = in->st != TIDE_OK;
        pthread_mutex_unlock(&in->mu);
        tide_status st = failed ? TIDE_OK : intern_batch(in, b); /* after an error: drain only */
        char *msg = st ? strdup(tide_error_message()) : NULL;
        pthread_mutex_lock(&in->mu);
        if (st) {
            in->st = st;
            in->msg = msg;
        }
        in->head = (in->head + 1) % RING;
        in->full--;
        pthread_cond_broadcast(&in->cv);
    }
    pthread_mutex_unlock(&in->mu);
    return NULL;
}

static tide_status thread_error(ingest_interner *in) {
    return tide_error(in->st, "%s", in->msg ? in->msg : tide_status_str(in->st));
}

tide_status ingest_interner_start(ingest_state *s, const char *path, ingest_interner **out) {
    *out = NULL;
    ingest_interner *in = calloc(1, sizeof *in);
    if (!in) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    in->s = s;
    in->path = path;
    in->next_row = s->n;
    int want_thread = tide_threads_get() > 1;
    for (int k = 0; k < (want_thread ? RING : 1); k++) {
        /* rows[] is written before it is read: only the other fields are cleared (calloc
         * touched all 160 KiB of it for every input file, however small) */
        id_batch *b = in->ring[k] = malloc(sizeof *in->ring[k]);
        if (b) {
            b->n = 0;
            b->base = 0;
            b->keys = NULL;
            b->keys_len = b->keys_cap = 0;
        }
        if (!b) {
            ingest_interner_finish(in, 0);
            return tide_error(TIDE_ERR_NOMEM, "out of memory");
        }
    }
    in->ring[0]->base = in->next_row;
    if (want_thread && !pthread_mutex_init(&in->mu, NULL)) {
        if (pthread_cond_init(&in->cv, NULL)) {
            pthread_mutex_destroy(&in->mu);
        } else if (pthread_create(&in->th, NULL, intern_thread, in)) {
            pthread_cond_destroy(&in->cv);
            pthread_mutex_destroy(&in->mu);
        } else {
            in->threaded = 1;
        }
    }
    *out = in;
    return TIDE_OK;
}

/* Hand the parser's batch over (or intern it right away) and give the parser an empty one. */
static tide_status submit(ingest_interner *in) {
    id_batch *b = in->ring[in->cur];
    tide_status st = TIDE_OK;
    if (!in->threaded) {
        st = intern_batch(in, b);
    } else {
        pthread_mutex_lock(&in->mu);
        in->full++;
        pthread_cond_broadcast(&in->cv);
        while (in->full == RING && in->st == TIDE_OK) pthread_cond_wait(&in->cv, &in->mu);
        if (in->st) st = thread_error(in);
        pthread_mutex_unlock(&in->mu);
        in->cur = (in->cur + 1) % RING;
    }
    if (st) return st; /* the parser stops: leave the ring as it is */
    b = in->ring[in->cur];
    b->n = 0;
    b->keys_len = 0;
    b->base = in->next_row;
    return TIDE_OK;
}

static tide_status batch_key(id_batch *b, const char *k, size_t n, uint32_t *off) {
    if (b->keys_len + n > b->keys_cap) {
        size_t nc = b->keys_cap ? b->keys_cap : 4096; /* grows to a batch's keys within a few doublings */
        while (b->keys_len + n > nc) nc *= 2;
        char *nk = realloc(b->keys, nc);
        if (!nk) return tide_error(TIDE_ERR_NOMEM, "out of memory");
        b->keys = nk;
        b->keys_cap = nc;
    }
    char *d = b->keys + b->keys_len;
    if (n >= 8 && n <= 16) { /* the usual id: two overlapping word copies, no call */
        uint64_t x, y;
        memcpy(&x, k, 8);
        memcpy(&y, k + n - 8, 8);
        memcpy(d, &x, 8);
        memcpy(d + n - 8, &y, 8);
    } else {
        memcpy(d, k, n);
    }
    *off = (uint32_t)b->keys_len;
    b->keys_len += n;
    return TIDE_OK;
}

int64_t ingest_interner_row(const ingest_interner *in) { return in->next_row; }

tide_status ingest_interner_add(ingest_interner *in, const char *user, size_t ulen, int same_user, const char *item,
                                size_t ilen) {
    id_batch *b = in->ring[in->cur];
    id_row *r = &b->rows[b->n];
    tide_status st;
    r->same_user = same_user;
    if (!same_user) {
        if ((st = batch_key(b, user, ulen, &r->uoff))) return st;
        r->ulen = (uint32_t)ulen;
    }
    if ((st = batch_key(b, item, ilen, &r->ioff))) return st;
    r->ilen = (uint32_t)ilen;
    b->n++;
    in->next_row++;
    return b->n == BATCH_ROWS ? submit(in) : TIDE_OK;
}

tide_status ingest_interner_finish(ingest_interner *in, int ok) {
    tide_status st = TIDE_OK;
    if (!in) return st;
    if (ok && in->ring[in->cur]->n) st = submit(in);
    if (in->threaded) {
        pthread_mutex_lock(&in->mu);
        in->closing = 1;
        pthread_cond_broadcast(&in->cv);
        pthread_mutex_unlock(&in->mu);
        pthread_join(in->th, NULL);
        if (!st && in->st) st = thread_error(in);
        pthread_cond_destroy(&in->cv);
        pthread_mutex_destroy(&in->mu);
    }
    if (ok && !st) in->s->n = in->next_row;
    for (int k = 0; k < RING; k++) {
        if (in->ring[k]) free(in->ring[k]->keys);
        free(in->ring[k]);
    }
    free(in->msg);
    free(in);
    return st;
}
