/* tide-datagen — writes seeded synthetic behaviour logs (interactions.csv, items.csv,
 * text_events.csv) into a directory: the sample in data/ and the benchmarks' large inputs. */
#include "cli.h"
#include "tide/fileio.h"
#include "tide/synth.h"

int main(int argc, char **argv) {
    tide_synth_params p;
    tide_synth_params_default(&p);
    const char *out = NULL;
    int no_catalog = 0;
    const cli_opt opts[] = {
        {"out", 'o', CLI_STRING, &out, "DIR", "Output directory (created if missing)"},
        {"users", 0, CLI_INT64, &p.users, "N", "Number of users (default 3000)"},
        {"items", 0, CLI_INT64, &p.items, "N", "Catalog size (default 2000)"},
        {"events", 0, CLI_INT64, &p.events, "N", "Approximate number of interactions (default 150000)"},
        {"topics", 0, CLI_INT, &p.topics, "N", "Number of interest topics (default and max 12)"},
        {"start", 0, CLI_INT64, &p.t_start, "EPOCH", "First possible event time (default 2020-01-01)"},
        {"end", 0, CLI_INT64, &p.t_end, "EPOCH", "Last possible event time (default 2022-01-01)"},
        {"drift", 0, CLI_DOUBLE, &p.drift, "P", "Probability that a user's interests change (default 0.6)"},
        {"text-rate", 0, CLI_DOUBLE, &p.text_rate, "R", "Text events per interaction (default 0.02)"},
        {"no-catalog", 0, CLI_FLAG, &no_catalog, NULL, "Write interactions.csv only"},
        {"planted", 0, CLI_FLAG, &p.planted, NULL, "Also write the planted interests (planted_phases.csv, planted.tsv)"},
        {0},
    };
    cli_spec spec = {"tide-datagen", "seeded synthetic behaviour logs with drifting interests",
                     "--out DIR [options]",
                     "The same --seed and options always give byte-identical files.", opts, 0, 0};
    cli_common c;
    int rc = cli_parse(&spec, argc, argv, &c);
    if (rc >= 0) return rc;
    if (!out) return cli_usage_error(&spec, "--out is required");
    p.seed = c.seed;
    p.catalog = !no_catalog;
    const char *msg = tide_synth_params_check(&p);
    if (msg) return cli_usage_error(&spec, "%s", msg);
    /* items.csv, interactions.csv and text_events.csv appear together or not at all. */
    tide_atomic_group group;
    tide_atomic_group_begin(&group);
    tide_status st = tide_synth_write(&p, out);
    if (st) tide_atomic_group_abort(&group);
    else st = tide_atomic_group_commit(&group);
    if (st) return cli_fail(&spec, st);
    return cli_finish(&spec, 0);
}
