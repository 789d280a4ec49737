/* lm-impl.h — the loaded model shared by model.c (folder + weights) and encoder.c (forward). */
#ifndef TIDE_LM_IMPL_H
#define TIDE_LM_IMPL_H

#include "lm-amx.h"
#include "tide/lm.h"

typedef struct lm_layer {
    const float *qkv_w, *qkv_b;          /* fused [3H, H], [3H]: query, key, value rows */
    const float *ao_w, *ao_b;            /* attention output dense [H, H], [H] */
    const float *ln1_g, *ln1_b;          /* attention output LayerNorm */
    const float *in_w, *in_b;            /* intermediate dense [I, H], [I] */
    const float *out_w, *out_b;          /* output dense [H, I], [H] */
    const float *ln2_g, *ln2_b;          /* output LayerNorm */
    lm_amx_weight amx[4];                /* qkv, ao, in, out split for AMX (when lm->amx) */
} lm_layer;

struct tide_lm {
    tide_lm_config cfg;
    tide_tokenizer *tok;
    tide_safetensors st;
    const float *word, *pos, *type, *emb_ln_g, *emb_ln_b;
    lm_layer *layers;
    int amx;                             /* dense layers run on AMX tiles (lm_amx_available) */
    float **owned;                       /* converted or fused weights to free */
    int n_owned, cap_owned;
};

#endif
