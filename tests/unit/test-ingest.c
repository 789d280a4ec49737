/* test-ingest.c — tide-ingest's library: k-core against a naive fixed-point loop, aggregation
 * modes, ordering by (time, input order) across several inputs, catalog and cold-start items,
 * text events, event weights, --max-errors accounting, decimal-id caching, and a save/load
 * round trip. */
#include "harness.h"
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/ingest.h"
#include "tide/kcore.h"

#include <cjson/cJSON.h>

static const char *tmp;

static char *fixture(const char *name, const char *text) {
    char *p = tide_path_join(tmp, name);
    harness_write(p, text);
    return p;
}

/* ---- k-core ---------------------------------------------------------------------------------- */

/* The definition, applied literally: drop whatever is below threshold until nothing changes. */
static void naive_kcore(int64_t nu, int64_t ni, const int64_t *ip, const int32_t *it, int64_t mu, int64_t mi,
                        uint8_t *uk, uint8_t *ik) {
    int64_t *du = calloc((size_t)nu, sizeof *du), *di = calloc((size_t)ni, sizeof *di);
    memset(uk, 1, (size_t)nu);
    memset(ik, 1, (size_t)ni);
    for (int changed = 1; changed;) {
        changed = 0;
        memset(du, 0, (size_t)nu * sizeof *du);
        memset(di, 0, (size_t)ni * sizeof *di);
        for (int64_t u = 0; u < nu; u++)
            for (int64_t k = ip[u]; k < ip[u + 1]; k++)
                if (uk[u] && ik[it[k]]) {
                    du[u]++;
                    di[it[k]]++;
                }
        for (int64_t u = 0; u < nu; u++)
            if (uk[u] && du[u] < (mu > 1 ? mu : 1)) uk[u] = 0, changed = 1;
        for (int64_t i = 0; i < ni; i++)
            if (ik[i] && di[i] < (mi > 1 ? mi : 1)) ik[i] = 0, changed = 1;
    }
    free(du);
    free(di);
}

static void test_kcore_fixed_point(void) {
    unsigned seed = 7;
    for (int trial = 0; trial < 60; trial++) {
        int64_t nu = 5 + trial % 40, ni = 3 + (trial * 7) % 30;
        int64_t *ip = malloc(((size_t)nu + 1) * sizeof *ip);
        int32_t *it = malloc(4000 * sizeof *it);
        ip[0] = 0;
        for (int64_t u = 0; u < nu; u++) {
            seed = seed * 1103515245 + 12345;
            int deg = (int)((seed >> 16) % 9);
            for (int d = 0; d < deg; d++) {
                seed = seed * 1103515245 + 12345;
                /* skewed items so that some are rare and cascades happen */
                int64_t r = (seed >> 16) % (ni * ni);
                int64_t i = 0;
                while (i * i < r) i++;
                it[ip[u] + d] = (int32_t)(ni - 1 - (i < ni ? i : ni - 1));
            }
            ip[u + 1] = ip[u] + deg;
        }
        int64_t mu = 1 + trial % 4, mi = 1 + (trial / 4) % 4;
        uint8_t uk[64], ik[64], uk2[64], ik2[64];
        tide_kcore_stats stt;
        CHECK_OK(tide_kcore_filter(nu, ni, ip, it, mu, mi, uk, ik, &stt));
        naive_kcore(nu, ni, ip, it, mu, mi, uk2, ik2);
        CHECK(memcmp(uk, uk2, (size_t)nu) == 0);
        CHECK(memcmp(ik, ik2, (size_t)ni) == 0);
        int64_t alive = 0;
        for (int64_t u = 0; u < nu; u++)
            for (int64_t k = ip[u]; k < ip[u + 1]; k++) alive += uk[u] && ik[it[k]];
        CHECK_EQ(stt.interactions_after, alive);
        free(ip);
        free(it);
    }
    /* A cascade: removing item 0 (1 event) drops user 0, which drops item 1, which drops user 1. */
    int64_t ip[] = {0, 2, 4, 7, 10};
    int32_t it[] = {0, 1, 1, 2, 2, 3, 4, 2, 3, 4};
    uint8_t uk[4], ik[5];
    tide_kcore_stats stt;
    CHECK_OK(tide_kcore_filter(4, 5, ip, it, 2, 2, uk, ik, &stt));
    CHECK(!uk[0] && !uk[1] && uk[2] && uk[3]);
    CHECK(!ik[0] && !ik[1] && ik[2] && ik[3] && ik[4]);
    CHECK_EQ(stt.rounds, 4);
    CHECK_EQ(stt.interactions_after, 6);
    CHECK_EQ(stt.users_after, 2);
    CHECK_EQ(stt.items_after, 3);
}

/* ---- building datasets ------------------------------------------------------------------------ */

static void params_for(tide_ingest_params *p, const char **inputs, int n) {
    tide_ingest_params_default(p);
    p->inputs = inputs;
    p->n_inputs = n;
    p->user_col = "u";
    p->item_col = "i";
    p->time_col = "t";
}

static const char *item_of(const tide_dataset *ds, int64_t k) { return ds->item_ids[ds->items[k]]; }

static void test_order_and_aggregate(void) {
    char *f = fixture("dups.csv", "u,i,t,w\na,x,10,1\na,y,5,2\na,x,20,3\na,x,15,5\nb,x,1,1\na,z,20,4\n");
    const char *in[] = {f};
    tide_ingest_params p;
    params_for(&p, in, 1);
    p.weight_col = "w";
    tide_dataset ds;
    tide_ingest_stats st;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    /* none: every event, by (time, input order) */
    CHECK_EQ(ds.nnz, 6);
    CHECK_STR(ds.user_ids[0], "a");
    CHECK_STR(ds.item_ids[1], "y");
    const char *want_items[] = {"y", "x", "x", "x", "z"};
    int64_t want_t[] = {5, 10, 15, 20, 20};
    float want_w[] = {2, 1, 5, 3, 4};
    for (int k = 0; k < 5; k++) {
        CHECK_STR(item_of(&ds, k), want_items[k]);
        CHECK_EQ(ds.times[k], want_t[k]);
        CHECK_NEAR(ds.weights[k], want_w[k], 0);
    }
    tide_dataset_free(&ds);

    struct { tide_aggregate mode; float wx; } cases[] = {
        {TIDE_AGGREGATE_SUM, 9}, {TIDE_AGGREGATE_MAX, 5}, {TIDE_AGGREGATE_LAST, 3}, {TIDE_AGGREGATE_COUNT, 3}};
    for (int c = 0; c < 4; c++) {
        p.aggregate = cases[c].mode;
        CHECK_OK(tide_ingest_build(&p, &ds, &st));
        CHECK_EQ(st.merged, 2);
        CHECK_EQ(ds.nnz, 4);
        CHECK_EQ(ds.indptr[1], 3);
        /* one entry per item, ordered by the time of its latest event (x@20 before z@20: input order) */
        CHECK_STR(item_of(&ds, 0), "y");
        CHECK_STR(item_of(&ds, 1), "x");
        CHECK_STR(item_of(&ds, 2), "z");
        CHECK_EQ(ds.times[1], 20);
        CHECK_NEAR(ds.weights[1], cases[c].wx, 0);
        CHECK_NEAR(ds.weights[0], cases[c].mode == TIDE_AGGREGATE_COUNT ? 1 : 2, 0);
        cJSON *ag = cJSON_GetObjectItem(ds.manifest, "aggregate");
        CHECK_EQ(cJSON_GetObjectItem(ag, "events_merged")->valuedouble, 2);
        tide_dataset_free(&ds);
    }
    free(f);
}

static void test_several_inputs(void) {
    /* Ties in time keep input order across files; ids follow first appearance across files. */
    char *f1 = fixture("part1.tsv", "t\tu\ti\n100\tu2\tB\n100\tu1\tA\n");
    char *f2 = fixture("part2.jsonl", "{\"u\": \"u1\", \"i\": \"C\", \"t\": 100}\n{\"u\": \"u1\", \"i\": \"B\", \"t\": \"1970-01-01T00:00:50Z\"}\n");
    const char *in[] = {f1, f2};
    tide_ingest_params p;
    params_for(&p, in, 2);
    tide_dataset ds;
    tide_ingest_stats st;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(ds.n_users, 2);
    CHECK_STR(ds.user_ids[0], "u2");
    CHECK_STR(ds.item_ids[2], "C");
    CHECK_EQ(ds.indptr[1], 1);
    CHECK_STR(item_of(&ds, 1), "B"); /* u1: B@50, A@100 (file 1), C@100 (file 2) */
    CHECK_STR(item_of(&ds, 2), "A");
    CHECK_STR(item_of(&ds, 3), "C");
    CHECK_NEAR(ds.weights[3], 1, 0);
    CHECK_EQ(st.rows_read, 4);
    cJSON *src = cJSON_GetObjectItem(ds.manifest, "sources");
    CHECK_EQ(cJSON_GetArraySize(src), 2);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(src, 1), "format")->valuestring, "jsonl");
    tide_dataset_free(&ds);
    free(f1);
    free(f2);
}

static void test_catalog_and_text(void) {
    char *f = fixture("log.csv", "u,i,t\nann,10,3\nbob,20,1\nann,20,2\ncid,10,9\n");
    char *items = fixture("items.csv", "i,title,genres\n20,\"Twenty, the film\",Drama\n99,Cold,\n10,Ten,\"A|B\"\n");
    char *text = fixture("tags.csv", "u,i,t,tag\nbob,20,5,late\nann,,4,no item\nzed,10,1,unknown user\n"
                                     "ann,77,1,unknown item\nbob,20,5,\nbob,99,2,cold tag\nann,10,4,tie second\n");
    const char *in[] = {f};
    tide_ingest_params p;
    params_for(&p, in, 1);
    p.items_path = items;
    const char *cols[] = {"title", "genres"};
    p.item_text_cols = cols;
    p.n_item_text_cols = 2;
    p.text_events_path = text;
    p.text_col = "tag";
    tide_dataset ds;
    tide_ingest_stats st;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(ds.n_items, 3);
    CHECK_STR(ds.item_ids[2], "99"); /* cold-start item after the interaction items */
    CHECK_EQ(st.catalog_only_items, 1);
    CHECK_EQ(tide_dataset_items_with_interactions(&ds), 2);
    CHECK_EQ(ds.n_text_fields, 2);
    CHECK_STR(ds.item_text[1 * 2 + 0], "Twenty, the film");
    CHECK_STR(ds.item_text[0 * 2 + 1], "A|B");
    CHECK(ds.item_text[2 * 2 + 1] == NULL); /* empty genres: no text */
    /* text events: unknown user/item dropped, empty text dropped, rest by (time, input order) */
    CHECK_EQ(ds.n_text, 4);
    CHECK_EQ(st.text_unknown_user, 1);
    CHECK_EQ(st.text_unknown_item, 1);
    CHECK_EQ(st.text_empty, 1);
    CHECK_EQ(ds.text_indptr[1], 2); /* ann */
    CHECK_STR(ds.texts[0], "no item");
    CHECK_EQ(ds.text_items[0], -1);
    CHECK_STR(ds.texts[1], "tie second");
    CHECK_STR(ds.texts[2], "cold tag");
    CHECK_EQ(ds.text_items[2], 2);
    CHECK_STR(ds.texts[3], "late");
    cJSON *te = cJSON_GetObjectItem(cJSON_GetObjectItem(ds.manifest, "columns"), "text_events");
    CHECK_STR(cJSON_GetObjectItem(te, "text")->valuestring, "tag");
    CHECK_STR(cJSON_GetObjectItem(te, "item")->valuestring, "i");
    tide_dataset_free(&ds);

    /* the item column of text events is optional (default name absent: no items) ... */
    char *text2 = fixture("queries.tsv", "u\tt\ttext\nann\t2\trunning shoes\n");
    p.text_events_path = text2;
    p.text_col = NULL; /* default "text" */
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(ds.n_text, 1);
    CHECK_EQ(ds.text_items[0], -1);
    te = cJSON_GetObjectItem(cJSON_GetObjectItem(ds.manifest, "columns"), "text_events");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(te, "item")));
    tide_dataset_free(&ds);
    /* ... unless named explicitly */
    p.text_item_col = "i";
    CHECK_STATUS(tide_ingest_build(&p, &ds, &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "queries.tsv:1: no column 'i' (--text-item-col)");
    p.text_item_col = NULL;
    p.text_events_path = text;
    p.text_col = "tag";
    free(text2);

    /* k-core: users need 2 events. bob and cid go; item 20 keeps ann's event; the catalog's items
     * stay (99 and 10 without interactions); bob's text events go with him. */
    p.min_user_events = 2;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(ds.n_users, 1);
    CHECK_EQ(ds.nnz, 2);
    CHECK_EQ(ds.n_items, 3);
    CHECK_EQ(st.kcore_users_removed, 2);
    CHECK_EQ(st.kcore_text_events_removed, 2);
    CHECK_EQ(ds.n_text, 2);
    tide_dataset_free(&ds);
    /* a core that removes everything is an error, not an empty dataset */
    p.min_item_events = 2;
    CHECK_STATUS(tide_ingest_build(&p, &ds, &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "removed every interaction");
    /* without a catalog, items left without interactions disappear */
    char *f2 = fixture("core.csv", "u,i,t\na,x,1\na,y,2\nb,x,3\n");
    const char *in2[] = {f2};
    params_for(&p, in2, 1);
    p.min_item_events = 2;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(ds.n_items, 1);
    CHECK_EQ(ds.n_users, 2);
    CHECK_EQ(ds.nnz, 2);
    CHECK_EQ(st.kcore_items_removed, 1);
    CHECK_EQ(st.kcore_rounds, 1);
    tide_dataset_free(&ds);
    free(f2);
    free(f);
    free(items);
    free(text);
}

static void test_events(void) {
    char *f = fixture("ev.csv", "u,i,t,e,w\na,x,1,view,2\na,y,2,cart,2\nb,x,3,purchase,1\nb,y,4,view,1\n");
    const char *in[] = {f};
    tide_ingest_params p;
    params_for(&p, in, 1);
    p.event_col = "e";
    tide_dataset ds;
    tide_ingest_stats st;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(ds.n_event_names, 3);
    CHECK_STR(ds.event_names[1], "cart");
    CHECK_EQ(ds.events[3], 0);
    CHECK_NEAR(ds.weights[0], 1, 0);
    tide_dataset_free(&ds);
    /* with weights: event weight times the weight column; unlisted types are bad rows */
    p.event_weights = "cart=3,view=0.5";
    p.weight_col = "w";
    p.max_errors = 1;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(st.rows_skipped, 1);
    CHECK_EQ(ds.nnz, 3);
    CHECK_STR(ds.event_names[0], "cart");
    CHECK_NEAR(ds.weights[0], 1.0, 0);  /* a view with weight 2 */
    CHECK_NEAR(ds.weights[1], 6.0, 0);  /* a cart with weight 2 */
    CHECK_EQ(ds.events[1], 0);
    tide_dataset_free(&ds);
    p.max_errors = 0;
    CHECK_STATUS(tide_ingest_build(&p, &ds, &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "ev.csv:4: event type 'purchase' is not in --event-weight");
    p.event_weights = "cart=x";
    CHECK_STATUS(tide_ingest_build(&p, &ds, &st), TIDE_ERR_USAGE);
    free(f);
}

static void test_bad_rows(void) {
    char *f = fixture("bad.csv", "u,i,t\na,x,1\nb,y,yesterday\n\nc,\"z\n\",3\nd,w\ne,v,2019-02-30\nf,u,5\n");
    const char *in[] = {f};
    tide_ingest_params p;
    params_for(&p, in, 1);
    tide_dataset ds;
    tide_ingest_stats st;
    CHECK_STATUS(tide_ingest_build(&p, &ds, &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "bad.csv:3: bad time 'yesterday'");
    p.max_errors = 3;
    CHECK_STATUS(tide_ingest_build(&p, &ds, &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "bad.csv:8: bad time '2019-02-30': day out of range (bad row 4, more than --max-errors 3)");
    p.max_errors = 4;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(st.rows_skipped, 4);
    CHECK_EQ(st.rows_read, 6);
    CHECK_EQ(ds.n_users, 2); /* nothing of a bad row is kept, not even its ids */
    CHECK_EQ(ds.n_items, 2);
    CHECK_STR(ds.user_ids[1], "f");
    CHECK_EQ(cJSON_GetObjectItem(ds.manifest, "rows_skipped")->valuedouble, 4);
    tide_dataset_free(&ds);
    /* a column missing from the header names the columns there are */
    p.time_col = "timestamp";
    CHECK_STATUS(tide_ingest_build(&p, &ds, &st), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "bad.csv:1: no column 'timestamp' (--time-col) in the header; the columns are: u, i, t");
    /* parameter problems */
    p.time_col = NULL;
    CHECK_STATUS(tide_ingest_build(&p, &ds, &st), TIDE_ERR_USAGE);
    CHECK(tide_ingest_params_check(&p) != NULL);
    free(f);
}

static void test_decimal_ids(void) {
    /* "7" and "007" are different ids; large and small integers mix with strings */
    char *f = fixture("ids.csv", "u,i,t\n7,1,1\n007,1,2\n7,4000000000,3\n7,123456789,4\nx7,123456789,5\n0,0,6\n");
    const char *in[] = {f};
    tide_ingest_params p;
    params_for(&p, in, 1);
    tide_dataset ds;
    tide_ingest_stats st;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(ds.n_users, 4);
    CHECK_STR(ds.user_ids[1], "007");
    CHECK_EQ(ds.n_items, 4);
    CHECK_EQ(ds.indptr[1], 3);
    CHECK_STR(item_of(&ds, 2), "123456789");
    CHECK_EQ(ds.items[ds.indptr[2]], ds.items[2]);
    tide_dataset_free(&ds);
    free(f);
}

/* ingest's own item-major copy equals tide_dataset_build_item_major's (unsorted times, many users). */
static void test_item_major(void) {
    char *path = tide_path_join(tmp, "many.csv");
    FILE *f = fopen(path, "w");
    fprintf(f, "u,i,t,w\n");
    unsigned seed = 3;
    for (int k = 0; k < 5000; k++) {
        seed = seed * 1103515245 + 12345;
        unsigned r = seed >> 8;
        fprintf(f, "u%u,%u,%u,%u.5\n", r % 300, (r / 300) % 200, (r / 60000) % 50, r % 7);
    }
    fclose(f);
    const char *in[] = {path};
    tide_ingest_params p;
    params_for(&p, in, 1);
    p.weight_col = "w";
    tide_dataset ds;
    tide_ingest_stats st;
    CHECK_OK(tide_ingest_build(&p, &ds, &st));
    CHECK_EQ(ds.nnz, 5000);
    int64_t *ip = ds.item_indptr, *it = ds.item_times;
    int32_t *iu = ds.item_users;
    float *iw = ds.item_weights;
    CHECK(ip != NULL);
    ds.item_indptr = NULL;
    CHECK_OK(tide_dataset_build_item_major(&ds));
    CHECK(memcmp(ip, ds.item_indptr, (size_t)(ds.n_items + 1) * 8) == 0);
    CHECK(memcmp(iu, ds.item_users, (size_t)ds.nnz * 4) == 0);
    CHECK(memcmp(iw, ds.item_weights, (size_t)ds.nnz * 4) == 0);
    CHECK(memcmp(it, ds.item_times, (size_t)ds.nnz * 8) == 0);
    /* and the user-major rows are sorted by time */
    for (int64_t u = 0; u < ds.n_users; u++)
        for (int64_t k = ds.indptr[u] + 1; k < ds.indptr[u + 1]; k++) CHECK(ds.times[k - 1] <= ds.times[k]);
    tide_dataset_free(&ds);
    free(path);
}

static void test_run_roundtrip(void) {
    char *f = fixture("rt.csv", "u,i,t,w\na,x,10,1.5\nb,y,5,2\n");
    char *out = tide_path_join(tmp, "rt-out/sub");
    const char *in[] = {f};
    tide_ingest_params p;
    params_for(&p, in, 1);
    p.weight_col = "w";
    char *argv[] = {"tide-ingest", "rt.csv"};
    p.argc = 2;
    p.argv = argv;
    tide_ingest_stats st;
    CHECK_OK(tide_ingest_run(&p, out, &st));
    tide_dataset ds;
    CHECK_OK(tide_dataset_load(out, &ds));
    CHECK_EQ(ds.nnz, 2);
    CHECK_NEAR(ds.weights[0], 1.5, 0);
    cJSON *cmd = cJSON_GetObjectItem(ds.manifest, "command");
    CHECK_STR(cJSON_GetArrayItem(cmd, 1)->valuestring, "rt.csv");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(ds.manifest, "columns"), "weight")->valuestring, "w");
    tide_dataset_free(&ds);
    free(f);
    free(out);
}

int main(void) {
    tmp = harness_tmpdir("ingest");
    RUN(test_kcore_fixed_point);
    RUN(test_order_and_aggregate);
    RUN(test_several_inputs);
    RUN(test_catalog_and_text);
    RUN(test_events);
    RUN(test_bad_rows);
    RUN(test_decimal_ids);
    RUN(test_item_major);
    RUN(test_run_roundtrip);
    return harness_done();
}
