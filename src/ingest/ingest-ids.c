/* ingest-ids.c — the slow path of tide-ingest's id interning (see ingest-ids.h): the strmap
 * lookup, and filling/growing the direct table for decimal ids. */
#include "ingest-ids.h"
#include "ingest-impl.h"

#include <stdlib.h>
#include <string.h>

tide_status ingest_ids_init(ingest_ids *d, size_t expected) {
    memset(d, 0, sizeof *d);
    return tide_strmap_init(&d->map, expected);
}

void ingest_ids_free(ingest_ids *d) {
    tide_strmap_free(&d->map);
    free(d->direct);
    memset(d, 0, sizeof *d);
}

tide_status ingest_ids_intern_slow(ingest_ids *d, const char *s, size_t n, const ingest_id_hint *h, int64_t *idx) {
    int added;
    int64_t value = h->value;
    tide_status st = tide_strmap_intern_hashed(&d->map, s, n, h->has_hash ? h->hash : tide_hash_bytes(s, n), idx, &added);
    if (st || value < 0) return st;
    if ((size_t)value >= d->direct_cap) {
        size_t nc = d->direct_cap ? d->direct_cap : 1024;
        while (nc <= (size_t)value) nc *= 2;
        size_t limit = (size_t)d->map.count * 16;
        if (limit < ((size_t)1 << 20)) limit = (size_t)1 << 20;
        if (nc > limit) return TIDE_OK; /* too sparse to cache: the strmap answers */
        uint32_t *nd = realloc(d->direct, nc * sizeof *nd);
        if (!nd) return TIDE_OK;        /* only a cache: carry on without growing it */
        ingest_hugepages(nd, nc * sizeof *nd);
        memset(nd + d->direct_cap, 0, (nc - d->direct_cap) * sizeof *nd);
        d->direct = nd;
        d->direct_cap = nc;
    }
    d->direct[value] = (uint32_t)(*idx + 1);
    return TIDE_OK;
}
