/* test-embed.c — the embedding-vectors format in the library (tide/embed.h): a corpus embedded
 * with TF-IDF, written by the commit protocol and read back with its provenance checked; a
 * flipped byte, a side array of another run, a manifest with wrong types, and vectors beside a
 * foreign manifest are all refused; a plain .npy still loads through tide_embed_matrix_load. */
#include "harness.h"
#include "dataset-builder.h"
#include "tide/embed.h"
#include "tide/fileio.h"

static char *path_in(const char *dir, const char *name) { return tide_path_join(dir, name); }

static void write_lines(const char *path, const char *text) { harness_write(path, text); }

static tide_status embed_lines(const char *txt, const char *out) {
    tide_embed_corpus c;
    tide_status st = tide_embed_corpus_lines(txt, &c);
    if (st) return st;
    tide_embed_params p = tide_embed_params_default();
    p.model = "tfidf";
    p.dim = 3;
    float *v = NULL;
    cJSON *m = NULL;
    int dim = 0;
    if (!(st = tide_embed_compute(&p, &c, &v, &dim, &m))) st = tide_embed_write(out, v, c.n, dim, &c, m);
    free(v);
    cJSON_Delete(m);
    tide_embed_corpus_free(&c);
    return st;
}

static void test_roundtrip_and_checks(void) {
    const char *dir = harness_tmpdir("embed");
    char *txt = path_in(dir, "a.txt"), *out = path_in(dir, "v.npy"), *man = path_in(dir, "v.json");
    write_lines(txt, "red wool sweater\nblue denim jeans\n\ngreen rain jacket\nred rain boots\n");
    CHECK_OK(embed_lines(txt, out));
    tide_embed_vectors v;
    CHECK_OK(tide_embed_vectors_load(out, &v));
    CHECK_EQ(v.rows, 5);
    CHECK_EQ(v.dim, 3);
    CHECK_EQ(v.kind, TIDE_EMBED_LINES);
    CHECK_STR(v.model_key, "tfidf");
    tide_embed_vectors_free(&v);
    tide_embed_origin o;
    tide_npy a;
    CHECK_OK(tide_embed_matrix_load(out, &a, &o));
    CHECK(o.has_manifest && o.kind == TIDE_EMBED_LINES);
    tide_npy_free(&a);

    /* one flipped byte in the vectors */
    char *bytes = NULL;
    size_t n = 0;
    CHECK_OK(tide_read_file(out, &bytes, &n));
    bytes[n - 1] ^= 1;
    CHECK_OK(tide_write_file_atomic(out, bytes, n));
    CHECK_STATUS(tide_embed_vectors_load(out, &v), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "does not match its manifest");
    CHECK_STATUS(tide_embed_matrix_load(out, &a, NULL), TIDE_ERR_DATA);
    bytes[n - 1] ^= 1;
    CHECK_OK(tide_write_file_atomic(out, bytes, n));
    CHECK_OK(tide_embed_vectors_load(out, &v));
    tide_embed_vectors_free(&v);
    free(bytes);

    /* a manifest whose keys have the wrong types is not a manifest */
    char *mtext = NULL;
    CHECK_OK(tide_read_file(man, &mtext, &n));
    const char *swaps[][2] = {{"\n\t\"rows\":\t5", "\n\t\"rows\":\t\"5\""}, {"\n\t\"dim\":\t3", "\n\t\"dim\":\t-3"},
                              {"\"format\":\t\"tide-embed\"", "\"format\":\t7"}, {"\"files\":\t{", "\"files\":\t[{"}};
    for (int i = 0; i < 4; i++) {
        char *at = strstr(mtext, swaps[i][0]);
        CHECK(at != NULL);
        if (!at) continue;
        char buf[65536];
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - mtext), mtext, swaps[i][1], at + strlen(swaps[i][0]));
        CHECK_OK(tide_write_file_atomic(man, buf, strlen(buf)));
        tide_status st = tide_embed_vectors_load(out, &v);
        if (st != TIDE_ERR_DATA) fprintf(stderr, "swap %d: status %d\n", i, (int)st);
        CHECK(st == TIDE_ERR_DATA);
        if (st == TIDE_OK) tide_embed_vectors_free(&v);
    }
    CHECK_OK(tide_write_file_atomic(man, mtext, strlen(mtext)));
    free(mtext);

    /* a plain .npy (no manifest beside it) loads as a matrix, but not as tide-embed vectors */
    char *plain = path_in(dir, "plain.npy");
    float x[6] = {1, 2, 3, 4, 5, 6};
    CHECK_OK(tide_npy_save_2d(plain, TIDE_DTYPE_F32, 2, 3, x));
    CHECK_OK(tide_embed_matrix_load(plain, &a, &o));
    CHECK(!o.has_manifest);
    CHECK_EQ(a.shape[0], 2);
    tide_npy_free(&a);
    CHECK_STATUS(tide_embed_vectors_load(plain, &v), TIDE_ERR_IO);
    free(plain);
    free(txt);
    free(out);
    free(man);
}

/* User text: the side arrays are in the manifest and checked; a later lines output removes them. */
static void test_user_text_side_arrays(void) {
    const char *dir = harness_tmpdir("embed-user");
    tide_dataset ds;
    tb_build(&ds, &(tb_spec){.n_users = 2, .n_items = 3, .len = (int[]){1, 1}, .items = (int32_t[]){0, 2},
                             .text_len = (int[]){2, 1}, .text_items = (int32_t[]){1, -1, 2},
                             .text_times = (int64_t[]){5, 6, 7},
                             .texts = (const char *[]){"red wool", "blue jeans", "red rain boots"}});
    tide_embed_corpus c;
    CHECK_OK(tide_embed_corpus_user_text(&ds, "ds", &c));
    tide_embed_params p = tide_embed_params_default();
    p.model = "tfidf";
    p.dim = 2;
    float *vec = NULL;
    cJSON *m = NULL;
    int dim = 0;
    char *out = path_in(dir, "u.npy"), *users = path_in(dir, "u.users.npy"), *items = path_in(dir, "u.items.npy");
    CHECK_OK(tide_embed_compute(&p, &c, &vec, &dim, &m));
    if (m) CHECK_OK(tide_embed_write(out, vec, c.n, dim, &c, m));
    free(vec);
    cJSON_Delete(m);
    tide_embed_corpus_free(&c);
    tide_embed_vectors v;
    CHECK_OK(tide_embed_vectors_load(out, &v));
    CHECK_EQ(v.kind, TIDE_EMBED_USER_TEXT);
    CHECK_EQ(v.users.shape[0], 3);
    if (v.items.data) CHECK_EQ(((const int32_t *)v.items.data)[1], -1);
    tide_embed_vectors_free(&v);
    /* a side array from elsewhere is caught */
    int32_t other[3] = {1, 1, 1};
    CHECK_OK(tide_npy_save_1d(users, TIDE_DTYPE_I32, 3, other));
    CHECK_STATUS(tide_embed_vectors_load(out, &v), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "u.users.npy does not match its manifest");
    /* lines over the same name: the side arrays go */
    char *txt = path_in(dir, "l.txt");
    harness_write(txt, "one line\n");
    CHECK_OK(embed_lines(txt, out));
    CHECK(!tide_path_exists(users));
    CHECK(!tide_path_exists(items));
    CHECK_OK(tide_embed_vectors_load(out, &v));
    CHECK_EQ(v.kind, TIDE_EMBED_LINES);
    tide_embed_vectors_free(&v);
    tide_dataset_free(&ds);
    free(out);
    free(users);
    free(items);
    free(txt);
}

static void test_params(void) {
    tide_embed_params p = tide_embed_params_default();
    CHECK(tide_embed_params_check(&p) != NULL); /* no model */
    p.model = "tfidf";
    CHECK(tide_embed_params_check(&p) == NULL);
    p.dim = -3;
    CHECK_CONTAINS(tide_embed_params_check(&p), "--dim");
    p.dim = 8;
    p.cache = "x.npy";
    CHECK_CONTAINS(tide_embed_params_check(&p), "--cache needs a language model");
}

int main(void) {
    RUN(test_roundtrip_and_checks);
    RUN(test_user_text_side_arrays);
    RUN(test_params);
    return harness_done();
}
