/* interest-impl.h — internal to src/interest: the table of the interest dir's per-user arrays
 * (one place that names them, their dtypes and row shapes, for the writer, the loader, the row
 * copy and the delta overlay) and the row-level reader the loader and tide-eval's label reader share;
 * the content profile that both scoring regimes (features.c, large.c) build; and the sorted
 * (a, b, w) triplets of the transition table and of seq's regression. */
#ifndef TIDE_INTEREST_IMPL_H
#define TIDE_INTEREST_IMPL_H

#include <cjson/cJSON.h>

#include "tide/interest.h"
#include "tide/npy.h"

#define TIDE_INTEREST_STATE_ARRAYS 17

typedef struct tide_interest_state_array {
    const char *name;      /* file stem: name.npy (base), delta_name.npy (delta rows) */
    tide_dtype dtype;
    int nd;                /* rank of the file, rows included */
    int64_t dims[2];       /* the shape after the row dimension (nd - 1 of them) */
    size_t row_bytes;
    void **field;          /* the array's pointer in the states struct */
} tide_interest_state_array;

/* The per-user arrays present for S's dimensions (long/short CF only with ALS factors, LM-space
 * rows only with a space), in the dir's order; returns how many. */
int tide_interest_state_arrays(tide_interest_states *S, tide_interest_state_array *out);
/* Row i of dst := row j of src (same dimensions). */
void tide_interest_states_copy_row(tide_interest_states *dst, int64_t i, const tide_interest_states *src, int64_t j);

/* An interest dir's per-user layout (docs/tide-capture-interest.md, "Incremental updates"):
 * base arrays hold rows [0, base_users); delta_users (sorted, distinct, < users) lists the users
 * whose rows are in the delta_*.npy files instead — every user >= base_users is among them. */
typedef struct tide_interest_layout {
    int64_t users, base_users, n_delta;
    int64_t *delta_users;  /* owned; NULL when there is no delta */
} tide_interest_layout;

/* Read the layout from a parsed manifest (`mpath` for messages) and DIR/delta_users.npy, checked. */
tide_status tide_interest_layout_read(const char *dir, const char *mpath, const cJSON *man, int64_t users,
                                      tide_interest_layout *L);
void tide_interest_layout_free(tide_interest_layout *L);
/* One per-user array as the users see it: base rows overlaid with delta rows, into dst
 * [L->users * row_elems] (shapes checked against dims). `name` without ".npy". */
tide_status tide_interest_rows_load(const char *dir, const tide_interest_layout *L, const char *name, tide_dtype dt,
                                    int nd, const int64_t *dims, void *dst);

/* long_cf (pref 1) and, when short_cf is not NULL, short_cf (pref = prefs[j]) of a history's
 * items with confidence weights (NULL = 1): ALS fold-ins against it's item factors and Gram (cf.c). */
tide_status tide_interest_cf_fold_in(const tide_interest_items *it, const int32_t *items, const float *weights,
                                     const float *prefs, int64_t n, float *long_cf, float *short_cf);

/* profile = Σ w_k V[items_k] (rows with w_k > 0), L2-normalised into out [d]; returns its norm
 * before normalising (0: no profile). */
double tide_interest_profile(const float *V, int d, const int32_t *items, const float *w, int64_t n, float *out);

/* seq's weight of the j-th most recent event (j = 0: the latest before the target, or the user's
 * latest when scoring), `age` seconds old: exp(−j/τ) · 2^(−age/h), each factor off at 0 (seq.c);
 * the fit's prefixes and the scoring row (features.c) use the same. */
double tide_interest_seq_weight(const tide_interest_decay *d, int64_t j, double age);

/* (a, b, w) triplets: sorted by (a, b), duplicates merged by summing w (in sorted order);
 * returns how many remain (items.c: the transition table; seq.c: its regression's pairs). */
typedef struct { int32_t a, b; float w; } tide_interest_pair;
void tide_interest_pairs_sort(tide_interest_pair *t, int64_t n);
int64_t tide_interest_pairs_merge(tide_interest_pair *t, int64_t n);

#endif
