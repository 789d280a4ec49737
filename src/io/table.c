/* table.c — one interface over CSV, TSV and JSON lines: format detection, the header, columns by
 * name, and field values as text.
 *
 * Detection: an explicit format wins; else the extension (after an optional .gz); else the first
 * non-blank line ('{' → JSON lines; a tab and no comma → TSV; otherwise CSV). The first line is
 * only peeked at, so standard input works (nothing is read twice).
 *
 * CSV/TSV rows must have as many fields as the header: a short or long row is a bad row, which is
 * how a stray quote or delimiter usually shows itself. JSON values are looked up by key per row;
 * numbers are turned back into text (integers without ".0") so that an id is the same whether a
 * file writes it as 123 or "123".
 */
#define _GNU_SOURCE
#include "bufsrc.h"

#include <cjson/cJSON.h>

#include "tide/json.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tide_table {
    tide_table_format format;
    char *path;
    tide_table_params p;
    tide_csv *csv;
    tide_jsonl *jsonl;
    tide_instream *in;       /* owned by csv/jsonl */
    /* CSV header */
    int n_header;
    char **header;
    /* JSONL column names and number scratch */
    int n_cols;
    char **cols;
    char **numbuf;     /* per JSON column: a number's raw token, NUL-terminated */
    size_t *numcap;
    /* current row */
    tide_record rec;
    cJSON *obj;
    char err[256];
    const char *row_error;
};

int tide_table_format_parse(const char *s, tide_table_format *out) {
    static const char *names[] = {"auto", "csv", "tsv", "jsonl"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (tide_table_format)i;
            return 0;
        }
    if (strcmp(s, "json") == 0 || strcmp(s, "ndjson") == 0) {
        *out = TIDE_TABLE_JSONL;
        return 0;
    }
    return -1;
}

const char *tide_table_format_name(tide_table_format f) {
    switch (f) {
    case TIDE_TABLE_CSV: return "csv";
    case TIDE_TABLE_TSV: return "tsv";
    case TIDE_TABLE_JSONL: return "jsonl";
    default: return "auto";
    }
}

void tide_table_params_default(tide_table_params *p) {
    p->format = TIDE_TABLE_AUTO;
    p->delimiter = 0;
    p->max_field_bytes = TIDE_READER_DEFAULT_MAX_FIELD;
}

static int ends_with(const char *s, size_t n, const char *suf) {
    size_t k = strlen(suf);
    return n >= k && strncasecmp(s + n - k, suf, k) == 0;
}

static tide_table_format format_from_name(const char *path) {
    size_t n = strlen(path);
    if (ends_with(path, n, ".gz")) n -= 3;
    if (ends_with(path, n, ".csv")) return TIDE_TABLE_CSV;
    if (ends_with(path, n, ".tsv") || ends_with(path, n, ".tab")) return TIDE_TABLE_TSV;
    if (ends_with(path, n, ".jsonl") || ends_with(path, n, ".ndjson") || ends_with(path, n, ".json")) return TIDE_TABLE_JSONL;
    return TIDE_TABLE_AUTO;
}

static tide_table_format format_from_line(const char *line, size_t n) {
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i < n && line[i] == '{') return TIDE_TABLE_JSONL;
    if (memchr(line, '\t', n) && !memchr(line, ',', n)) return TIDE_TABLE_TSV;
    return TIDE_TABLE_CSV;
}

void tide_table_close(tide_table *t) {
    if (!t) return;
    tide_csv_close(t->csv);
    tide_jsonl_close(t->jsonl);
    for (int i = 0; i < t->n_header; i++) free(t->header[i]);
    free(t->header);
    for (int i = 0; i < t->n_cols; i++) free(t->cols[i]);
    free(t->cols);
    for (int i = 0; t->numbuf && i < t->n_cols; i++) free(t->numbuf[i]);
    free(t->numbuf);
    free(t->numcap);
    free(t->path);
    free(t);
}

static tide_status read_header(tide_table *t) {
    int eof;
    tide_status st = tide_csv_next(t->csv, &t->rec, &eof);
    if (st) return st;
    if (eof) return tide_error(TIDE_ERR_DATA, "%s: empty input (a header row is required)", t->path);
    if (t->rec.error) return tide_error(TIDE_ERR_DATA, "%s:%lld: bad header: %s", t->path, (long long)t->rec.line, t->rec.error);
    t->header = calloc((size_t)t->rec.n_fields, sizeof *t->header);
    if (!t->header) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < t->rec.n_fields; i++) {
        if (!(t->header[i] = strndup(t->rec.fields[i].ptr, t->rec.fields[i].len))) return tide_error(TIDE_ERR_NOMEM, "out of memory");
        t->n_header++;
    }
    return TIDE_OK;
}

tide_status tide_table_open_stream(tide_table **out, tide_instream *in, const tide_table_params *params) {
    *out = NULL;
    tide_table_params def;
    if (!params) {
        tide_table_params_default(&def);
        params = &def;
    }
    tide_table *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(tide_instream_name(in)))) {
        free(t);
        tide_instream_close(in);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    t->p = *params;
    if (!t->p.max_field_bytes) t->p.max_field_bytes = TIDE_READER_DEFAULT_MAX_FIELD;
    tide_csv_params cp;
    tide_csv_params_default(&cp);
    cp.max_field_bytes = t->p.max_field_bytes;
    size_t max_line = csv_record_limit(&cp);

    /* A 1 MiB read buffer, or less for a small plain file: a per-call megabyte of fresh pages
     * dominated reading small inputs (~340 ingests of a tiny file a second under ASan); the
     * buffer still grows (doubling) for longer records. */
    size_t cap0 = (size_t)1 << 20;
    uint64_t fsize = tide_instream_file_size(in);
    if (fsize > 0 && !tide_instream_is_gzip(in) && fsize < cap0) {
        cap0 = 4096;
        while (cap0 < fsize + 64) cap0 *= 2;
    }
    tide_bufsrc b;
    tide_status st = bufsrc_init(&b, in, cap0, max_line);
    if (st) {
        tide_instream_close(in);
        tide_table_close(t);
        return st;
    }
    tide_table_format f = params->format;
    if (f == TIDE_TABLE_AUTO) f = format_from_name(t->path);
    if (f == TIDE_TABLE_AUTO) {
        const char *line;
        size_t n;
        if ((st = bufsrc_peek_line(&b, &line, &n))) {
            tide_instream_close(in);
            bufsrc_free(&b);
            tide_table_close(t);
            return st;
        }
        f = line ? format_from_line(line, n) : TIDE_TABLE_CSV;
    }
    t->format = f;
    if (f == TIDE_TABLE_JSONL) {
        st = jsonl_open_bufsrc(&t->jsonl, &b, max_line);
    } else {
        cp.delimiter = params->delimiter ? params->delimiter : f == TIDE_TABLE_TSV ? '\t' : ',';
        st = csv_open_bufsrc(&t->csv, &b, &cp);
        if (!st) st = read_header(t);
    }
    if (st) {
        tide_table_close(t);
        return st;
    }
    *out = t;
    return TIDE_OK;
}

tide_status tide_table_open(tide_table **t, const char *path, const tide_table_params *p) {
    tide_instream *in;
    *t = NULL;
    tide_status st = tide_instream_open(&in, path);
    if (st) return st;
    return tide_table_open_stream(t, in, p);
}

tide_table_format tide_table_get_format(const tide_table *t) { return t->format; }
const char *tide_table_path(const tide_table *t) { return t->path; }
int tide_table_header_count(const tide_table *t) { return t->n_header; }
const char *tide_table_header_name(const tide_table *t, int i) { return i >= 0 && i < t->n_header ? t->header[i] : NULL; }
int64_t tide_table_line(const tide_table *t) { return t->rec.line; }
const char *tide_table_row_error(const tide_table *t) { return t->row_error; }
const tide_field *tide_table_row_fields(const tide_table *t) { return t->csv ? t->rec.fields : NULL; }
tide_instream *tide_table_stream(tide_table *t) { return t->csv ? tide_csv_stream(t->csv) : tide_jsonl_stream(t->jsonl); }

int tide_table_column(tide_table *t, const char *name) {
    if (t->format != TIDE_TABLE_JSONL) {
        for (int i = 0; i < t->n_header; i++)
            if (strcmp(t->header[i], name) == 0) return i;
        return -1;
    }
    for (int i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i], name) == 0) return i;
    char **nc = realloc(t->cols, (size_t)(t->n_cols + 1) * sizeof *nc);
    if (!nc) return -1;
    t->cols = nc;
    char **nb = realloc(t->numbuf, (size_t)(t->n_cols + 1) * sizeof *nb);
    if (!nb) return -1;
    t->numbuf = nb;
    t->numbuf[t->n_cols] = NULL;
    size_t *ncap = realloc(t->numcap, (size_t)(t->n_cols + 1) * sizeof *ncap);
    if (!ncap) return -1;
    t->numcap = ncap;
    t->numcap[t->n_cols] = 0;
    if (!(t->cols[t->n_cols] = strdup(name))) return -1;
    return t->n_cols++;
}

tide_status tide_table_next(tide_table *t, int *eof) {
    tide_status st;
    t->row_error = NULL;
    if (t->jsonl) {
        st = tide_jsonl_next(t->jsonl, &t->rec, &t->obj, eof);
        if (!st && !*eof) t->row_error = t->rec.error;
        return st;
    }
    st = tide_csv_next(t->csv, &t->rec, eof);
    if (st || *eof) return st;
    t->row_error = t->rec.error;
    if (!t->row_error && t->rec.n_fields != t->n_header) {
        snprintf(t->err, sizeof t->err, "%d field%s, the header has %d", t->rec.n_fields,
                 t->rec.n_fields == 1 ? "" : "s", t->n_header);
        t->row_error = t->err;
    }
    return TIDE_OK;
}

static int row_problem(tide_table *t, const char **s, size_t *len) {
    *s = t->err;
    *len = strlen(t->err);
    return -1;
}

int tide_table_get(tide_table *t, int col, const char **s, size_t *len) {
    *s = NULL;
    *len = 0;
    if (t->format != TIDE_TABLE_JSONL) {
        if (col < 0 || col >= t->rec.n_fields) return 0;
        *s = t->rec.fields[col].ptr;
        *len = t->rec.fields[col].len;
        return 1;
    }
    if (col < 0 || col >= t->n_cols || !t->obj) return 0;
    cJSON *v = cJSON_GetObjectItemCaseSensitive(t->obj, t->cols[col]);
    if (!v || cJSON_IsNull(v)) return 0;
    const char *line, *raw;
    size_t line_len, raw_len;
    tide_jsonl_text(t->jsonl, &line, &line_len);
    if (cJSON_IsString(v)) {
        /* cJSON's strings end at an escaped NUL: "a\u0000b" would read as "a", another id. */
        if (memmem(line, line_len, "\\u0000", 6) && tide_json_member_raw(line, line_len, t->obj, v, &raw, &raw_len) &&
            tide_json_string_has_nul(raw, raw_len)) {
            snprintf(t->err, sizeof t->err, "\"%s\" holds a NUL character (\\u0000)", t->cols[col]);
            return row_problem(t, s, len);
        }
        *s = v->valuestring;
        *len = strlen(v->valuestring);
        if (*len > t->p.max_field_bytes) {
            snprintf(t->err, sizeof t->err, "\"%s\" is %zu bytes long, over the limit of %zu", t->cols[col], *len,
                     t->p.max_field_bytes);
            *s = t->err;
            *len = strlen(t->err);
            return -1;
        }
        return 1;
    }
    if (cJSON_IsNumber(v)) {
        /* The number as written: through a double, 9007199254740993 would become ...992 and 1.0
         * would become 1, merging distinct ids. Readers of times and weights parse the text. */
        if (!tide_json_member_raw(line, line_len, t->obj, v, &raw, &raw_len)) {
            snprintf(t->err, sizeof t->err, "\"%s\": cannot recover the number's text", t->cols[col]);
            return row_problem(t, s, len);
        }
        if (raw_len > t->p.max_field_bytes) {
            snprintf(t->err, sizeof t->err, "\"%s\" is %zu bytes long, over the limit of %zu", t->cols[col], raw_len,
                     t->p.max_field_bytes);
            return row_problem(t, s, len);
        }
        if (raw_len + 1 > t->numcap[col]) {
            size_t cap = raw_len + 1 < 64 ? 64 : raw_len + 1;
            char *nb = realloc(t->numbuf[col], cap);
            if (!nb) {
                snprintf(t->err, sizeof t->err, "out of memory");
                return row_problem(t, s, len);
            }
            t->numbuf[col] = nb;
            t->numcap[col] = cap;
        }
        memcpy(t->numbuf[col], raw, raw_len);
        t->numbuf[col][raw_len] = 0;
        *s = t->numbuf[col];
        *len = raw_len;
        return 1;
    }
    if (cJSON_IsBool(v)) {
        *s = cJSON_IsTrue(v) ? "true" : "false";
        *len = strlen(*s);
        return 1;
    }
    snprintf(t->err, sizeof t->err, "\"%s\" is a JSON %s, not a string or number", t->cols[col],
             cJSON_IsArray(v) ? "array" : "object");
    *s = t->err;
    *len = strlen(t->err);
    return -1;
}
