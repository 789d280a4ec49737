/* memcap.c — running under an address-space limit (ulimit -v / -d) without hanging.
 *
 * OpenBLAS 0.3.21 retries a failed buffer allocation forever (blas_memory_alloc loops until
 * malloc/mmap succeeds), so under RLIMIT_AS a BLAS call that needs a new buffer spins, and the
 * threads waiting for it (an OpenMP barrier, OpenBLAS's exit-time join) hang with it. A buffer
 * (about 128 MiB of address space) is allocated once per concurrent caller and then reused, so
 * under a limit tide allocates them up front, one per OpenMP thread, after checking that they
 * fit; when they do not, it runs fewer threads or fails with a message. Without a limit nothing
 * here does anything. OpenBLAS's own worker threads (started when the library loads, each
 * allocating a buffer) are kept out by the programs, which re-execute themselves with
 * OPENBLAS_NUM_THREADS=1 when a limit is set (tools/common/cli.c). */
#define _GNU_SOURCE
#include "tide/core.h"

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* OpenBLAS's BUFFER_SIZE on x86-64 (128 MiB) plus its page of slack, rounded up: there is no API
 * to ask for it; measured as the 134221824-byte malloc its buffer allocator makes. */
#define BLAS_BUFFER ((size_t)136 << 20)
/* A new thread's first malloc reserves a 64 MiB glibc arena. */
#define THREAD_ARENA ((size_t)64 << 20)
/* Left over for the program's own data after the buffers: below this it fails at once. */
#define MARGIN ((size_t)48 << 20)

static int g_prepared, g_capped;

/* The tighter of RLIMIT_AS and RLIMIT_DATA, as bytes left; 0 if neither is set. */
static int limit_headroom(size_t *left, size_t *limit) {
    struct rlimit as, data;
    int capped = 0;
    size_t best = SIZE_MAX, lim = SIZE_MAX;
    unsigned long long vm_kb = 0, data_kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "VmSize:", 7) == 0) sscanf(line + 7, "%llu", &vm_kb);
            else if (strncmp(line, "VmData:", 7) == 0) sscanf(line + 7, "%llu", &data_kb);
        }
        fclose(f);
    }
    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
        size_t used = (size_t)vm_kb << 10;
        best = as.rlim_cur > used ? (size_t)as.rlim_cur - used : 0;
        lim = (size_t)as.rlim_cur;
        capped = 1;
    }
    if (getrlimit(RLIMIT_DATA, &data) == 0 && data.rlim_cur != RLIM_INFINITY) {
        size_t used = (size_t)data_kb << 10;
        size_t l = data.rlim_cur > used ? (size_t)data.rlim_cur - used : 0;
        if (l < best) best = l, lim = (size_t)data.rlim_cur;
        capped = 1;
    }
    *left = best;
    *limit = lim;
    return capped;
}

int tide_memory_capped(void) {
    size_t left, lim;
    return limit_headroom(&left, &lim);
}

static size_t vm_size(void) {
    unsigned long long kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "VmSize:", 7) == 0) sscanf(line + 7, "%llu", &kb);
        fclose(f);
    }
    return (size_t)kb << 10;
}

/* One GEMM large enough to take OpenBLAS's buffered path (small ones skip the buffer). */
#define WARM_N 256
static void touch_blas_buffer(float *a, float *c) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, WARM_N, WARM_N, WARM_N, 1.0f, a, WARM_N, a,
                WARM_N, 0.0f, c, WARM_N);
}

/* A buffer is taken per call and returned to a shared pool after it, so `threads` buffers exist
 * only once that many calls overlapped: run rounds of simultaneous calls until the address space
 * grew by that many buffers (a few rounds in practice; bounded). */
static tide_status allocate_buffers(int threads) {
    size_t bytes = (size_t)WARM_N * WARM_N * sizeof(float);
    float *a = tide_calloc((size_t)threads, bytes), *c = tide_calloc((size_t)threads, bytes);
    if (!a || !c) {
        free(a);
        free(c);
        return TIDE_ERR_NOMEM;
    }
    /* Start the threads first: their stacks and arenas are not buffers. */
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    a[(size_t)omp_get_thread_num() * WARM_N * WARM_N] = 0;
#endif
    size_t base = vm_size();
    const size_t grown = (size_t)threads * (BLAS_BUFFER - ((size_t)8 << 20));
    for (int round = 0; round < 200 && vm_size() - base < grown; round++) {
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
        {
            size_t t = (size_t)omp_get_thread_num() * WARM_N * WARM_N;
            touch_blas_buffer(a + t, c + t);
        }
#else
        touch_blas_buffer(a, c);
#endif
    }
    if (vm_size() - base < grown)
        tide_log(TIDE_LOG_DEBUG, "memory limit: fewer BLAS buffers than threads allocated up front");
    free(a);
    free(c);
    return TIDE_OK;
}

tide_status tide_blas_prepare(void) {
    if (g_prepared) return TIDE_OK;
    size_t left, lim;
    if (!limit_headroom(&left, &lim)) {
        g_prepared = 1;
        return TIDE_OK;
    }
    g_capped = 1;
    size_t stack = (size_t)8 << 20;
    pthread_attr_t attr;
    if (pthread_getattr_default_np(&attr) == 0) {
        size_t s = 0;
        if (pthread_attr_getstacksize(&attr, &s) == 0 && s) stack = s;
        pthread_attr_destroy(&attr);
    }
    const size_t per_thread = BLAS_BUFFER + stack + THREAD_ARENA;
    if (left < BLAS_BUFFER + MARGIN)
        return tide_error(TIDE_ERR_NOMEM,
                          "out of memory: the BLAS library needs %zu MiB of address space for its "
                          "buffer and the memory limit (%zu MiB) leaves %zu MiB",
                          (BLAS_BUFFER + MARGIN) >> 20, lim >> 20, left >> 20);
    int want = tide_threads_get(), fit = 1 + (int)((left - BLAS_BUFFER - MARGIN) / per_thread);
    if (fit < want) {
        tide_log(TIDE_LOG_WARN,
                 "memory limit %zu MiB leaves %zu MiB: running %d thread%s instead of %d "
                 "(each needs %zu MiB of address space for BLAS buffers and its stack)",
                 lim >> 20, left >> 20, fit, fit == 1 ? "" : "s", want, per_thread >> 20);
        tide_threads_set(fit);
        want = fit;
    }
    /* Allocate every thread's buffer now, while the check above still holds. */
    tide_status st = allocate_buffers(want);
    if (st) return st;
    g_prepared = 1;
    return TIDE_OK;
}

extern void openblas_set_num_threads(int) __attribute__((weak));

void tide_blas_threads(int n) {
    /* Under a limit OpenBLAS's workers stay off: each would allocate a buffer at start and spin
     * if that fails. The result then equals a single-threaded BLAS call's. */
    if (g_capped || tide_memory_capped()) n = 1;
    if (openblas_set_num_threads) openblas_set_num_threads(n < 1 ? 1 : n);
}
