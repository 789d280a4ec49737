/* mf-internal.h — helpers shared by the src/mf files: small vector kernels the compiler can
 * vectorise for the factor sizes ALS and BPR use. Random numbers come from core's generator
 * (tide/rng.h, tide_rng_seed: counter-based streams, so results depend on the seed and stream,
 * never on thread scheduling). */
#ifndef TIDE_MF_INTERNAL_H
#define TIDE_MF_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "tide/mf.h"
#include "tide/rng.h"

/* Vector kernels; the `omp simd` reductions let GCC vectorise float sums. */
/* 8-float vectors (GCC vector extensions: AVX in the x86-64-v3 clones, SSE pairs otherwise);
 * `_u` tolerates unaligned addresses. */
typedef float tide_v8 __attribute__((vector_size(32)));
typedef float tide_v8u __attribute__((vector_size(32), aligned(4)));

/* Dot product with four independent vector accumulators (hides FMA latency at n ≈ 64) held
 * in registers; no zeroed stack array (GCC turns that into a slow `rep stos`). */
static inline float tide_vdot(const float *restrict a, const float *restrict b, int n) {
    tide_v8 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 += *(const tide_v8u *)(a + i) * *(const tide_v8u *)(b + i);
        s1 += *(const tide_v8u *)(a + i + 8) * *(const tide_v8u *)(b + i + 8);
        s2 += *(const tide_v8u *)(a + i + 16) * *(const tide_v8u *)(b + i + 16);
        s3 += *(const tide_v8u *)(a + i + 24) * *(const tide_v8u *)(b + i + 24);
    }
    for (; i + 8 <= n; i += 8) s0 += *(const tide_v8u *)(a + i) * *(const tide_v8u *)(b + i);
    tide_v8 t = (s0 + s1) + (s2 + s3);
    float s = ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static inline void tide_vaxpy(float a, const float *restrict x, float *restrict y, int n) {
    int i = 0;
    tide_v8 av = {a, a, a, a, a, a, a, a};
    for (; i + 8 <= n; i += 8) *(tide_v8u *)(y + i) += av * *(const tide_v8u *)(x + i);
    for (; i < n; i++) y[i] += a * x[i];
}

/* ALS's CG row solve for AVX-512 CPUs (als-cg512.c). _supported: this CPU has AVX-512 and k is
 * 32, 64 or 128 (and TIDE_ALS_PORTABLE is not set). _row: solves row x in place from the
 * Gram matrix YtY (+λI) and the observed (idx, w); scratch holds 4k floats; the first gn ≤ n
 * factor rows are gathered into G (gn×k) by the residual pass and read from there by the CG
 * steps. Returns the row's objective part when want_loss, else 0. */
int tide_als_cg512_supported(int k);
double tide_als_cg512_row(int k, const float *YtY, const float *Y, int steps, float alpha, const int32_t *idx,
                          const float *w, int64_t n, float *x, float *scratch, float *G, int64_t gn, int want_loss);

/* Undecayed training weights without copies: validates the dataset's weights.npy (the errors
 * of tide_mf_weights) and that item_weights.npy holds the same values item-major, then points
 * `uw`/`iw` into the dataset. TIDE_ERR_USAGE (no message) when the dataset lacks an array. */
tide_status tide_mf_weights_shared(const tide_dataset *ds, const float **uw, const float **iw);

/* Internal: EASE memory limit, the params record, checkpoints. */
size_t tide_mf_limit_or_available(size_t max_bytes);

typedef struct cJSON cJSON;
/* Every hyper-parameter that applies to p->algo, keyed by flag name. */
cJSON *tide_mf_params_json(const tide_mf_params *p);

/* Iterative training state (als, bpr) as a checkpoint holds it. */
typedef struct {
    int iteration;            /* completed iterations */
    int best_iteration;       /* 0 = none yet */
    double best_ndcg;
    float *U, *V, *bias;      /* current factors (bias: bpr) */
    float *bU, *bV, *bbias;   /* best snapshot under validation, else NULL */
    cJSON *log;               /* array of per-iteration objects */
} tide_mf_state;

/* Write the state atomically as directory `dir` (replacing an older checkpoint). */
tide_status tide_mf_checkpoint_save(const char *dir, const tide_mf_params *p, const char *checksum,
                                    int64_t n_users, int64_t n_items, const tide_mf_state *s);
/* Read a checkpoint into `s` (its buffers allocated by the caller with the right sizes; the
 * best-snapshot buffers may be NULL when no validation is used). Fails with TIDE_ERR_DATA when
 * the checkpoint was made from another dataset, TIDE_ERR_USAGE when with other parameters. */
tide_status tide_mf_checkpoint_load(const char *dir, const tide_mf_params *p, const char *checksum,
                                    int64_t n_users, int64_t n_items, tide_mf_state *s);

#endif
