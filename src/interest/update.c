/* update.c — tide-capture-interest --update's output. The states of the touched users are
 * recomputed (the caller lists them); every other row is PREV's. Rather than writing every
 * user's row again (most of an update's time: the dir is ~27 KB per user at d = 384), the new
 * dir hard-links PREV's base per-user arrays and writes a delta — the users whose rows differ
 * from that base (PREV's own delta and the touched users) and their rows. Readers overlay the
 * delta on the base (tide_interest_rows_load). When the delta would exceed a fraction of the
 * users, the update compacts: it streams a full dir, block by block, from PREV's base and delta
 * and the recomputed rows. PREV is never written either way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tide/fileio.h"
#include "tide/interest.h"
#include "tide/manifest.h"
#include "tide/npy.h"
#include "interest-impl.h"

#define BLOCK 4096

/* Map PREV's file `prefix name.npy` with `rows` rows (rows 0: nothing mapped). */
static tide_status map_prev(const char *dir, const char *prefix, const tide_interest_state_array *a, int64_t rows,
                            tide_npy *x) {
    memset(x, 0, sizeof *x);
    if (!rows) return TIDE_OK;
    char file[128];
    snprintf(file, sizeof file, "%s%s.npy", prefix, a->name);
    char *path = tide_path_join(dir, file);
    if (!path) return TIDE_ERR_NOMEM;
    tide_status st = tide_npy_load_expect(path, a->dtype, a->nd, x);
    if (!st) {
        int bad = x->shape[0] != rows;
        for (int k = 1; k < a->nd; k++) bad |= x->shape[k] != a->dims[k - 1];
        if (bad) {
            st = tide_error(TIDE_ERR_DATA, "%s: shape does not match the dir's users and dimensions", path);
            tide_npy_free(x);
        }
    }
    free(path);
    return st;
}

/* Row i of B := row j of the mapped PREV arrays m. */
static void copy_mapped(tide_interest_state_array *b, int na, int64_t i, const tide_npy *m, int64_t j) {
    for (int a = 0; a < na; a++)
        memcpy((char *)*b[a].field + (size_t)i * b[a].row_bytes, (const char *)m[a].data + (size_t)j * b[a].row_bytes,
               b[a].row_bytes);
}

tide_status tide_interest_update_write(const char *out, const char *prev_dir, const tide_interest_items *it,
                                       const tide_interest_params *p, const tide_dataset *ds, const float *text_vectors,
                                       int64_t as_of, const int64_t *touched, int64_t n, double compact_above,
                                       const tide_interest_dir_info *info, int *compacted) {
    char *mpath = NULL;
    cJSON *man = NULL;
    tide_interest_layout L = {0};
    tide_interest_states T = {0}, B = {0};
    tide_npy base[TIDE_INTEREST_STATE_ARRAYS], dlt[TIDE_INTEREST_STATE_ARRAYS];
    tide_interest_state_array arr[TIDE_INTEREST_STATE_ARRAYS];
    int64_t *merged = NULL, *from = NULL;
    tide_interest_writer *w = NULL;
    int na = 0;
    int64_t U = ds->n_users, prevU = -1;
    memset(base, 0, sizeof base);
    memset(dlt, 0, sizeof dlt);
    tide_status st = tide_interest_manifest_read(prev_dir, &mpath, &man);
    if (st) return st;
    if ((st = tide_manifest_int(mpath, cJSON_GetObjectItemCaseSensitive(man, "dataset"), "dataset", "users", 0, U, &prevU, NULL)))
        goto done;
    if (prevU < 0) { st = tide_error(TIDE_ERR_DATA, "%s: no \"dataset\" \"users\"", mpath); goto done; }
    if ((st = tide_interest_layout_read(prev_dir, mpath, man, prevU, &L))) goto done;
    for (int64_t q = 0; q < n; q++)
        if (touched[q] < 0 || touched[q] >= U || (q && touched[q] <= touched[q - 1])) {
            st = tide_error(TIDE_ERR_INTERNAL, "update: the touched users must be increasing dataset users");
            goto done;
        }

    /* the touched users' new rows */
    if ((st = tide_interest_states_alloc(&T, n, it->als_k, it->sp_dim)) ||
        (st = tide_interest_capture_rows(it, p, ds, text_vectors, as_of, touched, 0, n, &T)))
        goto done;

    /* the users whose rows differ from PREV's base: PREV's delta ∪ touched, sorted; from[i] =
     * the row in T (>= 0) or -1 - the row in PREV's delta */
    merged = tide_malloc(((size_t)L.n_delta + (size_t)n + 1) * sizeof *merged);
    from = tide_malloc(((size_t)L.n_delta + (size_t)n + 1) * sizeof *from);
    if (!merged || !from) { st = TIDE_ERR_NOMEM; goto done; }
    int64_t nm = 0;
    for (int64_t a = 0, b = 0; a < L.n_delta || b < n;) {
        if (b < n && (a >= L.n_delta || touched[b] <= L.delta_users[a])) {
            if (a < L.n_delta && L.delta_users[a] == touched[b]) a++;
            merged[nm] = touched[b];
            from[nm++] = b++;
        } else {
            merged[nm] = L.delta_users[a];
            from[nm++] = -1 - a++;
        }
    }
    /* every user past PREV's base must have a row: PREV's delta covers [base, prevU), the caller
     * lists every user new since PREV */
    {
        int64_t above = 0;
        for (int64_t i = 0; i < nm; i++) above += merged[i] >= L.base_users;
        if (above != U - L.base_users) {
            st = tide_error(TIDE_ERR_INTERNAL, "update: %lld users past PREV's base have no row", (long long)(U - L.base_users - above));
            goto done;
        }
    }
    *compacted = (double)nm > compact_above * (double)U;

    if ((st = tide_interest_states_alloc(&B, BLOCK, it->als_k, it->sp_dim))) goto done;
    na = tide_interest_state_arrays(&B, arr);
    for (int a = 0; a < na; a++)
        if ((st = map_prev(prev_dir, "delta_", &arr[a], L.n_delta, &dlt[a])) ||
            (*compacted && (st = map_prev(prev_dir, "", &arr[a], L.base_users, &base[a]))))
            goto done;

    if (!*compacted) {
        tide_interest_delta dd = {prev_dir, L.base_users, merged, nm};
        if ((st = tide_interest_writer_open(&w, out, nm, it->als_k, it->sp_dim, &dd))) goto done;
        for (int64_t lo = 0; lo < nm; lo += BLOCK) {
            int64_t hi = lo + BLOCK < nm ? lo + BLOCK : nm;
            for (int64_t i = lo; i < hi; i++) {
                if (from[i] >= 0) tide_interest_states_copy_row(&B, i - lo, &T, from[i]);
                else copy_mapped(arr, na, i - lo, dlt, -1 - from[i]);
            }
            if ((st = tide_interest_writer_rows(w, &B, hi - lo))) goto done;
        }
    } else {
        if ((st = tide_interest_writer_open(&w, out, U, it->als_k, it->sp_dim, NULL))) goto done;
        int64_t i = 0;   /* into merged */
        for (int64_t lo = 0; lo < U; lo += BLOCK) {
            int64_t hi = lo + BLOCK < U ? lo + BLOCK : U;
            for (int64_t u = lo; u < hi; u++) {
                if (i < nm && merged[i] == u) {
                    if (from[i] >= 0) tide_interest_states_copy_row(&B, u - lo, &T, from[i]);
                    else copy_mapped(arr, na, u - lo, dlt, -1 - from[i]);
                    i++;
                } else copy_mapped(arr, na, u - lo, base, u);   /* u < base_users: checked above */
            }
            if ((st = tide_interest_writer_rows(w, &B, hi - lo))) goto done;
        }
    }
    st = tide_interest_writer_finish(w, it, p, U, info);
    w = NULL;
done:
    tide_interest_writer_abort(w);
    for (int a = 0; a < TIDE_INTEREST_STATE_ARRAYS; a++) {
        tide_npy_free(&base[a]);
        tide_npy_free(&dlt[a]);
    }
    free(merged);
    free(from);
    tide_interest_states_free(&T);
    tide_interest_states_free(&B);
    tide_interest_layout_free(&L);
    cJSON_Delete(man);
    free(mpath);
    return st;
}
