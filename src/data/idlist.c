/* idlist.c — `--users`, `--candidates` and `--exclude` files: lines of ids resolved against a
 * dataset (see include/tide/idlist.h). Lives in the library (not in tide-recommend) so that every
 * program taking these lists reads them alike, and so the parser can be fuzzed. */
#define _GNU_SOURCE
#include "tide/idlist.h"

#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

void tide_idlist_free(tide_idlist *L) {
    free(L->buf);
    free(L->line);
    free(L->len);
    free(L->lineno);
    memset(L, 0, sizeof *L);
}

tide_status tide_idlist_parse(char *buf, size_t size, const char *path, tide_idlist *L) {
    memset(L, 0, sizeof *L);
    L->buf = buf;
    L->path = path;
    size_t cap = 1;
    for (size_t i = 0; i < size; i++) cap += buf[i] == '\n';
    L->line = malloc(cap * sizeof *L->line);
    L->len = malloc(cap * sizeof *L->len);
    L->lineno = malloc(cap * sizeof *L->lineno);
    if (!L->line || !L->len || !L->lineno) {
        tide_idlist_free(L);
        return tide_error(TIDE_ERR_NOMEM, "%s: out of memory for %zu lines", path, cap);
    }
    char *p = buf, *end = buf + size;
    int64_t no = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        no++;
        if (len && p[len - 1] == '\r') len--;
        char *e = p + len;
        /* The ids are compared as C strings: a NUL would make "a\0b" the id "a". */
        if (memchr(p, 0, len)) {
            tide_status st = tide_error(TIDE_ERR_DATA, "%s:%lld: NUL byte in the line", path, (long long)no);
            tide_idlist_free(L);
            return st;
        }
        if (len) {
            L->line[L->n] = p;
            L->len[L->n] = len;
            L->lineno[L->n++] = no;
        }
        char *next = nl ? nl + 1 : end;
        *e = 0; /* inside the buffer: e < end, or the file's last byte was read into size + 1 */
        p = next;
    }
    return TIDE_OK;
}

tide_status tide_idlist_read(const char *path, tide_idlist *L) {
    memset(L, 0, sizeof *L);
    char *buf = NULL;
    size_t size = 0;
    tide_status st = tide_read_file(path, &buf, &size);
    if (st) return st;
    return tide_idlist_parse(buf, size, path, L);
}

tide_status tide_idlist_users(const tide_idlist *L, tide_dataset *ds, int64_t **out, int64_t *n) {
    tide_status st = TIDE_OK;
    int64_t *u = malloc((size_t)L->n * sizeof *u + 1);
    uint8_t *seen = calloc((size_t)ds->n_users + 1, 1);
    if (!u || !seen) {
        st = tide_error(TIDE_ERR_NOMEM, "%s: out of memory", L->path);
        goto done;
    }
    for (int64_t i = 0; i < L->n; i++) {
        int64_t x = tide_dataset_user_index(ds, L->line[i]);
        if (x < 0) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: unknown user id '%s' (not in --data)", L->path, (long long)L->lineno[i],
                            L->line[i]);
            goto done;
        }
        if (seen[x]) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: user id '%s' listed twice", L->path, (long long)L->lineno[i], L->line[i]);
            goto done;
        }
        seen[x] = 1;
        u[i] = x;
    }
    *out = u;
    *n = L->n;
    u = NULL;
done:
    free(u);
    free(seen);
    return st;
}

tide_status tide_idlist_items(const tide_idlist *L, tide_dataset *ds, int32_t **out, int64_t *n) {
    tide_status st = TIDE_OK;
    int32_t *c = malloc((size_t)L->n * sizeof *c + 1);
    if (!c) return tide_error(TIDE_ERR_NOMEM, "%s: out of memory", L->path);
    for (int64_t i = 0; i < L->n; i++) {
        int64_t x = tide_dataset_item_index(ds, L->line[i]);
        if (x < 0) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: unknown item id '%s' (not in --data)", L->path, (long long)L->lineno[i],
                            L->line[i]);
            goto done;
        }
        c[i] = (int32_t)x;
    }
    qsort(c, (size_t)L->n, sizeof *c, cmp_i32);
    int64_t w = 0;
    for (int64_t i = 0; i < L->n; i++)
        if (i == 0 || c[i] != c[i - 1]) c[w++] = c[i];
    if (w == 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: the allow-list is empty", L->path);
        goto done;
    }
    *out = c;
    *n = w;
    c = NULL;
done:
    free(c);
    return st;
}

tide_status tide_idlist_pairs(const tide_idlist *L, tide_dataset *ds, int64_t **users, int32_t **items, int64_t *n,
                              int64_t *unknown) {
    tide_status st = TIDE_OK;
    int64_t *u = malloc((size_t)L->n * sizeof *u + 1);
    int32_t *it = malloc((size_t)L->n * sizeof *it + 1);
    int64_t w = 0;
    *unknown = 0;
    if (!u || !it) {
        st = tide_error(TIDE_ERR_NOMEM, "%s: out of memory", L->path);
        goto done;
    }
    for (int64_t i = 0; i < L->n; i++) {
        char *s = L->line[i];
        char *tab = strchr(s, '\t');
        if (!tab || strchr(tab + 1, '\t') || tab == s || !tab[1]) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: expected `user<TAB>item`", L->path, (long long)L->lineno[i]);
            goto done;
        }
        *tab = 0; /* split in place: the list is not used as lines after this */
        int64_t x = tide_dataset_user_index(ds, s), y = tide_dataset_item_index(ds, tab + 1);
        *tab = '\t';
        if (x < 0 || y < 0) {
            ++*unknown;
            continue;
        }
        u[w] = x;
        it[w++] = (int32_t)y;
    }
    *users = u;
    *items = it;
    *n = w;
    u = NULL;
    it = NULL;
done:
    free(u);
    free(it);
    return st;
}
