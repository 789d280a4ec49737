/* corpus.c — the texts tide-embed embeds, one row per text: a dataset's item text (chosen
 * fields joined by newlines), its users' text events, or the lines of a file (see
 * tide/embed.h). The corpus also remembers its source for the manifest. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "tide/embed.h"
#include "tide/fileio.h"

static tide_status nomem(void) { return tide_error(TIDE_ERR_NOMEM, "out of memory"); }

/* Split "a,b" into malloc'ed names (empty names kept, as the user wrote them). */
static char **split_csv(const char *s, int *n) {
    int k = 1;
    for (const char *p = s; *p; p++) k += *p == ',';
    char **v = calloc((size_t)k, sizeof *v);
    if (!v) return NULL;
    for (int i = 0; i < k; i++) {
        size_t l = strcspn(s, ",");
        if (!(v[i] = strndup(s, l))) {
            for (int j = 0; j < i; j++) free(v[j]);
            free(v);
            return NULL;
        }
        s += l + (s[l] == ',');
    }
    *n = k;
    return v;
}

static tide_status set_source(tide_embed_corpus *c, const tide_dataset *ds, const char *path) {
    memcpy(c->dataset_checksum, ds->checksum, sizeof c->dataset_checksum);
    c->dataset_path = strdup(path ? path : "");
    return c->dataset_path ? TIDE_OK : nomem();
}

tide_status tide_embed_corpus_items(tide_dataset *ds, const char *dataset_path, const char *fields_csv,
                                    tide_embed_corpus *c) {
    memset(c, 0, sizeof *c);
    c->kind = TIDE_EMBED_ITEMS;
    c->owned_text = 1;
    int nf = ds->n_text_fields;
    char **names = NULL;
    int *sel = NULL;
    tide_status st = set_source(c, ds, dataset_path);
    if (st) return st;
    if (fields_csv && !(names = split_csv(fields_csv, &nf))) return nomem();
    sel = calloc((size_t)(nf ? nf : 1), sizeof *sel);
    c->fields = calloc((size_t)(nf ? nf : 1), sizeof *c->fields);
    if (!sel || !c->fields) {
        st = nomem();
        goto done;
    }
    for (int f = 0; f < nf; f++) {
        sel[f] = names ? -1 : f;
        for (int k = 0; names && k < ds->n_text_fields; k++)
            if (strcmp(ds->text_fields[k], names[f]) == 0) sel[f] = k;
        if (sel[f] < 0) {
            char have[512] = "";
            for (int k = 0; k < ds->n_text_fields; k++)
                snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", k ? ", " : "", ds->text_fields[k]);
            st = tide_error(TIDE_ERR_USAGE, "--fields: the dataset has no text field '%s' (it has: %s)", names[f],
                            ds->n_text_fields ? have : "none");
            goto done;
        }
        if (!(c->fields[c->n_fields] = strdup(ds->text_fields[sel[f]]))) {
            st = nomem();
            goto done;
        }
        c->n_fields++;
    }
    c->n = ds->n_items;
    c->text = calloc((size_t)(c->n ? c->n : 1), sizeof *c->text);
    c->len = calloc((size_t)(c->n ? c->n : 1), sizeof *c->len);
    if (!c->text || !c->len) {
        st = nomem();
        goto done;
    }
    for (int64_t i = 0; i < c->n; i++) {
        size_t total = 0;
        for (int f = 0; f < nf; f++) {
            const char *t = ds->item_text[i * ds->n_text_fields + sel[f]];
            if (t && *t) total += strlen(t) + 1;
        }
        char *s = malloc(total + 1), *w = s;
        if (!s) {
            st = nomem();
            goto done;
        }
        /* Newlines between fields: BERT's tokenizer treats them as whitespace. */
        for (int f = 0; f < nf; f++) {
            const char *t = ds->item_text[i * ds->n_text_fields + sel[f]];
            if (!t || !*t) continue;
            if (w != s) *w++ = '\n';
            size_t l = strlen(t);
            memcpy(w, t, l);
            w += l;
        }
        *w = 0;
        c->text[i] = s;
        c->len[i] = (size_t)(w - s);
    }
done:
    if (names)
        for (int f = 0; f < nf; f++) free(names[f]);
    free(names);
    free(sel);
    if (st) tide_embed_corpus_free(c);
    return st;
}

tide_status tide_embed_corpus_user_text(tide_dataset *ds, const char *dataset_path, tide_embed_corpus *c) {
    memset(c, 0, sizeof *c);
    c->kind = TIDE_EMBED_USER_TEXT;
    tide_status st = set_source(c, ds, dataset_path);
    if (st) return st;
    c->n = ds->n_text;
    size_t n = (size_t)(c->n ? c->n : 1);
    c->text = calloc(n, sizeof *c->text);
    c->len = calloc(n, sizeof *c->len);
    c->users = malloc(n * sizeof *c->users);
    c->items = malloc(n * sizeof *c->items);
    c->times = malloc(n * sizeof *c->times);
    if (!c->text || !c->len || !c->users || !c->items || !c->times) {
        tide_embed_corpus_free(c);
        return nomem();
    }
    for (int64_t u = 0; u < ds->n_users; u++)
        for (int64_t k = ds->text_indptr[u]; k < ds->text_indptr[u + 1]; k++) c->users[k] = (int32_t)u;
    for (int64_t k = 0; k < c->n; k++) {
        c->text[k] = ds->texts[k];
        c->len[k] = ds->texts[k] ? strlen(ds->texts[k]) : 0;
        c->items[k] = ds->text_items[k];
        c->times[k] = ds->text_times[k];
    }
    return TIDE_OK;
}

tide_status tide_embed_corpus_lines(const char *path, tide_embed_corpus *c) {
    memset(c, 0, sizeof *c);
    c->kind = TIDE_EMBED_LINES;
    size_t size = 0;
    tide_status st = tide_read_file(path, &c->buf, &size);
    if (st) return st;
    if (!(c->input = strdup(path))) {
        tide_embed_corpus_free(c);
        return nomem();
    }
    int64_t n = 0;
    for (size_t i = 0; i < size; i++) n += c->buf[i] == '\n';
    if (size && c->buf[size - 1] != '\n') n++;
    c->n = n;
    c->text = calloc((size_t)(n ? n : 1), sizeof *c->text);
    c->len = calloc((size_t)(n ? n : 1), sizeof *c->len);
    if (!c->text || !c->len) {
        tide_embed_corpus_free(c);
        return nomem();
    }
    char *s = c->buf, *end = c->buf + size;
    for (int64_t k = 0; k < n; k++) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        char *e = nl ? nl : end;
        if (e > s && e[-1] == '\r') e--;
        *e = 0;
        c->text[k] = s;
        c->len[k] = (size_t)(e - s);
        s = (nl ? nl : end) + 1;
    }
    return TIDE_OK;
}

void tide_embed_corpus_free(tide_embed_corpus *c) {
    if (c->owned_text && c->text)
        for (int64_t i = 0; i < c->n; i++) free(c->text[i]);
    free(c->text);
    free(c->len);
    free(c->users);
    free(c->items);
    free(c->times);
    free(c->dataset_path);
    for (int f = 0; f < c->n_fields; f++) free(c->fields[f]);
    free(c->fields);
    free(c->input);
    free(c->buf);
    memset(c, 0, sizeof *c);
}
