/* tide/timeparse.h — timestamps in input files → seconds since the Unix epoch (UTC).
 *
 * Formats (--time-format):
 *   s        integer epoch seconds; a fractional part is allowed and dropped (floor)
 *   ms       integer epoch milliseconds (floor-divided by 1000)
 *   iso8601  YYYY-MM-DD, optionally followed by 'T' or ' ' and HH:MM[:SS[.fraction]], then an
 *            optional zone: Z, ±HH, ±HHMM or ±HH:MM. No zone means UTC. A date alone is
 *            midnight UTC. The fraction is dropped.
 *   auto     per value: a number is seconds, unless its absolute integer part is at least
 *            100,000,000,000 (1e11), which is read as milliseconds. 1e11 seconds would be the year
 *            5138 while 1e11 milliseconds is 1973-03-03, so the rule is right for any log written
 *            after March 1973 in milliseconds and any log before the year 5138 in seconds.
 *            Anything else is tried as ISO-8601.
 * Values may not have surrounding spaces. Errors leave a short reason in *why.
 */
#ifndef TIDE_TIMEPARSE_H
#define TIDE_TIMEPARSE_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TIDE_TIME_AUTO = 0,
    TIDE_TIME_SECONDS,
    TIDE_TIME_MILLISECONDS,
    TIDE_TIME_ISO8601
} tide_time_format;

/* "auto", "s", "ms", "iso8601" → enum; -1 for an unknown name. */
int tide_time_format_parse(const char *name, tide_time_format *out);
const char *tide_time_format_name(tide_time_format f);

/* Parse s[0..len) in format f into *t (seconds). Returns 0, or -1 with *why set to a static
 * reason ("not a number", "month out of range", ...). */
int tide_time_parse(const char *s, size_t len, tide_time_format f, int64_t *t, const char **why);

/* ---- time arguments (docs/time-arguments.md: the one grammar of every program) ---------- */

/* A time point: integer epoch seconds (optionally signed), or ISO-8601 as above (date, optional
 * time with fraction, optional zone; no zone = UTC). A fraction of a second is dropped, or with
 * round_up (split cuts) rounds up to the next whole second. Returns 0, or -1 with *why set. */
int tide_time_arg_parse(const char *s, int round_up, int64_t *t, const char **why);
/* A duration: a positive number with an optional unit s, m, h, d (86400 s) or w (7 d); no unit
 * = seconds. Returns 0, or -1 with *why set. */
int tide_duration_parse(const char *s, double *seconds, const char **why);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31). */
int64_t tide_days_from_civil(int64_t y, int m, int d);

#ifdef __cplusplus
}
#endif
#endif
