/* bpr.c — Bayesian personalised ranking (Rendle et al. 2009) by SGD with uniform negatives,
 * parallel and lock-free by stratification instead of Hogwild's races: users and items are
 * cut into T shards (T = the thread count); an epoch runs T sub-epochs, and in sub-epoch s shard
 * t works on block (user shard t, item shard (t+s) mod T). Blocks running together share no
 * user and no item, so no update is lost or raced, and each block draws from its own seeded
 * stream: the result depends on the seed and T only, never on scheduling. The price: a
 * positive's negative is drawn uniformly from the positive's item shard (every item is still
 * equally likely to be a negative overall). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mf-internal.h"
#include "tide/clones.h"

typedef struct { int32_t u, i; } tide_bpr_pair;

struct tide_bpr_state {
    const tide_dataset *ds;
    int T;
    int64_t *ushard;        /* [T+1] user shard bounds (balanced by interactions) */
    int64_t *ishard;        /* [T+1] item shard bounds (balanced by count) */
    int64_t *block_ptr;     /* [T*T+1] start of block (a, b) in `block` */
    tide_bpr_pair *block;   /* (user, item) of every interaction, grouped by block */
    int32_t *sorted;        /* [nnz] each user's items, sorted (negative check) */
};

void tide_bpr_free(tide_bpr_state *s) {
    if (!s) return;
    free(s->ushard); free(s->ishard); free(s->block_ptr); free(s->block); free(s->sorted);
    free(s);
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int item_shard(const tide_bpr_state *s, int32_t i) {
    int lo = 0, hi = s->T - 1;
    while (lo < hi) { /* last shard whose start is <= i */
        int mid = (lo + hi + 1) / 2;
        if (s->ishard[mid] <= i) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

tide_status tide_bpr_init(const tide_dataset *ds, const float *uw, int threads, tide_bpr_state **out) {
    (void)uw;
    *out = NULL;
    int T = threads < 1 ? 1 : threads;
    if (T > ds->n_items) T = (int)ds->n_items;
    if (T > ds->n_users) T = (int)ds->n_users;
    if (T < 1) T = 1;
    tide_bpr_state *s = tide_calloc(1, sizeof *s);
    if (!s) return TIDE_ERR_NOMEM;
    s->ds = ds;
    s->T = T;
    int64_t nnz = ds->nnz;
    s->ushard = tide_malloc(((size_t)T + 1) * sizeof(int64_t));
    s->ishard = tide_malloc(((size_t)T + 1) * sizeof(int64_t));
    s->block_ptr = tide_calloc((size_t)T * T + 1, sizeof(int64_t));
    s->block = tide_malloc((size_t)nnz * sizeof(tide_bpr_pair) + 1);
    s->sorted = tide_malloc((size_t)nnz * sizeof(int32_t) + 1);
    int64_t *pos = tide_malloc(((size_t)T * T + 1) * sizeof(int64_t));
    if (!s->ushard || !s->ishard || !s->block_ptr || !s->block || !s->sorted || !pos) {
        free(pos);
        tide_bpr_free(s);
        return TIDE_ERR_NOMEM;
    }
    for (int t = 0; t <= T; t++) s->ishard[t] = ds->n_items * t / T;
    s->ushard[0] = 0;
    int64_t u = 0;
    for (int t = 1; t < T; t++) {
        int64_t target = nnz * t / T;
        while (u < ds->n_users && ds->indptr[u] < target) u++;
        if (u < s->ushard[t - 1] + 1) u = s->ushard[t - 1] + 1;
        if (u > ds->n_users - (T - t)) u = ds->n_users - (T - t);
        s->ushard[t] = u;
    }
    s->ushard[T] = ds->n_users;
    for (int a = 0; a < T; a++)
        for (int64_t v = s->ushard[a]; v < s->ushard[a + 1]; v++)
            for (int64_t k = ds->indptr[v]; k < ds->indptr[v + 1]; k++) {
                s->block_ptr[a * T + item_shard(s, ds->items[k]) + 1]++;
            }
    for (int b = 0; b < T * T; b++) s->block_ptr[b + 1] += s->block_ptr[b];
    memcpy(pos, s->block_ptr, ((size_t)T * T + 1) * sizeof *pos);
    for (int a = 0; a < T; a++)
        for (int64_t v = s->ushard[a]; v < s->ushard[a + 1]; v++)
            for (int64_t k = ds->indptr[v]; k < ds->indptr[v + 1]; k++)
                s->block[pos[a * T + item_shard(s, ds->items[k])]++] = (tide_bpr_pair){(int32_t)v, ds->items[k]};
    free(pos);
    memcpy(s->sorted, ds->items, (size_t)nnz * sizeof(int32_t));
    for (int64_t v = 0; v < ds->n_users; v++)
        qsort(s->sorted + ds->indptr[v], (size_t)(ds->indptr[v + 1] - ds->indptr[v]), sizeof(int32_t), cmp_i32);
    *out = s;
    return TIDE_OK;
}


/* One SGD step on the triple (u, i, j); the three rows are distinct (j is not a positive of u,
 * i is), hence `restrict`, which lets the loops vectorise. Returns the margin d. */
TIDE_CLONES_V3
static float bpr_step(float *restrict x, float *restrict vi, float *restrict vj, float *bi, float *bj, int k,
                      float lr, float reg) {
    float d = *bi - *bj;
    d += tide_vdot(x, vi, k) - tide_vdot(x, vj, k);
    float z = 1.0f / (1.0f + expf(d)); /* σ(−d): the gradient scale of ln σ(d) */
#pragma omp simd
    for (int f = 0; f < k; f++) {
        float xf = x[f], vif = vi[f], vjf = vj[f];
        x[f] = xf + lr * (z * (vif - vjf) - reg * xf);
        vi[f] = vif + lr * (z * xf - reg * vif);
        vj[f] = vjf + lr * (-z * xf - reg * vjf);
    }
    *bi += lr * (z - reg * *bi);
    *bj += lr * (-z - reg * *bj);
    return d;
}

static int has_item(const int32_t *a, int64_t n, int32_t x) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && a[lo] == x;
}

tide_status tide_bpr_epoch(tide_bpr_state *s, const tide_mf_params *p, int epoch, float *U, float *V, float *bias,
                           double *loss, double *accuracy) {
    const tide_dataset *ds = s->ds;
    int T = s->T, k = p->factors;
    float lr = (float)p->learning_rate, reg = (float)p->regularization;
    double *acc_loss = tide_calloc((size_t)T, sizeof(double));
    int64_t *acc_ok = tide_calloc((size_t)T, sizeof(int64_t)), *acc_n = tide_calloc((size_t)T, sizeof(int64_t));
    if (!acc_loss || !acc_ok || !acc_n) {
        free(acc_loss); free(acc_ok); free(acc_n);
        return TIDE_ERR_NOMEM;
    }
    for (int sub = 0; sub < T; sub++) {
#pragma omp parallel for schedule(static, 1)
        for (int t = 0; t < T; t++) {
            int b = (t + sub) % T;
            int64_t b0 = s->block_ptr[t * T + b], bn = s->block_ptr[t * T + b + 1] - b0;
            int64_t ilo = s->ishard[b], isz = s->ishard[b + 1] - ilo;
            tide_rng g = tide_rng_seed(p->seed, 0x6270720000ULL + (uint64_t)epoch, (uint64_t)sub * (uint64_t)T + (uint64_t)t);
            double l = 0;
            int64_t ok = 0, n = 0;
            /* Sampling is latency-bound (random rows everywhere): draw positions LOOK steps
             * ahead and prefetch what each sample will touch, in two stages. */
            enum { LOOK = 8, MASK = 15 };
            int64_t ring[MASK + 1];
            tide_bpr_pair pr[MASK + 1];
            int32_t neg[MASK + 1]; /* first negative candidate, drawn with the positive */
            for (int64_t q = 0; q < bn && q < 2 * LOOK; q++) ring[q] = (int64_t)tide_rng_below(&g, (uint64_t)bn);
            for (int64_t q = 0; q < bn && q < LOOK && isz > 0; q++) {
                pr[q] = s->block[b0 + ring[q]];
                neg[q] = (int32_t)(ilo + (int64_t)tide_rng_below(&g, (uint64_t)isz));
            }
            for (int64_t q = 0; q < bn && isz > 0; q++) {
                if (q + 2 * LOOK < bn) {
                    int64_t r = (int64_t)tide_rng_below(&g, (uint64_t)bn);
                    ring[(q + 2 * LOOK) & MASK] = r;
                    __builtin_prefetch(s->block + b0 + r);
                }
                if (q + LOOK < bn) {
                    tide_bpr_pair nx = s->block[b0 + ring[(q + LOOK) & MASK]];
                    pr[(q + LOOK) & MASK] = nx;
                    int32_t c = (int32_t)(ilo + (int64_t)tide_rng_below(&g, (uint64_t)isz));
                    neg[(q + LOOK) & MASK] = c;
                    __builtin_prefetch(V + (size_t)c * k);
                    __builtin_prefetch(U + (size_t)nx.u * k);
                    __builtin_prefetch(V + (size_t)nx.i * k);
                    __builtin_prefetch(ds->indptr + nx.u);
                }
                int32_t u = pr[q & MASK].u, i = pr[q & MASK].i;
                const int32_t *row = s->sorted + ds->indptr[u];
                int64_t rn = ds->indptr[u + 1] - ds->indptr[u];
                int32_t j = -1;
                for (int tries = 0; tries < 8; tries++) {
                    int32_t c = tries == 0 ? neg[q & MASK] : (int32_t)(ilo + (int64_t)tide_rng_below(&g, (uint64_t)isz));
                    if (!has_item(row, rn, c)) { j = c; break; }
                }
                if (j < 0) continue;
                float d = bpr_step(U + (size_t)u * k, V + (size_t)i * k, V + (size_t)j * k, bias + i, bias + j, k, lr, reg);
                l += d > 0 ? log1p(exp(-(double)d)) : -(double)d + log1p(exp((double)d));
                ok += d > 0;
                n++;
            }
            acc_loss[t] += l;
            acc_ok[t] += ok;
            acc_n[t] += n;
        }
    }
    double L = 0;
    int64_t OK = 0, N = 0;
    for (int t = 0; t < T; t++) { L += acc_loss[t]; OK += acc_ok[t]; N += acc_n[t]; }
    *loss = N ? L / (double)N : 0;
    *accuracy = N ? (double)OK / (double)N : 0;
    free(acc_loss); free(acc_ok); free(acc_n);
    return TIDE_OK;
}
