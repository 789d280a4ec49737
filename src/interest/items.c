/* items.c — the item side of tide-capture-interest, fitted once from the training data and
 * shared by every user: EASE and item-kNN weights (tide's own fits), item → next-item
 * transitions from the users' sequences, ALS item factors for the long-term fold-in, the items'
 * TF-IDF vectors (catalog text plus the tags users wrote on them), the language model's item
 * vectors, contextual popularity, and the catalog categories that label interests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tide/interest.h"
#include "interest-impl.h"
#include "tide/tfidf.h"

#define ON(p, c) (((p)->enabled >> (c)) & 1u)

static void normalise_rows(float *m, int64_t n, int d) {
    for (int64_t i = 0; i < n; i++) {
        float *r = m + i * d;
        double s = 0;
        for (int k = 0; k < d; k++) s += (double)r[k] * r[k];
        if (s > 0) {
            float inv = (float)(1 / sqrt(s));
            for (int k = 0; k < d; k++) r[k] *= inv;
        }
    }
}

static int pair_cmp(const void *x, const void *y) {
    const tide_interest_pair *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    return 0;
}

void tide_interest_pairs_sort(tide_interest_pair *t, int64_t n) { qsort(t, (size_t)n, sizeof *t, pair_cmp); }

int64_t tide_interest_pairs_merge(tide_interest_pair *t, int64_t n) {
    tide_interest_pairs_sort(t, n);
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++) {
        if (m && t[m - 1].a == t[k].a && t[m - 1].b == t[k].b) t[m - 1].w += t[k].w;
        else t[m++] = t[k];
    }
    return m;
}

/* P(next = j | i) from each user's events: i -> each of the next trans_gap events with weight
 * 1/gap (a burst's order within a second is arbitrary, so the next-but-one counts too), and with
 * trans_back > 0 also the reverse pair with weight trans_back/gap (rated in the same burst, in
 * either order); smoothed towards 0 by one pseudo-count. */
tide_status tide_interest_fit_transitions(const tide_dataset *ds, const tide_interest_params *p, tide_interest_items *it) {
    free(it->tr_indptr); free(it->tr_items); free(it->tr_probs);
    it->tr_indptr = NULL; it->tr_items = NULL; it->tr_probs = NULL;
    int G = p->trans_gap, back = p->trans_back > 0;
    int64_t cap = (int64_t)G * (1 + back) * ds->nnz + 1, n = 0;
    tide_interest_pair *t = tide_malloc((size_t)cap * sizeof *t);
    if (!t) return TIDE_ERR_NOMEM;
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++)
            for (int g = 1; g <= G && k + g < ds->indptr[u + 1]; g++)
                if (ds->items[k] != ds->items[k + g]) {
                    t[n++] = (tide_interest_pair){ds->items[k], ds->items[k + g], 1.0f / (float)g};
                    if (back) t[n++] = (tide_interest_pair){ds->items[k + g], ds->items[k], (float)(p->trans_back / g)};
                }
    int64_t m = tide_interest_pairs_merge(t, n);
    it->tr_indptr = tide_calloc((size_t)ds->n_items + 1, sizeof *it->tr_indptr);
    it->tr_items = tide_malloc((size_t)m * sizeof *it->tr_items + 1);
    it->tr_probs = tide_malloc((size_t)m * sizeof *it->tr_probs + 1);
    double *rows = tide_calloc((size_t)ds->n_items + 1, sizeof *rows);
    if (!it->tr_indptr || !it->tr_items || !it->tr_probs || !rows) { free(t); free(rows); return TIDE_ERR_NOMEM; }
    for (int64_t k = 0; k < m; k++) {
        it->tr_indptr[t[k].a + 1]++;
        rows[t[k].a] += t[k].w;
    }
    for (int64_t i = 0; i < ds->n_items; i++) it->tr_indptr[i + 1] += it->tr_indptr[i];
    for (int64_t k = 0; k < m; k++) {
        it->tr_items[k] = t[k].b;
        it->tr_probs[k] = (float)(t[k].w / (rows[t[k].a] + 1.0));
    }
    free(t);
    free(rows);
    return TIDE_OK;
}

/* Session EASE: EASE with the users' sessions as rows. A session is a run of one user's events
 * each at most p->session_gap seconds after the one before; the rows are slices of the dataset's
 * own user-major arrays, so only the session boundaries and the item-major index are built. */
static tide_status fit_session_ease(const tide_dataset *ds, const tide_interest_params *p, size_t limit, float **out) {
    int64_t ns = 0, nnz = ds->nnz, n = ds->n_items;
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++)
            if (k == ds->indptr[u] || (double)(ds->times[k] - ds->times[k - 1]) > p->session_gap) ns++;
    tide_dataset s;
    memset(&s, 0, sizeof s);
    s.n_users = ns;
    s.n_items = n;
    s.nnz = nnz;
    s.items = ds->items;
    s.indptr = tide_malloc(((size_t)ns + 1) * sizeof *s.indptr);
    s.item_indptr = tide_calloc((size_t)n + 1, sizeof *s.item_indptr);
    s.item_users = tide_malloc((size_t)nnz * sizeof *s.item_users + 1);
    int64_t *pos = tide_malloc(((size_t)n + 1) * sizeof *pos);
    float *ones = tide_malloc((size_t)nnz * sizeof *ones + 1);
    tide_status st = TIDE_OK;
    if (!s.indptr || !s.item_indptr || !s.item_users || !pos || !ones) { st = TIDE_ERR_NOMEM; goto done; }
    int64_t q = 0;
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->indptr[u]; k < ds->indptr[u + 1]; k++)
            if (k == ds->indptr[u] || (double)(ds->times[k] - ds->times[k - 1]) > p->session_gap) s.indptr[q++] = k;
    s.indptr[ns] = nnz;
    for (int64_t k = 0; k < nnz; k++) { ones[k] = 1.0f; s.item_indptr[ds->items[k] + 1]++; }
    for (int64_t i = 0; i < n; i++) s.item_indptr[i + 1] += s.item_indptr[i];
    memcpy(pos, s.item_indptr, ((size_t)n + 1) * sizeof *pos);
    for (int64_t r = 0; r < ns; r++)
        for (int64_t k = s.indptr[r]; k < s.indptr[r + 1]; k++) s.item_users[pos[ds->items[k]]++] = (int32_t)r;
    tide_log(TIDE_LOG_INFO, "interest: session EASE over %lld sessions (gap > %gs starts one)", (long long)ns, p->session_gap);
    st = tide_ease_fit(&s, ones, p->ease_lambda, limit, out);
done:
    free(s.indptr);
    free(s.item_indptr);
    free(s.item_users);
    free(pos);
    free(ones);
    return st;
}

/* The category field: "genres" (MovieLens), "categories" or "category". */
static int category_field(const tide_dataset *ds) {
    static const char *const cand[] = {"genres", "categories", "category"};
    for (int c = 0; c < 3; c++)
        for (int f = 0; f < ds->n_text_fields; f++)
            if (strcmp(ds->text_fields[f], cand[c]) == 0) return f;
    return -1;
}

tide_status tide_interest_fit_categories(const tide_dataset *ds, tide_interest_items *it) {
    int f = category_field(ds);
    if (f < 0) return TIDE_OK;
    int64_t n = ds->n_items, cap = 4 * n + 16, m = 0;
    it->cat_indptr = tide_calloc((size_t)n + 1, sizeof *it->cat_indptr);
    it->cat_ids = tide_malloc((size_t)cap * sizeof *it->cat_ids);
    if (!it->cat_indptr || !it->cat_ids) return TIDE_ERR_NOMEM;
    int cap_names = 0;
    for (int64_t i = 0; i < n; i++) {
        const char *s = ds->item_text[i * ds->n_text_fields + f];
        while (s && *s) {
            size_t len = strcspn(s, "|,");
            const char *w = s;
            s += len;
            if (*s) s++;
            while (len && (*w == ' ')) { w++; len--; }
            while (len && w[len - 1] == ' ') len--;
            if (!len || (len == 18 && strncmp(w, "(no genres listed)", 18) == 0)) continue;
            int id = -1;
            for (int c = 0; c < it->n_cats; c++)
                if (strlen(it->cat_names[c]) == len && strncmp(it->cat_names[c], w, len) == 0) { id = c; break; }
            if (id < 0) {
                if (it->n_cats == cap_names) {
                    cap_names = cap_names ? 2 * cap_names : 32;
                    char **nn = tide_realloc(it->cat_names, (size_t)cap_names * sizeof *nn);
                    if (!nn) return TIDE_ERR_NOMEM;
                    it->cat_names = nn;
                }
                it->cat_names[it->n_cats] = strndup(w, len);
                if (!it->cat_names[it->n_cats]) return TIDE_ERR_NOMEM;
                id = it->n_cats++;
            }
            if (m == cap) {
                cap *= 2;
                int32_t *nc = tide_realloc(it->cat_ids, (size_t)cap * sizeof *nc);
                if (!nc) return TIDE_ERR_NOMEM;
                it->cat_ids = nc;
            }
            it->cat_ids[m++] = id;
        }
        it->cat_indptr[i + 1] = m;
    }
    return TIDE_OK;
}

/* Item text for TF-IDF: the catalog fields (category separators as spaces) and the tags users
 * wrote on the item in the training data. */
static tide_status fit_tfidf(const tide_dataset *ds, const tide_interest_params *p, tide_interest_items *it) {
    int64_t n = ds->n_items;
    size_t *len = tide_calloc((size_t)n + 1, sizeof *len);
    char **txt = tide_calloc((size_t)n + 1, sizeof *txt);
    tide_status st = TIDE_OK;
    if (!len || !txt) { st = TIDE_ERR_NOMEM; goto done; }
    for (int64_t i = 0; i < n; i++)
        for (int f = 0; f < ds->n_text_fields; f++) {
            const char *s = ds->item_text[i * ds->n_text_fields + f];
            if (s) len[i] += strlen(s) + 1;
        }
    for (int64_t e = 0; e < ds->n_text; e++)
        if (ds->text_items[e] >= 0 && ds->text_items[e] < n && ds->texts[e]) len[ds->text_items[e]] += strlen(ds->texts[e]) + 1;
    for (int64_t i = 0; i < n; i++) {
        txt[i] = tide_malloc(len[i] + 1);
        if (!txt[i]) { st = TIDE_ERR_NOMEM; goto done; }
        txt[i][0] = 0;
        len[i] = 0;
    }
#define APPEND(i, s)                                                           \
    do {                                                                       \
        size_t l_ = strlen(s);                                                 \
        memcpy(txt[i] + len[i], s, l_);                                        \
        for (size_t q = len[i]; q < len[i] + l_; q++)                          \
            if (txt[i][q] == '|') txt[i][q] = ' ';                             \
        len[i] += l_;                                                          \
        txt[i][len[i]++] = ' ';                                                \
        txt[i][len[i]] = 0;                                                    \
    } while (0)
    for (int64_t i = 0; i < n; i++)
        for (int f = 0; f < ds->n_text_fields; f++) {
            const char *s = ds->item_text[i * ds->n_text_fields + f];
            if (s) APPEND(i, s);
        }
    for (int64_t e = 0; e < ds->n_text; e++)
        if (ds->text_items[e] >= 0 && ds->text_items[e] < n && ds->texts[e]) APPEND(ds->text_items[e], ds->texts[e]);
#undef APPEND
    int64_t with_text = 0;
    for (int64_t i = 0; i < n; i++) with_text += len[i] > 0;
    if (with_text == 0) {   /* documented: no item text at all = no TF-IDF component */
        tide_log(TIDE_LOG_WARN, "interest: no item has text; the TF-IDF component is off");
        goto done;
    }
    tide_tfidf_params tp = tide_tfidf_params_default();
    tp.dim = p->tfidf_dim;
    tp.seed = p->seed;
    tp.max_df = 0.5;
    it->tfidf = tide_malloc((size_t)n * (size_t)tp.dim * sizeof *it->tfidf + 1);
    if (!it->tfidf) { st = TIDE_ERR_NOMEM; goto done; }
    tide_tfidf_stats ts;
    st = tide_tfidf_embed((const char *const *)txt, len, n, &tp, it->tfidf, &ts);
    if (st) goto done;
    it->tfidf_dim = tp.dim;
    normalise_rows(it->tfidf, n, tp.dim);
    tide_log(TIDE_LOG_INFO, "interest: TF-IDF item text: %lld terms, rank %d, %lld items without text",
             (long long)ts.terms, ts.rank, (long long)ts.empty);
done:
    if (txt)
        for (int64_t i = 0; i < n; i++) free(txt[i]);
    free(txt);
    free(len);
    return st;
}

tide_status tide_interest_items_build(const tide_dataset *ds, const tide_interest_params *p,
                                      const tide_interest_items_opts *o, tide_interest_items *it) {
    memset(it, 0, sizeof *it);
    it->n_items = ds->n_items;
    tide_status st = TIDE_OK;
    float *uw = NULL, *iw = NULL;
    tide_mf_decay none = {0, TIDE_ASOF_LATEST, 0};
    if ((st = tide_mf_weights(ds, &none, &uw, &iw))) goto fail;
    /* Implicit feedback: every event counts 1 whatever the dataset's weight (a MovieLens rating
     * is an interaction, not a strength), as in the reference protocol. */
    for (int64_t k = 0; k < ds->nnz; k++) uw[k] = iw[k] = 1.0f;

    if (ON(p, TIDE_IC_EASE) || ON(p, TIDE_IC_EASE_LONG) || ON(p, TIDE_IC_EASE_BURST)) {
        if (o && o->ease) it->ease = o->ease;
        else {
            float *B = NULL;
            size_t limit = o && o->max_memory ? o->max_memory : tide_mf_available_memory();
            if ((st = tide_ease_fit(ds, uw, p->ease_lambda, limit, &B))) goto fail;
            it->ease = B;
            it->own_ease = 1;
        }
    }
    if (ON(p, TIDE_IC_SESSION) && ds->n_users < INT32_MAX) {
        size_t limit = o && o->max_memory ? o->max_memory : tide_mf_available_memory();
        if ((st = fit_session_ease(ds, p, limit, &it->sess))) goto fail;
    }
    if (ON(p, TIDE_IC_SEQ)) {
        size_t limit = o && o->max_memory ? o->max_memory : tide_mf_available_memory();
        if ((st = tide_interest_fit_seq(ds, p, limit, &it->seq))) goto fail;
    }
    if (ON(p, TIDE_IC_KNN)) {
        tide_mf_params kp = tide_mf_params_default(TIDE_MF_ITEMKNN);
        kp.neighbors = p->knn_neighbors;
        if ((st = tide_itemknn_fit(ds, uw, iw, &kp, &it->knn_indptr, &it->knn_items, &it->knn_sims))) goto fail;
    }
    if (ON(p, TIDE_IC_TRANS) && (st = tide_interest_fit_transitions(ds, p, it))) goto fail;
    if (ON(p, TIDE_IC_ALS) && o && o->als_items) {
        /* a trained model's factors (--model): nothing to fit */
        size_t n = (size_t)ds->n_items * (size_t)o->als_k;
        if (!(it->als_items = tide_malloc(n * sizeof *it->als_items + 1))) { st = TIDE_ERR_NOMEM; goto fail; }
        memcpy(it->als_items, o->als_items, n * sizeof *it->als_items);
        it->als_k = o->als_k;
        it->als_params = tide_mf_params_default(TIDE_MF_ALS);
        it->als_params.factors = o->als_k;
        it->als_params.regularization = p->als_regularization;
        it->als_params.alpha = p->als_alpha;
    } else if (ON(p, TIDE_IC_ALS)) {
        tide_mf_params ap = tide_mf_params_default(TIDE_MF_ALS);
        ap.factors = p->als_factors;
        ap.iterations = p->als_iterations;
        ap.regularization = p->als_regularization;
        ap.alpha = p->als_alpha;
        ap.seed = p->seed;
        int64_t with = tide_dataset_items_with_interactions(ds);
        if (ap.factors > with) ap.factors = (int)(with > 0 ? with : 1);
        /* ALS on implicit ones: a copy of the dataset struct whose weights are the ones above. */
        tide_dataset d1 = *ds;
        d1.weights = uw;
        d1.item_weights = iw;
        tide_mf_train_opts to = {0};
        to.threads = tide_threads_get();
        tide_mf_model m;
        memset(&m, 0, sizeof m);
        if ((st = tide_mf_train(&ap, &d1, &to, &m))) { tide_mf_model_free(&m); goto fail; }
        it->als_items = m.item_factors;
        m.item_factors = NULL;
        tide_mf_model_free(&m);
        it->als_k = ap.factors;
        it->als_params = ap;
    }
    int want_lm = o && o->lm_vectors && o->lm_dim > 0;
    if ((ON(p, TIDE_IC_TFIDF) || (!want_lm && ON(p, TIDE_IC_CLUSTER))) && (st = fit_tfidf(ds, p, it))) goto fail;
    if (o && o->lm_vectors && o->lm_dim > 0) {
        it->lm_dim = o->lm_dim;
        it->lm = tide_malloc((size_t)ds->n_items * (size_t)o->lm_dim * sizeof *it->lm + 1);
        if (!it->lm) { st = TIDE_ERR_NOMEM; goto fail; }
        memcpy(it->lm, o->lm_vectors, (size_t)ds->n_items * (size_t)o->lm_dim * sizeof *it->lm);
        for (size_t k = 0; k < (size_t)ds->n_items * (size_t)o->lm_dim; k++)
            if (!isfinite(it->lm[k])) { st = tide_error(TIDE_ERR_DATA, "item vectors: row %lld is not finite", (long long)(k / (size_t)o->lm_dim)); goto fail; }
        normalise_rows(it->lm, ds->n_items, o->lm_dim);
    }
    /* Cold items get CF factors from their text before the Gram matrix is formed, so the Gram
     * (and every fold-in) is the one an interest dir's loader recomputes from the saved factors. */
    if ((st = tide_interest_cold_map_fit(ds, p, it))) goto fail;
    if (it->als_items) {
        it->als_gram = tide_malloc((size_t)it->als_k * it->als_k * sizeof *it->als_gram);
        if (!it->als_gram) { st = TIDE_ERR_NOMEM; goto fail; }
        if ((st = tide_als_gram(it->als_items, ds->n_items, it->als_k, it->als_params.regularization, it->als_gram))) goto fail;
    }
    if (ON(p, TIDE_IC_POP)) {
        if ((st = tide_pop_events(ds, &it->pop_indptr, &it->pop_times, &it->pop_weights))) goto fail;
        for (int64_t k = 0; k < it->pop_indptr[ds->n_items]; k++) it->pop_weights[k] = 1.0f;
        it->pop = tide_calloc(1, sizeof *it->pop);
        if (!it->pop) { st = TIDE_ERR_NOMEM; goto fail; }
        if ((st = tide_pop_context_init(it->pop, ds->n_items, p->pop_half_life, TIDE_KERNEL_TWO_SIDED, it->pop_indptr,
                                        it->pop_times, it->pop_weights, "training events"))) {
            free(it->pop);
            it->pop = NULL;
            goto fail;
        }
    }
    if (it->lm) { it->sp = it->lm; it->sp_dim = it->lm_dim; }
    else if (it->tfidf) { it->sp = it->tfidf; it->sp_dim = it->tfidf_dim; }
    if ((st = tide_interest_fit_categories(ds, it))) goto fail;
    it->item_text = ds->item_text;
    it->n_text_fields = ds->n_text_fields;
    free(uw);
    free(iw);
    return TIDE_OK;
fail:
    free(uw);
    free(iw);
    tide_interest_items_free(it);
    return st;
}

void tide_interest_items_free(tide_interest_items *it) {
    if (it->own_ease) free((void *)it->ease);
    free(it->sess);
    free(it->seq);
    free(it->knn_indptr); free(it->knn_items); free(it->knn_sims);
    free(it->tr_indptr); free(it->tr_items); free(it->tr_probs);
    free(it->als_items); free(it->als_gram);
    free(it->tfidf); free(it->lm);
    free(it->cold_map);
    if (it->pop) { tide_pop_context_free(it->pop); free(it->pop); }
    free(it->pop_indptr); free(it->pop_times); free(it->pop_weights);
    free(it->cat_indptr); free(it->cat_ids);
    for (int c = 0; c < it->n_cats; c++) free(it->cat_names[c]);
    free(it->cat_names);
    memset(it, 0, sizeof *it);
}
