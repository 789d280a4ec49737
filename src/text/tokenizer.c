/* tokenizer.c — BERT basic tokenisation + WordPiece, matching Hugging Face's BertTokenizer as
 * sentence-transformers runs it (the `tokenizers` BertNormalizer, BertPreTokenizer and WordPiece
 * models), on utf8proc's Unicode tables. See include/tide/tokenizer.h for the pipeline. */
#include "tide/tokenizer.h"
#include "tide/fileio.h"
#include "tide/strmap.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct tide_tokenizer {
    tide_tokenizer_params p;
    char *specials_buf[5];      /* owned copies of the special token strings */
    char *vocab_data;           /* vocab.txt contents, lines NUL-terminated in place */
    const char **tokens;        /* [n_vocab] id -> token */
    int64_t n_vocab;
    tide_strmap map;            /* token -> strmap index */
    int32_t *map_ids;           /* strmap index -> id (last line wins, as HF's dict does) */
    size_t max_token_bytes;     /* longest vocab entry, bounds the WordPiece search */
    int32_t unk_id, cls_id, sep_id, pad_id;
    int n_special;              /* literal special tokens matched in raw text */
    const char *special[5];
    size_t special_len[5];
    int32_t special_id[5];
};

tide_tokenizer_params tide_tokenizer_params_default(void) {
    tide_tokenizer_params p;
    p.do_lower_case = 1;
    p.strip_accents = -1;
    p.tokenize_chinese_chars = 1;
    p.max_length = 512;
    p.max_input_chars_per_word = 100;
    p.unk_token = "[UNK]";
    p.cls_token = "[CLS]";
    p.sep_token = "[SEP]";
    p.pad_token = "[PAD]";
    p.mask_token = "[MASK]";
    return p;
}

const char *tide_tokenizer_params_check(const tide_tokenizer_params *p) {
    if (p->max_length < 2) return "max_length must be at least 2 (room for [CLS] and [SEP])";
    if (p->max_input_chars_per_word < 1) return "max_input_chars_per_word must be positive";
    if (p->strip_accents < -1 || p->strip_accents > 1) return "strip_accents must be -1, 0 or 1";
    if (!p->unk_token || !*p->unk_token) return "unk_token must be set";
    if (!p->cls_token || !*p->cls_token) return "cls_token must be set";
    if (!p->sep_token || !*p->sep_token) return "sep_token must be set";
    if (!p->pad_token || !*p->pad_token) return "pad_token must be set";
    return NULL;
}

/* ---- Unicode classes (as the `tokenizers` crate defines them for BERT) ---------------------- */

#include "unicode-compat.h"

enum { CLS_CTRL = 1, CLS_SPACE = 2, CLS_PUNCT = 4, CLS_MARK = 8 };

/* The character classes BERT tokenisation uses. Control: category Cc Cf Cs Co (not Cn: the
 * reference treats unassigned code points as ordinary characters), U+FFFD; whitespace: Zs Zl Zp;
 * punctuation: P*; mark: Mn. Where the reference's (older) Unicode tables disagree with
 * utf8proc's, the generated unicode-compat.h table holds the reference's answer. */
static int char_class(int32_t c) {
    if (c < 0x80) {
        if (c == '\t' || c == '\n' || c == '\r' || c == ' ') return CLS_SPACE;
        if (c < 0x20 || c == 0x7F) return CLS_CTRL;
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
            return CLS_PUNCT;
        return 0;
    }
    int lo = 0, hi = (int)(sizeof unicode_compat / sizeof unicode_compat[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < unicode_compat[mid].lo) hi = mid - 1;
        else if (c > unicode_compat[mid].hi) lo = mid + 1;
        else return unicode_compat[mid].cls;
    }
    if (c == 0xFFFD) return CLS_CTRL;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
        return CLS_CTRL;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
        return CLS_SPACE;
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return CLS_PUNCT;
    case UTF8PROC_CATEGORY_MN:
        return CLS_MARK;
    default:
        return 0;
    }
}

static int is_control(int32_t c) { return c == 0 || char_class(c) == CLS_CTRL; }
static int is_space(int32_t c) { return char_class(c) == CLS_SPACE; }
static int is_punct(int32_t c) { return (char_class(c) & CLS_PUNCT) != 0; }

/* The CJK Unified Ideograph blocks of the `tokenizers` BertNormalizer. */
static int is_cjk(int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* ---- normalisation into a code point vector ------------------------------------------------ */

typedef struct {
    int32_t *v;
    size_t n, cap;
} cpvec;

static int cp_push(cpvec *a, int32_t c) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        int32_t *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) return -1;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = c;
    return 0;
}

/* Append one character after lower-casing (full mapping: U+0130 becomes "i" + U+0307, as Rust's
 * char::to_lowercase does; every other character maps to one). */
static int push_cased(cpvec *a, int32_t c, int lower) {
    if (!lower) return cp_push(a, c);
    if (c == 0x130) return cp_push(a, 'i') || cp_push(a, 0x307);
    return cp_push(a, utf8proc_tolower(c));
}

/* Steps 2–4 over `len` bytes: decode (invalid bytes → U+FFFD, counted), clean, space CJK, strip
 * accents, lower-case. */
static tide_status normalize(const char *s, size_t len, int lower, int strip, int cjk, cpvec *out,
                             int *n_invalid) {
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &c);
        if (k < 1) {
            c = 0xFFFD;
            k = 1;
            (*n_invalid)++;
        }
        i += (size_t)k;
        if (is_control(c)) continue;
        if (is_space(c)) c = ' ';
        int space_around = cjk && is_cjk(c), rc = 0;
        if (space_around) rc = cp_push(out, ' ');
        if (strip && c >= 0x80) {
            utf8proc_int32_t d[32];
            int last = 0;
            utf8proc_ssize_t nd = utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, &last);
            if (nd < 1 || nd > 32) {
                d[0] = c;
                nd = 1;
            }
            for (utf8proc_ssize_t j = 0; j < nd && !rc; j++)
                if (char_class(d[j]) != CLS_MARK) rc = push_cased(out, d[j], lower);
        } else if (!rc) {
            rc = push_cased(out, c, lower);
        }
        if (space_around && !rc) rc = cp_push(out, ' ');
        if (rc) return tide_error(TIDE_ERR_NOMEM, "out of memory normalising text");
    }
    return TIDE_OK;
}

/* Step 5: split into words; call fn(word utf-8) for each. Returns 1 if fn stopped early. */
static int split_words(const cpvec *a, char **buf, size_t *bufcap, tide_word_fn fn, void *user,
                       tide_status *st) {
    size_t i = 0;
    while (i < a->n) {
        int32_t c = a->v[i];
        if (is_space(c)) {
            i++;
            continue;
        }
        size_t j = i;
        if (is_punct(c)) j = i + 1;
        else
            while (j < a->n && !is_space(a->v[j]) && !is_punct(a->v[j])) j++;
        size_t need = (j - i) * 4 + 1;
        if (need > *bufcap) {
            char *nb = realloc(*buf, need);
            if (!nb) {
                *st = tide_error(TIDE_ERR_NOMEM, "out of memory splitting words");
                return 1;
            }
            *buf = nb;
            *bufcap = need;
        }
        size_t n = 0;
        for (size_t k = i; k < j; k++)
            n += (size_t)utf8proc_encode_char(a->v[k], (utf8proc_uint8_t *)*buf + n);
        (*buf)[n] = 0;
        if (fn(*buf, n, user)) return 1;
        i = j;
    }
    return 0;
}

tide_status tide_text_words(const char *text, size_t len, int lower_case, int strip_accents,
                            int split_cjk, tide_word_fn fn, void *user, int *n_invalid) {
    cpvec a = {0};
    char *buf = NULL;
    size_t bufcap = 0;
    int bad = 0;
    tide_status st = normalize(text, len, lower_case, strip_accents, split_cjk, &a, &bad);
    if (!st) split_words(&a, &buf, &bufcap, fn, user, &st);
    if (n_invalid) *n_invalid = bad;
    free(a.v);
    free(buf);
    return st;
}

/* ---- vocabulary ---------------------------------------------------------------------------- */

void tide_tokenizer_free(tide_tokenizer *t) {
    if (!t) return;
    for (int i = 0; i < 5; i++) free(t->specials_buf[i]);
    free(t->vocab_data);
    free(t->tokens);
    free(t->map_ids);
    tide_strmap_free(&t->map);
    free(t);
}

int32_t tide_tokenizer_id(const tide_tokenizer *t, const char *token) {
    int64_t k = tide_strmap_find(&t->map, token, strlen(token));
    return k < 0 ? -1 : t->map_ids[k];
}

static int32_t lookup(const tide_tokenizer *t, const char *s, size_t n) {
    int64_t k = tide_strmap_find(&t->map, s, n);
    return k < 0 ? -1 : t->map_ids[k];
}

tide_status tide_tokenizer_load(const char *vocab_path, const tide_tokenizer_params *p,
                                tide_tokenizer **out) {
    *out = NULL;
    const char *why = tide_tokenizer_params_check(p);
    if (why) return tide_error(TIDE_ERR_USAGE, "tokenizer: %s", why);
    tide_status st = TIDE_OK;
    tide_tokenizer *t = tide_calloc(1, sizeof *t);
    if (!t) return TIDE_ERR_NOMEM;
    t->p = *p;
    const char *names[5] = {p->unk_token, p->cls_token, p->sep_token, p->pad_token, p->mask_token};
    for (int i = 0; i < 5; i++) {
        if (!names[i]) continue;
        t->specials_buf[i] = strdup(names[i]);
        if (!t->specials_buf[i]) {
            st = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    t->p.unk_token = t->specials_buf[0];
    t->p.cls_token = t->specials_buf[1];
    t->p.sep_token = t->specials_buf[2];
    t->p.pad_token = t->specials_buf[3];
    t->p.mask_token = t->specials_buf[4];

    size_t size = 0;
    if ((st = tide_read_file(vocab_path, &t->vocab_data, &size))) goto done;
    int64_t lines = 0;
    for (size_t i = 0; i < size; i++) lines += t->vocab_data[i] == '\n';
    if (size && t->vocab_data[size - 1] != '\n') lines++;
    if (lines == 0) {
        st = tide_error(TIDE_ERR_DATA, "%s: empty vocabulary", vocab_path);
        goto done;
    }
    if (lines > INT32_MAX) {
        st = tide_error(TIDE_ERR_DATA, "%s: too many lines for a vocabulary", vocab_path);
        goto done;
    }
    t->tokens = tide_calloc((size_t)lines, sizeof *t->tokens);
    t->map_ids = tide_calloc((size_t)lines, sizeof *t->map_ids);
    if (!t->tokens || !t->map_ids) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    if ((st = tide_strmap_init(&t->map, (size_t)lines))) goto done;
    char *s = t->vocab_data, *end = t->vocab_data + size;
    for (int64_t id = 0; id < lines; id++) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        char *e = nl ? nl : end;
        *e = 0; /* tide_read_file NUL-terminates, so end is writable */
        size_t n = (size_t)(e - s);
        int64_t k;
        int added;
        if ((st = tide_strmap_intern(&t->map, s, n, &k, &added))) goto done;
        t->map_ids[k] = (int32_t)id;
        t->tokens[id] = s;
        if (n > t->max_token_bytes) t->max_token_bytes = n;
        s = e + 1;
    }
    t->n_vocab = lines;
    int32_t *ids[4] = {&t->unk_id, &t->cls_id, &t->sep_id, &t->pad_id};
    for (int i = 0; i < 5; i++) {
        int32_t id = names[i] ? tide_tokenizer_id(t, names[i]) : -1;
        if (i < 4) {
            if (id < 0) {
                st = tide_error(TIDE_ERR_DATA, "%s: the vocabulary has no %s token '%s'", vocab_path,
                                i == 0 ? "unknown" : i == 1 ? "classifier" : i == 2 ? "separator" : "padding",
                                names[i]);
                goto done;
            }
            *ids[i] = id;
        }
        if (id >= 0) {
            /* Literal special tokens in text are matched as HF's added vocabulary does. */
            int k = t->n_special++;
            t->special[k] = t->specials_buf[i];
            t->special_len[k] = strlen(t->specials_buf[i]);
            t->special_id[k] = id;
        }
    }
done:
    if (st) tide_tokenizer_free(t);
    else *out = t;
    return st;
}

int64_t tide_tokenizer_vocab_size(const tide_tokenizer *t) { return t->n_vocab; }
int tide_tokenizer_max_length(const tide_tokenizer *t) { return t->p.max_length; }
int32_t tide_tokenizer_pad_id(const tide_tokenizer *t) { return t->pad_id; }
const char *tide_tokenizer_token(const tide_tokenizer *t, int32_t id) {
    return id >= 0 && id < t->n_vocab ? t->tokens[id] : NULL;
}

/* ---- encoding ------------------------------------------------------------------------------ */

typedef struct {
    const tide_tokenizer *t;
    int32_t *ids;
    int n, cap;       /* cap = max_length - 1: room left for [SEP] */
    int full;         /* a piece did not fit */
    int n_unk;
    char *piece;      /* "##" + candidate */
    size_t piece_cap;
    int32_t *tmp;     /* pieces of the current word */
    size_t tmp_cap;
    tide_status st;
} enc_state;

static int emit(enc_state *e, int32_t id) {
    if (e->n >= e->cap) {
        e->full = 1;
        return 1;
    }
    e->ids[e->n++] = id;
    return 0;
}

/* WordPiece for one word (UTF-8, n bytes). */
static int wordpiece(const char *w, size_t n, void *user) {
    enc_state *e = user;
    const tide_tokenizer *t = e->t;
    /* character boundaries */
    size_t nchars = 0;
    for (size_t i = 0; i < n; i++) nchars += ((unsigned char)w[i] & 0xC0) != 0x80;
    if (nchars > (size_t)t->p.max_input_chars_per_word) {
        e->n_unk++;
        return emit(e, t->unk_id);
    }
    if (n + 3 > e->piece_cap) {
        char *np = realloc(e->piece, n + 3);
        if (!np) {
            e->st = tide_error(TIDE_ERR_NOMEM, "out of memory in WordPiece");
            return 1;
        }
        e->piece = np;
        e->piece_cap = n + 3;
    }
    if (nchars > e->tmp_cap) {
        int32_t *nt = realloc(e->tmp, nchars * sizeof *nt);
        if (!nt) {
            e->st = tide_error(TIDE_ERR_NOMEM, "out of memory in WordPiece");
            return 1;
        }
        e->tmp = nt;
        e->tmp_cap = nchars;
    }
    size_t np = 0, start = 0;
    while (start < n) {
        size_t pre = start > 0 ? 2 : 0;
        size_t end = n;
        if (end - start + pre > t->max_token_bytes) {
            end = start + (t->max_token_bytes > pre ? t->max_token_bytes - pre : 0);
            while (end > start && ((unsigned char)w[end] & 0xC0) == 0x80) end--; /* char boundary */
        }
        int32_t found = -1;
        if (pre) memcpy(e->piece, "##", 2);
        while (end > start) {
            memcpy(e->piece + pre, w + start, end - start);
            found = lookup(t, e->piece, pre + end - start);
            if (found >= 0) break;
            do end--;
            while (end > start && ((unsigned char)w[end] & 0xC0) == 0x80);
        }
        if (found < 0) {
            e->n_unk++;
            return emit(e, t->unk_id);
        }
        e->tmp[np++] = found;
        start = end;
    }
    for (size_t i = 0; i < np; i++)
        if (emit(e, e->tmp[i])) return 1;
    return 0;
}

tide_status tide_tokenizer_encode(const tide_tokenizer *t, const char *text, size_t len,
                                  int32_t *ids, int *n_ids, tide_tokenize_info *info) {
    enc_state e;
    memset(&e, 0, sizeof e);
    e.t = t;
    e.ids = ids;
    e.cap = t->p.max_length - 1;
    int lower = t->p.do_lower_case;
    int strip = t->p.strip_accents < 0 ? lower : t->p.strip_accents;
    cpvec a = {0};
    char *wbuf = NULL;
    size_t wcap = 0;
    int bad = 0;
    ids[e.n++] = t->cls_id;
    size_t seg = 0, i = 0;
    while (!e.full && !e.st) {
        /* find the next literal special token at or after i */
        int sk = -1;
        size_t at = len;
        for (size_t p = i; p < len && sk < 0; p++) {
            size_t best = 0;
            for (int k = 0; k < t->n_special; k++)
                if (t->special_len[k] > best && t->special_len[k] <= len - p &&
                    memcmp(text + p, t->special[k], t->special_len[k]) == 0) {
                    best = t->special_len[k];
                    sk = k;
                }
            if (sk >= 0) at = p;
        }
        a.n = 0;
        if ((e.st = normalize(text + seg, at - seg, lower, strip, t->p.tokenize_chinese_chars, &a, &bad))) break;
        if (split_words(&a, &wbuf, &wcap, wordpiece, &e, &e.st)) break;
        if (sk < 0) break;
        if (emit(&e, t->special_id[sk])) break;
        seg = i = at + t->special_len[sk];
    }
    free(a.v);
    free(wbuf);
    free(e.piece);
    free(e.tmp);
    if (e.st) return e.st;
    ids[e.n++] = t->sep_id;
    *n_ids = e.n;
    if (info) {
        info->n_invalid_utf8 = bad;
        info->truncated = e.full;
        info->n_unk = e.n_unk;
    }
    return TIDE_OK;
}
