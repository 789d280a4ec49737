/* table.c — the readable report on stdout: per group (all users, then each segment) one table
 * per run (metrics down, cutoffs across, mean and interval), then the paired comparisons. */
#include <math.h>
#include <string.h>

#include "results.h"

static void cell(FILE *out, double v, const tide_eval_ci *ci, int with_ci) {
    char buf[64];
    if (isnan(v)) snprintf(buf, sizeof buf, "-");
    else if (with_ci && ci && !isnan(ci->low)) snprintf(buf, sizeof buf, "%.4f [%.4f, %.4f]", v, ci->low, ci->high);
    else snprintf(buf, sizeof buf, "%.4f", v);
    fprintf(out, "  %-24s", buf);
}

static void run_table(FILE *out, const eval_results *r, const eval_group *g, int ri) {
    int nk = r->params->n_k, nc = r->n_cols;
    int with_ci = r->bootstrap > 0;
    fprintf(out, "%-10s", "metric");
    for (int k = 0; k < nk; k++) {
        char h[16];
        snprintf(h, sizeof h, "@%d", r->params->ks[k]);
        fprintf(out, "  %-24s", h);
    }
    fputc('\n', out);
    for (int i = 0; i < r->n_metrics_active; i++) {
        int m = r->metrics_active[i];
        fprintf(out, "%-10s", tide_eval_metric_name(m));
        for (int k = 0; k < nk; k++) cell(out, g->mean[ri * nc + m * nk + k], &g->ci[ri * nc + m * nk + k], with_ci);
        fputc('\n', out);
        if (m == TIDE_EVAL_HIT) { /* coverage right after the accuracy metrics */
            fprintf(out, "%-10s", "coverage");
            for (int k = 0; k < nk; k++) cell(out, g->coverage[ri * nk + k], NULL, 0);
            fputc('\n', out);
        }
    }
}

static void compare_table(FILE *out, const eval_results *r, const eval_group *g, int ri) {
    int nk = r->params->n_k, nc = r->n_cols;
    const tide_eval_run *a = &r->runs[ri], *b = &r->runs[0];
    fprintf(out, "\ncomparison: %s - %s (paired over the same users; %.0f%% bootstrap interval, B=%d; "
                 "randomization test, %d permutations)\n",
            a->name, b->name, 100 * r->level, r->bootstrap, r->permutations);
    fprintf(out, "%-14s  %-9s  %-9s  %-10s  %-22s  %s\n", "metric", b->name, a->name, "diff", "interval", "p");
    for (int i = 0; i < r->n_metrics_active; i++) {
        int m = r->metrics_active[i];
        for (int k = 0; k < nk; k++) {
            const tide_eval_paired *c = &g->cmp[(ri - 1) * nc + m * nk + k];
            char name[32], ci[64], p[32];
            snprintf(name, sizeof name, "%s@%d", tide_eval_metric_name(m), r->params->ks[k]);
            if (isnan(c->ci.low)) snprintf(ci, sizeof ci, "-");
            else snprintf(ci, sizeof ci, "[%+.4f, %+.4f]", c->ci.low, c->ci.high);
            if (isnan(c->p_value)) snprintf(p, sizeof p, "-");
            else snprintf(p, sizeof p, "%.4g", c->p_value);
            /* A metric no user defines (diversity@1: a one-item list has no pairs) is "-", as in
             * the per-run table, never "nan". */
            char mb[32], ma[32], d[32];
            if (isnan(c->mean_b)) snprintf(mb, sizeof mb, "-");
            else snprintf(mb, sizeof mb, "%.4f", c->mean_b);
            if (isnan(c->mean_a)) snprintf(ma, sizeof ma, "-");
            else snprintf(ma, sizeof ma, "%.4f", c->mean_a);
            if (isnan(c->diff)) snprintf(d, sizeof d, "-");
            else snprintf(d, sizeof d, "%+.4f", c->diff);
            fprintf(out, "%-14s  %-9s  %-9s  %-10s  %-22s  %s\n", name, mb, ma, d, ci, p);
        }
    }
}

void table_print(FILE *out, const eval_results *r) {
    const tide_eval_truth *t = r->truth;
    fprintf(out, "truth %s: %lld users with relevant items, %lld events; catalog %lld items; relevance %s\n",
            r->truth_path, (long long)t->n_eval, (long long)t->n_events, (long long)r->n_catalog,
            r->params->graded ? "graded (NDCG gains = weights)" : "binary");
    if (r->bootstrap > 0)
        fprintf(out, "intervals: %.0f%% percentile bootstrap over users, B=%d, seed %llu\n", 100 * r->level,
                r->bootstrap, (unsigned long long)r->seed);
    for (int gi = 0; gi < r->n_groups; gi++) {
        const eval_group *g = &r->groups[gi];
        if (gi > 0) fprintf(out, "\n=== segment %s: %lld users ===\n", g->label, (long long)g->n);
        for (int ri = 0; ri < r->n_runs; ri++) {
            const tide_eval_run *run = &r->runs[ri];
            if (gi == 0)
                fprintf(out, "\nrun %s (%s): %lld users evaluated, %lld without recommendations (scored 0); "
                             "%lld users with recommendations but no truth (ignored)\n",
                        run->name, run->path, (long long)t->n_eval, (long long)run->n_eval_no_recs,
                        (long long)run->n_users_no_truth);
            else
                fprintf(out, "\nrun %s\n", run->name);
            run_table(out, r, g, ri);
        }
        for (int ri = 1; ri < r->n_runs; ri++) compare_table(out, r, g, ri);
    }
}
