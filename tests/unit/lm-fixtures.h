/* lm-fixtures.h — reading the committed parity fixtures of tests/fixtures/lm (JSON lines written
 * by make_fixtures.py), resolving their references into ../shared/data, and locating the
 * all-MiniLM-L6-v2 folder that tools/fetch-model.sh puts in models/ (or $TIDE_MODEL_DIR).
 *
 * A fixture string is either inline ({"text", "hex"}) or a reference to shared data, whose text
 * may not be redistributed in the repository:
 *   {"ref": {"file": "ml-latest-small/movies.csv", "row": R, "fields": [..], "join": "\n", "crc32": C}}
 *     (R = 1-based data record, header excluded; the named columns joined by "join")
 *   {"ref": {"file": "amazon-2018-5core/X.json.gz", "line": L, "field": "reviewText", "crc32": C}}
 *     (L = 1-based physical line)
 * crc32 is that of the UTF-8 bytes make_fixtures.py used, so a different copy of the data fails
 * loudly instead of showing up as a tokenizer or encoder mismatch. */
#ifndef TIDE_TEST_LM_FIXTURES_H
#define TIDE_TEST_LM_FIXTURES_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"
#include "tide/reader.h"

/* $TIDE_SOURCE_DIR/tests/fixtures/lm/<name>, malloc'ed. */
static inline char *fixture_path(const char *name) {
    const char *src = getenv("TIDE_SOURCE_DIR");
    char *dir = tide_path_join(src && *src ? src : ".", "tests/fixtures/lm");
    char *p = tide_path_join(dir, name);
    free(dir);
    return p;
}

/* The reference model folder, or NULL when it has not been fetched. */
static inline char *minilm_dir(void) {
    const char *env = getenv("TIDE_MODEL_DIR");
    char *p;
    if (env && *env) p = strdup(env);
    else {
        const char *src = getenv("TIDE_SOURCE_DIR");
        p = tide_path_join(src && *src ? src : ".", "models/all-MiniLM-L6-v2");
    }
    char *cfg = tide_path_join(p, "model.safetensors");
    int ok = tide_path_exists(cfg);
    free(cfg);
    if (!ok) {
        free(p);
        return NULL;
    }
    return p;
}

/* Parse a JSON-lines file into an array of cJSON objects (NULL-terminated); *n lines. */
static inline cJSON **read_jsonl(const char *path, int *n) {
    char *data = NULL;
    size_t size = 0;
    *n = 0;
    if (tide_read_file(path, &data, &size)) return NULL;
    int cap = 64;
    cJSON **rows = malloc((size_t)cap * sizeof *rows);
    char *s = data;
    while (*s) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = 0;
        if (*s) {
            if (*n + 1 >= cap) {
                cap *= 2;
                rows = realloc(rows, (size_t)cap * sizeof *rows);
            }
            rows[(*n)++] = cJSON_Parse(s);
        }
        if (!nl) break;
        s = nl + 1;
    }
    rows[*n] = NULL;
    free(data);
    return rows;
}

/* The "hex" field of a fixture row decoded into malloc'ed bytes (NUL-terminated; *len set). */
static inline char *row_bytes(const cJSON *row, size_t *len) {
    const cJSON *h = cJSON_GetObjectItem(row, "hex");
    const char *x = cJSON_IsString(h) ? h->valuestring : "";
    size_t n = strlen(x) / 2;
    char *b = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(x + 2 * i, "%2x", &v);
        b[i] = (char)v;
    }
    b[n] = 0;
    *len = n;
    return b;
}

/* Whether a row's text is available (inline, or a reference resolved by fixture_resolve). */
static inline int row_available(const cJSON *row) { return cJSON_IsString(cJSON_GetObjectItem(row, "hex")); }

/* Give the resolved text of reference row `row` a "hex" item after checking its CRC-32; returns
 * 1 on a mismatch (reported). */
static inline int fx_set_text(cJSON *row, const char *text, size_t len) {
    const cJSON *ref = cJSON_GetObjectItem(row, "ref");
    const cJSON *crc = cJSON_GetObjectItem(ref, "crc32");
    uint32_t got = tide_crc32(0, text, len);
    if (!cJSON_IsNumber(crc) || (double)got != crc->valuedouble) {
        char *r = cJSON_PrintUnformatted(ref);
        fprintf(stderr, "fixture ref %s: text has CRC-32 %u (%zu bytes), want %.0f\n", r, got, len,
                cJSON_IsNumber(crc) ? crc->valuedouble : -1.0);
        free(r);
        cJSON_AddTrueToObject(row, "failed"); /* reported once */
        return 1;
    }
    char *hex = malloc(2 * len + 1);
    for (size_t i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", (unsigned char)text[i]);
    hex[2 * len] = 0;
    cJSON_AddStringToObject(row, "hex", hex);
    free(hex);
    return 0;
}

/* Fill the reference rows of `file` (relative to `data`) in one pass over it; returns the number
 * of failures (file unreadable, row/line or field missing, CRC mismatch), each reported. */
static inline int fx_resolve_file(cJSON **rows, int n, const char *data, const char *file) {
    int fails = 0, csv = strlen(file) > 4 && strcmp(file + strlen(file) - 4, ".csv") == 0;
    char *path = tide_path_join(data, file);
    tide_instream *in = NULL;
    tide_csv *cr = NULL;
    tide_jsonl *jr = NULL;
    int ncol = 0, eof = 0;
    char **header = NULL;
    tide_record rec;
    tide_status st = tide_instream_open(&in, path);
    if (!st && csv) {
        tide_csv_params cp;
        tide_csv_params_default(&cp);
        st = tide_csv_open(&cr, in, &cp);
        in = NULL; /* owned by the reader now, also on failure */
    } else if (!st) {
        st = tide_jsonl_open(&jr, in, (size_t)1 << 24);
        in = NULL;
    }
    if (st) {
        fprintf(stderr, "%s: cannot read: %s\n", path, tide_error_message());
        fails++;
        goto done;
    }
    for (long k = 0;; k++) { /* k: CSV data record (0 = header) */
        cJSON *obj = NULL;
        st = csv ? tide_csv_next(cr, &rec, &eof) : tide_jsonl_next(jr, &rec, &obj, &eof);
        if (st || eof) break;
        if (csv && k == 0) {
            ncol = rec.n_fields;
            header = calloc((size_t)ncol, sizeof *header);
            for (int c = 0; c < ncol; c++) header[c] = strdup(rec.fields[c].ptr);
            continue;
        }
        for (int i = 0; i < n; i++) {
            const cJSON *ref = cJSON_GetObjectItem(rows[i], "ref");
            const cJSON *f = cJSON_GetObjectItem(ref, "file");
            if (!ref || !cJSON_IsString(f) || strcmp(f->valuestring, file) != 0 || row_available(rows[i])) continue;
            const cJSON *at = cJSON_GetObjectItem(ref, csv ? "row" : "line");
            if (!cJSON_IsNumber(at) || (long)at->valuedouble != (csv ? k : (long)rec.line)) continue;
            if (rec.error) {
                fprintf(stderr, "%s:%lld: referenced record is bad: %s\n", path, (long long)rec.line, rec.error);
                fails++;
                continue;
            }
            if (!csv) {
                const cJSON *fld = cJSON_GetObjectItem(ref, "field");
                const cJSON *v = cJSON_IsString(fld) ? cJSON_GetObjectItem(obj, fld->valuestring) : NULL;
                if (!cJSON_IsString(v)) {
                    fprintf(stderr, "%s:%lld: no string field in the referenced line\n", path, (long long)rec.line);
                    fails++;
                } else fails += fx_set_text(rows[i], v->valuestring, strlen(v->valuestring));
                continue;
            }
            /* CSV: join the named columns */
            const cJSON *fields = cJSON_GetObjectItem(ref, "fields"), *join = cJSON_GetObjectItem(ref, "join");
            const char *sep = cJSON_IsString(join) ? join->valuestring : "";
            size_t cap = 1, len = 0;
            for (int c = 0; c < rec.n_fields; c++) cap += rec.fields[c].len + strlen(sep);
            char *text = malloc(cap);
            int bad = 0, m = cJSON_GetArraySize(fields);
            for (int j = 0; j < m; j++) {
                const char *name = cJSON_GetArrayItem(fields, j)->valuestring;
                int c = 0;
                while (c < ncol && strcmp(header[c], name) != 0) c++;
                if (c == ncol || c >= rec.n_fields) {
                    fprintf(stderr, "%s: no column \"%s\"\n", path, name);
                    bad = 1;
                    break;
                }
                if (j) len += (size_t)snprintf(text + len, cap - len, "%s", sep);
                memcpy(text + len, rec.fields[c].ptr, rec.fields[c].len);
                len += rec.fields[c].len;
            }
            text[len] = 0;
            fails += bad ? 1 : fx_set_text(rows[i], text, len);
            free(text);
        }
    }
    if (st) {
        fprintf(stderr, "%s: %s\n", path, tide_error_message());
        fails++;
    }
done:
    for (int c = 0; header && c < ncol; c++) free(header[c]);
    free(header);
    /* every reference into this file must have been found */
    int unresolved = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *ref = cJSON_GetObjectItem(rows[i], "ref");
        const cJSON *f = cJSON_GetObjectItem(ref, "file");
        if (ref && cJSON_IsString(f) && strcmp(f->valuestring, file) == 0 && !row_available(rows[i]) &&
            !cJSON_GetObjectItem(rows[i], "failed")) {
            if (unresolved++ < 5) { /* a missing file would list every row */
                char *r = cJSON_PrintUnformatted(ref);
                fprintf(stderr, "fixture row %d: unresolved reference %s\n", i, r);
                free(r);
            }
            if (cr || jr) fails++; /* else the open failure was counted */
        }
    }
    if (cr) tide_csv_close(cr);
    if (jr) tide_jsonl_close(jr);
    if (in) tide_instream_close(in);
    free(path);
    return fails;
}

/* Resolve the shared-data references of a fixture from $TIDE_SHARED_DATA. Without shared data the
 * references stay unavailable (row_available() == 0; *unavailable counts them, a message says so)
 * and 0 is returned; with it, every reference must resolve to the recorded text: the number of
 * failures is returned. */
static inline int fixture_resolve(cJSON **rows, int n, const char *fixture, int *unavailable) {
    const char *data = getenv("TIDE_SHARED_DATA");
    int fails = 0, nref = 0;
    for (int i = 0; i < n; i++) nref += cJSON_GetObjectItem(rows[i], "ref") != NULL;
    *unavailable = 0;
    if (nref && (!data || !*data || !tide_path_exists(data))) {
        SKIP("%d of %d %s rows reference shared data and TIDE_SHARED_DATA (%s) is missing", nref, n, fixture,
             data && *data ? data : "unset");
        *unavailable = nref;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const cJSON *f = cJSON_GetObjectItem(cJSON_GetObjectItem(rows[i], "ref"), "file");
        if (!cJSON_IsString(f) || row_available(rows[i])) continue;
        int seen = 0; /* one pass per distinct file */
        for (int j = 0; j < i && !seen; j++) {
            const cJSON *g = cJSON_GetObjectItem(cJSON_GetObjectItem(rows[j], "ref"), "file");
            seen = cJSON_IsString(g) && strcmp(g->valuestring, f->valuestring) == 0;
        }
        if (!seen) fails += fx_resolve_file(rows, n, data, f->valuestring);
    }
    for (int i = 0; i < n; i++)
        if (!row_available(rows[i]) && !cJSON_GetObjectItem(rows[i], "ref")) fails++; /* malformed row */
    int resolved = 0;
    for (int i = 0; i < n; i++) resolved += cJSON_GetObjectItem(rows[i], "ref") && row_available(rows[i]);
    printf("  %s: %d rows, %d of %d references resolved from %s\n", fixture, n, resolved, nref, data);
    return fails;
}

static inline void free_jsonl(cJSON **rows, int n) {
    for (int i = 0; i < n; i++) cJSON_Delete(rows[i]);
    free(rows);
}

#endif
