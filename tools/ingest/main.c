/* tide-ingest — interaction logs (+ item catalog, + text events) → dataset directory.
 * Thin: parses options into tide_ingest_params and calls tide_ingest_run(); see docs/tide-ingest.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tide/ingest.h"

int main(int argc, char **argv) {
    const char *out = NULL, *user_col = NULL, *item_col = NULL, *time_col = NULL, *weight_col = NULL,
               *event_col = NULL, *event_weight = NULL, *format = "auto", *delimiter = NULL, *time_format = "auto",
               *aggregate = "none", *items = NULL, *item_id_col = NULL, *item_text_cols = NULL, *text_events = NULL,
               *text_col = NULL, *text_user_col = NULL, *text_item_col = NULL, *text_time_col = NULL;
    int64_t max_errors = 0, max_field = (int64_t)TIDE_READER_DEFAULT_MAX_FIELD, min_user = 0, min_item = 0;
    const cli_opt opts[] = {
        {"out", 'o', CLI_STRING, &out, "DIR", "Dataset directory to write (required; replaced atomically)"},
        {"user-col", 0, CLI_STRING, &user_col, "NAME", "User id column (required)"},
        {"item-col", 0, CLI_STRING, &item_col, "NAME", "Item id column (required)"},
        {"time-col", 0, CLI_STRING, &time_col, "NAME", "Time column (required)"},
        {"weight-col", 0, CLI_STRING, &weight_col, "NAME", "Weight column (default: weight 1)"},
        {"event-col", 0, CLI_STRING, &event_col, "NAME", "Event type column"},
        {"event-weight", 0, CLI_STRING, &event_weight, "E=W,...", "Event type weights, e.g. view=1,cart=3 (other types are bad rows)"},
        {"format", 0, CLI_STRING, &format, "FMT", "auto|csv|tsv|jsonl for every input (default auto)"},
        {"delimiter", 0, CLI_STRING, &delimiter, "C", "Field delimiter for CSV ('tab' or '\\t' for a tab)"},
        {"time-format", 0, CLI_STRING, &time_format, "FMT", "auto|s|ms|iso8601 (default auto)"},
        {"aggregate", 0, CLI_STRING, &aggregate, "MODE", "none|sum|max|last|count for repeated (user, item) (default none)"},
        {"items", 0, CLI_STRING, &items, "FILE", "Item catalog"},
        {"item-id-col", 0, CLI_STRING, &item_id_col, "NAME", "Catalog id column (default: --item-col)"},
        {"item-text-cols", 0, CLI_STRING, &item_text_cols, "A,B", "Catalog text columns (default: all but the id)"},
        {"text-events", 0, CLI_STRING, &text_events, "FILE", "User text events (tags, reviews, queries)"},
        {"text-col", 0, CLI_STRING, &text_col, "NAME", "Text column of --text-events (default text)"},
        {"text-user-col", 0, CLI_STRING, &text_user_col, "NAME", "User column of --text-events (default: --user-col)"},
        {"text-item-col", 0, CLI_STRING, &text_item_col, "NAME", "Item column of --text-events (default: --item-col, optional)"},
        {"text-time-col", 0, CLI_STRING, &text_time_col, "NAME", "Time column of --text-events (default: --time-col)"},
        {"min-user-events", 0, CLI_INT64, &min_user, "N", "k-core: users need at least N events (default 0: off)"},
        {"min-item-events", 0, CLI_INT64, &min_item, "N", "k-core: items need at least N events (default 0: off)"},
        {"max-errors", 0, CLI_INT64, &max_errors, "N", "Skip up to N bad rows (with a warning each) before failing (default 0)"},
        {"max-field-bytes", 0, CLI_INT64, &max_field, "N", "Longest field accepted (default 1048576)"},
        {0},
    };
    const cli_spec spec = {
        .program = "tide-ingest",
        .summary = "turn interaction logs into a tide dataset directory",
        .usage = "[options] INPUT... --out DIR",
        .details = "INPUT is a CSV, TSV or JSON-lines file, gzip-compressed or not (detected from the content),\n"
                   "or '-' for standard input. Rows are reported as FILE:LINE: reason when bad.\n"
                   "Example:\n"
                   "  tide-ingest ratings.csv --user-col userId --item-col movieId --time-col timestamp \\\n"
                   "      --weight-col rating --items movies.csv --item-text-cols title,genres \\\n"
                   "      --text-events tags.csv --text-col tag --out dataset",
        .opts = opts,
        .min_positional = 1,
        .max_positional = -1,
    };
    cli_common c;
    int rc = cli_parse(&spec, argc, argv, &c);
    if (rc >= 0) return rc;

    tide_ingest_params p;
    tide_ingest_params_default(&p);
    char **text_cols = NULL;
    int n_text_cols = 0;
    if (!out) {
        rc = cli_usage_error(&spec, "--out DIR is required");
        goto done;
    }
    if (tide_table_format_parse(format, &p.format)) {
        rc = cli_usage_error(&spec, "--format must be auto, csv, tsv or jsonl, not '%s'", format);
        goto done;
    }
    if (tide_time_format_parse(time_format, &p.time_format)) {
        rc = cli_usage_error(&spec, "--time-format must be auto, s, ms or iso8601, not '%s'", time_format);
        goto done;
    }
    if (tide_aggregate_parse(aggregate, &p.aggregate)) {
        rc = cli_usage_error(&spec, "--aggregate must be none, sum, max, last or count, not '%s'", aggregate);
        goto done;
    }
    if (delimiter) {
        if (strcmp(delimiter, "tab") == 0 || strcmp(delimiter, "\\t") == 0) p.delimiter = '\t';
        else if (strlen(delimiter) == 1) p.delimiter = delimiter[0];
        else {
            rc = cli_usage_error(&spec, "--delimiter must be one character or 'tab', not '%s'", delimiter);
            goto done;
        }
    }
    if (max_field < 1) {
        rc = cli_usage_error(&spec, "--max-field-bytes must be at least 1");
        goto done;
    }
    if (item_text_cols) {
        if (!(text_cols = cli_split(item_text_cols, ',', &n_text_cols))) {
            rc = cli_fail(&spec, TIDE_ERR_NOMEM);
            goto done;
        }
        p.item_text_cols = (const char *const *)text_cols;
        p.n_item_text_cols = n_text_cols;
    }
    p.inputs = (const char *const *)c.positional;
    p.n_inputs = c.positional_n;
    p.user_col = user_col;
    p.item_col = item_col;
    p.time_col = time_col;
    p.weight_col = weight_col;
    p.event_col = event_col;
    p.event_weights = event_weight;
    p.items_path = items;
    p.item_id_col = item_id_col;
    p.text_events_path = text_events;
    p.text_col = text_col;
    p.text_user_col = text_user_col;
    p.text_item_col = text_item_col;
    p.text_time_col = text_time_col;
    p.min_user_events = min_user;
    p.min_item_events = min_item;
    p.max_errors = max_errors;
    p.max_field_bytes = (size_t)max_field;
    p.argc = argc;
    p.argv = argv;
    const char *why = tide_ingest_params_check(&p);
    if (why) {
        rc = cli_usage_error(&spec, "%s", why);
        goto done;
    }
    tide_status st = tide_ingest_run(&p, out, NULL);
    rc = st ? cli_fail(&spec, st) : 0;
done:
    cli_free_split(text_cols, n_text_cols);
    return cli_finish(&spec, rc);
}
