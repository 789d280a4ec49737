/* lm-fixtures.h — reading the committed parity fixtures of tests/fixtures/lm (JSON lines written
 * by make_fixtures.py) and locating the all-MiniLM-L6-v2 folder that tools/fetch-model.sh puts
 * in models/ (or $TIDE_MODEL_DIR). */
#ifndef TIDE_TEST_LM_FIXTURES_H
#define TIDE_TEST_LM_FIXTURES_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tide/fileio.h"

/* $TIDE_SOURCE_DIR/tests/fixtures/lm/<name>, malloc'ed. */
static inline char *fixture_path(const char *name) {
    const char *src = getenv("TIDE_SOURCE_DIR");
    char *dir = tide_path_join(src && *src ? src : ".", "tests/fixtures/lm");
    char *p = tide_path_join(dir, name);
    free(dir);
    return p;
}

/* The reference model folder, or NULL when it has not been fetched. */
static inline char *minilm_dir(void) {
    const char *env = getenv("TIDE_MODEL_DIR");
    char *p;
    if (env && *env) p = strdup(env);
    else {
        const char *src = getenv("TIDE_SOURCE_DIR");
        p = tide_path_join(src && *src ? src : ".", "models/all-MiniLM-L6-v2");
    }
    char *cfg = tide_path_join(p, "model.safetensors");
    int ok = tide_path_exists(cfg);
    free(cfg);
    if (!ok) {
        free(p);
        return NULL;
    }
    return p;
}

/* Parse a JSON-lines file into an array of cJSON objects (NULL-terminated); *n lines. */
static inline cJSON **read_jsonl(const char *path, int *n) {
    char *data = NULL;
    size_t size = 0;
    *n = 0;
    if (tide_read_file(path, &data, &size)) return NULL;
    int cap = 64;
    cJSON **rows = malloc((size_t)cap * sizeof *rows);
    char *s = data;
    while (*s) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = 0;
        if (*s) {
            if (*n + 1 >= cap) {
                cap *= 2;
                rows = realloc(rows, (size_t)cap * sizeof *rows);
            }
            rows[(*n)++] = cJSON_Parse(s);
        }
        if (!nl) break;
        s = nl + 1;
    }
    rows[*n] = NULL;
    free(data);
    return rows;
}

/* The "hex" field of a fixture row decoded into malloc'ed bytes (NUL-terminated; *len set). */
static inline char *row_bytes(const cJSON *row, size_t *len) {
    const cJSON *h = cJSON_GetObjectItem(row, "hex");
    const char *x = cJSON_IsString(h) ? h->valuestring : "";
    size_t n = strlen(x) / 2;
    char *b = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(x + 2 * i, "%2x", &v);
        b[i] = (char)v;
    }
    b[n] = 0;
    *len = n;
    return b;
}

static inline void free_jsonl(cJSON **rows, int n) {
    for (int i = 0; i < n; i++) cJSON_Delete(rows[i]);
    free(rows);
}

#endif
