/* bufsrc.c — the refillable parse buffer behind the CSV and JSON-lines readers; see bufsrc.h. */
#include "bufsrc.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Extend clean_end over ASCII bytes without NUL, 16 at a time (most inputs are all ASCII, so one
 * pass here replaces a UTF-8 check per record). */
static void scan_clean(tide_bufsrc *b) {
    size_t i = b->clean_end, n = b->len;
    const unsigned char *p = (const unsigned char *)b->buf;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        if (_mm_movemask_epi8(x) | _mm_movemask_epi8(_mm_cmpeq_epi8(x, zero))) break;
        i += 16;
    }
#endif
    while (i < n && p[i] && p[i] < 0x80) i++;
    b->clean_end = i;
}

tide_status bufsrc_init(tide_bufsrc *b, tide_instream *in, size_t init_cap, size_t max_cap) {
    memset(b, 0, sizeof *b);
    b->in = in;
    if (init_cap < 4) init_cap = 4; /* room to recognise a BOM */
    if (max_cap < init_cap) max_cap = init_cap;
    b->cap = init_cap;
    b->max_cap = max_cap;
    b->buf = malloc(init_cap + BUFSRC_PAD);
    if (!b->buf) return tide_error(TIDE_ERR_NOMEM, "out of memory for a %zu-byte read buffer", init_cap);
    memset(b->buf, 0, BUFSRC_PAD);
    b->buf[0] = '\n';
    return TIDE_OK;
}

void bufsrc_free(tide_bufsrc *b) {
    free(b->buf);
    b->buf = NULL;
}

/* The '\n' sentinel at buf[len] and zeroed bytes after it (64-byte scans may read 63 of them).
 * len <= cap + 1 (the final newline), so this stays within the cap + BUFSRC_PAD allocation. */
static void seal(tide_bufsrc *b) {
    b->buf[b->len] = '\n';
    memset(b->buf + b->len + 1, 0, 64);
}

static void append_final_newline(tide_bufsrc *b, size_t keep) {
    if (b->len > keep && b->buf[b->len - 1] != '\n') b->buf[b->len++] = '\n';
}

tide_status bufsrc_fill(tide_bufsrc *b, size_t keep, bufsrc_result *res) {
    *res = BUFSRC_EOF;
    if (keep > b->len) keep = b->len;
    if (keep > 0) {
        memmove(b->buf, b->buf + keep, b->len - keep);
        b->len -= keep;
        b->pos = b->pos >= keep ? b->pos - keep : 0;
        b->clean_end = b->clean_end >= keep ? b->clean_end - keep : 0;
    }
    if (b->eof) {
        seal(b);
        return TIDE_OK;
    }
    if (b->len == b->cap) {
        if (b->cap >= b->max_cap) {
            *res = BUFSRC_FULL;
            seal(b);
            return TIDE_OK;
        }
        size_t nc = b->cap * 2 > b->max_cap ? b->max_cap : b->cap * 2;
        char *nb = realloc(b->buf, nc + BUFSRC_PAD);
        if (!nb) return tide_error(TIDE_ERR_NOMEM, "out of memory growing a read buffer to %zu bytes", nc);
        b->buf = nb;
        b->cap = nc;
    }
    /* Read until something arrives or the stream ends; the first time, also until 3 bytes are
     * there so a byte-order mark split across reads is still recognised. */
    size_t before = b->len;
    for (;;) {
        size_t got;
        tide_status st = tide_instream_read(b->in, b->buf + b->len, b->cap - b->len, &got);
        if (st) return st;
        b->len += got;
        if (got == 0) {
            b->eof = 1;
            break;
        }
        if (b->started || b->len >= 3 || b->len == b->cap) break;
    }
    if (!b->started) {
        b->started = 1;
        if (b->len >= 3 && memcmp(b->buf, "\xef\xbb\xbf", 3) == 0) {
            memmove(b->buf, b->buf + 3, b->len - 3);
            b->len -= 3;
            b->clean_end = 0;
            before = 0;
            if (b->len == 0 && !b->eof) return bufsrc_fill(b, 0, res);
        }
    }
    if (b->eof) append_final_newline(b, 0);
    if (b->clean_end > b->len) b->clean_end = 0; /* the BOM moved the data */
    scan_clean(b);
    seal(b);
    *res = b->len > before ? BUFSRC_MORE : BUFSRC_EOF;
    return TIDE_OK;
}

tide_status bufsrc_peek_line(tide_bufsrc *b, const char **line, size_t *len) {
    *line = NULL;
    *len = 0;
    for (;;) {
        char *s = b->buf + b->pos, *end = b->buf + b->len;
        while (s < end && (*s == '\n' || (*s == '\r' && s + 1 < end && s[1] == '\n'))) s += *s == '\r' ? 2 : 1;
        char *nl = s < end ? memchr(s, '\n', (size_t)(end - s)) : NULL;
        if (nl) {
            *line = s;
            *len = (size_t)(nl - s);
            if (*len && s[*len - 1] == '\r') (*len)--;
            return TIDE_OK;
        }
        bufsrc_result res;
        tide_status st = bufsrc_fill(b, b->pos, &res);
        if (st) return st;
        if (res != BUFSRC_MORE) {
            if (res == BUFSRC_FULL && b->pos < b->len) {
                *line = b->buf + b->pos;
                *len = b->len - b->pos;
            }
            return TIDE_OK;
        }
    }
}
