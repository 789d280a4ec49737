/* test-npy.c — .npy round trips, alignment, and headers that lie. */
#include "harness.h"
#include "tide/fileio.h"
#include "tide/npy.h"

static const char *dir;

static char *path(const char *name) { return tide_path_join(dir, name); }

static void test_roundtrip(void) {
    float a[6] = {1, 2, 3, 4, 5, 6.5f};
    char *p = path("a.npy");
    CHECK_OK(tide_npy_save_2d(p, TIDE_DTYPE_F32, 2, 3, a));
    tide_npy n;
    CHECK_OK(tide_npy_load(p, &n));
    CHECK_EQ(n.dtype, TIDE_DTYPE_F32);
    CHECK_EQ(n.ndim, 2);
    CHECK_EQ(n.shape[0], 2);
    CHECK_EQ(n.shape[1], 3);
    CHECK_EQ(n.count, 6);
    CHECK(memcmp(n.data, a, sizeof a) == 0);
    CHECK_EQ((uintptr_t)n.data % 64, 0); /* data starts 64-byte aligned in the mapping */
    tide_npy_free(&n);
    /* Header text is exactly numpy's. */
    tide_map m;
    CHECK_OK(tide_map_open(&m, p));
    CHECK(memcmp(m.data + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 58) == 0);
    CHECK_EQ(m.data[127], '\n');
    tide_map_close(&m);
    free(p);

    int64_t v[3] = {-1, 0, INT64_MAX};
    p = path("b.npy");
    CHECK_OK(tide_npy_save_1d(p, TIDE_DTYPE_I64, 3, v));
    CHECK_OK(tide_npy_load_expect(p, TIDE_DTYPE_I64, 1, &n));
    CHECK_EQ(((int64_t *)n.data)[2], INT64_MAX);
    tide_npy_free(&n);
    CHECK_STATUS(tide_npy_load_expect(p, TIDE_DTYPE_F32, 1, &n), TIDE_ERR_DATA);
    free(p);

    /* Empty and 0-d arrays. */
    p = path("e.npy");
    CHECK_OK(tide_npy_save_1d(p, TIDE_DTYPE_U8, 0, ""));
    CHECK_OK(tide_npy_load(p, &n));
    CHECK_EQ(n.count, 0);
    tide_npy_free(&n);
    uint32_t s = 7;
    CHECK_OK(tide_npy_save(p, TIDE_DTYPE_U32, 0, NULL, &s));
    CHECK_OK(tide_npy_load(p, &n));
    CHECK_EQ(n.ndim, 0);
    CHECK_EQ(n.count, 1);
    CHECK_EQ(*(uint32_t *)n.data, 7);
    tide_npy_free(&n);
    free(p);
}

/* Build a file with a given header dict and payload size. */
static tide_status load_with_header(const char *dict, size_t payload, int version) {
    char buf[4096];
    size_t dl = strlen(dict), off = version == 1 ? 10 : 12;
    size_t hl = dl + 1;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (char)version;
    buf[7] = 0;
    if (version == 1) {
        buf[8] = (char)(hl & 0xff);
        buf[9] = (char)(hl >> 8);
    } else {
        buf[8] = (char)(hl & 0xff); buf[9] = (char)(hl >> 8); buf[10] = 0; buf[11] = 0;
    }
    memcpy(buf + off, dict, dl);
    buf[off + dl] = '\n';
    memset(buf + off + hl, 0, payload);
    tide_npy n;
    tide_status st = tide_npy_parse(buf, off + hl + payload, "x.npy", &n);
    return st;
}

static void test_lying_headers(void) {
    tide_npy n;
    CHECK_STATUS(tide_npy_parse("\x93NUMPZ\x01\x00\x00\x00", 10, "x.npy", &n), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "bad magic");
    CHECK_STATUS(tide_npy_parse("\x93NUMPY", 6, "x.npy", &n), TIDE_ERR_DATA);
    CHECK_OK(load_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 1));
    CHECK_OK(load_with_header("{\"shape\": (2,), \"descr\": \"<i4\", \"fortran_order\": False}", 8, 2));
    CHECK_STATUS(load_with_header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, 1), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "big-endian");
    CHECK_STATUS(load_with_header("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16, 1), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "unsupported dtype");
    CHECK_STATUS(load_with_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, 1), TIDE_ERR_DATA);
    CHECK_STATUS(load_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, 1), TIDE_ERR_DATA);
    CHECK_STATUS(load_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8, 1), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "truncated");
    CHECK_STATUS(load_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", 8, 1), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "overflow");
    CHECK_STATUS(load_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 8, 1), TIDE_ERR_DATA);
    CHECK_STATUS(load_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 8, 1), TIDE_ERR_DATA);
    CHECK_STATUS(load_with_header("{'descr': '<f4', 'fortran_order': False }", 8, 1), TIDE_ERR_DATA);
    CHECK_STATUS(load_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8, 1), TIDE_ERR_DATA);
    CHECK_STATUS(load_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", 8, 1), TIDE_ERR_DATA);
    CHECK_STATUS(load_with_header("garbage", 8, 1), TIDE_ERR_DATA);
    /* Header length beyond the file. */
    CHECK_STATUS(tide_npy_parse("\x93NUMPY\x01\x00\xff\x7f{", 11, "x.npy", &n), TIDE_ERR_DATA);
    /* Unsupported version. */
    CHECK_STATUS(tide_npy_parse("\x93NUMPY\x04\x00\x00\x00\x00\x00", 12, "x.npy", &n), TIDE_ERR_DATA);
}

static void test_f16(void) {
    float vals[] = {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.9604645e-08f, 0.1f};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        float back = tide_f16_to_f32(tide_f32_to_f16(vals[i]));
        CHECK_NEAR(back, vals[i], fabsf(vals[i]) * 1e-3f + 1e-12);
    }
    CHECK(isinf(tide_f16_to_f32(tide_f32_to_f16(1e6f))));
    CHECK(isnan(tide_f16_to_f32(0x7e00)));
    CHECK_EQ(tide_f32_to_f16(1.0f), 0x3c00);
}

int main(void) {
    dir = harness_tmpdir("npy");
    RUN(test_roundtrip);
    RUN(test_lying_headers);
    RUN(test_f16);
    return harness_done();
}
