/* jsonl.c — JSON-lines reader: one JSON object per line, parsed with cJSON.
 *
 * Lines are cut with memchr in the shared refillable buffer (bufsrc), checked for UTF-8 (cJSON
 * copies bytes through unchecked), then parsed. Blank and whitespace-only lines are skipped; a
 * CR before the LF is ignored (JSON treats it as whitespace). A line that is not valid JSON, is
 * not an object, or is longer than the limit is a bad record; reading goes on after it.
 */
#include "bufsrc.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INIT_CAP ((size_t)1 << 20)

struct tide_jsonl {
    tide_bufsrc b;
    size_t max_line;
    int64_t line;
    cJSON *obj;
    const char *text; /* the current object's line, for its raw tokens (valid until the next call) */
    size_t text_len;
    char err[192];
};

tide_status jsonl_open_bufsrc(tide_jsonl **out, tide_bufsrc *b, size_t max_line_bytes) {
    *out = NULL;
    tide_jsonl *r = calloc(1, sizeof *r);
    if (!r) {
        tide_instream_close(b->in);
        bufsrc_free(b);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    r->max_line = max_line_bytes ? max_line_bytes : (size_t)64 << 20;
    r->b = *b;
    r->b.max_cap = r->max_line + 1 < r->b.cap ? r->b.cap : r->max_line + 1;
    *out = r;
    return TIDE_OK;
}

tide_status tide_jsonl_open(tide_jsonl **out, tide_instream *in, size_t max_line_bytes) {
    tide_bufsrc b;
    tide_status st = bufsrc_init(&b, in, INIT_CAP, INIT_CAP);
    if (st) {
        *out = NULL;
        tide_instream_close(in);
        return st;
    }
    return jsonl_open_bufsrc(out, &b, max_line_bytes);
}

void tide_jsonl_close(tide_jsonl *r) {
    if (!r) return;
    if (r->b.in) tide_instream_close(r->b.in);
    bufsrc_free(&r->b);
    cJSON_Delete(r->obj);
    free(r);
}

tide_instream *tide_jsonl_stream(tide_jsonl *r) { return r->b.in; }

void tide_jsonl_text(const tide_jsonl *r, const char **s, size_t *n) {
    *s = r->text;
    *n = r->text_len;
}

static int is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

tide_status tide_jsonl_next(tide_jsonl *r, tide_record *rec, cJSON **obj, int *eof) {
    tide_status st;
    bufsrc_result res;
    *eof = 0;
    *obj = NULL;
    rec->error = NULL;
    rec->n_fields = 0;
    rec->fields = NULL;
    cJSON_Delete(r->obj);
    r->obj = NULL;
    r->text = NULL;
    r->text_len = 0;
    for (;;) {
        char *s = r->b.buf + r->b.pos, *end = r->b.buf + r->b.len;
        char *nl = s < end ? memchr(s, '\n', (size_t)(end - s)) : NULL;
        if (!nl) {
            if ((st = bufsrc_fill(&r->b, r->b.pos, &res))) return st;
            if (res == BUFSRC_EOF) {
                *eof = 1;
                return TIDE_OK;
            }
            if (res == BUFSRC_FULL) { /* an over-long line: drop it piece by piece */
                rec->line = r->line + 1;
                for (;;) {
                    r->b.pos = r->b.len;
                    if ((st = bufsrc_fill(&r->b, r->b.len, &res))) return st;
                    char *e = r->b.buf + r->b.len;
                    char *n2 = memchr(r->b.buf, '\n', (size_t)(e - r->b.buf));
                    if (n2) {
                        r->b.pos = (size_t)(n2 + 1 - r->b.buf);
                        break;
                    }
                    if (res == BUFSRC_EOF) break;
                }
                r->line++;
                snprintf(r->err, sizeof r->err, "line is longer than %zu bytes", r->max_line);
                rec->error = r->err;
                return TIDE_OK;
            }
            continue;
        }
        size_t n = (size_t)(nl - s);
        r->b.pos += n + 1;
        r->line++;
        if (is_blank(s, n)) continue;
        rec->line = r->line;
        if (n > r->max_line) {
            snprintf(r->err, sizeof r->err, "line is %zu bytes long, over the limit of %zu", n, r->max_line);
            rec->error = r->err;
            return TIDE_OK;
        }
        size_t bad = (size_t)(s + n - r->b.buf) <= r->b.clean_end ? n : tide_utf8_check(s, n);
        if (bad < n) {
            snprintf(r->err, sizeof r->err, "%s at byte %zu of the line", s[bad] ? "invalid UTF-8" : "NUL byte", bad + 1);
            rec->error = r->err;
            return TIDE_OK;
        }
        const char *ep = NULL;
        r->obj = cJSON_ParseWithLengthOpts(s, n, &ep, 0);
        if (!r->obj) {
            size_t at = ep && ep >= s && ep <= s + n ? (size_t)(ep - s) + 1 : 0;
            snprintf(r->err, sizeof r->err, "invalid JSON near byte %zu", at);
            rec->error = r->err;
            return TIDE_OK;
        }
        /* Only whitespace may follow the value on its line. */
        if (ep && !is_blank(ep, n - (size_t)(ep - s))) {
            snprintf(r->err, sizeof r->err, "text after the JSON value at byte %zu", (size_t)(ep - s) + 1);
            rec->error = r->err;
            cJSON_Delete(r->obj);
            r->obj = NULL;
            return TIDE_OK;
        }
        if (!cJSON_IsObject(r->obj)) {
            rec->error = "not a JSON object";
            cJSON_Delete(r->obj);
            r->obj = NULL;
            return TIDE_OK;
        }
        *obj = r->obj;
        r->text = s;
        r->text_len = n;
        return TIDE_OK;
    }
}
