/* bench-sgemm.c — OpenBLAS sgemm throughput on the shapes of a BERT encoder layer, run the way
 * tide's encoder runs them: each of N OpenMP threads multiplies its own matrices with
 * single-threaded BLAS. Prints one line per shape and the flop-weighted aggregate, which is the
 * ceiling for the encoder's GFLOP/s (bench/embed.py reports both). Each shape: best of three
 * windows of seconds/3.
 * Usage: bench-sgemm [threads=2] [tokens=1024] [hidden=384] [intermediate=1536] [seconds=1.5] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "tide/core.h"

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2, T = argc > 2 ? atoi(argv[2]) : 1024;
    int H = argc > 3 ? atoi(argv[3]) : 384, Ff = argc > 4 ? atoi(argv[4]) : 1536;
    double secs = argc > 5 ? atof(argv[5]) : 1.5;
    tide_threads_set(threads); /* BLAS pinned to one thread inside the parallel region */
    struct { const char *name; int N, K; } shapes[] = {
        {"qkv  [T,H]x[H,3H]", 3 * H, H}, {"attn-out [T,H]x[H,H]", H, H},
        {"ffn-in [T,H]x[H,I]", Ff, H}, {"ffn-out [T,I]x[I,H]", H, Ff},
    };
    double tot_flop = 0, tot_time = 0;
    for (int s = 0; s < 4; s++) {
        int N = shapes[s].N, K = shapes[s].K;
        /* best of 3 windows: other processes on the machine only ever slow a window down */
        double best = 0;
        for (int rep = 0; rep < 3; rep++) {
            double flop = 0, t0 = tide_now();
#pragma omp parallel num_threads(threads) reduction(+ : flop)
            {
                float *A = malloc(sizeof(float) * (size_t)T * K), *B = malloc(sizeof(float) * (size_t)N * K),
                      *C = malloc(sizeof(float) * (size_t)T * N);
                for (size_t i = 0; i < (size_t)T * K; i++) A[i] = (float)(i % 7) * 0.1f;
                for (size_t i = 0; i < (size_t)N * K; i++) B[i] = (float)(i % 5) * 0.1f;
                double start = tide_now();
                while (tide_now() - start < secs / 3) {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, N, K, 1.0f, A, K, B, K, 0.0f, C, N);
                    flop += 2.0 * T * N * K;
                }
                free(A); free(B); free(C);
            }
            double rate = flop / (tide_now() - t0);
            if (rate > best) best = rate;
        }
        printf("%-22s T=%d: %7.1f GFLOP/s (%d threads)\n", shapes[s].name, T, best * 1e-9, threads);
        /* weight by the layer's flop share: time for one pass of each shape */
        double per = 2.0 * T * N * K;
        tot_flop += per;
        tot_time += per / best;
    }
    printf("aggregate              T=%d: %7.1f GFLOP/s\n", T, tot_flop / tot_time * 1e-9);
    return 0;
}
