/* split_time.c — reading and writing the cut times of tide-split: the time-argument grammar of
 * every program (tide_time_arg_parse, docs/time-arguments.md), with the cut rounding of a split. */
#define _GNU_SOURCE
#include "tide/split.h"
#include "tide/timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The time-argument grammar of every program (tide_time_arg_parse); a cut rounds up. */
int tide_split_parse_time(const char *s, int64_t *out) {
    const char *why;
    return tide_time_arg_parse(s, 1, out, &why);
}

void tide_split_format_time(int64_t t, char *buf, size_t cap) {
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) && strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) return;
    snprintf(buf, cap, "%lld", (long long)t);
}
