/* timearg.c — the one grammar of time arguments on every command line (docs/time-arguments.md):
 * time points (--cut, --valid-cut, --as-of) and durations (--half-life). Time points reuse the
 * ISO-8601 parser of the ingest path (no TZ, no locale), so a date means the same everywhere. */
#include "tide/timeparse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Plain integer epoch seconds, optionally signed (the ISO parser would read "2018" as a year). */
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

int tide_time_arg_parse(const char *s, int round_up, int64_t *t, const char **why) {
    *why = NULL;
    if (!s || !*s) {
        *why = "empty time";
        return -1;
    }
    if (parse_epoch(s, t) == 0) return 0;
    if (tide_time_parse(s, strlen(s), TIDE_TIME_ISO8601, t, why) != 0) {
        *why = "expected epoch seconds or an ISO-8601 date/time (YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM])";
        return -1;
    }
    /* Events carry whole seconds: a cut between two seconds rounds up, so "12:00:00.5" keeps an
     * event at 12:00:00 before the cut (the ingest parser truncates, which suits events). */
    const char *frac = round_up ? strpbrk(s, ".,") : NULL;
    if (frac)
        for (const char *p = frac + 1; *p >= '0' && *p <= '9'; p++)
            if (*p != '0') {
                (*t)++;
                break;
            }
    return 0;
}

int tide_duration_parse(const char *s, double *seconds, const char **why) {
    *why = NULL;
    char *end;
    errno = 0;
    double x = s && *s && !isspace((unsigned char)*s) ? strtod(s, &end) : NAN;
    if (errno || !(x > 0) || !isfinite(x)) {
        *why = "expected a positive number with an optional unit s, m, h, d or w (e.g. 30d, 12h, 90m)";
        return -1;
    }
    double mul = 1;
    if (*end) {
        switch (end[1] ? 0 : *end) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        case 'w': mul = 7 * 86400; break;
        default:
            *why = "unknown unit (expected s, m, h, d or w)";
            return -1;
        }
    }
    *seconds = x * mul;
    return 0;
}
