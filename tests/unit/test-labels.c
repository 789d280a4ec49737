/* test-labels.c — interest-label evaluation (tide/labels.h): the catalog's categories, the
 * long-term profile's ranking and ties, truth category sets from a truth file, per-user
 * precision/recall/F1 with the matched set size, and bad --label-truth lines. */
#include <math.h>

#include "dataset-builder.h"
#include "harness.h"
#include "tide/labels.h"

/* items: 0 "X|Y", 1 "Y", 2 "Z", 3 "W|X", 4 no genres -> categories X 0, Y 1, Z 2, W 3 */
static void build(tide_dataset *ds, tide_interest_items *cats) {
    tb_build(ds, &(tb_spec){.n_users = 3, .n_items = 5, .len = (int[]){3, 2, 1},
                            .items = (int32_t[]){0, 1, 2, 2, 3, 4},
                            .n_text_fields = 2, .text_fields = (const char *[]){"title", "genres"},
                            .item_text = (const char *[]){"A", "X|Y", "B", "Y", "C", "Z", "D", "W|X", "E", NULL}});
    memset(cats, 0, sizeof *cats);
    CHECK_OK(tide_interest_fit_categories(ds, cats));
    cats->n_items = ds->n_items;
}

static void test_history_and_truth(void) {
    tide_dataset ds;
    tide_interest_items cats;
    build(&ds, &cats);
    CHECK_EQ(cats.n_cats, 4);
    CHECK_STR(cats.cat_names[3], "W");
    tide_label_profiles lt;
    CHECK_OK(tide_labels_history(&ds, &cats, &lt));
    /* u0: X 1, Y 2, Z 1 -> Y, X, Z (tie: lower index first); u1: Z, W, X -> X, Z, W; u2: item 4 has none */
    CHECK_EQ(lt.indptr[1] - lt.indptr[0], 3);
    CHECK_EQ(lt.cats[0], 1); CHECK_EQ(lt.cats[1], 0); CHECK_EQ(lt.cats[2], 2);
    CHECK_NEAR(lt.weights[0], 2, 0);
    CHECK_EQ(lt.cats[3], 0); CHECK_EQ(lt.cats[4], 2); CHECK_EQ(lt.cats[5], 3);
    CHECK_EQ(lt.indptr[3] - lt.indptr[2], 0);

    const char *dir = harness_tmpdir("test-labels");
    char path[1100];
    snprintf(path, sizeof path, "%s/truth.tsv", dir);
    FILE *f = fopen(path, "w");
    fputs("u0\ti2\nu1\ti0\nu1\ti1\nu2\ti4\nstranger\ti3\n", f);
    fclose(f);
    tide_eval_truth t;
    CHECK_OK(tide_eval_truth_load(path, ds.item_ids, ds.n_items, &t));
    tide_label_profiles tr;
    int64_t unknown = -1;
    CHECK_OK(tide_labels_truth_items(&t, &ds, &cats, &tr, &unknown));
    CHECK_EQ(unknown, 1);                          /* "stranger" is not a train user */
    CHECK_EQ(tr.indptr[1] - tr.indptr[0], 1);      /* u0 {Z} */
    CHECK_EQ(tr.cats[0], 2);
    CHECK_EQ(tr.indptr[2] - tr.indptr[1], 2);      /* u1 {X, Y} */
    CHECK_EQ(tr.indptr[3] - tr.indptr[2], 0);      /* u2: no category: not evaluated */

    /* dynamic: u0 ranks Z, X; u1 ranks W only; u2 has nothing */
    tide_label_profiles dyn = {.n_users = 3};
    dyn.indptr = (int64_t[]){0, 2, 3, 3};
    dyn.cats = (int32_t[]){2, 0, 3};
    dyn.weights = (float[]){1, .5f, 1};
    tide_label_scores s;
    CHECK_OK(tide_labels_score(&dyn, &lt, &tr, 3, &s));
    CHECK_EQ(s.n, 2);
    CHECK_EQ(s.users[0], 0); CHECK_EQ(s.users[1], 1);
    /* u0: m = 2; dynamic {Z, X} vs {Z}: P 1/2, R 1, F1 2/3; long-term top 2 {Y, X}: 0 */
    CHECK_NEAR(tide_label_column(&s, 0, TIDE_LABEL_PRECISION)[0], 0.5, 1e-12);
    CHECK_NEAR(tide_label_column(&s, 0, TIDE_LABEL_RECALL)[0], 1, 1e-12);
    CHECK_NEAR(tide_label_column(&s, 0, TIDE_LABEL_F1)[0], 2.0 / 3, 1e-12);
    CHECK_NEAR(tide_label_column(&s, 1, TIDE_LABEL_F1)[0], 0, 0);
    CHECK_NEAR(tide_label_column(&s, 1, TIDE_LABEL_SIZE)[0], 2, 0);
    /* u1: m = 1; dynamic {W} vs {X, Y}: 0; long-term top 1 {X}: P 1, R 1/2 */
    CHECK_NEAR(tide_label_column(&s, 0, TIDE_LABEL_PRECISION)[1], 0, 0);
    CHECK_NEAR(tide_label_column(&s, 1, TIDE_LABEL_PRECISION)[1], 1, 1e-12);
    CHECK_NEAR(tide_label_column(&s, 1, TIDE_LABEL_RECALL)[1], 0.5, 1e-12);
    CHECK_NEAR(tide_label_column(&s, 1, TIDE_LABEL_SIZE)[1], 1, 0);
    CHECK_EQ(s.n_empty, 0);
    tide_label_scores_free(&s);
    /* m = 1 caps both */
    CHECK_OK(tide_labels_score(&dyn, &lt, &tr, 1, &s));
    CHECK_NEAR(tide_label_column(&s, 0, TIDE_LABEL_PRECISION)[0], 1, 1e-12);
    CHECK_NEAR(tide_label_column(&s, 1, TIDE_LABEL_PRECISION)[0], 0, 0);
    tide_label_scores_free(&s);
    CHECK_STATUS(tide_labels_score(&dyn, &lt, &tr, 0, &s), TIDE_ERR_USAGE);

    /* --label-truth lines */
    snprintf(path, sizeof path, "%s/lt.tsv", dir);
    f = fopen(path, "w");
    fputs("u2\tW|Z\r\n\nu0\tX\n", f);
    fclose(f);
    tide_label_profiles lf;
    CHECK_OK(tide_labels_truth_file(path, &ds, &cats, &lf));
    CHECK_EQ(lf.indptr[3] - lf.indptr[2], 2);
    CHECK_EQ(lf.cats[lf.indptr[2]], 2);            /* ranked by index at equal weight: Z, W */
    CHECK_EQ(lf.cats[lf.indptr[2] + 1], 3);
    tide_label_profiles_free(&lf);
    f = fopen(path, "w");
    fputs("u0\tX\nu1\tX|V\n", f);
    fclose(f);
    CHECK_STATUS(tide_labels_truth_file(path, &ds, &cats, &lf), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "lt.tsv:2: category 'V'");

    tide_label_profiles_free(&tr);
    tide_label_profiles_free(&lt);
    tide_eval_truth_free(&t);
    tide_interest_items_free(&cats);
    tide_dataset_free(&ds);
}

int main(void) {
    RUN(test_history_and_truth);
    return harness_done();
}
