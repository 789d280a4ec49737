/* diversity.c — item vectors for intra-list diversity. Rows are normalised to unit length once,
 * so a list's mean pairwise cosine is (|Σ v|² - Σ |v|²) / (n (n - 1)) in O(n · dim) instead of
 * O(n² · dim) (run.c). A zero row stays zero: its cosine with anything is taken as 0. */
#include "tide/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/npy.h"

tide_status tide_eval_vectors_load(const char *path, int64_t n_items, float **vecs, int *dim) {
    tide_npy a;
    memset(&a, 0, sizeof a);
    tide_status st = tide_npy_load(path, &a);
    if (st != TIDE_OK) return st;
    if (a.ndim != 2 || (a.dtype != TIDE_DTYPE_F32 && a.dtype != TIDE_DTYPE_F16 && a.dtype != TIDE_DTYPE_F64)) {
        st = tide_error(TIDE_ERR_DATA, "%s: item vectors must be a 2-D float array [items, dim], got %d-D %s",
                        path, a.ndim, tide_dtype_name(a.dtype));
        goto done;
    }
    if (a.shape[0] != n_items) {
        st = tide_error(TIDE_ERR_DATA, "%s: %lld rows but the catalog has %lld items (rows must follow items.txt)",
                        path, (long long)a.shape[0], (long long)n_items);
        goto done;
    }
    if (a.shape[1] < 1 || a.shape[1] > 1 << 20) {
        st = tide_error(TIDE_ERR_DATA, "%s: dimension %lld out of range", path, (long long)a.shape[1]);
        goto done;
    }
    int64_t d = a.shape[1];
    float *v = tide_malloc((size_t)(a.count > 0 ? a.count : 1) * sizeof *v);
    if (!v) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int64_t i = 0; i < n_items; i++) {
        double sq = 0;
        float *row = v + i * d;
        for (int64_t j = 0; j < d; j++) {
            size_t k = (size_t)(i * d + j);
            float x = a.dtype == TIDE_DTYPE_F32 ? ((const float *)a.data)[k]
                    : a.dtype == TIDE_DTYPE_F64 ? (float)((const double *)a.data)[k]
                                                : tide_f16_to_f32(((const uint16_t *)a.data)[k]);
            if (!isfinite(x)) {
                free(v);
                st = tide_error(TIDE_ERR_DATA, "%s: row %lld has a non-finite value", path, (long long)i);
                goto done;
            }
            row[j] = x;
            sq += (double)x * x;
        }
        double inv = sq > 0 ? 1.0 / sqrt(sq) : 0;
        for (int64_t j = 0; j < d; j++) row[j] = (float)(row[j] * inv);
    }
    *vecs = v;
    *dim = (int)d;
done:
    tide_npy_free(&a);
    return st;
}
