/* tfidf.c — TF-IDF (sublinear tf, smoothed idf, L2 rows) over BERT-basic words, reduced by a
 * randomised truncated SVD (Halko, Martinsson & Tropp 2011: Gaussian range finder with subspace
 * iterations, QR by LAPACKE, exact SVD of the small projected matrix by LAPACKE_sgesdd). */
#define _GNU_SOURCE
#include "tide/tfidf.h"
#include "tide/strmap.h"
#include "tide/tokenizer.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

tide_tfidf_params tide_tfidf_params_default(void) {
    tide_tfidf_params p;
    p.dim = 128;
    p.min_df = 2;
    p.max_df = 0.5;
    p.max_features = 50000;
    p.power_iters = 4;
    p.oversample = 10;
    p.seed = 0;
    return p;
}

const char *tide_tfidf_params_check(const tide_tfidf_params *p) {
    if (p->dim < 1 || p->dim > 4096) return "dim must be in 1..4096";
    if (p->min_df < 1) return "min_df must be at least 1";
    if (!(p->max_df > 0 && p->max_df <= 1)) return "max_df must be in (0, 1]";
    if (p->max_features < 1) return "max_features must be positive";
    if (p->power_iters < 0 || p->power_iters > 50) return "power_iters must be in 0..50";
    if (p->oversample < 0 || p->oversample > 1000) return "oversample must be in 0..1000";
    return NULL;
}

/* ---- pass 1: vocabulary and document frequencies ------------------------------------------- */

static int is_word(const char *w, size_t len) {
    /* drop single punctuation/symbol characters: they carry no topic */
    return !(len == 1 && !((w[0] >= '0' && w[0] <= '9') || (w[0] >= 'a' && w[0] <= 'z')));
}

typedef struct {
    tide_strmap *map;
    int64_t *df;
    size_t df_cap;
    int64_t *last;
    int64_t doc;
    tide_status st;
} vocab_state;

static int vocab_word(const char *w, size_t len, void *user) {
    vocab_state *v = user;
    if (!is_word(w, len)) return 0;
    int64_t k;
    int added;
    if ((v->st = tide_strmap_intern(v->map, w, len, &k, &added))) return 1;
    if ((size_t)k >= v->df_cap) {
        size_t nc = v->df_cap ? v->df_cap * 2 : 1024;
        int64_t *nd = realloc(v->df, nc * sizeof *nd), *nl = realloc(v->last, nc * sizeof *nl);
        if (nd) v->df = nd;
        if (nl) v->last = nl;
        if (!nd || !nl) {
            v->st = tide_error(TIDE_ERR_NOMEM, "out of memory building the TF-IDF vocabulary");
            return 1;
        }
        for (size_t i = v->df_cap; i < nc; i++) {
            v->df[i] = 0;
            v->last[i] = -1;
        }
        v->df_cap = nc;
    }
    if (v->last[k] != v->doc) {
        v->last[k] = v->doc;
        v->df[k]++;
    }
    return 0;
}

/* ---- pass 2: term counts of one text ------------------------------------------------------- */

typedef struct {
    const tide_strmap *map;
    const int32_t *col;       /* strmap index -> column, -1 = dropped */
    int32_t *cols;
    size_t n, cap;
    tide_status st;
} row_state;

static int row_word(const char *w, size_t len, void *user) {
    row_state *r = user;
    if (!is_word(w, len)) return 0;
    int64_t k = tide_strmap_find(r->map, w, len);
    if (k < 0 || r->col[k] < 0) return 0;
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 64;
        int32_t *nv = realloc(r->cols, nc * sizeof *nv);
        if (!nv) {
            r->st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            return 1;
        }
        r->cols = nv;
        r->cap = nc;
    }
    r->cols[r->n++] = r->col[k];
    return 0;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int by_df_desc(const void *a, const void *b, void *arg) {
    const int64_t *df = arg;
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    if (df[x] != df[y]) return df[x] > df[y] ? -1 : 1;
    return (x > y) - (x < y);
}

/* ---- dense helpers ------------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float gauss(uint64_t *s) {
    double u1 = ((splitmix(s) >> 11) + 0.5) / 9007199254740992.0, u2 = (splitmix(s) >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

/* Orthonormalise the columns of A [m, l] in place (Householder QR). */
static tide_status orthonormalise(float *A, int64_t m, int l) {
    float *tau = malloc((size_t)l * sizeof *tau);
    if (!tau) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    lapack_int info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, (lapack_int)m, l, A, l, tau);
    if (!info) info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, (lapack_int)m, l, l, A, l, tau);
    free(tau);
    return info ? tide_error(TIDE_ERR_INTERNAL, "LAPACKE QR failed (info %d)", (int)info) : TIDE_OK;
}

/* Y [n, l] = X Z, with X in CSR and Z [V, l] */
static void csr_mul(const int64_t *indptr, const int32_t *ind, const float *val, int64_t n, const float *Z, int l, float *Y) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float *y = Y + i * l;
        memset(y, 0, (size_t)l * sizeof *y);
        for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) {
            const float *z = Z + (size_t)ind[k] * l;
            float v = val[k];
            for (int j = 0; j < l; j++) y[j] += v * z[j];
        }
    }
}

/* Z [V, l] = X^T Y */
static void csr_tmul(const int64_t *indptr, const int32_t *ind, const float *val, int64_t n, int64_t V, const float *Y, int l,
                     float *Z) {
    memset(Z, 0, (size_t)V * (size_t)l * sizeof *Z);
    for (int64_t i = 0; i < n; i++) {
        const float *y = Y + i * l;
        for (int64_t k = indptr[i]; k < indptr[i + 1]; k++) {
            float *z = Z + (size_t)ind[k] * l;
            float v = val[k];
            for (int j = 0; j < l; j++) z[j] += v * y[j];
        }
    }
}

tide_status tide_tfidf_embed(const char *const *texts, const size_t *lens, int64_t n,
                             const tide_tfidf_params *p, float *out, tide_tfidf_stats *stats) {
    const char *why = tide_tfidf_params_check(p);
    if (why) return tide_error(TIDE_ERR_USAGE, "tfidf: %s", why);
    tide_status st = TIDE_OK;
    tide_strmap map;
    memset(&map, 0, sizeof map);
    vocab_state v;
    memset(&v, 0, sizeof v);
    row_state r;
    memset(&r, 0, sizeof r);
    int32_t *col = NULL, *ind = NULL;
    int64_t *order = NULL, *indptr = NULL;
    float *val = NULL, *idf = NULL, *Om = NULL, *Y = NULL, *Z = NULL, *S = NULL, *U = NULL, *VT = NULL, *E = NULL;
    tide_tfidf_stats sx;
    memset(&sx, 0, sizeof sx);
    sx.texts = n;
    if (n) memset(out, 0, (size_t)n * (size_t)p->dim * sizeof *out); /* out may be NULL when n == 0 */
    if ((st = tide_strmap_init(&map, 1024))) goto done;
    v.map = &map;
    for (int64_t i = 0; i < n; i++) {
        const char *t = texts[i] ? texts[i] : "";
        v.doc = i;
        if ((st = tide_text_words(t, lens && texts[i] ? lens[i] : strlen(t), 1, 1, 1, vocab_word, &v, NULL))) goto done;
        if ((st = v.st)) goto done;
    }
    /* keep terms with min_df <= df <= max_df * n, the max_features most frequent */
    int64_t nt = map.count, keep = 0;
    col = malloc((size_t)(nt ? nt : 1) * sizeof *col);
    order = malloc((size_t)(nt ? nt : 1) * sizeof *order);
    if (!col || !order) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t k = 0; k < nt; k++) {
        col[k] = -1;
        if (v.df[k] >= p->min_df && (double)v.df[k] <= p->max_df * (double)n) order[keep++] = k;
    }
    /* columns by decreasing df, ties by first appearance: a total order, so runs agree */
    qsort_r(order, (size_t)keep, sizeof *order, by_df_desc, v.df);
    if (keep > p->max_features) keep = p->max_features;
    idf = malloc(((size_t)keep + 1) * sizeof *idf);
    if (!idf) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t c = 0; c < keep; c++) {
        col[order[c]] = (int32_t)c;
        idf[c] = (float)(log((1.0 + (double)n) / (1.0 + (double)v.df[order[c]])) + 1.0);
    }
    sx.terms = keep;
    /* pass 2: CSR rows of sublinear tf x idf, L2-normalised */
    indptr = calloc((size_t)n + 1, sizeof *indptr);
    size_t cap = 1024;
    ind = malloc(cap * sizeof *ind);
    val = malloc(cap * sizeof *val);
    if (!indptr || !ind || !val) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    r.map = &map;
    r.col = col;
    for (int64_t i = 0; i < n; i++) {
        const char *t = texts[i] ? texts[i] : "";
        r.n = 0;
        if ((st = tide_text_words(t, lens && texts[i] ? lens[i] : strlen(t), 1, 1, 1, row_word, &r, NULL))) goto done;
        if ((st = r.st)) goto done;
        if (r.n > 1) qsort(r.cols, r.n, sizeof *r.cols, cmp_i32); /* r.cols is NULL for a row without terms */
        size_t base = (size_t)indptr[i], m = 0;
        double ss = 0;
        for (size_t a = 0; a < r.n;) {
            size_t b = a;
            while (b < r.n && r.cols[b] == r.cols[a]) b++;
            if (base + m + 1 > cap) {
                cap *= 2;
                int32_t *ni = realloc(ind, cap * sizeof *ni);
                float *nv = realloc(val, cap * sizeof *nv);
                if (ni) ind = ni;
                if (nv) val = nv;
                if (!ni || !nv) {
                    st = tide_error(TIDE_ERR_NOMEM, "out of memory");
                    goto done;
                }
            }
            float w = (float)(1.0 + log((double)(b - a))) * idf[r.cols[a]];
            ind[base + m] = r.cols[a];
            val[base + m] = w;
            ss += (double)w * w;
            m++;
            a = b;
        }
        if (m == 0) sx.empty++;
        float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.f;
        for (size_t k = 0; k < m; k++) val[base + k] *= inv;
        indptr[i + 1] = (int64_t)(base + m);
    }
    sx.nnz = indptr[n];
    /* randomised truncated SVD */
    int64_t V = keep;
    int64_t lmax = n < V ? n : V;
    int k = p->dim < lmax ? p->dim : (int)lmax;
    int l = k + p->oversample;
    if (l > lmax) l = (int)lmax;
    sx.rank = k;
    if (k < 1 || sx.nnz == 0) goto done;
    Om = malloc((size_t)V * (size_t)l * sizeof *Om);
    Y = malloc((size_t)n * (size_t)l * sizeof *Y);
    Z = malloc((size_t)V * (size_t)l * sizeof *Z);
    S = malloc((size_t)l * sizeof *S);
    U = malloc((size_t)V * (size_t)l * sizeof *U);
    VT = malloc((size_t)l * (size_t)l * sizeof *VT);
    E = malloc((size_t)n * (size_t)l * sizeof *E);
    if (!Om || !Y || !Z || !S || !U || !VT || !E) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory for the TF-IDF SVD (%lld texts x %d)", (long long)n, l);
        goto done;
    }
    uint64_t seed = p->seed ^ 0x7469646574666964ull;
    for (size_t i = 0; i < (size_t)V * (size_t)l; i++) Om[i] = gauss(&seed);
    csr_mul(indptr, ind, val, n, Om, l, Y);
    if ((st = orthonormalise(Y, n, l))) goto done;
    for (int it = 0; it < p->power_iters; it++) {
        csr_tmul(indptr, ind, val, n, V, Y, l, Z);
        if ((st = orthonormalise(Z, V, l))) goto done;
        csr_mul(indptr, ind, val, n, Z, l, Y);
        if ((st = orthonormalise(Y, n, l))) goto done;
    }
    /* Z = X^T Q = B^T [V, l]; its SVD Z = U S VT gives B = VT^T S U^T, so X ~ (Q VT^T) S U^T */
    csr_tmul(indptr, ind, val, n, V, Y, l, Z);
    float *superb = malloc((size_t)l * sizeof *superb);
    if (!superb) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    lapack_int info = LAPACKE_sgesvd(LAPACK_ROW_MAJOR, 'S', 'S', (lapack_int)V, l, Z, l, S, U, l, VT, l, superb);
    free(superb);
    if (info) {
        st = tide_error(TIDE_ERR_INTERNAL, "LAPACKE_sgesvd failed (info %d)", (int)info);
        goto done;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, l, l, 1.0f, Y, l, VT, l, 0.0f, E, l);
    double kept = 0;
    for (int j = 0; j < k; j++) kept += (double)S[j] * S[j];
    sx.explained = n - sx.empty > 0 ? kept / (double)(n - sx.empty) : 0;
    for (int64_t i = 0; i < n; i++) {
        float *o = out + i * p->dim;
        double ss = 0;
        for (int j = 0; j < k; j++) {
            o[j] = E[i * l + j] * S[j];
            ss += (double)o[j] * o[j];
        }
        if (ss > 0) {
            float inv = (float)(1.0 / sqrt(ss));
            for (int j = 0; j < k; j++) o[j] *= inv;
        }
    }
done:
    if (stats) *stats = sx;
    tide_strmap_free(&map);
    free(v.df);
    free(v.last);
    free(r.cols);
    free(col);
    free(order);
    free(indptr);
    free(ind);
    free(val);
    free(idf);
    free(Om);
    free(Y);
    free(Z);
    free(S);
    free(U);
    free(VT);
    free(E);
    return st;
}
