/* test-timearg.c — the one grammar of time arguments (docs/time-arguments.md): time points,
 * durations and as-of values, as every program reads them. */
#include "harness.h"
#include "tide/decay.h"
#include "tide/timeparse.h"

static void test_time_points(void) {
    int64_t t;
    const char *why;
    CHECK_EQ(tide_time_arg_parse("1700000000", 0, &t, &why), 0);
    CHECK_EQ(t, 1700000000);
    CHECK_EQ(tide_time_arg_parse("-86400", 0, &t, &why), 0);
    CHECK_EQ(t, -86400);
    CHECK_EQ(tide_time_arg_parse("2018", 0, &t, &why), 0); /* epoch seconds, not a year */
    CHECK_EQ(t, 2018);
    CHECK_EQ(tide_time_arg_parse("2023-11-14", 0, &t, &why), 0);
    CHECK_EQ(t, 1699920000);
    CHECK_EQ(tide_time_arg_parse("2023-11-14T22:13:20", 0, &t, &why), 0);
    CHECK_EQ(t, 1700000000);
    CHECK_EQ(tide_time_arg_parse("2023-11-14 22:13:20Z", 0, &t, &why), 0);
    CHECK_EQ(t, 1700000000);
    CHECK_EQ(tide_time_arg_parse("2023-11-14T23:13:20+01:00", 0, &t, &why), 0);
    CHECK_EQ(t, 1700000000);
    /* Fractions: dropped, or rounded up for a cut. */
    CHECK_EQ(tide_time_arg_parse("2023-11-14T22:13:20.25", 0, &t, &why), 0);
    CHECK_EQ(t, 1700000000);
    CHECK_EQ(tide_time_arg_parse("2023-11-14T22:13:20.25", 1, &t, &why), 0);
    CHECK_EQ(t, 1700000001);
    CHECK_EQ(tide_time_arg_parse("2023-11-14T22:13:20.000", 1, &t, &why), 0);
    CHECK_EQ(t, 1700000000);
    const char *bad[] = {"", "yesterday", "2023-13-01", "12x", " 5", "2023-11-14T25:00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_EQ(tide_time_arg_parse(bad[i], 0, &t, &why), -1);
        CHECK(why != NULL);
    }
}

static void test_durations(void) {
    double d;
    const char *why;
    CHECK_EQ(tide_duration_parse("90", &d, &why), 0);
    CHECK_NEAR(d, 90, 0);
    CHECK_EQ(tide_duration_parse("90m", &d, &why), 0);
    CHECK_NEAR(d, 5400, 0);
    CHECK_EQ(tide_duration_parse("1.5h", &d, &why), 0);
    CHECK_NEAR(d, 5400, 0);
    CHECK_EQ(tide_duration_parse("30d", &d, &why), 0);
    CHECK_NEAR(d, 30 * 86400.0, 0);
    CHECK_EQ(tide_duration_parse("2w", &d, &why), 0);
    CHECK_NEAR(d, 14 * 86400.0, 0);
    const char *bad[] = {"", "0", "-1d", "1y", "1dd", "d", "nan", "inf", " 3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) CHECK_EQ(tide_duration_parse(bad[i], &d, &why), -1);
}

static void test_as_of(void) {
    tide_decay d = {86400, TIDE_ASOF_LATEST, 0};
    const char *why;
    char buf[32];
    CHECK_EQ(tide_decay_asof_parse("user", &d, &why), 0);
    CHECK_EQ(d.as_of_mode, TIDE_ASOF_USER);
    CHECK_STR(tide_decay_asof_name(&d, buf, sizeof buf), "user");
    CHECK_EQ(tide_decay_asof_parse("2023-11-14T22:13:20Z", &d, &why), 0);
    CHECK_EQ(d.as_of_mode, TIDE_ASOF_TIME);
    CHECK_EQ(d.as_of, 1700000000);
    CHECK_STR(tide_decay_asof_name(&d, buf, sizeof buf), "1700000000");
    /* What the manifest records reads back the same. */
    tide_decay e = {86400, TIDE_ASOF_LATEST, 0};
    CHECK_EQ(tide_decay_asof_parse(buf, &e, &why), 0);
    CHECK_EQ(e.as_of, d.as_of);
    CHECK_EQ(tide_decay_asof_parse("latest", &d, &why), 0);
    CHECK_EQ(d.as_of_mode, TIDE_ASOF_LATEST);
    CHECK_EQ(tide_decay_asof_parse("soon", &d, &why), -1);
}

int main(void) {
    RUN(test_time_points);
    RUN(test_durations);
    RUN(test_as_of);
    return harness_done();
}
