/* tide-capture-interest — every user's dynamic interests at a reference time (long-term CF,
 * short-term interest by position and time, interest clusters, drift, their own words) written
 * as an interest dir, with the combiner that turns them into recommendations; --tune picks the
 * settings and the combiner on a validation split. Parses options, loads inputs, and calls
 * src/interest/ (all logic is there). */
#define _GNU_SOURCE
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/interest.h"
#include "tide/npy.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"
#include "tide/timeparse.h"

static const char *o_data, *o_out, *o_valid, *o_settings, *o_item_vectors, *o_text_vectors, *o_as_of = "latest";
static const char *o_recs, *o_summary, *o_components, *o_report, *o_update, *o_model;
static int o_recompute_all, o_tune, o_k = 10, o_no_pos, o_no_time, o_fixed, o_clusters, o_keep, o_no_gate, o_cv_folds;
static double o_lambda, o_compact_above = 0.25;
static const char *o_cold_lambda;
static int o_no_cold_map;

static const cli_opt opts[] = {
    {"data", 0, CLI_STRING, &o_data, "DIR", "Dataset dir (normally the train split): histories, item text, text events"},
    {"out", 'o', CLI_STRING, &o_out, "DIR", "Interest dir to write (atomically)"},
    {"model", 0, CLI_STRING, &o_model, "DIR", "A trained tide-train-mf model of --data: ALS item factors (the als component) or EASE weights (ease, ease-long), used instead of fitting"},
    {"item-vectors", 0, CLI_STRING, &o_item_vectors, "FILE", "Item vectors .npy [items, d] (tide-embed): the LM space"},
    {"text-vectors", 0, CLI_STRING, &o_text_vectors, "FILE", "The data's text events in the same LM space (tide-embed --user-text)"},
    {"as-of", 0, CLI_STRING, &o_as_of, "T", "Reference time: latest (default), user, epoch seconds or YYYY-MM-DD[THH:MM:SS]"},
    {"tune", 0, CLI_FLAG, &o_tune, NULL, "Choose decays, transitions, K and the combiner on --valid"},
    {"valid", 0, CLI_STRING, &o_valid, "DIR", "Validation split (same id space) for --tune"},
    {"settings", 0, CLI_STRING, &o_settings, "FILE|DIR", "Settings and combiner from an earlier run's manifest (the refit)"},
    {"components", 0, CLI_STRING, &o_components, "LIST", "Components to use (default all): ease,ease-long,knn,trans,als,tfidf,lm,cluster,words,pop,ease-burst,session,seq; -name drops one; with --settings, narrows the file's list"},
    {"no-position-decay", 0, CLI_FLAG, &o_no_pos, NULL, "Ablation: no position decay anywhere"},
    {"no-time-decay", 0, CLI_FLAG, &o_no_time, NULL, "Ablation: no time decay anywhere"},
    {"fixed-weights", 0, CLI_FLAG, &o_fixed, NULL, "Ablation: equal combiner weights (no learned combiner)"},
    {"keep-components", 0, CLI_FLAG, &o_keep, NULL, "With --tune: keep every enabled component (no backward elimination on valid)"},
    {"no-gate", 0, CLI_FLAG, &o_no_gate, NULL, "With --tune: one combiner for every user (no weights conditioned on the user's state)"},
    {"cv-folds", 0, CLI_INT, &o_cv_folds, "F", "With --tune: folds of the combiner's cross-validation over users (2..20, default 5)"},
    {"clusters", 0, CLI_INT, &o_clusters, "K", "At most K interest clusters per user (1..8, default 4; --tune may choose fewer)"},
    {"lambda", 0, CLI_DOUBLE, &o_lambda, "X", "EASE L2 (default 100)"},
    {"cold-lambda", 0, CLI_STRING, &o_cold_lambda, "X|auto", "Ridge L2 of the LM -> CF map for items without interactions (default 1; auto: best R2 on held-out items)"},
    {"no-cold-map", 0, CLI_FLAG, &o_no_cold_map, NULL, "No LM -> CF map: items without interactions keep zero CF factors"},
    {"recs", 0, CLI_STRING, &o_recs, "FILE", "Also write top-k recommendations (TSV, seen items excluded)"},
    {"k", 'k', CLI_INT, &o_k, "N", "Recommendations per user with --recs (default 10)"},
    {"summary", 0, CLI_STRING, &o_summary, "FILE", "Per-user interests as JSON lines"},
    {"report", 0, CLI_STRING, &o_report, "FILE", "The tuning report as JSON (also in the manifest)"},
    {"update", 0, CLI_STRING, &o_update, "PREV", "Advance an earlier interest dir to --data (the grown dataset): touched users only, no refit"},
    {"recompute-all", 0, CLI_FLAG, &o_recompute_all, NULL, "With --update: recompute every user (the reference an update must equal)"},
    {"compact-above", 0, CLI_DOUBLE, &o_compact_above, "F", "With --update: write a full dir instead of PREV's base + a delta when the delta would hold more than F of the users (default 0.25; 0 = always)"},
    {0},
};

static const cli_spec spec = {
    .program = "tide-capture-interest",
    .summary = "Each user's dynamic interests (recent and lasting, several at once, in their own words)",
    .usage = "--data DIR --out DIR [--item-vectors F] [--text-vectors F] [--as-of T] [--tune --valid DIR | --settings F]",
    .details = "See docs/tide-capture-interest.md.",
    .opts = opts,
    .min_positional = 0,
    .max_positional = 0,
};

/* --recs: dataset user u's view with their text events' vectors (the words). */
typedef struct recs_src {
    const tide_dataset *ds;
    const float *text_vecs;
    int lm_dim;
} recs_src;

static tide_status recs_view(void *ctx, int64_t u, tide_user_view *v) {
    const recs_src *r = ctx;
    tide_user_view_from_dataset(r->ds, u, INT64_MIN, v);
    if (r->text_vecs && r->ds->text_indptr && v->n_text > 0) {
        v->text_vecs = r->text_vecs + r->ds->text_indptr[u] * (int64_t)r->lm_dim;
        v->text_dim = r->lm_dim;
    }
    return TIDE_OK;
}

typedef struct recs_sink {
    FILE *fp;
    const tide_dataset *ds;
} recs_sink;

static tide_status recs_write(void *ctx, const tide_retrieval_batch *b) {
    const recs_sink *o = ctx;
    return tide_recs_write_batch(o->fp, TIDE_RECS_TSV, b, o->ds->user_ids, o->ds->item_ids);
}

static int parse_as_of(const tide_dataset *ds, int64_t *as_of) {
    if (strcmp(o_as_of, "user") == 0) { *as_of = INT64_MIN; return 0; }
    if (strcmp(o_as_of, "latest") == 0) {
        int64_t t = INT64_MIN;
        for (int64_t k = 0; k < ds->nnz; k++) if (ds->times[k] > t) t = ds->times[k];
        for (int64_t k = 0; k < ds->n_text; k++) if (ds->text_times[k] > t) t = ds->text_times[k];
        *as_of = t == INT64_MIN ? 0 : t;
        return 0;
    }
    const char *why;
    return tide_time_parse(o_as_of, strlen(o_as_of), TIDE_TIME_AUTO, as_of, &why);
}

static int parse_components(unsigned *en) {
    if (!o_components) return 0;
    int n;
    char **v = cli_split(o_components, ',', &n);
    if (!v) return -1;
    int drop = n > 0 && v[0][0] == '-';
    if (!drop) *en = 0;   /* a drop list removes from what is on (all, or what --settings names) */
    for (int i = 0; i < n; i++) {
        const char *s = v[i];
        int neg = s[0] == '-';
        if (neg != drop) { cli_free_split(v, n); return -1; }
        int c = tide_interest_component_parse(s + neg);
        if (c < 0) { cli_free_split(v, n); return -1; }
        if (neg) *en &= ~(1u << c);
        else *en |= 1u << c;
    }
    cli_free_split(v, n);
    return 0;
}

/* --model DIR: a tide-train-mf model of this very dataset (its checksum) whose ALS item factors
 * or EASE weights replace fitting them; the settings record the model's rank, regularization and
 * alpha, which the fold-ins (here and in every reader of the dir) use. */
static tide_status load_model(const tide_dataset *ds, tide_interest_params *p, tide_interest_items_opts *io, tide_npy *mv) {
    char *path = tide_path_join(o_model, "manifest.json"), *buf = NULL;
    size_t n = 0;
    if (!path) return TIDE_ERR_NOMEM;
    tide_status st = tide_read_file(path, &buf, &n);
    cJSON *m = st ? NULL : cJSON_ParseWithLength(buf, n);
    free(buf);
    if (!st && !m) st = tide_error(TIDE_ERR_DATA, "%s: not JSON", path);
    const cJSON *fmt = m ? cJSON_GetObjectItemCaseSensitive(m, "format") : NULL, *alg = m ? cJSON_GetObjectItemCaseSensitive(m, "algorithm") : NULL;
    const cJSON *dsj = m ? cJSON_GetObjectItemCaseSensitive(m, "dataset") : NULL;
    const cJSON *ck = dsj ? cJSON_GetObjectItemCaseSensitive(dsj, "checksum") : NULL;
    if (!st && (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "tide-model") != 0 || !cJSON_IsString(alg)))
        st = tide_error(TIDE_ERR_DATA, "%s: not a tide-train-mf model (format \"tide-model\" with an \"algorithm\")", path);
    if (!st && (!cJSON_IsString(ck) || strcmp(ck->valuestring, ds->checksum) != 0))
        st = tide_error(TIDE_ERR_DATA, "%s: trained on dataset %s, not on --data %s (%s)", path, cJSON_IsString(ck) ? ck->valuestring : "?",
                        o_data, ds->checksum);
    int als = !st && strcmp(alg->valuestring, "als") == 0, ease = !st && strcmp(alg->valuestring, "ease") == 0;
    if (!st && !als && !ease) st = tide_error(TIDE_ERR_DATA, "%s: algorithm \"%s\": --model takes an als or ease model", path, alg->valuestring);
    if (!st && als) {
        tide_mf_params mp = tide_mf_params_default(TIDE_MF_ALS);
        char *fp = tide_path_join(o_model, "item_factors.npy");
        if (!fp) st = TIDE_ERR_NOMEM;
        if (!st) st = tide_mf_params_from_json(cJSON_GetObjectItemCaseSensitive(m, "params"), &mp, path);
        if (!st) st = tide_npy_load_expect(fp, TIDE_DTYPE_F32, 2, mv);
        if (!st && (mv->shape[0] != ds->n_items || mv->shape[1] < 1 || mv->shape[1] > 4096))
            st = tide_error(TIDE_ERR_DATA, "%s: shape [%lld, %lld], --data has %lld items", fp, (long long)mv->shape[0],
                            (long long)mv->shape[1], (long long)ds->n_items);
        free(fp);
        if (!st) {
            io->als_items = mv->data;
            io->als_k = (int)mv->shape[1];
            p->als_factors = io->als_k;
            p->als_regularization = mp.regularization;
            p->als_alpha = mp.alpha;
            if (!(p->enabled & (1u << TIDE_IC_ALS))) tide_log(TIDE_LOG_WARN, "--model: the als component is off, the model is not used");
        }
    }
    if (!st && ease) {
        char *fp = tide_path_join(o_model, "item_matrix.npy");
        if (!fp) st = TIDE_ERR_NOMEM;
        if (!st) st = tide_npy_load_expect(fp, TIDE_DTYPE_F32, 2, mv);
        if (!st && (mv->shape[0] != ds->n_items || mv->shape[1] != ds->n_items))
            st = tide_error(TIDE_ERR_DATA, "%s: shape [%lld, %lld], --data has %lld items", fp, (long long)mv->shape[0],
                            (long long)mv->shape[1], (long long)ds->n_items);
        free(fp);
        if (!st) io->ease = mv->data;
    }
    cJSON_Delete(m);
    free(path);
    return st;
}

typedef struct {
    tide_atomic_file f;
    int open;
} recs_out;

int main(int argc, char **argv) {
    cli_common common;
    int code = cli_parse(&spec, argc, argv, &common);
    if (code >= 0) return code;
    if ((code = cli_blas_prepare(&spec, &common)) >= 0) return code;
    code = 0;
    tide_status st = TIDE_OK;
    tide_dataset ds, valid;
    memset(&ds, 0, sizeof ds);
    memset(&valid, 0, sizeof valid);
    tide_npy iv, tv, mv;
    memset(&iv, 0, sizeof iv);
    memset(&tv, 0, sizeof tv);
    memset(&mv, 0, sizeof mv);
    tide_interest_items it;
    memset(&it, 0, sizeof it);
    cJSON *report = NULL, *settings_json = NULL;
    tide_scorer *rsc = NULL;
    int64_t *rex_ptr = NULL, *ru = NULL;
    int32_t *rex_items = NULL;
    tide_interest_states S, prev;
    memset(&S, 0, sizeof S);
    memset(&prev, 0, sizeof prev);
    cJSON *prev_man = NULL;
    recs_out ro = {0};

    if (!o_data) return cli_usage_error(&spec, "--data is required");
    if (!o_out && !o_recs && !o_summary && !o_report) return cli_usage_error(&spec, "nothing to write: give --out, --recs, --summary or --report");
    if (o_tune && !o_valid) return cli_usage_error(&spec, "--tune needs --valid DIR");
    if (o_cv_folds && (o_cv_folds < 2 || o_cv_folds > TIDE_INTEREST_MAX_FOLDS))
        return cli_usage_error(&spec, "--cv-folds must be in 2..%d, got %d", TIDE_INTEREST_MAX_FOLDS, o_cv_folds);
    if ((o_cv_folds || o_no_gate) && !o_tune) return cli_usage_error(&spec, "--cv-folds and --no-gate are only used with --tune");
    if (o_valid && !o_tune) return cli_usage_error(&spec, "--valid is only used with --tune");
    if (o_tune && o_settings) return cli_usage_error(&spec, "--tune and --settings exclude each other");
    if (o_k < 1) return cli_usage_error(&spec, "--k must be >= 1");
    if (o_clusters && (o_clusters < 1 || o_clusters > TIDE_INTEREST_MAX_K)) return cli_usage_error(&spec, "--clusters must be in 1..8");
    if (o_lambda < 0) return cli_usage_error(&spec, "--lambda must be > 0");
    double cold_lambda = 0;
    if (o_cold_lambda) {
        char *end = NULL;
        cold_lambda = strcmp(o_cold_lambda, "auto") == 0 ? 0 : strtod(o_cold_lambda, &end);
        if ((end && (*end || end == o_cold_lambda || !(cold_lambda > 0) || !isfinite(cold_lambda))) || o_no_cold_map)
            return cli_usage_error(&spec, "--cold-lambda takes a number > 0 or auto, and not with --no-cold-map");
    }
    if (o_update && o_model) return cli_usage_error(&spec, "--update takes its item side from PREV (no --model)");
    if (o_update && (o_tune || o_settings)) return cli_usage_error(&spec, "--update takes its settings from PREV (no --tune/--settings)");
    if (o_update && !o_out) return cli_usage_error(&spec, "--update needs --out");
    if (!(o_compact_above >= 0 && o_compact_above <= 1)) return cli_usage_error(&spec, "--compact-above must be in [0, 1]");

    tide_interest_params p = tide_interest_params_default();
    p.seed = common.seed;
    if (parse_components(&p.enabled)) return cli_usage_error(&spec, "--components: a comma list of component names (all with or all without a leading -), got '%s'", o_components);
    if (o_clusters) p.max_clusters = o_clusters;
    if (o_lambda > 0) p.ease_lambda = o_lambda;

    if ((st = tide_dataset_load(o_data, &ds))) goto fail;
    int64_t as_of;
    if (parse_as_of(&ds, &as_of)) { code = cli_usage_error(&spec, "--as-of expects latest, user, epoch seconds or a date, got '%s'", o_as_of); goto out; }
    if (as_of != INT64_MIN && ds.nnz > 0) {
        int64_t t0 = INT64_MAX;
        for (int64_t k = 0; k < ds.nnz; k++) if (ds.times[k] < t0) t0 = ds.times[k];
        if (as_of < t0) { st = tide_error(TIDE_ERR_DATA, "--as-of %s is before the data's first event (%lld)", o_as_of, (long long)t0); goto fail; }
    }
    if (o_settings) {
        char *path = tide_is_dir(o_settings) ? tide_path_join(o_settings, "manifest.json") : strdup(o_settings);
        char *buf = NULL;
        size_t n = 0;
        if (!path) { st = TIDE_ERR_NOMEM; goto fail; }
        st = tide_read_file(path, &buf, &n);
        if (!st) {
            cJSON *m = cJSON_ParseWithLength(buf, n);
            cJSON *s = m ? cJSON_GetObjectItemCaseSensitive(m, "settings") : NULL;
            if (!m) st = tide_error(TIDE_ERR_DATA, "%s: not JSON", path);
            else st = tide_interest_params_from_json(s ? s : m, &p);
            if (st) tide_error_prefix("%s: ", path);
            cJSON_Delete(m);
        }
        free(buf);
        free(path);
        if (st) goto fail;
        p.seed = common.seed;
        /* --components narrows the file's list (never turns on what tuning left out) */
        unsigned mask = (1u << TIDE_IC_N) - 1;
        parse_components(&mask);   /* checked above */
        p.enabled &= mask;
    }
    if (o_no_pos) {
        p.cf.tau = p.content.tau = p.cluster.tau = p.burst.tau = p.session.tau = p.seq_fit.tau = p.seq.tau = 0;
        p.trans_tau = 1e9;
    }
    if (o_cold_lambda) p.cold_lambda = cold_lambda;
    if (o_no_cold_map) p.cold_lambda = -1;
    if (o_no_time) {
        p.cf.half_life = p.content.half_life = p.cluster.half_life = p.burst.half_life = p.session.half_life = 0;
        p.seq_fit.half_life = p.seq.half_life = 0;
        p.words_half_life = 0;
        p.trans_half_life = 0;
    }
    const char *msg = tide_interest_params_check(&p);
    if (msg) { code = cli_usage_error(&spec, "%s", msg); goto out; }

    tide_interest_items_opts io = {0};
    if (o_item_vectors) {
        if ((st = tide_npy_load_expect(o_item_vectors, TIDE_DTYPE_F32, 2, &iv))) goto fail;
        if (iv.shape[0] != ds.n_items) {
            st = tide_error(TIDE_ERR_DATA, "%s: %lld rows, but %s has %lld items (vectors from another dataset?)", o_item_vectors,
                            (long long)iv.shape[0], o_data, (long long)ds.n_items);
            goto fail;
        }
        io.lm_vectors = iv.data;
        io.lm_dim = (int)iv.shape[1];
    } else p.enabled &= ~((1u << TIDE_IC_LM) | (1u << TIDE_IC_WORDS));
    if (o_text_vectors) {
        if (!o_item_vectors) { code = cli_usage_error(&spec, "--text-vectors needs --item-vectors (the same LM space)"); goto out; }
        if ((st = tide_npy_load_expect(o_text_vectors, TIDE_DTYPE_F32, 2, &tv))) goto fail;
        if (tv.shape[0] != ds.n_text || tv.shape[1] != iv.shape[1]) {
            st = tide_error(TIDE_ERR_DATA, "%s: shape [%lld, %lld], but %s has %lld text events and the item vectors %lld dimensions",
                            o_text_vectors, (long long)tv.shape[0], (long long)tv.shape[1], o_data, (long long)ds.n_text,
                            (long long)iv.shape[1]);
            goto fail;
        }
    } else p.enabled &= ~(1u << TIDE_IC_WORDS);
    if (!p.enabled) { code = cli_usage_error(&spec, "no component left to run (LM components need --item-vectors)"); goto out; }

    if (o_model && (st = load_model(&ds, &p, &io, &mv))) goto fail;
    if (o_update) {
        /* PREV's item side and settings, and of its states only what finds the touched users:
         * the rows themselves stay on disk (hard-linked, or read block by block to compact) */
        if ((st = tide_interest_dir_load_opts(o_update, &it, &p, &prev, &prev_man, 1))) goto fail;
        p.seed = common.seed;
        if (it.n_items != ds.n_items) {
            st = tide_error(TIDE_ERR_DATA, "%s has %lld items, but %s was captured over %lld (another dataset?)", o_data,
                            (long long)ds.n_items, o_update, (long long)it.n_items);
            goto fail;
        }
        if (ds.n_users < prev.n_users) {
            st = tide_error(TIDE_ERR_DATA, "%s has %lld users, fewer than the %lld of %s (users are only ever appended)", o_data,
                            (long long)ds.n_users, (long long)prev.n_users, o_update);
            goto fail;
        }
        if ((it.lm_dim != 0) != (o_item_vectors != NULL) || (it.lm_dim && it.lm_dim != io.lm_dim)) {
            st = tide_error(TIDE_ERR_DATA, "%s: LM dimension %d, --item-vectors %d (give the vectors the run used)", o_update,
                            it.lm_dim, io.lm_dim);
            goto fail;
        }
    } else if ((st = tide_interest_items_build(&ds, &p, &io, &it))) goto fail;
    const float *text_vecs = tv.data;

    if (o_tune) {
        if ((st = tide_dataset_load(o_valid, &valid))) goto fail;
        if (valid.n_items != ds.n_items || valid.n_users != ds.n_users) {
            st = tide_error(TIDE_ERR_DATA, "%s: %lld users × %lld items, but %s has %lld × %lld (not the same split?)", o_valid,
                            (long long)valid.n_users, (long long)valid.n_items, o_data, (long long)ds.n_users, (long long)ds.n_items);
            goto fail;
        }
        tide_interest_tune_opts to = {0};
        to.train = &ds;
        to.valid = &valid;
        to.text_vectors = text_vecs;
        to.as_of = as_of;
        to.k = 10;
        to.no_position = o_no_pos;
        to.no_time = o_no_time;
        to.fixed_weights = o_fixed;
        to.keep_components = o_keep;
        to.no_gate = o_no_gate;
        to.cv_folds = o_cv_folds;
        if ((st = tide_interest_tune(&it, &to, &p, &report))) goto fail;
    } else if (o_fixed) {
        for (int c = 0; c < TIDE_IC_N; c++) p.weights[c] = (p.enabled >> c) & 1u ? 1.0f : 0.0f;
    } else if (!o_settings && !o_update) { /* --update keeps PREV's weights (loaded with its settings) */
        tide_log(TIDE_LOG_WARN, "no --settings and no --tune: equal combiner weights");
        for (int c = 0; c < TIDE_IC_N; c++) p.weights[c] = (p.enabled >> c) & 1u ? 1.0f : 0.0f;
    }
    {
        cJSON *sj = tide_interest_params_to_json(&p);
        char *txt = cJSON_PrintUnformatted(sj);
        tide_log(TIDE_LOG_INFO, "settings: %s", txt);
        free(txt);
        cJSON_Delete(sj);
    }
    if (report) cJSON_AddItemToObject(report, "settings", tide_interest_params_to_json(&p));
    if (o_report && report) {
        char *txt = cJSON_Print(report);
        st = tide_write_file_atomic(o_report, txt, strlen(txt));
        free(txt);
        if (st) goto fail;
    }

    /* --recs: every user ranked by the engine tide-recommend runs (tide_retrieval_run over this
     * run's item side as a scorer: one top-K, seen items excluded, ties to the lower item), the
     * words from each user's text vectors. Only then: scoring computes every component over all
     * items for each user, by far the most expensive part of a run; the state alone does not
     * need it, and a run without --recs used to score everyone for lists nobody wrote. */
    int64_t U = ds.n_users, B = 256;
    if (o_recs) {
        recs_src rs = {&ds, text_vecs, it.lm_dim};
        tide_user_source src = {recs_view, &rs, ds.n_users};
        if ((st = tide_interest_scorer_borrow(&it, &p, as_of, &rsc))) goto fail;
        if ((st = tide_retrieval_exclusions_build(&ds, 0, NULL, NULL, 0, &rex_ptr, &rex_items))) goto fail;
        ru = tide_malloc((size_t)(U ? U : 1) * sizeof *ru);
        if (!ru) { st = TIDE_ERR_NOMEM; goto fail; }
        for (int64_t u = 0; u < U; u++) ru[u] = u;
        tide_retrieval_job job;
        memset(&job, 0, sizeof job);
        job.scorer = rsc;
        job.data = &ds;
        job.source = &src;
        job.users = ru;
        job.n_users = U;
        job.excl_indptr = rex_ptr;
        job.excl_items = rex_items;
        tide_retrieval_params rp;
        tide_retrieval_params_default(&rp);
        rp.k = o_k < ds.n_items ? o_k : (int)(ds.n_items ? ds.n_items : 1);
        if ((st = tide_atomic_open(&ro.f, o_recs))) goto fail;
        ro.open = 1;
        recs_sink w = {ro.f.fp, &ds};
        if ((st = tide_retrieval_run(&job, &rp, recs_write, &w, NULL))) goto fail;
        ro.open = 0;
        if ((st = tide_atomic_commit(&ro.f))) goto fail;
    }
    if (o_out || o_summary) {
        int64_t touched = 0;
        /* --update: users whose history (events, text events, last time) is unchanged keep
         * their state; the rest, and users new since PREV, are recomputed. A moved reference
         * time (as-of latest on grown data) touches everyone. */
        int64_t prev_asof = INT64_MIN;
        if (o_update) {
            const cJSON *ao = cJSON_GetObjectItemCaseSensitive(prev_man, "as_of");
            const cJSON *t = ao ? cJSON_GetObjectItemCaseSensitive(ao, "time") : NULL;
            prev_asof = cJSON_IsNumber(t) ? (int64_t)t->valuedouble : INT64_MIN;
        }
        cJSON *extra = cJSON_CreateObject();
        cJSON *cmd = cJSON_AddArrayToObject(extra, "command");
        for (int a = 0; a < argc; a++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[a]));
        cJSON *prod = cJSON_AddObjectToObject(extra, "producer");
        cJSON_AddStringToObject(prod, "program", "tide-capture-interest");
        cJSON_AddStringToObject(prod, "version", tide_version());
        if (o_update) cJSON_AddStringToObject(extra, "updated_from", o_update);
        const cJSON *tuning = report;
        if (!tuning && prev_man) tuning = cJSON_GetObjectItemCaseSensitive(prev_man, "tuning");
        tide_interest_dir_info info = {o_data, ds.checksum, as_of, o_as_of, o_item_vectors, tuning, extra, o_update};
        if (o_update && prev_asof == as_of && !o_recompute_all) {
            /* List the touched users (their history differs from what PREV's row was computed
             * from, or they are new); only those are recomputed, every other row is PREV's,
             * byte for byte, never recomputed (update.c: PREV's base linked plus a delta). */
            int64_t *list = tide_malloc(((size_t)U + 1) * sizeof *list);
            if (!list) { cJSON_Delete(extra); st = TIDE_ERR_NOMEM; goto fail; }
            for (int64_t u = 0; u < U; u++) {
                if (u >= prev.n_users) { list[touched++] = u; continue; }
                int64_t n = ds.indptr[u + 1] - ds.indptr[u];
                int64_t nt = text_vecs && ds.text_indptr ? ds.text_indptr[u + 1] - ds.text_indptr[u] : 0;   /* text counts only with its vectors */
                int64_t lt = n ? ds.times[ds.indptr[u + 1] - 1] : INT64_MIN;
                if (as_of != INT64_MIN) {   /* events after a fixed as-of are not in the state */
                    while (n && ds.times[ds.indptr[u] + n - 1] > as_of) n--;
                    lt = n ? ds.times[ds.indptr[u] + n - 1] : INT64_MIN;
                    while (nt && ds.text_times[ds.text_indptr[u] + nt - 1] > as_of) nt--;
                }
                if (n != prev.n_events[u] || nt != prev.n_text[u] || lt != prev.last_time[u]) list[touched++] = u;
            }
            cJSON_AddNumberToObject(extra, "users_recomputed", (double)touched);
            int compacted = 0;
            st = tide_interest_update_write(o_out, o_update, &it, &p, &ds, text_vecs, as_of, list, touched, o_compact_above,
                                            &info, &compacted);
            free(list);
            tide_log(TIDE_LOG_INFO, "update: %lld of %lld users recomputed; %s", (long long)touched, (long long)U,
                     compacted ? "written as a full dir (compacted)" : "PREV's base linked, a delta written");
            if (!st && o_summary) {   /* the summary needs every user's row: read the result back */
                tide_interest_items it2;
                tide_interest_params p2;
                if (!(st = tide_interest_dir_load(o_out, &it2, &p2, &S, NULL))) tide_interest_items_free(&it2);
            }
        } else if (!o_summary) {
            /* every user, streamed block by block to the output: memory holds one block's
             * states, not every user's (27 KB each at d = 384) */
            touched = U;
            if (o_update) cJSON_AddNumberToObject(extra, "users_recomputed", (double)touched);
            tide_interest_writer *w = NULL;
            int64_t WB = 4096;
            if (!(st = tide_interest_states_alloc(&S, WB, it.als_k, it.sp_dim)) &&
                !(st = tide_interest_writer_open(&w, o_out, U, it.als_k, it.sp_dim, NULL))) {
                for (int64_t lo = 0; lo < U && !st; lo += WB) {
                    int64_t hi = lo + WB < U ? lo + WB : U;
                    if (!(st = tide_interest_capture_rows(&it, &p, &ds, text_vecs, as_of, NULL, lo, hi - lo, &S)))
                        st = tide_interest_writer_rows(w, &S, hi - lo);
                }
                if (st) tide_interest_writer_abort(w);
                else st = tide_interest_writer_finish(w, &it, &p, U, &info);
            }
            if (o_update) tide_log(TIDE_LOG_INFO, "update: %lld of %lld users recomputed", (long long)touched, (long long)U);
        } else {
            /* --summary: every user's row is needed at the end anyway */
            touched = U;
            if (o_update) cJSON_AddNumberToObject(extra, "users_recomputed", (double)touched);
            if (!(st = tide_interest_states_alloc(&S, U, it.als_k, it.sp_dim)))
                for (int64_t lo = 0; lo < U && !st; lo += B) {
                    int64_t hi = lo + B < U ? lo + B : U;
                    st = tide_interest_capture_block(&it, &p, &ds, text_vecs, as_of, lo, hi, &S);
                }
            if (!st && o_out) st = tide_interest_dir_save(o_out, &it, &p, &S, &info);
            if (o_update) tide_log(TIDE_LOG_INFO, "update: %lld of %lld users recomputed", (long long)touched, (long long)U);
        }
        cJSON_Delete(extra);
        if (st) goto fail;
        if (o_summary && (st = tide_interest_summary_write(o_summary, &it, &S, &ds))) goto fail;
    }
    goto out;
fail:
    code = cli_fail(&spec, st);
out:
    if (ro.open) tide_atomic_abort(&ro.f);
    tide_scorer_free(rsc);
    free(rex_ptr); free(rex_items); free(ru);
    tide_interest_states_free(&S);
    tide_interest_states_free(&prev);
    cJSON_Delete(prev_man);
    cJSON_Delete(report);
    cJSON_Delete(settings_json);
    tide_interest_items_free(&it);
    tide_npy_free(&iv);
    tide_npy_free(&tv);
    tide_npy_free(&mv);
    tide_dataset_free(&valid);
    tide_dataset_free(&ds);
    return cli_finish(&spec, code);
}
