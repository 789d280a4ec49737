/* test-mf-synth.c — the synthetic dataset generator (tide_mf_synthesize): shape, distinct
 * items per user, Zipf skew, determinism. Run with arguments, it doubles as the fixture writer
 * the tide-train-mf CLI tests use:
 *   test-mf-synth --write DIR USERS ITEMS NNZ SEED [ZIPF]   (writes a dataset directory) */
#include "harness.h"
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/mf.h"

static void test_shape(void) {
    tide_dataset a, b;
    CHECK_OK(tide_mf_synthesize(300, 200, 6000, 1.0, 7, &a));
    CHECK_EQ(a.n_users, 300);
    CHECK_EQ(a.n_items, 200);
    CHECK(a.nnz > 5000 && a.nnz < 7000);
    int64_t *deg = calloc(200, sizeof *deg);
    for (int64_t u = 0; u < a.n_users; u++) {
        CHECK(a.indptr[u + 1] > a.indptr[u]);
        for (int64_t k = a.indptr[u]; k < a.indptr[u + 1]; k++) {
            deg[a.items[k]]++;
            for (int64_t q = a.indptr[u]; q < k; q++) CHECK(a.items[q] != a.items[k]);
        }
    }
    /* Zipf: the most popular item is far above the median. */
    int64_t mx = 0, tot = 0;
    for (int i = 0; i < 200; i++) { if (deg[i] > mx) mx = deg[i]; tot += deg[i]; }
    CHECK(mx > 5 * tot / 200);
    free(deg);
    CHECK_OK(tide_mf_synthesize(300, 200, 6000, 1.0, 7, &b));
    CHECK_STR(a.checksum, b.checksum);
    tide_dataset_free(&b);
    CHECK_OK(tide_mf_synthesize(300, 200, 6000, 1.0, 8, &b));
    CHECK(strcmp(a.checksum, b.checksum) != 0);
    tide_dataset_free(&b);
    /* Round trip through the dataset directory. */
    char *dir = tide_path_join(harness_tmpdir("mf-synth"), "ds");
    CHECK_OK(tide_dataset_save(dir, &a));
    CHECK_OK(tide_dataset_load(dir, &b));
    CHECK_STR(a.checksum, b.checksum);
    tide_dataset_free(&b);
    tide_dataset_free(&a);
    CHECK_STATUS(tide_mf_synthesize(0, 10, 10, 1, 1, &a), TIDE_ERR_USAGE);
    free(dir);
}

int main(int argc, char **argv) {
    if (argc >= 7 && strcmp(argv[1], "--write") == 0) {
        tide_dataset ds;
        tide_status st = tide_mf_synthesize(atoll(argv[3]), atoll(argv[4]), atoll(argv[5]),
                                            argc > 7 ? atof(argv[7]) : 1.0, strtoull(argv[6], NULL, 10), &ds);
        if (!st) st = tide_dataset_save(argv[2], &ds);
        tide_dataset_free(&ds);
        if (st) fprintf(stderr, "test-mf-synth: %s\n", tide_error_message());
        return st ? 1 : 0;
    }
    RUN(test_shape);
    return harness_done();
}
