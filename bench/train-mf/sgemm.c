/* sgemm.c — benchmark helper: OpenBLAS sgemm GFLOP/s on this machine (n = 2048, best of 5),
 * the ceiling against which ALS's achieved GFLOP/s is reported. Threads from argv[1]. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void openblas_set_num_threads(int);

int main(int argc, char **argv) {
    int n = 2048, th = argc > 1 ? atoi(argv[1]) : 1;
    openblas_set_num_threads(th);
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; i++) { a[i] = (float)(i % 7) / 7; b[i] = (float)(i % 5) / 5; }
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
        if (s < best) best = s;
    }
    printf("%.2f\n", 2.0 * n * n * (double)n / best / 1e9);
    free(a); free(b); free(c);
    return 0;
}
