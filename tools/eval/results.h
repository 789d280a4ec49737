/* results.h — tide-eval's summary of an evaluation: per group (all users, then each segment),
 * per run and per metric column the mean, its bootstrap interval, and the paired comparison of
 * each run with the first; consumed by the table, JSON, per-user and SVG writers. */
#ifndef TIDE_EVAL_RESULTS_H
#define TIDE_EVAL_RESULTS_H

#include <stdio.h>

#include "tide/eval.h"
#include "tide/labels.h"

typedef struct cJSON cJSON;

/* The interest-label section (--interests): dynamic (0) against long-term (1). */
typedef struct {
    const char *interests_path, *label_truth_path, *train_path;
    int from_summary;
    double half_life;
    tide_label_scores scores;
    int64_t n_unknown;        /* truth users not in --train */
    int64_t n_no_cats;        /* truth users whose items carry no category */
    int bootstrap, permutations;
    uint64_t seed;
    double level;
    double mean[2][TIDE_LABEL_N_COLS];
    tide_eval_ci ci[2][TIDE_LABEL_N_COLS];
    tide_eval_paired cmp[TIDE_LABEL_N_COLS];
} label_results;

tide_status labels_compute(label_results *L);
void labels_print(FILE *out, const label_results *L);
cJSON *labels_json(const label_results *L);

typedef struct {
    const char *label;        /* "all" or the segment label */
    const int64_t *members;   /* NULL = all evaluated users */
    int64_t n;
    double *mean;             /* [n_runs][n_cols] */
    int64_t *n_defined;       /* [n_runs][n_cols] */
    tide_eval_ci *ci;         /* [n_runs][n_cols] */
    double *coverage;         /* [n_runs][n_k] */
    tide_eval_paired *cmp;    /* [n_runs - 1][n_cols]: run r+1 (a) against run 0 (b) */
} eval_group;

typedef struct {
    /* inputs */
    const char *truth_path, *train_path, *vectors_path, *segments_path;
    char train_checksum[32], vectors_checksum[32];
    tide_eval_truth *truth;
    tide_eval_params *params;
    int n_runs;
    tide_eval_run *runs;
    tide_eval_segments *segments; /* NULL without --segments */
    int64_t n_catalog;
    int bootstrap, permutations;
    uint64_t seed;
    double level;
    int has_novelty, has_diversity;
    /* columns: metric m at cutoff index k is column m * n_k + k; active ones listed */
    int n_cols;               /* TIDE_EVAL_N_METRICS * n_k */
    int n_metrics_active;     /* 7, + novelty, + diversity */
    int metrics_active[TIDE_EVAL_N_METRICS];
    int n_groups;             /* 1 + segments */
    eval_group *groups;
    double seconds_read, seconds_stats;
    double drift_cuts[100];   /* --segments INTEREST_DIR: the bins' lower edges */
    int drift_bins;           /* 0 = segments from a TSV */
    const label_results *labels; /* NULL without --interests */
} eval_results;


tide_status results_compute(eval_results *r);
void results_free(eval_results *r);

/* Writers. */
void table_print(FILE *out, const eval_results *r);
tide_status json_write(const char *path, const eval_results *r, int argc, char **argv);
tide_status per_user_write(const char *path, const eval_results *r);
tide_status plot_write(const char *path, const eval_results *r);

#endif
