/* tide/npy.h — NumPy .npy arrays: memory-mapped reading and atomic writing.
 *
 * Format (docs/formats.md): "\x93NUMPY", version 1.0 (2.0/3.0 accepted on read), a Python-dict
 * header {'descr', 'fortran_order', 'shape'}, space-padded so data starts 64-byte aligned.
 * tide writes version 1.0, little-endian, C order. Readers map the file read-only and hand the
 * data pointer out directly (zero copy); the mapping lives until tide_npy_free().
 * Supported dtypes: f32, f16, f64 (read only), i32, i64, u32, u8.
 */
#ifndef TIDE_NPY_H
#define TIDE_NPY_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TIDE_DTYPE_F32 = 0,
    TIDE_DTYPE_F16,
    TIDE_DTYPE_F64,
    TIDE_DTYPE_I32,
    TIDE_DTYPE_I64,
    TIDE_DTYPE_U32,
    TIDE_DTYPE_U8
} tide_dtype;

#define TIDE_NPY_MAX_DIMS 8

size_t tide_dtype_size(tide_dtype t);
const char *tide_dtype_name(tide_dtype t);   /* "f32", ... */
const char *tide_dtype_descr(tide_dtype t);  /* "<f4", ... */

typedef struct tide_npy {
    tide_dtype dtype;
    int ndim;
    int64_t shape[TIDE_NPY_MAX_DIMS];
    size_t count;         /* product of shape (1 for 0-d) */
    void *data;           /* points into the mapping, or owned memory; 64-byte aligned on write */
    /* private */
    void *map_base;
    size_t map_size;
    void *owned;
} tide_npy;

/* Map `path` and validate its header. Any lie in the header (bad magic or version, unparseable
 * dict, big-endian or unsupported dtype, Fortran order, negative or overflowing shape, data
 * shorter than the shape needs) is TIDE_ERR_DATA with "path: reason". */
tide_status tide_npy_load(const char *path, tide_npy *out);
/* Same validation over a buffer in memory (no copy; `out->data` points into `buf`). */
tide_status tide_npy_parse(const void *buf, size_t size, const char *name, tide_npy *out);
/* Load and require a dtype and number of dimensions (ndim < 0: any). */
tide_status tide_npy_load_expect(const char *path, tide_dtype dtype, int ndim, tide_npy *out);
void tide_npy_free(tide_npy *a);

/* Build a v1.0 header for the array into buf (at least 128 bytes + per-dim room); returns its
 * length (a multiple of 64) or 0 if it does not fit. */
size_t tide_npy_header(char *buf, size_t cap, tide_dtype dtype, int ndim, const int64_t *shape);

/* Write an array atomically. */
tide_status tide_npy_save(const char *path, tide_dtype dtype, int ndim, const int64_t *shape,
                          const void *data);
/* Convenience: 1-D and 2-D. */
tide_status tide_npy_save_1d(const char *path, tide_dtype dtype, int64_t n, const void *data);
tide_status tide_npy_save_2d(const char *path, tide_dtype dtype, int64_t rows, int64_t cols,
                             const void *data);

/* IEEE half <-> float. */
float tide_f16_to_f32(uint16_t h);
uint16_t tide_f32_to_f16(float f);

#ifdef __cplusplus
}
#endif
#endif
