/* test-idlist.c — the id-list files (--users, --candidates, --exclude) and --shard I/N: the
 * library functions every program that takes them uses. */
#include "harness.h"
#include "tide/fileio.h"
#include "tide/idlist.h"
#include "tide/shard.h"
#include "tide/synth.h"

static void test_shard_parse(void) {
    tide_shard s;
    CHECK_OK(tide_shard_parse(NULL, &s));
    CHECK(s.index == 0 && s.count == 1);
    CHECK_OK(tide_shard_parse("2/5", &s));
    CHECK(s.index == 2 && s.count == 5);
    CHECK_OK(tide_shard_parse("0/1", &s));
    const char *bad[] = {"", "1", "1/", "/2", "2/2", "3/2", "-1/2", "1/0", "1/2x", " 1/2", "1/ 2", "+1/2",
                         "1/2/3", "1234567890/2000000000", "a/b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_STATUS(tide_shard_parse(bad[i], &s), TIDE_ERR_USAGE);
        CHECK_CONTAINS(tide_error_message(), "--shard expects I/N");
    }
}

/* Consecutive shards are adjacent, cover [0, n), start on block boundaries, and are balanced
 * to within one block. */
static void test_shard_range(void) {
    int64_t ns[] = {0, 1, 7, 512, 513, 5000};
    int64_t blocks[] = {1, 3, 512};
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 3; b++)
            for (int count = 1; count <= 9; count++) {
                int64_t prev = 0, nblk = (ns[a] + blocks[b] - 1) / blocks[b];
                for (int i = 0; i < count; i++) {
                    int64_t lo, hi;
                    tide_shard_range((tide_shard){i, count}, ns[a], blocks[b], &lo, &hi);
                    CHECK_EQ(lo, prev);
                    CHECK(hi >= lo && hi <= ns[a]);
                    CHECK(lo % blocks[b] == 0 || lo == ns[a]);
                    CHECK((hi - lo + blocks[b] - 1) / blocks[b] <= nblk / count + 1);
                    prev = hi;
                }
                CHECK_EQ(prev, ns[a]);
            }
}

static void test_lists(void) {
    tide_dataset ds;
    CHECK_OK(tide_synth_dataset(20, 15, 100, 1.0, 3, &ds));
    const char *dir = harness_tmpdir("idlist");
    char path[1200];
    snprintf(path, sizeof path, "%s/list", dir);

    int64_t *u = NULL, n = 0;
    harness_write(path, "u3\r\n\nu0\nu19\n");
    CHECK_OK(tide_idlist_users(path, &ds, &u, &n));
    CHECK_EQ(n, 3);
    if (n == 3) CHECK(u[0] == 3 && u[1] == 0 && u[2] == 19);
    free(u);
    harness_write(path, "u3\nu4\nu3\n");
    CHECK_STATUS(tide_idlist_users(path, &ds, &u, &n), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "list:3: user id 'u3' listed twice");
    harness_write(path, "u3\nnobody\n");
    CHECK_STATUS(tide_idlist_users(path, &ds, &u, &n), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "list:2: unknown user id 'nobody'");
    /* "u1\0x" must not become "u1" */
    FILE *f = fopen(path, "wb");
    fwrite("u2\nu1\0x\n", 1, 8, f);
    fclose(f);
    CHECK_STATUS(tide_idlist_users(path, &ds, &u, &n), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "list:2: NUL byte");
    char missing[1300];
    snprintf(missing, sizeof missing, "%s/none", dir);
    CHECK_STATUS(tide_idlist_users(missing, &ds, &u, &n), TIDE_ERR_IO);

    int32_t *it = NULL;
    harness_write(path, "i7\ni2\ni7\n");
    CHECK_OK(tide_idlist_items(path, &ds, &it, &n));
    CHECK_EQ(n, 2);
    if (n == 2) CHECK(it[0] == 2 && it[1] == 7);
    free(it);
    harness_write(path, "\n\n");
    CHECK_STATUS(tide_idlist_items(path, &ds, &it, &n), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "empty");

    int64_t *pu = NULL, unknown = 0;
    int32_t *pi = NULL;
    harness_write(path, "u1\ti2\nu1\tnope\nghost\ti3\nu5\ti0\n");
    CHECK_OK(tide_idlist_pairs(path, &ds, &pu, &pi, &n, &unknown));
    CHECK_EQ(n, 2);
    CHECK_EQ(unknown, 2);
    if (n == 2) CHECK(pu[0] == 1 && pi[0] == 2 && pu[1] == 5 && pi[1] == 0);
    free(pu);
    free(pi);
    harness_write(path, "u1\ti2\tx\n");
    CHECK_STATUS(tide_idlist_pairs(path, &ds, &pu, &pi, &n, &unknown), TIDE_ERR_DATA);
    CHECK_CONTAINS(tide_error_message(), "list:1: expected `user<TAB>item`");
    tide_dataset_free(&ds);
}

int main(void) {
    RUN(test_shard_parse);
    RUN(test_shard_range);
    RUN(test_lists);
    return harness_done();
}
