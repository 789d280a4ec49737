/* query.c — tide-recommend --query/--query-file: turn search texts into query vectors with the
 * sentence-transformers model of --lm, exactly as tide-embed --text does (same encoder, default
 * batch size, blank texts -> zero rows), so that the --query-vectors retrieval path that follows
 * gives the same bytes as running tide-embed first. */
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "tide/fileio.h"
#include "tide/lm.h"

/* Blank = only spaces, tabs and line ends: tide-embed gives such a text a zero row. */
static int blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return 0;
    return 1;
}

/* One query per line of `buf` (modified in place: line ends become NULs, a CR before LF is
 * dropped); a final line without LF counts, an empty file has no queries — as tide-embed --text. */
static tide_status split_queries(char *buf, size_t size, const char ***texts, int64_t *n) {
    int64_t cap = 1;
    for (size_t i = 0; i < size; i++) cap += buf[i] == '\n';
    const char **t = tide_malloc((size_t)cap * sizeof *t);
    if (!t) return TIDE_ERR_NOMEM;
    int64_t k = 0;
    for (char *s = buf, *end = buf + size; s < end; k++) {
        char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end;
        if (e > s && e[-1] == '\r') e--;
        *e = 0;
        t[k] = s;
        s = (nl ? nl : end) + 1;
    }
    *texts = t;
    *n = k;
    return TIDE_OK;
}

tide_status query_embed(const query_spec *q, int64_t item_dim, float **out, int64_t *n_out) {
    char *buf = NULL;
    const char **texts = NULL, **todo = NULL;
    size_t *lens = NULL;
    int64_t *rows = NULL, n = 0, m = 0;
    float *vec = NULL, *tmp = NULL;
    tide_lm *lm = NULL;
    tide_status st = TIDE_OK;

    if (q->file) {
        size_t size = 0;
        if ((st = tide_read_file(q->file, &buf, &size))) goto done;
        if ((st = split_queries(buf, size, &texts, &n))) goto done;
    } else {
        texts = tide_malloc((size_t)q->n_texts * sizeof *texts + 1);
        if (!texts) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
        memcpy(texts, q->texts, (size_t)q->n_texts * sizeof *texts);
        n = q->n_texts;
    }
    if (n == 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: no queries (the file is empty)", q->file);
        goto done;
    }
    /* The dimension check comes before any encoding: a mismatch is found in the time of a load. */
    if ((st = tide_lm_load(q->lm_dir, &lm))) goto done;
    int dim = tide_lm_get_config(lm)->dim;
    if (dim != item_dim) {
        st = tide_error(TIDE_ERR_DATA, "%s: the language model's vectors have %d dimensions but %s has %lld", q->lm_dir, dim,
                        q->item_vectors, (long long)item_dim);
        goto done;
    }
    size_t cells = 0;
    if (!tide_mul_size((size_t)n, (size_t)dim, &cells)) {
        st = tide_error(TIDE_ERR_NOMEM, "%lld queries x %d floats overflows", (long long)n, dim);
        goto done;
    }
    vec = tide_calloc(cells, sizeof *vec);
    todo = tide_malloc((size_t)n * sizeof *todo);
    lens = tide_malloc((size_t)n * sizeof *lens);
    rows = tide_malloc((size_t)n * sizeof *rows);
    if (!vec || !todo || !lens || !rows) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        size_t l = strlen(texts[i]);
        if (blank(texts[i], l)) {
            tide_log(TIDE_LOG_WARN, "query %lld is blank: its vector is zero, so every item scores 0 (ties go to the lower item index)",
                     (long long)i);
            continue;
        }
        todo[m] = texts[i];
        lens[m] = l;
        rows[m++] = i;
    }
    tide_lm_params lp = tide_lm_params_default();
    lp.device = q->device;
    if (m) {
        tmp = tide_malloc((size_t)m * (size_t)dim * sizeof *tmp);
        if (!tmp) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
        tide_lm_stats ls;
        if ((st = tide_lm_embed(lm, todo, lens, m, &lp, tmp, &ls))) goto done;
        if (ls.truncated)
            tide_log(TIDE_LOG_INFO, "%lld queries were truncated to %d tokens", (long long)ls.truncated,
                     tide_lm_get_config(lm)->max_seq_length);
        tide_log(TIDE_LOG_INFO, "encoded %lld queries in %.2f s", (long long)m, ls.seconds);
    }
    for (int64_t j = 0; j < m; j++) memcpy(vec + rows[j] * dim, tmp + j * dim, (size_t)dim * sizeof *vec);
    *out = vec;
    *n_out = n;
    vec = NULL;
done:
    free(vec);
    free(tmp);
    free(todo);
    free(lens);
    free(rows);
    free(texts);
    free(buf);
    tide_lm_free(lm);
    return st;
}
