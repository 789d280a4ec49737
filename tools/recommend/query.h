/* query.h — the text -> query-vector step of tide-recommend --query/--query-file (query.c). */
#ifndef TIDE_RECOMMEND_QUERY_H
#define TIDE_RECOMMEND_QUERY_H

#include <stdint.h>

#include "tide/backend.h"
#include "tide/core.h"

typedef struct query_spec {
    const char *lm_dir;          /* --lm: sentence-transformers folder */
    const char *const *texts;    /* --query values (when file is NULL) */
    int64_t n_texts;
    const char *file;            /* --query-file: one query per line, "-" = stdin */
    const char *item_vectors;    /* for the dimension message */
    tide_device device;
} query_spec;

/* Encode the queries into a malloc'ed f32 [n, dim] array (row i = query i; blank queries get zero
 * rows). The model's dimension must equal item_dim (else TIDE_ERR_DATA naming both). */
tide_status query_embed(const query_spec *q, int64_t item_dim, float **out, int64_t *n_out);

#endif
