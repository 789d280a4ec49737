/* test-backend-cpu.c — the CPU backend: sgemm against a naive loop (all transposes, strides,
 * offsets), top-k against a full sort (ties, masks, short rows), device selection errors. */
#include "harness.h"
#include "tide/backend.h"

static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 65536.0f - 0.5f;
}

static void test_sgemm(void) {
    tide_backend *be;
    CHECK_OK(tide_backend_open(TIDE_DEVICE_CPU, &be));
    CHECK_STR(tide_backend_name(be), "cpu");
    unsigned seed = 1;
    int M = 7, N = 5, K = 9;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            int lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3;
            int arows = ta ? K : M, brows = tb ? N : K;
            float *a = malloc(sizeof(float) * (size_t)(arows * lda + 4)), *b = malloc(sizeof(float) * (size_t)(brows * ldb));
            float *c = malloc(sizeof(float) * (size_t)(M * ldc));
            for (int i = 0; i < arows * lda + 4; i++) a[i] = frand(&seed);
            for (int i = 0; i < brows * ldb; i++) b[i] = frand(&seed);
            for (int i = 0; i < M * ldc; i++) c[i] = frand(&seed);
            float *want = malloc(sizeof(float) * (size_t)(M * ldc));
            memcpy(want, c, sizeof(float) * (size_t)(M * ldc));
            const float *a0 = a + 4; /* offset 4 elements */
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double s = 0;
                    for (int p = 0; p < K; p++) {
                        float av = ta ? a0[p * lda + i] : a0[i * lda + p];
                        float bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                        s += (double)av * bv;
                    }
                    want[i * ldc + j] = (float)(0.5 * s + 2.0 * want[i * ldc + j]);
                }
            tide_buffer A, B, C;
            CHECK_OK(tide_buffer_wrap_host(be, a, sizeof(float) * (size_t)(arows * lda + 4), &A));
            CHECK_OK(tide_buffer_wrap_host(be, b, sizeof(float) * (size_t)(brows * ldb), &B));
            CHECK_OK(tide_buffer_alloc(be, sizeof(float) * (size_t)(M * ldc), &C));
            CHECK_OK(tide_buffer_upload(&C, 0, c, sizeof(float) * (size_t)(M * ldc)));
            CHECK_OK(tide_backend_sgemm(be, ta, tb, M, N, K, 0.5f, &A, 4, lda, &B, 0, ldb, 2.0f, &C, 0, ldc));
            CHECK_OK(tide_buffer_download(&C, 0, c, sizeof(float) * (size_t)(M * ldc)));
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) CHECK_NEAR(c[i * ldc + j], want[i * ldc + j], 1e-5);
            /* A shape that does not fit the buffer is refused, not computed. */
            CHECK_STATUS(tide_backend_sgemm(be, ta, tb, M + 50, N, K, 1, &A, 4, lda, &B, 0, ldb, 0, &C, 0, ldc), TIDE_ERR_INTERNAL);
            tide_buffer_free(&A);
            tide_buffer_free(&B);
            tide_buffer_free(&C);
            free(a); free(b); free(c); free(want);
        }
    tide_backend_free(be);
}

static void test_topk(void) {
    tide_backend *be;
    CHECK_OK(tide_backend_open(TIDE_DEVICE_CPU, &be));
    float s[2 * 6] = {0.5f, 0.9f, 0.5f, -INFINITY, 0.9f, 0.1f,
                      -INFINITY, 2.0f, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    tide_buffer S;
    CHECK_OK(tide_buffer_wrap_host(be, s, sizeof s, &S));
    int32_t idx[2 * 4];
    float val[2 * 4];
    CHECK_OK(tide_backend_topk_rows(be, &S, 0, 2, 6, 6, 4, idx, val));
    /* row 0: 0.9@1, 0.9@4, 0.5@0, 0.5@2 (ties by lower index) */
    CHECK_EQ(idx[0], 1); CHECK_EQ(idx[1], 4); CHECK_EQ(idx[2], 0); CHECK_EQ(idx[3], 2);
    CHECK_NEAR(val[0], 0.9, 1e-7);
    /* row 1: one eligible item, the rest padded */
    CHECK_EQ(idx[4], 1); CHECK_EQ(idx[5], -1); CHECK(isinf(val[5]));
    /* Random rows against a full selection. */
    unsigned seed = 7;
    enum { R = 50, C = 300, K = 17 };
    float *big = malloc(sizeof(float) * R * C);
    for (int i = 0; i < R * C; i++) big[i] = (float)((int)(frand(&seed) * 40)) / 10.0f; /* many ties */
    tide_buffer B;
    CHECK_OK(tide_buffer_wrap_host(be, big, sizeof(float) * R * C, &B));
    int32_t bi[R * K];
    float bv[R * K];
    CHECK_OK(tide_backend_topk_rows(be, &B, 0, R, C, C, K, bi, bv));
    for (int r = 0; r < R; r++) {
        unsigned char used[C] = {0};
        for (int t = 0; t < K; t++) {
            /* the best unused column by (value desc, index asc) */
            int best = -1;
            for (int j = 0; j < C; j++)
                if (!used[j] && (best < 0 || big[r * C + j] > big[r * C + best])) best = j;
            used[best] = 1;
            if (bi[r * K + t] != best) { CHECK_EQ(bi[r * K + t], best); break; }
        }
    }
    free(big);
    tide_backend_free(be);
}

static void test_devices(void) {
    tide_device d;
    CHECK_OK(tide_device_parse("auto", &d));
    CHECK_EQ(d, TIDE_DEVICE_AUTO);
    CHECK_STATUS(tide_device_parse("tpu", &d), TIDE_ERR_USAGE);
    tide_backend *be;
    CHECK_OK(tide_backend_open(TIDE_DEVICE_AUTO, &be));
    tide_backend_free(be);
#ifndef TIDE_USE_CUDA
    CHECK_STATUS(tide_backend_open(TIDE_DEVICE_CUDA, &be), TIDE_ERR_BACKEND);
#endif
}

int main(void) {
    RUN(test_sgemm);
    RUN(test_topk);
    RUN(test_devices);
    return harness_done();
}
