/* test-npy-numpy.c — interop with numpy itself: numpy.load(mmap_mode='r') reads every dtype tide
 * writes, and tide reads what numpy.save writes (v1.0 and a forced v2.0 header). Needs the
 * Python in $TIDE_PYTHON (scripts/install-deps.sh --python makes one); without it the test
 * reports a skip (ctest exit code 77). */
#include "harness.h"
#include "tide/fileio.h"
#include "tide/npy.h"

static const char *py;
static const char *dir;

static void test_tide_writes_numpy_reads(void) {
    float f[6] = {1.5f, -2, 3, 4, 5, 6};
    uint16_t h[3] = {tide_f32_to_f16(1.0f), tide_f32_to_f16(-0.5f), tide_f32_to_f16(65504.0f)};
    int32_t i[4] = {-7, 0, 1, INT32_MAX};
    int64_t l[2] = {INT64_MIN, 42};
    uint32_t u[2] = {0, UINT32_MAX};
    uint8_t b[5] = {0, 1, 2, 254, 255};
    char *p;
#define SAVE(name, call) p = tide_path_join(dir, name); CHECK_OK(call); free(p)
    SAVE("f32.npy", tide_npy_save_2d(p, TIDE_DTYPE_F32, 2, 3, f));
    SAVE("f16.npy", tide_npy_save_1d(p, TIDE_DTYPE_F16, 3, h));
    SAVE("i32.npy", tide_npy_save_1d(p, TIDE_DTYPE_I32, 4, i));
    SAVE("i64.npy", tide_npy_save_1d(p, TIDE_DTYPE_I64, 2, l));
    SAVE("u32.npy", tide_npy_save_1d(p, TIDE_DTYPE_U32, 2, u));
    SAVE("u8.npy", tide_npy_save_1d(p, TIDE_DTYPE_U8, 5, b));
    SAVE("empty.npy", tide_npy_save_2d(p, TIDE_DTYPE_F32, 0, 384, f));
#undef SAVE
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s -c \"\nimport numpy as np, sys\nd=sys.argv[1]\n"
             "def L(n): a=np.load(d+'/'+n, mmap_mode='r'); assert isinstance(a, np.memmap), n; return a\n"
             "assert (L('f32.npy')==np.array([[1.5,-2,3],[4,5,6]],np.float32)).all() and L('f32.npy').dtype==np.float32\n"
             "assert (L('f16.npy')==np.array([1,-0.5,65504],np.float16)).all() and L('f16.npy').dtype==np.float16\n"
             "assert (L('i32.npy')==np.array([-7,0,1,2**31-1],np.int32)).all() and L('i32.npy').dtype==np.int32\n"
             "assert (L('i64.npy')==np.array([-2**63,42],np.int64)).all()\n"
             "assert (L('u32.npy')==np.array([0,2**32-1],np.uint32)).all() and L('u32.npy').dtype==np.uint32\n"
             "assert (L('u8.npy')==np.array([0,1,2,254,255],np.uint8)).all()\n"
             "assert L('empty.npy').shape==(0,384)\n"
             "\" %s",
             py, dir);
    CHECK_EQ(system(cmd), 0);
}

static void test_numpy_writes_tide_reads(void) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s -c \"\nimport numpy as np, sys\nfrom numpy.lib import format as F\nd=sys.argv[1]\n"
             "np.save(d+'/np_f32.npy', np.arange(12, dtype=np.float32).reshape(3,4))\n"
             "np.save(d+'/np_i64.npy', np.array([5,-6], np.int64))\n"
             "np.save(d+'/np_u8.npy', np.array([[1,2],[3,4]], np.uint8))\n"
             "np.save(d+'/np_scalar.npy', np.float32(2.5))\n"
             "with open(d+'/np_v2.npy','wb') as f:\n"
             "  a=np.arange(5, dtype=np.int32); F.write_array(f, a, version=(2,0))\n"
             "np.save(d+'/np_fortran.npy', np.asfortranarray(np.ones((2,3),np.float32)))\n"
             "np.save(d+'/np_be.npy', np.arange(3, dtype='>f4'))\n"
             "np.save(d+'/np_obj.npy', np.array([1,'a'], dtype=object), allow_pickle=True)\n"
             "\" %s",
             py, dir);
    CHECK_EQ(system(cmd), 0);
    tide_npy a;
    char *p = tide_path_join(dir, "np_f32.npy");
    CHECK_OK(tide_npy_load(p, &a));
    CHECK_EQ(a.ndim, 2);
    CHECK_EQ(a.shape[0], 3);
    CHECK_EQ(a.shape[1], 4);
    CHECK_NEAR(((float *)a.data)[11], 11.0, 0);
    tide_npy_free(&a);
    free(p);
    p = tide_path_join(dir, "np_i64.npy");
    CHECK_OK(tide_npy_load_expect(p, TIDE_DTYPE_I64, 1, &a));
    CHECK_EQ(((int64_t *)a.data)[1], -6);
    tide_npy_free(&a);
    free(p);
    p = tide_path_join(dir, "np_u8.npy");
    CHECK_OK(tide_npy_load_expect(p, TIDE_DTYPE_U8, 2, &a));
    CHECK_EQ(((uint8_t *)a.data)[3], 4);
    tide_npy_free(&a);
    free(p);
    p = tide_path_join(dir, "np_scalar.npy");
    CHECK_OK(tide_npy_load(p, &a));
    CHECK_EQ(a.ndim, 0);
    CHECK_NEAR(*(float *)a.data, 2.5, 0);
    tide_npy_free(&a);
    free(p);
    p = tide_path_join(dir, "np_v2.npy");
    CHECK_OK(tide_npy_load_expect(p, TIDE_DTYPE_I32, 1, &a));
    CHECK_EQ(((int32_t *)a.data)[4], 4);
    tide_npy_free(&a);
    free(p);
    p = tide_path_join(dir, "np_fortran.npy");
    CHECK_STATUS(tide_npy_load(p, &a), TIDE_ERR_DATA);
    free(p);
    p = tide_path_join(dir, "np_be.npy");
    CHECK_STATUS(tide_npy_load(p, &a), TIDE_ERR_DATA);
    free(p);
    p = tide_path_join(dir, "np_obj.npy");
    CHECK_STATUS(tide_npy_load(p, &a), TIDE_ERR_DATA);
    free(p);
}

int main(void) {
    py = getenv("TIDE_PYTHON");
    char probe[1024];
    snprintf(probe, sizeof probe, "%s -c 'import numpy' 2>/dev/null", py ? py : "false");
    if (!py || !*py || system(probe) != 0) {
        printf("SKIP: no Python with numpy in $TIDE_PYTHON (run scripts/install-deps.sh --python)\n");
        return 77;
    }
    dir = harness_tmpdir("npy-numpy");
    RUN(test_tide_writes_numpy_reads);
    RUN(test_numpy_writes_tide_reads);
    return harness_done();
}
