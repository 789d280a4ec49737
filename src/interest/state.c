/* state.c — all users' interest states as contiguous arrays (one row per user, the interest
 * dir's layout), the batch capture of a block of users, and the online step that advances one
 * user by new events. Every state is recomputed from the history view by
 * tide_interest_features, so batch, incremental and online runs agree exactly. */
#include <stdlib.h>
#include <string.h>

#include "tide/interest.h"
#include "interest-impl.h"

#define K TIDE_INTEREST_MAX_K

tide_status tide_interest_states_alloc(tide_interest_states *S, int64_t n, int k, int d) {
    memset(S, 0, sizeof *S);
    S->n_users = n;
    S->als_k = k;
    S->lm_dim = d;
    size_t N = (size_t)n + 1;
#define A(f, cnt) if (!(S->f = tide_calloc(N * (size_t)(cnt) + 1, sizeof *S->f))) goto nomem
    A(long_cf, k); A(short_cf, k);
    A(short_lm, d); A(long_lm, d); A(words_lm, d);
    A(centroids, (size_t)K * d);
    A(n_clusters, 1); A(strength, K); A(last_active, K); A(cluster_size, K); A(top_items, K * 3); A(cats, K * 2);
    A(drift, 1); A(drift_cf, 1); A(last_time, 1); A(n_events, 1); A(n_text, 1);
#undef A
    return TIDE_OK;
nomem:
    tide_interest_states_free(S);
    return TIDE_ERR_NOMEM;
}

void tide_interest_states_free(tide_interest_states *S) {
    free(S->long_cf); free(S->short_cf); free(S->short_lm); free(S->long_lm); free(S->words_lm); free(S->centroids);
    free(S->n_clusters); free(S->strength); free(S->last_active); free(S->cluster_size); free(S->top_items); free(S->cats);
    free(S->drift); free(S->drift_cf); free(S->last_time); free(S->n_events); free(S->n_text);
    memset(S, 0, sizeof *S);
}

void tide_interest_states_put(tide_interest_states *S, int64_t u, const tide_interest_user *s, int64_t n_text) {
    int k = S->als_k, d = S->lm_dim;
    if (k) {
        memcpy(S->long_cf + u * k, s->long_cf, (size_t)k * sizeof(float));
        memcpy(S->short_cf + u * k, s->short_cf, (size_t)k * sizeof(float));
    }
    if (d) {
        memcpy(S->short_lm + u * d, s->short_lm, (size_t)d * sizeof(float));
        memcpy(S->long_lm + u * d, s->long_lm, (size_t)d * sizeof(float));
        memcpy(S->words_lm + u * d, s->words_lm, (size_t)d * sizeof(float));
        memset(S->centroids + u * K * d, 0, (size_t)K * d * sizeof(float));
        memcpy(S->centroids + u * K * d, s->centroids, (size_t)s->n_clusters * d * sizeof(float));
    }
    S->n_clusters[u] = s->n_clusters;
    for (int q = 0; q < K; q++) {
        int on = q < s->n_clusters;
        S->strength[u * K + q] = on ? s->clusters[q].strength : 0;
        S->last_active[u * K + q] = on ? s->clusters[q].last_active : 0;
        S->cluster_size[u * K + q] = on ? s->clusters[q].n_items : 0;
        for (int r = 0; r < 3; r++) S->top_items[(u * K + q) * 3 + r] = on ? s->clusters[q].top_items[r] : -1;
        for (int r = 0; r < 2; r++) S->cats[(u * K + q) * 2 + r] = on ? s->clusters[q].cats[r] : -1;
    }
    S->drift[u] = s->drift;
    S->drift_cf[u] = s->drift_cf;
    S->last_time[u] = s->last_time;
    S->n_events[u] = s->n_events;
    S->n_text[u] = n_text;
}

void tide_interest_states_get(const tide_interest_states *S, int64_t u, tide_interest_user *s) {
    int k = S->als_k, d = S->lm_dim;
    if (k && s->long_cf) memcpy(s->long_cf, S->long_cf + u * k, (size_t)k * sizeof(float));
    if (k && s->short_cf) memcpy(s->short_cf, S->short_cf + u * k, (size_t)k * sizeof(float));
    if (d && s->short_lm) memcpy(s->short_lm, S->short_lm + u * d, (size_t)d * sizeof(float));
    if (d && s->long_lm) memcpy(s->long_lm, S->long_lm + u * d, (size_t)d * sizeof(float));
    if (d && s->words_lm) memcpy(s->words_lm, S->words_lm + u * d, (size_t)d * sizeof(float));
    if (d && s->centroids) memcpy(s->centroids, S->centroids + u * K * d, (size_t)K * d * sizeof(float));
    s->n_clusters = S->n_clusters[u];
    for (int q = 0; q < K; q++) {
        s->clusters[q].strength = S->strength[u * K + q];
        s->clusters[q].last_active = S->last_active[u * K + q];
        s->clusters[q].n_items = S->cluster_size[u * K + q];
        for (int r = 0; r < 3; r++) s->clusters[q].top_items[r] = S->top_items[(u * K + q) * 3 + r];
        for (int r = 0; r < 2; r++) s->clusters[q].cats[r] = S->cats[(u * K + q) * 2 + r];
    }
    s->drift = S->drift[u];
    s->drift_cf = S->drift_cf[u];
    s->last_time = S->last_time[u];
    s->n_events = S->n_events[u];
}

int tide_interest_state_arrays(tide_interest_states *S, tide_interest_state_array *out) {
    int n = 0, k = S->als_k, d = S->lm_dim;
#define E(nm, dt, rank, a, b, f, cnt)                                                              \
    do {                                                                                           \
        out[n] = (tide_interest_state_array){nm, dt, rank, {a, b}, (size_t)(cnt) * sizeof *S->f, (void **)&S->f}; \
        n++;                                                                                       \
    } while (0)
    if (k) {
        E("long_cf", TIDE_DTYPE_F32, 2, k, 0, long_cf, k);
        E("short_cf", TIDE_DTYPE_F32, 2, k, 0, short_cf, k);
    }
    if (d) {
        E("short_lm", TIDE_DTYPE_F32, 2, d, 0, short_lm, d);
        E("long_lm", TIDE_DTYPE_F32, 2, d, 0, long_lm, d);
        E("words_lm", TIDE_DTYPE_F32, 2, d, 0, words_lm, d);
        E("centroids", TIDE_DTYPE_F32, 3, K, d, centroids, (size_t)K * d);
    }
    E("n_clusters", TIDE_DTYPE_I32, 1, 0, 0, n_clusters, 1);
    E("cluster_strength", TIDE_DTYPE_F32, 2, K, 0, strength, K);
    E("cluster_last_active", TIDE_DTYPE_I64, 2, K, 0, last_active, K);
    E("cluster_size", TIDE_DTYPE_I32, 2, K, 0, cluster_size, K);
    E("cluster_items", TIDE_DTYPE_I32, 3, K, 3, top_items, K * 3);
    E("cluster_categories", TIDE_DTYPE_I32, 3, K, 2, cats, K * 2);
    E("drift", TIDE_DTYPE_F32, 1, 0, 0, drift, 1);
    E("drift_cf", TIDE_DTYPE_F32, 1, 0, 0, drift_cf, 1);
    E("last_time", TIDE_DTYPE_I64, 1, 0, 0, last_time, 1);
    E("n_events", TIDE_DTYPE_I64, 1, 0, 0, n_events, 1);
    E("n_text", TIDE_DTYPE_I64, 1, 0, 0, n_text, 1);
#undef E
    return n;
}

void tide_interest_states_copy_row(tide_interest_states *dst, int64_t i, const tide_interest_states *src, int64_t j) {
    tide_interest_state_array a[TIDE_INTEREST_STATE_ARRAYS], b[TIDE_INTEREST_STATE_ARRAYS];
    int n = tide_interest_state_arrays(dst, a);
    tide_interest_state_arrays((tide_interest_states *)src, b);
    for (int q = 0; q < n; q++)
        memcpy((char *)*a[q].field + (size_t)i * a[q].row_bytes, (const char *)*b[q].field + (size_t)j * b[q].row_bytes,
               a[q].row_bytes);
}

/* Grow every per-user array to n rows (users are only ever appended); new rows are zero. glibc
 * moves large blocks with mremap, so growing the loaded previous states copies nothing. */
tide_status tide_interest_states_grow(tide_interest_states *S, int64_t n) {
    if (n <= S->n_users) return TIDE_OK;
    /* from the old last row on: a loaded array holds exactly n_users rows */
    size_t o = (size_t)S->n_users, N = (size_t)n + 1;
    int k = S->als_k, d = S->lm_dim;
#define G(f, cnt)                                                                                  \
    do {                                                                                           \
        void *x_ = realloc(S->f, (N * (size_t)(cnt) + 1) * sizeof *S->f);                          \
        if (!x_) return TIDE_ERR_NOMEM;                                                            \
        S->f = x_;                                                                                 \
        memset(S->f + o * (size_t)(cnt), 0, ((N - o) * (size_t)(cnt) + 1) * sizeof *S->f);         \
    } while (0)
    G(long_cf, k); G(short_cf, k);
    G(short_lm, d); G(long_lm, d); G(words_lm, d);
    G(centroids, (size_t)K * d);
    G(n_clusters, 1); G(strength, K); G(last_active, K); G(cluster_size, K); G(top_items, K * 3); G(cats, K * 2);
    G(drift, 1); G(drift_cf, 1); G(last_time, 1); G(n_events, 1); G(n_text, 1);
#undef G
    S->n_users = n;
    return TIDE_OK;
}

/* The states of n users, written into their rows: users[q] when a list is given (any order,
 * each once: --update's scattered touched users), else the range lo + q. Rows of other users are
 * not read or written. One parallel region over all of them: a region (with its scratch) per
 * user cost more than the users themselves. */
static tide_status capture(const tide_interest_items *it, const tide_interest_params *p, const tide_dataset *ds,
                           const float *text_vectors, int64_t as_of, const int64_t *users, int64_t lo, int64_t n,
                           int relative, tide_interest_states *S) {
    tide_status st = TIDE_OK;
    size_t wf = tide_interest_work_floats(it, p);
#pragma omp parallel
    {
        float *work = tide_malloc(wf * sizeof *work);
        tide_interest_user s;
        tide_status s0 = tide_interest_user_alloc(it, p, &s);
        if (!work || s0) {
#pragma omp critical
            st = TIDE_ERR_NOMEM;
        }
#pragma omp for schedule(dynamic, 16)
        for (int64_t q = 0; q < n; q++) {
            if (!work || s0 || st) continue;
            int64_t u = users ? users[q] : lo + q;
            tide_interest_history h;
            tide_interest_history_of(ds, text_vectors, it->lm_dim, u, as_of, &h);
            tide_status s1 = tide_interest_features(it, p, &h, NULL, work, &s);
            if (s1) {
#pragma omp critical
                st = s1;
                continue;
            }
            tide_interest_states_put(S, relative ? q : u, &s, h.n_text);
        }
        free(work);
        if (!s0) tide_interest_user_free(&s);
    }
    return st;
}

tide_status tide_interest_capture_users(const tide_interest_items *it, const tide_interest_params *p,
                                        const tide_dataset *ds, const float *text_vectors, int64_t as_of,
                                        const int64_t *users, int64_t n, tide_interest_states *S) {
    return capture(it, p, ds, text_vectors, as_of, users, 0, n, 0, S);
}

tide_status tide_interest_capture_block(const tide_interest_items *it, const tide_interest_params *p,
                                        const tide_dataset *ds, const float *text_vectors, int64_t as_of,
                                        int64_t lo, int64_t hi, tide_interest_states *S) {
    return capture(it, p, ds, text_vectors, as_of, NULL, lo, hi - lo, 0, S);
}

tide_status tide_interest_capture_rows(const tide_interest_items *it, const tide_interest_params *p,
                                       const tide_dataset *ds, const float *text_vectors, int64_t as_of,
                                       const int64_t *users, int64_t lo, int64_t n, tide_interest_states *S) {
    return capture(it, p, ds, text_vectors, as_of, users, lo, n, 1, S);
}

tide_status tide_interest_user_advance(const tide_interest_items *it, const tide_interest_params *p,
                                       tide_interest_history *h, int64_t n_new_events, int64_t n_new_text,
                                       int64_t as_of, tide_interest_user *state) {
    h->n += n_new_events;
    h->n_text += n_new_text;
    if (as_of != INT64_MIN) h->t_ref = as_of;
    else {
        int64_t t = h->n ? h->times[h->n - 1] : INT64_MIN;
        if (h->n_text && h->text_times[h->n_text - 1] > t && !h->n) t = h->text_times[h->n_text - 1];
        h->t_ref = t == INT64_MIN ? 0 : t;
    }
    float *work = tide_malloc(tide_interest_work_floats(it, p) * sizeof *work);
    if (!work) return TIDE_ERR_NOMEM;
    tide_status st = tide_interest_features(it, p, h, NULL, work, state);
    free(work);
    return st;
}
