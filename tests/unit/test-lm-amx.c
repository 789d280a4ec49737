/* test-lm-amx.c — the AMX dense-layer kernel (src/lm/amx.c) against a double-precision reference
 * and against the OpenBLAS float32 path it replaces: ragged shapes (rows, outputs and inputs not
 * multiples of 16/32), error within float32 rounding (a split that dropped the 2^-17 terms would
 * fail), nothing written past the output, bit-identical reruns, row results independent of the
 * other rows in the batch; then the whole encoder with and without AMX on the tiny fixture model
 * (and on all-MiniLM-L6-v2 when fetched), and batch-size independence of the AMX vectors; the
 * GELU-on-input flag against GELU applied beforehand. Skips the kernel checks where the CPU has no AMX. */
#include "harness.h"
#include "lm-fixtures.h"
#include "tide/lm.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>

#include "../../src/lm/lm-impl.h"
#include "../../src/lm/lm-math.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float uniform(void) { /* xorshift64*: [-1, 1) */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((double)((rng_state * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* One shape: returns the worst error relative to sum |x w| + |b| of the AMX result, and of
 * OpenBLAS's float32 sgemm (for the log). */
static void check_shape(int rows, int n, int k) {
    float *x = malloc(sizeof(float) * (size_t)rows * k), *w = malloc(sizeof(float) * (size_t)n * k);
    float *b = malloc(sizeof(float) * (size_t)n), *blas = malloc(sizeof(float) * (size_t)rows * n);
    float *y = malloc(sizeof(float) * ((size_t)rows * n + 64)), *y2 = malloc(sizeof(float) * (size_t)rows * n);
    for (size_t i = 0; i < (size_t)rows * k; i++) x[i] = uniform() * 3.0f;
    /* weights over several binades, some exactly representable in bfloat16, some tiny */
    for (size_t i = 0; i < (size_t)n * k; i++) w[i] = i % 11 == 0 ? 0.25f : i % 13 == 0 ? uniform() * 1e-6f : uniform() * 0.1f;
    for (int i = 0; i < n; i++) b[i] = uniform();
    lm_amx_weight aw;
    CHECK_OK(lm_amx_pack(w, b, n, k, &aw));
    uint16_t *scratch = lm_amx_alloc(lm_amx_scratch_elems(rows, k, n));
    CHECK(scratch != NULL);
    for (int i = 0; i < 64; i++) y[(size_t)rows * n + i] = 12345.0f; /* sentinel past the end */
    lm_amx_linear(x, rows, &aw, y, scratch, 0);
    for (int i = 0; i < 64; i++) CHECK(y[(size_t)rows * n + i] == 12345.0f);
    for (int r = 0; r < rows; r++) memcpy(blas + (size_t)r * n, b, sizeof(float) * (size_t)n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, k, 1.0f, x, k, w, k, 1.0f, blas, n);
    double worst = 0, worst_blas = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < n; c++) {
            double ref = b[c], mag = fabs(b[c]);
            for (int i = 0; i < k; i++) {
                ref += (double)x[(size_t)r * k + i] * w[(size_t)c * k + i];
                mag += fabs((double)x[(size_t)r * k + i] * w[(size_t)c * k + i]);
            }
            double e = fabs(y[(size_t)r * n + c] - ref) / mag, eb = fabs(blas[(size_t)r * n + c] - ref) / mag;
            if (e > worst) worst = e;
            if (eb > worst_blas) worst_blas = eb;
        }
    printf("  rows %d, n %d, k %d: worst error / sum|xw| %.2e (OpenBLAS float32 %.2e)\n", rows, n, k, worst, worst_blas);
    CHECK(worst <= 1e-6); /* float32 rounding: 2^-20; leaving out h*l, l*h, m*m would give ~2^-17 */
    CHECK(worst <= 4 * worst_blas + 1e-7);
    /* a rerun is bit-identical, and a row's result does not depend on the rows around it */
    lm_amx_linear(x, rows, &aw, y2, scratch, 0);
    CHECK(memcmp(y, y2, sizeof(float) * (size_t)rows * n) == 0);
    /* LM_AMX_GELU_X multiplies GELU(x), as if the caller had applied it first */
    float *gx = malloc(sizeof(float) * (size_t)rows * k);
    for (size_t i = 0; i < (size_t)rows * k; i++) gx[i] = lm_gelu_f32(x[i]);
    lm_amx_linear(x, rows, &aw, y2, scratch, LM_AMX_GELU_X);
    lm_amx_linear(gx, rows, &aw, y, scratch, 0);
    double worst_g = 0;
    for (size_t i = 0; i < (size_t)rows * n; i++) {
        double e = fabs((double)y[i] - y2[i]) / (1.0 + fabs((double)y[i]));
        if (e > worst_g) worst_g = e;
    }
    CHECK(worst_g <= 1e-6);
    free(gx);
    lm_amx_linear(x, rows, &aw, y, scratch, 0);
    if (rows > 1) {
        int r = rows - 1;
        lm_amx_linear(x + (size_t)r * k, 1, &aw, y2, scratch, 0);
        CHECK(memcmp(y + (size_t)r * n, y2, sizeof(float) * (size_t)n) == 0);
    }
    lm_amx_weight_free(&aw);
    free(scratch);
    free(x);
    free(w);
    free(b);
    free(blas);
    free(y);
    free(y2);
}

static void test_kernel(void) {
    if (!lm_amx_available()) {
        SKIP("no AMX-BF16 on this CPU (or TIDE_LM_AMX=0)");
        return;
    }
    int shapes[][3] = {{1, 32, 32}, {17, 48, 48}, {33, 96, 48}, {5, 40, 70}, {100, 1152, 384}, {45, 384, 1536}, {64, 64, 512},
                      /* several 64-row panels with a ragged last one; n and k off the 32 grid */
                      {130, 100, 1000}, {97, 33, 1536}, {193, 1152, 384}};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) check_shape(shapes[i][0], shapes[i][1], shapes[i][2]);
}

/* The encoder with the AMX path and with the OpenBLAS path agree to float32 rounding noise. */
static void compare_paths(const char *dir) {
    tide_lm *lm = NULL;
    CHECK_OK(tide_lm_load(dir, &lm));
    if (!lm) return;
    if (!lm->amx) {
        SKIP("compare_paths(%s): the model runs without AMX here", dir);
        tide_lm_free(lm);
        return;
    }
    const char *texts[] = {"a short one", "The quick brown fox jumps over the lazy dog, again and again and again.",
                           "Toy Story (1995) Adventure|Animation|Children|Comedy|Fantasy", "",
                           "déjà vu — naïve café; 東京 and emoji 🙂 in one line of text for the tokenizer"};
    const int n = (int)(sizeof texts / sizeof *texts), dim = tide_lm_get_config(lm)->dim;
    float *a = malloc(sizeof(float) * (size_t)n * dim), *b = malloc(sizeof(float) * (size_t)n * dim);
    tide_lm_params p = tide_lm_params_default();
    p.batch_size = 2;
    CHECK_OK(tide_lm_embed(lm, texts, NULL, n, &p, a, NULL));
    /* on AMX a text's vector does not depend on which texts share its batch */
    p.batch_size = 5;
    CHECK_OK(tide_lm_embed(lm, texts, NULL, n, &p, b, NULL));
    CHECK(memcmp(a, b, sizeof(float) * (size_t)n * dim) == 0);
    p.batch_size = 2;
    lm->amx = 0; /* the OpenBLAS path on the same loaded weights */
    CHECK_OK(tide_lm_embed(lm, texts, NULL, n, &p, b, NULL));
    double worst = 0;
    for (size_t i = 0; i < (size_t)n * dim; i++)
        if (fabs((double)a[i] - b[i]) > worst) worst = fabs((double)a[i] - b[i]);
    printf("  %s: AMX vs OpenBLAS max |diff| %.3g\n", dir, worst);
    CHECK(worst <= 2e-6);
    lm->amx = 1;
    free(a);
    free(b);
    tide_lm_free(lm);
}

static void test_encoder_paths(void) {
    char *tiny = fixture_path("tiny-bert-cls"), *minilm = minilm_dir();
    compare_paths(tiny);
    if (minilm) compare_paths(minilm);
    free(tiny);
    free(minilm);
}

int main(void) {
    /* the path is on wherever the CPU has AMX; TIDE_LM_AMX=0 in the environment skips */
    tide_threads_set(1);
    RUN(test_kernel);
    RUN(test_encoder_paths);
    return harness_done();
}
