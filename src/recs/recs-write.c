/* recs-write.c — the recommendations file (docs/formats.md): TSV `user item rank score` or JSON
 * lines with the same fields, original ids, rank from 1, score with 9 significant digits (enough
 * to round-trip a float). Formatting (%.9g is the slow part) runs in parallel over contiguous
 * slices of the batch into per-thread buffers, which are then written in order, so the bytes do
 * not depend on the thread count. */
#include "tide/recs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int failed;
} sbuf;

static void sb_reserve(sbuf *b, size_t more) {
    if (b->failed || b->n + more <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + more) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void sb_put(sbuf *b, const char *s, size_t n) {
    sb_reserve(b, n);
    if (b->failed) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

/* JSON string with the escapes RFC 8259 requires. */
static void sb_json_str(sbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        char esc[8];
        if (*q == '"' || *q == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*q;
            sb_put(b, esc, 2);
        } else if (*q < 0x20) {
            int w = snprintf(esc, sizeof esc, "\\u%04x", *q);
            sb_put(b, esc, (size_t)w);
        } else {
            sb_put(b, (const char *)q, 1);
        }
    }
    sb_put(b, "\"", 1);
}

static void fmt_user(sbuf *b, const tide_recs_batch *bt, int64_t i, tide_recs_format fmt, char *const *user_ids,
                     char *const *item_ids) {
    char ubuf[32], ibuf[32], tail[96];
    int64_t u = bt->users[i];
    const char *uid = user_ids ? user_ids[u] : (snprintf(ubuf, sizeof ubuf, "%lld", (long long)u), ubuf);
    for (int r = 0; r < bt->counts[i]; r++) {
        int32_t it = bt->items[(size_t)i * bt->k + r];
        float sc = bt->scores[(size_t)i * bt->k + r];
        const char *iid = item_ids ? item_ids[it] : (snprintf(ibuf, sizeof ibuf, "%d", it), ibuf);
        if (fmt == TIDE_RECS_TSV) {
            sb_put(b, uid, strlen(uid));
            sb_put(b, "\t", 1);
            sb_put(b, iid, strlen(iid));
            int w = snprintf(tail, sizeof tail, "\t%d\t%.9g\n", r + 1, (double)sc);
            sb_put(b, tail, (size_t)w);
        } else {
            sb_put(b, "{\"user\": ", 9);
            sb_json_str(b, uid);
            sb_put(b, ", \"item\": ", 10);
            sb_json_str(b, iid);
            int w = isfinite(sc) ? snprintf(tail, sizeof tail, ", \"rank\": %d, \"score\": %.9g}\n", r + 1, (double)sc)
                                 : snprintf(tail, sizeof tail, ", \"rank\": %d, \"score\": null}\n", r + 1);
            sb_put(b, tail, (size_t)w);
        }
    }
}

tide_status tide_recs_write_batch(FILE *fp, tide_recs_format fmt, const tide_recs_batch *bt, char *const *user_ids,
                                  char *const *item_ids) {
    int nt = 1;
#ifdef _OPENMP
    nt = omp_get_max_threads();
#endif
    if (bt->n < 64) nt = 1;
    sbuf *bufs = tide_calloc((size_t)nt, sizeof *bufs);
    if (!bufs) return TIDE_ERR_NOMEM;
    #pragma omp parallel for schedule(static, 1) num_threads(nt)
    for (int t = 0; t < nt; t++) {
        int64_t lo = bt->n * t / nt, hi = bt->n * (t + 1) / nt;
        for (int64_t i = lo; i < hi; i++) fmt_user(&bufs[t], bt, i, fmt, user_ids, item_ids);
    }
    tide_status st = TIDE_OK;
    for (int t = 0; t < nt && !st; t++) {
        if (bufs[t].failed) st = tide_error(TIDE_ERR_NOMEM, "out of memory formatting recommendations");
        else if (bufs[t].n && fwrite(bufs[t].p, 1, bufs[t].n, fp) != bufs[t].n)
            st = tide_error(TIDE_ERR_IO, "writing recommendations failed: %s", strerror(errno));
    }
    for (int t = 0; t < nt; t++) free(bufs[t].p);
    free(bufs);
    return st;
}
