/* itemknn.c — item-item nearest neighbours: for every item i, the co-occurrence dot products
 * with every item sharing a user (accumulated from i's users' rows, cost Σ_u n_u²), turned into
 * cosine similarity or left as BM25-weighted dot products (implicit's BM25Recommender), and
 * the top-N kept. Each item's row is computed by one thread in a fixed order: deterministic and
 * independent of the thread count.
 *
 * BM25 weighting of interaction (u, i), with users as documents and items as terms:
 *   w' = w (K1 + 1) / (K1·((1 − B) + B·len_u/avg_len) + w) · idf_i,
 *   idf_i = ln(n_users) − ln(1 + users_i),  len_u = Σ_i w_ui. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mf-internal.h"

typedef struct { float s; int32_t j; } nb_t;

/* "a ranks below b": lower similarity, or equal similarity and higher index. */
static inline int worse(nb_t a, nb_t b) { return a.s < b.s || (a.s == b.s && a.j > b.j); }

static void sift_down(nb_t *h, int n, int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(h[l], h[m])) m = l;
        if (r < n && worse(h[r], h[m])) m = r;
        if (m == i) return;
        nb_t t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

static int cmp_nb(const void *a, const void *b) {
    nb_t x = *(const nb_t *)a, y = *(const nb_t *)b;
    return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

tide_status tide_itemknn_fit(const tide_dataset *ds, const float *uw, const float *iw, const tide_mf_params *p,
                             int64_t **indptr_out, int32_t **nb_out, float **sim_out) {
    int64_t n = ds->n_items, N = p->neighbors < n ? p->neighbors : n;
    tide_status st = TIDE_OK;
    float *bu = NULL, *bi = NULL, *norm = NULL, *tsim = NULL;
    int32_t *tnb = NULL;
    int64_t *cnt = NULL, *ip = NULL;
    int32_t *onb = NULL;
    float *osim = NULL;
    int failed = 0;
    const float *wu = uw, *wi = iw;
    if (p->similarity == TIDE_KNN_BM25) {
        bu = tide_malloc((size_t)ds->nnz * sizeof *bu + 1);
        bi = tide_malloc((size_t)ds->nnz * sizeof *bi + 1);
        double *len = tide_calloc((size_t)ds->n_users + 1, sizeof *len);
        if (!bu || !bi || !len) { free(len); st = TIDE_ERR_NOMEM; goto done; }
        double avg = 0;
        for (int64_t u = 0; u < ds->n_users; u++) {
            for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++) len[u] += uw[k];
            avg += len[u];
        }
        avg = ds->n_users ? avg / (double)ds->n_users : 1;
        if (!(avg > 0)) avg = 1;
        double K1 = p->bm25_k1, B = p->bm25_b;
        for (int64_t u = 0; u < ds->n_users; u++) {
            double ln = (1 - B) + B * len[u] / avg;
            for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++) {
                int32_t i = ds->items[k];
                double df = (double)(ds->item_indptr[i + 1] - ds->item_indptr[i]);
                double idf = log((double)ds->n_users) - log1p(df);
                bu[k] = (float)(uw[k] * (K1 + 1) / (K1 * ln + uw[k]) * idf);
            }
        }
        free(len);
        int64_t *pos = tide_malloc(((size_t)n + 1) * sizeof *pos);
        if (!pos) { st = TIDE_ERR_NOMEM; goto done; }
        memcpy(pos, ds->item_indptr, ((size_t)n + 1) * sizeof *pos);
        for (int64_t k = 0; k < ds->nnz; k++) bi[pos[ds->items[k]]++] = bu[k];
        free(pos);
        wu = bu;
        wi = bi;
    }
    norm = tide_malloc((size_t)n * sizeof *norm + 1);
    tnb = tide_malloc((size_t)n * (size_t)N * sizeof *tnb + 1);
    tsim = tide_malloc((size_t)n * (size_t)N * sizeof *tsim + 1);
    cnt = tide_calloc((size_t)n + 1, sizeof *cnt);
    if (!norm || !tnb || !tsim || !cnt) { st = TIDE_ERR_NOMEM; goto done; }
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t q = ds->item_indptr[i]; q < ds->item_indptr[i + 1]; q++) s += (double)wi[q] * wi[q];
        norm[i] = (float)sqrt(s);
    }
    int cosine = p->similarity == TIDE_KNN_COSINE;
#pragma omp parallel
    {
        float *acc = calloc((size_t)n + 1, sizeof *acc);
        int32_t *touched = malloc(((size_t)n + 1) * sizeof *touched);
        nb_t *heap = malloc(((size_t)N + 1) * sizeof *heap);
        if (!acc || !touched || !heap) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 16)
        for (int64_t i = 0; i < n; i++) {
            if (!acc || !touched || !heap) continue;
            int64_t nt = 0;
            for (int64_t q = ds->item_indptr[i]; q < ds->item_indptr[i + 1]; q++) {
                int32_t u = ds->item_users[q];
                float a = wi[q];
                for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++) {
                    int32_t j = ds->items[k];
                    if (j == i) continue;
                    if (acc[j] == 0 && !(a * wu[k] == 0)) touched[nt++] = j;
                    acc[j] += a * wu[k];
                }
            }
            int hn = 0;
            for (int64_t t = 0; t < nt; t++) {
                int32_t j = touched[t];
                float v = acc[j];
                acc[j] = 0;
                if (v == 0) continue; /* a zero sum can reappear in the list: skip repeats */
                if (cosine) v = norm[i] > 0 && norm[j] > 0 ? v / (norm[i] * norm[j]) : 0;
                if (!(v > 0)) continue;
                nb_t c = {v, j};
                if (hn < N) {
                    heap[hn++] = c;
                    for (int x = hn / 2 - 1; x >= 0 && hn == N; x--) sift_down(heap, hn, x);
                } else if (worse(heap[0], c)) {
                    heap[0] = c;
                    sift_down(heap, hn, 0);
                }
            }
            qsort(heap, (size_t)hn, sizeof *heap, cmp_nb);
            for (int x = 0; x < hn; x++) {
                tnb[(size_t)i * N + x] = heap[x].j;
                tsim[(size_t)i * N + x] = heap[x].s;
            }
            cnt[i + 1] = hn;
        }
        free(acc);
        free(touched);
        free(heap);
    }
    if (failed) { st = tide_error(TIDE_ERR_NOMEM, "item-kNN: out of memory for per-thread buffers"); goto done; }
    for (int64_t i = 0; i < n; i++) cnt[i + 1] += cnt[i];
    onb = tide_malloc((size_t)cnt[n] * sizeof *onb + 1);
    osim = tide_malloc((size_t)cnt[n] * sizeof *osim + 1);
    if (!onb || !osim) { st = TIDE_ERR_NOMEM; goto done; }
    for (int64_t i = 0; i < n; i++) {
        int64_t m = cnt[i + 1] - cnt[i];
        memcpy(onb + cnt[i], tnb + (size_t)i * N, (size_t)m * sizeof *onb);
        memcpy(osim + cnt[i], tsim + (size_t)i * N, (size_t)m * sizeof *osim);
    }
    ip = cnt;
    cnt = NULL;
done:
    free(bu); free(bi); free(norm); free(tnb); free(tsim); free(cnt);
    if (st) {
        free(onb); free(osim);
        return st;
    }
    *indptr_out = ip;
    *nb_out = onb;
    *sim_out = osim;
    return TIDE_OK;
}
