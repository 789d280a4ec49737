/* per-user.c — the --per-user TSV: one row per run and evaluated user with its counts and every
 * metric@K (empty where a value is undefined), for drilling into a report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "results.h"
#include "tide/fileio.h"

tide_status per_user_write(const char *path, const eval_results *r) {
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st != TIDE_OK) return st;
    const tide_eval_truth *t = r->truth;
    int nk = r->params->n_k;
    FILE *o = f.fp;
    fprintf(o, "run\tuser\trelevant\trecommended");
    if (r->segments) fprintf(o, "\tsegment");
    for (int i = 0; i < r->n_metrics_active; i++)
        for (int k = 0; k < nk; k++) fprintf(o, "\t%s@%d", tide_eval_metric_name(r->metrics_active[i]), r->params->ks[k]);
    fputc('\n', o);
    int32_t *seg = NULL;
    if (r->segments) {
        seg = tide_malloc((size_t)t->n_eval * sizeof *seg);
        if (!seg) {
            tide_atomic_abort(&f);
            return TIDE_ERR_NOMEM;
        }
        for (int l = 0; l < r->segments->n_labels; l++)
            for (int64_t i = r->segments->offsets[l]; i < r->segments->offsets[l + 1]; i++) seg[r->segments->members[i]] = l;
    }
    for (int ri = 0; ri < r->n_runs; ri++) {
        const tide_eval_run *run = &r->runs[ri];
        for (int64_t e = 0; e < t->n_eval; e++) {
            int64_t u = t->user_of_eval[e];
            fprintf(o, "%s\t%s\t%lld\t%d", run->name, t->users.keys[u], (long long)(t->indptr[u + 1] - t->indptr[u]),
                    run->n_recs[e]);
            if (seg) fprintf(o, "\t%s", r->segments->labels[seg[e]]);
            for (int i = 0; i < r->n_metrics_active; i++)
                for (int k = 0; k < nk; k++) {
                    double v = tide_eval_column(run, t->n_eval, r->metrics_active[i], k)[e];
                    if (isnan(v)) fputs("\t", o);
                    else fprintf(o, "\t%.12g", v);
                }
            fputc('\n', o);
        }
    }
    free(seg);
    return tide_atomic_commit(&f);
}
