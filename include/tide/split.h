/* tide/split.h — temporal train / valid / test splits of a dataset.
 *
 * Every part is a complete dataset (tide/dataset.h) over the SAME users and items as the source:
 * the id dictionaries, item text and event names are shared, so a dense index means the same
 * user or item in every part. Only the interactions and user text events are divided.
 *
 * Methods (docs/tide-split.md states the rules in full):
 *  - leave-last: per user, in the dataset's (time, input order) order, the last `test_events`
 *    interactions go to test and the `valid_events` before them to valid. A user is split only if
 *    they have at least test_events + valid_events + 1 interactions, so that at least one remains
 *    for training; a shorter user stays entirely in train (counted as users_too_short).
 *    A user's text event goes to test when its time is >= the time of their first test
 *    interaction, else to valid when >= the time of their first valid interaction, else to train.
 *  - time: one global cut T: events with time >= T are test, earlier ones train. T is given or
 *    derived from a fraction F of all interactions: T = the time of the n-th latest interaction,
 *    n = round(F * interactions) (at least 1), so every interaction tied with that time is in
 *    test too (test holds >= n interactions; ties never straddle a cut).
 *    An optional valid cut V < T makes [V, T) valid, derived the same way from the events before
 *    T. Text events are divided by the same cuts.
 * train_valid (train ∪ valid, for the final fit after tuning) exists only when valid does.
 */
#ifndef TIDE_SPLIT_H
#define TIDE_SPLIT_H

#include "tide/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TIDE_SPLIT_LEAVE_LAST = 0, TIDE_SPLIT_TIME } tide_split_method;

typedef struct tide_split_params {
    tide_split_method method;
    /* leave-last */
    int64_t test_events;      /* N >= 1 last interactions per user for test (default 1) */
    int64_t valid_events;     /* M >= 0 interactions before those for valid (default 0) */
    /* time: the test cut is test_cut when has_test_cut, else derived from test_fraction */
    int has_test_cut;
    int64_t test_cut;         /* seconds since the epoch; test = time >= test_cut */
    double test_fraction;     /* in (0, 1), default 0.1 */
    /* time: valid (optional) from valid_cut when has_valid_cut, else valid_fraction if > 0 */
    int has_valid_cut;
    int64_t valid_cut;        /* valid = valid_cut <= time < test cut */
    double valid_fraction;    /* in [0, 1); 0 = no valid part */
} tide_split_params;

void tide_split_params_default(tide_split_params *p);
/* NULL if the parameters are consistent, else a message saying what is wrong. */
const char *tide_split_params_check(const tide_split_params *p);

/* Parts, in the order they are stored and written. */
typedef enum {
    TIDE_SPLIT_TRAIN = 0,
    TIDE_SPLIT_VALID,
    TIDE_SPLIT_TEST,
    TIDE_SPLIT_TRAIN_VALID,
    TIDE_SPLIT_N_PARTS
} tide_split_part;

/* "train", "valid", "test", "train_valid". */
const char *tide_split_part_name(tide_split_part part);
const char *tide_split_method_name(tide_split_method m);
/* Parse "leave-last" / "time"; 0 on success, -1 if unknown. */
int tide_split_method_parse(const char *s, tide_split_method *m);

/* Per-part counts. */
typedef struct tide_split_counts {
    int64_t users_with_interactions;
    int64_t interactions;
    int64_t text_events;
} tide_split_counts;

typedef struct tide_split {
    tide_split_params params;
    int has_valid;                      /* valid and train_valid exist */
    tide_dataset parts[TIDE_SPLIT_N_PARTS]; /* absent parts are zeroed */
    tide_split_counts counts[TIDE_SPLIT_N_PARTS];
    char source_checksum[32];
    tide_split_counts source_counts;
    /* leave-last */
    int64_t users_split;                /* users with test interactions */
    int64_t users_too_short;            /* 1 .. N+M interactions: kept whole in train */
    int64_t users_without_interactions; /* 0 interactions (e.g. text events only) */
    /* time: the cuts in effect and how many users have interactions on both sides of each */
    int64_t test_cut, valid_cut;
    int64_t users_both_sides_test_cut, users_both_sides_valid_cut;
} tide_split;

/* Divide `src` (rows sorted by time, as every dataset is) into parts. The parts borrow src's id
 * arrays, item text, event names and text strings: `src` must outlive `out`. A dataset whose
 * rows are not time-ordered, or a split that leaves train or test empty (every user too short,
 * a cut outside the data's time range) is TIDE_ERR_DATA; inconsistent params TIDE_ERR_USAGE. */
tide_status tide_split_dataset(const tide_dataset *src, const tide_split_params *p, tide_split *out);

/* Write OUT/{train,valid,test,train_valid}/ (dataset dirs whose manifests carry a "split"
 * record: method, params, source path and checksum, counts of every part) and OUT/manifest.json
 * (format "tide-split", the same summary plus each part's checksum). OUT appears atomically:
 * a failed run leaves any previous OUT as it was. Parent directories are created.
 * `source_path` and `command` (may be NULL) are recorded as given. */
tide_status tide_split_save(const char *out_dir, tide_split *sp, const char *source_path, const char *command);

void tide_split_free(tide_split *sp);

/* Parse a time: integer epoch seconds ("1514764800", "-86400") or ISO-8601 date / date-time
 * ("2018-01-01", "2018-01-01T12:30", "2018-01-01 12:30:15.5Z", "...+02:00"; no zone = UTC).
 * Fractional seconds round up, so that "time >= result" equals "time >= the given instant" for
 * whole-second event times. 0 on success, -1 if unparseable or out of range. */
int tide_split_parse_time(const char *s, int64_t *out);
/* Format epoch seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf (32 bytes are enough). */
void tide_split_format_time(int64_t t, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
