/* ingest-sort.c — ordering ingested events into user-major CSR, and merging repeats.
 *
 * Order: by user (dense index), then by time, ties in input order. Instead of a global
 * comparison sort of row structs, a counting sort by user computes each row's destination once
 * (stored over the consumed user column, so no extra index array), then scatters one column at
 * a time (the peak is one extra column, not a second copy of all of them). Within a user, rows
 * are already in input order; most logs are also time-ordered per user, which a linear check
 * detects, and the others get a stable merge sort of (time, position) pairs.
 */
#include "ingest-impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t t;
    uint32_t i;
} tpair;

/* Stable merge sort of pairs by time (insertion sort below 24 elements). */
static void msort(tpair *a, tpair *tmp, size_t n) {
    if (n < 24) {
        for (size_t i = 1; i < n; i++) {
            tpair x = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1].t > x.t) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    msort(a, tmp, h);
    msort(a + h, tmp, n - h);
    if (a[h - 1].t <= a[h].t) return;
    memcpy(tmp, a, h * sizeof *a);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) a[k++] = a[j].t < tmp[i].t ? a[j++] : tmp[i++];
    while (i < h) a[k++] = tmp[i++];
}

static tide_status scatter(void **col, size_t elem, int64_t n, const uint32_t *dest) {
    void *dst = malloc((size_t)n * elem + 1);
    if (!dst) return tide_error(TIDE_ERR_NOMEM, "out of memory sorting %lld events", (long long)n);
    const void *src = *col;
    switch (elem) {
    case 1:
        for (int64_t k = 0; k < n; k++) ((uint8_t *)dst)[dest[k]] = ((const uint8_t *)src)[k];
        break;
    case 4:
        for (int64_t k = 0; k < n; k++) ((uint32_t *)dst)[dest[k]] = ((const uint32_t *)src)[k];
        break;
    default:
        for (int64_t k = 0; k < n; k++) ((uint64_t *)dst)[dest[k]] = ((const uint64_t *)src)[k];
        break;
    }
    free(*col);
    *col = dst;
    return TIDE_OK;
}

/* Apply a permutation to col[a .. a+len): new[j] = old[perm[j].i]. */
static void permute(void *col, size_t elem, int64_t a, const tpair *perm, size_t len, void *scratch) {
    char *base = (char *)col + (size_t)a * elem;
    switch (elem) {
    case 1:
        for (size_t j = 0; j < len; j++) ((uint8_t *)scratch)[j] = ((uint8_t *)base)[perm[j].i];
        break;
    case 4:
        for (size_t j = 0; j < len; j++) ((uint32_t *)scratch)[j] = ((uint32_t *)base)[perm[j].i];
        break;
    default:
        for (size_t j = 0; j < len; j++) ((uint64_t *)scratch)[j] = ((uint64_t *)base)[perm[j].i];
        break;
    }
    memcpy(base, scratch, len * elem);
}

tide_status ingest_sort_by_user_time(int64_t n, int64_t n_users, int32_t **users, int64_t **times,
                                     ingest_col *cols, int n_cols, int64_t **indptr_out) {
    tide_status st = TIDE_OK;
    int64_t *indptr = calloc((size_t)n_users + 2, sizeof *indptr);
    int64_t *pos = malloc(((size_t)n_users + 1) * sizeof *pos);
    tpair *pairs = NULL, *tmp = NULL;
    void *scratch = NULL;
    *indptr_out = NULL;
    if (!indptr || !pos) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory sorting events");
        goto fail;
    }
    int32_t *u = *users;
    for (int64_t k = 0; k < n; k++) indptr[u[k] + 1]++;
    for (int64_t x = 0; x < n_users; x++) indptr[x + 1] += indptr[x];
    memcpy(pos, indptr, (size_t)n_users * sizeof *pos);
    uint32_t *dest = (uint32_t *)u; /* each row's destination, written over its user */
    for (int64_t k = 0; k < n; k++) dest[k] = (uint32_t)pos[u[k]]++;
    free(pos);
    pos = NULL;
    if ((st = scatter((void **)times, 8, n, dest))) goto fail;
    for (int c = 0; c < n_cols; c++)
        if ((st = scatter(cols[c].data, cols[c].elem, n, dest))) goto fail;
    free(*users);
    *users = NULL;

    /* within each user: stable by time */
    int64_t max_deg = 0;
    for (int64_t x = 0; x < n_users; x++)
        if (indptr[x + 1] - indptr[x] > max_deg) max_deg = indptr[x + 1] - indptr[x];
    int64_t *t = *times;
    for (int64_t x = 0; x < n_users; x++) {
        int64_t a = indptr[x], b = indptr[x + 1];
        int64_t k = a + 1;
        while (k < b && t[k - 1] <= t[k]) k++;
        if (k >= b) continue;
        if (!pairs) {
            pairs = malloc((size_t)max_deg * sizeof *pairs);
            tmp = malloc(((size_t)max_deg / 2 + 1) * sizeof *tmp);
            scratch = malloc((size_t)max_deg * 8);
            if (!pairs || !tmp || !scratch) {
                st = tide_error(TIDE_ERR_NOMEM, "out of memory sorting events");
                goto fail;
            }
        }
        size_t len = (size_t)(b - a);
        for (size_t j = 0; j < len; j++) {
            pairs[j].t = t[a + (int64_t)j];
            pairs[j].i = (uint32_t)j;
        }
        msort(pairs, tmp, len);
        for (size_t j = 0; j < len; j++) t[a + (int64_t)j] = pairs[j].t;
        for (int c = 0; c < n_cols; c++) permute(*cols[c].data, cols[c].elem, a, pairs, len, scratch);
    }
    free(pairs);
    free(tmp);
    free(scratch);
    *indptr_out = indptr;
    return TIDE_OK;
fail:
    free(indptr);
    free(pos);
    free(pairs);
    free(tmp);
    free(scratch);
    return st;
}

tide_status ingest_aggregate(tide_aggregate mode, int64_t n_users, int64_t n_items, int64_t *indptr, int32_t *items,
                             int64_t *times, float *weights, uint8_t *events, int64_t *merged) {
    *merged = 0;
    if (mode == TIDE_AGGREGATE_NONE) return TIDE_OK;
    int64_t max_deg = 0;
    for (int64_t x = 0; x < n_users; x++)
        if (indptr[x + 1] - indptr[x] > max_deg) max_deg = indptr[x + 1] - indptr[x];
    int32_t *mark = malloc(((size_t)n_items + 1) * sizeof *mark);
    int32_t *slot = malloc(((size_t)n_items + 1) * sizeof *slot);
    int32_t *ti = malloc(((size_t)max_deg + 1) * sizeof *ti);
    int64_t *tt = malloc(((size_t)max_deg + 1) * sizeof *tt);
    float *tw = malloc(((size_t)max_deg + 1) * sizeof *tw);
    uint8_t *te = malloc((size_t)max_deg + 1);
    tide_status st = TIDE_OK;
    if (!mark || !slot || !ti || !tt || !tw || !te) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory aggregating events");
        goto done;
    }
    for (int64_t i = 0; i < n_items; i++) mark[i] = -1;
    int64_t out = 0;
    for (int64_t x = 0; x < n_users; x++) {
        int64_t a = indptr[x], b = indptr[x + 1], c = 0;
        /* Walk from the latest event back: the first occurrence met is the one whose time and
         * position the merged entry takes; earlier ones fold into it. */
        for (int64_t k = b - 1; k >= a; k--) {
            int32_t i = items[k];
            float w = weights[k];
            if (mark[i] != (int32_t)x) {
                mark[i] = (int32_t)x;
                slot[i] = (int32_t)c;
                ti[c] = i;
                tt[c] = times[k];
                tw[c] = mode == TIDE_AGGREGATE_COUNT ? 1.0f : w;
                te[c] = events ? events[k] : 0;
                c++;
                continue;
            }
            int32_t j = slot[i];
            (*merged)++;
            switch (mode) {
            case TIDE_AGGREGATE_SUM: tw[j] += w; break;
            case TIDE_AGGREGATE_MAX: if (w > tw[j]) tw[j] = w; break;
            case TIDE_AGGREGATE_COUNT: tw[j] += 1.0f; break;
            default: break; /* LAST: the latest weight stays */
            }
        }
        indptr[x] = out;
        for (int64_t j = 0; j < c; j++) {
            items[out + j] = ti[c - 1 - j];
            times[out + j] = tt[c - 1 - j];
            weights[out + j] = tw[c - 1 - j];
            if (events) events[out + j] = te[c - 1 - j];
        }
        out += c;
    }
    indptr[n_users] = out;
done:
    free(mark);
    free(slot);
    free(ti);
    free(tt);
    free(tw);
    free(te);
    return st;
}
