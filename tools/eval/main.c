/* tide-eval — evaluates recommendation runs against a truth set (normally tide-split's test
 * split): ranking metrics at several cutoffs, coverage, novelty, diversity, bootstrap intervals,
 * paired comparisons and segments; a table on stdout, JSON, per-user TSV and an SVG plot. */
#define _GNU_SOURCE
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "results.h"
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/labels.h"

static char *run_name(const char *path, const cli_list *names, int i) {
    if (i < names->n) return strdup(names->items[i]);
    if (strcmp(path, "-") == 0) return strdup("stdin");
    char *tmp = strdup(path);
    if (!tmp) return NULL;
    char *b = basename(tmp), *dot = strrchr(b, '.');
    if (dot && dot != b) *dot = 0;
    char *out = strdup(b);
    free(tmp);
    return out;
}

/* --interests: the train catalog's categories, the dynamic profile (interest dir or summary), the
 * long-term profile (the train history) and the truth's category sets, then the statistics. */
static tide_status labels_run(label_results *L, tide_interest_items *cats, tide_label_profiles *dyn, tide_label_profiles *lt,
                              tide_label_profiles *truth_sets, const tide_eval_truth *truth, const tide_dataset *train,
                              const char *train_path, const char *interests, const char *label_truth, int m, double half_life,
                              int bootstrap, int permutations, uint64_t seed, double level) {
    tide_status st;
    L->interests_path = interests;
    L->label_truth_path = label_truth;
    L->train_path = train_path;
    L->half_life = half_life;
    L->from_summary = !tide_is_dir(interests);
    L->bootstrap = bootstrap;
    L->permutations = permutations;
    L->seed = seed;
    L->level = level;
    if ((st = tide_interest_fit_categories(train, cats))) return st;
    if (!cats->cat_indptr || cats->n_cats == 0)
        return tide_error(TIDE_ERR_DATA, "%s: the catalog has no categories (an item text field \"genres\", \"categories\" "
                                         "or \"category\"): no interest labels to evaluate", train_path);
    cats->n_items = train->n_items;
    st = L->from_summary ? tide_labels_from_summary(interests, train, cats, half_life, dyn)
                         : tide_labels_from_dir(interests, train, cats, half_life, dyn);
    if (st || (st = tide_labels_history(train, cats, lt))) return st;
    if (label_truth) st = tide_labels_truth_file(label_truth, train, cats, truth_sets);
    else st = tide_labels_truth_items(truth, train, cats, truth_sets, &L->n_unknown);
    if (st || (st = tide_labels_score(dyn, lt, truth_sets, m, &L->scores))) return st;
    if (!label_truth) L->n_no_cats = truth->n_eval - L->n_unknown - L->scores.n;
    if (L->scores.n == 0) return tide_error(TIDE_ERR_DATA, "interest labels: no user's truth has a category");
    if (L->n_unknown)
        tide_log(TIDE_LOG_WARN, "interest labels: %lld truth users are not in %s (left out)", (long long)L->n_unknown, train_path);
    if (L->n_no_cats)
        tide_log(TIDE_LOG_INFO, "interest labels: %lld truth users' items have no category (left out)", (long long)L->n_no_cats);
    return labels_compute(L);
}

int main(int argc, char **argv) {
    const char *truth_path = NULL, *format_s = "auto", *k_s = "1,5,10,20", *train_path = NULL;
    const char *vec_path = NULL, *seg_path = NULL, *json_path = NULL, *per_user_path = NULL, *plot_path = NULL;
    const char *interests_path = NULL, *label_truth_path = NULL;
    int label_k = 3, drift_bins = 3;
    double label_half_life = 0;
    cli_list recs = {0}, compare = {0}, names = {0};
    char **name_bufs = NULL;
    int n_name_bufs = 0;
    int graded = 0, bootstrap = 1000, permutations = 1000;
    double level = 0.95;
    const cli_opt opts[] = {
        {"truth", 't', CLI_STRING, &truth_path, "PATH", "Truth: a dataset dir (the test split) or a TSV 'user item [weight]'"},
        {"recs", 'r', CLI_LIST, &recs, "FILE", "Recommendations (TSV 'user item rank score' or JSONL; - = stdin); repeatable"},
        {"compare", 0, CLI_LIST, &compare, "FILE", "Another run to compare with the first (same as a further --recs)"},
        {"name", 0, CLI_LIST, &names, "A,B", "Names of the runs, in order, comma-separated or repeated (default: file name)"},
        {"format", 0, CLI_STRING, &format_s, "FMT", "auto, tsv or jsonl (default auto: by extension, else by content)"},
        {"k", 'k', CLI_STRING, &k_s, "LIST", "Cutoffs (default 1,5,10,20)"},
        {"graded", 0, CLI_FLAG, &graded, NULL, "NDCG gains from the truth weights (default binary)"},
        {"train", 0, CLI_STRING, &train_path, "DIR", "Train split: item popularity for novelty@K; with --interests, the dataset they were captured from"},
        {"item-vectors", 0, CLI_STRING, &vec_path, "FILE", "Item vectors .npy [items, dim] for diversity@K (cosine)"},
        {"segments", 0, CLI_STRING, &seg_path, "FILE|DIR", "TSV 'user label', or an interest dir (drift levels, needs --train): every table per segment too"},
        {"drift-bins", 0, CLI_INT, &drift_bins, "N", "With --segments INTEREST_DIR: quantile bins of drift (default 3)"},
        {"interests", 0, CLI_STRING, &interests_path, "DIR|FILE", "Interest-label metrics of an interest dir or its --summary JSONL (needs --train)"},
        {"label-truth", 0, CLI_STRING, &label_truth_path, "FILE", "TSV 'user category|category...' as the label truth (e.g. planted interests)"},
        {"label-k", 0, CLI_INT, &label_k, "M", "Interest labels: at most M categories per user (default 3)"},
        {"label-half-life", 0, CLI_DOUBLE, &label_half_life, "SEC", "Interest labels: also decay clusters by time since last active (default 0 = off)"},
        {"bootstrap", 'B', CLI_INT, &bootstrap, "N", "Bootstrap replicates for the intervals (default 1000, 0 = none)"},
        {"permutations", 0, CLI_INT, &permutations, "N", "Randomization-test permutations (default 1000)"},
        {"confidence", 0, CLI_DOUBLE, &level, "P", "Interval level (default 0.95)"},
        {"json", 'j', CLI_STRING, &json_path, "FILE", "Write every number as JSON (- = stdout)"},
        {"per-user", 0, CLI_STRING, &per_user_path, "FILE", "Write per-user values as TSV (- = stdout)"},
        {"plot", 0, CLI_STRING, &plot_path, "FILE", "Write an SVG plot: metric@K curves and per-segment bars"},
        {0}};
    const cli_spec spec = {
        "tide-eval", "ranking metrics with confidence intervals, paired comparisons and segments; interest labels",
        "--truth PATH --recs FILE [--recs FILE | --compare FILE]... [options]\n"
        "   or: tide-eval --interests DIR --train DIR (--truth PATH | --label-truth FILE) [options]",
        "Users in the truth without recommendations score 0 (and are reported); users with\n"
        "recommendations but no truth are ignored (and reported). Ranks in the file order each\n"
        "list; scores are only checked to be numbers. Definitions: docs/metrics.md.",
        opts, 0, 0};
    cli_common common;
    int rc = cli_parse(&spec, argc, argv, &common);
    if (rc >= 0) { /* --help, --version or a usage error */
        free(recs.items);
        free(compare.items);
        free(names.items);
        return rc;
    }

    tide_status st = TIDE_OK;
    tide_eval_truth truth;
    tide_eval_params params;
    tide_dataset train;
    tide_eval_segments segs;
    eval_results res;
    label_results lab;
    tide_interest_items cats;
    tide_label_profiles dyn, lt, ltruth;
    double *info = NULL;
    float *vecs = NULL;
    int32_t *seg_of_eval = NULL;
    int n_runs = recs.n + compare.n, n_read = 0;
    tide_eval_run *runs = NULL;
    memset(&truth, 0, sizeof truth);
    memset(&train, 0, sizeof train);
    memset(&segs, 0, sizeof segs);
    memset(&res, 0, sizeof res);
    memset(&lab, 0, sizeof lab);
    memset(&cats, 0, sizeof cats);
    memset(&dyn, 0, sizeof dyn);
    memset(&lt, 0, sizeof lt);
    memset(&ltruth, 0, sizeof ltruth);
    tide_eval_params_default(&params);

    if (!truth_path && !(interests_path && label_truth_path && n_runs == 0)) {
        rc = cli_usage_error(&spec, "--truth is required");
        goto out;
    }
    if (n_runs == 0 && !interests_path) {
        rc = cli_usage_error(&spec, "at least one --recs (or --interests) is required");
        goto out;
    }
    if (interests_path && !train_path) {
        rc = cli_usage_error(&spec, "--interests needs --train: the dataset the interests were captured from");
        goto out;
    }
    if (label_truth_path && !interests_path) {
        rc = cli_usage_error(&spec, "--label-truth needs --interests");
        goto out;
    }
    if (label_k < 1 || label_k > 1000 || !(label_half_life >= 0) || drift_bins < 2 || drift_bins > 100) {
        rc = cli_usage_error(&spec, "--label-k must be >= 1, --label-half-life >= 0, --drift-bins between 2 and 100");
        goto out;
    }
    int seg_is_dir = seg_path && strcmp(seg_path, "-") != 0 && tide_is_dir(seg_path);
    if (seg_is_dir && !train_path) {
        rc = cli_usage_error(&spec, "--segments INTEREST_DIR needs --train: the dataset the interests were captured from");
        goto out;
    }
    if ((seg_path || per_user_path || plot_path || vec_path) && n_runs == 0) {
        rc = cli_usage_error(&spec, "--segments, --per-user, --plot and --item-vectors apply to --recs runs");
        goto out;
    }
    const char *msg = tide_eval_parse_ks(k_s, &params);
    if (msg) {
        rc = cli_usage_error(&spec, "%s", msg);
        goto out;
    }
    tide_recs_format fmt;
    if (strcmp(format_s, "auto") == 0) fmt = TIDE_RECS_AUTO;
    else if (strcmp(format_s, "tsv") == 0) fmt = TIDE_RECS_TSV;
    else if (strcmp(format_s, "jsonl") == 0) fmt = TIDE_RECS_JSONL;
    else {
        rc = cli_usage_error(&spec, "--format must be auto, tsv or jsonl");
        goto out;
    }
    if (bootstrap < 0 || bootstrap > 1000000 || permutations < 0 || permutations > 10000000) {
        rc = cli_usage_error(&spec, "--bootstrap and --permutations must be >= 0");
        goto out;
    }
    if (!(level > 0 && level < 1)) {
        rc = cli_usage_error(&spec, "--confidence must be between 0 and 1");
        goto out;
    }
    /* --name a,b,c names three runs (as --k takes a list); a name cannot hold a comma, so one
     * run is never silently called "a,b,c". */
    for (int i = 0; i < names.n; i++) {
        const char *v = names.items[i];
        if (!*v || *v == ',' || v[strlen(v) - 1] == ',' || strstr(v, ",,")) {
            rc = cli_usage_error(&spec, "--name: empty run name in '%s'", v);
            goto out;
        }
    }
    for (int i = 0; i < names.n; i++) {
        const char *v = names.items[i], *comma = strchr(v, ',');
        if (!comma) continue;
        /* split in place of item i: the parts point into name_buf (freed at the end) */
        char *copy = strdup(v);
        const char **grown = copy ? realloc(names.items, (size_t)(names.n + 1) * sizeof *grown) : NULL;
        char **bufs = grown ? realloc(name_bufs, (size_t)(n_name_bufs + 1) * sizeof *bufs) : NULL;
        if (!bufs) {
            free(copy);
            rc = cli_fail(&spec, tide_error(TIDE_ERR_NOMEM, "out of memory"));
            goto out;
        }
        names.items = grown;
        name_bufs = bufs;
        name_bufs[n_name_bufs++] = copy;
        char *c = copy + (comma - v);
        *c = 0;
        memmove(names.items + i + 2, names.items + i + 1, (size_t)(names.n - i - 1) * sizeof *names.items);
        names.items[i] = copy;
        names.items[i + 1] = c + 1;
        names.n++;
    }
    if (names.n > n_runs) {
        rc = cli_usage_error(&spec, "more --name than runs");
        goto out;
    }
    int n_stdin = 0;
    for (int i = 0; i < recs.n; i++) n_stdin += strcmp(recs.items[i], "-") == 0;
    for (int i = 0; i < compare.n; i++) n_stdin += strcmp(compare.items[i], "-") == 0;
    if (n_stdin + (truth_path && strcmp(truth_path, "-") == 0) > 1) {
        rc = cli_usage_error(&spec, "standard input can be read only once");
        goto out;
    }
    params.graded = graded;
    double t0 = tide_now();

    /* Train first: with a TSV truth its items.txt fixes the item indices. */
    int truth_is_dir = truth_path && strcmp(truth_path, "-") != 0 && tide_is_dir(truth_path);
    if (train_path) {
        if ((st = tide_dataset_load(train_path, &train)) != TIDE_OK) goto fail;
    }
    if (!truth_path) { /* --interests with --label-truth only */
        if ((st = labels_run(&lab, &cats, &dyn, &lt, &ltruth, NULL, &train, train_path, interests_path, label_truth_path,
                             label_k, label_half_life, bootstrap, permutations, common.seed, level)) != TIDE_OK)
            goto fail;
        res.labels = &lab;
        res.params = &params;
        res.train_path = train_path;
        memcpy(res.train_checksum, train.checksum, sizeof res.train_checksum);
        res.bootstrap = bootstrap;
        res.permutations = permutations;
        res.seed = common.seed;
        res.level = level;
        goto write;
    }
    st = tide_eval_truth_load(truth_path, train_path && !truth_is_dir ? train.item_ids : NULL,
                              train_path && !truth_is_dir ? train.n_items : 0, &truth);
    if (st != TIDE_OK) goto fail;
    tide_log(TIDE_LOG_INFO, "truth %s: %lld users with relevant items (%lld events, %lld distinct user-item pairs)",
             truth_path, (long long)truth.n_eval, (long long)truth.n_events, (long long)truth.n_pairs);
    if (graded && truth.n_bad_gains) {
        st = tide_error(TIDE_ERR_DATA, "%s (--graded needs finite weights >= 0; %lld such events)", truth.bad_gain_where,
                        (long long)truth.n_bad_gains);
        goto fail;
    }
    if (truth.n_eval == 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: no user has a relevant item: nothing to evaluate", truth_path);
        goto fail;
    }
    if (train_path) {
        if (truth_is_dir) {
            int same = train.n_items == truth.items.count;
            for (int64_t i = 0; same && i < train.n_items; i++) same = strcmp(train.item_ids[i], truth.items.keys[i]) == 0;
            if (!same) {
                st = tide_error(TIDE_ERR_DATA, "%s: its items.txt differs from the truth's %s/items.txt (use splits of one dataset)",
                                train_path, truth_path);
                goto fail;
            }
        }
        if ((st = tide_eval_novelty_info(&train, &info, &params.info_unseen)) != TIDE_OK) goto fail;
        params.item_info = info;
        params.n_info = train.n_items;
        res.has_novelty = 1;
        memcpy(res.train_checksum, train.checksum, sizeof res.train_checksum);
    }
    if (vec_path) {
        if (!truth.items_closed) {
            rc = cli_usage_error(&spec, "--item-vectors needs an item dictionary: a dataset dir as --truth, or --train");
            goto out;
        }
        uint32_t crc;
        uint64_t sz;
        if ((st = tide_file_crc32(vec_path, &crc, &sz)) != TIDE_OK) goto fail;
        snprintf(res.vectors_checksum, sizeof res.vectors_checksum, "crc32:%08x", crc);
        if ((st = tide_eval_vectors_load(vec_path, truth.items.count, &vecs, &params.dim)) != TIDE_OK) goto fail;
        params.item_vecs = vecs;
        params.n_vecs = truth.items.count;
        res.has_diversity = 1;
    }
    if (interests_path) {
        if ((st = labels_run(&lab, &cats, &dyn, &lt, &ltruth, &truth, &train, train_path, interests_path, label_truth_path,
                             label_k, label_half_life, bootstrap, permutations, common.seed, level)) != TIDE_OK)
            goto fail;
        res.labels = &lab;
    }
    if (seg_path) {
        if (seg_is_dir) {
            if ((st = tide_labels_drift_segments(seg_path, &train, &truth, drift_bins, &segs, res.drift_cuts)) != TIDE_OK) goto fail;
            res.drift_bins = drift_bins;
            tide_log(TIDE_LOG_INFO, "segments: drift of %s in %d bins", seg_path, drift_bins);
        } else if ((st = tide_eval_segments_load(seg_path, &truth, &segs)) != TIDE_OK)
            goto fail;
        seg_of_eval = malloc((size_t)truth.n_eval * sizeof *seg_of_eval);
        if (!seg_of_eval) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (int l = 0; l < segs.n_labels; l++)
            for (int64_t i = segs.offsets[l]; i < segs.offsets[l + 1]; i++) seg_of_eval[segs.members[i]] = l;
        params.segment_of_eval = seg_of_eval;
        params.n_segments = segs.n_labels;
        if (segs.n_unknown_users)
            tide_log(TIDE_LOG_INFO, "segments %s: %lld users without truth ignored", seg_path, (long long)segs.n_unknown_users);
    }

    runs = calloc((size_t)n_runs, sizeof *runs);
    if (!runs) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n_runs; i++) {
        const char *path = i < recs.n ? recs.items[i] : compare.items[i - recs.n];
        if ((st = tide_eval_run_read(path, fmt, &truth, &params, &runs[i])) != TIDE_OK) goto fail;
        n_read++;
        runs[i].name = run_name(path, &names, i);
        if (!runs[i].name) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(runs[j].name, runs[i].name) == 0) {
                char *nn;
                if (asprintf(&nn, "%s#%d", runs[i].name, i + 1) < 0) {
                    st = tide_error(TIDE_ERR_NOMEM, "out of memory");
                    goto fail;
                }
                free(runs[i].name);
                runs[i].name = nn;
                break;
            }
        tide_eval_run *r = &runs[i];
        tide_log(TIDE_LOG_INFO, "run %s (%s): %lld lines, %lld users", r->name, path, (long long)r->lines,
                 (long long)r->n_users_in_file);
        if (r->n_eval_no_recs)
            tide_log(TIDE_LOG_WARN, "run %s: %lld of %lld truth users have no recommendations (scored 0)", r->name,
                     (long long)r->n_eval_no_recs, (long long)truth.n_eval);
        if (r->n_users_no_truth)
            tide_log(TIDE_LOG_WARN, "run %s: %lld users with recommendations have no truth (ignored), e.g. '%s'", r->name,
                     (long long)r->n_users_no_truth, r->n_missing_examples ? r->missing_examples[0] : "?");
    }
    res.seconds_read = tide_now() - t0;

    res.truth_path = truth_path;
    res.train_path = train_path;
    res.vectors_path = vec_path;
    res.segments_path = seg_path;
    res.truth = &truth;
    res.params = &params;
    res.n_runs = n_runs;
    res.runs = runs;
    res.segments = seg_path ? &segs : NULL;
    res.n_catalog = truth.items.count; /* after reading: with an open dictionary it includes recommended items */
    res.bootstrap = bootstrap;
    res.permutations = permutations;
    res.seed = common.seed;
    res.level = level;
    double t1 = tide_now();
    if (n_runs && (st = results_compute(&res)) != TIDE_OK) goto fail;
    res.seconds_stats = tide_now() - t1;
    tide_log(TIDE_LOG_DEBUG, "read %.3f s, statistics %.3f s", res.seconds_read, res.seconds_stats);

write:;
    /* The files appear together or not at all: written first, renamed in one short run. */
    tide_atomic_group group;
    tide_atomic_group_begin(&group);
    if ((json_path && (st = json_write(json_path, &res, argc, argv)) != TIDE_OK) ||
        (per_user_path && (st = per_user_write(per_user_path, &res)) != TIDE_OK) ||
        (plot_path && (st = plot_write(plot_path, &res)) != TIDE_OK)) {
        tide_atomic_group_abort(&group);
        goto fail;
    }
    if ((st = tide_atomic_group_commit(&group)) != TIDE_OK) goto fail;
    int stdout_used = (json_path && strcmp(json_path, "-") == 0) || (per_user_path && strcmp(per_user_path, "-") == 0) ||
                      (plot_path && strcmp(plot_path, "-") == 0);
    if (!stdout_used) {
        if (res.n_runs) table_print(stdout, &res);
        if (res.labels) labels_print(stdout, res.labels);
    }
    rc = cli_finish(&spec, 0);
    goto out;
fail:
    rc = cli_fail(&spec, st);
out:
    results_free(&res);
    tide_label_scores_free(&lab.scores);
    tide_label_profiles_free(&dyn);
    tide_label_profiles_free(&lt);
    tide_label_profiles_free(&ltruth);
    tide_interest_items_free(&cats);
    for (int i = 0; i < n_read; i++) tide_eval_run_free(&runs[i]);
    if (runs && n_read < n_runs) tide_eval_run_free(&runs[n_read]);
    free(runs);
    free(info);
    free(vecs);
    free(seg_of_eval);
    tide_eval_segments_free(&segs);
    tide_eval_truth_free(&truth);
    tide_dataset_free(&train);
    free(recs.items);
    free(compare.items);
    free(names.items);
    for (int i = 0; i < n_name_bufs; i++) free(name_bufs[i]);
    free(name_bufs);
    return rc;
}
