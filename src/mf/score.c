/* score.c — one user's scores over all items for any tide_mf model: the rule each model
 * directory documents (docs/formats.md), used by validation during training. */
#include <cblas.h>
#include <string.h>

#include "mf-internal.h"

void tide_mf_model_score(const tide_mf_model *m, int64_t u, const int32_t *hist, const float *hw, int64_t nh,
                         float *s) {
    int64_t n = m->n_items;
    switch (m->algo) {
    case TIDE_MF_ALS:
    case TIDE_MF_BPR:
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, m->factors, 1.0f, m->item_factors, m->factors,
                    m->user_factors + (size_t)u * m->factors, 1, 0.0f, s, 1);
        if (m->item_bias)
            for (int64_t j = 0; j < n; j++) s[j] += m->item_bias[j];
        break;
    case TIDE_MF_EASE:
        memset(s, 0, (size_t)n * sizeof *s);
        for (int64_t h = 0; h < nh; h++) tide_vaxpy(hw ? hw[h] : 1.0f, m->item_matrix + (size_t)hist[h] * n, s, (int)n);
        break;
    case TIDE_MF_ITEMKNN:
        memset(s, 0, (size_t)n * sizeof *s);
        for (int64_t h = 0; h < nh; h++) {
            float w = hw ? hw[h] : 1.0f;
            int32_t i = hist[h];
            for (int64_t q = m->nb_indptr[i]; q < m->nb_indptr[i + 1]; q++) s[m->nb_items[q]] += w * m->nb_sims[q];
        }
        break;
    case TIDE_MF_POP:
        memcpy(s, m->popularity, (size_t)n * sizeof *s);
        break;
    }
}
