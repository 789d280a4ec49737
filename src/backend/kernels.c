/* kernels.c — the CPU kernel choice of the backend (tide/backend.h tide_cpu_kernels): which of
 * tide's hand-written kernels run on this machine, decided once per process from the CPU and
 * the environment overrides documented in docs/environment.md. The model families (ALS's
 * AVX-512 CG rows, the language model's AMX dense layers) ask here instead of probing the CPU
 * themselves, so `--version` and `-v` can say what runs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/backend.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#define HAVE_X86 1
#endif

char *openblas_get_corename(void) __attribute__((weak));

static tide_cpu_kernels g_k;
static char g_blas[96];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int env_off(const char *name) {
    const char *v = getenv(name);
    return v && strcmp(v, "0") == 0;
}
static int env_on(const char *name) {
    const char *v = getenv(name);
    return v && *v && *v != '0';
}

#ifdef HAVE_X86
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static int detect_amx(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int amx = (d >> 22 & 1) && (d >> 24 & 1);            /* AMX-BF16, AMX-TILE */
    int avx512 = (b >> 16 & 1) && (b >> 30 & 1);         /* AVX512F, AVX512BW */
    if (!amx || !avx512 || a < 1) return 0;
    __get_cpuid_count(7, 1, &a, &b, &c, &d);
    if (!(a >> 5 & 1)) return 0;                         /* AVX512-BF16 (the activation split) */
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c >> 27 & 1)) return 0; /* OSXSAVE */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6u) != 0xe6u) return 0;                 /* the OS saves the AVX-512 state */
    /* Linux hands out the 8 KiB tile state only on request (per process). */
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}
#endif

static void detect(void) {
#ifdef HAVE_X86
    __builtin_cpu_init();
    g_k.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    /* AMX only when it would be used: requesting the tile state is a system call. */
    g_k.amx = !env_off("TIDE_LM_AMX") && detect_amx();
#endif
    g_k.als_avx512 = g_k.avx512 && !env_on("TIDE_ALS_PORTABLE");
    g_k.lm_amx = g_k.amx;
    const char *core = openblas_get_corename ? openblas_get_corename() : NULL;
    if (core) snprintf(g_blas, sizeof g_blas, "OpenBLAS (core %s)", core);
    else snprintf(g_blas, sizeof g_blas, "system BLAS");
    g_k.blas = g_blas;
}

const tide_cpu_kernels *tide_cpu_kernels_get(void) {
    pthread_once(&g_once, detect);
    return &g_k;
}

void tide_cpu_kernels_describe(char *buf, size_t cap) {
    const tide_cpu_kernels *k = tide_cpu_kernels_get();
    snprintf(buf, cap, "BLAS %s; ALS CG rows %s; LM dense layers %s", k->blas,
             k->als_avx512 ? "AVX-512 (k = 32, 64, 128; else portable)"
                           : (k->avx512 ? "portable (TIDE_ALS_PORTABLE)" : "portable"),
             k->lm_amx ? "AMX-BF16" : (k->amx ? "BLAS sgemm (TIDE_LM_AMX=0)" : "BLAS sgemm"));
}
