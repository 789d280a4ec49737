/* interest-model.c — the dynamic-interest model (--interest DIR) for one served user: their
 * state (clusters, strengths, drift: /interests) and why it recommends an item (explain=1), both
 * through the interest family's scorer (tide_interest_scorer_user) over the same view of the
 * merged history that tide_serve_score hands the engine — so what /interests and explain say is
 * what /recommendations ranked by, and equals a batch run on the re-ingested data. */
#include "tide/serve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/interest.h"

_Static_assert(TIDE_IC_N <= 16, "tide_serve_why.terms holds every component");

tide_status tide_serve_interest_model(const tide_serve_scorer *sc, const tide_serve_history *h, const int32_t *items,
                                      int n, float *contrib, struct tide_interest_user *state) {
    tide_user_view v;
    tide_serve_view(h, &v);
    return tide_interest_scorer_user(sc->model, &v, items, n, contrib, state);
}

static double cosine(const float *x, const float *y, int64_t d) {
    double dot = 0, nx = 0, ny = 0;
    for (int64_t k = 0; k < d; k++) {
        dot += (double)x[k] * y[k];
        nx += (double)x[k] * x[k];
        ny += (double)y[k] * y[k];
    }
    return nx > 0 && ny > 0 ? dot / sqrt(nx * ny) : 0;
}

tide_status tide_serve_interest_explain(const tide_serve_scorer *sc, const tide_serve_history *h, const int32_t *items,
                                        int n, tide_serve_why *why, struct tide_interest_user *state) {
    const tide_interest_items *it = NULL;
    tide_status st = tide_interest_scorer_parts(sc->model, &it, NULL, NULL);
    if (st) return st;
    float *contrib = malloc((size_t)(n > 0 ? n : 1) * TIDE_IC_N * sizeof *contrib);
    if (!contrib) return TIDE_ERR_NOMEM;
    st = tide_serve_interest_model(sc, h, items, n, contrib, state);
    for (int q = 0; q < n && !st; q++) {
        tide_serve_why *w = &why[q];
        w->component = -1;
        w->contribution = 0;
        w->cluster = -1;
        w->text = -1;
        /* The largest term of the item's score says which component it comes from. */
        for (int c = 0; c < TIDE_IC_N; c++) {
            float x = contrib[(size_t)q * TIDE_IC_N + c];
            w->terms[c] = x;
            if (x != 0 && (w->component < 0 || x > w->contribution)) {
                w->component = c;
                w->contribution = x;
            }
        }
        int32_t j = items[q];
        if (w->component == TIDE_IC_CLUSTER && state->n_clusters > 0 && it->sp) {
            /* the cluster whose (strength-scaled) centre scores the item best, as the component does */
            float smax = 0;
            for (int k = 0; k < state->n_clusters; k++)
                if (state->clusters[k].strength > smax) smax = state->clusters[k].strength;
            double best = -INFINITY;
            for (int k = 0; k < state->n_clusters; k++) {
                double s = pow(state->clusters[k].strength / (smax > 0 ? smax : 1), 0.25) *
                           cosine(state->centroids + (size_t)k * it->sp_dim, it->sp + (size_t)j * it->sp_dim, it->sp_dim);
                if (s > best) {
                    best = s;
                    w->cluster = k;
                }
            }
        }
        if (w->component == TIDE_IC_WORDS && h->text_vecs && it->lm && h->text_dim == it->lm_dim) {
            /* the text of the user's closest to the item */
            double best = -INFINITY;
            for (int64_t k = 0; k < h->n_text; k++) {
                double s = cosine(h->text_vecs + (size_t)k * (size_t)h->text_dim, it->lm + (size_t)j * it->lm_dim, it->lm_dim);
                if (s > best) {
                    best = s;
                    w->text = k;
                }
            }
        }
    }
    free(contrib);
    return st;
}
