/* model.c — load a model directory for scoring (manifest + memory-mapped arrays) and check that
 * it fits the dataset it is applied to. Every shape is cross-checked here, once, so the scoring
 * kernels can trust them: a model whose arrays disagree is bad input (TIDE_ERR_DATA), never a
 * crash. The arrays stay mapped until tide_retrieval_model_free(). The manifest's params that
 * scoring follows (ALS alpha/regularization, the history decay) are read into a tide_mf_params. */
#define _GNU_SOURCE
#include "tide/retrieval.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"
#include "tide/manifest.h"

/* Load the array `name` into *a and check dtype and ndim: the file the manifest's "arrays" names
 * for it (contained in the directory: tide_manifest_array_path), or NAME.npy. */
static tide_status load_array(const char *mpath, const cJSON *man, const char *dir, const char *name, tide_dtype dt,
                              int ndim, tide_npy *a) {
    char *path = NULL;
    tide_status st = tide_manifest_array_path(mpath, dir, man, name, &path);
    if (st) return st;
    if (!tide_path_exists(path)) st = tide_error(TIDE_ERR_DATA, "%s: missing (the model's algorithm needs it)", path);
    else st = tide_npy_load_expect(path, dt, ndim, a);
    free(path);
    return st;
}

/* A number in params: absent gives dflt (*found = 0); any other type is bad data. */
static tide_status num_param(const char *mpath, const cJSON *params, const char *name, double dflt, double *out,
                             int *found) {
    *out = dflt;
    return tide_manifest_number(mpath, params, "params", name, -HUGE_VAL, HUGE_VAL, out, found);
}

/* params "half-life" (seconds) and "as-of" ("latest", "user" or epoch seconds), as
 * tide_mf_params_json writes them; absent = no decay (models from before decay existed). */
static tide_status load_decay(const char *mpath, const cJSON *params, tide_mf_decay *d) {
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(params, "half-life");
    d->half_life = cJSON_IsNumber(h) ? h->valuedouble : 0;
    if ((h && !cJSON_IsNumber(h)) || !isfinite(d->half_life) || d->half_life < 0)
        return tide_error(TIDE_ERR_DATA, "%s: params \"half-life\" must be a number of seconds >= 0", mpath);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(params, "as-of");
    d->as_of_mode = TIDE_ASOF_LATEST;
    d->as_of = 0;
    if (!a) return TIDE_OK;
    const char *s = cJSON_IsString(a) ? a->valuestring : NULL;
    char *end = NULL;
    if (s && strcmp(s, "latest") == 0) return TIDE_OK;
    if (s && strcmp(s, "user") == 0) {
        d->as_of_mode = TIDE_ASOF_USER;
        return TIDE_OK;
    }
    if (s && *s) {
        errno = 0;
        long long t = strtoll(s, &end, 10);
        if (!*end && errno == 0) {
            d->as_of_mode = TIDE_ASOF_TIME;
            d->as_of = t;
            return TIDE_OK;
        }
    }
    return tide_error(TIDE_ERR_DATA, "%s: params \"as-of\" must be \"latest\", \"user\" or epoch seconds", mpath);
}

/* f32 array must be finite: a NaN factor would silently poison every score of its row. */
static tide_status check_finite(const char *dir, const char *name, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return tide_error(TIDE_ERR_DATA, "%s/%s: element %zu is not finite (%g)", dir, name, i, (double)x[i]);
    return TIDE_OK;
}

/* Contextual popularity: event_indptr/event_times/event_weights.npy (tide_pop_events) and the
 * manifest's half-life and "decay-kernel"; every array is checked by tide_pop_context_init. */
static tide_status load_pop_context(const char *dir, const char *mpath, const cJSON *params, tide_retrieval_model *m) {
    tide_npy *a = m->arrays;
    tide_status st;
    if (!(m->params.decay.half_life > 0))
        return tide_error(TIDE_ERR_DATA, "%s: contextual popularity (event arrays) needs params \"half-life\" > 0", mpath);
    const cJSON *kn = cJSON_GetObjectItemCaseSensitive(params, "decay-kernel");
    if (kn && !(cJSON_IsString(kn) && tide_decay_kernel_parse(kn->valuestring, &m->params.kernel) == 0))
        return tide_error(TIDE_ERR_DATA, "%s: params \"decay-kernel\" must be \"two-sided\" or \"past\"", mpath);
    if ((st = load_array(mpath, m->manifest, dir, "event_indptr", TIDE_DTYPE_I64, 1, &a[1])) ||
        (st = load_array(mpath, m->manifest, dir, "event_times", TIDE_DTYPE_I64, 1, &a[2])) ||
        (st = load_array(mpath, m->manifest, dir, "event_weights", TIDE_DTYPE_F32, 1, &a[3])))
        return st;
    const int64_t *ip = a[1].data;
    if (a[1].shape[0] != m->n_items + 1 || ip[m->n_items] != a[2].shape[0] || a[2].shape[0] != a[3].shape[0])
        return tide_error(TIDE_ERR_DATA, "%s: event_indptr.npy must have items+1 = %lld entries ending at the length of "
                          "event_times.npy and event_weights.npy (%lld, %lld)", dir, (long long)m->n_items + 1,
                          (long long)a[2].shape[0], (long long)a[3].shape[0]);
    if (!(m->pop_context = tide_calloc(1, sizeof *m->pop_context))) return TIDE_ERR_NOMEM;
    char what[600];
    snprintf(what, sizeof what, "%s/event_*.npy", dir);
    if ((st = tide_pop_context_init(m->pop_context, m->n_items, m->params.decay.half_life, m->params.kernel, ip,
                                    a[2].data, a[3].data, what))) {
        free(m->pop_context);
        m->pop_context = NULL;
    }
    return st;
}

tide_status tide_retrieval_model_load(const char *dir, tide_retrieval_model *m) {
    memset(m, 0, sizeof *m);
    tide_status st = TIDE_OK;
    char *mpath = tide_path_join(dir, "manifest.json");
    char *text = NULL;
    size_t len = 0;
    if (!mpath) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    if (!tide_is_dir(dir)) {
        st = tide_error(TIDE_ERR_DATA, "%s: not a model directory", dir);
        goto done;
    }
    if ((st = tide_read_file(mpath, &text, &len))) {
        if (!tide_path_exists(mpath)) st = tide_error(TIDE_ERR_DATA, "%s: missing (not a model directory)", mpath);
        goto done;
    }
    m->manifest = cJSON_ParseWithLength(text, len);
    if (!m->manifest || !cJSON_IsObject(m->manifest)) {
        st = tide_error(TIDE_ERR_DATA, "%s: not valid JSON", mpath);
        goto done;
    }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(m->manifest, "format");
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(m->manifest, "algorithm");
    const char *kind = cJSON_IsString(alg) ? alg->valuestring : NULL;
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "tide-model") != 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: unsupported model kind: format '%s'%s%s (tide-recommend scores \"tide-model\" dirs: als, bpr, ease, itemknn, pop)",
                        mpath, cJSON_IsString(fmt) ? fmt->valuestring : "(none)", kind ? ", algorithm " : "", kind ? kind : "");
        goto done;
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(m->manifest, "format_version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1) {
        st = tide_error(TIDE_ERR_DATA, "%s: unsupported format_version (expected 1)", mpath);
        goto done;
    }
    if (!kind) {
        st = tide_error(TIDE_ERR_DATA, "%s: no \"algorithm\"", mpath);
        goto done;
    }
    snprintf(m->algorithm, sizeof m->algorithm, "%s", kind);

    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(m->manifest, "dataset");
    const cJSON *ck = cJSON_GetObjectItemCaseSensitive(ds, "checksum");
    const cJSON *dp = cJSON_GetObjectItemCaseSensitive(ds, "path");
    int has_du = 0, has_di = 0;
    if ((st = tide_manifest_object(mpath, m->manifest, NULL, "dataset", 0, &ds, NULL)) ||
        (st = tide_manifest_int(mpath, ds, "dataset", "users", 0, INT64_MAX / 2, &m->dataset_users, &has_du)) ||
        (st = tide_manifest_int(mpath, ds, "dataset", "items", 1, INT32_MAX, &m->dataset_items, &has_di)))
        goto done;
    if (dp && !cJSON_IsString(dp)) {
        st = tide_error(TIDE_ERR_DATA, "%s: \"dataset.path\" must be a string", mpath);
        goto done;
    }
    if (!cJSON_IsString(ck) || !has_du || !has_di) {
        st = tide_error(TIDE_ERR_DATA, "%s: \"dataset\" must give checksum, users and items", mpath);
        goto done;
    }
    snprintf(m->dataset_checksum, sizeof m->dataset_checksum, "%s", ck->valuestring);
    snprintf(m->dataset_path, sizeof m->dataset_path, "%s", cJSON_IsString(dp) ? dp->valuestring : "");
    m->n_items = m->dataset_items;
    const cJSON *params = NULL;
    if ((st = tide_manifest_object(mpath, m->manifest, NULL, "params", 0, &params, NULL)) ||
        (st = tide_manifest_check_arrays(mpath, dir, m->manifest)))
        goto done;
    tide_mf_algo algo;
    m->params = tide_mf_params_default(tide_mf_algo_parse(kind, &algo) == TIDE_OK ? algo : TIDE_MF_ALS);
    if ((st = load_decay(mpath, params, &m->params.decay))) goto done;

    tide_npy *a = m->arrays;
    if (strcmp(kind, "als") == 0 || strcmp(kind, "bpr") == 0) {
        m->kind = TIDE_RETRIEVAL_FACTORS;
        if ((st = load_array(mpath, m->manifest, dir, "user_factors", TIDE_DTYPE_F32, 2, &a[0]))) goto done;
        if ((st = load_array(mpath, m->manifest, dir, "item_factors", TIDE_DTYPE_F32, 2, &a[1]))) goto done;
        if (a[0].shape[1] != a[1].shape[1]) {
            st = tide_error(TIDE_ERR_DATA, "%s: user_factors.npy has %lld factors but item_factors.npy has %lld",
                            dir, (long long)a[0].shape[1], (long long)a[1].shape[1]);
            goto done;
        }
        if (a[0].shape[1] < 1) {
            st = tide_error(TIDE_ERR_DATA, "%s: factor matrices have no columns", dir);
            goto done;
        }
        if (a[0].shape[0] != m->dataset_users || a[1].shape[0] != m->dataset_items) {
            st = tide_error(TIDE_ERR_DATA, "%s: factors are [%lld users, %lld items] but the manifest's dataset has %lld users, %lld items",
                            dir, (long long)a[0].shape[0], (long long)a[1].shape[0], (long long)m->dataset_users, (long long)m->dataset_items);
            goto done;
        }
        m->n_users = a[0].shape[0];
        m->dim = a[0].shape[1];
        m->user_factors = a[0].data;
        m->item_factors = a[1].data;
        if ((st = check_finite(dir, "user_factors.npy", m->user_factors, a[0].count))) goto done;
        if ((st = check_finite(dir, "item_factors.npy", m->item_factors, a[1].count))) goto done;
        char *bias = NULL;
        if ((st = tide_manifest_array_path(mpath, dir, m->manifest, "item_bias", &bias))) goto done;
        int has_bias = tide_path_exists(bias);
        free(bias);
        if (has_bias) {
            if ((st = load_array(mpath, m->manifest, dir, "item_bias", TIDE_DTYPE_F32, 1, &a[2]))) goto done;
            if (a[2].shape[0] != m->n_items) {
                st = tide_error(TIDE_ERR_DATA, "%s/item_bias.npy: %lld entries for %lld items", dir, (long long)a[2].shape[0], (long long)m->n_items);
                goto done;
            }
            m->item_bias = a[2].data;
            if ((st = check_finite(dir, "item_bias.npy", m->item_bias, a[2].count))) goto done;
        }
        if (strcmp(kind, "als") == 0) {
            int fa = 0, fr = 0;
            if ((st = num_param(mpath, params, "alpha", 0, &m->params.alpha, &fa)) ||
                (st = num_param(mpath, params, "regularization", 0, &m->params.regularization, &fr)))
                goto done;
            /* Fold-in needs the training objective's constants; without them it would be a guess. */
            m->can_fold_in = fa && fr && m->params.alpha >= 0 && m->params.regularization >= 0;
            const cJSON *fi = cJSON_GetObjectItemCaseSensitive(params, "fold-in");
            if (fi && !cJSON_IsBool(fi)) {
                st = tide_error(TIDE_ERR_DATA, "%s: params \"fold-in\" must be true or false", mpath);
                goto done;
            }
            m->params.fold_in = cJSON_IsTrue(fi);
            if (m->params.fold_in && !m->can_fold_in) {
                st = tide_error(TIDE_ERR_DATA, "%s: params \"fold-in\" is true but \"alpha\"/\"regularization\" are missing or negative", mpath);
                goto done;
            }
            m->fold_in_all = m->params.fold_in;
            const cJSON *dpr = cJSON_GetObjectItemCaseSensitive(params, "decay-preference");
            if (dpr && !cJSON_IsBool(dpr)) {
                st = tide_error(TIDE_ERR_DATA, "%s: params \"decay-preference\" must be true or false", mpath);
                goto done;
            }
            m->params.decay_preference = cJSON_IsTrue(dpr);
        }
    } else if (strcmp(kind, "ease") == 0) {
        m->kind = TIDE_RETRIEVAL_EASE;
        if ((st = load_array(mpath, m->manifest, dir, "item_matrix", TIDE_DTYPE_F32, 2, &a[0]))) goto done;
        if (a[0].shape[0] != m->n_items || a[0].shape[1] != m->n_items) {
            st = tide_error(TIDE_ERR_DATA, "%s/item_matrix.npy: shape [%lld, %lld], expected [%lld, %lld] (the dataset's items)", dir,
                            (long long)a[0].shape[0], (long long)a[0].shape[1], (long long)m->n_items, (long long)m->n_items);
            goto done;
        }
        m->item_matrix = a[0].data;
    } else if (strcmp(kind, "itemknn") == 0) {
        m->kind = TIDE_RETRIEVAL_ITEMKNN;
        if ((st = load_array(mpath, m->manifest, dir, "neighbors_indptr", TIDE_DTYPE_I64, 1, &a[0]))) goto done;
        if ((st = load_array(mpath, m->manifest, dir, "neighbors", TIDE_DTYPE_I32, 1, &a[1]))) goto done;
        if ((st = load_array(mpath, m->manifest, dir, "similarities", TIDE_DTYPE_F32, 1, &a[2]))) goto done;
        if (a[0].shape[0] != m->n_items + 1) {
            st = tide_error(TIDE_ERR_DATA, "%s/neighbors_indptr.npy: %lld entries, expected items+1 = %lld", dir,
                            (long long)a[0].shape[0], (long long)m->n_items + 1);
            goto done;
        }
        if (a[1].shape[0] != a[2].shape[0]) {
            st = tide_error(TIDE_ERR_DATA, "%s: neighbors.npy has %lld entries but similarities.npy %lld", dir,
                            (long long)a[1].shape[0], (long long)a[2].shape[0]);
            goto done;
        }
        const int64_t *ip = a[0].data;
        const int32_t *nb = a[1].data;
        if (ip[0] != 0 || ip[m->n_items] != a[1].shape[0]) {
            st = tide_error(TIDE_ERR_DATA, "%s/neighbors_indptr.npy: must start at 0 and end at %lld", dir, (long long)a[1].shape[0]);
            goto done;
        }
        for (int64_t i = 0; i < m->n_items; i++)
            if (ip[i + 1] < ip[i]) {
                st = tide_error(TIDE_ERR_DATA, "%s/neighbors_indptr.npy: decreases at entry %lld", dir, (long long)i + 1);
                goto done;
            }
        for (int64_t e = 0; e < a[1].shape[0]; e++)
            if (nb[e] < 0 || nb[e] >= m->n_items) {
                st = tide_error(TIDE_ERR_DATA, "%s/neighbors.npy: entry %lld is item %d, outside [0, %lld)", dir, (long long)e, nb[e],
                                (long long)m->n_items);
                goto done;
            }
        m->nb_indptr = ip;
        m->nb_items = nb;
        m->nb_sims = a[2].data;
        if ((st = check_finite(dir, "similarities.npy", m->nb_sims, a[2].count))) goto done;
    } else if (strcmp(kind, "pop") == 0) {
        m->kind = TIDE_RETRIEVAL_POP;
        if ((st = load_array(mpath, m->manifest, dir, "popularity", TIDE_DTYPE_F32, 1, &a[0]))) goto done;
        if (a[0].shape[0] != m->n_items) {
            st = tide_error(TIDE_ERR_DATA, "%s/popularity.npy: %lld entries for %lld items", dir, (long long)a[0].shape[0], (long long)m->n_items);
            goto done;
        }
        m->popularity = a[0].data;
        if ((st = check_finite(dir, "popularity.npy", m->popularity, a[0].count))) goto done;
        if (cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m->manifest, "arrays"), "event_indptr") &&
            (st = load_pop_context(dir, mpath, params, m)))
            goto done;
    } else {
        st = tide_error(TIDE_ERR_DATA, "%s: unsupported model kind: algorithm '%s' (tide-recommend scores als, bpr, ease, itemknn, pop)", mpath, kind);
        goto done;
    }
done:
    free(mpath);
    free(text);
    if (st) tide_retrieval_model_free(m);
    return st;
}

void tide_retrieval_model_from_vectors(tide_retrieval_model *m, const float *user_vectors, int64_t n_users,
                                       const float *item_vectors, int64_t n_items, int64_t dim) {
    memset(m, 0, sizeof *m);
    m->kind = TIDE_RETRIEVAL_FACTORS;
    snprintf(m->algorithm, sizeof m->algorithm, "vectors");
    m->n_users = n_users;
    m->n_items = n_items;
    m->dim = dim;
    m->user_factors = user_vectors;
    m->item_factors = item_vectors;
    m->dataset_users = n_users;
    m->dataset_items = n_items;
}

void tide_retrieval_model_free(tide_retrieval_model *m) {
    if (!m) return;
    for (size_t i = 0; i < sizeof m->arrays / sizeof m->arrays[0]; i++) tide_npy_free(&m->arrays[i]);
    if (m->manifest) cJSON_Delete(m->manifest);
    if (m->pop_context) {
        tide_pop_context_free(m->pop_context);
        free(m->pop_context);
    }
    memset(m, 0, sizeof *m);
}

tide_status tide_retrieval_check_dataset(const tide_retrieval_model *m, const tide_dataset *ds, const char *data_dir,
                                         int allow_new_data) {
    if (ds->n_items != m->n_items)
        return tide_error(TIDE_ERR_DATA, "%s: %lld items, but the model (trained on %s, checksum %s) has %lld: a model applies only to its own dataset's items",
                          data_dir, (long long)ds->n_items, m->dataset_path[0] ? m->dataset_path : "?", m->dataset_checksum,
                          (long long)m->n_items);
    if (strcmp(ds->checksum, m->dataset_checksum) == 0) return TIDE_OK;
    if (!allow_new_data)
        return tide_error(TIDE_ERR_DATA, "%s: dataset checksum %s differs from the one the model was trained on (%s, %s); "
                          "pass --allow-new-data if it shares the model's item ids (e.g. another part of the same tide-split)",
                          data_dir, ds->checksum, m->dataset_checksum, m->dataset_path[0] ? m->dataset_path : "path unknown");
    return TIDE_OK;
}
