/* tide/labels.h — interest-level evaluation (tide-eval --interests): the catalog categories of
 * the interests a user has now (an interest dir, or its --summary JSONL) and, as the baseline,
 * of the user's whole history, against the categories of what the user engages with next (the
 * test split's items) or of interests known by construction (tide-datagen --planted): per-user
 * precision, recall and F1 of category sets. Also accuracy segments by drift level from an
 * interest dir (tide-eval --segments DIR). Definitions: docs/metrics.md ("Interest labels").
 *
 * Every per-user table here is indexed by the --train dataset's dense user index: an interest
 * dir's rows are the users of the dataset it was captured from, so that dataset must be given
 * (its checksum is checked against the dir's manifest). */
#ifndef TIDE_LABELS_H
#define TIDE_LABELS_H

#include "tide/core.h"
#include "tide/dataset.h"
#include "tide/eval.h"
#include "tide/interest.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Categories ranked per user: row u lists categories by decreasing weight (ties: the lower
 * category index first), only those with a weight > 0. Category indices follow the vocabulary
 * of tide_interest_fit_categories(train) (`it->cat_names`). */
typedef struct tide_label_profiles {
    int64_t n_users;
    int64_t *indptr;          /* [n_users+1] */
    int32_t *cats;
    float *weights;
} tide_label_profiles;

void tide_label_profiles_free(tide_label_profiles *p);

/* The interests a user has now, from an interest dir: each cluster q weighs
 *   w_q = strength_q / Σ strength · 2^(−(t_ref − last_active_q) / half_life)
 * (strength = the cluster's decayed mass, the state's own recency; the time factor only with
 * half_life > 0; t_ref = the user's last event), and a category scores Σ_q w_q over clusters
 * whose first label it is, plus ½ w_q where it is the second label. `cats` from
 * tide_interest_fit_categories(train). The dir must have been captured from `train`
 * (checksum), else TIDE_ERR_DATA. */
tide_status tide_labels_from_dir(const char *dir, const tide_dataset *train, const tide_interest_items *cats,
                                 double half_life, tide_label_profiles *out);

/* The same from tide-capture-interest's --summary JSONL (labels "A, B" are split on ", " and
 * matched to category names; a label that names none — a title — is ignored; strength is the
 * share, last_active and last_event give the time factor). Users absent from the file have an
 * empty row; an unknown or repeated user, a malformed line: TIDE_ERR_DATA "file:line: reason". */
tide_status tide_labels_from_summary(const char *path, const tide_dataset *train, const tide_interest_items *cats,
                                     double half_life, tide_label_profiles *out);

/* The long-term baseline: per user, each category weighs the number of history items (train
 * interactions, repeats counted) that carry it. */
tide_status tide_labels_history(const tide_dataset *train, const tide_interest_items *cats, tide_label_profiles *out);

/* Truth as category sets (weights 1). From a truth set: the categories of each evaluated user's
 * relevant items (item indices of `t` must follow train's items.txt); truth users that are not
 * train users are counted in *n_unknown and left out. */
tide_status tide_labels_truth_items(const tide_eval_truth *t, const tide_dataset *train, const tide_interest_items *cats,
                                    tide_label_profiles *out, int64_t *n_unknown);
/* From a TSV `user<TAB>category[|category...]` (e.g. tide-datagen --planted's final phase):
 * unknown users or categories, repeated users, malformed lines: TIDE_ERR_DATA "file:line". */
tide_status tide_labels_truth_file(const char *path, const tide_dataset *train, const tide_interest_items *cats,
                                   tide_label_profiles *out);

/* Per-user scores of two profiles (a = dynamic, b = baseline) against the truth. Evaluated: the
 * users whose truth row is non-empty. Each user's predicted set is the first m_u categories of
 * their row with m_u = min(m, |row of a|) for *both* profiles, so the two name equally many
 * categories and precision is comparable; precision = hits / m_u (0 when m_u = 0), recall =
 * hits / |truth|, F1 their harmonic mean (0 when both are 0). */
enum { TIDE_LABEL_PRECISION = 0, TIDE_LABEL_RECALL, TIDE_LABEL_F1, TIDE_LABEL_SIZE, TIDE_LABEL_N_COLS };
const char *tide_label_col_name(int c); /* "precision", "recall", "f1", "size" */

typedef struct tide_label_scores {
    int m;
    int64_t n;                /* evaluated users */
    int64_t *users;           /* [n] train user index, ascending */
    double *values;           /* [2][TIDE_LABEL_N_COLS][n]: profile-major, then column */
    int64_t n_empty;          /* evaluated users whose profile a is empty (both score 0) */
} tide_label_scores;

tide_status tide_labels_score(const tide_label_profiles *a, const tide_label_profiles *b, const tide_label_profiles *truth,
                              int m, tide_label_scores *out);
void tide_label_scores_free(tide_label_scores *s);
static inline double *tide_label_column(const tide_label_scores *s, int profile, int col) {
    return s->values + ((int64_t)profile * TIDE_LABEL_N_COLS + col) * s->n;
}

/* Segments of the evaluated users of `t` by the interest dir's drift (1 − cos(short-term,
 * long-term profile)): `bins` quantile bins over the evaluated users that have a state,
 * labelled "drift-1" (lowest) .. "drift-<bins>"; bin b holds drift in [cuts[b-1], cuts[b])
 * (cuts[j] = the drift at sorted position floor((j+1)·n/bins)). Users without events in the
 * dir or not in train go to "(none)". cuts: [bins-1], caller's. */
tide_status tide_labels_drift_segments(const char *dir, const tide_dataset *train, const tide_eval_truth *t, int bins,
                                       tide_eval_segments *s, double *cuts);

#ifdef __cplusplus
}
#endif
#endif
