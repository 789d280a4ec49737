/* labels.c — tide-eval's interest-label section (--interests): means, bootstrap intervals and the
 * paired comparison of the dynamic profile against the long-term one, as a table and as JSON. */
#include "results.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static const char *const PROFILE[2] = {"dynamic", "long-term"};

tide_status labels_compute(label_results *L) {
    const tide_label_scores *s = &L->scores;
    const double *cols[2][TIDE_LABEL_N_COLS];
    for (int p = 0; p < 2; p++)
        for (int c = 0; c < TIDE_LABEL_N_COLS; c++) {
            cols[p][c] = tide_label_column(s, p, c);
            L->mean[p][c] = tide_eval_mean(cols[p][c], NULL, s->n, NULL);
        }
    tide_status st;
    for (int p = 0; p < 2; p++)
        if ((st = tide_eval_bootstrap(cols[p], TIDE_LABEL_N_COLS, NULL, s->n, L->bootstrap, L->seed, L->level, L->ci[p])))
            return st;
    /* the size column is the same for both profiles by construction: compared all the same */
    return tide_eval_compare(cols[0], cols[1], TIDE_LABEL_N_COLS, NULL, s->n, L->bootstrap, L->permutations, L->seed,
                             L->level, L->cmp);
}

static void fmt(char *b, size_t n, double v, const tide_eval_ci *ci, int with_ci) {
    if (isnan(v)) snprintf(b, n, "-");
    else if (with_ci && ci && !isnan(ci->low)) snprintf(b, n, "%.4f [%.4f, %.4f]", v, ci->low, ci->high);
    else snprintf(b, n, "%.4f", v);
}

void labels_print(FILE *out, const label_results *L) {
    const tide_label_scores *s = &L->scores;
    fprintf(out, "\ninterest labels: %s (%s) against %s; %lld users, at most %d categories each "
                 "(the long-term profile names as many as the dynamic one)\n",
            L->interests_path, L->from_summary ? "summary" : "interest dir",
            L->label_truth_path ? L->label_truth_path : "the categories of each user's truth items", (long long)s->n, s->m);
    if (s->n_empty) fprintf(out, "%lld users have no interest with a category (score 0 in both profiles)\n", (long long)s->n_empty);
    fprintf(out, "%-10s", "profile");
    for (int c = 0; c < TIDE_LABEL_N_COLS; c++) fprintf(out, "  %-24s", tide_label_col_name(c));
    fputc('\n', out);
    for (int p = 0; p < 2; p++) {
        fprintf(out, "%-10s", PROFILE[p]);
        for (int c = 0; c < TIDE_LABEL_N_COLS; c++) {
            char b[64];
            fmt(b, sizeof b, L->mean[p][c], &L->ci[p][c], L->bootstrap > 0 && c != TIDE_LABEL_SIZE);
            fprintf(out, "  %-24s", b);
        }
        fputc('\n', out);
    }
    fprintf(out, "\ncomparison: dynamic - long-term (paired over the same users; %.0f%% bootstrap interval, B=%d; "
                 "randomization test, %d permutations)\n",
            100 * L->level, L->bootstrap, L->permutations);
    fprintf(out, "%-14s  %-9s  %-9s  %-10s  %-22s  %s\n", "metric", "long-term", "dynamic", "diff", "interval", "p");
    for (int c = 0; c < TIDE_LABEL_F1 + 1; c++) {
        const tide_eval_paired *x = &L->cmp[c];
        char ci[64], p[32];
        if (isnan(x->ci.low)) snprintf(ci, sizeof ci, "-");
        else snprintf(ci, sizeof ci, "[%+.4f, %+.4f]", x->ci.low, x->ci.high);
        if (isnan(x->p_value)) snprintf(p, sizeof p, "-");
        else snprintf(p, sizeof p, "%.4g", x->p_value);
        fprintf(out, "%-14s  %-9.4f  %-9.4f  %-+10.4f  %-22s  %s\n", tide_label_col_name(c), x->mean_b, x->mean_a, x->diff, ci, p);
    }
}

static cJSON *num(double v) { return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v); }

cJSON *labels_json(const label_results *L) {
    const tide_label_scores *s = &L->scores;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "interests", L->interests_path);
    cJSON_AddStringToObject(o, "interests_kind", L->from_summary ? "summary" : "interest_dir");
    if (L->label_truth_path) cJSON_AddStringToObject(o, "truth", L->label_truth_path);
    else cJSON_AddStringToObject(o, "truth", "categories of each user's truth items");
    cJSON_AddStringToObject(o, "train", L->train_path);
    cJSON_AddNumberToObject(o, "max_categories", s->m);
    cJSON_AddNumberToObject(o, "half_life_s", L->half_life);
    cJSON *pr = cJSON_AddObjectToObject(o, "protocol");
    cJSON_AddStringToObject(pr, "dynamic", "cluster weight = strength share x 2^(-(last event - last active)/half_life) "
                                           "(time factor only with half_life > 0); category score = sum of the weights "
                                           "of clusters labelled with it first, + half where second; ranked");
    cJSON_AddStringToObject(pr, "long_term", "categories of every train interaction, ranked by count");
    cJSON_AddStringToObject(pr, "set_size", "per user m_u = min(max_categories, categories the dynamic profile names); "
                                            "both profiles predict their first m_u");
    cJSON_AddStringToObject(pr, "precision", "hits / m_u (0 when m_u = 0); recall = hits / |truth categories|; f1 harmonic mean");
    cJSON *u = cJSON_AddObjectToObject(o, "users");
    cJSON_AddNumberToObject(u, "evaluated", (double)s->n);
    cJSON_AddNumberToObject(u, "without_categorised_interest", (double)s->n_empty);
    cJSON_AddNumberToObject(u, "truth_not_in_train", (double)L->n_unknown);
    cJSON_AddNumberToObject(u, "truth_without_categories", (double)L->n_no_cats);
    cJSON *profiles = cJSON_AddArrayToObject(o, "profiles");
    for (int p = 0; p < 2; p++) {
        cJSON *e = cJSON_CreateObject(), *m = cJSON_CreateObject(), *ci = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", PROFILE[p]);
        for (int c = 0; c < TIDE_LABEL_N_COLS; c++) {
            cJSON_AddItemToObject(m, tide_label_col_name(c), num(L->mean[p][c]));
            if (L->bootstrap > 0) {
                cJSON *a = cJSON_CreateArray();
                cJSON_AddItemToArray(a, num(L->ci[p][c].low));
                cJSON_AddItemToArray(a, num(L->ci[p][c].high));
                cJSON_AddItemToObject(ci, tide_label_col_name(c), a);
            }
        }
        cJSON_AddItemToObject(e, "metrics", m);
        if (L->bootstrap > 0) cJSON_AddItemToObject(e, "ci", ci);
        else cJSON_Delete(ci);
        cJSON_AddItemToArray(profiles, e);
    }
    cJSON *cmp = cJSON_AddObjectToObject(o, "comparison");
    cJSON_AddStringToObject(cmp, "baseline", "long-term");
    cJSON_AddStringToObject(cmp, "run", "dynamic");
    cJSON_AddStringToObject(cmp, "diff", "run - baseline");
    cJSON *cm = cJSON_AddObjectToObject(cmp, "metrics");
    for (int c = 0; c < TIDE_LABEL_F1 + 1; c++) {
        const tide_eval_paired *x = &L->cmp[c];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "baseline", num(x->mean_b));
        cJSON_AddItemToObject(e, "run", num(x->mean_a));
        cJSON_AddItemToObject(e, "diff", num(x->diff));
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, num(x->ci.low));
        cJSON_AddItemToArray(a, num(x->ci.high));
        cJSON_AddItemToObject(e, "ci", a);
        cJSON_AddItemToObject(e, "p_value", num(x->p_value));
        cJSON_AddNumberToObject(e, "users", (double)x->n_pairs);
        cJSON_AddItemToObject(cm, tide_label_col_name(c), e);
    }
    return o;
}
