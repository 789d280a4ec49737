/* seq.c — the `seq` component: a linear next-item model fitted in closed form (SLIT, Choi et
 * al., "Session-aware Linear Item-Item Models for Session-based Recommendation", WWW 2021).
 *
 * Every training event t (after a user's first) is one regression row: its input s_t is the
 * user's last seq_last events before t, the j-th most recent weighted by p->seq_fit (position
 * and time decay, ages counted from t's time); its target is the events t .. t+seq_gap−1, the
 * g-th at weight 1/(g+1) (a burst's order within a second is arbitrary). Then
 *     B = (SᵀS + λI)⁻¹ SᵀT,
 * the ridge regression of what comes next on what came just before. Unlike the transition
 * table (counts of pairs), each prefix item's weight is fitted jointly with the others', so an
 * item that only co-occurs with a better predictor is explained away. B is dense [n, n]; a
 * user's row is Σ_j w_j B[item_j] over their last events (features.c).
 *
 * Cost: the Gram Σ_t s_t s_tᵀ (at most seq_last² per event), one SPD inverse (EASE's, ease.c),
 * and the product P·SᵀT through its transpose: row i of Bᵀ = Σ_k C_ki P_k for the nonzero
 * C = SᵀT entries of column i, so each output row is one thread's, in a fixed order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/interest.h"
#include "tide/mf.h"
#include "interest-impl.h"

/* A prefix weight under this is dropped (exp(−j/τ) at τ = 2 reaches it after 18 events). */
#define SEQ_W_MIN 1e-4

typedef tide_interest_pair pair;

double tide_interest_seq_weight(const tide_interest_decay *d, int64_t j, double age) {
    double w = d->tau > 0 ? exp(-(double)j / d->tau) : 1.0;
    if (d->half_life > 0 && age > 0) w *= exp2(-age / d->half_life);
    return w;
}

size_t tide_interest_seq_bytes_needed(int64_t n_items) {
    /* P and Bᵀ (transposed into B in place), both items² floats, plus EASE's inverse panels */
    return tide_ease_bytes_needed(n_items) + (size_t)n_items * (size_t)n_items * sizeof(float);
}

tide_status tide_interest_fit_seq(const tide_dataset *ds, const tide_interest_params *p, size_t max_bytes,
                                  float **out) {
    *out = NULL;
    int64_t n = ds->n_items, L = p->seq_last, G = p->seq_gap;
    size_t need = tide_interest_seq_bytes_needed(n), have = max_bytes ? max_bytes : tide_mf_available_memory();
    if (ds->nnz >= INT32_MAX) return tide_error(TIDE_ERR_NOMEM, "interest: the seq component is limited to 2^31 events");
    if (need > have || n > INT32_MAX / 2)
        return tide_error(TIDE_ERR_NOMEM, "interest: the seq component needs %.2f GiB for %lld items but only %.2f GiB "
                          "are available; leave it out (--components)", (double)need / (1 << 30), (long long)n,
                          (double)have / (1 << 30));
    /* The input rows as (item, row) entries, item-major, and the Gram and SᵀT pairs from them.
     * Rows are numbered by their target event k. */
    int64_t cap_in = 0;
    for (int64_t u = 0; u < ds->n_users; u++) {
        int64_t m = ds->indptr[u + 1] - ds->indptr[u];
        if (m > 1) cap_in += (m - 1) * (m - 1 < L ? m - 1 : L);
    }
    pair *in = tide_malloc((size_t)cap_in * sizeof *in + 1);   /* a = item, b = row (event k), w */
    if (!in) return TIDE_ERR_NOMEM;
    int64_t n_in = 0;
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->indptr[u] + 1; k < ds->indptr[u + 1]; k++)
            for (int64_t j = 0; j < L && k - 1 - j >= ds->indptr[u]; j++) {
                int64_t e = k - 1 - j;
                double age = ds->times ? (double)(ds->times[k] - ds->times[e]) : 0;
                double w = tide_interest_seq_weight(&p->seq_fit, j, age);
                if (w < SEQ_W_MIN) continue;
                in[n_in++] = (pair){ds->items[e], (int32_t)(k - ds->indptr[0]), (float)w};
            }
    /* `in` is in row order already (events in order): row_ptr delimits each row's entries */
    int64_t *row_ptr = tide_calloc((size_t)ds->nnz + 2, sizeof *row_ptr);
    float *G_ = NULL, *C = NULL;
    pair *ct = NULL, *im = NULL;
    int64_t *item_ptr = NULL;
    tide_status st = TIDE_OK;
    if (!row_ptr) { st = TIDE_ERR_NOMEM; goto done; }
    for (int64_t q = 0; q < n_in; q++) row_ptr[in[q].b + 1]++;
    for (int64_t r = 0; r < ds->nnz; r++) row_ptr[r + 1] += row_ptr[r];
    /* item-major index of the same entries: (item, row, w) sorted by item then row */
    if (!(im = tide_malloc((size_t)n_in * sizeof *im + 1)) ||
        !(item_ptr = tide_calloc((size_t)n + 1, sizeof *item_ptr))) { st = TIDE_ERR_NOMEM; goto done; }
    memcpy(im, in, (size_t)n_in * sizeof *im);
    tide_interest_pairs_sort(im, n_in);
    for (int64_t q = 0; q < n_in; q++) item_ptr[im[q].a + 1]++;
    for (int64_t i = 0; i < n; i++) item_ptr[i + 1] += item_ptr[i];

    /* Gram: row i of SᵀS, each thread owning whole rows (the sum order never depends on threads) */
    if (!(G_ = tide_calloc((size_t)n * (size_t)n, sizeof *G_))) { st = TIDE_ERR_NOMEM; goto done; }
#pragma omp parallel for schedule(dynamic, 16)
    for (int64_t i = 0; i < n; i++) {
        float *g = G_ + (size_t)i * n;
        for (int64_t q = item_ptr[i]; q < item_ptr[i + 1]; q++) {
            int64_t r = im[q].b;
            float a = im[q].w;
            for (int64_t e = row_ptr[r]; e < row_ptr[r + 1]; e++) g[in[e].a] += a * in[e].w;
        }
        g[i] += (float)p->seq_lambda;
    }
    int info = 0;
    if ((st = tide_spd_invert(G_, n, &info))) {
        if (info) st = tide_error(TIDE_ERR_INTERNAL, "interest: seq: Cholesky factorisation failed (LAPACK info %d)", info);
        goto done;
    }
    /* C = SᵀT as (target, input item, weight) pairs, merged: column-major for the product */
    int64_t cap_c = n_in * G;
    if (!(ct = tide_malloc((size_t)cap_c * sizeof *ct + 1))) { st = TIDE_ERR_NOMEM; goto done; }
    int64_t n_c = 0;
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->indptr[u] + 1; k < ds->indptr[u + 1]; k++) {
            int64_t r = k - ds->indptr[0];
            for (int64_t g = 0; g < G && k + g < ds->indptr[u + 1]; g++)
                for (int64_t e = row_ptr[r]; e < row_ptr[r + 1]; e++)
                    ct[n_c++] = (pair){ds->items[k + g], in[e].a, in[e].w / (float)(g + 1)};
        }
    n_c = tide_interest_pairs_merge(ct, n_c);
    int64_t *cptr = tide_calloc((size_t)n + 1, sizeof *cptr);
    if (!cptr) { st = TIDE_ERR_NOMEM; goto done; }
    for (int64_t q = 0; q < n_c; q++) cptr[ct[q].a + 1]++;
    for (int64_t i = 0; i < n; i++) cptr[i + 1] += cptr[i];
    /* Bᵀ row t = Σ_k C_kt P_k (P symmetric: its row k is its column k) */
    if (!(C = tide_calloc((size_t)n * (size_t)n, sizeof *C))) { free(cptr); st = TIDE_ERR_NOMEM; goto done; }
#pragma omp parallel for schedule(dynamic, 16)
    for (int64_t t = 0; t < n; t++) {
        float *bt = C + (size_t)t * n;
        for (int64_t q = cptr[t]; q < cptr[t + 1]; q++) {
            const float *pk = G_ + (size_t)ct[q].b * n;
            float c = ct[q].w;
            for (int64_t j = 0; j < n; j++) bt[j] += c * pk[j];
        }
    }
    free(cptr);
    /* B = (Bᵀ)ᵀ into P's memory, tile by tile */
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i0 = 0; i0 < n; i0 += 64)
        for (int64_t j0 = 0; j0 < n; j0 += 64)
            for (int64_t i = i0; i < i0 + 64 && i < n; i++)
                for (int64_t j = j0; j < j0 + 64 && j < n; j++) G_[(size_t)i * n + j] = C[(size_t)j * n + i];
    tide_log(TIDE_LOG_INFO, "interest: seq (SLIT) over %lld events: %lld prefix entries, %lld input-target pairs, lambda %g",
             (long long)ds->nnz, (long long)n_in, (long long)n_c, p->seq_lambda);
    *out = G_;
    G_ = NULL;
done:
    free(in);
    free(im);
    free(row_ptr);
    free(item_ptr);
    free(ct);
    free(C);
    free(G_);
    return st;
}
