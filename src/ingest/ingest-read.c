/* ingest-read.c — reading tide-ingest's inputs into columns: interactions, the item catalog and
 * text events. Every row is validated completely before anything is interned or appended, so a
 * skipped bad row leaves no trace (no id that only a bad row mentioned).
 *
 * Hot path (interactions): a field lookup by column index, integer and decimal parsing without
 * strtod for the usual forms, and appends to growable arrays; the ids go to the interner
 * (ingest-intern.c: one hash-map intern per id, the user of the previous row reused without
 * hashing since logs are often grouped by user), which may run on another thread.
 */
#define _GNU_SOURCE
#include "ingest-impl.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WARNINGS 100

/* ---- bad rows ------------------------------------------------------------------------------ */

/* Count a bad row; log it as a warning while within --max-errors, else fail the run with it. */
static tide_status bad_row(ingest_state *s, ingest_source *src, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static tide_status bad_row(ingest_state *s, ingest_source *src, int64_t line, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->rows_bad++;
    src->skipped++;
    if (s->rows_bad > s->p->max_errors) {
        if (s->p->max_errors > 0)
            return tide_error(TIDE_ERR_DATA, "%s:%lld: %s (bad row %lld, more than --max-errors %lld)", src->path,
                              (long long)line, msg, (long long)s->rows_bad, (long long)s->p->max_errors);
        return tide_error(TIDE_ERR_DATA, "%s:%lld: %s", src->path, (long long)line, msg);
    }
    if (s->warned < MAX_WARNINGS) {
        tide_log(TIDE_LOG_WARN, "%s:%lld: %s (row skipped)", src->path, (long long)line, msg);
        if (++s->warned == MAX_WARNINGS) tide_log(TIDE_LOG_WARN, "further bad rows are counted but not shown");
    }
    return TIDE_OK;
}

/* Show a value in a message: at most 40 bytes, never cutting a UTF-8 sequence. */
static const char *shown(const char *v, size_t n, char buf[64]) {
    if (n <= 40) {
        memcpy(buf, v, n);
        buf[n] = 0;
        return buf;
    }
    size_t k = 40;
    while (k > 0 && ((unsigned char)v[k] & 0xc0) == 0x80) k--;
    memcpy(buf, v, k);
    memcpy(buf + k, "...", 4);
    return buf;
}

/* ---- value parsing ------------------------------------------------------------------------- */

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A finite decimal number. Fast path for [sign]digits[.digits] with up to 15 significant digits
 * (exact in a double, divided by an exact power of ten: correctly rounded); strtod otherwise. The
 * text is NUL-terminated at s[n] (the readers guarantee it). */
static int parse_number(const char *s, size_t n, double *out) {
    size_t i = 0;
    int neg = 0;
    if (n == 0) return -1;
    if (s[0] == '-' || s[0] == '+') neg = s[i++] == '-';
    uint64_t m = 0;
    int digits = 0, frac = 0, dot = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            m = m * 10 + (uint64_t)(c - '0');
            digits++;
            frac += dot;
            if (digits > 15) goto slow;
        } else if (c == '.' && !dot) {
            dot = 1;
        } else {
            goto slow;
        }
    }
    if (!digits) return -1;
    *out = (neg ? -1.0 : 1.0) * ((double)m / pow10_tab[frac]);
    return 0;
slow:
    /* Decimal text only: strtod would also take hex ("0x10"), "inf" and "nan" spellings. */
    for (size_t k = 0; k < n; k++)
        if (!((s[k] >= '0' && s[k] <= '9') || s[k] == '-' || s[k] == '+' || s[k] == '.' || s[k] == 'e' || s[k] == 'E'))
            return -1;
    char *end;
    double v = strtod(s, &end);
    if (end != s + n || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Some byte of the 8-byte word is below 0x20 (the classic SWAR "has less than" test: borrows
 * start only at such a byte, and bytes >= 0x80 are masked by ~x, so it is exact). */
static inline int word_has_control(uint64_t x) {
    return ((x - 0x2020202020202020ull) & ~x & 0x8080808080808080ull) != 0;
}

/* Ids become lines of users.txt/items.txt: no tabs, CR or LF. Ids of 8 to 16 bytes (the usual)
 * are cleared with two overlapping word tests. */
static int has_line_break_or_tab(const char *s, size_t n) {
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        if (!word_has_control(a) && !word_has_control(b)) return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && (c == '\t' || c == '\n' || c == '\r')) return 1;
    }
    return 0;
}

/* ---- growable storage ---------------------------------------------------------------------- */

static int grow(void **p, size_t elem, int64_t need) {
    void *n = realloc(*p, (size_t)need * elem);
    if (!n) return -1;
    ingest_hugepages(n, (size_t)need * elem);
    *p = n;
    return 0;
}

/* Room for row index `row` (rows 0..row) in the parser's columns (the interner grows u and it). */
static tide_status reserve_interactions(ingest_state *s, int64_t row) {
    if (row < s->cap) return TIDE_OK;
    int64_t nc = s->cap ? s->cap * 2 : ingest_first_cap(s);
    if (nc > (int64_t)UINT32_MAX) nc = (int64_t)UINT32_MAX;
    if (row >= nc) return tide_error(TIDE_ERR_DATA, "more than %lld interactions are not supported", (long long)nc);
    if (grow((void **)&s->t, 8, nc) ||
        (s->want_w && grow((void **)&s->w, 4, nc)) || (s->want_ev && grow((void **)&s->ev, 1, nc)))
        return tide_error(TIDE_ERR_NOMEM, "out of memory holding %lld interactions", (long long)nc);
    s->cap = nc;
    return TIDE_OK;
}

static tide_status arena_add(char **arena, size_t *len, size_t *cap, const char *v, size_t n, int64_t *off) {
    if (*len + n + 1 > *cap) {
        size_t nc = *cap ? *cap : 1 << 16;
        while (*len + n + 1 > nc) nc *= 2;
        char *a = realloc(*arena, nc);
        if (!a) return tide_error(TIDE_ERR_NOMEM, "out of memory holding text (%zu bytes)", nc);
        *arena = a;
        *cap = nc;
    }
    memcpy(*arena + *len, v, n);
    (*arena)[*len + n] = 0;
    *off = (int64_t)*len;
    *len += n + 1;
    return TIDE_OK;
}

/* ---- event weights ------------------------------------------------------------------------- */

tide_status ingest_parse_event_weights(ingest_state *s) {
    const char *spec = s->p->event_weights;
    if (!spec) return TIDE_OK;
    s->events_fixed = 1;
    const char *q = spec;
    while (*q) {
        const char *comma = strchr(q, ',');
        size_t n = comma ? (size_t)(comma - q) : strlen(q);
        const char *eq = memchr(q, '=', n);
        if (!eq || eq == q) return tide_error(TIDE_ERR_USAGE, "--event-weight: '%.*s' is not NAME=WEIGHT", (int)n, q);
        size_t nl = (size_t)(eq - q);
        char num[64];
        size_t vl = n - nl - 1;
        if (vl == 0 || vl >= sizeof num) return tide_error(TIDE_ERR_USAGE, "--event-weight: bad weight in '%.*s'", (int)n, q);
        memcpy(num, eq + 1, vl);
        num[vl] = 0;
        double w;
        if (parse_number(num, vl, &w) || fabs(w) > FLT_MAX)
            return tide_error(TIDE_ERR_USAGE, "--event-weight: '%s' is not a number in the float32 range", num);
        if (s->n_events == 255) return tide_error(TIDE_ERR_USAGE, "--event-weight: at most 255 event types");
        int64_t idx;
        int added;
        tide_status st = tide_strmap_intern(&s->events, q, nl, &idx, &added);
        if (st) return st;
        if (!added) return tide_error(TIDE_ERR_USAGE, "--event-weight: '%.*s' is given twice", (int)nl, q);
        if (!(s->event_names[s->n_events] = strndup(q, nl))) return tide_error(TIDE_ERR_NOMEM, "out of memory");
        s->event_len[s->n_events] = nl;
        s->event_w[s->n_events++] = (float)w;
        q += n + (comma ? 1 : 0);
        if (comma && !*q) return tide_error(TIDE_ERR_USAGE, "--event-weight: trailing comma");
    }
    if (!s->n_events) return tide_error(TIDE_ERR_USAGE, "--event-weight: empty");
    return TIDE_OK;
}

/* ---- opening inputs ------------------------------------------------------------------------ */

static tide_status open_input(ingest_state *s, const char *path, const char *role, tide_table **t, ingest_source **src) {
    tide_table_params tp;
    tide_table_params_default(&tp);
    tp.format = s->p->format;
    tp.delimiter = s->p->delimiter;
    if (s->p->max_field_bytes) tp.max_field_bytes = s->p->max_field_bytes;
    ingest_source *ns = realloc(s->sources, (size_t)(s->n_sources + 1) * sizeof *ns);
    if (!ns) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    s->sources = ns;
    ingest_source *x = &s->sources[s->n_sources];
    memset(x, 0, sizeof *x);
    if (!(x->path = strdup(path))) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    x->role = role;
    s->n_sources++;
    tide_status st = tide_table_open(t, path, &tp);
    if (st) return st;
    x->format = tide_table_format_name(tide_table_get_format(*t));
    x->gzip = tide_instream_is_gzip(tide_table_stream(*t));
    *src = x;
    return TIDE_OK;
}

static void close_input(ingest_source *src, tide_table *t) {
    tide_instream *in = tide_table_stream(t);
    src->bytes = tide_instream_raw_bytes(in);
    src->crc = tide_instream_raw_crc32(in);
    tide_table_close(t);
}

/* Column handle for a name; for CSV/TSV a missing header column is an error naming the choices. */
/* Advance to the next row of an input: counts it, and reports a row the reader itself rejected
 * (then *skip is set and the caller moves on). *eof is set at the end of the input. */
static tide_status next_row(ingest_state *s, ingest_source *src, tide_table *t, int64_t *line, int *eof,
                            int *skip) {
    tide_status st = tide_table_next(t, eof);
    *skip = 0;
    if (st || *eof) return st;
    s->rows_read++;
    src->rows++;
    *line = tide_table_line(t);
    const char *err = tide_table_row_error(t);
    if (!err) return TIDE_OK;
    *skip = 1;
    return bad_row(s, src, *line, "%s", err);
}

static tide_status need_column(tide_table *t, const char *name, const char *option, int *col) {
    *col = tide_table_column(t, name);
    if (*col >= 0) return TIDE_OK;
    if (tide_table_get_format(t) == TIDE_TABLE_JSONL) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    char list[512];
    size_t len = 0;
    list[0] = 0;
    for (int i = 0; i < tide_table_header_count(t) && len < sizeof list - 8; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", tide_table_header_name(t, i));
    return tide_error(TIDE_ERR_DATA, "%s:%lld: no column '%s' (%s) in the header; the columns are: %s", tide_table_path(t),
                      (long long)tide_table_line(t), name, option, list);
}

/* Fetch a required field: 1 ok, 0 missing/empty, -1 unusable (why in *v). */
static int field(tide_table *t, int col, const char **v, size_t *n) {
    int r = tide_table_get(t, col, v, n);
    if (r > 0 && *n == 0) return 0;
    return r;
}

/* The same for the hot loop: CSV/TSV fields are read straight from the record. */
static inline int field_fast(tide_table *t, const tide_field *f, int col, const char **v, size_t *n) {
    if (!f) return field(t, col, v, n);
    *v = f[col].ptr;
    *n = f[col].len;
    return *n > 0;
}

static void progress(ingest_state *s, tide_table *t) {
    tide_progress_update(&s->prog, s->prog_base + tide_instream_raw_bytes(tide_table_stream(t)));
}

/* ---- interactions -------------------------------------------------------------------------- */

/* Rows are validated and parsed one by one here (time, weight and event go straight into their
 * columns); their ids go to the interner (ingest-intern.c), which turns them into indices in
 * input order, on another thread when there is one. */

/* Index of an event type: the names seen so far are few, so a check of the previous row's type
 * and a short linear scan beat hashing; the strmap answers beyond 16 types. -1 if unknown. */
static inline int64_t find_event(const ingest_state *s, const char *e, size_t n, int *last) {
    if (*last >= 0 && s->event_len[*last] == n && tide_bytes_equal(s->event_names[*last], e, n)) return *last;
    if (s->n_events > 16) return tide_strmap_find(&s->events, e, n);
    for (int k = 0; k < s->n_events; k++)
        if (s->event_len[k] == n && tide_bytes_equal(s->event_names[k], e, n)) return *last = k;
    return -1;
}

tide_status ingest_read_interactions(ingest_state *s, const char *path) {
    const tide_ingest_params *p = s->p;
    tide_table *t = NULL;
    ingest_source *src = NULL;
    ingest_interner *in = NULL;
    char last_user[64];                /* previous good row's user id, for grouped logs */
    size_t last_user_len = SIZE_MAX;   /* > 64: none */
    int last_event = -1;
    tide_status st = open_input(s, path, "interactions", &t, &src);
    if (st) return st;
    int cu, ci, ct, cw = -1, ce = -1;
    if ((st = need_column(t, p->user_col, "--user-col", &cu)) || (st = need_column(t, p->item_col, "--item-col", &ci)) ||
        (st = need_column(t, p->time_col, "--time-col", &ct)) ||
        (p->weight_col && (st = need_column(t, p->weight_col, "--weight-col", &cw))) ||
        (p->event_col && (st = need_column(t, p->event_col, "--event-col", &ce))))
        goto done;
    {
        /* Size the columns for the whole file at once (at least 16 bytes a row, 4x that for gzip):
         * pages beyond the rows read are never touched, so this costs address space only, while
         * growing by doubling copied every column several times into fresh pages. */
        tide_instream *is = tide_table_stream(t);
        uint64_t est = tide_instream_file_size(is) / 16 * (tide_instream_is_gzip(is) ? 4 : 1);
        if (est > ((uint64_t)1 << 26)) est = (uint64_t)1 << 26;
        if (s->cap == 0) s->row_hint = (int64_t)est;
    }
    if ((st = ingest_interner_start(s, src->path, &in))) goto done;
    char vb[64];
    for (;;) {
        int eof;
        int64_t line;
        int skip;
        if ((st = next_row(s, src, t, &line, &eof, &skip))) goto done;
        if (eof) break;
        if ((src->rows & 0xffff) == 0) progress(s, t);
        if (skip) continue;
        const char *us, *is, *ts, *ws = NULL, *es = NULL;
        size_t ul, il, tl, wl = 0, el = 0;
        int r;
        const tide_field *f = tide_table_row_fields(t);
#define REQUIRE(col, v, n, what)                                                                   \
        if ((r = field_fast(t, f, col, &v, &n)) <= 0) {                                            \
            if ((st = r < 0 ? bad_row(s, src, line, "%s", v) : bad_row(s, src, line, "empty or missing %s", what))) \
                goto done;                                                                         \
            continue;                                                                              \
        }
        REQUIRE(cu, us, ul, "user id");
        REQUIRE(ci, is, il, "item id");
        REQUIRE(ct, ts, tl, "time");
        if (cw >= 0) REQUIRE(cw, ws, wl, "weight");
        if (ce >= 0) REQUIRE(ce, es, el, "event type");
#undef REQUIRE
        int same_user = ul == last_user_len && tide_bytes_equal(last_user, us, ul);
        if ((!same_user && has_line_break_or_tab(us, ul)) || has_line_break_or_tab(is, il)) {
            if ((st = bad_row(s, src, line, "%s id holds a tab or line break", has_line_break_or_tab(us, ul) ? "user" : "item")))
                goto done;
            continue;
        }
        int64_t time;
        const char *why;
        if (tide_time_parse(ts, tl, p->time_format, &time, &why)) {
            if ((st = bad_row(s, src, line, "bad time '%s': %s", shown(ts, tl, vb), why))) goto done;
            continue;
        }
        double w = 1;
        if (ws && parse_number(ws, wl, &w)) {
            if ((st = bad_row(s, src, line, "bad weight '%s': not a finite number", shown(ws, wl, vb)))) goto done;
            continue;
        }

        int ev = 0;
        if (es) {
            int64_t idx = find_event(s, es, el, &last_event);
            if (idx < 0 && s->events_fixed) {
                if ((st = bad_row(s, src, line, "event type '%s' is not in --event-weight", shown(es, el, vb)))) goto done;
                continue;
            }
            if (idx < 0) {
                if (s->n_events == 255) {
                    st = tide_error(TIDE_ERR_DATA, "%s:%lld: more than 255 distinct event types", src->path, (long long)line);
                    goto done;
                }
                int added;
                if ((st = tide_strmap_intern(&s->events, es, el, &idx, &added))) goto done;
                if (!(s->event_names[s->n_events] = strndup(es, el))) {
                    st = tide_error(TIDE_ERR_NOMEM, "out of memory");
                    goto done;
                }
                s->event_len[s->n_events] = el;
                s->event_w[s->n_events++] = 1;
            }
            ev = (int)idx;
            if (s->events_fixed) w *= s->event_w[ev];
        }
        if (fabs(w) > FLT_MAX) { /* weights are stored as float32: 1e39 would become infinity */
            if ((st = bad_row(s, src, line, "bad weight '%s'%s: out of the float32 range", ws ? shown(ws, wl, vb) : "1",
                              es ? " (times its event weight)" : "")))
                goto done;
            continue;
        }
        /* The row is good: its values go into the next row, its ids to the interner. */
        int64_t row = ingest_interner_row(in);
        if ((st = reserve_interactions(s, row))) goto done;
        s->t[row] = time;
        if (s->want_w) s->w[row] = (float)w;
        if (s->want_ev) s->ev[row] = (uint8_t)ev;
        if ((st = ingest_interner_add(in, us, ul, same_user, is, il))) goto done;
        if (!same_user) {
            last_user_len = SIZE_MAX;
            if (ul <= sizeof last_user) {
                memcpy(last_user, us, ul);
                last_user_len = ul;
            }
        }
    }
done:
    {
        tide_status fst = ingest_interner_finish(in, st == TIDE_OK);
        if (!st) st = fst;
    }
    if (t) {
        progress(s, t);
        close_input(src, t);
    }
    if (!st) s->prog_base += src->bytes;
    return st;
}

/* ---- item catalog -------------------------------------------------------------------------- */

static tide_status reserve_catalog(ingest_state *s, int64_t n_items) {
    if (n_items <= s->cat_cap) return TIDE_OK;
    int64_t nc = s->cat_cap ? s->cat_cap : 1024;
    while (nc < n_items) nc *= 2;
    size_t nf = (size_t)(s->n_fields ? s->n_fields : 1);
    if (grow((void **)&s->in_catalog, 1, nc) || grow((void **)&s->text_off, 8 * nf, nc))
        return tide_error(TIDE_ERR_NOMEM, "out of memory for the item catalog");
    memset(s->in_catalog + s->cat_cap, 0, (size_t)(nc - s->cat_cap));
    for (size_t k = (size_t)s->cat_cap * nf; k < (size_t)nc * nf; k++) s->text_off[k] = -1;
    s->cat_cap = nc;
    return TIDE_OK;
}

tide_status ingest_read_catalog(ingest_state *s) {
    const tide_ingest_params *p = s->p;
    tide_table *t = NULL;
    ingest_source *src = NULL;
    int *cols = NULL;
    tide_status st = open_input(s, p->items_path, "items", &t, &src);
    if (st) return st;
    const char *id_name = p->item_id_col ? p->item_id_col : p->item_col;
    int cid;
    if ((st = need_column(t, id_name, "--item-id-col", &cid))) goto done;
    /* text fields: as given, or every other CSV/TSV column */
    int nf = p->n_item_text_cols;
    if (nf == 0) {
        if (tide_table_get_format(t) == TIDE_TABLE_JSONL) {
            st = tide_error(TIDE_ERR_USAGE, "%s: a JSON-lines catalog needs --item-text-cols", src->path);
            goto done;
        }
        nf = tide_table_header_count(t) - 1;
    }
    s->fields = calloc((size_t)nf + 1, sizeof *s->fields);
    cols = calloc((size_t)nf + 1, sizeof *cols);
    if (!s->fields || !cols) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0, h = 0; k < nf; k++) {
        const char *name;
        if (p->n_item_text_cols) {
            name = p->item_text_cols[k];
        } else {
            if (h == cid) h++;
            name = tide_table_header_name(t, h++);
        }
        for (int j = 0; j < k; j++)
            if (strcmp(s->fields[j], name) == 0) {
                st = tide_error(TIDE_ERR_USAGE, "--item-text-cols names '%s' twice", name);
                goto done;
            }
        if (!(s->fields[k] = strdup(name))) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto done;
        }
        s->n_fields = k + 1;
        if ((st = need_column(t, name, "--item-text-cols", &cols[k]))) goto done;
    }
    char vb[64];
    for (;;) {
        int eof;
        int64_t line;
        int skip;
        if ((st = next_row(s, src, t, &line, &eof, &skip))) goto done;
        if (eof) break;
        if (skip) continue;
        const char *id;
        size_t il;
        int r = field(t, cid, &id, &il);
        if (r <= 0) {
            if ((st = r < 0 ? bad_row(s, src, line, "%s", id) : bad_row(s, src, line, "empty or missing item id"))) goto done;
            continue;
        }
        if (has_line_break_or_tab(id, il)) {
            if ((st = bad_row(s, src, line, "item id holds a tab or line break"))) goto done;
            continue;
        }
        int64_t idx = tide_strmap_find(&s->items.map, id, il);
        if (idx >= 0 && idx < s->cat_cap && s->in_catalog[idx]) {
            if ((st = bad_row(s, src, line, "item '%s' is listed twice in the catalog", shown(id, il, vb)))) goto done;
            continue;
        }
        int ok = 1;
        for (int k = 0; k < nf && ok; k++) {
            const char *v;
            size_t n;
            if (field(t, cols[k], &v, &n) < 0) {
                if ((st = bad_row(s, src, line, "%s", v))) goto done;
                ok = 0;
            }
        }
        if (!ok) continue;
        if ((st = ingest_ids_intern(&s->items, id, il, &idx))) goto done;
        if (idx > INT32_MAX - 1) {
            st = tide_error(TIDE_ERR_DATA, "%s:%lld: more than 2^31-1 distinct items", src->path, (long long)line);
            goto done;
        }
        if ((st = reserve_catalog(s, idx + 1))) goto done;
        s->in_catalog[idx] = 1;
        for (int k = 0; k < nf; k++) {
            const char *v;
            size_t n;
            if (field(t, cols[k], &v, &n) <= 0) continue; /* absent or empty: no text for this field */
            if ((st = arena_add(&s->arena, &s->arena_len, &s->arena_cap, v, n, &s->text_off[idx * nf + k]))) goto done;
        }
    }
done:
    free(cols);
    if (t) close_input(src, t);
    return st;
}

/* ---- text events --------------------------------------------------------------------------- */

static tide_status reserve_text(ingest_state *s) {
    if (s->nt < s->tcap) return TIDE_OK;
    int64_t nc = s->tcap ? s->tcap * 2 : 1 << 12;
    if (nc > (int64_t)UINT32_MAX) return tide_error(TIDE_ERR_DATA, "too many text events");
    if (grow((void **)&s->tu, 4, nc) || grow((void **)&s->ti, 4, nc) || grow((void **)&s->tt, 8, nc) ||
        grow((void **)&s->toff, 8, nc))
        return tide_error(TIDE_ERR_NOMEM, "out of memory holding %lld text events", (long long)nc);
    s->tcap = nc;
    return TIDE_OK;
}

tide_status ingest_read_text_events(ingest_state *s) {
    const tide_ingest_params *p = s->p;
    tide_table *t = NULL;
    ingest_source *src = NULL;
    tide_status st = open_input(s, p->text_events_path, "text_events", &t, &src);
    if (st) return st;
    int cu, ct, cx, ci = -1;
    const char *item_name = p->text_item_col ? p->text_item_col : p->item_col;
    if ((st = need_column(t, p->text_user_col ? p->text_user_col : p->user_col, "--text-user-col", &cu)) ||
        (st = need_column(t, p->text_time_col ? p->text_time_col : p->time_col, "--text-time-col", &ct)) ||
        (st = need_column(t, p->text_col ? p->text_col : "text", "--text-col", &cx)))
        goto done;
    /* the item is optional: a missing default column just means "no item" */
    if (p->text_item_col) {
        if ((st = need_column(t, item_name, "--text-item-col", &ci))) goto done;
    } else {
        ci = tide_table_column(t, item_name);
    }
    s->text_item_found = ci >= 0;
    char vb[64];
    for (;;) {
        int eof;
        int64_t line;
        int skip;
        if ((st = next_row(s, src, t, &line, &eof, &skip))) goto done;
        if (eof) break;
        if (skip) continue;
        const char *us, *ts, *xs, *is = NULL;
        size_t ul, tl, xl, il = 0;
        int r;
        if ((r = field(t, cu, &us, &ul)) <= 0) {
            if ((st = r < 0 ? bad_row(s, src, line, "%s", us) : bad_row(s, src, line, "empty or missing user id"))) goto done;
            continue;
        }
        if ((r = field(t, ct, &ts, &tl)) <= 0) {
            if ((st = r < 0 ? bad_row(s, src, line, "%s", ts) : bad_row(s, src, line, "empty or missing time"))) goto done;
            continue;
        }
        if (ci >= 0 && (r = field(t, ci, &is, &il)) < 0) {
            if ((st = bad_row(s, src, line, "%s", is))) goto done;
            continue;
        }
        if ((r = field(t, cx, &xs, &xl)) < 0) {
            if ((st = bad_row(s, src, line, "%s", xs))) goto done;
            continue;
        }
        int64_t time;
        const char *why;
        if (tide_time_parse(ts, tl, p->time_format, &time, &why)) {
            if ((st = bad_row(s, src, line, "bad time '%s': %s", shown(ts, tl, vb), why))) goto done;
            continue;
        }
        if (r == 0) { /* no text: nothing to keep */
            s->stats->text_empty++;
            continue;
        }
        int64_t uidx = tide_strmap_find(&s->users.map, us, ul);
        if (uidx < 0) {
            s->stats->text_unknown_user++;
            continue;
        }
        int64_t iidx = -1;
        if (is && il > 0) {
            iidx = tide_strmap_find(&s->items.map, is, il);
            if (iidx < 0) {
                s->stats->text_unknown_item++;
                continue;
            }
        }
        if ((st = reserve_text(s))) goto done;
        if ((st = arena_add(&s->tarena, &s->tarena_len, &s->tarena_cap, xs, xl, &s->toff[s->nt]))) goto done;
        s->tu[s->nt] = (int32_t)uidx;
        s->ti[s->nt] = (int32_t)iidx;
        s->tt[s->nt] = time;
        s->nt++;
    }
done:
    if (t) close_input(src, t);
    return st;
}

void ingest_state_free(ingest_state *s) {
    if (s->maps_ready) {
        ingest_ids_free(&s->users);
        ingest_ids_free(&s->items);
        tide_strmap_free(&s->events);
    }
    for (int k = 0; k < s->n_events; k++) free(s->event_names[k]);
    free(s->u);
    free(s->it);
    free(s->t);
    free(s->w);
    free(s->ev);
    for (int k = 0; k < s->n_fields; k++) free(s->fields[k]);
    free(s->fields);
    free(s->in_catalog);
    free(s->text_off);
    free(s->arena);
    free(s->tu);
    free(s->ti);
    free(s->tt);
    free(s->toff);
    free(s->tarena);
    for (int k = 0; k < s->n_sources; k++) free(s->sources[k].path);
    free(s->sources);
    memset(s, 0, sizeof *s);
}
