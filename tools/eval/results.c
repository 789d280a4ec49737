/* results.c — turns the runs' per-user values into tide-eval's summary: means, bootstrap
 * intervals, coverage and paired comparisons, for all evaluated users and for each segment. */
#include "results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static tide_status compute_group(eval_results *r, eval_group *g, int segment) {
    int nr = r->n_runs, nc = r->n_cols, nk = r->params->n_k;
    int na = r->n_metrics_active * nk; /* only active columns go through the statistics */
    int64_t n_eval = r->truth->n_eval;
    tide_status st = TIDE_OK;
    const double **cols = malloc((size_t)na * sizeof *cols);
    const double **base = malloc((size_t)na * sizeof *base);
    tide_eval_ci *ci = malloc((size_t)na * sizeof *ci);
    tide_eval_paired *cmp = malloc((size_t)na * sizeof *cmp);
    int *act = malloc((size_t)na * sizeof *act);
    g->mean = calloc((size_t)nr * nc, sizeof *g->mean);
    g->n_defined = calloc((size_t)nr * nc, sizeof *g->n_defined);
    g->ci = calloc((size_t)nr * nc, sizeof *g->ci);
    g->coverage = calloc((size_t)nr * nk, sizeof *g->coverage);
    g->cmp = calloc((size_t)(nr > 1 ? nr - 1 : 1) * nc, sizeof *g->cmp);
    if (!cols || !base || !ci || !cmp || !act || !g->mean || !g->n_defined || !g->ci || !g->coverage || !g->cmp) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < r->n_metrics_active; i++)
        for (int k = 0; k < nk; k++) act[i * nk + k] = r->metrics_active[i] * nk + k;
    for (int ri = 0; ri < nr; ri++) {
        const tide_eval_run *run = &r->runs[ri];
        for (int c = 0; c < nc; c++) {
            g->mean[ri * nc + c] = NAN;
            g->ci[ri * nc + c].low = g->ci[ri * nc + c].high = NAN;
        }
        for (int i = 0; i < na; i++) {
            int c = act[i];
            cols[i] = tide_eval_column(run, n_eval, c / nk, c % nk);
            g->mean[ri * nc + c] = tide_eval_mean(cols[i], g->members, g->n, &g->n_defined[ri * nc + c]);
        }
        st = tide_eval_bootstrap(cols, na, g->members, g->n, r->bootstrap, r->seed, r->level, ci);
        if (st != TIDE_OK) goto done;
        for (int i = 0; i < na; i++) g->ci[ri * nc + act[i]] = ci[i];
        for (int k = 0; k < nk; k++)
            g->coverage[ri * nk + k] = tide_eval_coverage(run, segment, r->params->ks[k], r->n_catalog);
        if (ri == 0) {
            memcpy(base, cols, (size_t)na * sizeof *cols);
            continue;
        }
        st = tide_eval_compare(cols, base, na, g->members, g->n, r->bootstrap, r->permutations, r->seed,
                               r->level, cmp);
        if (st != TIDE_OK) goto done;
        for (int i = 0; i < na; i++) g->cmp[(ri - 1) * nc + act[i]] = cmp[i];
    }
done:
    free(cols);
    free(base);
    free(ci);
    free(cmp);
    free(act);
    return st;
}

tide_status results_compute(eval_results *r) {
    int nk = r->params->n_k;
    r->n_cols = TIDE_EVAL_N_METRICS * nk;
    r->n_metrics_active = 0;
    for (int m = 0; m < TIDE_EVAL_N_METRICS; m++) {
        if (m == TIDE_EVAL_NOVELTY && !r->has_novelty) continue;
        if (m == TIDE_EVAL_DIVERSITY && !r->has_diversity) continue;
        r->metrics_active[r->n_metrics_active++] = m;
    }
    r->n_groups = 1 + (r->segments ? r->segments->n_labels : 0);
    r->groups = calloc((size_t)r->n_groups, sizeof *r->groups);
    if (!r->groups) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    r->groups[0].label = "all";
    r->groups[0].members = NULL;
    r->groups[0].n = r->truth->n_eval;
    for (int s = 1; s < r->n_groups; s++) {
        const tide_eval_segments *sg = r->segments;
        r->groups[s].label = sg->labels[s - 1];
        r->groups[s].members = sg->members + sg->offsets[s - 1];
        r->groups[s].n = sg->offsets[s] - sg->offsets[s - 1];
    }
    for (int gi = 0; gi < r->n_groups; gi++) {
        tide_status st = compute_group(r, &r->groups[gi], gi - 1);
        if (st != TIDE_OK) return st;
    }
    return TIDE_OK;
}

void results_free(eval_results *r) {
    for (int gi = 0; r->groups && gi < r->n_groups; gi++) {
        eval_group *g = &r->groups[gi];
        free(g->mean);
        free(g->n_defined);
        free(g->ci);
        free(g->coverage);
        free(g->cmp);
    }
    free(r->groups);
    r->groups = NULL;
}
