/* safetensors.c — memory-mapped, fully validated reader of the safetensors format
 * (github.com/huggingface/safetensors: u64 LE header length, JSON header, packed data) with
 * F32/F16/BF16 → f32 conversion. The checks mirror the reference `read_metadata`/`validate` so a
 * lying header can never become an out-of-bounds read. */
#define _GNU_SOURCE
#include "tide/lm.h"
#include "tide/fileio.h"
#include "tide/npy.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define MAX_HEADER 100000000ull

static const struct {
    const char *name;
    int bits;
} dtypes[] = {
    {"BOOL", 8}, {"U8", 8}, {"I8", 8}, {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8},
    {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8}, {"I16", 16}, {"U16", 16}, {"F16", 16}, {"BF16", 16},
    {"I32", 32}, {"U32", 32}, {"F32", 32}, {"I64", 64}, {"U64", 64}, {"F64", 64}, {"C64", 64},
    {"F4", 4}, {"F6_E2M3", 6}, {"F6_E3M2", 6},
};

static int dtype_bits(const char *s) {
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(s, dtypes[i].name) == 0) return dtypes[i].bits;
    return 0;
}

void tide_safetensors_close(tide_safetensors *st) {
    if (!st) return;
    for (int i = 0; i < st->n; i++) free(st->tensors[i].name);
    free(st->tensors);
    free(st->path);
    if (st->map_base) {
        tide_map m = {st->map_base, st->map_size};
        tide_map_close(&m);
    }
    memset(st, 0, sizeof *st);
}

static int by_offset(const void *a, const void *b) {
    const tide_st_tensor *x = a, *y = b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    if (x->nbytes != y->nbytes) return x->nbytes < y->nbytes ? -1 : 1;
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const tide_st_tensor *)a)->name, ((const tide_st_tensor *)b)->name);
}

/* A JSON number that is a non-negative integer exactly representable in a double. */
static int json_uint(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0) || d > 9007199254740992.0 || d != floor(d)) return 0;
    *out = (uint64_t)d;
    return 1;
}

tide_status tide_safetensors_parse(const void *buf, size_t size, const char *name, tide_safetensors *st) {
    memset(st, 0, sizeof *st);
    tide_status s = TIDE_OK;
    char *hdr = NULL;
    cJSON *root = NULL;
    const unsigned char *b = buf;
    st->path = strdup(name);
    if (!st->path) return tide_error(TIDE_ERR_NOMEM, "out of memory");
    if (size < 8) {
        s = tide_error(TIDE_ERR_DATA, "%s: %zu bytes is too short for a safetensors file (needs an 8-byte header length)", name, size);
        goto done;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | b[i];
    if (n > MAX_HEADER) {
        s = tide_error(TIDE_ERR_DATA, "%s: header length %llu exceeds the %llu-byte limit (not a safetensors file?)", name,
                       (unsigned long long)n, MAX_HEADER);
        goto done;
    }
    if (n > size - 8) {
        s = tide_error(TIDE_ERR_DATA, "%s: header length %llu runs past the end of the %zu-byte file (truncated?)", name,
                       (unsigned long long)n, size);
        goto done;
    }
    if (n < 2 || b[8] != '{') {
        s = tide_error(TIDE_ERR_DATA, "%s: the header does not start with '{'", name);
        goto done;
    }
    /* UTF-8 check over the header bytes */
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(b + 8 + i, (utf8proc_ssize_t)(n - i), &c);
        if (k < 1) {
            s = tide_error(TIDE_ERR_DATA, "%s: header byte %zu is not valid UTF-8", name, i);
            goto done;
        }
        i += (size_t)k;
    }
    hdr = tide_malloc(n + 1);
    if (!hdr) {
        s = TIDE_ERR_NOMEM;
        goto done;
    }
    memcpy(hdr, b + 8, n);
    hdr[n] = 0;
    if (memchr(hdr, 0, n)) {
        s = tide_error(TIDE_ERR_DATA, "%s: header contains a NUL byte", name);
        goto done;
    }
    size_t hn = n;
    while (hn > 0 && hdr[hn - 1] == ' ') hdr[--hn] = 0; /* right-padding with spaces is allowed */
    const char *endp = NULL;
    root = cJSON_ParseWithOpts(hdr, &endp, 1);
    if (!root || !cJSON_IsObject(root)) {
        size_t at = endp ? (size_t)(endp - hdr) : 0;
        s = tide_error(TIDE_ERR_DATA, "%s: header is not a valid JSON object (error near byte %zu)", name, 8 + at);
        goto done;
    }
    int count = 0;
    for (cJSON *it = root->child; it; it = it->next) count++;
    st->tensors = tide_calloc((size_t)count + 1, sizeof *st->tensors);
    if (!st->tensors) {
        s = TIDE_ERR_NOMEM;
        goto done;
    }
    size_t data_start = 8 + (size_t)n, data_len = size - data_start;
    int seen_meta = 0;
    for (cJSON *it = root->child; it; it = it->next) {
        const char *key = it->string;
        if (strcmp(key, "__metadata__") == 0) {
            if (seen_meta++) {
                s = tide_error(TIDE_ERR_DATA, "%s: duplicate __metadata__", name);
                goto done;
            }
            if (!cJSON_IsObject(it)) {
                s = tide_error(TIDE_ERR_DATA, "%s: __metadata__ is not an object", name);
                goto done;
            }
            for (cJSON *m = it->child; m; m = m->next)
                if (!cJSON_IsString(m)) {
                    s = tide_error(TIDE_ERR_DATA, "%s: __metadata__ value '%s' is not a string", name, m->string);
                    goto done;
                }
            continue;
        }
        tide_st_tensor *t = &st->tensors[st->n];
        t->name = strdup(key);
        if (!t->name) {
            s = tide_error(TIDE_ERR_NOMEM, "out of memory");
            goto done;
        }
        st->n++;
        if (!cJSON_IsObject(it)) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': entry is not an object", name, key);
            goto done;
        }
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
        const cJSON *of = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
        if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of)) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': needs \"dtype\" (string), \"shape\" and \"data_offsets\" (arrays)", name, key);
            goto done;
        }
        t->bits = dtype_bits(dt->valuestring);
        if (!t->bits) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': unknown dtype '%.20s'", name, key, dt->valuestring);
            goto done;
        }
        snprintf(t->dtype, sizeof t->dtype, "%s", dt->valuestring);
        int nd = cJSON_GetArraySize(sh);
        if (nd > 8) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': %d dimensions (at most 8 supported)", name, key, nd);
            goto done;
        }
        t->ndim = nd;
        /* elements x bits, overflow-checked */
        unsigned __int128 elems = 1;
        int k = 0;
        for (const cJSON *d = sh->child; d; d = d->next, k++) {
            uint64_t v;
            if (!json_uint(d, &v)) {
                s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': shape[%d] is not a non-negative integer", name, key, k);
                goto done;
            }
            t->shape[k] = (int64_t)v;
            elems *= v;
            if (elems > ((unsigned __int128)1 << 64)) {
                s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': shape overflows", name, key);
                goto done;
            }
        }
        unsigned __int128 bits = elems * (unsigned)t->bits;
        if (bits % 8) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': %s data of this shape is not a whole number of bytes", name, key, t->dtype);
            goto done;
        }
        uint64_t b0, b1;
        if (cJSON_GetArraySize(of) != 2 || !json_uint(of->child, &b0) || !json_uint(of->child->next, &b1)) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': data_offsets must be two non-negative integers", name, key);
            goto done;
        }
        if (b1 < b0) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': data_offsets end %llu < begin %llu", name, key,
                           (unsigned long long)b1, (unsigned long long)b0);
            goto done;
        }
        if (b1 > data_len) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': data_offsets [%llu, %llu] run past the end of the data (%zu bytes; truncated file?)",
                           name, key, (unsigned long long)b0, (unsigned long long)b1, data_len);
            goto done;
        }
        if ((unsigned __int128)(b1 - b0) != bits / 8) {
            char shp[128];
            size_t o = 0;
            shp[0] = 0;
            for (int d = 0; d < nd && o < sizeof shp - 24; d++)
                o += (size_t)snprintf(shp + o, sizeof shp - o, "%s%lld", d ? "," : "", (long long)t->shape[d]);
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': %llu data bytes, but shape [%s] of %s needs %llu", name, key,
                           (unsigned long long)(b1 - b0), shp, t->dtype, (unsigned long long)(bits / 8));
            goto done;
        }
        t->offset = data_start + b0;
        t->nbytes = (size_t)(b1 - b0);
    }
    /* contiguity: sorted by (begin, end), starting at 0, no gaps or overlaps, ending at EOF */
    qsort(st->tensors, (size_t)st->n, sizeof *st->tensors, by_offset);
    size_t pos = data_start;
    for (int i = 0; i < st->n; i++) {
        tide_st_tensor *t = &st->tensors[i];
        if (t->offset != pos) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s': data begins at %zu, expected %zu (%s between tensors)", name, t->name,
                           t->offset - data_start, pos - data_start, t->offset > pos ? "gap" : "overlap");
            goto done;
        }
        pos += t->nbytes;
    }
    if (pos != size) {
        s = tide_error(TIDE_ERR_DATA, "%s: %zu bytes follow the last tensor's data (the file must end there)", name, size - pos);
        goto done;
    }
    qsort(st->tensors, (size_t)st->n, sizeof *st->tensors, by_name);
    for (int i = 1; i < st->n; i++)
        if (strcmp(st->tensors[i - 1].name, st->tensors[i].name) == 0) {
            s = tide_error(TIDE_ERR_DATA, "%s: tensor '%s' appears twice in the header", name, st->tensors[i].name);
            goto done;
        }
    st->data = b;
    st->size = size;
done:
    cJSON_Delete(root);
    free(hdr);
    if (s) tide_safetensors_close(st);
    return s;
}

tide_status tide_safetensors_open(const char *path, tide_safetensors *st) {
    memset(st, 0, sizeof *st);
    tide_map m;
    tide_status s = tide_map_open(&m, path);
    if (s) return s;
    s = tide_safetensors_parse(m.data, m.size, path, st);
    if (s) {
        tide_map_close(&m);
        return s;
    }
    st->map_base = (void *)m.data;
    st->map_size = m.size;
    return TIDE_OK;
}

const tide_st_tensor *tide_safetensors_find(const tide_safetensors *st, const char *name) {
    int lo = 0, hi = st->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(st->tensors[mid].name, name);
        if (c == 0) return &st->tensors[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

static void shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t o = 0;
    o += (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && o < cap - 24; d++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%lld", d ? ", " : "", (long long)shape[d]);
    snprintf(buf + o, cap - o, "]");
}

tide_status tide_safetensors_f32(const tide_safetensors *st, const char *name, int ndim,
                                 const int64_t *shape, const float **data, float **owned) {
    *data = NULL;
    *owned = NULL;
    const tide_st_tensor *t = tide_safetensors_find(st, name);
    if (!t) return tide_error(TIDE_ERR_DATA, "%s: missing tensor '%s'", st->path, name);
    int ok = t->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++) ok = shape[d] < 0 || shape[d] == t->shape[d];
    if (!ok) {
        char have[160], want[160];
        shape_str(have, sizeof have, t->ndim, t->shape);
        shape_str(want, sizeof want, ndim, shape);
        return tide_error(TIDE_ERR_DATA, "%s: tensor '%s' has shape %s, the model config needs %s", st->path, name, have, want);
    }
    const unsigned char *src = st->data + t->offset;
    size_t count = t->nbytes / (size_t)(t->bits / 8 ? t->bits / 8 : 1);
    if (strcmp(t->dtype, "F32") == 0 && ((uintptr_t)src % 4) == 0) {
        *data = (const float *)src;
        return TIDE_OK;
    }
    if (strcmp(t->dtype, "F32") && strcmp(t->dtype, "F16") && strcmp(t->dtype, "BF16"))
        return tide_error(TIDE_ERR_DATA, "%s: tensor '%s' has dtype %s; tide reads F32, F16 or BF16 weights", st->path, name, t->dtype);
    float *f = tide_malloc(count * sizeof *f + 1);
    if (!f) return TIDE_ERR_NOMEM;
    if (strcmp(t->dtype, "F32") == 0) {
        memcpy(f, src, count * sizeof *f);
    } else if (strcmp(t->dtype, "F16") == 0) {
        for (size_t i = 0; i < count; i++) {
            uint16_t h = (uint16_t)(src[2 * i] | (src[2 * i + 1] << 8));
            f[i] = tide_f16_to_f32(h);
        }
    } else {
        for (size_t i = 0; i < count; i++) {
            uint32_t u = (uint32_t)(src[2 * i] | (src[2 * i + 1] << 8)) << 16; /* BF16 = top half of f32 */
            memcpy(&f[i], &u, 4);
        }
    }
    *data = f;
    *owned = f;
    return TIDE_OK;
}
