/* test-ingest-threads.c — tide-ingest's output does not depend on --threads: ids are interned on
 * a second thread and the sorts run on chunks, so a nasty generated CSV (BOM, CRLF, blank lines,
 * quoted fields holding newlines, quotes and delimiters, unsorted times, bad rows next to the
 * interner's 8192-row batch edges and the reader's 1 MiB buffer edges) must give identical arrays
 * and ids with 1, 2 and 3 threads, and the same first bad rows, with the right file:line, when
 * --max-errors stops the run. ml-latest-small is checked the same way when the data is there. */
#include "harness.h"
#include "tide/dataset.h"
#include "tide/fileio.h"
#include "tide/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *tmp;

#define ROWS 150000
#define MAX_BAD 64

typedef struct {
    int64_t bad_lines[MAX_BAD]; /* physical line of each bad row, in input order */
    int n_bad;
} fixture_info;

static unsigned next(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* Rows whose index is one of these are bad (around the interner's batch edges). */
static int bad_kind(int row) {
    static const int at[] = {8190, 8191, 8192, 8193, 16383, 16384, 40000, 65535, 65536, 99999, 123457};
    for (size_t k = 0; k < sizeof at / sizeof *at; k++)
        if (row == at[k]) return 1 + (int)(k % 5);
    return 0;
}

static char *write_fixture(fixture_info *info) {
    char *path = tide_path_join(tmp, "nasty.csv");
    FILE *f = fopen(path, "wb");
    unsigned seed = 11;
    int64_t line = 2; /* of the next record: the header is line 1 */
    info->n_bad = 0;
    fputs("\xef\xbb\xbfuser,item,note,time,w,event\n", f);
    static const char *events[] = {"view", "cart", "purchase", "like", "share"};
    for (int row = 0; row < ROWS; row++) {
        unsigned r = next(&seed), r2 = next(&seed);
        if (r % 97 == 0) { /* blank lines, LF or CRLF */
            fputs(r % 2 ? "\n" : "\r\n", f);
            line++;
        }
        char user[32], item[32];
        /* users grouped in runs (as logs often are), with returns; mixed decimal and text ids */
        unsigned uid = (unsigned)(row / 40 + (r2 % 5 == 0 ? r2 % 3000 : 0)) % 3000;
        if (uid % 3) snprintf(user, sizeof user, "%u", uid);
        else snprintf(user, sizeof user, "user-%u", uid);
        unsigned iid = r % 5000;
        if (iid % 4 == 0) snprintf(item, sizeof item, "\"it,%u\"", iid); /* quoted, holds the delimiter */
        else snprintf(item, sizeof item, "%u", iid);
        int64_t note_lines = 0;
        char note[64];
        switch (r2 % 6) {
        case 0: snprintf(note, sizeof note, "\"two\nlines\""); note_lines = 1; break;
        case 1: snprintf(note, sizeof note, "\"say \"\"hi\"\",\r\nthen\n\nbye\""); note_lines = 3; break;
        case 2: snprintf(note, sizeof note, "plain"); break;
        default: note[0] = 0; break;
        }
        long t = 1500000000L + (long)(next(&seed) % 10000000); /* unsorted within a user */
        const char *eol = r % 3 == 0 ? "\r\n" : "\n";
        int kind = bad_kind(row);
        if (kind && info->n_bad < MAX_BAD) info->bad_lines[info->n_bad++] = line;
        switch (kind) {
        case 1: fprintf(f, "%s,%s,%s,yesterday,1,view%s", user, item, note, eol); break;           /* bad time */
        case 2: fprintf(f, "%s,,%s,%ld,1,view%s", user, note, t, eol); break;                       /* no item */
        case 3: fprintf(f, "%s,%s,%s,%ld,1%s", user, item, note, t, eol); break;                    /* short row */
        case 4: fprintf(f, "\"bad\nuser\",%s,%s,%ld,1,view%s", item, note, t, eol); note_lines++; break; /* LF in id */
        case 5: fprintf(f, "%s,%s,%s,%ld,heavy,view%s", user, item, note, t, eol); break;           /* bad weight */
        default:
            fprintf(f, "%s,%s,%s,%ld,%u.%u,%s%s", user, item, note, t, r % 5, r2 % 10, events[(r >> 4) % 5], eol);
        }
        line += 1 + note_lines;
    }
    fclose(f);
    return path;
}

static void params_for(tide_ingest_params *p, const char **in) {
    tide_ingest_params_default(p);
    p->inputs = in;
    p->n_inputs = 1;
    p->user_col = "user";
    p->item_col = "item";
    p->time_col = "time";
    p->weight_col = "w";
    p->event_col = "event";
}

/* Every array and id of two datasets is equal. */
static void check_same(const tide_dataset *a, const tide_dataset *b) {
    CHECK_EQ(a->n_users, b->n_users);
    CHECK_EQ(a->n_items, b->n_items);
    CHECK_EQ(a->nnz, b->nnz);
    if (a->n_users != b->n_users || a->n_items != b->n_items || a->nnz != b->nnz) return;
    int ids_same = 1;
    for (int64_t x = 0; x < a->n_users; x++) ids_same &= strcmp(a->user_ids[x], b->user_ids[x]) == 0;
    for (int64_t i = 0; i < a->n_items; i++) ids_same &= strcmp(a->item_ids[i], b->item_ids[i]) == 0;
    CHECK(ids_same);
    size_t nu = (size_t)a->n_users, ni = (size_t)a->n_items, nnz = (size_t)a->nnz;
    CHECK(memcmp(a->indptr, b->indptr, (nu + 1) * 8) == 0);
    CHECK(memcmp(a->items, b->items, nnz * 4) == 0);
    CHECK(memcmp(a->times, b->times, nnz * 8) == 0);
    CHECK(memcmp(a->weights, b->weights, nnz * 4) == 0);
    CHECK((a->events == NULL) == (b->events == NULL));
    if (a->events && b->events) CHECK(memcmp(a->events, b->events, nnz) == 0);
    CHECK(memcmp(a->item_indptr, b->item_indptr, (ni + 1) * 8) == 0);
    CHECK(memcmp(a->item_users, b->item_users, nnz * 4) == 0);
    CHECK(memcmp(a->item_weights, b->item_weights, nnz * 4) == 0);
    CHECK(memcmp(a->item_times, b->item_times, nnz * 8) == 0);
    CHECK_EQ(a->n_event_names, b->n_event_names);
}

static void test_nasty_csv(void) {
    fixture_info info;
    char *path = write_fixture(&info);
    const char *in[] = {path};
    tide_ingest_params p;
    params_for(&p, in);
    p.max_errors = 1000;
    tide_dataset ds[3];
    tide_ingest_stats st[3];
    for (int k = 0; k < 3; k++) {
        tide_threads_set(k + 1);
        CHECK_OK(tide_ingest_build(&p, &ds[k], &st[k]));
        CHECK_EQ(st[k].rows_skipped, info.n_bad);
        CHECK_EQ(st[k].rows_read, ROWS);
        CHECK_EQ(ds[k].nnz, ROWS - info.n_bad);
    }
    /* the rows really are shuffled in time within users, and the sorts put them in order */
    for (int64_t x = 0; x < ds[0].n_users; x++)
        for (int64_t k = ds[0].indptr[x] + 1; k < ds[0].indptr[x + 1]; k++) CHECK(ds[0].times[k - 1] <= ds[0].times[k]);
    for (int k = 1; k < 3; k++) check_same(&ds[0], &ds[k]);
    for (int k = 0; k < 3; k++) tide_dataset_free(&ds[k]);

    /* --max-errors: the run stops at bad row N+1, in input order, with its physical line */
    for (int max = 0; max <= 6; max += 3) {
        char want[128];
        snprintf(want, sizeof want, "nasty.csv:%lld: ", (long long)info.bad_lines[max]);
        for (int k = 0; k < 3; k++) {
            tide_threads_set(k + 1);
            p.max_errors = max;
            tide_dataset d;
            CHECK_STATUS(tide_ingest_build(&p, &d, NULL), TIDE_ERR_DATA);
            CHECK_CONTAINS(tide_error_message(), want);
        }
    }
    tide_threads_set(1);
    free(path);
}

/* Without a weight column (every weight 1) the item-major weights share the user-major array;
 * the item-major copy must still equal tide_dataset_build_item_major's, on 1 and 2 threads. */
static void test_no_weights(void) {
    fixture_info info;
    char *path = write_fixture(&info);
    const char *in[] = {path};
    tide_ingest_params p;
    params_for(&p, in);
    p.weight_col = NULL;
    p.max_errors = 1000;
    tide_dataset ds[2];
    for (int k = 0; k < 2; k++) {
        tide_threads_set(k + 1);
        CHECK_OK(tide_ingest_build(&p, &ds[k], NULL));
    }
    check_same(&ds[0], &ds[1]);
    int ones = 1;
    for (int64_t k = 0; k < ds[1].nnz; k++) ones &= ds[1].weights[k] == 1.0f && ds[1].item_weights[k] == 1.0f;
    CHECK(ones);
    int64_t *ip = ds[1].item_indptr, *it = ds[1].item_times;
    int32_t *iu = ds[1].item_users;
    ds[1].item_indptr = NULL;
    CHECK_OK(tide_dataset_build_item_major(&ds[1]));
    size_t nnz = (size_t)ds[1].nnz;
    CHECK(memcmp(ip, ds[1].item_indptr, ((size_t)ds[1].n_items + 1) * 8) == 0);
    CHECK(memcmp(iu, ds[1].item_users, nnz * 4) == 0);
    CHECK(memcmp(it, ds[1].item_times, nnz * 8) == 0);
    for (int k = 0; k < 2; k++) tide_dataset_free(&ds[k]);
    tide_threads_set(1);
    free(path);
}

/* The real data set: ratings with the catalog and tags, 1 thread against 2. */
static void test_movielens(void) {
    const char *data = harness_shared_data();
    if (!data) {
        SKIP("no shared data (TIDE_SHARED_DATA)");
        return;
    }
    char *r = tide_path_join(data, "ml-latest-small/ratings.csv");
    char *m = tide_path_join(data, "ml-latest-small/movies.csv");
    char *t = tide_path_join(data, "ml-latest-small/tags.csv");
    const char *in[] = {r};
    tide_ingest_params p;
    tide_ingest_params_default(&p);
    p.inputs = in;
    p.n_inputs = 1;
    p.user_col = "userId";
    p.item_col = "movieId";
    p.time_col = "timestamp";
    p.weight_col = "rating";
    p.items_path = m;
    p.item_id_col = "movieId";
    p.text_events_path = t;
    p.text_col = "tag";
    tide_dataset a, b;
    tide_threads_set(1);
    CHECK_OK(tide_ingest_build(&p, &a, NULL));
    tide_threads_set(2);
    CHECK_OK(tide_ingest_build(&p, &b, NULL));
    CHECK_EQ(a.nnz, 100836);
    check_same(&a, &b);
    CHECK_EQ(a.n_text, b.n_text);
    char ca[32], cb[32];
    tide_dataset_checksum(&a, ca);
    tide_dataset_checksum(&b, cb);
    CHECK_STR(ca, cb);
    tide_dataset_free(&a);
    tide_dataset_free(&b);
    tide_threads_set(1);
    free(r);
    free(m);
    free(t);
}

int main(void) {
    tmp = harness_tmpdir("ingest-threads");
    RUN(test_nasty_csv);
    RUN(test_no_weights);
    RUN(test_movielens);
    return harness_done();
}
