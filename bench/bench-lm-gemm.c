/* bench-lm-gemm.c — the encoder's four dense layers (y = x W^T + b) on the AMX bf16x6 kernel
 * (src/lm/amx.c) and on OpenBLAS sgemm, at a batch's token count T, with 1 thread and with
 * several threads each multiplying its own activations concurrently (the encoder runs one batch
 * per thread, the weights shared). Says whether a path is compute- or memory-bound: a rate that
 * drops per thread when the threads run together points at shared caches or memory bandwidth.
 * Rates are per thread over its own CPU time (CLOCK_THREAD_CPUTIME_ID), so that time the thread
 * spends descheduled by other processes on a shared machine does not count; each case is the best
 * of `windows` windows of `seconds` (wall) each, other processes only ever slowing a window down.
 * The OpenBLAS case includes the bias the way the encoder's fallback adds it.
 * Usage: bench-lm-gemm [seconds=0.1] [windows=10] [T...=436 1463]  (threads 1 and 2; TIDE_LM_AMX=0 skips AMX)
 * Set OPENBLAS_CORETYPE (e.g. SkylakeX) where OpenBLAS misdetects the CPU (bench/RESULTS.md). */
#define _GNU_SOURCE
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "lm/lm-amx.h"
#include "tide/core.h"

enum { HID = 384, INTER = 1536 };

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const struct {
    const char *name;
    int n, k;
} shapes[] = {{"qkv", 3 * HID, HID}, {"attn-out", HID, HID}, {"ffn-in", INTER, HID}, {"ffn-out", HID, INTER}};

/* bias rows then beta = 1: the encoder's OpenBLAS path */
static void blas_linear(const float *x, int T, const float *w, const float *b, int n, int k, float *y) {
    for (int t = 0; t < T; t++) memcpy(y + (size_t)t * n, b, (size_t)n * sizeof *y);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, n, k, 1.0f, x, k, w, k, 1.0f, y, n);
}

/* GFLOP/s per thread (mean over the threads) of one path on one shape. */
static double run(int amx, int threads, int T, int s, const float *w, const float *b, const lm_amx_weight *aw,
                  double secs, int windows) {
    int n = shapes[s].n, k = shapes[s].k;
    double best = 0;
    for (int rep = 0; rep < windows; rep++) {
        double rate = 0;
#pragma omp parallel num_threads(threads) reduction(+ : rate)
        {
            float *x = malloc(sizeof(float) * (size_t)T * k), *y = malloc(sizeof(float) * (size_t)T * n);
            uint16_t *scratch = amx ? lm_amx_alloc(lm_amx_scratch_elems(T, k, n)) : NULL;
            for (size_t i = 0; i < (size_t)T * k; i++) x[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
            long calls = 0;
#pragma omp barrier
            double start = tide_now(), cpu0 = thread_cpu(), now;
            do {
                if (amx)
                    lm_amx_linear(x, T, aw, y, scratch, 0);
                else
                    blas_linear(x, T, w, b, n, k, y);
                calls++;
                now = tide_now();
            } while (now - start < secs);
            rate = 2.0 * T * n * k * (double)calls / (thread_cpu() - cpu0);
            free(x);
            free(y);
            free(scratch);
        }
        rate /= threads;
        if (rate > best) best = rate;
    }
    return best * 1e-9;
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 0.1;
    int windows = argc > 2 ? atoi(argv[2]) : 10, Ts[8] = {436, 1463}, nT = 2;
    if (argc > 3) {
        nT = 0;
        for (int i = 3; i < argc && nT < 8; i++) Ts[nT++] = atoi(argv[i]);
    }
    setenv("TIDE_LM_AMX", "1", 0);
    int have_amx = lm_amx_available();
    tide_threads_set(2); /* single-threaded BLAS inside the parallel regions */
    float *w[4], *b[4];
    lm_amx_weight aw[4];
    for (int s = 0; s < 4; s++) {
        int n = shapes[s].n, k = shapes[s].k;
        w[s] = malloc(sizeof(float) * (size_t)n * k);
        b[s] = malloc(sizeof(float) * (size_t)n);
        for (size_t i = 0; i < (size_t)n * k; i++) w[s][i] = (float)((i * 40503u) % 997) * 1e-4f - 0.05f;
        for (int i = 0; i < n; i++) b[s][i] = (float)i * 1e-3f;
        if (have_amx && lm_amx_pack(w[s], b[s], n, k, &aw[s])) return 1;
    }
    printf("GFLOP/s per thread (threads run concurrently, each on its own activations, shared weights)\n");
    printf("%-9s %5s %7s | %9s %9s | %9s %9s\n", "shape", "T", "", "blas 1t", "blas 2t", "amx 1t", "amx 2t");
    for (int ti = 0; ti < nT; ti++) {
        int T = Ts[ti];
        double tot[4] = {0}, flop_tot = 0;
        for (int s = 0; s < 4; s++) {
            double r[4] = {0};
            for (int th = 1; th <= 2; th++) {
                r[th - 1] = run(0, th, T, s, w[s], b[s], NULL, secs, windows);
                if (have_amx) r[th + 1] = run(1, th, T, s, w[s], b[s], &aw[s], secs, windows);
            }
            double f = 2.0 * T * shapes[s].n * shapes[s].k;
            flop_tot += f;
            for (int i = 0; i < 4; i++) tot[i] += r[i] > 0 ? f / r[i] : 0;
            printf("%-9s %5d %7s | %9.1f %9.1f | %9.1f %9.1f\n", shapes[s].name, T, "", r[0], r[1], r[2], r[3]);
        }
        printf("%-9s %5d %7s | %9.1f %9.1f | %9.1f %9.1f\n", "layer", T, "", flop_tot / tot[0], flop_tot / tot[1],
               tot[2] > 0 ? flop_tot / tot[2] : 0, tot[3] > 0 ? flop_tot / tot[3] : 0);
    }
    for (int s = 0; s < 4; s++) {
        free(w[s]);
        free(b[s]);
        if (have_amx) lm_amx_weight_free(&aw[s]);
    }
    return 0;
}
