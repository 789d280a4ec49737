/* fuzz-manifest.c — libFuzzer target for the manifest.json readers: the first byte picks the
 * directory — a dataset (tide_dataset_load), a model (tide_scorer_open, the loader every
 * program uses) or tide-embed vectors (tide_embed_vectors_load: OUT.json beside OUT.npy) — and
 * the rest replaces its manifest. Both
 * directories are real and small (built once: a dataset ingested from a few rows, an ALS model
 * over it), so a manifest that passes the type and path checks reaches the array loaders and the
 * cross-checks. A load either fails with a status or gives counts that match the arrays; any file
 * a manifest names must stay inside its directory (tide/manifest.h), which the harness checks by
 * planting a symlink to outside that no accepted manifest may make the loader read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tide/core.h"
#include "tide/dataset.h"
#include "tide/embed.h"
#include "tide/fileio.h"
#include "tide/ingest.h"
#include "tide/mf.h"
#include "tide/npy.h"
#include "tide/scorer.h"

#include "fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256], ds_dir[320], model_dir[320], ds_man[384], model_man[384], vec_npy[384], vec_man[384];

static void write_file(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f)) abort();
}

static void cleanup(void) { tide_rmtree(root); }

static void setup(void) {
    snprintf(root, sizeof root, "%s/tide-fuzz-manifest-XXXXXX", fuzz_tmp_base());
    if (!mkdtemp(root)) abort();
    atexit(cleanup);
    tide_threads_set(1);
    char csv[384];
    snprintf(csv, sizeof csv, "%s/in.csv", root);
    const char *rows = "u,i,t\na,x,1\na,y,2\nb,x,3\nc,z,4\nc,y,5\n";
    write_file(csv, rows, strlen(rows));
    snprintf(ds_dir, sizeof ds_dir, "%s/ds", root);
    snprintf(model_dir, sizeof model_dir, "%s/model", root);
    tide_ingest_params p;
    tide_ingest_params_default(&p);
    const char *in[1] = {csv};
    p.inputs = in;
    p.n_inputs = 1;
    p.user_col = "u";
    p.item_col = "i";
    p.time_col = "t";
    if (tide_ingest_run(&p, ds_dir, NULL)) abort();
    tide_dataset ds;
    if (tide_dataset_load(ds_dir, &ds)) abort();
    tide_mf_model m;
    memset(&m, 0, sizeof m);
    m.algo = TIDE_MF_ALS;
    m.params = tide_mf_params_default(TIDE_MF_ALS);
    m.params.factors = m.factors = 2;
    m.n_users = ds.n_users;
    m.n_items = ds.n_items;
    float uf[3 * 2] = {1, 2, 3, 4, 5, 6}, itf[3 * 2] = {1, 0, 0, 1, 1, 1};
    m.user_factors = uf;
    m.item_factors = itf;
    memcpy(m.dataset_checksum, ds.checksum, sizeof m.dataset_checksum);
    if (tide_mf_model_save(model_dir, &m, ds_dir, NULL)) abort();
    tide_dataset_free(&ds);
    snprintf(ds_man, sizeof ds_man, "%s/manifest.json", ds_dir);
    snprintf(model_man, sizeof model_man, "%s/manifest.json", model_dir);
    /* The planted escape: a symlink in the model dir to a file outside it with a valid array. */
    char outside[384], link[400];
    snprintf(outside, sizeof outside, "%s/outside.npy", root);
    snprintf(link, sizeof link, "%s/escape.npy", model_dir);
    float bad[3 * 2] = {777, 777, 777, 777, 777, 777}; /* recognisable if ever loaded */
    if (tide_npy_save_2d(outside, TIDE_DTYPE_F32, 3, 2, bad)) abort();
    if (symlink(outside, link)) abort();
    /* vectors: vec.npy (3 x 2 f32) whose vec.json is the fuzz input */
    snprintf(vec_npy, sizeof vec_npy, "%s/vec.npy", root);
    snprintf(vec_man, sizeof vec_man, "%s/vec.json", root);
    float vec[3 * 2] = {0.5f, 1, 1.5f, 2, 2.5f, 3};
    if (tide_npy_save_2d(vec_npy, TIDE_DTYPE_F32, 3, 2, vec)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!root[0]) setup();
    int which = data[0] % 3;
    write_file(which == 0 ? ds_man : which == 1 ? model_man : vec_man, data + 1, size - 1);
    if (which == 2) {
        tide_embed_vectors v;
        if (tide_embed_vectors_load(vec_npy, &v) == TIDE_OK) {
            if (v.rows != 3 || v.dim != 2) abort();
            tide_embed_vectors_free(&v);
        }
        tide_npy a;
        if (tide_embed_matrix_load(vec_npy, &a, NULL) == TIDE_OK) tide_npy_free(&a);
        return 0;
    }
    if (which == 0) {
        tide_dataset ds;
        if (tide_dataset_load(ds_dir, &ds) == TIDE_OK) {
            if (ds.n_users != 3 || ds.n_items != 3 || ds.nnz != 5) abort(); /* the arrays checked the counts */
            tide_dataset_free(&ds);
        }
    } else {
        tide_scorer *sc = NULL;
        if (tide_scorer_open(model_dir, &sc) == TIDE_OK) {
            const tide_scorer_info *in = &sc->info;
            if (in->n_items != 3 || in->dataset_users != 3) abort();
            /* the file behind escape.npy (outside the directory) may never be loaded */
            for (int64_t k = 0; in->item_vectors && k < in->n_items * in->item_dim; k++)
                if (in->item_vectors[k] == 777) abort();
            tide_scorer_free(sc);
        }
    }
    return 0;
}
