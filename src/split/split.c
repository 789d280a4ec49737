/* split.c — the split rules: which part each interaction and text event of a dataset goes to
 * (leave-last per user, or global time cuts), and the part datasets built from that labelling.
 * Writing the parts out is split_write.c; the rules are stated in tide/split.h and
 * docs/tide-split.md.
 *
 * Every interaction and text event gets a label (train, valid or test); a part is then the
 * order-preserving filter of the source by a set of labels, so each part's rows stay sorted by
 * (time, input order) and train_valid is simply {train, valid}. */
#include "tide/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { L_TRAIN = 0, L_VALID = 1, L_TEST = 2 };

/* Which labels make up each part. */
static const unsigned part_mask[TIDE_SPLIT_N_PARTS] = {
    [TIDE_SPLIT_TRAIN] = 1u << L_TRAIN,
    [TIDE_SPLIT_VALID] = 1u << L_VALID,
    [TIDE_SPLIT_TEST] = 1u << L_TEST,
    [TIDE_SPLIT_TRAIN_VALID] = (1u << L_TRAIN) | (1u << L_VALID),
};

void tide_split_params_default(tide_split_params *p) {
    memset(p, 0, sizeof *p);
    p->method = TIDE_SPLIT_LEAVE_LAST;
    p->test_events = 1;
    p->valid_events = 0;
    p->test_fraction = 0.1;
    p->valid_fraction = 0;
}

const char *tide_split_params_check(const tide_split_params *p) {
    if (p->method == TIDE_SPLIT_LEAVE_LAST) {
        if (p->test_events < 1) return "--test must be at least 1 (events per user for test)";
        if (p->valid_events < 0) return "--valid must be 0 or more (events per user for valid)";
        if (p->test_events > INT32_MAX || p->valid_events > INT32_MAX) return "--test/--valid are too large";
        return NULL;
    }
    if (p->method != TIDE_SPLIT_TIME) return "unknown split method";
    if (!p->has_test_cut && !(p->test_fraction > 0 && p->test_fraction < 1))
        return "--test-fraction must be between 0 and 1 (exclusive)";
    if (p->has_valid_cut && p->valid_fraction != 0) return "give either --valid-cut or --valid-fraction, not both";
    if (!(p->valid_fraction >= 0 && p->valid_fraction < 1)) return "--valid-fraction must be between 0 and 1 (exclusive)";
    if (!p->has_test_cut && p->valid_fraction > 0 && p->test_fraction + p->valid_fraction >= 1)
        return "--test-fraction plus --valid-fraction must be below 1 (train would be empty)";
    if (p->has_test_cut && p->has_valid_cut && p->valid_cut >= p->test_cut)
        return "--valid-cut must be earlier than --cut";
    return NULL;
}

const char *tide_split_part_name(tide_split_part part) {
    static const char *names[TIDE_SPLIT_N_PARTS] = {"train", "valid", "test", "train_valid"};
    return (unsigned)part < TIDE_SPLIT_N_PARTS ? names[part] : "?";
}

const char *tide_split_method_name(tide_split_method m) {
    return m == TIDE_SPLIT_TIME ? "time" : m == TIDE_SPLIT_LEAVE_LAST ? "leave-last" : "?";
}

int tide_split_method_parse(const char *s, tide_split_method *m) {
    if (strcmp(s, "leave-last") == 0) *m = TIDE_SPLIT_LEAVE_LAST;
    else if (strcmp(s, "time") == 0) *m = TIDE_SPLIT_TIME;
    else return -1;
    return 0;
}

void tide_split_free(tide_split *sp) {
    for (int i = 0; i < TIDE_SPLIT_N_PARTS; i++) tide_dataset_free(&sp->parts[i]);
    memset(sp, 0, sizeof *sp);
}

/* ---- labelling --------------------------------------------------------------------------- */

static int64_t text_begin(const tide_dataset *ds, int64_t u) { return ds->text_indptr ? ds->text_indptr[u] : 0; }
static int64_t text_end(const tide_dataset *ds, int64_t u) { return ds->text_indptr ? ds->text_indptr[u + 1] : 0; }

/* The rules compare times along each row, so the (time, input order) sorting the format
 * promises is checked rather than trusted. */
static tide_status check_sorted(const tide_dataset *ds) {
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->indptr[u] + 1; k < ds->indptr[u + 1]; k++)
            if (ds->times[k] < ds->times[k - 1])
                return tide_error(TIDE_ERR_DATA,
                                  "user '%s': interactions are not in time order (position %lld is earlier than the one before it)",
                                  ds->user_ids[u], (long long)(k - ds->indptr[u]));
    return TIDE_OK;
}

static tide_status label_leave_last(const tide_dataset *src, tide_split *sp, uint8_t *lab, uint8_t *tlab) {
    const int64_t n_test = sp->params.test_events, n_valid = sp->params.valid_events;
    for (int64_t u = 0; u < src->n_users; u++) {
        int64_t b = src->indptr[u], e = src->indptr[u + 1], n = e - b;
        int64_t t_test = INT64_MAX, t_valid = INT64_MAX; /* INT64_MAX: no text event reaches it */
        for (int64_t k = b; k < e; k++) lab[k] = L_TRAIN;
        if (n == 0) {
            sp->users_without_interactions++;
        } else if (n < n_test + n_valid + 1) {
            sp->users_too_short++;
        } else {
            sp->users_split++;
            for (int64_t k = e - n_test; k < e; k++) lab[k] = L_TEST;
            for (int64_t k = e - n_test - n_valid; k < e - n_test; k++) lab[k] = L_VALID;
            t_test = src->times[e - n_test];
            if (n_valid > 0) t_valid = src->times[e - n_test - n_valid];
        }
        for (int64_t k = text_begin(src, u); k < text_end(src, u); k++) {
            int64_t t = src->text_times[k];
            tlab[k] = t >= t_test ? L_TEST : t >= t_valid ? L_VALID : L_TRAIN;
        }
    }
    if (sp->users_split == 0)
        return tide_error(TIDE_ERR_DATA,
                          "no user has the %lld interactions needed for %lld test and %lld valid events plus one for training",
                          (long long)(n_test + n_valid + 1), (long long)n_test, (long long)n_valid);
    return TIDE_OK;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Number of sorted values below t. */
static int64_t count_below(const int64_t *sorted, int64_t n, int64_t t) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* round(f * n), at least 1. */
static int64_t fraction_count(double f, int64_t n) {
    int64_t k = llround(f * (double)n);
    return k < 1 ? 1 : k;
}

/* Decide the cuts. A derived cut is the time of an interaction, so the interactions tied with it
 * all fall on its later side; explicit cuts are used as given. */
static tide_status find_cuts(const tide_dataset *src, tide_split *sp) {
    const tide_split_params *p = &sp->params;
    int need_sort = !p->has_test_cut || (sp->has_valid && !p->has_valid_cut);
    int64_t *sorted = NULL, nnz = src->nnz;
    char a[40], b[40];
    tide_status st = TIDE_OK;
    if (need_sort) {
        sorted = tide_malloc((size_t)nnz * sizeof *sorted + 1);
        if (!sorted) return TIDE_ERR_NOMEM;
        memcpy(sorted, src->times, (size_t)nnz * sizeof *sorted);
        qsort(sorted, (size_t)nnz, sizeof *sorted, cmp_i64);
    }
    if (p->has_test_cut) {
        sp->test_cut = p->test_cut;
    } else {
        int64_t k = fraction_count(p->test_fraction, nnz);
        if (k >= nnz) {
            st = tide_error(TIDE_ERR_DATA, "--test-fraction %g of %lld interactions leaves none for training", p->test_fraction, (long long)nnz);
            goto done;
        }
        sp->test_cut = sorted[nnz - k];
    }
    if (sp->has_valid) {
        if (p->has_valid_cut) {
            sp->valid_cut = p->valid_cut;
            if (sp->valid_cut >= sp->test_cut) {
                tide_split_format_time(sp->valid_cut, a, sizeof a);
                tide_split_format_time(sp->test_cut, b, sizeof b);
                st = tide_error(TIDE_ERR_DATA, "the valid cut %s is not earlier than the test cut %s", a, b);
                goto done;
            }
        } else {
            int64_t before = count_below(sorted, nnz, sp->test_cut);
            int64_t k = fraction_count(p->valid_fraction, nnz);
            if (k >= before) {
                st = tide_error(TIDE_ERR_DATA, "--valid-fraction %g (%lld interactions) leaves none for training before the test cut (%lld interactions)",
                                p->valid_fraction, (long long)k, (long long)before);
                goto done;
            }
            sp->valid_cut = sorted[before - k];
        }
    }
done:
    free(sorted);
    return st;
}

static tide_status label_time(const tide_dataset *src, tide_split *sp, uint8_t *lab, uint8_t *tlab) {
    tide_status st = find_cuts(src, sp);
    if (st) return st;
    const int64_t tc = sp->test_cut, vc = sp->has_valid ? sp->valid_cut : tc; /* vc = tc: no valid label */
    int64_t n[3] = {0, 0, 0};
    for (int64_t k = 0; k < src->nnz; k++) {
        int64_t t = src->times[k];
        lab[k] = t >= tc ? L_TEST : t >= vc ? L_VALID : L_TRAIN;
        n[lab[k]]++;
    }
    for (int64_t k = 0; k < src->n_text; k++) {
        int64_t t = src->text_times[k];
        tlab[k] = t >= tc ? L_TEST : t >= vc ? L_VALID : L_TRAIN;
    }
    /* Rows are time-ordered, so a user's first and last interactions tell which sides of a cut
     * they have interactions on. */
    for (int64_t u = 0; u < src->n_users; u++) {
        int64_t b = src->indptr[u], e = src->indptr[u + 1];
        if (b == e) continue;
        int64_t lo = src->times[b], hi = src->times[e - 1];
        sp->users_both_sides_test_cut += lo < tc && hi >= tc;
        if (sp->has_valid) sp->users_both_sides_valid_cut += lo < vc && hi >= vc;
    }
    char a[40], b[40];
    tide_split_format_time(tc, a, sizeof a);
    if (n[L_TEST] == 0) return tide_error(TIDE_ERR_DATA, "no interaction at or after the test cut %s", a);
    if (sp->has_valid && n[L_VALID] == 0) {
        tide_split_format_time(vc, b, sizeof b);
        return tide_error(TIDE_ERR_DATA, "no interaction between the valid cut %s and the test cut %s", b, a);
    }
    if (n[L_TRAIN] == 0) {
        if (sp->has_valid) tide_split_format_time(vc, a, sizeof a);
        return tide_error(TIDE_ERR_DATA, "no interaction before the %s cut %s: train would be empty", sp->has_valid ? "valid" : "test", a);
    }
    return TIDE_OK;
}

/* ---- building the parts ------------------------------------------------------------------ */

/* Allocate (at least one element, so empty arrays are never NULL) and hand to the dataset. */
static tide_status alloc_owned(tide_dataset *d, size_t count, size_t size, void **out) {
    size_t bytes;
    if (!tide_mul_size(count ? count : 1, size, &bytes)) return tide_error(TIDE_ERR_NOMEM, "array size overflows");
    void *p = tide_malloc(bytes);
    if (!p) return TIDE_ERR_NOMEM;
    *out = p;
    return tide_dataset_adopt(d, p);
}

static tide_status build_part(const tide_dataset *src, const uint8_t *lab, const uint8_t *tlab, unsigned mask,
                              tide_dataset *d, tide_split_counts *c) {
    tide_status st;
    memset(d, 0, sizeof *d);
    memset(c, 0, sizeof *c);
    /* Shared, borrowed from the source (never adopted, so freeing the part leaves them). */
    d->n_users = src->n_users;
    d->n_items = src->n_items;
    d->user_ids = src->user_ids;
    d->item_ids = src->item_ids;
    d->n_event_names = src->n_event_names;
    d->event_names = src->event_names;
    d->n_text_fields = src->n_text_fields;
    d->text_fields = src->text_fields;
    d->item_text = src->item_text;

    int64_t nnz = 0, ntext = 0;
    for (int64_t k = 0; k < src->nnz; k++) nnz += (mask >> lab[k]) & 1u;
    for (int64_t k = 0; k < src->n_text; k++) ntext += (mask >> tlab[k]) & 1u;
    d->nnz = nnz;
    d->n_text = ntext;
    if ((st = alloc_owned(d, (size_t)src->n_users + 1, sizeof *d->indptr, (void **)&d->indptr)) ||
        (st = alloc_owned(d, (size_t)nnz, sizeof *d->items, (void **)&d->items)) ||
        (st = alloc_owned(d, (size_t)nnz, sizeof *d->times, (void **)&d->times)) ||
        (st = alloc_owned(d, (size_t)nnz, sizeof *d->weights, (void **)&d->weights)) ||
        (src->events && (st = alloc_owned(d, (size_t)nnz, sizeof *d->events, (void **)&d->events))) ||
        (st = alloc_owned(d, (size_t)src->n_users + 1, sizeof *d->text_indptr, (void **)&d->text_indptr)) ||
        (st = alloc_owned(d, (size_t)ntext, sizeof *d->text_items, (void **)&d->text_items)) ||
        (st = alloc_owned(d, (size_t)ntext, sizeof *d->text_times, (void **)&d->text_times)) ||
        (st = alloc_owned(d, (size_t)ntext, sizeof *d->texts, (void **)&d->texts)))
        return st;

    int64_t o = 0, to = 0;
    d->indptr[0] = 0;
    d->text_indptr[0] = 0;
    for (int64_t u = 0; u < src->n_users; u++) {
        int64_t before = o;
        for (int64_t k = src->indptr[u]; k < src->indptr[u + 1]; k++) {
            if (!((mask >> lab[k]) & 1u)) continue;
            d->items[o] = src->items[k];
            d->times[o] = src->times[k];
            d->weights[o] = src->weights[k];
            if (d->events) d->events[o] = src->events[k];
            o++;
        }
        c->users_with_interactions += o > before;
        d->indptr[u + 1] = o;
        for (int64_t k = text_begin(src, u); k < text_end(src, u); k++) {
            if (!((mask >> tlab[k]) & 1u)) continue;
            d->text_items[to] = src->text_items[k];
            d->text_times[to] = src->text_times[k];
            d->texts[to] = src->texts[k];
            to++;
        }
        d->text_indptr[u + 1] = to;
    }
    c->interactions = nnz;
    c->text_events = ntext;
    tide_dataset_checksum(d, d->checksum);
    return TIDE_OK;
}

tide_status tide_split_dataset(const tide_dataset *src, const tide_split_params *p, tide_split *out) {
    memset(out, 0, sizeof *out);
    const char *msg = tide_split_params_check(p);
    if (msg) return tide_error(TIDE_ERR_USAGE, "%s", msg);
    if (src->n_text > 0 && !src->text_indptr)
        return tide_error(TIDE_ERR_INTERNAL, "dataset has text events but no text_indptr");
    out->params = *p;
    out->has_valid = p->method == TIDE_SPLIT_LEAVE_LAST ? p->valid_events > 0 : (p->has_valid_cut || p->valid_fraction > 0);
    if (src->checksum[0]) memcpy(out->source_checksum, src->checksum, sizeof out->source_checksum);
    else tide_dataset_checksum(src, out->source_checksum);
    out->source_counts.interactions = src->nnz;
    out->source_counts.text_events = src->n_text;
    for (int64_t u = 0; u < src->n_users; u++) out->source_counts.users_with_interactions += src->indptr[u + 1] > src->indptr[u];

    tide_status st;
    uint8_t *lab = NULL, *tlab = NULL;
    if (src->nnz == 0) {
        st = tide_error(TIDE_ERR_DATA, "the dataset has no interactions to split");
        goto fail;
    }
    if ((st = check_sorted(src))) goto fail;
    lab = tide_malloc((size_t)src->nnz + 1);
    tlab = tide_malloc((size_t)src->n_text + 1);
    if (!lab || !tlab) {
        st = TIDE_ERR_NOMEM;
        goto fail;
    }
    st = p->method == TIDE_SPLIT_LEAVE_LAST ? label_leave_last(src, out, lab, tlab) : label_time(src, out, lab, tlab);
    if (st) goto fail;
    for (int i = 0; i < TIDE_SPLIT_N_PARTS; i++) {
        if (!out->has_valid && (i == TIDE_SPLIT_VALID || i == TIDE_SPLIT_TRAIN_VALID)) continue;
        if ((st = build_part(src, lab, tlab, part_mask[i], &out->parts[i], &out->counts[i]))) goto fail;
    }
    free(lab);
    free(tlab);
    return TIDE_OK;
fail:
    free(lab);
    free(tlab);
    tide_split_free(out);
    return st;
}
