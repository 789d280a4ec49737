/* clones.h — function multiversioning in one place: a kernel marked TIDE_CLONES_WIDE is compiled
 * for AVX-512F, AVX2 and baseline x86-64, one marked TIDE_CLONES_V3 for x86-64-v3 (AVX2+FMA) and
 * baseline, and the loader picks the CPU's best at start-up — the build stays portable and still
 * uses the wide units where they exist. Off (plain functions) outside GCC on x86-64 and under ASan
 * or TSan, which instrument the clones' resolvers before they are set up. */
#ifndef TIDE_CLONES_H
#define TIDE_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define TIDE_CLONES_WIDE __attribute__((target_clones("avx512f", "avx2", "default")))
#define TIDE_CLONES_V3 __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TIDE_CLONES_WIDE
#define TIDE_CLONES_V3
#endif

#endif
