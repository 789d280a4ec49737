/* segments.c — user segments (`user<TAB>label` TSV, e.g. a drift bucket or an activity level):
 * groups the evaluated users by label so every table can be repeated per segment. Users of the
 * file that are not evaluated are counted and ignored; evaluated users missing from the file
 * form the segment "(none)". */
#define _GNU_SOURCE
#include "tide/eval.h"

#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"

tide_status tide_eval_segments_load(const char *path, const tide_eval_truth *t, tide_eval_segments *s) {
    memset(s, 0, sizeof *s);
    char *buf = NULL;
    size_t size;
    int32_t *label_of = NULL;
    tide_strmap labels;
    memset(&labels, 0, sizeof labels);
    tide_status st = tide_read_file(path, &buf, &size);
    if (st != TIDE_OK) return st;
    snprintf(s->checksum, sizeof s->checksum, "crc32:%08x", tide_crc32(0, buf, size));
    label_of = tide_malloc((size_t)(t->n_eval > 0 ? t->n_eval : 1) * sizeof *label_of);
    if (!label_of || (st = tide_strmap_init(&labels, 64)) != TIDE_OK) {
        st = st != TIDE_OK ? st : TIDE_ERR_NOMEM;
        goto done;
    }
    for (int64_t e = 0; e < t->n_eval; e++) label_of[e] = -1;
    uint64_t line = 0;
    for (const char *p = buf, *bend = buf + size; p < bend;) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(bend - p));
        const char *end = nl ? nl : bend, *next = nl ? nl + 1 : bend;
        if (end > p && end[-1] == '\r') end--;
        if (end == p) {
            p = next;
            continue;
        }
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        if (!tab || tab == p || tab + 1 == end || memchr(tab + 1, '\t', (size_t)(end - tab - 1))) {
            st = tide_error(TIDE_ERR_DATA, "%s:%llu: malformed line: expected 'user<TAB>label'", path,
                            (unsigned long long)line);
            goto done;
        }
        int64_t u = tide_strmap_find(&t->users, p, (size_t)(tab - p));
        int64_t e = u >= 0 ? t->eval_of_user[u] : -1;
        if (e < 0) {
            s->n_unknown_users++;
        } else {
            int64_t li;
            int added;
            if ((st = tide_strmap_intern(&labels, tab + 1, (size_t)(end - tab - 1), &li, &added)) != TIDE_OK) goto done;
            if (label_of[e] >= 0) {
                st = tide_error(TIDE_ERR_DATA, "%s:%llu: user '%.*s' has a label already (each user belongs to one segment)",
                                path, (unsigned long long)line, (int)(tab - p > 120 ? 120 : tab - p), p);
                goto done;
            }
            label_of[e] = (int32_t)li;
        }
        p = next;
    }
    int64_t n_none = 0;
    for (int64_t e = 0; e < t->n_eval; e++) n_none += label_of[e] < 0;
    s->n_labels = (int)labels.count + (n_none > 0);
    s->labels = tide_calloc((size_t)s->n_labels + 1, sizeof *s->labels);
    s->offsets = tide_calloc((size_t)s->n_labels + 1, sizeof *s->offsets);
    s->members = tide_malloc((size_t)(t->n_eval > 0 ? t->n_eval : 1) * sizeof *s->members);
    if (!s->labels || !s->offsets || !s->members) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < (int)labels.count; i++)
        if (!(s->labels[i] = strdup(labels.keys[i]))) st = TIDE_ERR_NOMEM;
    if (n_none && !(s->labels[s->n_labels - 1] = strdup("(none)"))) st = TIDE_ERR_NOMEM;
    if (st != TIDE_OK) goto done;
    for (int64_t e = 0; e < t->n_eval; e++) {
        int l = label_of[e] >= 0 ? label_of[e] : s->n_labels - 1;
        s->offsets[l + 1]++;
    }
    for (int l = 0; l < s->n_labels; l++) s->offsets[l + 1] += s->offsets[l];
    {
        int64_t *fill = tide_malloc((size_t)(s->n_labels + 1) * sizeof *fill);
        if (!fill) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
        memcpy(fill, s->offsets, (size_t)(s->n_labels + 1) * sizeof *fill);
        for (int64_t e = 0; e < t->n_eval; e++) {
            int l = label_of[e] >= 0 ? label_of[e] : s->n_labels - 1;
            s->members[fill[l]++] = e;
        }
        free(fill);
    }
done:
    free(buf);
    free(label_of);
    if (labels.slots) tide_strmap_free(&labels);
    if (st != TIDE_OK) tide_eval_segments_free(s);
    return st;
}

void tide_eval_segments_free(tide_eval_segments *s) {
    if (s->labels)
        for (int i = 0; i < s->n_labels; i++) free(s->labels[i]);
    free(s->labels);
    free(s->offsets);
    free(s->members);
    memset(s, 0, sizeof *s);
}
