/* split_time.c — reading and writing the cut times of tide-split: epoch seconds or ISO-8601
 * (through the ingest time parser, which never depends on TZ), with the cut rounding of a split. */
#define _GNU_SOURCE
#include "tide/split.h"
#include "tide/timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Plain integer epoch seconds (the ISO parser would read "2018" as a year). */
static int parse_epoch(const char *s, int64_t *out) {
    const char *p = s + (*s == '+' || *s == '-');
    if (!*p) return -1;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return -1;
    *out = (int64_t)v;
    return 0;
}

int tide_split_parse_time(const char *s, int64_t *out) {
    if (!s || !*s) return -1;
    if (parse_epoch(s, out) == 0) return 0;
    const char *why;
    if (tide_time_parse(s, strlen(s), TIDE_TIME_ISO8601, out, &why) != 0) return -1;
    /* Events carry whole seconds: a cut between two seconds rounds up, so "12:00:00.5" keeps
     * an event at 12:00:00 before the cut (the ingest parser truncates, which suits events). */
    const char *frac = strpbrk(s, ".,");
    if (frac)
        for (const char *p = frac + 1; *p >= '0' && *p <= '9'; p++)
            if (*p != '0') {
                (*out)++;
                break;
            }
    return 0;
}

void tide_split_format_time(int64_t t, char *buf, size_t cap) {
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) && strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) return;
    snprintf(buf, cap, "%lld", (long long)t);
}
