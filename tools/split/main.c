/* tide-split — divide a dataset directory into train / valid / test (and train_valid) dataset
 * directories that share one id space, by leave-last per user or by a global time cut.
 * All logic is in libtide (tide/split.h); this file maps flags to parameters. */
#define _GNU_SOURCE
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tide/dataset.h"
#include "tide/split.h"

#define UNSET INT64_MIN

static const char *details =
    "leave-last: per user, the last N interactions (in time, then input order) are test and the M\n"
    "before them valid; a user with fewer than N+M+1 interactions stays whole in train.\n"
    "time: interactions at or after the cut are test; --test-fraction F puts the cut at the time of\n"
    "the round(F x interactions)-th latest interaction (ties at the cut go to test).\n"
    "Text events follow the same rule (see docs/tide-split.md).\n"
    "Writes OUT/train, OUT/test, with valid also OUT/valid and OUT/train_valid, and OUT/manifest.json.\n"
    "\n"
    "Examples:\n"
    "  tide-split --data ds --out split --method leave-last --test 1 --valid 1\n"
    "  tide-split --data ds --out split --method time --test-fraction 0.1 --valid-fraction 0.1\n"
    "  tide-split --data ds --out split --method time --cut 2018-01-01";

/* The command line as one string, for the manifests. */
static char *join_args(int argc, char **argv) {
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n), *p = s;
    if (!s) return NULL;
    for (int i = 0; i < argc; i++) p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
    *p = 0;
    return s;
}

/* 1 if OUT is DATA or a directory above it: replacing OUT would delete the dataset being split. */
static int out_covers_data(const char *data, const char *out) {
    char rd[PATH_MAX], ro[PATH_MAX];
    if (!realpath(data, rd) || !realpath(out, ro)) return 0;
    size_t n = strlen(ro);
    return strncmp(rd, ro, n) == 0 && (rd[n] == 0 || rd[n] == '/' || (n == 1 && ro[0] == '/'));
}

int main(int argc, char **argv) {
    const char *data = NULL, *out = NULL, *method = NULL, *cut = NULL, *valid_cut = NULL;
    int64_t test_n = UNSET, valid_n = UNSET;
    double test_fraction = NAN, valid_fraction = NAN; /* NAN = not given (the parser rejects NaN) */
    const cli_opt opts[] = {
        {"data", 'd', CLI_STRING, &data, "DIR", "Dataset directory to split (from tide-ingest)"},
        {"out", 'o', CLI_STRING, &out, "OUT", "Output directory: OUT/train, OUT/test, ... (replaced atomically)"},
        {"method", 'm', CLI_STRING, &method, "M", "leave-last or time"},
        {"test", 0, CLI_INT64, &test_n, "N", "leave-last: interactions per user for test (default 1)"},
        {"valid", 0, CLI_INT64, &valid_n, "M", "leave-last: interactions per user for valid, before the test ones (default 0)"},
        {"cut", 0, CLI_STRING, &cut, "T", "time: test = interactions at or after T (epoch seconds or ISO-8601)"},
        {"test-fraction", 0, CLI_DOUBLE, &test_fraction, "F", "time: cut leaving fraction F of the interactions for test (default 0.1)"},
        {"valid-cut", 0, CLI_STRING, &valid_cut, "T", "time: valid = interactions from T up to the test cut"},
        {"valid-fraction", 0, CLI_DOUBLE, &valid_fraction, "F", "time: valid = fraction F of the interactions just before the test cut"},
        {0},
    };
    const cli_spec spec = {
        .program = "tide-split",
        .summary = "temporal train/valid/test splits of a dataset, sharing one id space",
        .usage = "--data DIR --out OUT --method leave-last|time [--test N] [--valid M] [--cut T | --test-fraction F] [--valid-cut T | --valid-fraction F]",
        .details = details,
        .opts = opts,
        .min_positional = 0,
        .max_positional = 0,
    };
    cli_common common;
    int rc = cli_parse(&spec, argc, argv, &common);
    if (rc >= 0) {
        return rc;
    }
    tide_split_params p;
    tide_split_params_default(&p);
    tide_dataset ds;
    tide_split sp;
    char *command = NULL;
    memset(&ds, 0, sizeof ds);
    memset(&sp, 0, sizeof sp);

    if (!data || !out || !method) {
        rc = cli_usage_error(&spec, "--data, --out and --method are required");
        goto done;
    }
    if (tide_split_method_parse(method, &p.method) != 0) {
        rc = cli_usage_error(&spec, "--method must be leave-last or time, got '%s'", method);
        goto done;
    }
    if (p.method == TIDE_SPLIT_LEAVE_LAST) {
        if (cut || valid_cut || !isnan(test_fraction) || !isnan(valid_fraction)) {
            rc = cli_usage_error(&spec, "--cut, --valid-cut, --test-fraction and --valid-fraction belong to --method time");
            goto done;
        }
        if (test_n != UNSET) p.test_events = test_n;
        if (valid_n != UNSET) p.valid_events = valid_n;
    } else {
        if (test_n != UNSET || valid_n != UNSET) {
            rc = cli_usage_error(&spec, "--test and --valid belong to --method leave-last (use --cut/--test-fraction and --valid-cut/--valid-fraction)");
            goto done;
        }
        if (cut && !isnan(test_fraction)) {
            rc = cli_usage_error(&spec, "give either --cut or --test-fraction, not both");
            goto done;
        }
        if (valid_cut && !isnan(valid_fraction)) {
            rc = cli_usage_error(&spec, "give either --valid-cut or --valid-fraction, not both");
            goto done;
        }
        if (cut) {
            if (tide_split_parse_time(cut, &p.test_cut) != 0) {
                rc = cli_usage_error(&spec, "--cut expects epoch seconds or an ISO-8601 date/time, got '%s'", cut);
                goto done;
            }
            p.has_test_cut = 1;
        }
        if (valid_cut) {
            if (tide_split_parse_time(valid_cut, &p.valid_cut) != 0) {
                rc = cli_usage_error(&spec, "--valid-cut expects epoch seconds or an ISO-8601 date/time, got '%s'", valid_cut);
                goto done;
            }
            p.has_valid_cut = 1;
        }
        if (!isnan(test_fraction)) p.test_fraction = test_fraction;
        if (!isnan(valid_fraction)) {
            if (!(valid_fraction > 0)) {
                rc = cli_usage_error(&spec, "--valid-fraction must be between 0 and 1 (exclusive)");
                goto done;
            }
            p.valid_fraction = valid_fraction;
        }
    }
    const char *msg = tide_split_params_check(&p);
    if (msg) {
        rc = cli_usage_error(&spec, "%s", msg);
        goto done;
    }
    if (out_covers_data(data, out)) {
        rc = cli_usage_error(&spec, "--out must not be --data or a directory containing it (it would replace the dataset being split)");
        goto done;
    }
    command = join_args(argc, argv);
    tide_status st;
    if ((st = tide_dataset_load(data, &ds)) || (st = tide_split_dataset(&ds, &p, &sp))) {
        rc = cli_fail(&spec, st);
        goto done;
    }
    if (p.method == TIDE_SPLIT_LEAVE_LAST)
        tide_log(TIDE_LOG_INFO, "leave-last: %lld users split, %lld too short (kept in train), %lld without interactions",
                 (long long)sp.users_split, (long long)sp.users_too_short, (long long)sp.users_without_interactions);
    else {
        char a[40];
        tide_split_format_time(sp.test_cut, a, sizeof a);
        tide_log(TIDE_LOG_INFO, "time: test cut %s, %lld users with interactions on both sides", a,
                 (long long)sp.users_both_sides_test_cut);
    }
    for (int i = 0; i < TIDE_SPLIT_N_PARTS; i++)
        if (sp.parts[i].indptr)
            tide_log(TIDE_LOG_INFO, "%-11s %lld interactions, %lld users, %lld text events", tide_split_part_name((tide_split_part)i),
                     (long long)sp.counts[i].interactions, (long long)sp.counts[i].users_with_interactions,
                     (long long)sp.counts[i].text_events);
    if ((st = tide_split_save(out, &sp, data, command))) {
        rc = cli_fail(&spec, st);
        goto done;
    }
    rc = 0;
done:
    tide_split_free(&sp);
    tide_dataset_free(&ds);
    free(command);
    return cli_finish(&spec, rc);
}
