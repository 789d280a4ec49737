/* lm-amx.h — the encoder's dense layers on Intel AMX tiles at float32 accuracy (amx.c).
 *
 * Each float32 operand is split into three bfloat16 terms (x = h + m + l exactly, 8 significant
 * bits each); the six products h*h, h*m, m*h, h*l, l*h, m*m are accumulated in float32 by the
 * tile unit, which leaves out only terms below 2^-26 of the product ("bf16x6"): the result is as
 * accurate as a float32 sgemm, at 2.7x fewer instructions per flop than AVX-512 FMAs would take.
 * Weights are split and packed once at model load; activations are split per call, a panel of
 * rows at a time (amx.c). Used wherever the CPU and kernel have AMX, unless TIDE_LM_AMX=0;
 * otherwise the encoder uses its OpenBLAS path (the reference the unit test compares this one
 * against). */
#ifndef TIDE_LM_AMX_H
#define TIDE_LM_AMX_H

#include <stddef.h>
#include <stdint.h>

#include "tide/core.h"

typedef struct lm_amx_weight {
    uint16_t *b;   /* 3 split terms x [np/16 column blocks][kp/32 chunks][16 k-pairs][16 cols][2] */
    float *bias;   /* [np], zero past n */
    int n, k;      /* the float32 matrix W [n, k] (y = x W^T + bias) */
    int np, kp;    /* n and k rounded up to 32 (zero padding) */
} lm_amx_weight;

/* 1 when this process may run the AMX kernel: TIDE_LM_AMX is not 0, the CPU has AMX-BF16 and
 * AVX512-BF16, and Linux granted the tile state. Decided once (call it before any parallel region). */
int lm_amx_available(void);

/* Split and pack W [n, k] (row-major float32) and its bias [n] (NULL: none) into out. */
tide_status lm_amx_pack(const float *w, const float *bias, int n, int k, lm_amx_weight *out);
void lm_amx_weight_free(lm_amx_weight *w);

/* A 64-byte aligned buffer of elems uint16 (free with free()): a tile row that straddles two
 * cache lines costs two line reads, which halves the kernel's speed. */
uint16_t *lm_amx_alloc(size_t elems);

/* uint16 elements of the scratch lm_amx_linear needs for `rows` rows of width k, n outputs (one
 * panel of split rows: about 288 K elements whatever rows is). */
size_t lm_amx_scratch_elems(int64_t rows, int k, int n);

/* flags of lm_amx_linear: multiply GELU(x) (lm-math.h) instead of x, applied as x is split, which
 * saves the encoder a pass over FFN2's [T, intermediate] input */
#define LM_AMX_GELU_X 1u

/* y [rows, w->n] = x [rows, w->k] W^T + bias, on the calling thread's tiles; scratch holds
 * lm_amx_scratch_elems(rows, w->k, w->n). Only valid when lm_amx_available(). */
void lm_amx_linear(const float *x, int64_t rows, const lm_amx_weight *w, float *y, uint16_t *scratch, unsigned flags);

#endif
