/* csv.c — RFC 4180 record reader for CSV and TSV (any one-byte delimiter).
 *
 * Accepted: quoted fields holding delimiters, newlines and doubled quotes; LF or CRLF line ends
 * (a CR right before the LF that ends a record is dropped); a UTF-8 BOM (dropped by bufsrc);
 * blank lines (skipped); a last line without a newline. Lenient where RFC 4180 says nothing
 * useful: a quote inside an unquoted field is an ordinary character (as in pandas and Python's
 * csv module). Bad records, returned with an error but without stopping: text after a closing
 * quote, an unterminated quote at end of input, invalid UTF-8 or NUL bytes, a field over
 * max_field_bytes, a record over max_record_bytes (skipped by a small state machine that only
 * tracks quotes, so memory stays bounded).
 *
 * Speed: a record whose newline is within 64 bytes and that holds no quote is cut into fields
 * from one bit mask of its delimiters (most log rows). Otherwise the end of an unquoted field
 * (delimiter, quote or LF) is found 16 bytes at a time with
 * SSE2 compares (a 256-entry stop table elsewhere), the closing quote of quoted fields with
 * memchr(), and a '\n' sentinel after the data means the inner loops need no bounds check. Fields are recorded as spans, and only once the record is
 * complete are they unescaped and NUL-terminated in place; if the buffer runs out mid-record the
 * record is re-scanned after the refill (at most once per buffer, so the cost is negligible).
 */
#include "bufsrc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define INIT_CAP ((size_t)1 << 20)

typedef struct {
    char *s, *e;
    unsigned char quoted, esc;
} span;

struct tide_csv {
    tide_bufsrc b;
    tide_csv_params p;
    unsigned char stop[256];
    int64_t line;          /* physical lines consumed */
    span *spans;
    tide_field *fields;
    int cap_fields;
    char err[192];
};

void tide_csv_params_default(tide_csv_params *p) {
    p->delimiter = ',';
    p->max_field_bytes = TIDE_READER_DEFAULT_MAX_FIELD;
    p->max_record_bytes = 0;
    p->buffer_bytes = INIT_CAP;
}

const char *tide_csv_params_check(const tide_csv_params *p) {
    if (p->delimiter == '"' || p->delimiter == '\n' || p->delimiter == '\r' || p->delimiter == 0)
        return "the delimiter cannot be a quote, CR, LF or NUL";
    if (p->max_field_bytes < 1) return "the field size limit must be at least 1 byte";
    return NULL;
}

size_t csv_record_limit(const tide_csv_params *p) {
    size_t lim = p->max_record_bytes;
    if (!lim) {
        lim = (size_t)64 << 20;
        if (p->max_field_bytes < ((size_t)1 << 40) && p->max_field_bytes * 4 + ((size_t)1 << 20) > lim)
            lim = p->max_field_bytes * 4 + ((size_t)1 << 20);
    }
    return lim < 16 ? 16 : lim;
}

tide_status csv_open_bufsrc(tide_csv **out, tide_bufsrc *b, const tide_csv_params *params) {
    *out = NULL;
    tide_csv_params def;
    if (!params) {
        tide_csv_params_default(&def);
        params = &def;
    }
    const char *why = tide_csv_params_check(params);
    tide_csv *r = why ? NULL : calloc(1, sizeof *r);
    if (!r) {
        tide_instream_close(b->in);
        bufsrc_free(b);
        return why ? tide_error(TIDE_ERR_USAGE, "%s", why) : tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    r->p = *params;
    r->b = *b;
    r->b.max_cap = csv_record_limit(params);
    if (r->b.max_cap < r->b.cap) r->b.max_cap = r->b.cap;
    r->stop[(unsigned char)r->p.delimiter] = 1;
    r->stop['"'] = 1;
    r->stop['\n'] = 1;
    *out = r;
    return TIDE_OK;
}

tide_status tide_csv_open(tide_csv **out, tide_instream *in, const tide_csv_params *params) {
    tide_bufsrc b;
    size_t cap = params && params->buffer_bytes ? params->buffer_bytes : INIT_CAP;
    tide_status st = bufsrc_init(&b, in, cap, cap);
    if (st) {
        *out = NULL;
        tide_instream_close(in);
        return st;
    }
    return csv_open_bufsrc(out, &b, params);
}

void tide_csv_close(tide_csv *r) {
    if (!r) return;
    if (r->b.in) tide_instream_close(r->b.in);
    bufsrc_free(&r->b);
    free(r->spans);
    free(r->fields);
    free(r);
}

tide_instream *tide_csv_stream(tide_csv *r) { return r->b.in; }

static tide_status grow_fields(tide_csv *r) {
    int nc = r->cap_fields ? r->cap_fields * 2 : 16;
    span *ns = realloc(r->spans, (size_t)nc * sizeof *ns);
    if (!ns) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    r->spans = ns;
    tide_field *nf = realloc(r->fields, (size_t)nc * sizeof *nf);
    if (!nf) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    r->fields = nf;
    r->cap_fields = nc;
    return TIDE_OK;
}

static int64_t count_newlines(const char *s, const char *e) {
    int64_t n = 0;
    while (s < e && (s = memchr(s, '\n', (size_t)(e - s)))) {
        n++;
        s++;
    }
    return n;
}

/* Skip the rest of an over-long record, from buf[pos], tracking only quote state. Counts the
 * newlines it passes in *lines (including the one that ends the record). */
static tide_status skip_record(tide_csv *r, int64_t *lines) {
    enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED } state = FIELD_START;
    const char d = r->p.delimiter;
    *lines = 0;
    for (;;) {
        char *p = r->b.buf + r->b.pos, *end = r->b.buf + r->b.len;
        for (; p < end; p++) {
            char c = *p;
            switch (state) {
            case FIELD_START:
                if (c == '"') { state = QUOTED; break; }
                /* fall through */
            case UNQUOTED:
                if (c == '\n') goto done;
                state = c == d ? FIELD_START : UNQUOTED;
                break;
            case QUOTED:
                if (c == '"') state = QUOTE_IN_QUOTED;
                else if (c == '\n') (*lines)++;
                break;
            case QUOTE_IN_QUOTED:
                if (c == '"') state = QUOTED;
                else if (c == '\n') goto done;
                else state = c == d ? FIELD_START : UNQUOTED;
                break;
            }
        }
        r->b.pos = r->b.len;
        bufsrc_result res;
        tide_status st = bufsrc_fill(&r->b, r->b.len, &res);
        if (st) return st;
        if (res == BUFSRC_EOF) return TIDE_OK; /* unterminated quote: the input ends the record */
        continue;
    done:
        (*lines)++;
        r->b.pos = (size_t)(p + 1 - r->b.buf);
        return TIDE_OK;
    }
}

/* Unescape, NUL-terminate and check the spans of a complete record. */
static void finish_record(tide_csv *r, int nf, tide_record *rec, const char *rec_start, const char *rec_end) {
    int64_t inner_lines = 0;
    if (!rec->error && (size_t)(rec_end - r->b.buf) > r->b.clean_end) {
        size_t bad = tide_utf8_check(rec_start, (size_t)(rec_end - rec_start));
        if (bad < (size_t)(rec_end - rec_start)) {
            const char *at = rec_start + bad;
            int which = 0;
            while (which + 1 < nf && r->spans[which + 1].s <= at) which++;
            snprintf(r->err, sizeof r->err, "%s in field %d", *at ? "invalid UTF-8" : "NUL byte", which + 1);
            rec->error = r->err;
        }
    }
    for (int i = 0; i < nf; i++) {
        span *sp = &r->spans[i];
        if (sp->quoted) {
            inner_lines += count_newlines(sp->s, sp->e);
            if (sp->esc) { /* "" → " */
                char *w = sp->s;
                for (char *q = sp->s; q < sp->e; q++) {
                    *w++ = *q;
                    if (*q == '"') q++;
                }
                sp->e = w;
            }
        } else if (i == nf - 1 && sp->e > sp->s && sp->e[-1] == '\r') {
            sp->e--;
        }
        *sp->e = 0;
        r->fields[i].ptr = sp->s;
        r->fields[i].len = (size_t)(sp->e - sp->s);
        if (!rec->error && r->fields[i].len > r->p.max_field_bytes) {
            snprintf(r->err, sizeof r->err, "field %d is %zu bytes long, over the limit of %zu", i + 1,
                     r->fields[i].len, r->p.max_field_bytes);
            rec->error = r->err;
        }
    }
    rec->n_fields = nf;
    rec->fields = r->fields;
    r->line += 1 + inner_lines;
}

/* Vectors of the three bytes that end an unquoted field's run of ordinary bytes. */
typedef struct {
#if defined(__SSE2__)
    __m128i d, q, n;
#else
    int unused;
#endif
} stop_vecs;

/* First delimiter, quote or LF at or after p. The '\n' sentinel guarantees one before the end
 * of the data; vector loads may read up to 15 bytes past it, inside the buffer's padding. */
static inline char *find_stop(char *p, const unsigned char *stop, const stop_vecs *v) {
#if defined(__SSE2__)
    (void)stop;
    for (;;) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, v->d), _mm_cmpeq_epi8(x, v->q)), _mm_cmpeq_epi8(x, v->n));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m) return p + __builtin_ctz(m);
        p += 16;
    }
#else
    (void)v;
    while (!stop[(unsigned char)*p]) p++;
    return p;
#endif
}

tide_status tide_csv_next(tide_csv *r, tide_record *rec, int *eof) {
    const char d = r->p.delimiter;
    const unsigned char *stop = r->stop;
    stop_vecs vecs_s, *vecs = &vecs_s;
#if defined(__SSE2__)
    vecs_s.d = _mm_set1_epi8(d);
    vecs_s.q = _mm_set1_epi8('"');
    vecs_s.n = _mm_set1_epi8('\n');
#endif
    tide_status st;
    bufsrc_result res;
    *eof = 0;
    rec->error = NULL;
    rec->n_fields = 0;
    rec->fields = r->fields;
    for (;;) {
        char *buf = r->b.buf, *end = buf + r->b.len;
        char *p = buf + r->b.pos;
        if (p == end) {
            if ((st = bufsrc_fill(&r->b, r->b.pos, &res))) return st;
            if (res == BUFSRC_EOF) {
                *eof = 1;
                return TIDE_OK;
            }
            continue;
        }
        /* blank line (the final '\n' guarantees p[1] exists when *p == '\r' is not last) */
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            r->b.pos += *p == '\n' ? 1 : 2;
            r->line++;
            continue;
        }
        rec->line = r->line + 1;
        char *rec_start = p;
        int nf = 0;
        const char *err = NULL;
#if defined(__SSE2__)
        {
            /* Fast path for the common short record: if its newline is within the next 64 bytes
             * and no quote comes before it, one round of compares marks every field end, and the
             * fields are cut from the bit mask without a branch per byte run. Anything else
             * (quotes, long records, the buffer's end) takes the general loop below. */
            uint64_t md = 0, mq = 0, mn = 0;
            for (int j = 0; j < 4; j++) {
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * j));
                md |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vecs_s.d)) << (16 * j);
                mq |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vecs_s.q)) << (16 * j);
                mn |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vecs_s.n)) << (16 * j);
            }
            if (mn) {
                int nl = __builtin_ctzll(mn);
                uint64_t below = ((uint64_t)1 << nl) - 1; /* nl < 64 */
                char *rec_end = p + nl;
                /* ...and, inside the all-ASCII part of the buffer, no UTF-8 check is due: the
                 * fields are NUL-terminated and recorded right here */
                if (rec_end < end && !(mq & below) && (size_t)(rec_end - buf) <= r->b.clean_end) {
                    uint64_t dm = md & below;
                    char *fs = p;
                    for (;;) {
                        if (nf == r->cap_fields && (st = grow_fields(r))) return st;
                        tide_field *f = &r->fields[nf++];
                        int last = dm == 0;
                        char *fe = rec_end;
                        if (!last) {
                            fe = p + __builtin_ctzll(dm);
                            dm &= dm - 1;
                        } else if (fe > fs && fe[-1] == '\r') {
                            fe--;
                        }
                        *fe = 0;
                        f->ptr = fs;
                        f->len = (size_t)(fe - fs);
                        if (f->len > r->p.max_field_bytes && !rec->error) {
                            snprintf(r->err, sizeof r->err, "field %d is %zu bytes long, over the limit of %zu", nf,
                                     f->len, r->p.max_field_bytes);
                            rec->error = r->err;
                        }
                        if (last) break;
                        fs = fe + 1;
                    }
                    rec->n_fields = nf;
                    rec->fields = r->fields;
                    r->line++;
                    r->b.pos = (size_t)(rec_end + 1 - buf);
                    return TIDE_OK;
                }
            }
        }
#endif
        for (;;) {
            if (nf == r->cap_fields && (st = grow_fields(r))) return st;
            span *sp = &r->spans[nf];
            if (*p == '"' && p < end) {
                char *q = p + 1;
                sp->esc = 0;
                for (;;) {
                    q = memchr(q, '"', (size_t)(end - q));
                    if (!q || q + 1 >= end) goto need_more;
                    if (q[1] == '"') {
                        sp->esc = 1;
                        q += 2;
                        continue;
                    }
                    break;
                }
                sp->s = p + 1;
                sp->e = q;
                sp->quoted = 1;
                p = q + 1; /* < end */
                if (*p == '\r' && p + 1 == end) goto need_more; /* CR LF split by the buffer end? */
                if (*p == '\r' && p[1] == '\n') {
                    p++;
                } else if (*p != d && *p != '\n') {
                    /* Text after the closing quote: a bad record; absorb up to the field end. */
                    if (!err) err = "unexpected text after a closing quote";
                    while (*p != d && *p != '\n') p++;
                    if (p == end) goto need_more;
                }
            } else {
                char *fs = p;
                for (;;) {
                    p = find_stop(p, stop, vecs);
                    if (*p == '"') {
                        p++;
                        continue;
                    }
                    break;
                }
                if (p == end) goto need_more;
                sp->s = fs;
                sp->e = p;
                sp->quoted = 0;
            }
            nf++;
            if (*p == d) {
                p++;
                continue;
            }
            /* *p == '\n': the record ends */
            rec->error = err;
            r->b.pos = (size_t)(p + 1 - buf);
            finish_record(r, nf, rec, rec_start, p);
            return TIDE_OK;
        }
    need_more:
        if (r->b.eof) {
            /* Only an open quote can run past the final newline. Take the record as it is. */
            int64_t lines = count_newlines(rec_start, end);
            rec->error = "unterminated quoted field (the input ends inside quotes)";
            rec->n_fields = 0;
            r->line += lines ? lines : 1;
            r->b.pos = r->b.len;
            return TIDE_OK;
        }
        if ((st = bufsrc_fill(&r->b, r->b.pos, &res))) return st;
        if (res == BUFSRC_FULL) {
            int64_t lines;
            if ((st = skip_record(r, &lines))) return st;
            snprintf(r->err, sizeof r->err, "record is longer than %zu bytes (an unclosed quote?)", r->b.max_cap);
            rec->error = r->err;
            rec->n_fields = 0;
            r->line += lines ? lines : 1;
            return TIDE_OK;
        }
        /* MORE (or EOF, which appended the final newline): scan the record again */
    }
}
