/* shard.c — `--shard I/N` parsing and the user range of a shard (see tide/shard.h). */
#include <string.h>

#include "tide/shard.h"

/* A decimal number of at most 9 digits (no sign, no spaces); returns the end or NULL. */
static const char *number(const char *s, int *v) {
    int n = 0, d = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (++d > 9) return NULL;
        n = n * 10 + (*s - '0');
    }
    *v = n;
    return d ? s : NULL;
}

tide_status tide_shard_parse(const char *text, tide_shard *out) {
    out->index = 0;
    out->count = 1;
    if (!text) return TIDE_OK;
    int i = 0, n = 0;
    const char *p = number(text, &i);
    if (p && *p == '/') p = number(p + 1, &n);
    else p = NULL;
    if (!p || *p || n < 1 || i >= n)
        return tide_error(TIDE_ERR_USAGE, "--shard expects I/N with 0 <= I < N, got '%s'", text);
    out->index = i;
    out->count = n;
    return TIDE_OK;
}

void tide_shard_range(tide_shard s, int64_t n, int64_t block, int64_t *lo, int64_t *hi) {
    if (block < 1) block = 1;
    int64_t nblk = (n + block - 1) / block;
    int64_t a = (int64_t)s.index * nblk / s.count * block, b = (int64_t)(s.index + 1) * nblk / s.count * block;
    if (b > n) b = n;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}
