/* run.c — scoring one recommendation run: each user's list from the reader becomes a row of
 * per-user values (ranking metrics at every cutoff, novelty, intra-list diversity) and updates
 * the best rank of each item for catalog coverage. Also the evaluation parameters. */
#define _GNU_SOURCE
#include "tide/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/recs.h"
#include "tide/metrics.h"

static const char *const metric_names[TIDE_EVAL_N_METRICS] = {
    "precision", "recall", "f1", "ndcg", "map", "mrr", "hit", "novelty", "diversity"};

const char *tide_eval_metric_name(int metric) {
    return metric >= 0 && metric < TIDE_EVAL_N_METRICS ? metric_names[metric] : "?";
}

void tide_eval_params_default(tide_eval_params *p) {
    memset(p, 0, sizeof *p);
    static const int def[] = {1, 5, 10, 20};
    p->n_k = 4;
    memcpy(p->ks, def, sizeof def);
}

const char *tide_eval_params_check(const tide_eval_params *p) {
    if (p->n_k < 1 || p->n_k > TIDE_EVAL_MAX_K) return "the number of cutoffs must be between 1 and 64";
    for (int i = 0; i < p->n_k; i++) {
        if (p->ks[i] < 1 || p->ks[i] > 100000) return "cutoffs must be between 1 and 100000";
        if (i > 0 && p->ks[i] <= p->ks[i - 1]) return "cutoffs must be strictly ascending";
    }
    if (p->item_vecs && p->dim < 1) return "item vectors need a dimension >= 1";
    return NULL;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

const char *tide_eval_parse_ks(const char *s, tide_eval_params *p) {
    int n = 0;
    const char *q = s;
    while (*q) {
        char *end;
        long v = strtol(q, &end, 10);
        if (end == q || (*end && *end != ',')) return "--k expects a comma-separated list of positive integers";
        if (v < 1 || v > 100000) return "--k values must be between 1 and 100000";
        if (n == TIDE_EVAL_MAX_K) return "--k accepts at most 64 cutoffs";
        p->ks[n++] = (int)v;
        q = *end ? end + 1 : end;
    }
    if (n == 0) return "--k expects at least one cutoff";
    qsort(p->ks, (size_t)n, sizeof(int), cmp_int);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || p->ks[i] != p->ks[m - 1]) p->ks[m++] = p->ks[i];
    p->n_k = m;
    return NULL;
}

typedef struct {
    tide_eval_truth *t;
    const tide_eval_params *p;
    tide_eval_run *run;
    double *vsum;              /* [dim] running sum of unit vectors (ILD) */
    tide_metrics_at_k m[TIDE_EVAL_MAX_K];
    int64_t n_no_truth;
} scorer;

static tide_status grow_first_rank(tide_eval_run *run, int64_t need) {
    if (need <= run->n_first_rank) return TIDE_OK;
    int64_t cap = run->n_first_rank ? run->n_first_rank : 64;
    while (cap < need) cap *= 2;
    for (int g = 0; g < run->n_cov; g++) {
        int32_t *f = tide_realloc(run->first_rank[g], (size_t)cap * sizeof *f);
        if (!f) return TIDE_ERR_NOMEM;
        for (int64_t i = run->n_first_rank; i < cap; i++) f[i] = INT32_MAX;
        run->first_rank[g] = f;
    }
    run->n_first_rank = cap;
    return TIDE_OK;
}

static tide_status on_user(void *vctx, int64_t user, const char *user_id, const int32_t *list, int64_t n_list, int64_t n_recs) {
    scorer *s = vctx;
    tide_eval_truth *t = s->t;
    const tide_eval_params *p = s->p;
    tide_eval_run *run = s->run;
    int64_t e = user >= 0 ? t->eval_of_user[user] : -1;
    if (e < 0) { /* no relevant item: ignored, but reported */
        if (run->n_missing_examples < 5) {
            char *dup = strdup(user_id);
            if (dup) run->missing_examples[run->n_missing_examples++] = dup;
        }
        s->n_no_truth++;
        return TIDE_OK;
    }
    int64_t n_eval = t->n_eval;
    int nk = p->n_k, kmax = p->ks[nk - 1];
    /* The coverage updates below hit the best-rank array (4 bytes an item) at random: fetch
     * those lines now, while the ranking metrics are computed. */
    tide_status st = grow_first_rank(run, t->items.count);
    if (st != TIDE_OK) return st;
    int32_t *fr0 = run->first_rank[0];
    for (int64_t i = 0; i < n_list; i++)
        if (list[i] >= 0) __builtin_prefetch(&fr0[list[i]], 1);
    run->n_recs[e] = n_recs > INT32_MAX ? INT32_MAX : (int32_t)n_recs;
    int64_t u = user, lo = t->indptr[u], hi = t->indptr[u + 1];
    tide_metrics_user_multi(list, n_list, t->truth_items + lo, p->graded ? t->gains + lo : NULL, hi - lo,
                            p->ks, nk, s->m);
    for (int j = 0; j < nk; j++) {
        tide_metrics_at_k *m = &s->m[j];
        double v[7] = {m->precision, m->recall, m->f1, m->ndcg, m->ap, m->rr, m->hit};
        for (int k = 0; k < 7; k++) run->values[((int64_t)k * nk + j) * n_eval + e] = v[k];
    }
    /* Coverage: best rank per item. */
    int32_t *frs = p->segment_of_eval ? run->first_rank[1 + p->segment_of_eval[e]] : NULL;
    for (int64_t i = 0; i < n_list; i++) {
        if (list[i] < 0) continue;
        if (fr0[list[i]] > i + 1) fr0[list[i]] = (int32_t)(i + 1);
        if (frs && frs[list[i]] > i + 1) frs[list[i]] = (int32_t)(i + 1);
    }
    /* Novelty and intra-list diversity at each cutoff. */
    if (p->item_info || p->item_vecs) {
        double info = 0, nz = 0;
        int64_t cnt = 0;
        int dim = p->dim;
        if (p->item_vecs) memset(s->vsum, 0, (size_t)dim * sizeof *s->vsum);
        int j = 0;
        for (int64_t i = 0; i < kmax && j < nk; i++) {
            int32_t it = i < n_list ? list[i] : -1;
            if (it >= 0) {
                cnt++;
                if (p->item_info) info += it < p->n_info ? p->item_info[it] : p->info_unseen;
                if (p->item_vecs && it < p->n_vecs) {
                    const float *v = p->item_vecs + (int64_t)it * dim;
                    double sq = 0;
                    for (int d = 0; d < dim; d++) {
                        s->vsum[d] += v[d];
                        sq += (double)v[d] * v[d];
                    }
                    nz += sq;
                }
            }
            while (j < nk && p->ks[j] == i + 1) {
                if (p->item_info && cnt > 0)
                    run->values[((int64_t)TIDE_EVAL_NOVELTY * nk + j) * n_eval + e] = info / (double)cnt;
                if (p->item_vecs && cnt > 1) {
                    double ss = 0;
                    for (int d = 0; d < dim; d++) ss += s->vsum[d] * s->vsum[d];
                    double mean_sim = (ss - nz) / ((double)cnt * (double)(cnt - 1));
                    run->values[((int64_t)TIDE_EVAL_DIVERSITY * nk + j) * n_eval + e] = 1.0 - mean_sim;
                }
                j++;
            }
        }
    }
    return TIDE_OK;
}

tide_status tide_eval_run_read(const char *path, tide_recs_format format, tide_eval_truth *t,
                               const tide_eval_params *p, tide_eval_run *run) {
    memset(run, 0, sizeof *run);
    const char *msg = tide_eval_params_check(p);
    if (msg) return tide_error(TIDE_ERR_USAGE, "%s", msg);
    scorer s;
    memset(&s, 0, sizeof s);
    s.t = t;
    s.p = p;
    s.run = run;
    tide_status st = TIDE_OK;
    int nk = p->n_k;
    int64_t n_eval = t->n_eval, ncol = (int64_t)TIDE_EVAL_N_METRICS * nk;
    size_t nvals;
    run->path = strdup(path);
    run->n_k = nk;
    run->missing_examples = tide_calloc(5, sizeof(char *));
    run->n_cov = 1 + (p->segment_of_eval ? p->n_segments : 0);
    run->first_rank = tide_calloc((size_t)run->n_cov, sizeof *run->first_rank);
    if (!tide_mul_size((size_t)ncol, (size_t)(n_eval > 0 ? n_eval : 1), &nvals)) {
        st = tide_error(TIDE_ERR_NOMEM, "too many users");
        goto done;
    }
    run->values = tide_calloc(nvals, sizeof(double));
    run->n_recs = tide_calloc((size_t)(n_eval > 0 ? n_eval : 1), sizeof *run->n_recs);
    if (p->item_vecs) s.vsum = tide_calloc((size_t)p->dim, sizeof(double));
    if (!run->path || !run->missing_examples || !run->first_rank || !run->values || !run->n_recs || (p->item_vecs && !s.vsum)) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    /* Novelty and diversity are undefined until a list defines them. */
    for (int64_t i = (int64_t)TIDE_EVAL_NOVELTY * nk * n_eval; i < ncol * n_eval; i++) run->values[i] = NAN;
    if ((st = grow_first_rank(run, t->items.count > 0 ? t->items.count : 1)) != TIDE_OK) goto done;
    tide_recs_stats rs;
    st = tide_recs_read(path, format, t, p->ks[nk - 1], on_user, &s, &rs);
    if (st != TIDE_OK) goto done;
    run->format = rs.format;
    memcpy(run->checksum, rs.checksum, sizeof run->checksum);
    run->bytes = rs.bytes;
    run->lines = rs.lines;
    run->n_users_in_file = rs.n_groups;
    run->n_users_no_truth = s.n_no_truth;
    for (int64_t e = 0; e < n_eval; e++) run->n_eval_no_recs += run->n_recs[e] == 0;
done:
    free(s.vsum);
    if (st != TIDE_OK) tide_eval_run_free(run);
    return st;
}

void tide_eval_run_free(tide_eval_run *run) {
    free(run->path);
    free(run->name);
    free(run->values);
    free(run->n_recs);
    if (run->first_rank)
        for (int g = 0; g < run->n_cov; g++) free(run->first_rank[g]);
    free(run->first_rank);
    if (run->missing_examples)
        for (int i = 0; i < run->n_missing_examples; i++) free(run->missing_examples[i]);
    free(run->missing_examples);
    memset(run, 0, sizeof *run);
}
