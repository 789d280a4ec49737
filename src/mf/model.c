/* model.c — the model directory (docs/formats.md "Model directory"): manifest.json with the
 * algorithm, every hyper-parameter, the dataset's checksum and the training log, plus the
 * model's arrays as .npy; written atomically, readable by numpy and by tide-recommend. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
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

static const char *asof_str(const tide_mf_decay *d, char *buf, size_t n) {
    if (d->as_of_mode == TIDE_ASOF_USER) return "user";
    if (d->as_of_mode == TIDE_ASOF_LATEST) return "latest";
    snprintf(buf, n, "%lld", (long long)d->as_of);
    return buf;
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
    cJSON_AddStringToObject(o, "as-of", asof_str(&p->decay, buf, sizeof buf));
    if (p->algo == TIDE_MF_POP && p->decay.half_life > 0 && p->decay.as_of_mode == TIDE_ASOF_USER)
        cJSON_AddStringToObject(o, "decay-kernel", tide_decay_kernel_name(p->kernel));
    if (fa) cJSON_AddNumberToObject(o, "patience", p->patience);
    cJSON_AddNumberToObject(o, "seed", (double)p->seed);
    return o;
}

tide_status tide_mf_model_save(const char *dir, const tide_mf_model *m, const char *dataset_path, const void *extra) {
    tide_status st = TIDE_OK;
    tide_atomic_dir d;
    char *path = NULL, *text = NULL;
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
    if ((st = tide_manifest_add_files(man, d.tmp_path))) goto fail; /* per-file checksums for tide verify */
    if (!(text = cJSON_Print(man))) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto fail; }
    free(path);
    if (!(path = tide_atomic_dir_file(&d, "manifest.json"))) { st = TIDE_ERR_NOMEM; goto fail; }
    size_t tl = strlen(text);
    text[tl] = '\n';
    st = tide_write_file_atomic(path, text, tl + 1);
    text[tl] = 0;
    if (st) goto fail;
    if ((st = tide_atomic_dir_commit(&d))) goto fail;
    free(path);
    free(text);
    cJSON_Delete(man);
    return TIDE_OK;
fail:
    tide_atomic_dir_abort(&d);
    free(path);
    free(text);
    cJSON_Delete(man);
    return st;
}

/* Copy an array of the expected dtype and shape out of a model directory. */
static tide_status load_copy(const char *mp, const cJSON *man, const char *dir, const char *name, tide_dtype dt,
                             int64_t rows, int64_t cols, void **out) {
    char *p = NULL;
    tide_status st = tide_manifest_array_path(mp, dir, man, name, &p);
    if (st) return st;
    tide_npy a;
    st = tide_npy_load_expect(p, dt, cols > 0 ? 2 : 1, &a);
    if (st) {
        free(p);
        return st;
    }
    if (a.shape[0] != rows || (cols > 0 && a.shape[1] != cols))
        st = tide_error(TIDE_ERR_DATA, "%s: shape does not match the manifest", p);
    if (!st) {
        size_t bytes = a.count * tide_dtype_size(dt);
        void *c = tide_malloc(bytes + 1);
        if (!c) st = TIDE_ERR_NOMEM;
        else {
            memcpy(c, a.data, bytes);
            *out = c;
        }
    }
    tide_npy_free(&a);
    free(p);
    return st;
}

tide_status tide_mf_model_load(const char *dir, tide_mf_model *m) {
    memset(m, 0, sizeof *m);
    char *mp = tide_path_join(dir, "manifest.json"), *text = NULL;
    size_t len;
    cJSON *man = NULL;
    tide_status st = TIDE_OK;
    if (!mp) return TIDE_ERR_NOMEM;
    if ((st = tide_read_file(mp, &text, &len))) goto done;
    man = cJSON_Parse(text);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(man, "format");
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(man, "algorithm");
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(man, "dataset");
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(man, "params");
    if (!man || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "tide-model") != 0 || !cJSON_IsString(alg) ||
        !cJSON_IsObject(ds)) {
        st = tide_error(TIDE_ERR_DATA, "%s: not a tide model manifest", mp);
        goto done;
    }
    if ((st = tide_mf_algo_parse(alg->valuestring, &m->algo))) {
        st = tide_error(TIDE_ERR_DATA, "%s: unknown algorithm '%s'", mp, alg->valuestring);
        goto done;
    }
    m->params = tide_mf_params_default(m->algo);
    m->n_users = -1;
    m->n_items = 0;
    int64_t factors = 0;
    const char *cs = NULL;
    if ((st = tide_manifest_int(mp, ds, "dataset", "users", 0, INT64_MAX / 2, &m->n_users, NULL)) ||
        (st = tide_manifest_int(mp, ds, "dataset", "items", 1, INT32_MAX, &m->n_items, NULL)) ||
        (st = tide_manifest_string(mp, ds, "dataset", "checksum", &cs, NULL)) ||
        (st = tide_manifest_object(mp, man, NULL, "params", 0, &pr, NULL)) ||
        (st = tide_manifest_int(mp, pr, "params", "factors", 1, 1 << 20, &factors, NULL)) ||
        (st = tide_manifest_check_arrays(mp, dir, man)))
        goto done;
    if (cs) snprintf(m->dataset_checksum, sizeof m->dataset_checksum, "%s", cs);
    m->factors = (int)factors;
    m->params.factors = m->factors;
    if (m->n_users < 0 || m->n_items < 1) {
        st = tide_error(TIDE_ERR_DATA, "%s: bad dataset counts", mp);
        goto done;
    }
    switch (m->algo) {
    case TIDE_MF_ALS:
    case TIDE_MF_BPR:
        if (m->factors < 1) { st = tide_error(TIDE_ERR_DATA, "%s: params.factors missing", mp); goto done; }
        if ((st = load_copy(mp, man, dir, "user_factors", TIDE_DTYPE_F32, m->n_users, m->factors, (void **)&m->user_factors)) ||
            (st = load_copy(mp, man, dir, "item_factors", TIDE_DTYPE_F32, m->n_items, m->factors, (void **)&m->item_factors)))
            goto done;
        if (cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "arrays"), "item_bias") &&
            (st = load_copy(mp, man, dir, "item_bias", TIDE_DTYPE_F32, m->n_items, 0, (void **)&m->item_bias)))
            goto done;
        break;
    case TIDE_MF_EASE:
        st = load_copy(mp, man, dir, "item_matrix", TIDE_DTYPE_F32, m->n_items, m->n_items, (void **)&m->item_matrix);
        break;
    case TIDE_MF_ITEMKNN:
        if ((st = load_copy(mp, man, dir, "neighbors_indptr", TIDE_DTYPE_I64, m->n_items + 1, 0, (void **)&m->nb_indptr))) goto done;
        {
            int64_t nn = m->nb_indptr[m->n_items];
            for (int64_t i = 0; i < m->n_items; i++)
                if (m->nb_indptr[i] > m->nb_indptr[i + 1] || m->nb_indptr[0] != 0) {
                    st = tide_error(TIDE_ERR_DATA, "%s/neighbors_indptr.npy: not monotone", dir);
                    goto done;
                }
            if ((st = load_copy(mp, man, dir, "neighbors", TIDE_DTYPE_I32, nn, 0, (void **)&m->nb_items)) ||
                (st = load_copy(mp, man, dir, "similarities", TIDE_DTYPE_F32, nn, 0, (void **)&m->nb_sims)))
                goto done;
            for (int64_t q = 0; q < nn; q++)
                if (m->nb_items[q] < 0 || m->nb_items[q] >= m->n_items) {
                    st = tide_error(TIDE_ERR_DATA, "%s/neighbors.npy[%lld]: item index out of range", dir, (long long)q);
                    goto done;
                }
        }
        break;
    case TIDE_MF_POP:
        if ((st = load_copy(mp, man, dir, "popularity", TIDE_DTYPE_F32, m->n_items, 0, (void **)&m->popularity))) goto done;
        if (cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "arrays"), "event_indptr")) {
            if ((st = load_copy(mp, man, dir, "event_indptr", TIDE_DTYPE_I64, m->n_items + 1, 0, (void **)&m->ev_indptr))) goto done;
            int64_t ne = m->ev_indptr[m->n_items];
            if (m->ev_indptr[0] != 0 || ne < 0) {
                st = tide_error(TIDE_ERR_DATA, "%s/event_indptr.npy: must start at 0 and end at the event count", dir);
                goto done;
            }
            if ((st = load_copy(mp, man, dir, "event_times", TIDE_DTYPE_I64, ne, 0, (void **)&m->ev_times)) ||
                (st = load_copy(mp, man, dir, "event_weights", TIDE_DTYPE_F32, ne, 0, (void **)&m->ev_weights)))
                goto done;
        }
        break;
    }
    if (st) goto done;
    /* The params the scoring rules follow (the rest are a record). */
    if (cJSON_IsObject(pr)) {
        const char *asof = NULL, *kernel = NULL;
        if ((st = tide_manifest_number(mp, pr, "params", "half-life", 0, HUGE_VAL, &m->params.decay.half_life, NULL)) ||
            (st = tide_manifest_number(mp, pr, "params", "alpha", -HUGE_VAL, HUGE_VAL, &m->params.alpha, NULL)) ||
            (st = tide_manifest_number(mp, pr, "params", "regularization", -HUGE_VAL, HUGE_VAL, &m->params.regularization, NULL)) ||
            (st = tide_manifest_bool(mp, pr, "params", "fold-in", &m->params.fold_in, NULL)) ||
            (st = tide_manifest_bool(mp, pr, "params", "decay-fit", &m->params.decay_fit, NULL)) ||
            (st = tide_manifest_bool(mp, pr, "params", "decay-preference", &m->params.decay_preference, NULL)) ||
            (st = tide_manifest_string(mp, pr, "params", "as-of", &asof, NULL)) ||
            (st = tide_manifest_string(mp, pr, "params", "decay-kernel", &kernel, NULL)))
            goto done;
        if (asof) {
            char *end = NULL;
            if (strcmp(asof, "user") == 0) m->params.decay.as_of_mode = TIDE_ASOF_USER;
            else if (strcmp(asof, "latest") != 0) {
                m->params.decay.as_of_mode = TIDE_ASOF_TIME;
                errno = 0;
                m->params.decay.as_of = strtoll(asof, &end, 10);
                if (!*asof || *end || errno) {
                    st = tide_error(TIDE_ERR_DATA, "%s: params \"as-of\" must be \"latest\", \"user\" or epoch seconds", mp);
                    goto done;
                }
            }
        }
        if (kernel && tide_decay_kernel_parse(kernel, &m->params.kernel) != 0) {
            st = tide_error(TIDE_ERR_DATA, "%s: params \"decay-kernel\" must be \"two-sided\" or \"past\"", mp);
            goto done;
        }
    }
    if (m->ev_indptr && !(m->params.decay.half_life > 0)) {
        st = tide_error(TIDE_ERR_DATA, "%s: contextual popularity (event arrays) needs params \"half-life\" > 0", mp);
        goto done;
    }
done:
    if (st) tide_mf_model_free(m);
    cJSON_Delete(man);
    free(text);
    free(mp);
    return st;
}
