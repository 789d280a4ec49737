/* test-dataset.c — dataset save/load round trip, item-major copy, checksum, corruption checks. */
#include "harness.h"
#include "dataset-builder.h"
#include "tide/dataset.h"
#include "tide/fileio.h"

static void make_small(tide_dataset *ds) {
    tb_build(ds, &(tb_spec){
        .n_users = 3, .n_items = 4,
        .user_ids = (const char *[]){"u1", "u2", "u3"},
        .item_ids = (const char *[]){"i1", "i2", "i3", "cold"},
        .indptr = (int64_t[]){0, 2, 3, 5},
        .items = (int32_t[]){0, 1, 1, 2, 0},
        .times = (int64_t[]){10, 20, 15, 5, 30},
        .weights = (float[]){1, 2, 1, 1, 5},
        .n_text_fields = 2,
        .text_fields = (const char *[]){"title", "genres"},
        .item_text = (const char *[]){"One", "a|b", "Two", NULL, NULL, NULL, "Cold item", "c"},
        .text_indptr = (int64_t[]){0, 1, 1, 2},
        .text_items = (int32_t[]){1, -1},
        .text_times = (int64_t[]){21, 40},
        .texts = (const char *[]){"great\nmovie \"quoted\"", "búsqueda 東京"},
    });
}

static void test_roundtrip(void) {
    const char *dir = harness_tmpdir("dataset");
    char *out = tide_path_join(dir, "ds");
    tide_dataset ds, back;
    make_small(&ds);
    CHECK_OK(tide_dataset_save(out, &ds));
    char sum[32];
    memcpy(sum, ds.checksum, 32);
    /* the item-major copy: item 0 has users 0 and 2, item 3 none */
    CHECK_EQ(ds.item_indptr[1], 2);
    CHECK_EQ(ds.item_users[1], 2);
    CHECK_EQ(ds.item_indptr[4] - ds.item_indptr[3], 0);
    tide_dataset_free(&ds);

    CHECK_OK(tide_dataset_load(out, &back));
    CHECK_EQ(back.n_users, 3);
    CHECK_EQ(back.n_items, 4);
    CHECK_EQ(back.nnz, 5);
    CHECK_STR(back.user_ids[2], "u3");
    CHECK_STR(back.item_ids[3], "cold");
    CHECK_EQ(back.items[3], 2);
    CHECK_EQ(back.times[4], 30);
    CHECK_NEAR(back.weights[4], 5, 0);
    CHECK_STR(back.item_text[0 * 2 + 1], "a|b");
    CHECK(back.item_text[2 * 2 + 0] == NULL);
    CHECK_STR(back.item_text[3 * 2 + 0], "Cold item");
    CHECK_EQ(back.n_text, 2);
    CHECK_STR(back.texts[0], "great\nmovie \"quoted\"");
    CHECK_STR(back.texts[1], "búsqueda 東京");
    CHECK_EQ(back.text_items[1], -1);
    CHECK_STR(back.checksum, sum);
    CHECK_EQ(tide_dataset_items_with_interactions(&back), 3);
    CHECK_EQ(tide_dataset_user_index(&back, "u2"), 1);
    CHECK_EQ(tide_dataset_item_index(&back, "cold"), 3);
    CHECK_EQ(tide_dataset_item_index(&back, "nope"), -1);
    tide_dataset_free(&back);

    /* A modified array is caught by the checksum. */
    char *w = tide_path_join(out, "weights.npy");
    FILE *f = fopen(w, "r+b");
    fseek(f, 128, SEEK_SET);
    fputc(0x7f, f);
    fclose(f);
    CHECK_STATUS(tide_dataset_load(out, &back), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "checksum");
    free(w);
    /* A missing dir or manifest is a data error naming it. */
    CHECK_STATUS(tide_dataset_load(dir, &back), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "not a dataset directory");
    free(out);
}

static void test_bad_ids(void) {
    const char *dir = harness_tmpdir("dataset-bad");
    char *out = tide_path_join(dir, "ds");
    tide_dataset ds;
    make_small(&ds);
    ds.user_ids[1] = tb_str(&ds, "u\t2");
    CHECK_STATUS(tide_dataset_save(out, &ds), TIDE_ERR_DATA);
    CHECK(!tide_path_exists(out));
    tide_dataset_free(&ds);
    free(out);
}

int main(void) {
    RUN(test_roundtrip);
    RUN(test_bad_ids);
    return harness_done();
}
