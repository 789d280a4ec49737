/* test-timeparse.c — epoch seconds/milliseconds, ISO-8601 (zones, date only, fractions), the
 * auto rule's threshold, calendar validation and bad inputs. Expected values were computed
 * independently with Python's datetime (UTC). */
#include "harness.h"
#include "tide/timeparse.h"

static int64_t parse_ok(const char *s, tide_time_format f) {
    int64_t t = -12345;
    const char *why = NULL;
    int rc = tide_time_parse(s, strlen(s), f, &t, &why);
    if (rc != 0) fprintf(stderr, "  '%s' failed: %s\n", s, why);
    CHECK_EQ(rc, 0);
    return t;
}

static void parse_bad(const char *s, tide_time_format f, const char *why_has) {
    int64_t t;
    const char *why = NULL;
    CHECK_EQ(tide_time_parse(s, strlen(s), f, &t, &why), -1);
    CHECK(why != NULL);
    if (why && why_has) CHECK_CONTAINS(why, why_has);
}

static void test_epoch(void) {
    CHECK_EQ(parse_ok("964982703", TIDE_TIME_SECONDS), 964982703);
    CHECK_EQ(parse_ok("0", TIDE_TIME_SECONDS), 0);
    CHECK_EQ(parse_ok("-1", TIDE_TIME_SECONDS), -1);
    CHECK_EQ(parse_ok("1.9", TIDE_TIME_SECONDS), 1);
    CHECK_EQ(parse_ok("-1.5", TIDE_TIME_SECONDS), -2); /* floor */
    CHECK_EQ(parse_ok("1472688000123", TIDE_TIME_MILLISECONDS), 1472688000);
    CHECK_EQ(parse_ok("999", TIDE_TIME_MILLISECONDS), 0);
    CHECK_EQ(parse_ok("-1", TIDE_TIME_MILLISECONDS), -1);
    CHECK_EQ(parse_ok("-1000", TIDE_TIME_MILLISECONDS), -1);
    CHECK_EQ(parse_ok("-1000.5", TIDE_TIME_MILLISECONDS), -2);
    parse_bad("12a", TIDE_TIME_SECONDS, "not a number");
    parse_bad("", TIDE_TIME_SECONDS, "empty");
    parse_bad(" 12", TIDE_TIME_SECONDS, NULL);
    parse_bad("1e9", TIDE_TIME_SECONDS, NULL);
    parse_bad("99999999999999999999999", TIDE_TIME_SECONDS, "range");
    parse_bad("2018-01-01", TIDE_TIME_SECONDS, "not a number");
}

static void test_auto_rule(void) {
    /* below 1e11: seconds; from 1e11: milliseconds */
    CHECK_EQ(parse_ok("99999999999", TIDE_TIME_AUTO), 99999999999LL);
    CHECK_EQ(parse_ok("100000000000", TIDE_TIME_AUTO), 100000000);
    CHECK_EQ(parse_ok("1472688000", TIDE_TIME_AUTO), 1472688000);
    CHECK_EQ(parse_ok("1472688000999", TIDE_TIME_AUTO), 1472688000);
    CHECK_EQ(parse_ok("2016-09-01", TIDE_TIME_AUTO), 1472688000);
    parse_bad("yesterday", TIDE_TIME_AUTO, "not a time");
    parse_bad("09 1, 2016", TIDE_TIME_AUTO, NULL);
}

static void test_iso(void) {
    CHECK_EQ(parse_ok("1970-01-01", TIDE_TIME_ISO8601), 0);
    CHECK_EQ(parse_ok("2016-09-01", TIDE_TIME_ISO8601), 1472688000);
    CHECK_EQ(parse_ok("2000-02-29T12:34:56Z", TIDE_TIME_ISO8601), 951827696);
    CHECK_EQ(parse_ok("2000-02-29 12:34:56", TIDE_TIME_ISO8601), 951827696);
    CHECK_EQ(parse_ok("2000-02-29T12:34", TIDE_TIME_ISO8601), 951827640);
    CHECK_EQ(parse_ok("2000-02-29T12:34:56.789Z", TIDE_TIME_ISO8601), 951827696);
    CHECK_EQ(parse_ok("2000-02-29T14:34:56+02:00", TIDE_TIME_ISO8601), 951827696);
    CHECK_EQ(parse_ok("2000-02-29T07:04:56-0530", TIDE_TIME_ISO8601), 951827696);
    CHECK_EQ(parse_ok("2000-02-29T13:34:56+01", TIDE_TIME_ISO8601), 951827696);
    CHECK_EQ(parse_ok("1969-12-31T23:59:59Z", TIDE_TIME_ISO8601), -1);
    CHECK_EQ(parse_ok("1900-03-01", TIDE_TIME_ISO8601), -2203891200LL);
    CHECK_EQ(parse_ok("2400-02-29", TIDE_TIME_ISO8601), 13574563200LL);
    CHECK_EQ(parse_ok("2018-09-24T00:00:00Z", TIDE_TIME_AUTO), 1537747200);
    parse_bad("2019-02-29", TIDE_TIME_ISO8601, "day out of range");
    parse_bad("1900-02-29", TIDE_TIME_ISO8601, "day out of range");
    parse_bad("2019-13-01", TIDE_TIME_ISO8601, "month out of range");
    parse_bad("2019-00-01", TIDE_TIME_ISO8601, "month out of range");
    parse_bad("2019-01-01T25:00", TIDE_TIME_ISO8601, "time of day");
    parse_bad("2019-01-01T10:61", TIDE_TIME_ISO8601, "time of day");
    parse_bad("2019-01-01T10:00+25:00", TIDE_TIME_ISO8601, "offset");
    parse_bad("2019-01-01T10:00Zjunk", TIDE_TIME_ISO8601, NULL);
    parse_bad("2019-1-1", TIDE_TIME_ISO8601, NULL);
    parse_bad("2019-01-01T", TIDE_TIME_ISO8601, NULL);
    parse_bad("964982703", TIDE_TIME_ISO8601, NULL);
}

static void test_names(void) {
    tide_time_format f;
    CHECK(tide_time_format_parse("ms", &f) == 0 && f == TIDE_TIME_MILLISECONDS);
    CHECK(tide_time_format_parse("iso8601", &f) == 0 && f == TIDE_TIME_ISO8601);
    CHECK(tide_time_format_parse("auto", &f) == 0 && f == TIDE_TIME_AUTO);
    CHECK(tide_time_format_parse("s", &f) == 0 && f == TIDE_TIME_SECONDS);
    CHECK(tide_time_format_parse("days", &f) == -1);
    CHECK_STR(tide_time_format_name(TIDE_TIME_MILLISECONDS), "ms");
    CHECK_EQ(tide_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ(tide_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ(tide_days_from_civil(1, 1, 1), -719162);
}

int main(void) {
    RUN(test_epoch);
    RUN(test_auto_rule);
    RUN(test_iso);
    RUN(test_names);
    return harness_done();
}
