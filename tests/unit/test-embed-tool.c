/* test-embed-tool.c — tide-embed on a dataset directory built with the library (until
 * tide-ingest exists): item rows (zero rows for items without text, --fields), user text events
 * with their users/times/items, --cache reuse of unchanged rows, and a failed run keeping the
 * previous output. Runs build/bin/tide-embed with the committed tiny model. */
#include <limits.h>

#include "harness.h"
#include "dataset-builder.h"
#include "lm-fixtures.h"
#include "tide/dataset.h"
#include "tide/lm.h"
#include "tide/npy.h"

static char exe[PATH_MAX + 32];

static int run(const char *args) {
    char cmd[8192];
    char *model = fixture_path("tiny-bert-cls");
    snprintf(cmd, sizeof cmd, "'%s' --model '%s' --threads 2 --quiet %s", exe, model, args);
    free(model);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void make_dataset(const char *dir, const char *title2) {
    tide_dataset ds;
    tb_build(&ds, &(tb_spec){
        .n_users = 2, .n_items = 4,
        .user_ids = (const char *[]){"u1", "u2"},
        .item_ids = (const char *[]){"i1", "i2", "i3", "i4"},
        .len = (int[]){2, 1}, .items = (int32_t[]){0, 1, 2}, .times = (int64_t[]){10, 20, 15},
        .n_text_fields = 2,
        .text_fields = (const char *[]){"title", "genres"},
        .item_text = (const char *[]){"Toy Story (1995)", "Adventure|Animation", title2, "Drama", NULL, NULL, "", "Comedy"},
        .text_len = (int[]){2, 1}, .text_items = (int32_t[]){1, -1, 3}, .text_times = (int64_t[]){21, 40, 7},
        .texts = (const char *[]){"loved this movie", "", "great soundtrack"},
    });
    CHECK_OK(tide_dataset_save(dir, &ds));
    tide_dataset_free(&ds);
}

static cJSON *manifest(const char *path) {
    char *text = NULL;
    size_t n = 0;
    if (tide_read_file(path, &text, &n)) return NULL;
    cJSON *j = cJSON_Parse(text);
    free(text);
    return j;
}

static double jnum(const cJSON *j, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItem(j, a);
    if (b) x = cJSON_GetObjectItem(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

static int row_zero(const tide_npy *a, int64_t r) {
    const float *v = (const float *)a->data + r * a->shape[1];
    for (int64_t k = 0; k < a->shape[1]; k++)
        if (v[k] != 0) return 0;
    return 1;
}

static void test_items_and_cache(void) {
    const char *tmp = harness_tmpdir("embed-tool");
    char ds[1024], out[1024], out2[1024], json[1024], cmd[4096];
    snprintf(ds, sizeof ds, "%s/ds", tmp);
    snprintf(out, sizeof out, "%s/items.npy", tmp);
    snprintf(out2, sizeof out2, "%s/items2.npy", tmp);
    snprintf(json, sizeof json, "%s/items.json", tmp);
    make_dataset(ds, "Jumanji (1995)");
    snprintf(cmd, sizeof cmd, "--data '%s' --out '%s'", ds, out);
    CHECK_EQ(run(cmd), 0);
    tide_npy a;
    memset(&a, 0, sizeof a);
    CHECK_OK(tide_npy_load_expect(out, TIDE_DTYPE_F32, 2, &a));
    CHECK_EQ(a.shape[0], 4);
    CHECK_EQ(a.shape[1], 48);
    if (a.count == 4 * 48) {
        CHECK(!row_zero(&a, 0));
        CHECK(row_zero(&a, 2));  /* no text at all */
        CHECK(!row_zero(&a, 3)); /* an empty title, but genres */
    }
    cJSON *m = manifest(json);
    CHECK(m != NULL);
    CHECK_EQ(jnum(m, "counts", "empty"), 1);
    CHECK_EQ(jnum(m, "counts", "computed"), 3);
    /* the item vector equals the library's embedding of "title\ngenres" */
    char *model = fixture_path("tiny-bert-cls");
    tide_lm *lm = NULL;
    CHECK_OK(tide_lm_load(model, &lm));
    if (lm && a.count == 4 * 48) {
        const char *t = "Toy Story (1995)\nAdventure|Animation";
        float v[48];
        tide_lm_params p = tide_lm_params_default();
        CHECK_OK(tide_lm_embed(lm, &t, NULL, 1, &p, v, NULL));
        for (int k = 0; k < 48; k++) CHECK_NEAR(v[k], ((const float *)a.data)[k], 1e-6);
    }
    tide_lm_free(lm);
    free(model);
    /* --fields title: item 3's title is empty -> a zero row */
    snprintf(cmd, sizeof cmd, "--data '%s' --fields title --out '%s'", ds, out2);
    CHECK_EQ(run(cmd), 0);
    tide_npy b;
    memset(&b, 0, sizeof b);
    CHECK_OK(tide_npy_load_expect(out2, TIDE_DTYPE_F32, 2, &b));
    if (b.count == 4 * 48) CHECK(row_zero(&b, 3));
    tide_npy_free(&b);
    /* change one item's text; rerun with --cache: one row computed, the rest copied */
    make_dataset(ds, "Jumanji (1995) remastered");
    snprintf(cmd, sizeof cmd, "--data '%s' --cache '%s' --out '%s'", ds, out, out2);
    CHECK_EQ(run(cmd), 0);
    char json2[1100];
    snprintf(json2, sizeof json2, "%s/items2.json", tmp);
    cJSON *m2 = manifest(json2);
    CHECK_EQ(jnum(m2, "counts", "cached"), 2);
    CHECK_EQ(jnum(m2, "counts", "computed"), 1);
    memset(&b, 0, sizeof b);
    CHECK_OK(tide_npy_load_expect(out2, TIDE_DTYPE_F32, 2, &b));
    if (a.count == 4 * 48 && b.count == 4 * 48) {
        CHECK(memcmp(a.data, b.data, 48 * sizeof(float)) == 0);                                   /* copied */
        CHECK(memcmp((float *)a.data + 48, (float *)b.data + 48, 48 * sizeof(float)) != 0);       /* recomputed */
        CHECK(memcmp((float *)a.data + 3 * 48, (float *)b.data + 3 * 48, 48 * sizeof(float)) == 0); /* copied */
    }
    tide_npy_free(&b);
    /* a failed run (unknown field) exits 2 and leaves the previous output untouched */
    snprintf(cmd, sizeof cmd, "--data '%s' --fields nope --out '%s' 2>/dev/null", ds, out);
    CHECK_EQ(run(cmd), 2);
    memset(&b, 0, sizeof b);
    CHECK_OK(tide_npy_load_expect(out, TIDE_DTYPE_F32, 2, &b));
    if (a.count == b.count) CHECK(memcmp(a.data, b.data, a.count * sizeof(float)) == 0);
    tide_npy_free(&b);
    tide_npy_free(&a);
    cJSON_Delete(m);
    cJSON_Delete(m2);
}

static void test_user_text(void) {
    const char *tmp = harness_tmpdir("embed-tool");
    char ds[1024], out[1024], cmd[4096], p[1100];
    snprintf(ds, sizeof ds, "%s/ds-u", tmp);
    snprintf(out, sizeof out, "%s/ut.npy", tmp);
    make_dataset(ds, "x");
    snprintf(cmd, sizeof cmd, "--data '%s' --user-text --out '%s'", ds, out);
    CHECK_EQ(run(cmd), 0);
    tide_npy v, u, t, i;
    memset(&v, 0, sizeof v);
    memset(&u, 0, sizeof u);
    memset(&t, 0, sizeof t);
    memset(&i, 0, sizeof i);
    CHECK_OK(tide_npy_load_expect(out, TIDE_DTYPE_F32, 2, &v));
    snprintf(p, sizeof p, "%s/ut.users.npy", tmp);
    CHECK_OK(tide_npy_load_expect(p, TIDE_DTYPE_I32, 1, &u));
    snprintf(p, sizeof p, "%s/ut.times.npy", tmp);
    CHECK_OK(tide_npy_load_expect(p, TIDE_DTYPE_I64, 1, &t));
    snprintf(p, sizeof p, "%s/ut.items.npy", tmp);
    CHECK_OK(tide_npy_load_expect(p, TIDE_DTYPE_I32, 1, &i));
    CHECK_EQ(v.shape[0], 3);
    if (u.count == 3 && t.count == 3 && i.count == 3 && v.count == 3 * 48) {
        const int32_t *uu = u.data, *ii = i.data;
        const int64_t *tt = t.data;
        CHECK_EQ(uu[0], 0);
        CHECK_EQ(uu[1], 0);
        CHECK_EQ(uu[2], 1);
        CHECK_EQ(tt[2], 7);
        CHECK_EQ(ii[0], 1);
        CHECK_EQ(ii[1], -1);
        CHECK(row_zero(&v, 1)); /* the empty text event */
        CHECK(!row_zero(&v, 2));
    }
    snprintf(p, sizeof p, "%s/ut.json", tmp);
    cJSON *m = manifest(p);
    const cJSON *kind = cJSON_GetObjectItem(m, "kind");
    CHECK_STR(cJSON_IsString(kind) ? kind->valuestring : NULL, "user_text");
    CHECK_EQ(jnum(m, "counts", "empty"), 1);
    cJSON_Delete(m);
    tide_npy_free(&v);
    tide_npy_free(&u);
    tide_npy_free(&t);
    tide_npy_free(&i);
}

int main(void) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return 77;
    self[n] = 0;
    *strrchr(self, '/') = 0;
    snprintf(exe, sizeof exe, "%s/../bin/tide-embed", self);
    if (access(exe, X_OK) != 0) {
        printf("skip: %s not built\n", exe);
        return 77;
    }
    RUN(test_items_and_cache);
    RUN(test_user_text);
    return harness_done();
}
