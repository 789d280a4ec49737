/* npy.c — NumPy .npy reader (mmap, zero copy, every header field validated) and writer
 * (v1.0, 64-byte aligned data, atomic). Format reference: numpy/lib/_format_impl.py.
 *
 * The header parser accepts exactly what numpy writes and reasonable variations (either quote
 * style, any key order, spaces, trailing commas) and rejects anything else with a message
 * naming the file and the problem: a lying header must never turn into a wild read. */
#define _GNU_SOURCE
#include "tide/npy.h"
#include "tide/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    tide_dtype t;
    const char *name, *descr;
    size_t size;
} dtypes[] = {
    {TIDE_DTYPE_F32, "f32", "<f4", 4}, {TIDE_DTYPE_F16, "f16", "<f2", 2},
    {TIDE_DTYPE_F64, "f64", "<f8", 8}, {TIDE_DTYPE_I32, "i32", "<i4", 4},
    {TIDE_DTYPE_I64, "i64", "<i8", 8}, {TIDE_DTYPE_U32, "u32", "<u4", 4},
    {TIDE_DTYPE_U8, "u8", "|u1", 1},
};
#define NDTYPES (sizeof dtypes / sizeof dtypes[0])

size_t tide_dtype_size(tide_dtype t) { return (size_t)t < NDTYPES ? dtypes[t].size : 0; }
const char *tide_dtype_name(tide_dtype t) { return (size_t)t < NDTYPES ? dtypes[t].name : "?"; }
const char *tide_dtype_descr(tide_dtype t) { return (size_t)t < NDTYPES ? dtypes[t].descr : "?"; }

/* ---- header parsing ---------------------------------------------------------------------- */

typedef struct { const char *p, *end; } cur;

static void skip_ws(cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int eat(cur *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* Quoted string into out (max cap-1 chars); no escapes are needed for valid headers. */
static int parse_str(cur *c, char *out, size_t cap) {
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap) return 0;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return 0;
    c->p++;
    out[n] = 0;
    return 1;
}

static int parse_word(cur *c, const char *w) {
    skip_ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, w, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

static tide_status hdr_err(const char *name, const char *what) {
    return tide_error(TIDE_ERR_DATA, "%s: invalid .npy header: %s", name, what);
}

static tide_status parse_header(const char *h, size_t len, const char *name, tide_npy *out) {
    cur c = {h, h + len};
    int have_descr = 0, have_fortran = 0, have_shape = 0, fortran = 0;
    char descr[32];
    if (!eat(&c, '{')) return hdr_err(name, "does not start with '{'");
    for (;;) {
        if (eat(&c, '}')) break;
        char key[32];
        if (!parse_str(&c, key, sizeof key)) return hdr_err(name, "expected a quoted key");
        if (!eat(&c, ':')) return hdr_err(name, "expected ':' after key");
        if (strcmp(key, "descr") == 0) {
            if (have_descr++) return hdr_err(name, "duplicate 'descr'");
            if (!parse_str(&c, descr, sizeof descr)) return hdr_err(name, "'descr' is not a simple dtype string (structured dtypes are not supported)");
        } else if (strcmp(key, "fortran_order") == 0) {
            if (have_fortran++) return hdr_err(name, "duplicate 'fortran_order'");
            if (parse_word(&c, "True")) fortran = 1;
            else if (parse_word(&c, "False")) fortran = 0;
            else return hdr_err(name, "'fortran_order' must be True or False");
        } else if (strcmp(key, "shape") == 0) {
            if (have_shape++) return hdr_err(name, "duplicate 'shape'");
            if (!eat(&c, '(')) return hdr_err(name, "'shape' must be a tuple");
            out->ndim = 0;
            for (;;) {
                if (eat(&c, ')')) break;
                skip_ws(&c);
                if (c.p >= c.end || *c.p < '0' || *c.p > '9') return hdr_err(name, "'shape' holds a non-integer or negative dimension");
                int64_t v = 0;
                while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
                    if (v > (INT64_MAX - 9) / 10) return hdr_err(name, "'shape' dimension overflows");
                    v = v * 10 + (*c.p++ - '0');
                }
                if (c.p < c.end && *c.p == 'L') c.p++; /* Python 2 longs */
                if (out->ndim >= TIDE_NPY_MAX_DIMS) return hdr_err(name, "too many dimensions");
                out->shape[out->ndim++] = v;
                if (eat(&c, ',')) continue;
                if (eat(&c, ')')) break;
                return hdr_err(name, "malformed 'shape' tuple");
            }
        } else {
            return hdr_err(name, "unknown key");
        }
        if (eat(&c, ',')) continue;
        if (eat(&c, '}')) break;
        return hdr_err(name, "expected ',' or '}'");
    }
    skip_ws(&c);
    if (c.p != c.end) return hdr_err(name, "trailing characters after the dict");
    if (!have_descr || !have_fortran || !have_shape) return hdr_err(name, "missing 'descr', 'fortran_order' or 'shape'");
    if (fortran) return tide_error(TIDE_ERR_DATA, "%s: Fortran-order arrays are not supported (tide is row-major)", name);
    if (descr[0] == '>') return tide_error(TIDE_ERR_DATA, "%s: big-endian dtype '%s' is not supported", name, descr);
    int found = 0;
    for (size_t i = 0; i < NDTYPES; i++) {
        const char *d = dtypes[i].descr;
        /* '=' (native) and '<' are the same on the little-endian hosts tide supports; single-byte
         * types may carry '|', '<' or '='. */
        if (strcmp(descr + 1, d + 1) == 0 && (descr[0] == '<' || descr[0] == '=' || descr[0] == '|')) {
            out->dtype = dtypes[i].t;
            found = 1;
            break;
        }
    }
    if (!found) return tide_error(TIDE_ERR_DATA, "%s: unsupported dtype '%s'", name, descr);
    return TIDE_OK;
}

tide_status tide_npy_parse(const void *buf, size_t size, const char *name, tide_npy *out) {
    const unsigned char *b = buf;
    memset(out, 0, sizeof *out);
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0) return tide_error(TIDE_ERR_DATA, "%s: not a .npy file (bad magic)", name);
    unsigned major = b[6], minor = b[7];
    size_t hlen, off;
    if (major == 1 && minor == 0) {
        hlen = (size_t)b[8] | ((size_t)b[9] << 8);
        off = 10;
    } else if ((major == 2 || major == 3) && minor == 0) {
        if (size < 12) return tide_error(TIDE_ERR_DATA, "%s: truncated .npy header", name);
        hlen = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) | ((size_t)b[11] << 24);
        off = 12;
    } else {
        return tide_error(TIDE_ERR_DATA, "%s: unsupported .npy version %u.%u", name, major, minor);
    }
    if (hlen > size - off) return tide_error(TIDE_ERR_DATA, "%s: header length %zu exceeds the file", name, hlen);
    tide_status st = parse_header((const char *)b + off, hlen, name, out);
    if (st) return st;
    size_t count = 1, bytes;
    for (int i = 0; i < out->ndim; i++)
        if (!tide_mul_size(count, (size_t)out->shape[i], &count) || out->shape[i] < 0)
            return tide_error(TIDE_ERR_DATA, "%s: shape overflows", name);
    if (!tide_mul_size(count, tide_dtype_size(out->dtype), &bytes))
        return tide_error(TIDE_ERR_DATA, "%s: shape's byte size overflows", name);
    size_t data_off = off + hlen;
    if (bytes > size - data_off)
        return tide_error(TIDE_ERR_DATA, "%s: data is %zu bytes but the shape needs %zu (truncated file?)", name, size - data_off, bytes);
    out->count = count;
    out->data = (void *)(b + data_off);
    return TIDE_OK;
}

tide_status tide_npy_load(const char *path, tide_npy *out) {
    tide_map m;
    memset(out, 0, sizeof *out);
    tide_status st = tide_map_open(&m, path);
    if (st) return st;
    if (!m.data) return tide_error(TIDE_ERR_DATA, "%s: empty file, not a .npy array", path);
    st = tide_npy_parse(m.data, m.size, path, out);
    if (st) {
        tide_map_close(&m);
        return st;
    }
    out->map_base = (void *)m.data;
    out->map_size = m.size;
    return TIDE_OK;
}

tide_status tide_npy_load_expect(const char *path, tide_dtype dtype, int ndim, tide_npy *out) {
    tide_status st = tide_npy_load(path, out);
    if (st) return st;
    if (out->dtype != dtype || (ndim >= 0 && out->ndim != ndim)) {
        st = tide_error(TIDE_ERR_DATA, "%s: expected a %d-D %s array, found %d-D %s", path, ndim,
                        tide_dtype_name(dtype), out->ndim, tide_dtype_name(out->dtype));
        tide_npy_free(out);
    }
    return st;
}

void tide_npy_free(tide_npy *a) {
    if (a->map_base) munmap(a->map_base, a->map_size);
    free(a->owned);
    memset(a, 0, sizeof *a);
}

/* ---- writing ----------------------------------------------------------------------------- */

size_t tide_npy_header(char *buf, size_t cap, tide_dtype dtype, int ndim, const int64_t *shape) {
    char dict[512], dims[400];
    size_t o = 0;
    dims[0] = 0;
    for (int i = 0; i < ndim; i++) {
        int w = snprintf(dims + o, sizeof dims - o, "%lld,%s", (long long)shape[i], (ndim > 1 && i < ndim - 1) ? " " : "");
        if (w < 0 || (size_t)w >= sizeof dims - o) return 0;
        o += (size_t)w;
    }
    /* numpy writes "(n,)" for 1-D and "(a, b)" for more: drop the trailing comma past 1-D. */
    if (ndim > 1 && o > 0 && dims[o - 1] == ',') dims[--o] = 0;
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      tide_dtype_descr(dtype), dims);
    if (dl < 0 || (size_t)dl >= sizeof dict) return 0;
    size_t total = 10 + (size_t)dl + 1;
    total = (total + 63) / 64 * 64;
    if (total > cap || total - 10 > 65535) return 0;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    size_t hl = total - 10;
    buf[8] = (char)(hl & 0xff);
    buf[9] = (char)(hl >> 8);
    memcpy(buf + 10, dict, (size_t)dl);
    memset(buf + 10 + dl, ' ', total - 10 - (size_t)dl - 1);
    buf[total - 1] = '\n';
    return total;
}

tide_status tide_npy_save(const char *path, tide_dtype dtype, int ndim, const int64_t *shape,
                          const void *data) {
    char hdr[1024];
    if (ndim < 0 || ndim > TIDE_NPY_MAX_DIMS) return tide_error(TIDE_ERR_USAGE, "%s: bad ndim %d", path, ndim);
    size_t count = 1, bytes;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0 || !tide_mul_size(count, (size_t)shape[i], &count))
            return tide_error(TIDE_ERR_USAGE, "%s: bad shape", path);
    if (!tide_mul_size(count, tide_dtype_size(dtype), &bytes)) return tide_error(TIDE_ERR_USAGE, "%s: array too large", path);
    size_t hl = tide_npy_header(hdr, sizeof hdr, dtype, ndim, shape);
    if (!hl) return tide_error(TIDE_ERR_USAGE, "%s: header too large", path);
    tide_atomic_file f;
    tide_status st = tide_atomic_open(&f, path);
    if (st) return st;
    if (fwrite(hdr, 1, hl, f.fp) != hl || (bytes && fwrite(data, 1, bytes, f.fp) != bytes)) {
        st = tide_error(TIDE_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        tide_atomic_abort(&f);
        return st;
    }
    return tide_atomic_commit(&f);
}

tide_status tide_npy_save_1d(const char *path, tide_dtype dtype, int64_t n, const void *data) {
    return tide_npy_save(path, dtype, 1, &n, data);
}

tide_status tide_npy_save_2d(const char *path, tide_dtype dtype, int64_t rows, int64_t cols,
                             const void *data) {
    int64_t s[2] = {rows, cols};
    return tide_npy_save(path, dtype, 2, s, data);
}

/* ---- half precision ---------------------------------------------------------------------- */

float tide_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) bits = sign;
        else { /* subnormal: normalise */
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t tide_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xff);
    uint32_t man = x & 0x7fffff;
    if (exp == 255) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    int32_t e = exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* round to nearest even; may carry into exp */
    return (uint16_t)(sign | h);
}
