/* timeparse.c — epoch seconds, epoch milliseconds and ISO-8601 timestamps → Unix seconds.
 * The rules (and why the auto threshold is 1e11) are in include/tide/timeparse.h.
 * Dates use the proleptic Gregorian calendar via Howard Hinnant's days_from_civil, which is
 * exact for every year and needs no tables or timezone database (ISO-8601 carries its offset).
 */
#include "tide/timeparse.h"

#include <string.h>

int tide_time_format_parse(const char *name, tide_time_format *out) {
    static const struct { const char *n; tide_time_format f; } names[] = {
        {"auto", TIDE_TIME_AUTO}, {"s", TIDE_TIME_SECONDS}, {"ms", TIDE_TIME_MILLISECONDS},
        {"iso8601", TIDE_TIME_ISO8601}, {"seconds", TIDE_TIME_SECONDS},
        {"milliseconds", TIDE_TIME_MILLISECONDS}, {"iso", TIDE_TIME_ISO8601}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].n) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

const char *tide_time_format_name(tide_time_format f) {
    switch (f) {
    case TIDE_TIME_SECONDS: return "s";
    case TIDE_TIME_MILLISECONDS: return "ms";
    case TIDE_TIME_ISO8601: return "iso8601";
    default: return "auto";
    }
}

int64_t tide_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parse [sign]digits[.digits] into its integer part (floor) when the fraction is dropped.
 * Returns 0, -1 (not a number) or -2 (out of range). *ip is the truncated integer part, *neg and
 * *has_frac describe the rest so callers can floor. */
static int parse_decimal(const char *s, size_t len, int64_t *ip, int *neg, int *has_frac) {
    size_t i = 0;
    *neg = 0;
    *has_frac = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) *neg = s[i++] == '-';
    size_t digits = 0;
    uint64_t v = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (v > (UINT64_MAX - 9) / 10) return -2;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        i++;
        size_t fd = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, fd++)
            if (s[i] != '0') *has_frac = 1;
        if (!digits && !fd) return -1;
    } else if (!digits) {
        return -1;
    }
    if (i != len) return -1;
    if (v > (uint64_t)INT64_MAX) return -2;
    *ip = (int64_t)v;
    return 0;
}

/* Seconds from a parsed number (integer part v, sign, whether a nonzero fraction was dropped),
 * read as milliseconds when ms is set; floors toward -infinity. */
static int to_seconds(int64_t v, int neg, int frac, int ms, int64_t *t, const char **why) {
    if (v > (int64_t)1e15 * (ms ? 1000 : 1)) { /* about ±31 million years */
        *why = "timestamp out of range";
        return -1;
    }
    if (ms) {
        *t = neg ? -((v + 999) / 1000) : v / 1000;
        if (neg && v % 1000 == 0 && frac) *t -= 1;
    } else {
        *t = neg ? -v - (frac ? 1 : 0) : v;
    }
    return 0;
}

static int digits_at(const char *s, size_t len, size_t i, int n, int *out) {
    if (i + (size_t)n > len) return -1;
    int v = 0;
    for (int k = 0; k < n; k++) {
        char c = s[i + (size_t)k];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 0;
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int parse_iso(const char *s, size_t len, int64_t *t, const char **why) {
    int y, mo, d, hh = 0, mi = 0, ss = 0;
    size_t i = 0;
    *why = "not an ISO-8601 time (YYYY-MM-DD[THH:MM[:SS]][Z|±HH:MM])";
    if (digits_at(s, len, 0, 4, &y) || len < 10 || s[4] != '-' || digits_at(s, len, 5, 2, &mo) || s[7] != '-' ||
        digits_at(s, len, 8, 2, &d))
        return -1;
    i = 10;
    if (mo < 1 || mo > 12) {
        *why = "month out of range";
        return -1;
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = mdays[mo - 1] + (mo == 2 && is_leap(y));
    if (d < 1 || d > dim) {
        *why = "day out of range";
        return -1;
    }
    int64_t offset = 0;
    if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (digits_at(s, len, i, 2, &hh) || i + 2 >= len || s[i + 2] != ':' || digits_at(s, len, i + 3, 2, &mi)) return -1;
        i += 5;
        if (i < len && s[i] == ':') {
            if (digits_at(s, len, i + 1, 2, &ss)) return -1;
            i += 3;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                size_t j = i + 1;
                while (j < len && s[j] >= '0' && s[j] <= '9') j++;
                if (j == i + 1) return -1;
                i = j;
            }
        }
        if (hh > 24 || mi > 59 || ss > 60 || (hh == 24 && (mi || ss))) {
            *why = "time of day out of range";
            return -1;
        }
        if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
            i++;
        } else if (i < len && (s[i] == '+' || s[i] == '-')) {
            int sign = s[i] == '-' ? -1 : 1, oh, om = 0;
            if (digits_at(s, len, i + 1, 2, &oh)) return -1;
            i += 3;
            if (i < len && s[i] == ':') {
                if (digits_at(s, len, i + 1, 2, &om)) return -1;
                i += 3;
            } else if (i < len) {
                if (digits_at(s, len, i, 2, &om)) return -1;
                i += 2;
            }
            if (oh > 23 || om > 59) {
                *why = "zone offset out of range";
                return -1;
            }
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (i != len) return -1;
    *t = tide_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - offset;
    return 0;
}

int tide_time_parse(const char *s, size_t len, tide_time_format f, int64_t *t, const char **why) {
    *why = NULL;
    if (len == 0) {
        *why = "empty time";
        return -1;
    }
    /* The common case first: plain epoch seconds of up to 12 digits. */
    if (len <= 12 && (f == TIDE_TIME_AUTO || f == TIDE_TIME_SECONDS)) {
        int64_t v = 0;
        size_t i = 0;
        for (; i < len; i++) {
            unsigned c = (unsigned)(unsigned char)s[i] - '0';
            if (c > 9) break;
            v = v * 10 + c;
        }
        if (i == len && (f == TIDE_TIME_SECONDS || v < (int64_t)100000000000LL)) {
            *t = v;
            return 0;
        }
    }
    if (f == TIDE_TIME_ISO8601) return parse_iso(s, len, t, why);
    int64_t v;
    int neg, frac;
    int rc = parse_decimal(s, len, &v, &neg, &frac);
    if (rc == -2) {
        *why = "timestamp out of range";
        return -1;
    }
    if (rc == 0) {
        int ms = f == TIDE_TIME_MILLISECONDS || (f == TIDE_TIME_AUTO && v >= (int64_t)100000000000LL);
        return to_seconds(v, neg, frac, ms, t, why);
    }
    if (f != TIDE_TIME_AUTO) {
        *why = "not a number";
        return -1;
    }
    if (len >= 10 && s[4] == '-') return parse_iso(s, len, t, why);
    *why = "not a time (expected epoch seconds, epoch milliseconds or ISO-8601)";
    return -1;
}
