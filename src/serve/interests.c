/* interests.c — a user's interests as far as their history and the catalog say, for
 * GET /interests until the dynamic-interest model (src/interest/) provides per-user state.
 *
 * Labels are catalog categories (e.g. MovieLens "genres", split on '|'), or the items
 * themselves when the catalog has no category field. Long-term strength: each label's share of
 * the user's total event weight; short-term: the same over the last `recent` events; drift: the
 * total variation distance between the two distributions (0 = the recent events look like the
 * whole history, 1 = nothing in common). Nothing here is learnt: it is counting, stated as such
 * in docs/tide-serve.md. */
#define _GNU_SOURCE
#include "tide/serve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int tide_serve_interest_field(const tide_dataset *ds, const char *want) {
    static const char *names[] = {"genres", "genre", "category", "categories", "tags", NULL};
    for (int f = 0; f < ds->n_text_fields; f++)
        if (want && !strcmp(ds->text_fields[f], want)) return f;
    if (want) return -1;
    for (int k = 0; names[k]; k++)
        for (int f = 0; f < ds->n_text_fields; f++)
            if (!strcasecmp(ds->text_fields[f], names[k])) return f;
    return -1;
}

typedef struct acc {
    char label[96];
    double lw, sw;
    int64_t last, events;
} acc;

static acc *find_or_add(acc *a, int *n, int cap, const char *label, size_t len) {
    if (len >= sizeof a[0].label) len = sizeof a[0].label - 1;
    for (int i = 0; i < *n; i++)
        if (strlen(a[i].label) == len && !memcmp(a[i].label, label, len)) return &a[i];
    if (*n >= cap) return NULL;
    acc *x = &a[(*n)++];
    memset(x, 0, sizeof *x);
    memcpy(x->label, label, len);
    x->label[len] = 0;
    x->last = INT64_MIN;
    return x;
}

static int cmp_acc(const void *pa, const void *pb) {
    const acc *a = pa, *b = pb;
    /* Long and short shares together: a new interest must not be cut for being new. */
    double x = a->lw + a->sw, y = b->lw + b->sw;
    if (x != y) return x > y ? -1 : 1;
    return strcmp(a->label, b->label);
}

void tide_serve_interests_compute(const tide_dataset *ds, int field, const tide_serve_history *h, int recent,
                                  tide_serve_interests *out) {
    memset(out, 0, sizeof *out);
    out->field = field >= 0 ? ds->text_fields[field] : "item";
    enum { CAP = 512 };
    acc *a = calloc(CAP, sizeof *a);
    if (!a) return;
    int n = 0;
    int64_t first_recent = h->n > recent ? h->n - recent : 0;
    double total_l = 0, total_s = 0;
    for (int64_t e = 0; e < h->n; e++) {
        int32_t it = h->items[e];
        double w = h->weights[e] > 0 ? h->weights[e] : 0;
        int is_recent = e >= first_recent;
        const char *txt = field >= 0 ? ds->item_text[(size_t)it * (size_t)ds->n_text_fields + (size_t)field] : NULL;
        const char *labels = field >= 0 ? (txt ? txt : "") : ds->item_ids[it];
        int nl = 0;
        /* Split on | , ; — a movie in three genres gives each a third of its weight. */
        for (int pass = 0; pass < 2; pass++) {
            const char *p = labels;
            int cnt = 0;
            while (*p) {
                size_t len = field >= 0 ? strcspn(p, "|,;") : strlen(p);
                const char *s0 = p;
                while (len && (*s0 == ' ')) s0++, len--;
                while (len && s0[len - 1] == ' ') len--;
                if (len && !(field >= 0 && len == 18 && !strncmp(s0, "(no genres listed)", 18))) {
                    if (pass == 1) {
                        acc *x = find_or_add(a, &n, CAP, s0, len);
                        if (x) {
                            x->lw += w / nl;
                            if (is_recent) x->sw += w / nl;
                            if (h->times[e] > x->last) x->last = h->times[e];
                            x->events++;
                        }
                    }
                    cnt++;
                }
                p = s0 + len;
                while (*p && *p != '|' && *p != ',' && *p != ';') p++;
                if (*p) p++;
            }
            nl = cnt;
            if (!nl) break;
        }
        if (nl) {
            total_l += w;
            if (is_recent) total_s += w;
        }
    }
    out->short_events = h->n - first_recent;
    double tv = 0;
    for (int i = 0; i < n; i++) {
        double l = total_l > 0 ? a[i].lw / total_l : 0, s = total_s > 0 ? a[i].sw / total_s : 0;
        tv += fabs(l - s);
        a[i].lw = l;
        a[i].sw = s;
    }
    out->drift = total_s > 0 ? tv / 2 : 0;
    qsort(a, (size_t)n, sizeof *a, cmp_acc);
    int cap = (int)(sizeof out->v / sizeof out->v[0]);
    for (int i = 0; i < n && out->n < cap; i++) {
        tide_serve_interest *v = &out->v[out->n++];
        snprintf(v->label, sizeof v->label, "%s", a[i].label);
        v->long_share = a[i].lw;
        v->short_share = a[i].sw;
        v->last_active = a[i].last;
        v->events = a[i].events;
    }
    free(a);
}
