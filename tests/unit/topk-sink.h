/* topk-sink.h — the unit tests' retrieval sink: it copies each batch's top-K lists (items,
 * scores, counts) into caller arrays indexed by the job's row, so a test can compare the engine's
 * lists with a reference scan. */
#ifndef TIDE_TEST_TOPK_SINK_H
#define TIDE_TEST_TOPK_SINK_H

#include "tide/retrieval.h"

typedef struct { int32_t *items; float *sc; int32_t *cnt; int k; } topk_out;

static inline tide_status topk_sink(void *ctx, const tide_retrieval_batch *b) {
    topk_out *o = ctx;
    for (int64_t i = 0; i < b->n; i++) {
        int64_t r = b->first + i;
        o->cnt[r] = b->counts[i];
        for (int q = 0; q < b->counts[i]; q++) {
            o->items[r * o->k + q] = b->items[i * b->k + q];
            o->sc[r * o->k + q] = b->scores[i * b->k + q];
        }
    }
    return TIDE_OK;
}

#endif
