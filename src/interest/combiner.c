/* combiner.c — the linear combiner over z-scored component scores, learned on a validation
 * split by pairwise logistic regression: for every user, each held-out item should outscore
 * each hard negative (items from the union of the components' top lists). Each user weighs the
 * same however many pairs they have; Newton's method on the (convex) mean loss + l2|w|² solves
 * it exactly and deterministically in a few steps. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/interest.h"

void tide_interest_pairs_free(tide_interest_pairs *pp) {
    free(pp->pos_indptr);
    free(pp->neg_indptr);
    free(pp->pos);
    free(pp->neg);
    memset(pp, 0, sizeof *pp);
}

tide_status tide_interest_fit_combiner(const tide_interest_pairs *pp, const int64_t *users, int64_t n_users,
                                       unsigned enabled, double l2, float *weights) {
    int idx[TIDE_IC_N], D = 0;
    for (int c = 0; c < TIDE_IC_N; c++)
        if ((enabled >> c) & 1u) idx[D++] = c;
    for (int c = 0; c < TIDE_IC_N; c++) weights[c] = 0;
    if (D == 0) return TIDE_OK;
    double w[TIDE_IC_N] = {0}, g[TIDE_IC_N], H[TIDE_IC_N * TIDE_IC_N], d[TIDE_IC_N];
    for (int a = 0; a < D; a++) w[a] = 1;      /* start at equal weights */
    int64_t nu = users ? n_users : pp->n_users, used = 0;
    for (int64_t q = 0; q < nu; q++) {
        int64_t u = users ? users[q] : q;
        if (pp->pos_indptr[u + 1] > pp->pos_indptr[u] && pp->neg_indptr[u + 1] > pp->neg_indptr[u]) used++;
    }
    if (used == 0) {
        for (int a = 0; a < D; a++) weights[idx[a]] = 1;
        return TIDE_OK;
    }
    double prev = INFINITY;
    for (int it = 0; it < 50; it++) {
        memset(g, 0, sizeof g);
        memset(H, 0, sizeof H);
        double loss = 0;
        for (int64_t q = 0; q < nu; q++) {
            int64_t u = users ? users[q] : q;
            int64_t p0 = pp->pos_indptr[u], p1 = pp->pos_indptr[u + 1], n0 = pp->neg_indptr[u], n1 = pp->neg_indptr[u + 1];
            if (p1 == p0 || n1 == n0) continue;
            double scale = 1.0 / ((double)(p1 - p0) * (double)(n1 - n0) * (double)used);
            for (int64_t a = p0; a < p1; a++)
                for (int64_t b = n0; b < n1; b++) {
                    double s = 0;
                    for (int k = 0; k < D; k++) {
                        d[k] = (double)pp->pos[a * TIDE_IC_N + idx[k]] - (double)pp->neg[b * TIDE_IC_N + idx[k]];
                        s += w[k] * d[k];
                    }
                    /* log(1 + e^-s) and σ(-s), computed stably */
                    double l = s > 0 ? log1p(exp(-s)) : -s + log1p(exp(s));
                    double sg = s > 0 ? exp(-s) / (1 + exp(-s)) : 1 / (1 + exp(s));
                    loss += scale * l;
                    double h = sg * (1 - sg) * scale;
                    for (int k = 0; k < D; k++) {
                        g[k] -= scale * sg * d[k];
                        for (int m = 0; m <= k; m++) H[k * D + m] += h * d[k] * d[m];
                    }
                }
        }
        for (int k = 0; k < D; k++) {
            loss += l2 * (w[k] - 1) * (w[k] - 1);
            g[k] += 2 * l2 * (w[k] - 1);
            H[k * D + k] += 2 * l2 + 1e-9;
            for (int m = 0; m < k; m++) H[m * D + k] = H[k * D + m];
        }
        if (LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', D, 1, H, D, g, 1) != 0) break;
        /* damped: a step longer than 4 (in z-score units) is cut back, so near-separable
         * pairs cannot throw the weights far in one step */
        double len = 0;
        for (int k = 0; k < D; k++) len += g[k] * g[k];
        double f = len > 16 ? 4 / sqrt(len) : 1;
        for (int k = 0; k < D; k++) w[k] -= f * g[k];
        if (fabs(prev - loss) < 1e-10 * (1 + fabs(loss))) break;
        prev = loss;
    }
    for (int a = 0; a < D; a++) weights[idx[a]] = (float)w[a];
    return TIDE_OK;
}
