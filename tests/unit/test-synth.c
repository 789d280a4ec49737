/* test-synth.c — the synthetic data module: the in-memory dataset generator (shape, distinct
 * items per user, Zipf skew, determinism) and the random models (determinism, layout, checks).
 * Run with arguments, it doubles as the fixture writer of the tide-train-mf and tide-recommend
 * CLI tests:
 *   test-synth --write DIR USERS ITEMS NNZ SEED [ZIPF]   a dataset directory
 *   test-synth --split DIR USERS ITEMS NNZ SEED [ZIPF]   DIR/train + DIR/valid: each user's
 *                                                           last event held out (leave-last)
 *   test-synth --empty DIR                               1 user, 1 item, no interactions
 *   test-synth --nan DIR                                 a small dataset with a NaN weight
 *   test-synth --models DIR [--users N --items M --dim D --seen S --seed X --algos LIST
 *                 --int --queries Q --new-users U]          tide_synth_models_write */
#include "harness.h"
#include "dataset-builder.h"
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/npy.h"
#include "tide/synth.h"

static void test_shape(void) {
    tide_dataset a, b;
    CHECK_OK(tide_synth_dataset(300, 200, 6000, 1.0, 7, &a));
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
    CHECK_OK(tide_synth_dataset(300, 200, 6000, 1.0, 7, &b));
    CHECK_STR(a.checksum, b.checksum);
    tide_dataset_free(&b);
    CHECK_OK(tide_synth_dataset(300, 200, 6000, 1.0, 8, &b));
    CHECK(strcmp(a.checksum, b.checksum) != 0);
    tide_dataset_free(&b);
    /* Round trip through the dataset directory. */
    char *dir = tide_path_join(harness_tmpdir("mf-synth"), "ds");
    CHECK_OK(tide_dataset_save(dir, &a));
    CHECK_OK(tide_dataset_load(dir, &b));
    CHECK_STR(a.checksum, b.checksum);
    tide_dataset_free(&b);
    tide_dataset_free(&a);
    CHECK_STATUS(tide_synth_dataset(0, 10, 10, 1, 1, &a), TIDE_ERR_USAGE);
    free(dir);
}

/* Split off each user's last event (rows are time-ordered) into a dataset of the same ids. */
static tide_status write_split(const char *dir, tide_dataset *ds) {
    tide_status st = tide_mkdirs(dir);
    if (st) return st;
    tide_dataset tr = *ds, va = *ds;
    tr.priv = va.priv = NULL;
    tr.manifest = va.manifest = NULL;
    tr.item_indptr = va.item_indptr = NULL;
    int64_t n = ds->n_users;
    int64_t *tip = malloc((n + 1) * sizeof *tip), *vip = malloc((n + 1) * sizeof *vip);
    int32_t *ti = malloc(ds->nnz * sizeof *ti), *vi = malloc(n * sizeof *vi);
    int64_t *tt = malloc(ds->nnz * sizeof *tt), *vt = malloc(n * sizeof *vt);
    float *tw = malloc(ds->nnz * sizeof *tw), *vw = malloc(n * sizeof *vw);
    tip[0] = vip[0] = 0;
    int64_t a = 0, b = 0;
    for (int64_t u = 0; u < n; u++) {
        int64_t lo = ds->indptr[u], hi = ds->indptr[u + 1];
        for (int64_t k = lo; k < hi; k++) {
            if (k == hi - 1 && hi - lo >= 2) { vi[b] = ds->items[k]; vt[b] = ds->times[k]; vw[b] = ds->weights[k]; b++; }
            else { ti[a] = ds->items[k]; tt[a] = ds->times[k]; tw[a] = ds->weights[k]; a++; }
        }
        tip[u + 1] = a;
        vip[u + 1] = b;
    }
    tr.indptr = tip; tr.items = ti; tr.times = tt; tr.weights = tw; tr.nnz = a;
    va.indptr = vip; va.items = vi; va.times = vt; va.weights = vw; va.nnz = b;
    char *p1 = tide_path_join(dir, "train"), *p2 = tide_path_join(dir, "valid");
    if (!(st = tide_dataset_save(p1, &tr))) st = tide_dataset_save(p2, &va);
    /* Only the arrays built here are ours; ids belong to ds. */
    tr.user_ids = va.user_ids = NULL;
    tr.item_ids = va.item_ids = NULL;
    tr.indptr = va.indptr = NULL; tr.items = va.items = NULL; tr.times = va.times = NULL; tr.weights = va.weights = NULL;
    tide_dataset_free(&tr);
    tide_dataset_free(&va);
    free(tip); free(vip); free(ti); free(vi); free(tt); free(vt); free(tw); free(vw); free(p1); free(p2);
    return st;
}

static void test_models(void) {
    tide_synth_models_params p;
    tide_synth_models_params_default(&p);
    p.users = 30;
    p.items = 25;
    p.dim = 4;
    p.seen = 5;
    p.new_users = 3;
    p.ints = 1;
    const char *tmp = harness_tmpdir("synth");
    char *a = tide_path_join(tmp, "ma"), *b = tide_path_join(tmp, "mb");
    CHECK_OK(tide_synth_models_write(&p, a));
    CHECK_OK(tide_synth_models_write(&p, b));
    const char *files[] = {"data/items.npy", "item_vectors.npy", "als/user_factors.npy", "ease/item_matrix.npy",
                           "itemknn/neighbors.npy", "pop/popularity.npy"};
    for (int f = 0; f < 6; f++) {
        char *pa = tide_path_join(a, files[f]), *pb = tide_path_join(b, files[f]);
        size_t na = 0, nb = 0;
        char *da = NULL, *db = NULL;
        CHECK_OK(tide_read_file(pa, &da, &na));
        CHECK_OK(tide_read_file(pb, &db, &nb));
        CHECK(da && db && na == nb && memcmp(da, db, na) == 0);
        free(da); free(db); free(pa); free(pb);
    }
    tide_dataset ds;
    char *dd = tide_path_join(a, "data");
    CHECK_OK(tide_dataset_load(dd, &ds));
    CHECK_EQ(ds.n_users, 30);
    CHECK_EQ(ds.nnz, 5 * (30 - 3)); /* users 4, 13 and 22 have no events */
    CHECK_EQ(ds.indptr[5] - ds.indptr[4], 0);
    tide_dataset_free(&ds);
    tide_npy uf;
    char *ufp = tide_path_join(a, "als/user_factors.npy");
    CHECK_OK(tide_npy_load(ufp, &uf));
    CHECK_EQ(uf.shape[0], 27); /* the last 3 users are left to fold-in */
    tide_npy_free(&uf);
    p.algos = "als,nope";
    CHECK(tide_synth_models_params_check(&p) != NULL);
    CHECK_STATUS(tide_synth_models_write(&p, a), TIDE_ERR_USAGE);
    p.algos = "als";
    p.seen = 25;
    CHECK(tide_synth_models_params_check(&p) != NULL);
    free(a); free(b); free(dd); free(ufp);
}

static const char *opt(int argc, char **argv, const char *name, const char *dflt) {
    for (int i = 3; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return dflt;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "--models") == 0) {
        tide_synth_models_params p;
        tide_synth_models_params_default(&p);
        p.users = atoll(opt(argc, argv, "--users", "200"));
        p.items = atoll(opt(argc, argv, "--items", "300"));
        p.dim = atoll(opt(argc, argv, "--dim", "8"));
        p.seen = atoll(opt(argc, argv, "--seen", "10"));
        p.queries = atoll(opt(argc, argv, "--queries", "5"));
        p.new_users = atoll(opt(argc, argv, "--new-users", "0"));
        p.seed = strtoull(opt(argc, argv, "--seed", "1"), NULL, 10);
        p.algos = opt(argc, argv, "--algos", p.algos);
        for (int i = 3; i < argc; i++) p.ints |= strcmp(argv[i], "--int") == 0;
        tide_status st = tide_synth_models_write(&p, argv[2]);
        if (st) fprintf(stderr, "test-synth: %s\n", tide_error_message());
        return st ? 1 : 0;
    }
    if (argc >= 7 && (strcmp(argv[1], "--write") == 0 || strcmp(argv[1], "--split") == 0)) {
        tide_dataset ds;
        tide_status st = tide_synth_dataset(atoll(argv[3]), atoll(argv[4]), atoll(argv[5]),
                                            argc > 7 ? atof(argv[7]) : 1.0, strtoull(argv[6], NULL, 10), &ds);
        if (!st) st = argv[1][2] == 'w' ? tide_dataset_save(argv[2], &ds) : write_split(argv[2], &ds);
        tide_dataset_free(&ds);
        if (st) fprintf(stderr, "test-synth: %s\n", tide_error_message());
        return st ? 1 : 0;
    }
    if (argc == 3 && (strcmp(argv[1], "--empty") == 0 || strcmp(argv[1], "--nan") == 0)) {
        tide_dataset ds;
        tide_status st;
        if (argv[1][2] == 'e') {
            tb_build(&ds, &(tb_spec){.n_users = 1, .n_items = 1, .user_ids = (const char *[]){"u"},
                                     .item_ids = (const char *[]){"i"}, .len = (int[]){0}});
            st = tide_dataset_save(argv[2], &ds);
        } else {
            st = tide_synth_dataset(50, 20, 400, 1.0, 1, &ds);
            if (!st) {
                ds.weights[7] = NAN;
                /* the item-major copy carries the weight too: find interaction 7's slot */
                int32_t it = ds.items[7];
                int64_t slot = ds.item_indptr[it];
                for (int64_t k = 0; k < 7; k++) slot += ds.items[k] == it;
                ds.item_weights[slot] = NAN;
                st = tide_dataset_save(argv[2], &ds);
            }
        }
        tide_dataset_free(&ds);
        if (st) fprintf(stderr, "test-synth: %s\n", tide_error_message());
        return st ? 1 : 0;
    }
    RUN(test_shape);
    RUN(test_models);
    return harness_done();
}
