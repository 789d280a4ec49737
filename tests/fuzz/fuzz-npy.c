/* fuzz-npy.c — libFuzzer target for the .npy header validator: any byte string must either parse
 * into an array whose data lies inside the buffer (count * itemsize bytes from data) with a shape
 * that multiplies to count, or fail cleanly with a status. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tide/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tide_npy a;
    if (tide_npy_parse(data, size, "fuzz.npy", &a) != TIDE_OK) return 0;
    size_t item = tide_dtype_size(a.dtype);
    const uint8_t *p = a.data;
    if (a.ndim < 0 || a.ndim > TIDE_NPY_MAX_DIMS || item == 0) abort();
    size_t count = 1;
    for (int i = 0; i < a.ndim; i++) {
        if (a.shape[i] < 0) abort();
        count *= (size_t)a.shape[i];
    }
    if (count != a.count) abort();
    if (p < data || p > data + size || a.count > (size_t)(data + size - p) / item) abort();
    if (a.count) {
        volatile uint8_t x = p[a.count * item - 1]; /* ASan checks the last byte is in the buffer */
        (void)x;
    }
    tide_npy_free(&a);
    return 0;
}
