/* json.c — the --json report: every number, the cutoffs, user counts, input checksums and the
 * protocol, so a nightly job can diff and archive evaluations. Metric keys are "<metric>@<K>". */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "tide/fileio.h"

static const char *format_name(tide_recs_format f) { return f == TIDE_RECS_JSONL ? "jsonl" : "tsv"; }

static void key(char *buf, size_t n, const char *metric, int k) { snprintf(buf, n, "%s@%d", metric, k); }

static cJSON *num(double v) { return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v); }

static cJSON *run_block(const eval_results *r, const eval_group *g, int ri) {
    int nk = r->params->n_k, nc = r->n_cols;
    const tide_eval_run *run = &r->runs[ri];
    cJSON *o = cJSON_CreateObject(), *metrics = cJSON_CreateObject(), *ci = cJSON_CreateObject(),
          *defined = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", run->name);
    int64_t with_recs = 0;
    for (int64_t i = 0; i < g->n; i++) with_recs += run->n_recs[g->members ? g->members[i] : i] > 0;
    cJSON *users = cJSON_AddObjectToObject(o, "users");
    cJSON_AddNumberToObject(users, "evaluated", (double)g->n);
    cJSON_AddNumberToObject(users, "with_recs", (double)with_recs);
    cJSON_AddNumberToObject(users, "without_recs", (double)(g->n - with_recs));
    if (!g->members) {
        cJSON_AddNumberToObject(users, "in_file", (double)run->n_users_in_file);
        cJSON_AddNumberToObject(users, "without_truth", (double)run->n_users_no_truth);
        cJSON *ex = cJSON_AddArrayToObject(users, "without_truth_examples");
        for (int i = 0; i < run->n_missing_examples; i++) cJSON_AddItemToArray(ex, cJSON_CreateString(run->missing_examples[i]));
    }
    char kb[64];
    for (int i = 0; i < r->n_metrics_active; i++) {
        int m = r->metrics_active[i];
        for (int k = 0; k < nk; k++) {
            int c = ri * nc + m * nk + k;
            key(kb, sizeof kb, tide_eval_metric_name(m), r->params->ks[k]);
            cJSON_AddItemToObject(metrics, kb, num(g->mean[c]));
            if (r->bootstrap > 0) {
                cJSON *a = cJSON_CreateArray();
                cJSON_AddItemToArray(a, num(g->ci[c].low));
                cJSON_AddItemToArray(a, num(g->ci[c].high));
                cJSON_AddItemToObject(ci, kb, a);
            }
            if (m >= TIDE_EVAL_NOVELTY) cJSON_AddNumberToObject(defined, kb, (double)g->n_defined[c]);
        }
        if (m == TIDE_EVAL_HIT)
            for (int k = 0; k < nk; k++) {
                key(kb, sizeof kb, "coverage", r->params->ks[k]);
                cJSON_AddItemToObject(metrics, kb, num(g->coverage[ri * nk + k]));
            }
    }
    cJSON_AddItemToObject(o, "metrics", metrics);
    if (r->bootstrap > 0) cJSON_AddItemToObject(o, "ci", ci);
    else cJSON_Delete(ci);
    if (r->has_novelty || r->has_diversity) cJSON_AddItemToObject(o, "users_defined", defined);
    else cJSON_Delete(defined);
    return o;
}

static cJSON *compare_block(const eval_results *r, const eval_group *g, int ri) {
    int nk = r->params->n_k, nc = r->n_cols;
    cJSON *o = cJSON_CreateObject(), *metrics = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "baseline", r->runs[0].name);
    cJSON_AddStringToObject(o, "run", r->runs[ri].name);
    cJSON_AddStringToObject(o, "diff", "run - baseline");
    char kb[64];
    for (int i = 0; i < r->n_metrics_active; i++) {
        int m = r->metrics_active[i];
        for (int k = 0; k < nk; k++) {
            const tide_eval_paired *c = &g->cmp[(ri - 1) * nc + m * nk + k];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddItemToObject(e, "baseline", num(c->mean_b));
            cJSON_AddItemToObject(e, "run", num(c->mean_a));
            cJSON_AddItemToObject(e, "diff", num(c->diff));
            cJSON *a = cJSON_CreateArray();
            cJSON_AddItemToArray(a, num(c->ci.low));
            cJSON_AddItemToArray(a, num(c->ci.high));
            cJSON_AddItemToObject(e, "ci", a);
            cJSON_AddItemToObject(e, "p_value", num(c->p_value));
            cJSON_AddNumberToObject(e, "users", (double)c->n_pairs);
            key(kb, sizeof kb, tide_eval_metric_name(m), r->params->ks[k]);
            cJSON_AddItemToObject(metrics, kb, e);
        }
    }
    cJSON_AddItemToObject(o, "metrics", metrics);
    return o;
}

static cJSON *group_block(const eval_results *r, const eval_group *g) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "label", g->label);
    cJSON_AddNumberToObject(o, "users", (double)g->n);
    cJSON *runs = cJSON_AddArrayToObject(o, "runs");
    for (int ri = 0; ri < r->n_runs; ri++) cJSON_AddItemToArray(runs, run_block(r, g, ri));
    cJSON *cmp = cJSON_AddArrayToObject(o, "comparisons");
    for (int ri = 1; ri < r->n_runs; ri++) cJSON_AddItemToArray(cmp, compare_block(r, g, ri));
    return o;
}

tide_status json_write(const char *path, const eval_results *r, int argc, char **argv) {
    const tide_eval_truth *t = r->truth;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "tool", "tide-eval");
    cJSON_AddStringToObject(root, "version", tide_version());
    cJSON *cmd = cJSON_AddArrayToObject(root, "command");
    for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    cJSON *k = cJSON_AddArrayToObject(root, "k");
    for (int i = 0; i < r->params->n_k; i++) cJSON_AddItemToArray(k, cJSON_CreateNumber(r->params->ks[i]));

    cJSON *proto = cJSON_AddObjectToObject(root, "protocol");
    cJSON_AddStringToObject(proto, "definitions", "docs/metrics.md");
    cJSON_AddStringToObject(proto, "relevance", r->params->graded ? "graded" : "binary");
    cJSON_AddStringToObject(proto, "ndcg_gain", r->params->graded ? "linear: largest truth weight of the user's events on the item" : "1 per relevant item");
    cJSON_AddStringToObject(proto, "order", "ranks in the file; scores are not used");
    cJSON_AddStringToObject(proto, "users", "users with at least one relevant item; without recommendations they score 0; users with recommendations but no truth are ignored");
    cJSON_AddStringToObject(proto, "precision_denominator", "K");
    cJSON_AddStringToObject(proto, "map", "sum of precision at each relevant rank <= K over the number of relevant items");
    cJSON_AddStringToObject(proto, "coverage", "distinct items ranked <= K for some evaluated user / catalog items");
    if (r->has_novelty) cJSON_AddStringToObject(proto, "novelty", "mean over the list of log2(U / c_i), c_i train users of item i (>= 1), U train users; mean over users with a non-empty list");
    if (r->has_diversity) cJSON_AddStringToObject(proto, "diversity", "1 - mean pairwise cosine of the item vectors in the top K; mean over users with >= 2 items");
    cJSON_AddNumberToObject(proto, "bootstrap", r->bootstrap);
    cJSON_AddStringToObject(proto, "ci_method", "percentile bootstrap over users (type-7 quantiles)");
    cJSON_AddNumberToObject(proto, "confidence", r->level);
    cJSON_AddNumberToObject(proto, "permutations", r->permutations);
    cJSON_AddStringToObject(proto, "paired_test", "two-sided randomization test, random sign flips of per-user differences, p = (1 + extreme) / (1 + permutations)");
    cJSON_AddNumberToObject(proto, "seed", (double)r->seed);

    cJSON *in = cJSON_AddObjectToObject(root, "inputs");
    if (t) {
    cJSON *tr = cJSON_AddObjectToObject(in, "truth");
    cJSON_AddStringToObject(tr, "path", r->truth_path);
    cJSON_AddStringToObject(tr, "kind", t->from_dataset ? "dataset" : "tsv");
    cJSON_AddStringToObject(tr, "checksum", t->checksum);
    cJSON_AddNumberToObject(tr, "events", (double)t->n_events);
    cJSON_AddNumberToObject(tr, "pairs", (double)t->n_pairs);
    cJSON *rs = cJSON_AddArrayToObject(in, "recs");
    for (int i = 0; i < r->n_runs; i++) {
        const tide_eval_run *run = &r->runs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", run->name);
        cJSON_AddStringToObject(o, "path", run->path);
        cJSON_AddStringToObject(o, "format", format_name(run->format));
        cJSON_AddStringToObject(o, "checksum", run->checksum);
        cJSON_AddNumberToObject(o, "bytes", (double)run->bytes);
        cJSON_AddNumberToObject(o, "lines", (double)run->lines);
        cJSON_AddItemToArray(rs, o);
    }
    }
    if (r->train_path) {
        cJSON *o = cJSON_AddObjectToObject(in, "train");
        cJSON_AddStringToObject(o, "path", r->train_path);
        cJSON_AddStringToObject(o, "checksum", r->train_checksum);
    }
    if (r->vectors_path) {
        cJSON *o = cJSON_AddObjectToObject(in, "item_vectors");
        cJSON_AddStringToObject(o, "path", r->vectors_path);
        cJSON_AddStringToObject(o, "checksum", r->vectors_checksum);
    }
    if (r->segments) {
        cJSON *o = cJSON_AddObjectToObject(in, "segments");
        cJSON_AddStringToObject(o, "path", r->segments_path);
        cJSON_AddStringToObject(o, "checksum", r->segments->checksum);
        cJSON_AddNumberToObject(o, "users_not_evaluated", (double)r->segments->n_unknown_users);
        if (r->drift_bins) {
            cJSON_AddStringToObject(o, "kind", "drift");
            cJSON *c = cJSON_AddArrayToObject(o, "drift_cuts");
            for (int j = 0; j < r->drift_bins - 1; j++) cJSON_AddItemToArray(c, num(r->drift_cuts[j]));
        }
    }
    if (r->labels) cJSON_AddItemToObject(root, "interest_labels", labels_json(r->labels));
    if (!t) goto text;
    cJSON *users = cJSON_AddObjectToObject(root, "users");
    cJSON_AddNumberToObject(users, "evaluated", (double)t->n_eval);
    cJSON_AddNumberToObject(users, "truth_dictionary", (double)t->n_users);
    cJSON_AddNumberToObject(root, "catalog_items", (double)r->n_catalog);
    if (!r->n_runs) goto text;

    cJSON *all = group_block(r, &r->groups[0]);
    cJSON_AddItemToObject(root, "runs", cJSON_DetachItemFromObject(all, "runs"));
    cJSON_AddItemToObject(root, "comparisons", cJSON_DetachItemFromObject(all, "comparisons"));
    cJSON_Delete(all);
    if (r->segments) {
        cJSON *segs = cJSON_AddArrayToObject(root, "segments");
        for (int gi = 1; gi < r->n_groups; gi++) cJSON_AddItemToArray(segs, group_block(r, &r->groups[gi]));
    }
text:;
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return tide_error(TIDE_ERR_NOMEM, "out of memory writing JSON");
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st == TIDE_OK) {
        fputs(text, f.fp);
        fputc('\n', f.fp);
        st = tide_atomic_commit(&f);
    }
    free(text);
    return st;
}
