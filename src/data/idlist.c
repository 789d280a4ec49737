/* idlist.c — the id-list files beside a dataset: --users, --candidates, --exclude (see
 * tide/idlist.h). Ids are looked up in the dataset's id space, exactly as written. */
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"
#include "tide/idlist.h"

tide_status tide_lines_read(const char *path, tide_lines *L) {
    memset(L, 0, sizeof *L);
    size_t size = 0;
    tide_status st = tide_read_file(path, &L->buf, &size);
    if (st) return st;
    int64_t cap = 1;
    for (size_t i = 0; i < size; i++) cap += L->buf[i] == '\n';
    L->line = calloc((size_t)cap, sizeof *L->line);
    L->lineno = calloc((size_t)cap, sizeof *L->lineno);
    if (!L->line || !L->lineno) {
        tide_lines_free(L);
        return tide_error(TIDE_ERR_NOMEM, "%s: out of memory for %lld lines", path, (long long)cap);
    }
    char *p = L->buf, *end = L->buf + size;
    int64_t no = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        no++;
        if (memchr(p, 0, (size_t)(e - p))) {
            tide_lines_free(L);
            return tide_error(TIDE_ERR_DATA, "%s:%lld: NUL byte in the line", path, (long long)no);
        }
        *e = 0;
        if (e > p && e[-1] == '\r') e[-1] = 0;
        if (*p) {
            L->line[L->n] = p;
            L->lineno[L->n++] = no;
        }
        p = e + 1;
    }
    return TIDE_OK;
}

void tide_lines_free(tide_lines *L) {
    free(L->buf);
    free(L->line);
    free(L->lineno);
    memset(L, 0, sizeof *L);
}

tide_status tide_idlist_users(const char *path, tide_dataset *ds, int64_t **out, int64_t *n) {
    tide_lines L;
    tide_status st = tide_lines_read(path, &L);
    int64_t *u = NULL;
    uint8_t *seen = NULL;
    if (st) return st;
    u = malloc((size_t)L.n * sizeof *u + 1);
    seen = calloc((size_t)ds->n_users + 1, 1);
    if (!u || !seen) {
        st = tide_error(TIDE_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int64_t i = 0; i < L.n; i++) {
        int64_t x = tide_dataset_user_index(ds, L.line[i]);
        if (x < 0) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: unknown user id '%s' (not in --data)", path, (long long)L.lineno[i],
                            L.line[i]);
            goto done;
        }
        if (seen[x]) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: user id '%s' listed twice", path, (long long)L.lineno[i], L.line[i]);
            goto done;
        }
        seen[x] = 1;
        u[i] = x;
    }
    *out = u;
    *n = L.n;
    u = NULL;
done:
    free(u);
    free(seen);
    tide_lines_free(&L);
    return st;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

tide_status tide_idlist_items(const char *path, tide_dataset *ds, int32_t **out, int64_t *n) {
    tide_lines L;
    tide_status st = tide_lines_read(path, &L);
    if (st) return st;
    int32_t *c = malloc((size_t)L.n * sizeof *c + 1);
    if (!c) {
        st = tide_error(TIDE_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int64_t i = 0; i < L.n; i++) {
        int64_t x = tide_dataset_item_index(ds, L.line[i]);
        if (x < 0) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: unknown item id '%s' (not in --data)", path, (long long)L.lineno[i],
                            L.line[i]);
            goto done;
        }
        c[i] = (int32_t)x;
    }
    qsort(c, (size_t)L.n, sizeof *c, cmp_i32);
    int64_t w = 0;
    for (int64_t i = 0; i < L.n; i++)
        if (i == 0 || c[i] != c[i - 1]) c[w++] = c[i];
    if (w == 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: the allow-list is empty", path);
        goto done;
    }
    *out = c;
    *n = w;
    c = NULL;
done:
    free(c);
    tide_lines_free(&L);
    return st;
}

tide_status tide_idlist_pairs(const char *path, tide_dataset *ds, int64_t **pu, int32_t **pi, int64_t *n,
                              int64_t *unknown) {
    tide_lines L;
    tide_status st = tide_lines_read(path, &L);
    if (st) return st;
    int64_t w = 0, bad = 0;
    int64_t *u = malloc((size_t)L.n * sizeof *u + 1);
    int32_t *it = malloc((size_t)L.n * sizeof *it + 1);
    if (!u || !it) {
        st = tide_error(TIDE_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int64_t i = 0; i < L.n; i++) {
        char *s = L.line[i];
        char *tab = strchr(s, '\t');
        if (!tab || strchr(tab + 1, '\t') || tab == s || !tab[1]) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: expected `user<TAB>item`", path, (long long)L.lineno[i]);
            goto done;
        }
        *tab = 0;
        int64_t x = tide_dataset_user_index(ds, s), y = tide_dataset_item_index(ds, tab + 1);
        if (x < 0 || y < 0) {
            bad++;
            continue;
        }
        u[w] = x;
        it[w++] = (int32_t)y;
    }
    *pu = u;
    *pi = it;
    *n = w;
    *unknown = bad;
    u = NULL;
    it = NULL;
done:
    free(u);
    free(it);
    tide_lines_free(&L);
    return st;
}
