/* alloc.c — allocation that reports its failures as TIDE_ERR_NOMEM with the size asked for. */
#define _GNU_SOURCE
#include "tide/core.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

void *tide_calloc_large(size_t count, size_t size) {
    size_t n;
    if (!tide_mul_size(count ? count : 1, size ? size : 1, &n)) {
        tide_error(TIDE_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", count, size);
        return NULL;
    }
    const size_t huge = (size_t)2 << 20;
    size_t align = n < 2 * huge ? 64 : huge; /* cache-line buckets never straddle two lines */
    void *p = NULL;
    n = (n + align - 1) & ~(align - 1);
    if (posix_memalign(&p, align, n) != 0) {
        tide_error(TIDE_ERR_NOMEM, "out of memory allocating %zu bytes", n);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    if (align == huge) (void)madvise(p, n, MADV_HUGEPAGE); /* a hint: else ordinary memory */
#endif
    memset(p, 0, n);
    return p;
}
