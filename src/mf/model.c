/* model.c — the model directory (docs/formats.md "Model directory"): manifest.json with the
 * algorithm, every hyper-parameter, the dataset's checksum and the training log, plus the
 * model's arrays as .npy; written atomically, readable by numpy and by tide-recommend (which
 * opens it through src/mf/scorer.c, reading the params back with tide_mf_params_from_json). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"
#include "tide/manifest.h"
#include "tide/npy.h"
#include "mf-internal.h"

void tide_mf_model_free(tide_mf_model *m) {
    free(m->user_factors); free(m->item_factors); free(m->item_bias); free(m->item_matrix);
    free(m->nb_indptr); free(m->nb_items); free(m->nb_sims); free(m->popularity);
    free(m->ev_indptr); free(m->ev_times); free(m->ev_weights);
    if (m->log) cJSON_Delete(m->log);
    memset(m, 0, sizeof *m);
}


cJSON *tide_mf_params_json(const tide_mf_params *p) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    char buf[32];
    int fa = p->algo == TIDE_MF_ALS || p->algo == TIDE_MF_BPR;
    if (fa) {
        cJSON_AddNumberToObject(o, "factors", p->factors);
        cJSON_AddNumberToObject(o, "iterations", p->iterations);
        cJSON_AddNumberToObject(o, "regularization", p->regularization);
        cJSON_AddNumberToObject(o, "init-scale", p->init_scale);
    }
    if (p->algo == TIDE_MF_ALS) {
        cJSON_AddNumberToObject(o, "alpha", p->alpha);
        cJSON_AddStringToObject(o, "solver", p->solver == TIDE_ALS_CG ? "cg" : "cholesky");
        if (p->solver == TIDE_ALS_CG) cJSON_AddNumberToObject(o, "cg-steps", p->cg_steps);
        cJSON_AddBoolToObject(o, "fold-in", p->fold_in);
        if (p->fold_in) cJSON_AddBoolToObject(o, "decay-preference", p->decay_preference);
    }
    if (p->algo == TIDE_MF_BPR) cJSON_AddNumberToObject(o, "learning-rate", p->learning_rate);
    if (p->algo == TIDE_MF_EASE) cJSON_AddNumberToObject(o, "lambda", p->lambda);
    if (p->algo == TIDE_MF_ITEMKNN) {
        cJSON_AddNumberToObject(o, "neighbors", p->neighbors);
        cJSON_AddStringToObject(o, "similarity", p->similarity == TIDE_KNN_COSINE ? "cosine" : "bm25");
        if (p->similarity == TIDE_KNN_BM25) {
            cJSON_AddNumberToObject(o, "bm25-k1", p->bm25_k1);
            cJSON_AddNumberToObject(o, "bm25-b", p->bm25_b);
        }
    }
    cJSON_AddNumberToObject(o, "half-life", p->decay.half_life);
    if ((p->algo == TIDE_MF_EASE || p->algo == TIDE_MF_ITEMKNN || (p->algo == TIDE_MF_ALS && p->fold_in)) &&
        p->decay.half_life > 0)
        cJSON_AddBoolToObject(o, "decay-fit", p->decay_fit);
    cJSON_AddStringToObject(o, "as-of", tide_decay_asof_name(&p->decay, buf, sizeof buf));
    if (p->algo == TIDE_MF_POP && p->decay.half_life > 0 && p->decay.as_of_mode == TIDE_ASOF_USER)
        cJSON_AddStringToObject(o, "decay-kernel", tide_decay_kernel_name(p->kernel));
    if (fa) cJSON_AddNumberToObject(o, "patience", p->patience);
    cJSON_AddNumberToObject(o, "seed", (double)p->seed);
    return o;
}

tide_status tide_mf_model_save(const char *dir, const tide_mf_model *m, const char *dataset_path, const void *extra) {
    tide_status st = TIDE_OK;
    tide_atomic_dir d;
    char *path = NULL;
    cJSON *man = cJSON_CreateObject(), *arr = NULL;
    if (!man) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    if ((st = tide_atomic_dir_begin(&d, dir))) {
        cJSON_Delete(man);
        return st;
    }
    cJSON_AddStringToObject(man, "format", "tide-model");
    cJSON_AddNumberToObject(man, "format_version", 1);
    cJSON_AddStringToObject(man, "algorithm", tide_mf_algo_name(m->algo));
    cJSON_AddItemToObject(man, "params", tide_mf_params_json(&m->params));
    cJSON *ds = cJSON_AddObjectToObject(man, "dataset");
    cJSON_AddStringToObject(ds, "path", dataset_path ? dataset_path : "");
    cJSON_AddStringToObject(ds, "checksum", m->dataset_checksum);
    cJSON_AddNumberToObject(ds, "users", (double)m->n_users);
    cJSON_AddNumberToObject(ds, "items", (double)m->n_items);
    cJSON *tr = cJSON_AddObjectToObject(man, "training");
    cJSON_AddNumberToObject(tr, "iterations_run", m->iterations_run);
    cJSON_AddNumberToObject(tr, "best_iteration", m->best_iteration);
    if (m->best_iteration > 0) cJSON_AddNumberToObject(tr, "best_valid_ndcg@10", m->best_ndcg);
    cJSON_AddNumberToObject(tr, "wall_time_s", m->wall_time);
    cJSON_AddItemToObject(tr, "log", m->log ? cJSON_Duplicate(m->log, 1) : cJSON_CreateArray());
    arr = cJSON_AddObjectToObject(man, "arrays");
    if (extra) {
        const cJSON *e;
        cJSON_ArrayForEach(e, (const cJSON *)extra) {
            cJSON_DeleteItemFromObjectCaseSensitive(man, e->string);
            cJSON_AddItemToObject(man, e->string, cJSON_Duplicate(e, 1));
        }
    }
#define ARRAY(name, dtype, nd, r, c, data)                                                        \
    do {                                                                                           \
        free(path);                                                                                \
        if (!(path = tide_atomic_dir_file(&d, name ".npy"))) { st = TIDE_ERR_NOMEM; goto fail; }  \
        int64_t shape_[2] = {(r), (c)};                                                            \
        if ((st = tide_npy_save(path, dtype, nd, shape_, data))) goto fail;                        \
        cJSON_AddStringToObject(arr, name, name ".npy");                                           \
    } while (0)
    switch (m->algo) {
    case TIDE_MF_ALS:
    case TIDE_MF_BPR:
        ARRAY("user_factors", TIDE_DTYPE_F32, 2, m->n_users, m->factors, m->user_factors);
        ARRAY("item_factors", TIDE_DTYPE_F32, 2, m->n_items, m->factors, m->item_factors);
        if (m->item_bias) ARRAY("item_bias", TIDE_DTYPE_F32, 1, m->n_items, 0, m->item_bias);
        break;
    case TIDE_MF_EASE:
        ARRAY("item_matrix", TIDE_DTYPE_F32, 2, m->n_items, m->n_items, m->item_matrix);
        break;
    case TIDE_MF_ITEMKNN:
        ARRAY("neighbors_indptr", TIDE_DTYPE_I64, 1, m->n_items + 1, 0, m->nb_indptr);
        ARRAY("neighbors", TIDE_DTYPE_I32, 1, m->nb_indptr[m->n_items], 0, m->nb_items);
        ARRAY("similarities", TIDE_DTYPE_F32, 1, m->nb_indptr[m->n_items], 0, m->nb_sims);
        break;
    case TIDE_MF_POP:
        ARRAY("popularity", TIDE_DTYPE_F32, 1, m->n_items, 0, m->popularity);
        if (m->ev_indptr) {
            ARRAY("event_indptr", TIDE_DTYPE_I64, 1, m->n_items + 1, 0, m->ev_indptr);
            ARRAY("event_times", TIDE_DTYPE_I64, 1, m->ev_indptr[m->n_items], 0, m->ev_times);
            ARRAY("event_weights", TIDE_DTYPE_F32, 1, m->ev_indptr[m->n_items], 0, m->ev_weights);
        }
        break;
    }
#undef ARRAY
    /* per-file checksums for tide verify, the manifest, the commit */
    if ((st = tide_manifest_commit_dir(&d, man))) goto fail;
    free(path);
    cJSON_Delete(man);
    return TIDE_OK;
fail:
    tide_atomic_dir_abort(&d);
    free(path);
    cJSON_Delete(man);
    return st;
}

/* params "half-life" (seconds) and "as-of" ("latest", "user" or epoch seconds), as
 * tide_mf_params_json writes them; absent = no decay (models from before decay existed). */
static tide_status decay_from_json(const char *mpath, const cJSON *params, tide_mf_decay *d) {
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(params, "half-life");
    d->half_life = cJSON_IsNumber(h) ? h->valuedouble : 0;
    if ((h && !cJSON_IsNumber(h)) || !isfinite(d->half_life) || d->half_life < 0)
        return tide_error(TIDE_ERR_DATA, "%s: params \"half-life\" must be a number of seconds >= 0", mpath);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(params, "as-of");
    d->as_of_mode = TIDE_ASOF_LATEST;
    d->as_of = 0;
    const char *why;
    if (!a || (cJSON_IsString(a) && tide_decay_asof_parse(a->valuestring, d, &why) == 0)) return TIDE_OK;
    return tide_error(TIDE_ERR_DATA, "%s: params \"as-of\" must be \"latest\", \"user\" or epoch seconds", mpath);
}

static tide_status bool_from_json(const char *mpath, const cJSON *params, const char *name, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
    if (v && !cJSON_IsBool(v)) return tide_error(TIDE_ERR_DATA, "%s: params \"%s\" must be true or false", mpath, name);
    if (v) *out = cJSON_IsTrue(v);
    return TIDE_OK;
}

tide_status tide_mf_params_from_json(const void *json, tide_mf_params *p, const char *mpath) {
    const cJSON *params = json;
    tide_status st;
    if ((st = decay_from_json(mpath, params, &p->decay))) return st;
    const cJSON *v;
    int64_t factors = 0;
    int has_factors = 0;
    /* typed: a key present with another type is bad data, never the default (tide/manifest.h) */
    if ((st = tide_manifest_number(mpath, params, "params", "alpha", -HUGE_VAL, HUGE_VAL, &p->alpha, NULL)) ||
        (st = tide_manifest_number(mpath, params, "params", "regularization", -HUGE_VAL, HUGE_VAL, &p->regularization, NULL)) ||
        (st = tide_manifest_int(mpath, params, "params", "factors", 1, 1 << 20, &factors, &has_factors)))
        return st;
    if (has_factors) p->factors = (int)factors;
    p->fold_in = p->decay_fit = p->decay_preference = 0;
    if ((st = bool_from_json(mpath, params, "fold-in", &p->fold_in)) ||
        (st = bool_from_json(mpath, params, "decay-fit", &p->decay_fit)) ||
        (st = bool_from_json(mpath, params, "decay-preference", &p->decay_preference)))
        return st;
    v = cJSON_GetObjectItemCaseSensitive(params, "decay-kernel");
    if (v && !(cJSON_IsString(v) && tide_decay_kernel_parse(v->valuestring, &p->kernel) == 0))
        return tide_error(TIDE_ERR_DATA, "%s: params \"decay-kernel\" must be \"two-sided\" or \"past\"", mpath);
    return TIDE_OK;
}
