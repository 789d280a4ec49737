/* fuzz-time.c — libFuzzer target for the time-string parser (epoch seconds, milliseconds,
 * ISO-8601, auto): any text either parses, in every format that accepts it, to a time within the
 * documented range, or is refused with a reason; the first byte picks nothing, every format runs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tide/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The parser takes (pointer, length) and must not read past it: give it an exact copy. */
    char *s = malloc(size ? size : 1);
    if (!s) return 0;
    memcpy(s, data, size);
    for (int f = TIDE_TIME_AUTO; f <= TIDE_TIME_ISO8601; f++) {
        int64_t t = 0;
        const char *why = NULL;
        if (tide_time_parse(s, size, (tide_time_format)f, &t, &why) == 0) {
            /* timeparse.c bounds every accepted time to about +-31 million years */
            if (t > (int64_t)1e15 || t < -(int64_t)1e15) abort();
        } else if (!why || !*why) {
            abort(); /* a refusal always says why */
        }
    }
    free(s);
    return 0;
}
