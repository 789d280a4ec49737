/* test-split.c — the split rules on small in-memory datasets: leave-last with ties in time,
 * too-short users, valid / test / train_valid contents, time cuts from a fraction and explicit,
 * text events, shared id dictionaries and checksums on disk, atomic replacement, time parsing. */
#include "harness.h"
#include "dataset-builder.h"
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/split.h"

#include <cjson/cJSON.h>

/* ---- building datasets ------------------------------------------------------------------- */

/* A dataset of n_users users u0.. and n_items items i0.. (item k titled "Title k"); row u holds
 * len[u] interactions taken in order from items[]/times[] (weights = position + 1). Text events
 * the same way from tlen[]/titems[]/ttimes[] (texts "t<position>"); tlen may be NULL. */
static void make_ds(tide_dataset *ds, int n_users, int n_items, const int *len, const int32_t *items,
                    const int64_t *times, const int *tlen, const int32_t *titems, const int64_t *ttimes) {
    int64_t nnz = 0, nt = 0;
    for (int u = 0; u < n_users; u++) {
        nnz += len[u];
        nt += tlen ? tlen[u] : 0;
    }
    float *w = malloc(sizeof(float) * (size_t)(nnz + 1));
    int *no_text = calloc((size_t)n_users, sizeof(int));
    char (*titles)[16] = malloc(sizeof *titles * (size_t)n_items), (*tx)[24] = malloc(sizeof *tx * (size_t)(nt + 1));
    const char **title_p = malloc(sizeof(char *) * (size_t)n_items), **text_p = malloc(sizeof(char *) * (size_t)(nt + 1));
    for (int64_t k = 0; k < nnz; k++) w[k] = (float)(k + 1);
    for (int i = 0; i < n_items; i++) {
        snprintf(titles[i], sizeof titles[i], "Title %d", i);
        title_p[i] = titles[i];
    }
    for (int64_t k = 0; k < nt; k++) {
        snprintf(tx[k], sizeof tx[k], "t%lld", (long long)k);
        text_p[k] = tx[k];
    }
    tb_build(ds, &(tb_spec){.n_users = n_users, .n_items = n_items, .len = len, .items = items, .times = times,
                            .weights = w, .n_text_fields = 1, .text_fields = (const char *[]){"title"},
                            .item_text = title_p, .text_len = tlen ? tlen : no_text, .text_items = titems,
                            .text_times = ttimes, .texts = text_p});
    free(w);
    free(no_text);
    free(titles);
    free(tx);
    free(title_p);
    free(text_p);
}

/* Row u of a part as "item@time item@time ...". */
static const char *row(const tide_dataset *d, int64_t u) {
    static char buf[1024];
    size_t n = 0;
    buf[0] = 0;
    for (int64_t k = d->indptr[u]; k < d->indptr[u + 1]; k++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s@%lld", k > d->indptr[u] ? " " : "",
                              d->item_ids[d->items[k]], (long long)d->times[k]);
    return buf;
}

/* Text row u of a part as "text@time ...". */
static const char *trow(const tide_dataset *d, int64_t u) {
    static char buf[1024];
    size_t n = 0;
    buf[0] = 0;
    for (int64_t k = d->text_indptr[u]; k < d->text_indptr[u + 1]; k++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s@%lld", k > d->text_indptr[u] ? " " : "",
                              d->texts[k], (long long)d->text_times[k]);
    return buf;
}

/* Weights travel with their interactions: weight = source position + 1 in make_ds. */
static int weights_follow(const tide_dataset *src, const tide_dataset *d) {
    for (int64_t u = 0; u < d->n_users; u++)
        for (int64_t k = d->indptr[u]; k < d->indptr[u + 1]; k++) {
            int64_t s = (int64_t)d->weights[k] - 1;
            if (s < src->indptr[u] || s >= src->indptr[u + 1] || src->items[s] != d->items[k] || src->times[s] != d->times[k])
                return 0;
        }
    return 1;
}

/* ---- leave-last -------------------------------------------------------------------------- */

/* u0: 5 events, the last three tied at t=30 (input order decides); u1: 3 events (just enough for
 * N=1, M=1); u2: 2 events (too short); u3: none. */
static void make_leave_last(tide_dataset *ds) {
    static const int len[] = {5, 3, 2, 0};
    static const int32_t items[] = {0, 1, 2, 3, 4, /* u1 */ 4, 3, 2, /* u2 */ 1, 0};
    static const int64_t times[] = {10, 20, 30, 30, 30, /* u1 */ 5, 6, 7, /* u2 */ 1, 2};
    /* text: u0 at 25 (train), 30 (tied with the first valid AND first test time: test), 31;
     * u1 at 5 (train), 6 (valid), 7 (test); u2 at 99 (too short: train); u3 at 50 (train) */
    static const int tlen[] = {3, 3, 1, 1};
    static const int32_t titems[] = {2, -1, 4, 4, 3, 2, 1, -1};
    static const int64_t ttimes[] = {25, 30, 31, 5, 6, 7, 99, 50};
    make_ds(ds, 4, 6, len, items, times, tlen, titems, ttimes);
}

static void test_leave_last_ties(void) {
    tide_dataset ds;
    tide_split sp;
    tide_split_params p;
    make_leave_last(&ds);
    tide_split_params_default(&p);
    p.valid_events = 1;
    CHECK_OK(tide_split_dataset(&ds, &p, &sp));
    CHECK(sp.has_valid);
    const tide_dataset *tr = &sp.parts[TIDE_SPLIT_TRAIN], *va = &sp.parts[TIDE_SPLIT_VALID],
                       *te = &sp.parts[TIDE_SPLIT_TEST], *tv = &sp.parts[TIDE_SPLIT_TRAIN_VALID];
    /* ties at t=30: the last in input order (i4) is test, the one before (i3) valid */
    CHECK_STR(row(te, 0), "i4@30");
    CHECK_STR(row(va, 0), "i3@30");
    CHECK_STR(row(tr, 0), "i0@10 i1@20 i2@30");
    CHECK_STR(row(tv, 0), "i0@10 i1@20 i2@30 i3@30");
    CHECK_STR(row(te, 1), "i2@7");
    CHECK_STR(row(va, 1), "i3@6");
    CHECK_STR(row(tr, 1), "i4@5");
    /* too short (2 < N+M+1 = 3): whole in train, absent from valid and test */
    CHECK_STR(row(tr, 2), "i1@1 i0@2");
    CHECK_STR(row(te, 2), "");
    CHECK_STR(row(va, 2), "");
    CHECK_STR(row(tv, 2), "i1@1 i0@2");
    CHECK_EQ(sp.users_split, 2);
    CHECK_EQ(sp.users_too_short, 1);
    CHECK_EQ(sp.users_without_interactions, 1);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN].interactions, 6);
    CHECK_EQ(sp.counts[TIDE_SPLIT_VALID].interactions, 2);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TEST].interactions, 2);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN_VALID].interactions, 8);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN].users_with_interactions, 3);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TEST].users_with_interactions, 2);
    /* every part spans every user and item with the same dictionaries */
    for (int i = 0; i < TIDE_SPLIT_N_PARTS; i++) {
        CHECK_EQ(sp.parts[i].n_users, 4);
        CHECK_EQ(sp.parts[i].n_items, 6);
        CHECK(sp.parts[i].user_ids == ds.user_ids);
        CHECK(sp.parts[i].item_ids == ds.item_ids);
        CHECK(sp.parts[i].item_text == ds.item_text);
        CHECK(weights_follow(&ds, &sp.parts[i]));
    }
    /* text events by the times of the first valid / test interaction */
    CHECK_STR(trow(tr, 0), "t0@25");
    CHECK_STR(trow(va, 0), "");
    CHECK_STR(trow(te, 0), "t1@30 t2@31");
    CHECK_STR(trow(tr, 1), "t3@5");
    CHECK_STR(trow(va, 1), "t4@6");
    CHECK_STR(trow(te, 1), "t5@7");
    CHECK_STR(trow(tv, 1), "t3@5 t4@6");
    CHECK_STR(trow(tr, 2), "t6@99");
    CHECK_STR(trow(tr, 3), "t7@50");
    CHECK_EQ(te->text_items[0], -1);
    CHECK_EQ(te->text_items[1], 4);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TEST].text_events, 3);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN].text_events, 4);
    /* the parts partition the source */
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN].interactions + sp.counts[TIDE_SPLIT_VALID].interactions +
                 sp.counts[TIDE_SPLIT_TEST].interactions, ds.nnz);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN].text_events + sp.counts[TIDE_SPLIT_VALID].text_events +
                 sp.counts[TIDE_SPLIT_TEST].text_events, ds.n_text);
    tide_split_free(&sp);
    tide_dataset_free(&ds);
}

static void test_leave_last_no_valid(void) {
    tide_dataset ds;
    tide_split sp;
    tide_split_params p;
    make_leave_last(&ds);
    tide_split_params_default(&p);
    p.test_events = 2;
    CHECK_OK(tide_split_dataset(&ds, &p, &sp));
    CHECK(!sp.has_valid);
    CHECK(sp.parts[TIDE_SPLIT_VALID].indptr == NULL);
    CHECK(sp.parts[TIDE_SPLIT_TRAIN_VALID].indptr == NULL);
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TEST], 0), "i3@30 i4@30");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TRAIN], 0), "i0@10 i1@20 i2@30");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TEST], 1), "i3@6 i2@7");
    /* u2 has 2 events: N=2 needs 3 */
    CHECK_EQ(sp.users_too_short, 1);
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TEST], 2), "");
    tide_split_free(&sp);

    /* N=4, M=1: nobody has 6 events -> data error, nothing allocated */
    p.test_events = 4;
    p.valid_events = 1;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "no user has the 6 interactions");
    CHECK(sp.parts[TIDE_SPLIT_TRAIN].indptr == NULL);
    /* bad parameters are usage errors */
    p.test_events = 0;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_USAGE);
    p.test_events = 1;
    p.valid_events = -1;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_USAGE);
    tide_dataset_free(&ds);
}

static void test_unsorted(void) {
    static const int len[] = {3};
    static const int32_t items[] = {0, 1, 2};
    static const int64_t times[] = {10, 30, 20};
    tide_dataset ds;
    tide_split sp;
    tide_split_params p;
    make_ds(&ds, 1, 3, len, items, times, NULL, NULL, NULL);
    tide_split_params_default(&p);
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "user 'u0': interactions are not in time order");
    tide_dataset_free(&ds);
}

/* ---- time -------------------------------------------------------------------------------- */

/* 20 interactions over 4 users at times 1..17 with ties: sorted times are
 * 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 15 15 16 17 17 */
static void make_timed(tide_dataset *ds) {
    static const int len[] = {6, 5, 5, 4};
    static const int32_t items[] = {0, 1, 2, 3, 4, 5, /* u1 */ 0, 1, 2, 3, 4, /* u2 */ 5, 4, 3, 2, 1, /* u3 */ 0, 2, 4, 5};
    static const int64_t times[] = {1, 2, 3, 15, 16, 17, /* u1 */ 4, 5, 6, 7, 8, /* u2 */ 9, 10, 11, 12, 13,
                                    /* u3 */ 14, 15, 15, 17};
    static const int tlen[] = {2, 1, 1, 1};
    static const int32_t titems[] = {0, 1, -1, 2, 3};
    static const int64_t ttimes[] = {14, 15, 12, 13, 100};
    make_ds(ds, 4, 6, len, items, times, tlen, titems, ttimes);
}

static void test_time_fraction(void) {
    tide_dataset ds;
    tide_split sp;
    tide_split_params p;
    make_timed(&ds);
    tide_split_params_default(&p);
    p.method = TIDE_SPLIT_TIME;
    /* F = 0.2: round(4) -> the 4th latest is t=15 (sorted position 16); its two ties at 15 join
     * test, which holds 6 interactions */
    p.test_fraction = 0.2;
    CHECK_OK(tide_split_dataset(&ds, &p, &sp));
    CHECK_EQ(sp.test_cut, 15);
    CHECK(!sp.has_valid);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TEST].interactions, 6);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN].interactions, 14);
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TEST], 0), "i3@15 i4@16 i5@17");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TRAIN], 0), "i0@1 i1@2 i2@3");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TEST], 3), "i2@15 i4@15 i5@17");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TRAIN], 3), "i0@14");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TEST], 1), "");
    /* u0 and u3 have interactions before and at/after 15 */
    CHECK_EQ(sp.users_both_sides_test_cut, 2);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TEST].users_with_interactions, 2);
    /* text by the cut: 14 train, 15 test, 12 train, 13 train, 100 test */
    CHECK_STR(trow(&sp.parts[TIDE_SPLIT_TRAIN], 0), "t0@14");
    CHECK_STR(trow(&sp.parts[TIDE_SPLIT_TEST], 0), "t1@15");
    CHECK_STR(trow(&sp.parts[TIDE_SPLIT_TEST], 3), "t4@100");
    CHECK_EQ(sp.counts[TIDE_SPLIT_TEST].text_events, 2);
    tide_split_free(&sp);

    /* F = 0.1: round(2) -> the 2nd latest is 17 (tied with the latest): test = both 17s */
    p.test_fraction = 0.1;
    CHECK_OK(tide_split_dataset(&ds, &p, &sp));
    CHECK_EQ(sp.test_cut, 17);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TEST].interactions, 2);
    tide_split_free(&sp);

    /* with a valid fraction 0.25: round(5) interactions before 15 (14 of them, times 1..14):
     * valid cut = the 5th latest of those = 10 -> valid = 10..14 */
    p.test_fraction = 0.2;
    p.valid_fraction = 0.25;
    CHECK_OK(tide_split_dataset(&ds, &p, &sp));
    CHECK(sp.has_valid);
    CHECK_EQ(sp.test_cut, 15);
    CHECK_EQ(sp.valid_cut, 10);
    CHECK_EQ(sp.counts[TIDE_SPLIT_VALID].interactions, 5);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN].interactions, 9);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN_VALID].interactions, 14);
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_VALID], 2), "i4@10 i3@11 i2@12 i1@13");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TRAIN], 2), "i5@9");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TRAIN_VALID], 3), "i0@14");
    CHECK_STR(trow(&sp.parts[TIDE_SPLIT_VALID], 0), "t0@14");
    CHECK_STR(trow(&sp.parts[TIDE_SPLIT_TEST], 0), "t1@15");
    CHECK_STR(trow(&sp.parts[TIDE_SPLIT_VALID], 1), "t2@12");
    CHECK_STR(trow(&sp.parts[TIDE_SPLIT_VALID], 2), "t3@13");
    CHECK_EQ(sp.counts[TIDE_SPLIT_VALID].text_events, 3);
    CHECK_EQ(sp.counts[TIDE_SPLIT_TRAIN].text_events, 0);
    CHECK_EQ(sp.users_both_sides_valid_cut, 2); /* u0 (1 < 10 <= 17) and u2 (9 < 10 <= 13) */
    tide_split_free(&sp);

    /* fractions that leave nothing for training are data errors */
    p.test_fraction = 0.6;
    p.valid_fraction = 0.39;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "leaves none for training");
    p.test_fraction = 0.5;
    p.valid_fraction = 0.5;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_USAGE);
    tide_dataset_free(&ds);
}

static void test_time_cut(void) {
    tide_dataset ds;
    tide_split sp;
    tide_split_params p;
    make_timed(&ds);
    tide_split_params_default(&p);
    p.method = TIDE_SPLIT_TIME;
    p.has_test_cut = 1;
    p.test_cut = 13;
    p.has_valid_cut = 1;
    p.valid_cut = 8;
    CHECK_OK(tide_split_dataset(&ds, &p, &sp));
    CHECK_EQ(sp.test_cut, 13);
    CHECK_EQ(sp.valid_cut, 8);
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TEST], 2), "i1@13");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_VALID], 2), "i5@9 i4@10 i3@11 i2@12");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_VALID], 1), "i4@8");
    CHECK_STR(row(&sp.parts[TIDE_SPLIT_TRAIN], 1), "i0@4 i1@5 i2@6 i3@7");
    CHECK_STR(trow(&sp.parts[TIDE_SPLIT_VALID], 1), "t2@12");
    CHECK_STR(trow(&sp.parts[TIDE_SPLIT_TEST], 2), "t3@13");
    CHECK_EQ(sp.counts[TIDE_SPLIT_TEST].interactions, 8);
    CHECK_EQ(sp.users_both_sides_test_cut, 2);  /* u0 (3 < 13 <= 17), u2 (9 < 13 <= 13) */
    CHECK_EQ(sp.users_both_sides_valid_cut, 2); /* u0 (1 < 8 <= 17), u1 (4 < 8 <= 8) */
    tide_split_free(&sp);

    /* cuts outside the data: test or train empty */
    p.has_valid_cut = 0;
    p.test_cut = 18;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "no interaction at or after the test cut 1970-01-01T00:00:18Z");
    p.test_cut = 1;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "train would be empty");
    /* explicit valid cut not before a derived test cut */
    p.has_test_cut = 0;
    p.test_fraction = 0.2; /* cut 15 */
    p.has_valid_cut = 1;
    p.valid_cut = 15;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "is not earlier than the test cut");
    /* no interaction in [valid, test) */
    p.has_test_cut = 1;
    p.test_cut = 15;
    p.valid_cut = 14;
    CHECK_OK(tide_split_dataset(&ds, &p, &sp));
    CHECK_EQ(sp.counts[TIDE_SPLIT_VALID].interactions, 1);
    tide_split_free(&sp);
    p.test_cut = 16;
    p.valid_cut = 16;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_USAGE); /* both explicit: checked up front */
    tide_dataset_free(&ds);

    /* a gap in time: nothing between the cuts */
    static const int len[] = {3};
    static const int32_t items[] = {0, 1, 2};
    static const int64_t times[] = {10, 20, 30};
    make_ds(&ds, 1, 3, len, items, times, NULL, NULL, NULL);
    p.test_cut = 30;
    p.valid_cut = 25;
    CHECK_STATUS(tide_split_dataset(&ds, &p, &sp), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "no interaction between the valid cut");
    tide_dataset_free(&ds);
}

/* ---- on disk ----------------------------------------------------------------------------- */

static char *slurp(const char *dir, const char *part, const char *name) {
    char *d = tide_path_join(dir, part), *p = tide_path_join(d, name), *data = NULL;
    size_t n;
    if (tide_read_file(p, &data, &n)) data = NULL;
    free(d);
    free(p);
    return data;
}

static cJSON *load_json(const char *dir, const char *part, const char *name) {
    char *s = slurp(dir, part, name);
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    free(s);
    return j;
}

static double jnum(cJSON *j, const char *a, const char *b, const char *c) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b) v = cJSON_GetObjectItemCaseSensitive(v, b);
    if (c) v = cJSON_GetObjectItemCaseSensitive(v, c);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *jstr(cJSON *j, const char *a, const char *b, const char *c) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
    if (b) v = cJSON_GetObjectItemCaseSensitive(v, b);
    if (c) v = cJSON_GetObjectItemCaseSensitive(v, c);
    return cJSON_IsString(v) ? v->valuestring : "(missing)";
}

static void test_save_and_load(void) {
    const char *tmp = harness_tmpdir("split");
    char *src_dir = tide_path_join(tmp, "ds"), *out = tide_path_join(tmp, "nested/out");
    tide_dataset mem, ds;
    tide_split sp;
    tide_split_params p;
    make_leave_last(&mem);
    CHECK_OK(tide_dataset_save(src_dir, &mem));
    tide_dataset_free(&mem);
    CHECK_OK(tide_dataset_load(src_dir, &ds));
    tide_split_params_default(&p);
    p.valid_events = 1;
    CHECK_OK(tide_split_dataset(&ds, &p, &sp));
    CHECK_STR(sp.source_checksum, ds.checksum);
    CHECK_OK(tide_split_save(out, &sp, src_dir, "tide-split --test 1 --valid 1"));

    cJSON *top = load_json(out, ".", "manifest.json");
    CHECK(top != NULL);
    CHECK_STR(jstr(top, "format", NULL, NULL), "tide-split");
    CHECK_STR(jstr(top, "method", NULL, NULL), "leave-last");
    CHECK_EQ(jnum(top, "params", "test", NULL), 1);
    CHECK_EQ(jnum(top, "params", "valid", NULL), 1);
    CHECK_STR(jstr(top, "source", "path", NULL), src_dir);
    CHECK_STR(jstr(top, "source", "checksum", NULL), ds.checksum);
    CHECK_EQ(jnum(top, "stats", "users_too_short", NULL), 1);
    CHECK_EQ(jnum(top, "stats", "users_without_interactions", NULL), 1);
    CHECK_STR(jstr(top, "command", NULL, NULL), "tide-split --test 1 --valid 1");

    char *users0 = slurp(src_dir, ".", "users.txt"), *items0 = slurp(src_dir, ".", "items.txt"),
         *text0 = slurp(src_dir, ".", "item_text.jsonl");
    for (int i = 0; i < TIDE_SPLIT_N_PARTS; i++) {
        const char *name = tide_split_part_name((tide_split_part)i);
        char *pdir = tide_path_join(out, name);
        tide_dataset part;
        CHECK_OK(tide_dataset_load(pdir, &part));
        /* identical dictionaries and item text in every part */
        char *u = slurp(out, name, "users.txt"), *it = slurp(out, name, "items.txt"), *tx = slurp(out, name, "item_text.jsonl");
        CHECK_STR(u, users0);
        CHECK_STR(it, items0);
        CHECK_STR(tx, text0);
        free(u); free(it); free(tx);
        /* the checksum recorded in OUT/manifest.json is the part's, and the part's own manifest
         * names the source and its own role */
        CHECK_STR(jstr(top, "parts", name, "checksum"), part.checksum);
        CHECK_EQ(jnum(top, "parts", name, "interactions"), part.nnz);
        CHECK_EQ(jnum(top, "parts", name, "text_events"), part.n_text);
        CHECK_STR(jstr(part.manifest, "split", "part", NULL), name);
        CHECK_STR(jstr(part.manifest, "split", "source", "checksum"), ds.checksum);
        CHECK_EQ(jnum(part.manifest, "split", "stats", "users_too_short"), 1);
        cJSON *pp = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(part.manifest, "split"), "parts");
        CHECK_EQ(jnum(pp, "test", "interactions", NULL), 2);
        CHECK_EQ(jnum(pp, "train_valid", "interactions", NULL), 8);
        CHECK_EQ(jnum(part.manifest, "counts", "users", NULL), 4);
        CHECK_EQ(jnum(part.manifest, "counts", "items", NULL), 6);
        for (int64_t uu = 0; uu < 4; uu++) { /* row() reuses one buffer: copy before comparing */
            char *want = strdup(row(&sp.parts[i], uu)), *twant = strdup(trow(&sp.parts[i], uu));
            CHECK_STR(row(&part, uu), want);
            CHECK_STR(trow(&part, uu), twant);
            free(want);
            free(twant);
        }
        tide_dataset_free(&part);
        free(pdir);
    }
    cJSON_Delete(top);
    tide_split_free(&sp);

    /* A failed save (an id the format cannot hold) leaves the previous OUT intact, no leftovers. */
    char *before = slurp(out, ".", "manifest.json");
    p.valid_events = 0;
    CHECK_OK(tide_split_dataset(&ds, &p, &sp));
    char *saved_id = ds.user_ids[1];
    ds.user_ids[1] = "bad\tid"; /* the parts borrow the source's dictionary */
    CHECK_STATUS(tide_split_save(out, &sp, src_dir, NULL), TIDE_ERR_DATA);
    ds.user_ids[1] = saved_id;
    char *after = slurp(out, ".", "manifest.json");
    CHECK_STR(after, before);
    char *nested = tide_path_join(tmp, "nested");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q tmp", nested);
    CHECK(system(cmd) != 0);
    /* ...and a successful one replaces it: valid/ and train_valid/ disappear */
    CHECK_OK(tide_split_save(out, &sp, src_dir, NULL));
    char *vdir = tide_path_join(out, "valid");
    CHECK(!tide_path_exists(vdir));
    tide_split_free(&sp);
    free(vdir);
    free(nested);
    free(before);
    free(after);
    free(users0); free(items0); free(text0);
    tide_dataset_free(&ds);
    free(src_dir);
    free(out);
}

/* ---- times ------------------------------------------------------------------------------- */

static void test_parse_time(void) {
    int64_t t = 0;
    CHECK(tide_split_parse_time("1514764800", &t) == 0 && t == 1514764800);
    CHECK(tide_split_parse_time("-86400", &t) == 0 && t == -86400);
    CHECK(tide_split_parse_time("2018-01-01", &t) == 0 && t == 1514764800);
    CHECK(tide_split_parse_time("2018-01-01T00:00:01Z", &t) == 0 && t == 1514764801);
    CHECK(tide_split_parse_time("2018-01-01 12:30", &t) == 0 && t == 1514764800 + 45000);
    CHECK(tide_split_parse_time("2018-01-01T02:00:00+02:00", &t) == 0 && t == 1514764800);
    CHECK(tide_split_parse_time("2017-12-31T19:00:00-0500", &t) == 0 && t == 1514764800);
    CHECK(tide_split_parse_time("2018-01-01T00:00:00.25Z", &t) == 0 && t == 1514764801); /* rounds up */
    CHECK(tide_split_parse_time("2018-01-01T00:00:00.000", &t) == 0 && t == 1514764800);
    CHECK(tide_split_parse_time("2000-02-29", &t) == 0 && t == 951782400);
    CHECK(tide_split_parse_time("1969-12-31T23:59:59Z", &t) == 0 && t == -1);
    CHECK(tide_split_parse_time("2018-02-29", &t) != 0);
    CHECK(tide_split_parse_time("2018-13-01", &t) != 0);
    CHECK(tide_split_parse_time("2018-01-01T24:00", &t) == 0 && t == 1514764800 + 86400); /* ISO 8601 end of day */
    CHECK(tide_split_parse_time("2018-01-01T25:00", &t) != 0);
    CHECK(tide_split_parse_time("2018-01-01T", &t) != 0);
    CHECK(tide_split_parse_time("2018-1-1", &t) != 0);
    CHECK(tide_split_parse_time("yesterday", &t) != 0);
    CHECK(tide_split_parse_time("", &t) != 0);
    CHECK(tide_split_parse_time("12.5", &t) != 0);
    CHECK(tide_split_parse_time("99999999999999999999", &t) != 0);
    char buf[40];
    tide_split_format_time(1514764801, buf, sizeof buf);
    CHECK_STR(buf, "2018-01-01T00:00:01Z");
}

int main(void) {
    RUN(test_leave_last_ties);
    RUN(test_leave_last_no_valid);
    RUN(test_unsorted);
    RUN(test_time_fraction);
    RUN(test_time_cut);
    RUN(test_save_and_load);
    RUN(test_parse_time);
    return harness_done();
}
