/* tide-embed — texts to vectors: a dataset's item text (--data), its users' text events
 * (--user-text) or plain lines (--text), with a Hugging Face BERT sentence-transformers model or
 * the model-free TF-IDF + SVD embedder. Writes OUT.npy (f32 [rows, dim]) and the manifest OUT.json
 * beside it (docs/tide-embed.md, docs/formats.md); --cache reuses unchanged rows of a previous
 * output. A recipe over tide/embed.h: corpus, compute, provenance, write. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tide/dataset.h"
#include "tide/embed.h"

static const char *opt_model, *opt_data, *opt_fields, *opt_text, *opt_cache, *opt_out, *opt_device = "cpu";
static int opt_user_text, opt_batch = 32, opt_dim = 128;

static const cli_opt opts[] = {
    {"model", 'm', CLI_STRING, &opt_model, "DIR|tfidf", "sentence-transformers model folder, or 'tfidf' (required)"},
    {"data", 'd', CLI_STRING, &opt_data, "DIR", "dataset directory: embed each item's text (row i = item i)"},
    {"fields", 0, CLI_STRING, &opt_fields, "A,B", "item text fields to join (default: all the dataset's text fields)"},
    {"user-text", 0, CLI_FLAG, &opt_user_text, NULL, "with --data: embed the users' text events instead of the items"},
    {"text", 't', CLI_STRING, &opt_text, "FILE|-", "embed each line of FILE (- = standard input)"},
    {"cache", 0, CLI_STRING, &opt_cache, "PREV.npy", "copy rows whose text is unchanged since this earlier output"},
    {"out", 'o', CLI_STRING, &opt_out, "OUT.npy", "output vectors; the manifest goes to OUT.json (required)"},
    {"batch-size", 'b', CLI_INT, &opt_batch, "N", "texts per encoder batch (default 32)"},
    {"dim", 0, CLI_INT, &opt_dim, "N", "tfidf: output dimensions (default 128)"},
    {"device", 0, CLI_STRING, &opt_device, "cpu", "compute device (cpu; cuda needs the CUDA backend)"},
    {0},
};

static const cli_spec spec = {
    "tide-embed",
    "embed item text, user text events or lines with a BERT sentence model or TF-IDF",
    "--model DIR|tfidf (--data DIR [--user-text] | --text FILE) --out OUT.npy [options]",
    "Outputs: OUT.npy f32 [rows, dim]; OUT.json manifest (model, counts, per-row content hashes);\n"
    "with --user-text also OUT.users.npy i32, OUT.times.npy i64, OUT.items.npy i32 (-1 = no item).\n"
    "Rows whose text is empty get zeros. Exit codes: 0 ok, 1 runtime, 2 usage, 3 bad input, 4 backend.",
    opts, 0, 0,
};

char *openblas_get_corename(void) __attribute__((weak)); /* recorded in the manifest */

int main(int argc, char **argv) {
    cli_common common;
    int rc = cli_parse(&spec, argc, argv, &common);
    if (rc >= 0) return rc;
    if ((rc = cli_blas_prepare(&spec, &common)) >= 0) return rc;
    if (!opt_out) return cli_usage_error(&spec, "--out is required");
    if (!!opt_data + !!opt_text != 1) return cli_usage_error(&spec, "give exactly one of --data and --text");
    if (opt_user_text && !opt_data) return cli_usage_error(&spec, "--user-text needs --data");
    if (opt_fields && (!opt_data || opt_user_text)) return cli_usage_error(&spec, "--fields applies to --data item text");
    if (strcmp(opt_out, "-") == 0) return cli_usage_error(&spec, "--out must be a file (.npy), not standard output");
    tide_embed_params p = tide_embed_params_default();
    p.model = opt_model;
    p.batch_size = opt_batch;
    p.dim = opt_dim;
    p.seed = common.seed;
    p.cache = opt_cache;
    const char *why = tide_embed_params_check(&p);
    if (why) return cli_usage_error(&spec, "%s", why);
    tide_status st = tide_device_parse(opt_device, &p.device);
    if (st) return cli_fail(&spec, st);

    tide_dataset ds;
    memset(&ds, 0, sizeof ds);
    tide_embed_corpus c;
    memset(&c, 0, sizeof c);
    float *vec = NULL;
    cJSON *man = NULL;
    int dim = 0;
    double t0 = tide_now();
    if (opt_data) {
        if ((st = tide_dataset_load(opt_data, &ds))) goto done;
        st = opt_user_text ? tide_embed_corpus_user_text(&ds, opt_data, &c)
                           : tide_embed_corpus_items(&ds, opt_data, opt_fields, &c);
    } else {
        st = tide_embed_corpus_lines(opt_text, &c);
    }
    if (st || (st = tide_embed_compute(&p, &c, &vec, &dim, &man))) goto done;
    cJSON_AddNumberToObject(man, "seconds", tide_now() - t0);
    cJSON_AddNumberToObject(man, "threads", common.threads);
    cJSON_AddStringToObject(man, "tide_version", tide_version());
    if (openblas_get_corename) cJSON_AddStringToObject(man, "blas_core", openblas_get_corename());
    cJSON *cmd = cJSON_AddArrayToObject(man, "command");
    for (int i = 0; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    st = tide_embed_write(opt_out, vec, c.n, dim, &c, man);
done:
    cJSON_Delete(man);
    free(vec);
    tide_embed_corpus_free(&c);
    tide_dataset_free(&ds);
    if (st) return cli_fail(&spec, st);
    return cli_finish(&spec, 0);
}
