/* decay.c — the time decay every module weights events with (tide/decay.h): one formula, one
 * choice of reference time, so training, validation, batch scoring and online scoring agree to
 * the bit. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tide/decay.h"
#include "tide/timeparse.h"

double tide_decay_factor(const tide_decay *d, int64_t t, int64_t t_ref) {
    if (!(d->half_life > 0)) return 1.0;
    double age = (double)t_ref - (double)t;
    if (age <= 0) return 1.0; /* events after the reference are "now", not amplified */
    return exp2(-age / d->half_life);
}

int64_t tide_decay_ref(const tide_decay *d, const int64_t *times, int64_t n, int64_t latest) {
    if (d->as_of_mode == TIDE_ASOF_TIME) return d->as_of;
    if (d->as_of_mode == TIDE_ASOF_USER) {
        int64_t m = INT64_MIN;
        for (int64_t k = 0; k < n; k++)
            if (times[k] > m) m = times[k];
        return m;
    }
    return latest;
}

int64_t tide_dataset_latest(const tide_dataset *ds) {
    int64_t m = INT64_MIN;
    for (int64_t k = 0; k < ds->nnz; k++)
        if (ds->times[k] > m) m = ds->times[k];
    return m;
}

const char *tide_decay_kernel_name(tide_decay_kernel k) { return k == TIDE_KERNEL_PAST ? "past" : "two-sided"; }

int tide_decay_kernel_parse(const char *s, tide_decay_kernel *out) {
    if (strcmp(s, "two-sided") == 0) *out = TIDE_KERNEL_TWO_SIDED;
    else if (strcmp(s, "past") == 0) *out = TIDE_KERNEL_PAST;
    else return -1;
    return 0;
}

int tide_decay_asof_parse(const char *s, tide_decay *d, const char **why) {
    *why = NULL;
    if (s && strcmp(s, "latest") == 0) {
        d->as_of_mode = TIDE_ASOF_LATEST;
        d->as_of = 0;
        return 0;
    }
    if (s && strcmp(s, "user") == 0) {
        d->as_of_mode = TIDE_ASOF_USER;
        d->as_of = 0;
        return 0;
    }
    int64_t t;
    if (tide_time_arg_parse(s, 0, &t, why) != 0) return -1;
    d->as_of_mode = TIDE_ASOF_TIME;
    d->as_of = t;
    return 0;
}

const char *tide_decay_asof_name(const tide_decay *d, char *buf, size_t cap) {
    if (d->as_of_mode == TIDE_ASOF_USER) return "user";
    if (d->as_of_mode == TIDE_ASOF_LATEST) return "latest";
    snprintf(buf, cap, "%lld", (long long)d->as_of);
    return buf;
}
