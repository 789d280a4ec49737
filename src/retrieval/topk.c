/* topk.c — the running per-row top-K used by every scorer: a bounded min-heap whose root is the
 * K-th best so far. Once full, a whole run of scores is rejected by one vectorised "any greater
 * than the root?" test, so the cost per score is a compare, not a heap operation; the heap is
 * touched only for the (few) scores that beat the K-th. Compiled for AVX-512, AVX2 and baseline,
 * picked at load time (no -march in the build). */
#include "retrieval-impl.h"

#include <math.h>

#include "tide/clones.h"

/* Root = the worst kept entry: lowest value, and among equal values the higher index. */
static inline int worse(float va, int32_t ia, float vb, int32_t ib) { return va < vb || (va == vb && ia > ib); }

static inline void sift_down(float *v, int32_t *ix, int n, int i) {
    for (;;) {
        int l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && worse(v[l], ix[l], v[w], ix[w])) w = l;
        if (r < n && worse(v[r], ix[r], v[w], ix[w])) w = r;
        if (w == i) return;
        float tv = v[i];
        v[i] = v[w];
        v[w] = tv;
        int32_t ti = ix[i];
        ix[i] = ix[w];
        ix[w] = ti;
        i = w;
    }
}

static inline void push(float *v, int32_t *ix, int *n, float x, int32_t j) {
    int i = (*n)++;
    v[i] = x;
    ix[i] = j;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!worse(v[i], ix[i], v[p], ix[p])) break;
        float tv = v[i];
        v[i] = v[p];
        v[p] = tv;
        int32_t ti = ix[i];
        ix[i] = ix[p];
        ix[p] = ti;
        i = p;
    }
}


#define CHUNK 32

TIDE_CLONES_WIDE
void tide_topk_scan(float *val, int32_t *idx, int *np, int k, const float *s, int64_t len, int32_t base) {
    int n = *np;
    int64_t j = 0;
    for (; n < k && j < len; j++) {
        float x = s[j];
        if (x == -INFINITY || x != x) continue;
        push(val, idx, &n, x, base + (int32_t)j);
    }
    if (n == k) {
        float thr = val[0];
        for (; j + CHUNK <= len; j += CHUNK) {
            int hit = 0;
            for (int t = 0; t < CHUNK; t++) hit |= s[j + t] > thr;
            if (!hit) continue;
            for (int t = 0; t < CHUNK; t++) {
                float x = s[j + t];
                if (x > thr) {
                    val[0] = x;
                    idx[0] = base + (int32_t)(j + t);
                    sift_down(val, idx, k, 0);
                    thr = val[0];
                }
            }
        }
        for (; j < len; j++) {
            float x = s[j];
            if (x > thr) {
                val[0] = x;
                idx[0] = base + (int32_t)j;
                sift_down(val, idx, k, 0);
                thr = val[0];
            }
        }
    }
    *np = n;
}

void tide_retrieval_topk_feed(float *val, int32_t *idx, int *n, int k, const float *s, int64_t len, int32_t base) {
    tide_topk_scan(val, idx, n, k, s, len, base);
}

void tide_topk_finish(float *val, int32_t *idx, int n) {
    for (int m = n; m > 1; m--) {
        float tv = val[0];
        val[0] = val[m - 1];
        val[m - 1] = tv;
        int32_t ti = idx[0];
        idx[0] = idx[m - 1];
        idx[m - 1] = ti;
        sift_down(val, idx, m - 1, 0);
    }
}
