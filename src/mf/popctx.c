/* popctx.c — contextual (time-aware) popularity: each item's training events weighted by their
 * distance in time to the user's own reference time, 2^(-|t_u - t_e|/h) (or only t_e <= t_u),
 * evaluated exactly from per-item running sums (tide/mf.h explains the recurrences). Users rate
 * in bursts years apart; what was popular when a user was active predicts their next event
 * better than what is popular at the end of the data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/mf.h"

typedef struct {
    int64_t t, k; /* time, item-major position (the tie-break: deterministic order) */
} ev;

static int cmp_ev(const void *a, const void *b) {
    const ev *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

tide_status tide_pop_events(const tide_dataset *ds, int64_t **indptr_out, int64_t **times_out, float **weights_out) {
    *indptr_out = NULL;
    *times_out = NULL;
    *weights_out = NULL;
    if (!ds->item_indptr) return tide_error(TIDE_ERR_INTERNAL, "dataset lacks its item-major copy");
    tide_status st = TIDE_OK;
    int64_t *ip = tide_malloc(((size_t)ds->n_items + 1) * sizeof *ip);
    int64_t *tt = tide_malloc((size_t)ds->nnz * sizeof *tt + 1);
    float *ww = tide_malloc((size_t)ds->nnz * sizeof *ww + 1);
    ev *buf = NULL;
    int64_t longest = 0;
    if (!ip || !tt || !ww) { st = TIDE_ERR_NOMEM; goto done; }
    for (int64_t i = 0; i < ds->n_items; i++) {
        int64_t n = ds->item_indptr[i + 1] - ds->item_indptr[i];
        if (n > longest) longest = n;
    }
    if (!(buf = tide_malloc((size_t)longest * sizeof *buf + 1))) { st = TIDE_ERR_NOMEM; goto done; }
    for (int64_t i = 0; i <= ds->n_items; i++) ip[i] = ds->item_indptr[i];
    for (int64_t i = 0; i < ds->n_items; i++) {
        int64_t a = ip[i], n = ip[i + 1] - a;
        for (int64_t q = 0; q < n; q++) buf[q] = (ev){ds->item_times[a + q], a + q};
        qsort(buf, (size_t)n, sizeof *buf, cmp_ev);
        for (int64_t q = 0; q < n; q++) {
            tt[a + q] = buf[q].t;
            ww[a + q] = ds->item_weights[buf[q].k];
        }
    }
done:
    free(buf);
    if (st) {
        free(ip);
        free(tt);
        free(ww);
        return st;
    }
    *indptr_out = ip;
    *times_out = tt;
    *weights_out = ww;
    return TIDE_OK;
}

void tide_pop_context_free(tide_pop_context *c) {
    if (!c) return;
    free(c->fwd);
    free(c->bwd);
    memset(c, 0, sizeof *c);
}

tide_status tide_pop_context_init(tide_pop_context *c, int64_t n_items, double h, tide_decay_kernel kernel,
                                  const int64_t *indptr, const int64_t *times, const float *weights, const char *what) {
    memset(c, 0, sizeof *c);
    if (!(h > 0) || !isfinite(h)) return tide_error(TIDE_ERR_DATA, "%s: the half-life must be > 0", what);
    if (indptr[0] != 0) return tide_error(TIDE_ERR_DATA, "%s: event index must start at 0", what);
    for (int64_t i = 0; i < n_items; i++)
        if (indptr[i + 1] < indptr[i])
            return tide_error(TIDE_ERR_DATA, "%s: event index decreases at item %lld", what, (long long)i + 1);
    int64_t nnz = indptr[n_items];
    c->fwd = tide_malloc((size_t)nnz * sizeof *c->fwd + 1);
    c->bwd = tide_malloc((size_t)nnz * sizeof *c->bwd + 1);
    if (!c->fwd || !c->bwd) {
        tide_pop_context_free(c);
        return TIDE_ERR_NOMEM;
    }
    c->n_items = n_items;
    c->half_life = h;
    c->kernel = kernel;
    c->indptr = indptr;
    c->times = times;
    c->latest = INT64_MIN;
    for (int64_t i = 0; i < n_items; i++) {
        int64_t a = indptr[i], b = indptr[i + 1];
        for (int64_t k = a; k < b; k++) {
            double w = weights[k];
            if (!isfinite(w) || w < 0 || (k > a && times[k] < times[k - 1])) {
                tide_status st = tide_error(TIDE_ERR_DATA, "%s: event %lld of item %lld has %s", what, (long long)(k - a),
                                            (long long)i, k > a && times[k] < times[k - 1] ? "a time before the previous one"
                                                                                           : "a weight that is not finite and >= 0");
                tide_pop_context_free(c);
                return st;
            }
            c->fwd[k] = k > a ? c->fwd[k - 1] * exp2(-((double)times[k] - (double)times[k - 1]) / h) + w : w;
        }
        for (int64_t k = b - 1; k >= a; k--)
            c->bwd[k] = k + 1 < b ? c->bwd[k + 1] * exp2(-((double)times[k + 1] - (double)times[k]) / h) + weights[k]
                                  : weights[k];
        if (b > a && times[b - 1] > c->latest) c->latest = times[b - 1];
    }
    if (c->latest == INT64_MIN) c->latest = 0;
    return TIDE_OK;
}

/* Item i's score at t: one helper for the whole row and for single items, so they agree bit for bit. */
static inline float score_item(const tide_pop_context *c, int64_t i, int64_t t) {
    double h = c->half_life, td = (double)t;
    int64_t a = c->indptr[i], b = c->indptr[i + 1];
    /* p = the first event after t (upper bound). */
    int64_t lo = a, hi = b;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c->times[mid] <= t) lo = mid + 1;
        else hi = mid;
    }
    double s = 0;
    if (lo > a) s += c->fwd[lo - 1] * exp2(-(td - (double)c->times[lo - 1]) / h);
    if (c->kernel == TIDE_KERNEL_TWO_SIDED && lo < b) s += c->bwd[lo] * exp2(-((double)c->times[lo] - td) / h);
    return (float)s;
}

void tide_pop_context_score(const tide_pop_context *c, int64_t t, float *scores) {
    for (int64_t i = 0; i < c->n_items; i++) scores[i] = score_item(c, i, t);
}

float tide_pop_context_score_one(const tide_pop_context *c, int64_t i, int64_t t) { return score_item(c, i, t); }

double tide_pop_context_max(const tide_pop_context *c, int64_t i) {
    /* Between events k and k+1 the score is fwd_k·2^(-(t − t_k)/h) + bwd_{k+1}·2^(-(t_{k+1} − t)/h)
     * (only the first term for the past kernel), each factor ≤ 1; before the first event bwd_a
     * (two-sided) or 0; after the last fwd_{b−1}. Inflated for the rounding of the evaluation. */
    int64_t a = c->indptr[i], b = c->indptr[i + 1];
    double m = 0;
    for (int64_t k = a; k < b; k++) {
        double v = c->fwd[k];
        if (c->kernel == TIDE_KERNEL_TWO_SIDED && k + 1 < b) v += c->bwd[k + 1];
        if (v > m) m = v;
    }
    if (c->kernel == TIDE_KERNEL_TWO_SIDED && b > a && c->bwd[a] > m) m = c->bwd[a];
    return m * (1 + 1e-6);   /* covers the double evaluation and its float rounding */
}
