/* harness.h — a tiny unit-test harness: CHECK macros that record failures and keep going, a
 * runner that prints one line per test and the closing "N passed, N failed" line, and a fresh
 * temporary directory per test binary. */
#ifndef TIDE_TEST_HARNESS_H
#define TIDE_TEST_HARNESS_H

#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tide/core.h"

static int h_fail_checks;
static int h_tests_passed, h_tests_failed;

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

#define RUN(fn)                                                                          \
    do {                                                                                 \
        int before_ = h_fail_checks;                                                     \
        fn();                                                                            \
        if (h_fail_checks == before_) {                                                  \
            h_tests_passed++;                                                            \
            printf("ok   %s\n", #fn);                                                    \
        } else {                                                                         \
            h_tests_failed++;                                                            \
            printf("FAIL %s\n", #fn);                                                    \
        }                                                                                \
    } while (0)

static inline int harness_done(void) {
    printf("%d passed, %d failed\n", h_tests_passed, h_tests_failed);
    return h_tests_failed ? 1 : 0;
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
