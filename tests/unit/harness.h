/* harness.h — a tiny unit-test harness: CHECK macros that record failures and keep going, a
 * runner that prints one line per test and the closing "N passed, N failed, N skipped" line, and
 * a fresh temporary directory per test binary.
 *
 * Skips are never passes: a test that cannot run here (no language model, no AVX-512 or AMX, no
 * shared data) calls SKIP("why") and returns; it is printed as "skip", counted, and a binary
 * with a skip and no failure exits 77, which ctest (SKIP_RETURN_CODE) reports as skipped.
 * SKIP_LM is the same for the language-model tests, except that with TIDE_REQUIRE_LM=1 in the
 * environment (CI, which can always fetch the model) it is a failure. */
#ifndef TIDE_TEST_HARNESS_H
#define TIDE_TEST_HARNESS_H

#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tide/core.h"

static int h_fail_checks;
static int h_tests_passed, h_tests_failed, h_tests_skipped;
static char h_skip_reason[512];

#define CHECK(c)                                                                         \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);       \
            h_fail_checks++;                                                             \
        }                                                                                \
    } while (0)
#define CHECK_OK(st)                                                                     \
    do {                                                                                 \
        tide_status s_ = (st);                                                           \
        if (s_ != TIDE_OK) {                                                             \
            fprintf(stderr, "%s:%d: expected ok, got %s: %s\n", __FILE__, __LINE__,      \
                    tide_status_str(s_), tide_error_message());                          \
            h_fail_checks++;                                                             \
        }                                                                                \
    } while (0)
#define CHECK_STATUS(st, want)                                                           \
    do {                                                                                 \
        tide_status s_ = (st);                                                           \
        if (s_ != (want)) {                                                              \
            fprintf(stderr, "%s:%d: expected %s, got %s (%s)\n", __FILE__, __LINE__,     \
                    tide_status_str(want), tide_status_str(s_), tide_error_message());   \
            h_fail_checks++;                                                             \
        }                                                                                \
    } while (0)
#define CHECK_EQ(a, b)                                                                   \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        if (a_ != b_) {                                                                  \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, \
                    #a, #b, a_, b_);                                                     \
            h_fail_checks++;                                                             \
        }                                                                                \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                                            \
    do {                                                                                 \
        double a_ = (double)(a), b_ = (double)(b);                                       \
        if (!(fabs(a_ - b_) <= (tol))) {                                                 \
            fprintf(stderr, "%s:%d: |%s - %s| <= %g failed: %.12g vs %.12g\n", __FILE__, \
                    __LINE__, #a, #b, (double)(tol), a_, b_);                            \
            h_fail_checks++;                                                             \
        }                                                                                \
    } while (0)
#define CHECK_STR(a, b)                                                                  \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                         \
            fprintf(stderr, "%s:%d: %s == %s failed: '%s' vs '%s'\n", __FILE__, __LINE__, \
                    #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                     \
            h_fail_checks++;                                                             \
        }                                                                                \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                                      \
    do {                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                          \
        if (!h_ || !strstr(h_, n_)) {                                                    \
            fprintf(stderr, "%s:%d: '%s' does not contain '%s'\n", __FILE__, __LINE__,   \
                    h_ ? h_ : "(null)", n_);                                             \
            h_fail_checks++;                                                             \
        }                                                                                \
    } while (0)

/* Mark the running test skipped (the caller then returns). Checks that ran before still count:
 * a failed check makes the test FAIL whatever else happened. */
static inline void harness_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void harness_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (!h_skip_reason[0]) vsnprintf(h_skip_reason, sizeof h_skip_reason, fmt, ap);
    va_end(ap);
}
#define SKIP(...) harness_skip(__VA_ARGS__)
/* A skip for want of the language model: a failure under TIDE_REQUIRE_LM=1. */
#define SKIP_LM(...)                                                                     \
    do {                                                                                 \
        const char *req_ = getenv("TIDE_REQUIRE_LM");                                    \
        if (req_ && strcmp(req_, "1") == 0) {                                            \
            fprintf(stderr, "%s:%d: TIDE_REQUIRE_LM=1 but the test would skip: ",        \
                    __FILE__, __LINE__);                                                 \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            h_fail_checks++;                                                             \
        } else {                                                                         \
            harness_skip(__VA_ARGS__);                                                   \
        }                                                                                \
    } while (0)

#define RUN(fn)                                                                          \
    do {                                                                                 \
        int before_ = h_fail_checks;                                                     \
        h_skip_reason[0] = 0;                                                            \
        fn();                                                                            \
        if (h_fail_checks != before_) {                                                  \
            h_tests_failed++;                                                            \
            printf("FAIL %s\n", #fn);                                                    \
        } else if (h_skip_reason[0]) {                                                   \
            h_tests_skipped++;                                                           \
            printf("skip %s: %s\n", #fn, h_skip_reason);                                 \
        } else {                                                                         \
            h_tests_passed++;                                                            \
            printf("ok   %s\n", #fn);                                                    \
        }                                                                                \
    } while (0)

/* Exit status for main: 1 on any failure, else 77 (ctest: skipped) when anything was skipped. */
static inline int harness_done(void) {
    printf("%d passed, %d failed, %d skipped\n", h_tests_passed, h_tests_failed, h_tests_skipped);
    return h_tests_failed ? 1 : h_tests_skipped ? 77 : 0;
}

/* A fresh directory for this test binary: $TIDE_TEST_TMP/<name>.<pid>, else under /tmp. */
static inline const char *harness_tmpdir(const char *name) {
    static char dir[1024];
    const char *base = getenv("TIDE_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0777);
    snprintf(dir, sizeof dir, "%s/%s.%d", base, name, (int)getpid());
    mkdir(dir, 0777);
    return dir;
}

/* Write a string to a file (test fixtures). */
static inline void harness_write(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

/* ../shared/data, or NULL (tests that need it then skip with a message). */
static inline const char *harness_shared_data(void) {
    const char *d = getenv("TIDE_SHARED_DATA");
    struct stat st;
    if (d && stat(d, &st) == 0) return d;
    return NULL;
}

#endif
