/* threads.c — thread-count resolution and OpenMP/BLAS thread settings.
 *
 * tide parallelises with OpenMP at the outer level (users, items, blocks) and calls BLAS inside
 * those regions, so BLAS itself is pinned to one thread to avoid oversubscription; code that
 * calls one big GEMM outside a parallel region may raise it temporarily. */
#include "tide/core.h"

#include <stdlib.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int cur_threads = 1;

int tide_threads_resolve(int requested) {
    if (requested > 0) return requested;
    const char *env = getenv("TIDE_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == 0 && v > 0 && v <= 4096) return (int)v;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* OpenBLAS exports this; declared weak so builds against other BLAS still link. */
extern void openblas_set_num_threads(int) __attribute__((weak));

int tide_threads_set(int n) {
    if (n < 1) n = 1;
    cur_threads = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    return n;
}

int tide_threads_get(void) { return cur_threads; }
