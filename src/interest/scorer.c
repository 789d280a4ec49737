/* scorer.c — the "tide-interest" family of tide/scorer.h: an interest dir scored by the engine
 * (tide-recommend --model INTEREST_DIR, tide-serve). prepare copies each user's history view;
 * score builds the user's whole row with tide_interest_features → z-scores → combiner, exactly as
 * tide-capture-interest --recs does, and hands the engine the allowed columns. How a view becomes
 * a history (events up to the as-of, the reference time, the user's words: text vectors from the
 * view, else a given profile, else the dir's stored one) is decided in one place, view_plan, which
 * the explanation and the state of one user (tide_interest_scorer_user) share with scoring.
 * Catalogues above TIDE_INTEREST_LARGE_ITEMS are scored by large.c's per-item formula (sampled
 * z-score statistics) with its exact pruned top-K (row_topk), batch and online alike. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "large.h"
#include "tide/interest.h"
#include "tide/scorer.h"

typedef struct {
    tide_interest_items it;
    tide_interest_params p;
    tide_interest_states S;
    int as_of_user;           /* as-of "user": each user's own last event */
    int as_of_latest;         /* as-of "latest": the view's as_of (the scoring data's latest) */
    int64_t as_of;            /* the captured reference time (mode time) */
    cJSON *man;
    int borrowed;             /* it (and p) are the caller's: tide_interest_scorer_borrow */
    tide_ilarge *large;       /* the large-catalogue regime (large.h), NULL at or below its threshold */
} ifs;

typedef struct {
    int max, rows;
    int64_t *hoff;            /* [max+1] into items/times */
    int32_t *items;
    int64_t *times;
    int64_t cap;
    uint8_t *has_times;       /* [max] */
    int64_t *tref;            /* [max] */
    const float **words;      /* [max] */
    const float **tvecs;      /* [max] the view's text vectors (borrowed) */
    const int64_t **ttimes;   /* [max] */
    int64_t *ntext;           /* [max] */
    float *feats, *work, *row;
    int32_t *excl;
    tide_ilarge_blk *lb;      /* the large regime's user and scratch */
} iblk;

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static tide_status s_bind(const tide_scorer *s, const tide_scorer_cols *cols, tide_backend *be, void **run) {
    tide_scorer_cols *c = tide_malloc(sizeof *c);
    if (!c) return TIDE_ERR_NOMEM;
    *c = *cols;
    *run = c;
    return TIDE_OK;
}

static void s_unbind(const tide_scorer *s, void *run) { free(run); }

static void s_block_free(const tide_scorer *s, void *run, void *blk) {
    iblk *b = blk;
    if (!b) return;
    free(b->hoff); free(b->has_times); free(b->items); free(b->times); free(b->tref); free(b->words);
    free(b->tvecs); free(b->ttimes); free(b->ntext);
    free(b->feats); free(b->work); free(b->row); free(b->excl);
    if (b->lb) tide_ilarge_blk_free(((const ifs *)s->impl)->large, b->lb);
    free(b);
}

static tide_status s_block_alloc(const tide_scorer *s, void *run, int max_users, tide_backend *be, void **out) {
    const ifs *m = s->impl;
    iblk *b = tide_calloc(1, sizeof *b);
    if (!b) return TIDE_ERR_NOMEM;
    *out = b;
    b->max = max_users;
    int64_t N = m->it.n_items;
    b->hoff = tide_calloc((size_t)max_users + 1, sizeof *b->hoff);
    b->tref = tide_calloc((size_t)max_users + 1, sizeof *b->tref);
    b->words = tide_calloc((size_t)max_users + 1, sizeof *b->words);
    b->has_times = tide_calloc((size_t)max_users + 1, 1);
    b->tvecs = tide_calloc((size_t)max_users + 1, sizeof *b->tvecs);
    b->ttimes = tide_calloc((size_t)max_users + 1, sizeof *b->ttimes);
    b->ntext = tide_calloc((size_t)max_users + 1, sizeof *b->ntext);
    if (m->large) {   /* the large regime keeps its own scratch */
        tide_status st = tide_ilarge_blk_new(m->large, &m->p, &b->lb);
        if (st) return st;
        N = 0;
    }
    b->feats = tide_malloc((size_t)TIDE_IC_N * N * sizeof *b->feats + 1);
    b->work = tide_malloc(tide_interest_work_floats(&m->it, &m->p) * sizeof *b->work);
    b->row = tide_malloc((size_t)N * sizeof *b->row + 1);
    if (!b->hoff || !b->tref || !b->words || !b->has_times || !b->tvecs || !b->ttimes || !b->ntext || !b->feats || !b->work || !b->row) return TIDE_ERR_NOMEM;
    return TIDE_OK;
}

/* How one view is scored: the events the state sees, the reference time and the user's words. */
typedef struct plan {
    int64_t cnt;              /* events used (a fixed as-of leaves later ones out) */
    int64_t t_ref;            /* INT64_MIN: none (the data's latest is used) */
    const float *words;       /* a ready profile, or NULL */
    const float *text_vecs;   /* or the texts' vectors (then words is NULL) */
    const int64_t *text_times;
    int64_t n_text;
} plan;

static void view_plan(const ifs *m, const tide_user_view *v, plan *pl) {
    memset(pl, 0, sizeof *pl);
    int fixed = !m->as_of_user && !m->as_of_latest;
    int64_t cnt = v->n;
    if (fixed && v->times)
        while (cnt > 0 && v->times[cnt - 1] > m->as_of) cnt--;
    pl->cnt = cnt;
    /* Words: the texts' own vectors when the caller has them (the profile is then built at this
     * view's reference time, as tide-capture-interest builds words_lm from --text-vectors), else
     * a profile the caller gives, else the captured user's stored row. */
    if (m->it.lm && m->it.sp == m->it.lm && v->text_vecs && v->text_dim == m->it.lm_dim && v->n_text > 0 && v->text_times) {
        int64_t nt = v->n_text;
        if (fixed)
            while (nt > 0 && v->text_times[nt - 1] > m->as_of) nt--;
        pl->text_vecs = v->text_vecs;
        pl->text_times = v->text_times;
        pl->n_text = nt;
    } else if (m->it.lm && v->vector && v->vector_dim == m->it.lm_dim) {
        pl->words = v->vector;
    } else if (v->user >= 0 && v->user < m->S.n_users && m->S.n_text[v->user] > 0 && m->S.words_lm) {
        pl->words = m->S.words_lm + (size_t)v->user * (size_t)m->S.lm_dim;
    }
    /* The reference time: tide_interest_history_of's rule — the as-of, else the last event, else
     * (a user with text only) the last text event. */
    int64_t last_text = v->n_text > 0 && v->text_times ? v->text_times[v->n_text - 1] : INT64_MIN;
    int64_t t;
    if (m->as_of_user) t = cnt && v->times ? v->times[cnt - 1] : last_text;
    else if (m->as_of_latest && v->as_of != INT64_MIN) t = v->as_of;
    else if (m->as_of_latest) t = cnt && v->times ? v->times[cnt - 1] : last_text;
    else t = m->as_of;
    pl->t_ref = t;
}

static int plan_empty(const plan *pl) { return pl->cnt == 0 && !pl->words && pl->n_text == 0; }

static tide_status s_prepare(const tide_scorer *s, void *run, void *blk, const tide_user_view *users, int n, uint8_t *by) {
    const ifs *m = s->impl;
    iblk *b = blk;
    int64_t total = 0;
    for (int i = 0; i < n; i++) total += users[i].n;
    if (total > b->cap) {
        int64_t cap = total + 1024;
        int32_t *ni = realloc(b->items, (size_t)cap * sizeof *ni);
        if (ni) b->items = ni;
        int64_t *nt = realloc(b->times, (size_t)cap * sizeof *nt);
        if (nt) b->times = nt;
        if (!ni || !nt) return tide_error(TIDE_ERR_NOMEM, "out of memory for a block's histories");
        b->cap = cap;
    }
    int rows = 0;
    b->hoff[0] = 0;
    for (int i = 0; i < n; i++) {
        const tide_user_view *v = &users[i];
        plan pl;
        view_plan(m, v, &pl);
        if (plan_empty(&pl)) { by[i] = TIDE_BY_POPULARITY; continue; }
        int64_t cnt = pl.cnt;
        by[i] = v->user >= 0 && v->user < m->S.n_users ? TIDE_BY_MODEL : TIDE_BY_FOLD_IN;
        int q = rows++;
        int64_t o = b->hoff[q];
        if (cnt) memcpy(b->items + o, v->items, (size_t)cnt * sizeof *b->items);
        for (int64_t e = 0; e < cnt; e++) {
            if (v->items[e] < 0 || v->items[e] >= m->it.n_items)
                return tide_error(TIDE_ERR_DATA, "interest scorer: item %d of a history is outside the model's %lld items",
                                  v->items[e], (long long)m->it.n_items);
            b->times[o + e] = v->times ? v->times[e] : 0;
        }
        b->has_times[q] = v->times != NULL;
        b->hoff[q + 1] = o + cnt;
        b->tref[q] = pl.t_ref;
        b->words[q] = pl.words;
        /* the view's arrays stay valid until the block's last score() (tide/scorer.h) */
        b->tvecs[q] = pl.text_vecs;
        b->ttimes[q] = pl.text_times;
        b->ntext[q] = pl.n_text;
    }
    b->rows = rows;
    return TIDE_OK;
}

/* Block row r as a history view. */
static void row_history(const ifs *m, const iblk *b, int r, tide_interest_history *h) {
    int64_t o = b->hoff[r], n = b->hoff[r + 1] - o;
    memset(h, 0, sizeof *h);
    h->items = b->items + o;
    h->times = b->has_times[r] ? b->times + o : NULL;
    h->n = n;
    h->t_ref = b->tref[r] == INT64_MIN ? (m->it.pop ? m->it.pop->latest : 0) : b->tref[r];
    h->words_profile = b->words[r];
    h->text_vecs = b->tvecs[r];
    h->text_times = b->ttimes[r];
    h->n_text = b->ntext[r];
}

/* The distinct items of a history, sorted (the z-scores' exclusions), into b->excl. */
static tide_status seen_items(iblk *b, const tide_interest_history *h, int64_t *ne_out) {
    int64_t n = h->n;
    int32_t *ex = realloc(b->excl, (size_t)(n + 1) * sizeof *ex);
    if (!ex) return TIDE_ERR_NOMEM;
    b->excl = ex;
    if (n) memcpy(ex, h->items, (size_t)n * sizeof *ex);
    qsort(ex, (size_t)n, sizeof *ex, cmp_i32);
    int64_t ne = 0;
    for (int64_t k = 0; k < n; k++)
        if (ne == 0 || ex[ne - 1] != ex[k]) ex[ne++] = ex[k];
    *ne_out = ne;
    return TIDE_OK;
}

static tide_status s_score(const tide_scorer *s, void *run, void *blk, int r0, int nr, int64_t c0, int64_t w, float *tile) {
    const ifs *m = s->impl;
    const tide_scorer_cols *cols = run;
    iblk *b = blk;
    int64_t N = m->it.n_items;
    for (int r = r0; r < r0 + nr; r++) {
        tide_interest_history h;
        row_history(m, b, r, &h);
        int64_t ne = 0;
        tide_status st = seen_items(b, &h, &ne);
        float *dst = tile + (size_t)(r - r0) * (size_t)w;
        if (m->large) {
            if (!st) st = tide_ilarge_user(m->large, &m->p, &h, b->excl, ne, b->lb);
            if (st) return st;
            for (int64_t c = 0; c < w; c++) dst[c] = tide_ilarge_score(m->large, b->lb, cols->items ? cols->items[c0 + c] : c0 + c);
            continue;
        }
        if (!st) st = tide_interest_features(&m->it, &m->p, &h, b->feats, b->work, NULL);
        if (st) return st;
        tide_interest_normalise(b->feats, N, b->excl, ne);
        tide_interest_combine(b->feats, N, tide_interest_weights_for(&m->p, &h), b->row);
        for (int64_t c = 0; c < w; c++) dst[c] = b->row[cols->items ? cols->items[c0 + c] : c0 + c];
    }
    return TIDE_OK;
}

/* The large regime's exact top-K of row r (tide/scorer.h row_topk); at or below the threshold the
 * engine scans. */
static tide_status s_row_topk(const tide_scorer *s, void *run, void *blk, int r, const int32_t *ex, int64_t n_ex, int kk,
                              float *val, int32_t *idx, int *n, int *answered, int64_t *rescored) {
    const ifs *m = s->impl;
    iblk *b = blk;
    *answered = 0;
    *rescored = 0;
    if (!m->large) return TIDE_OK;
    tide_interest_history h;
    row_history(m, b, r, &h);
    int64_t ne = 0;
    tide_status st = seen_items(b, &h, &ne);
    if (!st) st = tide_ilarge_user(m->large, &m->p, &h, b->excl, ne, b->lb);
    if (!st) st = tide_ilarge_topk(m->large, b->lb, run, ex, n_ex, kk, val, idx, n, answered, rescored);
    return st;
}

static void s_destroy(tide_scorer *s) {
    ifs *m = s->impl;
    if (!m) return;
    tide_ilarge_free(m->large);
    if (!m->borrowed) tide_interest_items_free(&m->it);
    tide_interest_states_free(&m->S);
    cJSON_Delete(m->man);
    free(m);
    s->impl = NULL;
}

static const tide_scorer_iface interest_iface;

void tide_interest_scorer_threads(tide_scorer *s, int n) {
    if (s && s->iface == &interest_iface && ((ifs *)s->impl)->large) tide_ilarge_set_threads(((ifs *)s->impl)->large, n);
}

tide_status tide_interest_scorer_parts(const tide_scorer *s, const tide_interest_items **it, const tide_interest_params **p,
                                       const tide_interest_states **S) {
    if (!s || s->iface != &interest_iface) return tide_error(TIDE_ERR_USAGE, "not an interest model");
    const ifs *m = s->impl;
    if (it) *it = &m->it;
    if (p) *p = &m->p;
    if (S) *S = &m->S;
    return TIDE_OK;
}

tide_status tide_interest_scorer_user(const tide_scorer *s, const tide_user_view *v, const int32_t *items, int n,
                                      float *contrib, tide_interest_user *state) {
    if (!s || s->iface != &interest_iface) return tide_error(TIDE_ERR_USAGE, "not an interest model");
    const ifs *m = s->impl;
    int64_t N = m->it.n_items;
    void *blk = NULL;
    uint8_t by = TIDE_BY_POPULARITY;
    tide_status st = s_block_alloc(s, NULL, 1, NULL, &blk);
    if (!st) st = s_prepare(s, NULL, blk, v, 1, &by);
    iblk *b = blk;
    if (!st && by != TIDE_BY_POPULARITY) {
        tide_interest_history h;
        row_history(m, b, 0, &h);
        int64_t ne = 0;
        if (!(st = seen_items(b, &h, &ne)) && m->large && contrib) {
            /* the large regime's terms: what its score sums */
            st = tide_ilarge_user(m->large, &m->p, &h, b->excl, ne, b->lb);
            for (int q = 0; q < n && !st; q++) {
                if (items[q] >= 0 && items[q] < N) tide_ilarge_terms(m->large, b->lb, items[q], contrib + (size_t)q * TIDE_IC_N);
                else memset(contrib + (size_t)q * TIDE_IC_N, 0, TIDE_IC_N * sizeof *contrib);
            }
            contrib = NULL;
        }
        if (!st)
            st = tide_interest_features(&m->it, &m->p, &h, contrib ? b->feats : NULL, b->work, state);
        if (!st && contrib) {
            tide_interest_normalise(b->feats, N, b->excl, ne);
            const float *wt = tide_interest_weights_for(&m->p, &h);
            for (int q = 0; q < n; q++)
                for (int c = 0; c < TIDE_IC_N; c++)
                    contrib[(size_t)q * TIDE_IC_N + c] = items[q] >= 0 && items[q] < N
                                                             ? wt[c] * b->feats[(size_t)c * N + items[q]] : 0;
        }
    } else if (!st) {
        if (contrib) memset(contrib, 0, (size_t)n * TIDE_IC_N * sizeof *contrib);
        if (state) st = tide_interest_features(&m->it, &m->p, &(tide_interest_history){0}, NULL, b->work, state);
    }
    if (blk) s_block_free(s, NULL, blk);
    return st;
}

static const tide_scorer_iface interest_iface = {
    TIDE_SCORER_VERSION, s_bind, s_unbind, s_block_alloc, s_block_free, s_prepare, s_score, s_destroy, NULL, s_row_topk,
};

tide_status tide_interest_scorer_open(const char *dir, const char *manifest_path, void *manifest, tide_scorer **out) {
    *out = NULL;
    cJSON_Delete(manifest);   /* the dir loader re-reads and checks it */
    ifs *m = tide_calloc(1, sizeof *m);
    if (!m) return TIDE_ERR_NOMEM;
    tide_status st = tide_interest_dir_load(dir, &m->it, &m->p, &m->S, &m->man);
    if (st) { free(m); return st; }
    const cJSON *ao = cJSON_GetObjectItemCaseSensitive(m->man, "as_of");
    const cJSON *mode = ao ? cJSON_GetObjectItemCaseSensitive(ao, "mode") : NULL;
    const cJSON *given = ao ? cJSON_GetObjectItemCaseSensitive(ao, "given") : NULL;
    const cJSON *t = ao ? cJSON_GetObjectItemCaseSensitive(ao, "time") : NULL;
    m->as_of_user = cJSON_IsString(mode) && strcmp(mode->valuestring, "user") == 0;
    m->as_of_latest = !m->as_of_user && cJSON_IsString(given) && strcmp(given->valuestring, "latest") == 0;
    m->as_of = cJSON_IsNumber(t) ? (int64_t)t->valuedouble : INT64_MIN;
    if (!m->as_of_user && !m->as_of_latest && m->as_of == INT64_MIN) m->as_of_user = 1;
    if (m->it.n_items > TIDE_INTEREST_LARGE_ITEMS && (st = tide_ilarge_new(&m->it, &m->large))) {
        tide_scorer tmp = {&interest_iface, {0}, m};
        s_destroy(&tmp);
        return st;
    }
    tide_scorer *s = tide_calloc(1, sizeof *s);
    if (!s) {
        tide_scorer tmp = {&interest_iface, {0}, m};
        s_destroy(&tmp);
        return TIDE_ERR_NOMEM;
    }
    s->iface = &interest_iface;
    s->impl = m;
    tide_scorer_info *in = &s->info;
    in->family = "interest";
    snprintf(in->algorithm, sizeof in->algorithm, "interest");
    in->n_items = m->it.n_items;
    in->n_users = m->S.n_users;
    in->flags = TIDE_SCORER_NEEDS_HISTORY | TIDE_SCORER_WHOLE_ROWS;
    in->item_vectors = m->it.sp;
    in->item_dim = m->it.sp_dim;
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(m->man, "dataset");
    const cJSON *ck = ds ? cJSON_GetObjectItemCaseSensitive(ds, "checksum") : NULL;
    const cJSON *pa = ds ? cJSON_GetObjectItemCaseSensitive(ds, "path") : NULL;
    if (cJSON_IsString(ck)) snprintf(in->dataset_checksum, sizeof in->dataset_checksum, "%s", ck->valuestring);
    if (cJSON_IsString(pa)) snprintf(in->dataset_path, sizeof in->dataset_path, "%s", pa->valuestring);
    in->dataset_users = m->S.n_users;
    in->dataset_items = m->it.n_items;
    in->manifest = m->man;
    (void)manifest_path;
    *out = s;
    return TIDE_OK;
}

tide_status tide_interest_scorer_borrow(const tide_interest_items *it, const tide_interest_params *p, int64_t as_of,
                                        tide_scorer **out) {
    *out = NULL;
    ifs *m = tide_calloc(1, sizeof *m);
    tide_scorer *s = tide_calloc(1, sizeof *s);
    if (!m || !s) {
        free(m);
        free(s);
        return TIDE_ERR_NOMEM;
    }
    m->it = *it;              /* a shallow copy: the arrays stay the caller's */
    m->p = *p;
    m->borrowed = 1;
    m->as_of_user = as_of == INT64_MIN;
    m->as_of = as_of;
    tide_status st;
    if (m->it.n_items > TIDE_INTEREST_LARGE_ITEMS && (st = tide_ilarge_new(&m->it, &m->large))) {
        free(m);
        free(s);
        return st;
    }
    s->iface = &interest_iface;
    s->impl = m;
    tide_scorer_info *in = &s->info;
    in->family = "interest";
    snprintf(in->algorithm, sizeof in->algorithm, "interest");
    in->n_items = it->n_items;
    in->flags = TIDE_SCORER_NEEDS_HISTORY | TIDE_SCORER_WHOLE_ROWS;
    in->item_vectors = it->sp;
    in->item_dim = it->sp_dim;
    in->dataset_items = it->n_items;
    *out = s;
    return TIDE_OK;
}
