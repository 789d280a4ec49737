/* test-serve.c — tide-serve's library half: the event parser's limits and round trip, the
 * store's merged histories (batch then online, stable by time; new users; counts), and the
 * event log (group commit ordering, replay, torn-tail truncation, corruption refused, the prefix
 * a dataset already holds skipped). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset-builder.h"
#include "harness.h"
#include "tide/fileio.h"
#include "tide/serve.h"

static void test_parse(void) {
    tide_serve_events ev;
    const char *ok = "[{\"user\":7,\"item\":\"i1\",\"time\":1700000000123,\"weight\":2.5,\"type\":\"view\"},"
                     "{\"user\":\"u\",\"text\":\"hi\",\"kind\":\"tag\",\"item\":\"\"}]";
    CHECK_OK(tide_serve_parse_events(ok, strlen(ok), &ev));
    CHECK_EQ(ev.n, 2);
    CHECK_STR(ev.ev[0].user, "7");
    CHECK_EQ(ev.ev[0].time, 1700000000);   /* milliseconds */
    CHECK(ev.ev[0].has_time && ev.ev[0].has_weight && ev.ev[0].weight == 2.5f);
    CHECK_STR(ev.ev[0].type, "view");
    CHECK_EQ(ev.ev[1].kind, TIDE_SERVE_EV_TEXT);
    CHECK(ev.ev[1].item == NULL);
    CHECK_STR(ev.ev[1].text_kind, "tag");
    char line[512];
    int n = tide_serve_event_line(&ev.ev[0], line, sizeof line);
    CHECK_STR(line, "{\"user\":\"7\",\"item\":\"i1\",\"time\":1700000000,\"weight\":2.5,\"event\":\"view\"}\n");
    CHECK(tide_serve_event_line(&ev.ev[0], line, 20) < 0);
    CHECK(n > 0);
    tide_serve_events_free(&ev);
    const char *bad[] = {"", "{", "[]", "{\"user\":\"a\"}", "{\"user\":\"a\",\"item\":\"b\",\"x\":1}",
                         "{\"user\":\"a\",\"item\":\"b\",\"weight\":-1}", "{\"user\":\"a\\u0000\",\"item\":\"b\"}",
                         "[[[[[[[[[[{}]]]]]]]]]]", "{\"user\":\"a\",\"item\":\"b\"} x", "{\"user\":1.5,\"item\":\"b\"}",
                         "{\"user\":\"a\",\"item\":\"b\",\"time\":\"8909-01-01\"}", "{\"user\":\"a\\tb\",\"item\":\"b\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_STATUS(tide_serve_parse_events(bad[i], strlen(bad[i]), &ev), TIDE_ERR_DATA);
        CHECK(tide_error_message()[0] != 0);
    }
}

/* u0: batch events at t=10, 20; u1: t=5. */
static void build(tide_dataset *ds) {
    tb_build(ds, &(tb_spec){.n_users = 2, .n_items = 4, .len = (int[]){2, 1}, .items = (int32_t[]){0, 1, 2},
                            .times = (int64_t[]){10, 20, 5}});
}

static tide_serve_event ev_of(const char *user, const char *item, int64_t t, float w) {
    tide_serve_event e;
    memset(&e, 0, sizeof e);
    e.user = (char *)user;
    e.item = (char *)item;
    e.time = t;
    e.has_time = 1;
    e.weight = w;
    return e;
}

static void apply(tide_serve_store *s, tide_serve_event e) {
    int32_t it;
    float w;
    CHECK_OK(tide_serve_store_check(s, &e, 0, &it, &w));
    tide_serve_store_wrlock(s);
    CHECK_OK(tide_serve_store_apply(s, &e, it, w));
    tide_serve_store_unlock(s);
}

static void test_store(void) {
    tide_dataset ds;
    build(&ds);
    tide_serve_store st;
    CHECK_OK(tide_serve_store_init(&st, &ds, NULL));
    /* Online events out of order, one tied with a batch event (the batch one comes first). */
    apply(&st, ev_of("u0", "i3", 30, 1));
    apply(&st, ev_of("u0", "i2", 20, 2));
    apply(&st, ev_of("u0", "i3", 15, 1));
    apply(&st, ev_of("new", "i1", 40, 1));
    tide_serve_event bad = ev_of("u0", "nope", 1, 1);
    int32_t it;
    float w;
    CHECK_STATUS(tide_serve_store_check(&st, &bad, 0, &it, &w), TIDE_ERR_DATA);
    tide_serve_history h;
    CHECK_OK(tide_serve_store_history(&st, 0, &h));
    CHECK_EQ(h.n, 5);
    int32_t want_items[] = {0, 3, 1, 2, 3};
    int64_t want_times[] = {10, 15, 20, 20, 30};
    for (int k = 0; k < 5; k++) {
        CHECK_EQ(h.items[k], want_items[k]);
        CHECK_EQ(h.times[k], want_times[k]);
    }
    CHECK_EQ(h.latest_global, 40);
    tide_serve_history_free(&h);
    int64_t slot = tide_serve_store_user(&st, "new");
    CHECK_EQ(slot, 2);
    CHECK_STR(tide_serve_store_user_id(&st, slot), "new");
    CHECK_OK(tide_serve_store_history(&st, slot, &h));
    CHECK_EQ(h.n, 1);
    CHECK_EQ(h.batch_user, -1);
    tide_serve_history_free(&h);
    CHECK_EQ(tide_serve_store_user(&st, "ghost"), -1);
    CHECK(st.item_counts[3] == 2.0f && st.item_counts[1] == 2.0f);
    tide_serve_store_free(&st);
    tide_dataset_free(&ds);
}

static tide_serve_event text_of(const char *user, const char *text, int64_t t, const float *vec) {
    tide_serve_event e = ev_of(user, NULL, t, 1);
    e.kind = TIDE_SERVE_EV_TEXT;
    e.text = (char *)text;
    snprintf(e.text_kind, sizeof e.text_kind, "query");
    e.vec = vec;
    return e;
}

/* Text events with vectors (a text space): a history lists them by time with their vectors
 * aligned; one text without a vector makes the vectors absent (never half of them). */
static void test_store_texts(void) {
    tide_dataset ds;
    build(&ds);
    tide_serve_store st;
    CHECK_OK(tide_serve_store_init(&st, &ds, NULL));
    tide_serve_store_text_space(&st, NULL, 2);
    float a[2] = {1, 2}, b[2] = {3, 4};
    apply(&st, text_of("u1", "later", 50, a));
    apply(&st, text_of("u1", "earlier", 8, b));
    tide_serve_history h;
    CHECK_OK(tide_serve_store_history(&st, 1, &h));
    CHECK_EQ(h.n_text, 2);
    CHECK_STR(h.texts[0].text, "earlier");
    CHECK_EQ(h.text_times[0], 8);
    CHECK_EQ(h.text_times[1], 50);
    CHECK(h.text_vecs != NULL && h.text_dim == 2);
    CHECK(h.text_vecs[0] == 3 && h.text_vecs[1] == 4 && h.text_vecs[2] == 1 && h.text_vecs[3] == 2);
    tide_user_view v;
    tide_serve_view(&h, &v);
    CHECK(v.n_text == 2 && v.text_vecs == h.text_vecs && v.text_times == h.text_times && v.text_dim == 2);
    tide_serve_history_free(&h);
    apply(&st, text_of("u1", "no vector", 60, NULL));
    CHECK_OK(tide_serve_store_history(&st, 1, &h));
    CHECK_EQ(h.n_text, 3);
    CHECK(h.text_vecs == NULL);
    tide_serve_history_free(&h);
    tide_serve_store_free(&st);
    tide_dataset_free(&ds);
}

typedef struct replay {
    tide_serve_store *st;
    int n;
} replay;

static tide_status replay_fn(void *ctx, const tide_serve_event *e, const char *file, int64_t line) {
    replay *r = ctx;
    int32_t it;
    float w;
    tide_status s = tide_serve_store_check(r->st, e, 1, &it, &w);
    if (!s) s = tide_serve_store_apply(r->st, e, it, w);
    r->n++;
    return s;
}

static void test_log(void) {
    const char *dir = harness_tmpdir("test-serve");
    char lg[1100], path[1200];
    snprintf(lg, sizeof lg, "%s/log", dir);
    snprintf(path, sizeof path, "%s/events.jsonl", lg);
    tide_dataset ds;
    build(&ds);
    tide_serve_store st;
    CHECK_OK(tide_serve_store_init(&st, &ds, NULL));
    replay r = {&st, 0};
    tide_serve_log_info info;
    tide_serve_log *log;
    CHECK_OK(tide_serve_log_open(lg, TIDE_SYNC_BATCH, NULL, replay_fn, &r, &info, &log));
    CHECK_EQ(r.n, 0);
    char line[256];
    uint64_t t = 0;
    for (int i = 0; i < 100; i++) {
        tide_serve_event e = ev_of(i % 2 ? "u1" : "u0", "i2", 100 + i, 1);
        int n = tide_serve_event_line(&e, line, sizeof line);
        CHECK_OK(tide_serve_log_append(log, 0, line, (size_t)n, &t));
    }
    CHECK_OK(tide_serve_log_wait(log, t));
    CHECK(tide_serve_log_bytes(log) > 0);
    CHECK_OK(tide_serve_log_close(log));
    /* A torn tail is cut and the rest replayed. */
    FILE *f = fopen(path, "ab");
    fputs("{\"user\":\"u0\",\"it", f);
    fclose(f);
    CHECK_OK(tide_serve_log_open(lg, TIDE_SYNC_BATCH, NULL, replay_fn, &r, &info, &log));
    CHECK_EQ(r.n, 100);
    CHECK_EQ(info.truncated_bytes[0], 16);
    CHECK_OK(tide_serve_log_close(log));
    /* Unparseable lines at the end (zeros a power cut may leave, then a newline) are a tail too. */
    f = fopen(path, "ab");
    fputs("\n\n", f);
    fclose(f);
    r.n = 0;
    CHECK_OK(tide_serve_log_open(lg, TIDE_SYNC_NONE, NULL, replay_fn, &r, &info, &log));
    CHECK_EQ(r.n, 100);
    CHECK_EQ(info.truncated_bytes[0], 2);
    CHECK_OK(tide_serve_log_close(log));
    /* The dataset's manifest names the log with its first 50 lines' size and CRC: skipped. */
    char *data = NULL;
    size_t size = 0;
    CHECK_OK(tide_read_file(path, &data, &size));
    size_t cut = 0;
    for (int l = 0; l < 50; l++) cut = (size_t)(strchr(data + cut, '\n') - data) + 1;
    cJSON *m = cJSON_CreateObject(), *srcs = cJSON_AddArrayToObject(m, "sources"), *s0 = cJSON_CreateObject();
    char crc[16];
    snprintf(crc, sizeof crc, "%08x", tide_crc32(0, data, cut));
    cJSON_AddStringToObject(s0, "path", "/elsewhere/events.jsonl");
    cJSON_AddNumberToObject(s0, "bytes", (double)cut);
    cJSON_AddStringToObject(s0, "crc32", crc);
    cJSON_AddItemToArray(srcs, s0);
    CHECK_EQ(tide_serve_log_batch_prefix(m, path), (int64_t)cut);
    r.n = 0;
    CHECK_OK(tide_serve_log_open(lg, TIDE_SYNC_NONE, m, replay_fn, &r, &info, &log));
    CHECK_EQ(r.n, 50);
    CHECK_EQ(info.skipped_bytes[0], (int64_t)cut);
    CHECK_OK(tide_serve_log_close(log));
    /* A bad line with good ones after it is corruption, named by line. */
    data[2] = '#';
    f = fopen(path, "wb");
    fwrite(data, 1, size - 2, f);
    fclose(f);
    CHECK_STATUS(tide_serve_log_open(lg, TIDE_SYNC_NONE, NULL, replay_fn, &r, &info, &log), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "events.jsonl:1:");
    cJSON_Delete(m);
    free(data);
    tide_serve_store_free(&st);
    tide_dataset_free(&ds);
}

int main(void) {
    RUN(test_parse);
    RUN(test_store);
    RUN(test_store_texts);
    RUN(test_log);
    return harness_done();
}
