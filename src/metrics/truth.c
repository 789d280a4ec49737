/* truth.c — the truth of an evaluation: per user, the distinct relevant items (sorted) with a
 * gain each, loaded from a dataset directory (normally tide-split's test split, whose id
 * dictionaries are then authoritative) or from a TSV of `user item [weight]`. */
#define _GNU_SOURCE
#include "tide/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/dataset.h"
#include "tide/fileio.h"

typedef struct {
    int32_t item;
    float w;
} pair_iw;

static int cmp_pair(const void *a, const void *b) {
    const pair_iw *x = a, *y = b;
    return (x->item > y->item) - (x->item < y->item);
}

/* Sort each user's (item, weight) row and merge repeated items (gain = largest weight), in
 * place; fills t->indptr/truth_items/gains and the evaluated-user maps. */
static tide_status build_rows(tide_eval_truth *t, const int64_t *row_start, pair_iw *pairs) {
    tide_status st = TIDE_OK;
    int64_t n = t->n_users;
    t->indptr = tide_malloc((size_t)(n + 1) * sizeof *t->indptr);
    t->eval_of_user = tide_malloc((size_t)(n > 0 ? n : 1) * sizeof *t->eval_of_user);
    if (!t->indptr || !t->eval_of_user) return TIDE_ERR_NOMEM;
    int64_t out = 0, n_eval = 0;
    t->indptr[0] = 0;
    for (int64_t u = 0; u < n; u++) {
        pair_iw *row = pairs + row_start[u];
        int64_t len = row_start[u + 1] - row_start[u];
        qsort(row, (size_t)len, sizeof *row, cmp_pair);
        for (int64_t i = 0; i < len; i++) {
            if (out > 0 && out > t->indptr[u] && pairs[out - 1].item == row[i].item) {
                if (row[i].w > pairs[out - 1].w) pairs[out - 1].w = row[i].w;
            } else {
                pairs[out++] = row[i];
            }
        }
        t->indptr[u + 1] = out;
        t->eval_of_user[u] = out > t->indptr[u] ? n_eval++ : -1;
    }
    t->n_pairs = out;
    t->n_eval = n_eval;
    t->truth_items = tide_malloc((size_t)(out > 0 ? out : 1) * sizeof *t->truth_items);
    t->gains = tide_malloc((size_t)(out > 0 ? out : 1) * sizeof *t->gains);
    t->user_of_eval = tide_malloc((size_t)(n_eval > 0 ? n_eval : 1) * sizeof *t->user_of_eval);
    if (!t->truth_items || !t->gains || !t->user_of_eval) return TIDE_ERR_NOMEM;
    for (int64_t i = 0; i < out; i++) {
        t->truth_items[i] = pairs[i].item;
        t->gains[i] = pairs[i].w;
    }
    for (int64_t u = 0; u < n; u++)
        if (t->eval_of_user[u] >= 0) t->user_of_eval[t->eval_of_user[u]] = u;
    return st;
}

static tide_status load_dataset(const char *dir, tide_eval_truth *t) {
    tide_dataset ds;
    memset(&ds, 0, sizeof ds);
    pair_iw *pairs = NULL;
    tide_status st = tide_dataset_load(dir, &ds);
    if (st != TIDE_OK) goto done;
    t->from_dataset = 1;
    t->items_closed = 1;
    if ((st = tide_strmap_init(&t->users, (size_t)ds.n_users)) != TIDE_OK) goto done;
    if ((st = tide_strmap_init(&t->items, (size_t)ds.n_items)) != TIDE_OK) goto done;
    for (int64_t u = 0; u < ds.n_users; u++) {
        int64_t idx;
        int added;
        if ((st = tide_strmap_intern(&t->users, ds.user_ids[u], strlen(ds.user_ids[u]), &idx, &added)) != TIDE_OK) goto done;
    }
    for (int64_t i = 0; i < ds.n_items; i++) {
        int64_t idx;
        int added;
        if ((st = tide_strmap_intern(&t->items, ds.item_ids[i], strlen(ds.item_ids[i]), &idx, &added)) != TIDE_OK) goto done;
    }
    t->n_users = ds.n_users;
    t->n_events = ds.nnz;
    pairs = tide_malloc((size_t)(ds.nnz > 0 ? ds.nnz : 1) * sizeof *pairs);
    if (!pairs) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int64_t i = 0; i < ds.nnz; i++) {
        float w = ds.weights ? ds.weights[i] : 1.0f;
        if (!(w >= 0) || isinf(w)) { /* a gain only with --graded: the caller decides */
            if (t->n_bad_gains++ == 0)
                snprintf(t->bad_gain_where, sizeof t->bad_gain_where, "%s/weights.npy: interaction %lld has weight %g",
                         dir, (long long)i, (double)w);
            w = 0;
        }
        pairs[i].item = ds.items[i];
        pairs[i].w = w;
    }
    st = build_rows(t, ds.indptr, pairs);
    memcpy(t->checksum, ds.checksum, sizeof t->checksum);
done:
    free(pairs);
    tide_dataset_free(&ds);
    return st;
}

/* One parsed truth line, waiting for its ids to be interned. */
typedef struct {
    const char *user, *item;
    size_t ulen, ilen;
    uint64_t uh, ih; /* their hashes: the dictionary slots are prefetched a batch ahead */
    float weight;
} truth_line;

#define TRUTH_BATCH 32

static tide_status load_tsv(const char *path, char *const *seed, int64_t n_seed, tide_eval_truth *t) {
    char *buf = NULL;
    size_t size = 0;
    int64_t *uidx = NULL, *row_start = NULL;
    int32_t *iidx = NULL;
    float *w = NULL;
    pair_iw *pairs = NULL;
    int64_t n = 0;
    tide_status st = tide_read_file(path, &buf, &size);
    if (st != TIDE_OK) return st;
    uint32_t crc = tide_crc32(0, buf, size);
    snprintf(t->checksum, sizeof t->checksum, "crc32:%08x", crc);
    t->bytes = size;
    /* At most one event per line: the arrays and the user dictionary are sized once for that,
     * so that a million-user truth is not rehashed again and again while it is read. */
    size_t lines = 1;
    for (const char *q = buf; (q = memchr(q, '\n', (size_t)(buf + size - q))) != NULL; q++) lines++;
    uidx = tide_malloc(lines * sizeof *uidx);
    iidx = tide_malloc(lines * sizeof *iidx);
    w = tide_malloc(lines * sizeof *w);
    if (!uidx || !iidx || !w) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory reading %s", path);
        goto done;
    }
    if ((st = tide_strmap_init(&t->users, lines)) != TIDE_OK) goto done;
    if ((st = tide_strmap_init(&t->items, n_seed > 1024 ? (size_t)n_seed : 1024)) != TIDE_OK) goto done;
    for (int64_t i = 0; i < n_seed; i++) {
        int64_t idx;
        int added;
        if ((st = tide_strmap_intern(&t->items, seed[i], strlen(seed[i]), &idx, &added)) != TIDE_OK) goto done;
    }
    t->items_closed = n_seed > 0;
    const char *p = buf, *bufend = buf + size;
    uint64_t line = 0;
    truth_line b[TRUTH_BATCH];
    uint64_t bline[TRUTH_BATCH];
    while (p < bufend) {
        /* Parse up to a batch of lines (stopping at a malformed one, whose error waits until the
         * lines before it are in: errors come out in line order), hash and prefetch their ids. */
        int nb = 0;
        tide_status perr = TIDE_OK;
        while (nb < TRUTH_BATCH && p < bufend) {
            line++;
            const char *nl = memchr(p, '\n', (size_t)(bufend - p));
            const char *end = nl ? nl : bufend;
            const char *next = nl ? nl + 1 : bufend;
            if (end > p && end[-1] == '\r') end--;
            if (end == p) {
                p = next;
                continue; /* blank lines (e.g. a trailing newline) carry nothing */
            }
            const char *f[4];
            size_t fl[4];
            int nf = 0;
            for (const char *q = p;;) {
                const char *s0 = q;
                while (q < end && *q != '\t') q++;
                if (nf < 4) {
                    f[nf] = s0;
                    fl[nf] = (size_t)(q - s0);
                }
                nf++;
                if (q >= end) break;
                q++;
            }
            p = next;
            if (nf < 2 || nf > 3 || fl[0] == 0 || fl[1] == 0) {
                perr = tide_error(TIDE_ERR_DATA, "%s:%llu: malformed line: expected 'user<TAB>item[<TAB>weight]'",
                                  path, (unsigned long long)line);
                break;
            }
            float weight = 1.0f;
            if (nf == 3) {
                char tmp[64];
                char *e;
                double d = 0;
                int ok = fl[2] > 0 && fl[2] < sizeof tmp;
                if (ok) {
                    memcpy(tmp, f[2], fl[2]);
                    tmp[fl[2]] = 0;
                    d = strtod(tmp, &e);
                    ok = !*e && !isnan(d);
                }
                if (!ok) {
                    perr = tide_error(TIDE_ERR_DATA, "%s:%llu: weight '%.*s' is not a number", path,
                                      (unsigned long long)line, (int)(fl[2] > 64 ? 64 : fl[2]), f[2]);
                    break;
                }
                if (d < 0 || isinf(d)) { /* a gain only with --graded: the caller decides */
                    if (t->n_bad_gains++ == 0)
                        snprintf(t->bad_gain_where, sizeof t->bad_gain_where, "%s:%llu: weight %.*s", path,
                                 (unsigned long long)line, (int)(fl[2] > 64 ? 64 : fl[2]), f[2]);
                    d = 0;
                }
                weight = (float)d;
            }
            truth_line *x = &b[nb];
            x->user = f[0];
            x->ulen = fl[0];
            x->item = f[1];
            x->ilen = fl[1];
            x->weight = weight;
            x->uh = tide_hash_bytes(x->user, x->ulen);
            x->ih = tide_hash_bytes(x->item, x->ilen);
            tide_strmap_prefetch(&t->users, x->uh);
            tide_strmap_prefetch(&t->items, x->ih);
            bline[nb++] = line;
        }
        for (int i = 0; i < nb; i++) {
            const truth_line *x = &b[i];
            int64_t ui, ii;
            int added;
            if ((st = tide_strmap_intern_hashed(&t->users, x->user, x->ulen, x->uh, &ui, &added)) != TIDE_OK) goto done;
            if (t->items_closed) {
                ii = tide_strmap_find(&t->items, x->item, x->ilen);
                if (ii < 0) {
                    st = tide_error(TIDE_ERR_DATA, "%s:%llu: unknown item '%.*s' (not in the train dataset's items)",
                                    path, (unsigned long long)bline[i], (int)(x->ilen > 200 ? 200 : x->ilen), x->item);
                    goto done;
                }
            } else if ((st = tide_strmap_intern_hashed(&t->items, x->item, x->ilen, x->ih, &ii, &added)) != TIDE_OK) {
                goto done;
            }
            if (ii > INT32_MAX) {
                st = tide_error(TIDE_ERR_DATA, "%s:%llu: more than 2^31 items", path, (unsigned long long)bline[i]);
                goto done;
            }
            uidx[n] = ui;
            iidx[n] = (int32_t)ii;
            w[n] = x->weight;
            n++;
        }
        if (perr != TIDE_OK) {
            st = perr;
            goto done;
        }
    }
    t->n_users = t->users.count;
    t->n_events = n;
    /* Counting sort of the events by user. */
    row_start = tide_calloc((size_t)t->n_users + 1, sizeof *row_start);
    pairs = tide_malloc((size_t)(n > 0 ? n : 1) * sizeof *pairs);
    if (!row_start || !pairs) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int64_t i = 0; i < n; i++) row_start[uidx[i] + 1]++;
    for (int64_t u = 0; u < t->n_users; u++) row_start[u + 1] += row_start[u];
    {
        int64_t *fill = tide_malloc((size_t)(t->n_users > 0 ? t->n_users : 1) * sizeof *fill);
        if (!fill) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
        memcpy(fill, row_start, (size_t)t->n_users * sizeof *fill);
        for (int64_t i = 0; i < n; i++) {
            pair_iw *pp = &pairs[fill[uidx[i]]++];
            pp->item = iidx[i];
            pp->w = w[i];
        }
        free(fill);
    }
    st = build_rows(t, row_start, pairs);
done:
    free(buf);
    free(uidx);
    free(iidx);
    free(w);
    free(row_start);
    free(pairs);
    return st;
}

tide_status tide_eval_truth_load(const char *path, char *const *seed_items, int64_t n_seed,
                                 tide_eval_truth *t) {
    memset(t, 0, sizeof *t);
    tide_status st = strcmp(path, "-") != 0 && tide_is_dir(path) ? load_dataset(path, t)
                                                                   : load_tsv(path, seed_items, n_seed, t);
    if (st != TIDE_OK) tide_eval_truth_free(t);
    return st;
}

void tide_eval_truth_free(tide_eval_truth *t) {
    if (t->users.slots) tide_strmap_free(&t->users);
    if (t->items.slots) tide_strmap_free(&t->items);
    free(t->indptr);
    free(t->truth_items);
    free(t->gains);
    free(t->eval_of_user);
    free(t->user_of_eval);
    memset(t, 0, sizeof *t);
}
