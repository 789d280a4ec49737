/* ingest-sort.c — ordering ingested events into user-major CSR, and merging repeats.
 *
 * Order: by user (dense index), then by time, ties in input order. Instead of a global
 * comparison sort, a counting sort by user computes each row's destination once (stored over the
 * consumed user column, so no extra index array), then moves each row as one packed record (time
 * and the other columns side by side: one random memory write per row rather than one per
 * column, which is what dominates with many users), and unpacks sequentially. Within a user, rows
 * are then in input order; most logs are also time-ordered per user, which a linear check
 * detects, and the others get a stable merge sort of (time, position) pairs. Peak memory: the
 * input columns plus one packed copy. The sorted rows go back into the input's arrays, and the
 * spent packed array and user column can serve the item-major copy (ingest_spare): fresh memory
 * costs a kernel page zeroing per 4 KiB, which was an eighth of an ingest's time.
 */
#include "ingest-impl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void ingest_hugepages(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (!p || n < 2 * huge) return;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + n) & ~(huge - 1);
    if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

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

/* Copy one element of `elem` bytes. */
static inline void put(void *dst, const void *src, size_t elem) {
    switch (elem) {
    case 1: *(uint8_t *)dst = *(const uint8_t *)src; break;
    case 4: memcpy(dst, src, 4); break;
    default: memcpy(dst, src, 8); break;
    }
}

/* Record layout for the packed scatter: time at offset 0, then each column, without padding
 * (x86 and the other targets take unaligned memcpy loads in stride; padding a 13- or 17-byte
 * record to 16 or 24 would be that much more memory to fault in, write and read back). */
static size_t record_layout(const ingest_col *cols, int n_cols, size_t *offs) {
    size_t off = 8;
    for (int c = 0; c < n_cols; c++) {
        offs[c] = off;
        off += cols[c].elem;
    }
    return off;
}

/* ---- chunked counting sort -------------------------------------------------------------------
 * Rows are cut into T contiguous chunks, each counted and scattered by its own thread. Chunk c's
 * rows with key x go right after chunk c-1's rows with key x, so the result is the stable order a
 * one-thread counting sort gives, whatever T is. */

#define MAX_CHUNKS 16

/* Threads for a counting sort of n rows over nk keys: the per-chunk count arrays (T x nk) must
 * stay small next to the rows, and small inputs are not worth a team. */
static int sort_threads(int64_t n, int64_t nk) {
    int t = tide_threads_get();
    if (t > MAX_CHUNKS) t = MAX_CHUNKS;
    if (n < ((int64_t)1 << 16)) return 1;
    while (t > 1 && (int64_t)t * (nk + 1) > n) t--;
    return t < 1 ? 1 : t;
}

/* Count the keys of each chunk (rows starts[c] .. starts[c+1]), then turn the counts into each
 * chunk's first destination per key (pos[c * (nk + 1) + x]) and fill indptr[0 .. nk]. */
static void chunk_positions(const int32_t *key, int64_t nk, int T, const int64_t *starts, int64_t *pos,
                            int64_t *indptr) {
    size_t stride = (size_t)nk + 1;
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int c = 0; c < T; c++) {
        int64_t *cnt = pos + (size_t)c * stride;
        for (int64_t k = starts[c]; k < starts[c + 1]; k++) cnt[key[k]]++;
    }
    int64_t off = 0;
    for (int64_t x = 0; x < nk; x++) {
        indptr[x] = off;
        for (int c = 0; c < T; c++) {
            int64_t v = pos[(size_t)c * stride + (size_t)x];
            pos[(size_t)c * stride + (size_t)x] = off;
            off += v;
        }
    }
    indptr[nk] = off;
}

static void even_chunks(int64_t n, int T, int64_t *starts) {
    for (int c = 0; c <= T; c++) starts[c] = n * c / T;
}

/* Unpack the packed records back into the input's own column arrays (times included): they are
 * no longer needed once scattered, and refilling memory that is already resident costs no page
 * faults, where fresh arrays would have the kernel zero every page first. */
static void unpack(const char *packed, size_t rs, int64_t n, int64_t *times, ingest_col *cols, int n_cols,
                   const size_t *offs, int T) {
#pragma omp parallel for num_threads(T) schedule(static)
    for (int64_t k0 = 0; k0 < n; k0 += 4096) {
        int64_t k1 = k0 + 4096 < n ? k0 + 4096 : n;
        for (int c = 0; c < n_cols; c++) {
            char *dst = *cols[c].data;
            for (int64_t k = k0; k < k1; k++)
                put(dst + (size_t)k * cols[c].elem, packed + (size_t)k * rs + offs[c], cols[c].elem);
        }
        for (int64_t k = k0; k < k1; k++) memcpy(&times[k], packed + (size_t)k * rs, 8);
    }
}

void ingest_spare_free(ingest_spare *sp) {
    free(sp->packed);
    free(sp->dest);
    memset(sp, 0, sizeof *sp);
}

/* Stable sort by time of each user's rows that are not in time order already, on T threads
 * (users are independent). Returns nonzero when out of memory. */
static int sort_within_users(int64_t n_users, const int64_t *indptr, int64_t *t, ingest_col *cols, int n_cols, int T) {
    int64_t max_deg = 0;
    for (int64_t x = 0; x < n_users; x++)
        if (indptr[x + 1] - indptr[x] > max_deg) max_deg = indptr[x + 1] - indptr[x];
    int failed = 0;
#pragma omp parallel num_threads(T)
    {
        tpair *pairs = NULL, *tmp = NULL;
        void *scratch = NULL;
#pragma omp for schedule(dynamic, 4096)
        for (int64_t x = 0; x < n_users; x++) {
            int64_t a = indptr[x], b = indptr[x + 1];
            int64_t k = a + 1;
            while (k < b && t[k - 1] <= t[k]) k++;
            if (k >= b) continue;
            if (!pairs) {
                pairs = malloc((size_t)max_deg * sizeof *pairs);
                tmp = malloc(((size_t)max_deg / 2 + 1) * sizeof *tmp);
                scratch = malloc((size_t)max_deg * 8);
            }
            if (!pairs || !tmp || !scratch) {
#pragma omp atomic write
                failed = 1;
                continue;
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
    }
    return failed;
}

tide_status ingest_sort_by_user_time(int64_t n, int64_t n_users, int32_t **users, int64_t **times,
                                     ingest_col *cols, int n_cols, int64_t **indptr_out, ingest_spare *spare) {
    tide_status st = TIDE_OK;
    int T = sort_threads(n, n_users);
    int64_t starts[MAX_CHUNKS + 1];
    int64_t *indptr = calloc((size_t)n_users + 2, sizeof *indptr);
    int64_t *pos = calloc((size_t)T * ((size_t)n_users + 1), sizeof *pos);
    char *packed = NULL;
    size_t offs[8];
    *indptr_out = NULL;
    if (!indptr || !pos || n_cols > 7) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory sorting events");
        goto fail;
    }
    size_t rs = record_layout(cols, n_cols, offs);
    if (!(packed = malloc((size_t)n * rs + 1))) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory sorting %lld events", (long long)n);
        goto fail;
    }
    ingest_hugepages(packed, (size_t)n * rs);
    int32_t *u = *users;
    even_chunks(n, T, starts);
    chunk_positions(u, n_users, T, starts, pos, indptr);
    /* One scatter of whole records: a random write per row instead of one per column. */
    {
        const int64_t *t = *times;
        size_t stride = (size_t)n_users + 1;
#pragma omp parallel for num_threads(T) schedule(static, 1)
        for (int c = 0; c < T; c++) {
            int64_t *p = pos + (size_t)c * stride;
            for (int64_t k = starts[c]; k < starts[c + 1]; k++) {
                char *r = packed + (size_t)p[u[k]]++ * rs;
                memcpy(r, &t[k], 8);
                for (int j = 0; j < n_cols; j++)
                    put(r + offs[j], (const char *)*cols[j].data + (size_t)k * cols[j].elem, cols[j].elem);
            }
        }
    }
    free(pos);
    pos = NULL;
    unpack(packed, rs, n, *times, cols, n_cols, offs, T);
    /* The packed array and the user column are spent: handed to the caller for reuse, or freed. */
    if (spare) {
        ingest_spare_free(spare);
        spare->packed = packed;
        spare->packed_bytes = (size_t)n * rs;
        spare->dest = u;
        spare->dest_bytes = (size_t)n * sizeof *u;
    } else {
        free(packed);
        free(u);
    }
    packed = NULL;
    *users = NULL;

    /* within each user: stable by time */
    if (sort_within_users(n_users, indptr, *times, cols, n_cols, T)) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory sorting events");
        goto fail;
    }
    *indptr_out = indptr;
    return TIDE_OK;
fail:
    free(indptr);
    free(pos);
    free(packed);
    return st;
}

tide_status ingest_item_major(int64_t n_users, int64_t n_items, const int64_t *indptr, const int32_t *items,
                              const int64_t *times, const float *weights, int64_t **ip_out, int32_t **iu_out,
                              float **iw_out, int64_t **it_out, ingest_spare *spare) {
    int64_t nnz = indptr[n_users];
    int T = sort_threads(nnz, n_items);
    int64_t starts[MAX_CHUNKS + 1];
    int64_t *ip = calloc((size_t)n_items + 2, sizeof *ip);
    int64_t *pos = calloc((size_t)T * ((size_t)n_items + 1), sizeof *pos);
    char *packed = NULL;
    int32_t *iu = NULL;
    float *iw = NULL;
    /* The sort's spent buffers hold the packed records and the users, so only the weights (and
     * the packed array's growth, if its records were shorter) need fresh, kernel-zeroed pages.
     * The packed one is resized first (a remap for big blocks, not a copy). */
    /* Records: time, user and (unless every weight is 1) weight. */
    const size_t rs = weights ? 16 : 12;
    if (spare && spare->packed) {
        packed = realloc(spare->packed, (size_t)nnz * rs + 1);
        if (packed) {
            spare->packed = NULL;
            ingest_hugepages(packed, (size_t)nnz * rs); /* for the grown part */
        }
    }
    if (!packed && (packed = malloc((size_t)nnz * rs + 1))) ingest_hugepages(packed, (size_t)nnz * rs);
    if (spare && spare->dest && spare->dest_bytes >= (size_t)nnz * sizeof *iu) {
        iu = spare->dest;
        spare->dest = NULL;
    }
    if (spare) ingest_spare_free(spare); /* what could not be used goes before the peak */
    if (!ip || !pos || !packed) goto nomem;
    /* Counting sort by item; within an item, entries keep user-major order (as
     * tide_dataset_build_item_major makes them), each moved as one 16-byte record. */
    even_chunks(nnz, T, starts);
    chunk_positions(items, n_items, T, starts, pos, ip);
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int c = 0; c < T; c++) {
        int64_t *p = pos + (size_t)c * ((size_t)n_items + 1);
        int64_t k = starts[c], end = starts[c + 1];
        /* the user of row k: the last x with indptr[x] <= k */
        int64_t lo = 0, hi = n_users;
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (indptr[mid] <= k) lo = mid;
            else hi = mid;
        }
        for (int64_t x = lo; k < end; x++) {
            int32_t u32 = (int32_t)x;
            int64_t b = indptr[x + 1] < end ? indptr[x + 1] : end;
            for (; k < b; k++) {
                char *r = packed + (size_t)p[items[k]]++ * rs;
                memcpy(r, &times[k], 8);
                memcpy(r + 8, &u32, 4);
                if (weights) memcpy(r + 12, &weights[k], 4);
            }
        }
    }
    free(pos);
    pos = NULL;
    if (!iu && (iu = malloc((size_t)nnz * sizeof *iu + 1))) ingest_hugepages(iu, (size_t)nnz * sizeof *iu);
    if (weights && (iw = malloc((size_t)nnz * sizeof *iw + 1))) ingest_hugepages(iw, (size_t)nnz * sizeof *iw);
    if (!iu || (weights && !iw)) goto nomem;
#pragma omp parallel for num_threads(T) schedule(static)
    for (int64_t k = 0; k < nnz; k++) {
        memcpy(&iu[k], packed + (size_t)k * rs + 8, 4);
        if (iw) memcpy(&iw[k], packed + (size_t)k * rs + 12, 4);
    }
    /* Compact the times in place (serial: record k's time moves from rs*k to 8k, over records
     * already read). */
    int64_t *t = (int64_t *)(void *)packed;
    for (int64_t k = 0; k < nnz; k++) memcpy(&t[k], packed + (size_t)k * rs, 8);
    int64_t *shrunk = realloc(packed, (size_t)nnz * 8 + 8);
    *ip_out = ip;
    *iu_out = iu;
    *iw_out = iw;
    *it_out = shrunk ? shrunk : t;
    return TIDE_OK;
nomem:
    free(ip);
    free(pos);
    free(packed);
    free(iu);
    free(iw);
    return tide_error(TIDE_ERR_NOMEM, "out of memory building the item-major copy (%lld interactions)", (long long)nnz);
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
