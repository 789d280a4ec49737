/* csv2ds.c — benchmark helper: MovieLens ratings.csv (userId,movieId,rating,timestamp) to tide
 * dataset directories, every rating an implicit interaction of weight 1, users and items in
 * first-appearance order. With --leave-last it writes OUT/train, OUT/valid, OUT/test by the
 * reference protocol of ../shared/data/README.md (per user, events ordered by (timestamp, line
 * order); test = the last event, valid = the second last), and OUT/trainvalid = train + valid
 * (what a final model trains on before the test). Stands in for tide-ingest/tide-split
 * until those land; built by bench/train-mf/run.sh against build/libtide.a. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/dataset.h"
#include "tide/fileio.h"

typedef struct { int32_t u, i; int64_t t, line; } ev;

static int cmp_ev(const void *a, const void *b) {
    const ev *x = a, *y = b;
    if (x->u != y->u) return x->u < y->u ? -1 : 1;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int32_t intern(char ***ids, int64_t *n, int32_t **map, int64_t *cap, long key) {
    if (key >= *cap) {
        int64_t nc = (key + 1) * 2;
        *map = realloc(*map, nc * sizeof **map);
        for (int64_t k = *cap; k < nc; k++) (*map)[k] = -1;
        *cap = nc;
    }
    if ((*map)[key] < 0) {
        *ids = realloc(*ids, (*n + 1) * sizeof **ids);
        asprintf(&(*ids)[*n], "%ld", key);
        (*map)[key] = (int32_t)(*n)++;
    }
    return (*map)[key];
}

static int save(const char *dir, char **uids, int64_t nu, char **iids, int64_t ni, ev *e, int64_t n) {
    tide_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n_users = nu; ds.n_items = ni; ds.nnz = n;
    ds.user_ids = uids; ds.item_ids = iids;
    ds.indptr = calloc(nu + 1, sizeof(int64_t));
    ds.items = malloc(n * sizeof(int32_t) + 1);
    ds.times = malloc(n * sizeof(int64_t) + 1);
    ds.weights = malloc(n * sizeof(float) + 1);
    for (int64_t k = 0; k < n; k++) {
        ds.indptr[e[k].u + 1]++;
        ds.items[k] = e[k].i; ds.times[k] = e[k].t; ds.weights[k] = 1.0f;
    }
    for (int64_t u = 0; u < nu; u++) ds.indptr[u + 1] += ds.indptr[u];
    tide_status st = tide_dataset_save(dir, &ds);
    if (st) fprintf(stderr, "csv2ds: %s\n", tide_error_message());
    free(ds.indptr); free(ds.items); free(ds.times); free(ds.weights);
    ds.indptr = NULL; ds.items = NULL; ds.times = NULL; ds.weights = NULL; ds.user_ids = ds.item_ids = NULL;
    tide_dataset_free(&ds);
    return st ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: csv2ds ratings.csv OUT [--leave-last]\n"); return 2; }
    int split = argc > 3 && strcmp(argv[3], "--leave-last") == 0;
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    char line[512];
    ev *e = NULL;
    int64_t n = 0, cap = 0, nu = 0, ni = 0, ucap = 0, icap = 0;
    char **uids = NULL, **iids = NULL;
    int32_t *umap = NULL, *imap = NULL;
    if (!fgets(line, sizeof line, f)) return 1; /* header */
    while (fgets(line, sizeof line, f)) {
        long u, i; double r; long long t;
        if (sscanf(line, "%ld,%ld,%lf,%lld", &u, &i, &r, &t) != 4) continue;
        if (n == cap) { cap = cap ? cap * 2 : 1 << 16; e = realloc(e, cap * sizeof *e); }
        e[n].u = intern(&uids, &nu, &umap, &ucap, u);
        e[n].i = intern(&iids, &ni, &imap, &icap, i);
        e[n].t = t;
        e[n].line = n;
        n++;
    }
    fclose(f);
    qsort(e, n, sizeof *e, cmp_ev);
    int rc;
    if (!split) rc = save(argv[2], uids, nu, iids, ni, e, n);
    else {
        ev *tr = malloc(n * sizeof *tr), *va = malloc(nu * sizeof *va), *te = malloc(nu * sizeof *te);
        ev *tv = malloc(n * sizeof *tv);
        int64_t a = 0, b = 0, c = 0, d = 0;
        for (int64_t k = 0; k < n;) {
            int64_t j = k;
            while (j < n && e[j].u == e[k].u) j++;
            for (int64_t q = k; q < j; q++) {
                if (q == j - 1 && j - k >= 3) te[c++] = e[q];
                else if (q == j - 2 && j - k >= 3) { va[b++] = e[q]; tv[d++] = e[q]; }
                else { tr[a++] = e[q]; tv[d++] = e[q]; }
            }
            k = j;
        }
        tide_mkdirs(argv[2]);
        char *p1 = tide_path_join(argv[2], "train"), *p2 = tide_path_join(argv[2], "valid"), *p3 = tide_path_join(argv[2], "test");
        char *p4 = tide_path_join(argv[2], "trainvalid");
        rc = save(p1, uids, nu, iids, ni, tr, a) || save(p2, uids, nu, iids, ni, va, b) || save(p3, uids, nu, iids, ni, te, c) ||
             save(p4, uids, nu, iids, ni, tv, d);
        free(p1); free(p2); free(p3); free(p4); free(tr); free(va); free(te); free(tv);
    }
    for (int64_t k = 0; k < nu; k++) free(uids[k]);
    for (int64_t k = 0; k < ni; k++) free(iids[k]);
    free(uids); free(iids); free(umap); free(imap); free(e);
    return rc;
}
