/* fuzz-interest.c — libFuzzer target for the interest dir's manifest.json (tide-capture-interest's
 * output): the rest of the input replaces the manifest of a real, small interest dir (built once:
 * a dataset ingested from a few rows with a catalogue of titles and categories, every component
 * the default settings enable, one user state per user), and the first byte picks the reader —
 * tide_scorer_open (the dispatch by "format" and the interest scorer tide-recommend and tide-serve
 * use: "settings", "dataset" counts, "dims", "as_of", "categories", then every array against
 * them) or tide_verify (the same, plus "files", "arrays" and the dataset cross-reference). A load
 * either fails with a status or gives the dir's real counts; verify never fails to run, and a name
 * in "files"/"arrays" may never make either reader open the planted symlink to a file outside the
 * dir (an inotify watch on that file sees every open: the oracle is the open itself, not the
 * wording of a message, which a fuzzed file name can imitate). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "tide/core.h"
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/ingest.h"
#include "tide/interest.h"
#include "tide/scorer.h"
#include "tide/verify.h"

#include "fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256], ds_dir[320], int_dir[320], man[384];
static int64_t n_users, n_items;
static int watch = -1; /* inotify on the outside file: an IN_OPEN event whenever anything opens it */

static void write_file(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f)) abort();
}

static void cleanup(void) { tide_rmtree(root); }

static void setup(void) {
    snprintf(root, sizeof root, "%s/tide-fuzz-interest-XXXXXX", fuzz_tmp_base());
    if (!mkdtemp(root)) abort();
    atexit(cleanup);
    tide_threads_set(1);
    char csv[384], items[384];
    snprintf(csv, sizeof csv, "%s/in.csv", root);
    snprintf(items, sizeof items, "%s/items.csv", root);
    const char *rows = "u,i,t\na,x,1\na,y,2\na,z,3\nb,x,3\nb,w,4\nc,z,4\nc,y,5\nc,w,6\nd,y,7\nd,x,8\n";
    const char *cat = "i,title,category\nx,red apple,fruit\ny,green pear,fruit\nz,blue car,vehicle\nw,red bus,vehicle\n";
    write_file(csv, rows, strlen(rows));
    write_file(items, cat, strlen(cat));
    snprintf(ds_dir, sizeof ds_dir, "%s/ds", root);
    snprintf(int_dir, sizeof int_dir, "%s/interest", root);
    tide_ingest_params ip;
    tide_ingest_params_default(&ip);
    const char *in[1] = {csv};
    ip.inputs = in;
    ip.n_inputs = 1;
    ip.user_col = "u";
    ip.item_col = "i";
    ip.time_col = "t";
    ip.items_path = items;
    if (tide_ingest_run(&ip, ds_dir, NULL)) abort();
    tide_dataset ds;
    if (tide_dataset_load(ds_dir, &ds)) abort();
    tide_interest_params p = tide_interest_params_default();
    tide_interest_items_opts io = {0};
    tide_interest_items it;
    tide_interest_states S;
    memset(&S, 0, sizeof S);
    if (tide_interest_items_build(&ds, &p, &io, &it)) abort();
    if (tide_interest_states_alloc(&S, ds.n_users, it.als_k, it.sp_dim)) abort();
    if (tide_interest_capture_block(&it, &p, &ds, NULL, INT64_MIN, 0, ds.n_users, &S)) abort();
    tide_interest_dir_info info = {ds_dir, ds.checksum, INT64_MIN, "user", NULL, NULL, NULL, NULL};
    if (tide_interest_dir_save(int_dir, &it, &p, &S, &info)) abort();
    if (!it.cat_indptr || !it.knn_indptr || !it.tr_indptr || !it.pop_indptr) abort(); /* the branches worth reaching */
    n_users = ds.n_users;
    n_items = ds.n_items;
    tide_interest_items_free(&it);
    tide_interest_states_free(&S);
    tide_dataset_free(&ds);
    snprintf(man, sizeof man, "%s/manifest.json", int_dir);
    /* The planted escape: a symlink in the dir to a file outside it. */
    char outside[384], link[400];
    snprintf(outside, sizeof outside, "%s/outside.npy", root);
    snprintf(link, sizeof link, "%s/escape.npy", int_dir);
    write_file(outside, "never read", 10);
    if (symlink(outside, link)) abort();
    watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (watch < 0 || inotify_add_watch(watch, outside, IN_OPEN) < 0) abort();
}

static void no_report(void *ctx, tide_verify_level level, const char *msg) { (void)ctx, (void)level, (void)msg; }

/* Whether anything opened the outside file since the last call. */
static int outside_opened(void) {
    char buf[4096] __attribute__((aligned(8)));
    return read(watch, buf, sizeof buf) > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!root[0]) setup();
    write_file(man, data + 1, size - 1);
    if (data[0] % 2 == 0) {
        tide_scorer *sc = NULL;
        if (tide_scorer_open(int_dir, &sc) == TIDE_OK) {
            /* the arrays were checked against the manifest's counts: they can only be the real ones */
            if (sc->info.n_items != n_items || sc->info.dataset_users != n_users) abort();
            tide_scorer_free(sc);
        }
    } else {
        tide_verify_stats st;
        if (tide_verify(int_dir, no_report, NULL, &st) != TIDE_OK) abort(); /* the dir is there: verify runs */
    }
    if (outside_opened()) abort(); /* a named escape.npy must be refused before it is opened */
    return 0;
}
