/* fuzz-ingest.c — libFuzzer target for tide-ingest's row parsing over JSON lines and CSV: the
 * first byte picks the format (JSON lines or CSV with header u,i,t,w,e), the aggregation, event
 * weights and the time format; the rest is the interaction file. A build either fails with a
 * status or yields a dataset whose ids can be written as lines (non-empty, no NUL, tab or line
 * break: a NUL would have cut an id and merged it with another), distinct, with finite weights,
 * a CSR of in-range items, and times sorted per user. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tide/core.h"
#include "tide/ingest.h"
#include "tide/strmap.h"

#include "fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], path_jsonl[320], path_csv[320];

static void cleanup(void) {
    unlink(path_jsonl);
    unlink(path_csv);
    rmdir(dir);
}

static void check_ids(char **ids, int64_t n) {
    tide_strmap m;
    if (tide_strmap_init(&m, (size_t)n)) abort();
    for (int64_t k = 0; k < n; k++) {
        size_t len = strlen(ids[k]);
        if (len == 0 || strpbrk(ids[k], "\t\n\r")) abort();
        int64_t idx;
        int added = 0;
        if (tide_strmap_intern(&m, ids[k], len, &idx, &added) || !added) abort(); /* merged or repeated */
    }
    tide_strmap_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/tide-fuzz-ingest-XXXXXX", fuzz_tmp_base());
        if (!mkdtemp(dir)) abort();
        snprintf(path_jsonl, sizeof path_jsonl, "%s/in.jsonl", dir);
        snprintf(path_csv, sizeof path_csv, "%s/in.csv", dir);
        atexit(cleanup);
        tide_threads_set(1);
    }
    uint8_t ctl = data[0];
    data++;
    size--;
    int csv = ctl & 1;
    const char *path = csv ? path_csv : path_jsonl;
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (csv) fputs("u,i,t,w,e\n", f);
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f)) abort();

    tide_ingest_params p;
    tide_ingest_params_default(&p);
    const char *inputs[1] = {path};
    p.inputs = inputs;
    p.n_inputs = 1;
    p.format = csv ? TIDE_TABLE_CSV : TIDE_TABLE_JSONL;
    p.user_col = "u";
    p.item_col = "i";
    p.time_col = "t";
    if (ctl & 2) p.weight_col = "w";
    if (ctl & 4) p.event_col = "e";
    if ((ctl & 12) == 12) p.event_weights = "view=1,buy=1e30";
    p.aggregate = (tide_aggregate)((ctl >> 4) & 3);
    p.time_format = (tide_time_format)((ctl >> 6) & 3);
    p.max_errors = 1000000;
    tide_dataset ds;
    tide_ingest_stats stats;
    if (tide_ingest_build(&p, &ds, &stats) == TIDE_OK) {
        check_ids(ds.user_ids, ds.n_users);
        check_ids(ds.item_ids, ds.n_items);
        if (ds.indptr[0] != 0 || ds.indptr[ds.n_users] != ds.nnz) abort();
        for (int64_t u = 0; u < ds.n_users; u++)
            for (int64_t k = ds.indptr[u]; k < ds.indptr[u + 1]; k++) {
                if (ds.items[k] < 0 || ds.items[k] >= ds.n_items) abort();
                if (k > ds.indptr[u] && ds.times[k] < ds.times[k - 1]) abort();
                if (ds.weights && !(ds.weights[k] - ds.weights[k] == 0)) abort(); /* finite */
            }
    }
    tide_dataset_free(&ds);
    return 0;
}
