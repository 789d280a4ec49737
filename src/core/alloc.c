/* alloc.c — allocation that reports its failures as TIDE_ERR_NOMEM with the size asked for. */
#include "tide/core.h"

#include <stdlib.h>

void *tide_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) tide_error(TIDE_ERR_NOMEM, "out of memory allocating %zu bytes", n);
    return p;
}

void *tide_calloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) tide_error(TIDE_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *tide_realloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) tide_error(TIDE_ERR_NOMEM, "out of memory allocating %zu bytes", n);
    return q;
}

int tide_mul_size(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
