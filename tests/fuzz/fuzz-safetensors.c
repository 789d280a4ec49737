/* fuzz-safetensors.c — libFuzzer target for the safetensors header validator: any byte string
 * must either parse into tensors whose data lies inside the buffer, or fail cleanly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tide/lm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tide_safetensors st;
    if (tide_safetensors_parse(data, size, "fuzz.safetensors", &st) != TIDE_OK) return 0;
    for (int i = 0; i < st.n; i++) {
        const tide_st_tensor *t = &st.tensors[i];
        if (t->offset > size || t->nbytes > size - t->offset) abort();
        if (tide_safetensors_find(&st, t->name) != t) abort();
        int64_t shape[8];
        memcpy(shape, t->shape, sizeof shape);
        const float *p;
        float *own = NULL;
        if (tide_safetensors_f32(&st, t->name, t->ndim, shape, &p, &own) == TIDE_OK && t->nbytes >= 4) {
            volatile float x = p[0];
            (void)x;
        }
        free(own);
    }
    tide_safetensors_close(&st);
    return 0;
}
