/* fuzz-idlist.c — libFuzzer target for the id-list files (`--users`, `--candidates`, `--exclude`):
 * the input is split into lines and resolved against a small dataset (users u0..u4, items i0..i4)
 * as all three kinds of list. Each either succeeds with indices inside the dataset, or fails with
 * a status; nothing else. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/idlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *user_ids[] = {"u0", "u1", "u2", "u3", "u4"};
static char *item_ids[] = {"i0", "i1", "i2", "i3", "i4"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* One dataset for the whole run: its id dictionaries are built on the first lookup and kept. */
    static tide_dataset ds;
    ds.n_users = 5;
    ds.n_items = 5;
    ds.user_ids = user_ids;
    ds.item_ids = item_ids;
    for (int kind = 0; kind < 3; kind++) {
        char *buf = malloc(size + 1); /* the list owns it; one spare byte, as tide_read_file gives */
        if (!buf) return 0;
        memcpy(buf, data, size);
        buf[size] = 0;
        tide_idlist L;
        if (tide_idlist_parse(buf, size, "fuzz.txt", &L) != TIDE_OK) return 0;
        for (int64_t i = 0; i < L.n; i++)
            if (L.len[i] == 0 || strlen(L.line[i]) != L.len[i]) abort();
        int64_t n = 0, unknown = 0, *u = NULL;
        int32_t *it = NULL;
        if (kind == 0 && tide_idlist_users(&L, &ds, &u, &n) == TIDE_OK) {
            for (int64_t i = 0; i < n; i++)
                if (u[i] < 0 || u[i] >= 5) abort();
        } else if (kind == 1 && tide_idlist_items(&L, &ds, &it, &n) == TIDE_OK) {
            for (int64_t i = 0; i < n; i++)
                if (it[i] < 0 || it[i] >= 5 || (i && it[i] <= it[i - 1])) abort();
        } else if (kind == 2 && tide_idlist_pairs(&L, &ds, &u, &it, &n, &unknown) == TIDE_OK) {
            for (int64_t i = 0; i < n; i++)
                if (u[i] < 0 || u[i] >= 5 || it[i] < 0 || it[i] >= 5) abort();
        }
        free(u);
        free(it);
        tide_idlist_free(&L);
    }
    return 0;
}
