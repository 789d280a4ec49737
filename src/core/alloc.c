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

/* ---- Out-of-memory fault injection (tests) -------------------------------------------------
 * Every executable linked with libtide is linked with -Wl,--wrap for malloc, calloc, realloc,
 * strdup, strndup, posix_memalign and aligned_alloc (CMakeLists.txt), so each allocation tide's
 * own code makes — through tide_malloc or directly — comes here first; those made inside shared
 * libraries (libc, OpenBLAS, OpenMP, cJSON) do not. With TIDE_FAIL_ALLOC=N the N-th such
 * allocation fails (returns NULL with ENOMEM), SQLite's way: a test sweeps N over a run and checks
 * that every failure ends in a status and exit 1, with nothing leaked. TIDE_FAIL_ALLOC=0 only
 * counts, and prints "tide: N allocations" to stderr at exit, so the sweep knows its range. */
#include <errno.h>
#include <execinfo.h>
#include <stdio.h>
#include <unistd.h>

/* Weak: a program linked against the installed libtide.a without the --wrap flags (tide.pc does
 * not carry them) never calls the __wrap_ functions, and must still link. */
#define WEAK __attribute__((weak))
WEAK void *__real_malloc(size_t n);
WEAK void *__real_calloc(size_t a, size_t b);
WEAK void *__real_realloc(void *p, size_t n);
WEAK char *__real_strdup(const char *s);
WEAK char *__real_strndup(const char *s, size_t n);
WEAK int __real_posix_memalign(void **p, size_t a, size_t n);
WEAK void *__real_aligned_alloc(size_t a, size_t n);

static long long g_fail_at = -1; /* -1: not read yet; -2: off */
static long long g_count;

static void report_count(void) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "tide: %lld allocations\n", __atomic_load_n(&g_count, __ATOMIC_RELAXED));
    ssize_t r = write(STDERR_FILENO, buf, (size_t)n);
    (void)r;
}

/* 1 if this allocation is the one to fail. getenv allocates nothing, so this is safe here. */
static int inject(void) {
    long long at = __atomic_load_n(&g_fail_at, __ATOMIC_RELAXED);
    if (at == -2) return 0;
    if (at == -1) {
        const char *e = getenv("TIDE_FAIL_ALLOC");
        at = e && *e ? atoll(e) : -2;
        if (at < 0) at = -2;
        long long expect = -1;
        if (__atomic_compare_exchange_n(&g_fail_at, &expect, at, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) && at == 0)
            atexit(report_count);
        at = __atomic_load_n(&g_fail_at, __ATOMIC_RELAXED);
        if (at == -2) return 0;
    }
    long long k = __atomic_add_fetch(&g_count, 1, __ATOMIC_RELAXED);
    if (at > 0 && k == at) {
        /* TIDE_FAIL_ALLOC_TRACE=1: show where (to find the caller that mishandled it). */
        const char *tr = getenv("TIDE_FAIL_ALLOC_TRACE");
        if (tr && *tr == '1') {
            void *frames[24];
            backtrace_symbols_fd(frames, backtrace(frames, 24), STDERR_FILENO);
        }
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) { return inject() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { return inject() ? NULL : __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { return inject() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return inject() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return inject() ? NULL : __real_strndup(s, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { return inject() ? ENOMEM : __real_posix_memalign(p, a, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { return inject() ? NULL : __real_aligned_alloc(a, n); }
