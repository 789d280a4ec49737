/* tide/tfidf.h — the model-free text embedder: TF-IDF over BERT-basic words, reduced to a dense
 * space by truncated SVD (randomised range finder + LAPACKE), rows L2-normalised.
 *
 * For machines with no language model, and as the ablation that shows what the language model
 * adds. Vectors depend on the whole corpus (vocabulary and IDF are fitted on it), so unlike the
 * language model they cannot be cached row by row. Deterministic for a given seed. */
#ifndef TIDE_TFIDF_H
#define TIDE_TFIDF_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tide_tfidf_params {
    int dim;              /* output dimensions (128); fewer if the corpus has fewer terms/texts */
    int min_df;           /* a term must occur in at least this many texts (2) */
    double max_df;        /* ... and in at most this fraction of them (0.5) */
    int max_features;     /* keep the most frequent terms (50000) */
    int power_iters;      /* subspace iterations of the randomised SVD (4) */
    int oversample;       /* extra random directions (10) */
    uint64_t seed;        /* random projections (0) */
} tide_tfidf_params;

tide_tfidf_params tide_tfidf_params_default(void);
const char *tide_tfidf_params_check(const tide_tfidf_params *p);

typedef struct tide_tfidf_stats {
    int64_t texts, empty;  /* empty: no kept term (zero row) */
    int64_t terms;         /* vocabulary after the df filters */
    int64_t nnz;
    int rank;              /* dimensions actually filled (<= dim) */
    double explained;      /* fraction of the TF-IDF matrix's squared norm the rank-k space keeps */
} tide_tfidf_stats;

/* Embed n texts (lens may be NULL: NUL-terminated; NULL texts are empty) into out [n, p->dim]. */
tide_status tide_tfidf_embed(const char *const *texts, const size_t *lens, int64_t n,
                             const tide_tfidf_params *p, float *out, tide_tfidf_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
