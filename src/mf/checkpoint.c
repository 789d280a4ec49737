/* checkpoint.c — iterative training state on disk, so a killed nightly run resumes where it
 * stopped and ends with exactly the factors an uninterrupted run gives: the factors are stored
 * bit for bit (f32 .npy), with the iteration count, the best-so-far snapshot and the log.
 * The directory is replaced atomically, so a kill during a write leaves the previous one. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"
#include "tide/npy.h"
#include "mf-internal.h"

#define CKPT_FORMAT "tide-mf-checkpoint"

tide_status tide_mf_checkpoint_save(const char *dir, const tide_mf_params *p, const char *checksum, int64_t n_users,
                                    int64_t n_items, const tide_mf_state *s) {
    tide_atomic_dir d;
    tide_status st = tide_atomic_dir_begin(&d, dir);
    if (st) return st;
    char *path = NULL, *text = NULL;
    cJSON *j = cJSON_CreateObject();
    if (!j) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto fail; }
    cJSON_AddStringToObject(j, "format", CKPT_FORMAT);
    cJSON_AddStringToObject(j, "algorithm", tide_mf_algo_name(p->algo));
    cJSON_AddItemToObject(j, "params", tide_mf_params_json(p));
    cJSON_AddStringToObject(j, "dataset_checksum", checksum);
    cJSON_AddNumberToObject(j, "users", (double)n_users);
    cJSON_AddNumberToObject(j, "items", (double)n_items);
    cJSON_AddNumberToObject(j, "iteration", s->iteration);
    cJSON_AddNumberToObject(j, "best_iteration", s->best_iteration);
    cJSON_AddNumberToObject(j, "best_ndcg", s->best_ndcg);
    cJSON_AddItemToObject(j, "log", cJSON_Duplicate(s->log, 1));
    int k = p->factors;
    struct { const char *name; const float *data; int64_t rows, cols; } arrs[] = {
        {"user_factors.npy", s->U, n_users, k}, {"item_factors.npy", s->V, n_items, k},
        {"item_bias.npy", s->bias, n_items, 0}, {"best_user_factors.npy", s->bU, n_users, k},
        {"best_item_factors.npy", s->bV, n_items, k}, {"best_item_bias.npy", s->bbias, n_items, 0}};
    for (unsigned a = 0; a < sizeof arrs / sizeof *arrs; a++) {
        if (!arrs[a].data) continue;
        free(path);
        if (!(path = tide_atomic_dir_file(&d, arrs[a].name))) { st = TIDE_ERR_NOMEM; goto fail; }
        int64_t shape[2] = {arrs[a].rows, arrs[a].cols};
        if ((st = tide_npy_save(path, TIDE_DTYPE_F32, arrs[a].cols ? 2 : 1, shape, arrs[a].data))) goto fail;
    }
    free(path);
    if (!(path = tide_atomic_dir_file(&d, "state.json")) || !(text = cJSON_Print(j))) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((st = tide_write_file_atomic(path, text, strlen(text)))) goto fail;
    if ((st = tide_atomic_dir_commit(&d))) goto fail;
    free(path);
    free(text);
    cJSON_Delete(j);
    return TIDE_OK;
fail:
    tide_atomic_dir_abort(&d);
    free(path);
    free(text);
    cJSON_Delete(j);
    return st;
}

static tide_status read_array(const char *dir, const char *name, float *dst, int64_t rows, int64_t cols) {
    char *p = tide_path_join(dir, name);
    if (!p) return TIDE_ERR_NOMEM;
    tide_npy a;
    tide_status st = tide_npy_load_expect(p, TIDE_DTYPE_F32, cols ? 2 : 1, &a);
    if (!st) {
        if (a.shape[0] != rows || (cols && a.shape[1] != cols))
            st = tide_error(TIDE_ERR_DATA, "%s: shape does not match the dataset", p);
        else
            memcpy(dst, a.data, a.count * sizeof(float));
        tide_npy_free(&a);
    }
    free(p);
    return st;
}

tide_status tide_mf_checkpoint_load(const char *dir, const tide_mf_params *p, const char *checksum, int64_t n_users,
                                    int64_t n_items, tide_mf_state *s) {
    char *sp = tide_path_join(dir, "state.json"), *text = NULL, *want = NULL, *have = NULL;
    size_t len;
    cJSON *j = NULL, *mine = NULL;
    tide_status st = TIDE_OK;
    if (!sp) return TIDE_ERR_NOMEM;
    if ((st = tide_read_file(sp, &text, &len))) goto done;
    j = cJSON_Parse(text);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
    if (!j || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, CKPT_FORMAT) != 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: not a tide-train-mf checkpoint", sp);
        goto done;
    }
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(j, "dataset_checksum");
    if (!cJSON_IsString(cs) || strcmp(cs->valuestring, checksum) != 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: the checkpoint was made from a different dataset (checksum %s, --data has %s); "
                        "resume with the same dataset or remove the checkpoint", sp,
                        cJSON_IsString(cs) ? cs->valuestring : "missing", checksum);
        goto done;
    }
    /* Parameters must match, except the iteration budget (a resumed run may extend it). */
    cJSON *theirs = cJSON_GetObjectItemCaseSensitive(j, "params");
    mine = tide_mf_params_json(p);
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(j, "algorithm");
    if (!cJSON_IsObject(theirs) || !mine || !cJSON_IsString(alg)) {
        st = tide_error(TIDE_ERR_DATA, "%s: checkpoint lacks its parameters", sp);
        goto done;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(theirs, "iterations");
    cJSON_DeleteItemFromObjectCaseSensitive(mine, "iterations");
    if (strcmp(alg->valuestring, tide_mf_algo_name(p->algo)) != 0 || !cJSON_Compare(theirs, mine, 1)) {
        want = cJSON_PrintUnformatted(mine);
        have = cJSON_PrintUnformatted(theirs);
        st = tide_error(TIDE_ERR_USAGE, "%s: the checkpoint was made with other parameters (%s %s) than this run (%s %s)",
                        sp, alg->valuestring, have ? have : "?", tide_mf_algo_name(p->algo), want ? want : "?");
        goto done;
    }
    if ((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "users")) != n_users ||
        (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "items")) != n_items) {
        st = tide_error(TIDE_ERR_DATA, "%s: user/item counts differ from the dataset", sp);
        goto done;
    }
    s->iteration = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "iteration"));
    s->best_iteration = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "best_iteration"));
    s->best_ndcg = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "best_ndcg"));
    if (s->iteration < 0 || s->best_iteration < 0 || s->best_iteration > s->iteration) {
        st = tide_error(TIDE_ERR_DATA, "%s: bad iteration counters", sp);
        goto done;
    }
    cJSON *log = cJSON_DetachItemFromObjectCaseSensitive(j, "log");
    if (!cJSON_IsArray(log)) {
        cJSON_Delete(log);
        st = tide_error(TIDE_ERR_DATA, "%s: missing log", sp);
        goto done;
    }
    if (s->log) cJSON_Delete(s->log);
    s->log = log;
    int k = p->factors;
    if ((st = read_array(dir, "user_factors.npy", s->U, n_users, k)) ||
        (st = read_array(dir, "item_factors.npy", s->V, n_items, k)))
        goto done;
    if (s->bias && (st = read_array(dir, "item_bias.npy", s->bias, n_items, 0))) goto done;
    if (s->bU && s->best_iteration > 0) {
        if ((st = read_array(dir, "best_user_factors.npy", s->bU, n_users, k)) ||
            (st = read_array(dir, "best_item_factors.npy", s->bV, n_items, k)))
            goto done;
        if (s->bbias && (st = read_array(dir, "best_item_bias.npy", s->bbias, n_items, 0))) goto done;
    }
done:
    cJSON_Delete(j);
    cJSON_Delete(mine);
    free(text);
    free(sp);
    free(want);
    free(have);
    return st;
}
