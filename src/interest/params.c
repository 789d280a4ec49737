/* params.c — tide-capture-interest's settings: defaults, checks, component names, and the JSON
 * form recorded in (and re-read from) the interest dir's manifest, so a tuned run's settings
 * and combiner weights reproduce exactly on the refit. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tide/interest.h"

static const char *const names[TIDE_IC_N] = {"ease", "ease-long", "knn", "trans", "als",
                                             "tfidf", "lm", "cluster", "words", "pop", "ease-burst", "session",
                                             "seq"};

const char *tide_interest_component_name(int c) { return c >= 0 && c < TIDE_IC_N ? names[c] : "?"; }

int tide_interest_component_parse(const char *s) {
    for (int c = 0; c < TIDE_IC_N; c++)
        if (strcmp(s, names[c]) == 0) return c;
    return -1;
}

tide_interest_params tide_interest_params_default(void) {
    tide_interest_params p;
    memset(&p, 0, sizeof p);
    p.enabled = (1u << TIDE_IC_N) - 1;
    p.cf = (tide_interest_decay){3, 60};
    p.content = (tide_interest_decay){5, 0};
    p.cluster = (tide_interest_decay){20, 0};
    p.burst = (tide_interest_decay){1, 60};
    p.session = (tide_interest_decay){0, 60};
    p.session_gap = 3600;
    p.seq_fit = (tide_interest_decay){2, 0};
    p.seq = (tide_interest_decay){2, 0};
    p.seq_lambda = 100;
    p.seq_gap = 3;
    p.seq_last = 10;
    p.trans_tau = 1;
    p.trans_last = 5;
    p.trans_gap = 2;
    p.words_half_life = 30 * 86400.0;
    p.pop_half_life = 30 * 86400.0;
    p.max_clusters = 4;
    p.ease_lambda = 100;
    p.knn_neighbors = 100;
    p.als_factors = 64;
    p.als_iterations = 15;
    p.als_regularization = 0.05;
    p.als_alpha = 2;
    p.tfidf_dim = 256;
    p.combiner_l2 = 1e-3;
    p.candidates_per_component = 50;
    for (int c = 0; c < TIDE_IC_N; c++) p.weights[c] = 1;
    p.seed = 42;
    /* λ of the cold-item map: held-out R² of warm items' factors chose 10 on ml-latest-small, which
     * ranked cold items no better than chance on valid, while 0.1–1 ranked them 6–7x better
     * (bench/RESULTS.md, cold start): a fixed 1 by default, "auto" on request. */
    p.cold_lambda = 1;
    return p;
}

static int bad_decay(const tide_interest_decay *d) {
    return !(isfinite(d->tau) && d->tau >= 0 && isfinite(d->half_life) && d->half_life >= 0);
}

const char *tide_interest_params_check(const tide_interest_params *p) {
    if (p->enabled == 0 || p->enabled >= (1u << TIDE_IC_N)) return "no component enabled (or an unknown one)";
    if (bad_decay(&p->cf)) return "cf decay: tau and half-life must be finite and >= 0";
    if (bad_decay(&p->content)) return "content decay: tau and half-life must be finite and >= 0";
    if (bad_decay(&p->cluster)) return "cluster decay: tau and half-life must be finite and >= 0";
    if (bad_decay(&p->burst)) return "burst decay: tau and half-life must be finite and >= 0";
    if (bad_decay(&p->session)) return "session decay: tau and half-life must be finite and >= 0";
    if (!(p->session_gap > 0) || !isfinite(p->session_gap)) return "session gap must be finite and > 0";
    if (bad_decay(&p->seq_fit) || bad_decay(&p->seq)) return "seq decays: tau and half-life must be finite and >= 0";
    if (!(p->seq_lambda > 0) || !isfinite(p->seq_lambda)) return "seq: lambda must be finite and > 0";
    if (p->seq_gap < 1 || p->seq_gap > 50 || p->seq_last < 1 || p->seq_last > 100)
        return "seq: gap must be in 1..50 and last in 1..100";
    if (!(p->trans_half_life >= 0) || !isfinite(p->trans_half_life)) return "transitions: half-life must be finite and >= 0";
    if (!(p->trans_tau > 0) || p->trans_last < 1) return "transitions: tau must be > 0 and last >= 1";
    if (p->trans_gap < 1 || p->trans_gap > 50) return "transitions: gap must be in 1..50";
    if (!(p->trans_back >= 0) || !isfinite(p->trans_back)) return "transitions: back weight must be finite and >= 0";
    if (!(p->words_half_life >= 0)) return "words half-life must be >= 0";
    if (!(p->pop_half_life > 0)) return "popularity half-life must be > 0";
    if (p->max_clusters < 1 || p->max_clusters > TIDE_INTEREST_MAX_K) return "clusters must be in 1..8";
    if (!(p->ease_lambda > 0)) return "EASE lambda must be > 0";
    if (p->knn_neighbors < 1) return "kNN neighbours must be >= 1";
    if (p->als_factors < 1 || p->als_iterations < 1) return "ALS factors and iterations must be >= 1";
    if (!(p->als_regularization > 0) || !(p->als_alpha >= 0)) return "ALS regularization must be > 0, alpha >= 0";
    if (p->tfidf_dim < 1) return "TF-IDF dimensions must be >= 1";
    if (!(p->combiner_l2 >= 0)) return "combiner L2 must be >= 0";
    if (p->candidates_per_component < 1) return "candidates per component must be >= 1";
    for (int c = 0; c < TIDE_IC_N; c++)
        if (!isfinite(p->weights[c]) || !isfinite(p->gate_weights[c])) return "combiner weights must be finite";
    if (p->gate_by < 0 || p->gate_by >= TIDE_IG_N) return "unknown combiner gate";
    if (!isfinite(p->gate_threshold)) return "combiner gate threshold must be finite";
    if (!isfinite(p->cold_lambda)) return "cold-item map lambda must be finite (> 0 fixed, 0 chosen, < 0 off)";
    return NULL;
}

static cJSON *decay_json(const tide_interest_decay *d) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "tau", d->tau);
    cJSON_AddNumberToObject(o, "half_life_s", d->half_life);
    return o;
}

cJSON *tide_interest_params_to_json(const tide_interest_params *p) {
    cJSON *o = cJSON_CreateObject();
    cJSON *comp = cJSON_AddArrayToObject(o, "components");
    cJSON *w = cJSON_AddObjectToObject(o, "weights");
    for (int c = 0; c < TIDE_IC_N; c++)
        if (p->enabled & (1u << c)) {
            cJSON_AddItemToArray(comp, cJSON_CreateString(names[c]));
            cJSON_AddNumberToObject(w, names[c], p->weights[c]);
        }
    if (p->gate_by != TIDE_IG_NONE) {
        /* users whose gate value is above the threshold are scored with these weights instead */
        cJSON *g = cJSON_AddObjectToObject(o, "gate");
        cJSON_AddStringToObject(g, "by", tide_interest_gate_name(p->gate_by));
        cJSON_AddNumberToObject(g, "threshold", p->gate_threshold);
        cJSON *gw = cJSON_AddObjectToObject(g, "weights");
        for (int c = 0; c < TIDE_IC_N; c++)
            if (p->enabled & (1u << c)) cJSON_AddNumberToObject(gw, names[c], p->gate_weights[c]);
    }
    cJSON_AddItemToObject(o, "cf_decay", decay_json(&p->cf));
    cJSON_AddItemToObject(o, "content_decay", decay_json(&p->content));
    cJSON_AddItemToObject(o, "cluster_decay", decay_json(&p->cluster));
    cJSON_AddItemToObject(o, "burst_decay", decay_json(&p->burst));
    cJSON_AddItemToObject(o, "session_decay", decay_json(&p->session));
    cJSON_AddNumberToObject(o, "session_gap_s", p->session_gap);
    cJSON_AddItemToObject(o, "seq_fit_decay", decay_json(&p->seq_fit));
    cJSON_AddItemToObject(o, "seq_decay", decay_json(&p->seq));
    cJSON_AddNumberToObject(o, "seq_lambda", p->seq_lambda);
    cJSON_AddNumberToObject(o, "seq_gap", p->seq_gap);
    cJSON_AddNumberToObject(o, "seq_last", p->seq_last);
    cJSON_AddNumberToObject(o, "trans_tau", p->trans_tau);
    cJSON_AddNumberToObject(o, "trans_half_life_s", p->trans_half_life);
    cJSON_AddNumberToObject(o, "trans_gap", p->trans_gap);
    cJSON_AddNumberToObject(o, "trans_back", p->trans_back);
    cJSON_AddNumberToObject(o, "trans_last", p->trans_last);
    cJSON_AddNumberToObject(o, "words_half_life_s", p->words_half_life);
    cJSON_AddNumberToObject(o, "pop_half_life_s", p->pop_half_life);
    cJSON_AddNumberToObject(o, "max_clusters", p->max_clusters);
    cJSON_AddNumberToObject(o, "ease_lambda", p->ease_lambda);
    cJSON_AddNumberToObject(o, "knn_neighbors", p->knn_neighbors);
    cJSON_AddNumberToObject(o, "als_factors", p->als_factors);
    cJSON_AddNumberToObject(o, "als_iterations", p->als_iterations);
    cJSON_AddNumberToObject(o, "als_regularization", p->als_regularization);
    cJSON_AddNumberToObject(o, "als_alpha", p->als_alpha);
    cJSON_AddNumberToObject(o, "tfidf_dim", p->tfidf_dim);
    cJSON_AddNumberToObject(o, "combiner_l2", p->combiner_l2);
    cJSON_AddNumberToObject(o, "candidates_per_component", p->candidates_per_component);
    cJSON_AddNumberToObject(o, "seed", (double)p->seed);
    cJSON_AddNumberToObject(o, "cold_lambda", p->cold_lambda);
    return o;
}

/* a "weights" object: every weight not named is 0 */
static tide_status weights_from(const cJSON *w, const char *key, float *out) {
    if (!cJSON_IsObject(w)) return tide_error(TIDE_ERR_DATA, "settings: \"%s\" must be an object", key);
    for (int c = 0; c < TIDE_IC_N; c++) out[c] = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, w) {
        int c = tide_interest_component_parse(e->string);
        if (c < 0 || !cJSON_IsNumber(e) || !(fabs(e->valuedouble) <= FLT_MAX)) /* a finite float */
            return tide_error(TIDE_ERR_DATA, "settings: bad weight \"%s\"", e->string);
        out[c] = (float)e->valuedouble;
    }
    return TIDE_OK;
}

static tide_status num(const cJSON *o, const char *key, double *v) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!x) return TIDE_OK;
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
        return tide_error(TIDE_ERR_DATA, "settings: \"%s\" must be a number", key);
    *v = x->valuedouble;
    return TIDE_OK;
}

static tide_status decay_from(const cJSON *o, const char *key, tide_interest_decay *d) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!x) return TIDE_OK;
    if (!cJSON_IsObject(x)) return tide_error(TIDE_ERR_DATA, "settings: \"%s\" must be an object", key);
    tide_status st = num(x, "tau", &d->tau);
    if (!st) st = num(x, "half_life_s", &d->half_life);
    return st;
}

tide_status tide_interest_params_from_json(const cJSON *o, tide_interest_params *p) {
    if (!cJSON_IsObject(o)) return tide_error(TIDE_ERR_DATA, "settings: not a JSON object");
    tide_status st = TIDE_OK;
    const cJSON *comp = cJSON_GetObjectItemCaseSensitive(o, "components");
    if (comp) {
        if (!cJSON_IsArray(comp)) return tide_error(TIDE_ERR_DATA, "settings: \"components\" must be an array");
        p->enabled = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, comp) {
            int c = cJSON_IsString(e) ? tide_interest_component_parse(e->valuestring) : -1;
            if (c < 0) return tide_error(TIDE_ERR_DATA, "settings: unknown component %s",
                                         cJSON_IsString(e) ? e->valuestring : "(not a string)");
            p->enabled |= 1u << c;
        }
    }
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "weights");
    if (w && (st = weights_from(w, "weights", p->weights))) return st;
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "gate");
    if (g) {
        if (!cJSON_IsObject(g)) return tide_error(TIDE_ERR_DATA, "settings: \"gate\" must be an object");
        const cJSON *by = cJSON_GetObjectItemCaseSensitive(g, "by");
        int gb = cJSON_IsString(by) ? tide_interest_gate_parse(by->valuestring) : -1;
        if (gb < 0) return tide_error(TIDE_ERR_DATA, "settings: gate: \"by\" must be one of none, gap, events");
        double thr = 0;
        if ((st = num(g, "threshold", &thr))) return st;
        const cJSON *gw = cJSON_GetObjectItemCaseSensitive(g, "weights");
        if (gb != TIDE_IG_NONE && !gw) return tide_error(TIDE_ERR_DATA, "settings: gate: \"weights\" missing");
        if (gw && (st = weights_from(gw, "gate.weights", p->gate_weights))) return st;
        p->gate_by = gb;
        p->gate_threshold = thr;
    }
    double v;
    if ((st = decay_from(o, "cf_decay", &p->cf)) || (st = decay_from(o, "content_decay", &p->content)) ||
        (st = decay_from(o, "cluster_decay", &p->cluster)) || (st = decay_from(o, "burst_decay", &p->burst)) ||
        (st = decay_from(o, "session_decay", &p->session)) || (st = decay_from(o, "seq_fit_decay", &p->seq_fit)) ||
        (st = decay_from(o, "seq_decay", &p->seq)))
        return st;
/* A number read into an integer field must fit it before the cast (a cast of 1e30 or of -2 into
 * uint64 is undefined behaviour: fuzz-interest); the ranges that make sense are
 * tide_interest_params_check's to enforce after. */
#define NUM(key, field, type, lo, hi)                                                                \
    v = (double)p->field;                                                                            \
    if ((st = num(o, key, &v))) return st;                                                           \
    if (!(v >= (lo) && v <= (hi))) return tide_error(TIDE_ERR_DATA, "settings: \"%s\" is out of range", key); \
    p->field = (type)v;
#define NUMD(key, field) NUM(key, field, double, -HUGE_VAL, HUGE_VAL)
#define NUMI(key, field) NUM(key, field, int, (double)INT_MIN, (double)INT_MAX)
    NUMD("trans_tau", trans_tau)
    NUMD("trans_half_life_s", trans_half_life)
    NUMD("session_gap_s", session_gap)
    NUMI("trans_gap", trans_gap)
    NUMD("seq_lambda", seq_lambda)
    NUMI("seq_gap", seq_gap)
    NUMI("seq_last", seq_last)
    NUMD("trans_back", trans_back)
    NUMI("trans_last", trans_last)
    NUMD("words_half_life_s", words_half_life)
    NUMD("pop_half_life_s", pop_half_life)
    NUMI("max_clusters", max_clusters)
    NUMD("ease_lambda", ease_lambda)
    NUMI("knn_neighbors", knn_neighbors)
    NUMI("als_factors", als_factors)
    NUMI("als_iterations", als_iterations)
    NUMD("als_regularization", als_regularization)
    NUMD("als_alpha", als_alpha)
    NUMI("tfidf_dim", tfidf_dim)
    NUMD("combiner_l2", combiner_l2)
    NUMI("candidates_per_component", candidates_per_component)
    NUM("seed", seed, uint64_t, 0.0, 18446744073709549568.0) /* the largest double below 2^64 */
    NUMD("cold_lambda", cold_lambda)
#undef NUMI
#undef NUMD
#undef NUM
    const char *msg = tide_interest_params_check(p);
    if (msg) return tide_error(TIDE_ERR_DATA, "settings: %s", msg);
    return TIDE_OK;
}
