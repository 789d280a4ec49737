/* fuzz-idlist.c — libFuzzer target for the id-list files (`--users`, `--candidates`, `--exclude`,
 * tide/idlist.h): the input is read as a file and resolved against a small dataset (users
 * u0..u4, items i0..i4) as all three kinds of list. Each either succeeds with indices inside the
 * dataset (candidates sorted and distinct, users distinct) or fails with a status. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tide/idlist.h"

#include "fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *user_ids[] = {"u0", "u1", "u2", "u3", "u4"};
static char *item_ids[] = {"i0", "i1", "i2", "i3", "i4"};
static char path[256];

static void cleanup(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* One dataset for the whole run: its id dictionaries are built on the first lookup and kept. */
    static tide_dataset ds;
    ds.n_users = 5;
    ds.n_items = 5;
    ds.user_ids = user_ids;
    ds.item_ids = item_ids;
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/tide-fuzz-idlist-XXXXXX", fuzz_tmp_base());
        int fd = mkstemp(path);
        if (fd < 0) abort();
        close(fd);
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) abort();
    int64_t n = 0, unknown = 0, *u = NULL;
    int32_t *it = NULL;
    if (tide_idlist_users(path, &ds, &u, &n) == TIDE_OK) {
        uint8_t seen[5] = {0};
        for (int64_t i = 0; i < n; i++) {
            if (u[i] < 0 || u[i] >= 5 || seen[u[i]]) abort();
            seen[u[i]] = 1;
        }
        free(u);
    }
    if (tide_idlist_items(path, &ds, &it, &n) == TIDE_OK) {
        for (int64_t i = 0; i < n; i++)
            if (it[i] < 0 || it[i] >= 5 || (i && it[i] <= it[i - 1])) abort();
        free(it);
    }
    u = NULL;
    it = NULL;
    if (tide_idlist_pairs(path, &ds, &u, &it, &n, &unknown) == TIDE_OK) {
        for (int64_t i = 0; i < n; i++)
            if (u[i] < 0 || u[i] >= 5 || it[i] < 0 || it[i] >= 5) abort();
        free(u);
        free(it);
    }
    return 0;
}
