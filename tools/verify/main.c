/* tide-verify — `tide verify PATH...`: checks datasets, splits, models and vectors against their
 * manifests (sizes and CRC-32s, dtypes and shapes, cross-references, stray temporaries) and lists
 * what is wrong. All checks live in src/verify/verify.c. Exit 0 clean, 3 corrupt. */
#include <stdio.h>

#include "cli.h"
#include "tide/verify.h"

static void report(void *ctx, tide_verify_level level, const char *msg) {
    (void)ctx;
    /* problems are the result (stdout); notes say what could not be checked (log) */
    if (level == TIDE_VERIFY_PROBLEM) printf("%s\n", msg);
    else tide_log(TIDE_LOG_INFO, "note: %s", msg);
}

int main(int argc, char **argv) {
    const cli_opt opts[] = {{0}};
    cli_spec spec = {"tide-verify", "check tide directories and vectors against their manifests", "PATH...",
                     "PATH: a dataset, split, model or interest directory, or vectors (OUT.npy or OUT.json of tide-embed).\n"
                     "Each problem is printed on stdout as `path: what is wrong`; notes (what could not be\n"
                     "checked, e.g. a model's dataset that is not at its recorded path) go to stderr.\n"
                     "Exit codes: 0 clean, 1 a path cannot be read, 2 usage, 3 corrupt (problems listed).",
                     opts, 1, -1};
    cli_common c;
    int rc = cli_parse(&spec, argc, argv, &c);
    if (rc >= 0) return rc;
    int64_t problems = 0;
    int code = 0;
    for (int i = 0; i < c.positional_n; i++) {
        tide_verify_stats st;
        tide_status s = tide_verify(c.positional[i], report, NULL, &st);
        if (s) {
            code = cli_fail(&spec, s);
            continue;
        }
        problems += st.problems;
        tide_log(TIDE_LOG_INFO, "%s: %s, %lld files checksummed, %lld problem%s, %lld stray temporar%s", c.positional[i],
                 st.kind ? st.kind : "unknown", (long long)st.files_checked, (long long)st.problems,
                 st.problems == 1 ? "" : "s", (long long)st.temporaries, st.temporaries == 1 ? "y" : "ies");
    }
    if (problems && code == 0) code = 3;
    return cli_finish(&spec, code);
}
