/* test-core.c — status/exit codes, error messages, threads, atomic outputs, maps, strmap. */
#include "core/checksum-impl.h"
#include "harness.h"
#include "tide/fileio.h"
#include "tide/strmap.h"

#include <dirent.h>
#include <zlib.h>

static int count_tmp(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}

static void test_exit_codes(void) {
    CHECK_EQ(tide_status_exit_code(TIDE_OK), 0);
    CHECK_EQ(tide_status_exit_code(TIDE_ERR_IO), 1);
    CHECK_EQ(tide_status_exit_code(TIDE_ERR_NOMEM), 1);
    CHECK_EQ(tide_status_exit_code(TIDE_ERR_INTERNAL), 1);
    CHECK_EQ(tide_status_exit_code(TIDE_ERR_USAGE), 2);
    CHECK_EQ(tide_status_exit_code(TIDE_ERR_DATA), 3);
    CHECK_EQ(tide_status_exit_code(TIDE_ERR_BACKEND), 4);
    CHECK_STR(tide_status_str(TIDE_ERR_DATA), "data");
}

static void test_error_messages(void) {
    tide_status st = tide_error(TIDE_ERR_DATA, "%s:%d: %s", "a.csv", 7, "bad time");
    CHECK_EQ(st, TIDE_ERR_DATA);
    CHECK_STR(tide_error_message(), "a.csv:7: bad time");
    tide_error_prefix("ingest");
    CHECK_STR(tide_error_message(), "ingest: a.csv:7: bad time");
    tide_error_clear();
    CHECK_STR(tide_error_message(), "");
}

static void test_threads(void) {
    CHECK_EQ(tide_threads_resolve(3), 3);
    setenv("TIDE_THREADS", "5", 1);
    CHECK_EQ(tide_threads_resolve(0), 5);
    setenv("TIDE_THREADS", "junk", 1);
    CHECK(tide_threads_resolve(0) >= 1);
    unsetenv("TIDE_THREADS");
    CHECK_EQ(tide_threads_set(2), 2);
    CHECK_EQ(tide_threads_get(), 2);
}

static void test_atomic_file(void) {
    const char *dir = harness_tmpdir("core-atomic");
    char *path = tide_path_join(dir, "out.txt");
    CHECK_OK(tide_write_file_atomic(path, "first\n", 6));
    /* An aborted second write leaves the first intact and no temporary behind. */
    tide_atomic_file f;
    CHECK_OK(tide_atomic_open(&f, path));
    fputs("partial", f.fp);
    tide_atomic_abort(&f);
    char *buf;
    size_t n;
    CHECK_OK(tide_read_file(path, &buf, &n));
    CHECK_STR(buf, "first\n");
    free(buf);
    CHECK_EQ(count_tmp(dir), 0);
    /* A committed write replaces it. */
    CHECK_OK(tide_atomic_open(&f, path));
    fputs("second\n", f.fp);
    CHECK_OK(tide_atomic_commit(&f));
    CHECK_OK(tide_read_file(path, &buf, &n));
    CHECK_STR(buf, "second\n");
    free(buf);
    /* A target in a missing directory is an I/O error naming the path. */
    CHECK_STATUS(tide_write_file_atomic("/nonexistent-dir/x", "a", 1), TIDE_ERR_IO);
    CHECK_CONTAINS(tide_error_message(), "/nonexistent-dir/x");
    free(path);
}

static void test_atomic_dir(void) {
    const char *dir = harness_tmpdir("core-atomic-dir");
    char *out = tide_path_join(dir, "ds");
    tide_atomic_dir d;
    CHECK_OK(tide_atomic_dir_begin(&d, out));
    char *f1 = tide_atomic_dir_file(&d, "a.txt");
    CHECK_OK(tide_write_file_atomic(f1, "v1", 2));
    free(f1);
    CHECK(!tide_path_exists(out)); /* not visible before commit */
    CHECK_OK(tide_atomic_dir_commit(&d));
    CHECK(tide_is_dir(out));
    /* Replace it: the new content appears whole, the old file is gone. */
    CHECK_OK(tide_atomic_dir_begin(&d, out));
    f1 = tide_atomic_dir_file(&d, "b.txt");
    CHECK_OK(tide_write_file_atomic(f1, "v2", 2));
    free(f1);
    CHECK_OK(tide_atomic_dir_commit(&d));
    char *a = tide_path_join(out, "a.txt"), *b = tide_path_join(out, "b.txt");
    CHECK(!tide_path_exists(a));
    CHECK(tide_path_exists(b));
    /* An aborted rebuild leaves the previous directory untouched. */
    CHECK_OK(tide_atomic_dir_begin(&d, out));
    tide_atomic_dir_abort(&d);
    CHECK(tide_path_exists(b));
    CHECK_EQ(count_tmp(dir), 0);
    free(a);
    free(b);
    free(out);
}

static void test_map_and_crc(void) {
    const char *dir = harness_tmpdir("core-map");
    char *p = tide_path_join(dir, "f.bin");
    CHECK_OK(tide_write_file_atomic(p, "123456789", 9));
    tide_map m;
    CHECK_OK(tide_map_open(&m, p));
    CHECK_EQ(m.size, 9);
    CHECK(memcmp(m.data, "123456789", 9) == 0);
    tide_map_close(&m);
    /* CRC-32 check value of "123456789" is 0xCBF43926. */
    CHECK_EQ(tide_crc32(0, "123456789", 9), 0xCBF43926u);
    uint32_t c;
    uint64_t sz;
    CHECK_OK(tide_file_crc32(p, &c, &sz));
    CHECK_EQ(c, 0xCBF43926u);
    CHECK_EQ(sz, 9);
    CHECK_STATUS(tide_map_open(&m, "/nonexistent/file"), TIDE_ERR_IO);
    free(p);
}

static void crc_path_matches_zlib(int how) {
    size_t cap = (1u << 20) + 64;
    unsigned char *buf = malloc(cap);
    CHECK(buf != NULL);
    if (!buf) return;
    uint64_t s = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < cap; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        buf[i] = (unsigned char)(s >> 56);
    }
    int bad = 0;
    for (size_t n = 0; n < 700; n++)
        for (size_t off = 0; off < 3; off++) {
            uint32_t init = (uint32_t)(n * 2654435761u);
            if (tide_crc32_with(how, init, buf + off, n) != (uint32_t)crc32(init, buf + off, (uInt)n)) bad++;
        }
    CHECK_EQ(bad, 0);
    CHECK_EQ(tide_crc32_with(how, 0, buf + 1, cap - 64), (uint32_t)crc32(0, buf + 1, (uInt)(cap - 64)));
    uint32_t c = 0;
    for (size_t at = 0, step = 1; at < cap; at += step, step = step * 3 + 1)
        c = tide_crc32_with(how, c, buf + at, (at + step < cap ? step : cap - at));
    CHECK_EQ(c, (uint32_t)crc32(0, buf, (uInt)cap));
    free(buf);
}

/* Every folded CRC the CPU has (PCLMULQDQ, VPCLMULQDQ) must equal zlib's for every length,
 * alignment and start value, and when a buffer is fed in pieces. */
static void test_crc_matches_zlib(void) {
    int paths = 0;
    for (int how = TIDE_CRC_ZLIB; how <= TIDE_CRC_VPCLMUL; how++) {
        if (!tide_crc32_available(how)) continue;
        paths++;
        crc_path_matches_zlib(how);
    }
    CHECK(paths >= 1);
}

static void test_strmap(void) {
    tide_strmap m;
    CHECK_OK(tide_strmap_init(&m, 4));
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "user%d", i);
        int64_t idx;
        int added;
        CHECK_OK(tide_strmap_intern(&m, key, strlen(key), &idx, &added));
        if (idx != i || !added) { CHECK(idx == i && added); break; }
    }
    int64_t idx;
    int added;
    CHECK_OK(tide_strmap_intern(&m, "user77", 6, &idx, &added));
    CHECK_EQ(idx, 77);
    CHECK_EQ(added, 0);
    CHECK_EQ(tide_strmap_find(&m, "user9999", 8), 9999);
    CHECK_EQ(tide_strmap_find(&m, "nobody", 6), -1);
    CHECK_STR(m.keys[123], "user123");
    tide_strmap_free(&m);
}

static void test_duration_progress(void) {
    tide_progress p;
    tide_progress_begin(&p, "x", 10);
    tide_progress_update(&p, 5);
    CHECK_EQ(p.done, 5);
    tide_progress_end(&p);
    CHECK(tide_now() > 0);
    CHECK_CONTAINS(tide_version(), TIDE_VERSION_STRING);
}

int main(void) {
    RUN(test_exit_codes);
    RUN(test_error_messages);
    RUN(test_threads);
    RUN(test_atomic_file);
    RUN(test_atomic_dir);
    RUN(test_map_and_crc);
    RUN(test_crc_matches_zlib);
    RUN(test_strmap);
    RUN(test_duration_progress);
    return harness_done();
}
