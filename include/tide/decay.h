/* tide/decay.h — time decay of interaction weights, shared by data, mf, retrieval and interest:
 *
 *   decay(t) = 2^(-(t_ref - t) / half_life)     (1 when half_life is 0; t > t_ref counts as t_ref)
 *
 * with t_ref, the "as-of", one of: a fixed time; "latest", the latest event of the data being
 * weighted (for tide-serve: the latest event it has seen); or "user", each user's own latest
 * event. Kernels (contextual popularity) weigh events around a user's time on both sides,
 * 2^(-|t_u - t|/h), or only in the past.
 *
 * Time arguments on command lines (--half-life, --as-of, tide-split --cutoff ...) are parsed by
 * tide_time_arg_parse / tide_duration_parse (tide/timeparse.h) and tide_decay_asof_parse below,
 * one grammar for every program (docs/time-arguments.md).
 */
#ifndef TIDE_DECAY_H
#define TIDE_DECAY_H

#include "tide/core.h"
#include <stddef.h>

#include "tide/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TIDE_ASOF_LATEST = 0, TIDE_ASOF_TIME, TIDE_ASOF_USER } tide_asof_mode;
/* Contextual popularity's kernel around the user's time t_u: both sides 2^(-|t_u - t|/h), or
 * only events at or before t_u. */
typedef enum { TIDE_KERNEL_TWO_SIDED = 0, TIDE_KERNEL_PAST } tide_decay_kernel;

typedef struct {
    double half_life;        /* seconds; 0 = no decay */
    tide_asof_mode as_of_mode;
    int64_t as_of;           /* seconds, for TIDE_ASOF_TIME */
} tide_decay;

/* The decay factor for one event at time t against reference t_ref (1 without decay). */
double tide_decay_factor(const tide_decay *d, int64_t t, int64_t t_ref);
/* Reference time of one user with events at times[0..n): the fixed as-of, the user's latest
 * event (INT64_MIN without events) or `latest` (the data's latest event). */
int64_t tide_decay_ref(const tide_decay *d, const int64_t *times, int64_t n, int64_t latest);
/* The latest event time of a dataset (INT64_MIN when it has none). */
int64_t tide_dataset_latest(const tide_dataset *ds);

/* An as-of argument: "latest", "user" or a time point (tide_time_arg_parse: epoch seconds or
 * ISO-8601). Sets d's as_of_mode and as_of; returns 0, or -1 with *why set. */
int tide_decay_asof_parse(const char *s, tide_decay *d, const char **why);
/* The as-of as tide_decay_asof_parse reads it back ("latest", "user", epoch seconds). */
const char *tide_decay_asof_name(const tide_decay *d, char *buf, size_t cap);

/* "two-sided" / "past" <-> enum; parse returns -1 for unknown names. */
const char *tide_decay_kernel_name(tide_decay_kernel k);
int tide_decay_kernel_parse(const char *s, tide_decay_kernel *out);

#ifdef __cplusplus
}
#endif
#endif
