/* lm-math.h — the encoder's vectorisable float activations, shared by the forward pass
 * (encoder.c) and the AMX kernel (amx.c), which applies GELU while it splits FFN2's input, so that
 * both paths compute the very same function. */
#ifndef TIDE_LM_MATH_H
#define TIDE_LM_MATH_H

#include <math.h>

/* erf(x) in single precision as a rational function of x (the minimax approximation used by
 * Eigen and XLA for float erf: within a few ulp on [-4, 4], and erf = +-1 in float beyond).
 * Unlike a call to libm's erff it vectorises, and GELU is the largest non-GEMM cost of a layer. */
static inline float lm_erf_f32(float x) {
    x = x > 4.f ? 4.f : x < -4.f ? -4.f : x;
    float x2 = x * x;
    float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = x2 * p + -2.10102402082508e-06f;
    p = x2 * p + -5.69250639462346e-05f;
    p = x2 * p + -7.34990630326855e-04f;
    p = x2 * p + -2.95459980854025e-03f;
    p = x2 * p + -1.60960333262415e-02f;
    p = x * p;
    float q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
    q = x2 * q + -1.68282697438203e-03f;
    q = x2 * q + -7.37332916720468e-03f;
    q = x2 * q + -1.42647390514189e-02f;
    return p / q;
}

/* GELU, the exact erf form 0.5 x (1 + erf(x / sqrt 2)) (not the tanh approximation). */
static inline float lm_gelu_f32(float x) { return 0.5f * x * (1.0f + lm_erf_f32(x * (float)M_SQRT1_2)); }

#endif
