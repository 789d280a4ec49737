/* ranking.c — per-user ranking metrics (definitions in include/tide/metrics.h). Shared by
 * tide-eval and by training's validation so both report identical numbers. */
#include "tide/metrics.h"

#include <math.h>
#include <stdlib.h>

/* Position of item in the sorted truth array, or -1. */
static int64_t find_truth(const int32_t *truth, int64_t n, int32_t item) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (truth[mid] < item) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && truth[lo] == item ? lo : -1;
}

static int cmp_desc(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

void tide_metrics_user(const int32_t *ranked, int64_t n_ranked, const int32_t *truth,
                       const float *gains, int64_t n_truth, int k, tide_metrics_at_k *out) {
    tide_metrics_at_k m = {0};
    if (n_truth <= 0 || k <= 0) {
        *out = m;
        return;
    }
    int64_t lim = n_ranked < k ? n_ranked : k;
    double hits = 0, dcg = 0, ap = 0;
    for (int64_t i = 0; i < lim; i++) {
        int64_t t = find_truth(truth, n_truth, ranked[i]);
        if (t < 0) continue;
        double g = gains ? (double)gains[t] : 1.0;
        hits += 1;
        dcg += g / log2((double)i + 2.0);
        ap += hits / (double)(i + 1);
        if (m.rr == 0) m.rr = 1.0 / (double)(i + 1);
    }
    /* Ideal DCG over the k largest gains. */
    double idcg = 0;
    int64_t nid = n_truth < k ? n_truth : k;
    if (!gains) {
        for (int64_t i = 0; i < nid; i++) idcg += 1.0 / log2((double)i + 2.0);
    } else {
        float stackbuf[256];
        float *g = n_truth <= 256 ? stackbuf : malloc((size_t)n_truth * sizeof *g);
        if (g) {
            for (int64_t i = 0; i < n_truth; i++) g[i] = gains[i];
            qsort(g, (size_t)n_truth, sizeof *g, cmp_desc);
            for (int64_t i = 0; i < nid; i++) idcg += (double)g[i] / log2((double)i + 2.0);
            if (g != stackbuf) free(g);
        }
    }
    m.precision = hits / (double)k;
    m.recall = hits / (double)n_truth;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
    m.ndcg = idcg > 0 ? dcg / idcg : 0;
    m.ap = ap / (double)n_truth;
    m.hit = hits > 0 ? 1 : 0;
    *out = m;
}

/* 1 / log2(i + 2) for the first positions, computed once (the discount of every DCG). */
#define DISC_CACHE 1024
static double g_disc[DISC_CACHE];
static int g_disc_ready;

static double discount(int64_t i) {
    if (i < DISC_CACHE) {
        if (!g_disc_ready) {
            /* Benign race: every thread writes the same values. */
            for (int j = 0; j < DISC_CACHE; j++) g_disc[j] = 1.0 / log2((double)j + 2.0);
            g_disc_ready = 1;
        }
        return g_disc[i];
    }
    return 1.0 / log2((double)i + 2.0);
}

static void finish_at(double hits, double dcg, double ap, double rr, double idcg, int k,
                      int64_t n_truth, tide_metrics_at_k *m) {
    m->precision = hits / (double)k;
    m->recall = hits / (double)n_truth;
    m->f1 = m->precision + m->recall > 0 ? 2 * m->precision * m->recall / (m->precision + m->recall) : 0;
    m->ndcg = idcg > 0 ? dcg / idcg : 0;
    m->ap = ap / (double)n_truth;
    m->rr = rr;
    m->hit = hits > 0 ? 1 : 0;
}

void tide_metrics_user_multi(const int32_t *ranked, int64_t n_ranked, const int32_t *truth,
                             const float *gains, int64_t n_truth, const int *ks, int n_k,
                             tide_metrics_at_k *out) {
    if (n_k <= 0) return;
    if (n_truth <= 0) {
        for (int j = 0; j < n_k; j++) out[j] = (tide_metrics_at_k){0};
        return;
    }
    int kmax = ks[n_k - 1];
    int64_t lim = n_ranked < kmax ? n_ranked : kmax;
    /* Binary gains and a short truth (the common case: a few held-out events): find the hits'
     * positions first, then walk the cutoffs over those few positions. Every sum is added in
     * the same order as the general loop below, so the values are the same to the last bit. */
    if (!gains && n_truth <= 16) {
        int32_t pos[64];
        int np = 0;
        for (int64_t t = 0; t < n_truth && np <= 64; t++)
            for (int64_t i = 0; i < lim; i++)
                if (ranked[i] == truth[t]) {
                    if (np == 64) {
                        np = 65; /* more hits than room (repeated items): the general loop */
                        break;
                    }
                    pos[np++] = (int32_t)i;
                }
        if (np <= 64) {
            for (int a = 1; a < np; a++) /* insertion sort: a handful of positions */
                for (int b = a; b > 0 && pos[b - 1] > pos[b]; b--) {
                    int32_t tmp = pos[b];
                    pos[b] = pos[b - 1];
                    pos[b - 1] = tmp;
                }
            double hits = 0, dcg = 0, ap = 0, rr = 0, idcg = 0;
            int h = 0;
            int64_t ii = 0;
            for (int j = 0; j < n_k; j++) {
                for (; h < np && pos[h] < ks[j]; h++) {
                    hits += 1;
                    dcg += 1.0 * discount(pos[h]);
                    ap += hits / (double)(pos[h] + 1);
                    if (rr == 0) rr = 1.0 / (double)(pos[h] + 1);
                }
                for (; ii < n_truth && ii < ks[j]; ii++) idcg += 1.0 * discount(ii);
                finish_at(hits, dcg, ap, rr, idcg, ks[j], n_truth, &out[j]);
            }
            return;
        }
    }
    /* Ideal DCG at each cutoff: the largest gains first. */
    float stackbuf[256];
    float *g = NULL;
    if (gains) {
        g = n_truth <= 256 ? stackbuf : malloc((size_t)n_truth * sizeof *g);
        if (g) {
            for (int64_t i = 0; i < n_truth; i++) g[i] = gains[i];
            qsort(g, (size_t)n_truth, sizeof *g, cmp_desc);
        }
    }
    double hits = 0, dcg = 0, ap = 0, rr = 0, idcg = 0;
    int j = 0;
    for (int64_t i = 0; i < kmax && j < n_k; i++) {
        if (i < lim && ranked[i] >= 0) {
            int64_t t = find_truth(truth, n_truth, ranked[i]);
            if (t >= 0) {
                hits += 1;
                dcg += (gains ? (double)gains[t] : 1.0) * discount(i);
                ap += hits / (double)(i + 1);
                if (rr == 0) rr = 1.0 / (double)(i + 1);
            }
        }
        if (i < n_truth) idcg += (gains ? (g ? (double)g[i] : 0.0) : 1.0) * discount(i);
        while (j < n_k && ks[j] == i + 1) {
            finish_at(hits, dcg, ap, rr, idcg, ks[j], n_truth, &out[j]);
            j++;
        }
    }
    if (g && g != stackbuf) free(g);
}
