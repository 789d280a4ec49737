/* tide-recommend — top-K recommendations for every user (or a list of users) from a model dir,
 * or content retrieval of query vectors against item vectors. Parses options, reads the small
 * input lists (tide/idlist.h) and the shard (tide/shard.h), then hands everything to
 * tide_retrieval_run and writes the batches it returns, atomically. The model comes as a scorer
 * (tide/scorer.h: one loader for every model family); all scoring logic lives in the library. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tide/backend.h"
#include "tide/dataset.h"
#include "tide/embed.h"
#include "tide/fileio.h"
#include "tide/idlist.h"
#include "tide/mf.h"
#include "tide/npy.h"
#include "tide/retrieval.h"
#include "tide/scorer.h"
#include "tide/shard.h"
#include "query.h"

static const char *o_data, *o_model, *o_out = "-", *o_format = "tsv", *o_users, *o_exclude, *o_candidates;
static const char *o_item_vectors, *o_query_vectors, *o_shard, *o_device = "cpu";
static const char *o_query_file, *o_lm;
static cli_list o_query;
static int o_k = 10, o_keep_seen, o_pool, o_allow_new;
static double o_diversity;
static int64_t o_user_block, o_item_block;

static const cli_opt opts[] = {
    {"data", 0, CLI_STRING, &o_data, "DIR", "Dataset dir: user ids, histories (seen items, EASE/kNN, fold-in)"},
    {"model", 0, CLI_STRING, &o_model, "DIR", "Model dir from tide-train-mf (als, bpr, ease, itemknn, pop)"},
    {"k", 'k', CLI_INT, &o_k, "N", "Recommendations per user (default 10)"},
    {"out", 'o', CLI_STRING, &o_out, "FILE", "Output file, written atomically; - = stdout (default)"},
    {"format", 0, CLI_STRING, &o_format, "FMT", "tsv (user item rank score) or jsonl (default tsv)"},
    {"users", 0, CLI_STRING, &o_users, "FILE", "Only these user ids (one per line), in this order"},
    {"keep-seen", 0, CLI_FLAG, &o_keep_seen, NULL, "Keep items the user already interacted with"},
    {"exclude", 0, CLI_STRING, &o_exclude, "FILE", "Also exclude these `user<TAB>item` pairs"},
    {"candidates", 0, CLI_STRING, &o_candidates, "FILE", "Recommend only these item ids (one per line)"},
    {"diversity", 0, CLI_DOUBLE, &o_diversity, "LAMBDA", "MMR re-ranking weight in [0,1] (0 = plain top-K)"},
    {"pool", 0, CLI_INT, &o_pool, "N", "MMR candidate pool per user (default max(5k, 50))"},
    {"item-vectors", 0, CLI_STRING, &o_item_vectors, "FILE", "Item vectors .npy [items, d]: MMR similarity, content retrieval"},
    {"query-vectors", 0, CLI_STRING, &o_query_vectors, "FILE", "Query vectors .npy [queries, d]: content retrieval (no --model)"},
    {"query", 0, CLI_LIST, &o_query, "TEXT", "A search text (repeatable): encoded with --lm, then as --query-vectors"},
    {"query-file", 0, CLI_STRING, &o_query_file, "FILE", "Search texts, one per line (- = stdin): as --query"},
    {"lm", 0, CLI_STRING, &o_lm, "DIR", "Sentence-transformers model folder for --query/--query-file"},
    {"shard", 0, CLI_STRING, &o_shard, "I/N", "Score only shard I of N (0-based); outputs concatenate to the full run"},
    {"allow-new-data", 0, CLI_FLAG, &o_allow_new, NULL, "Accept --data other than the model's training data (same items)"},
    {"device", 0, CLI_STRING, &o_device, "DEV", "cpu, cuda or auto (default cpu)"},
    {"user-block", 0, CLI_INT64, &o_user_block, "N", "Users per scoring block (tuning; default 512)"},
    {"item-block", 0, CLI_INT64, &o_item_block, "N", "Items per scoring block (tuning; default 1024)"},
    {0},
};

static const cli_spec spec = {
    .program = "tide-recommend",
    .summary = "Top-K recommendations for every user, excluding seen items",
    .usage = "--data DIR --model DIR [--k 10] [--out FILE]\n"
             "       tide-recommend --query-vectors Q.npy --item-vectors ITEMS.npy [--data DIR] [--k 10]\n"
             "       tide-recommend (--query TEXT... | --query-file FILE) --lm DIR --item-vectors ITEMS.npy [--data DIR]",
    .details = "Seen items (--data) are excluded unless --keep-seen; ties go to the lower item index.\n"
               "See docs/tide-recommend.md.",
    .opts = opts,
    .min_positional = 0,
    .max_positional = 0,
};

typedef struct out_ctx {
    tide_atomic_file *f;
    tide_recs_format fmt;
    char **user_ids, **item_ids;
} out_ctx;

static tide_status write_sink(void *p, const tide_retrieval_batch *b) {
    out_ctx *o = p;
    /* Flag each user who was not scored by the model itself (shown with --verbose). */
    if (o->user_ids)
        for (int64_t i = 0; i < b->n; i++)
            if (b->by[i] != TIDE_RETRIEVAL_BY_MODEL)
                tide_log(TIDE_LOG_DEBUG, "user %s: not in the model, %s", o->user_ids[b->users[i]],
                         b->by[i] == TIDE_RETRIEVAL_BY_FOLD_IN ? "folded in from their events" : "popularity");
    return tide_recs_write_batch(o->f->fp, o->fmt, b, o->user_ids, o->item_ids);
}

int main(int argc, char **argv) {
    cli_common com;
    int code = cli_parse(&spec, argc, argv, &com);
    if (code >= 0) return code;
    if ((code = cli_blas_prepare(&spec, &com)) >= 0) return code;
    tide_status st = TIDE_OK;
    tide_dataset ds;
    memset(&ds, 0, sizeof ds);
    tide_scorer *model = NULL;
    tide_npy ivec, qvec;
    memset(&ivec, 0, sizeof ivec);
    memset(&qvec, 0, sizeof qvec);
    tide_backend *be = NULL;
    int64_t *users = NULL, *pu = NULL, *excl_ptr = NULL;
    int32_t *pi = NULL, *cand = NULL, *excl_items = NULL;
    int64_t n_users = 0, n_pairs = 0, n_cand = 0;
    tide_atomic_file af;
    memset(&af, 0, sizeof af);
    int have_data = 0, opened = 0;

    tide_recs_format fmt;
    if (strcmp(o_format, "tsv") == 0) fmt = TIDE_RECS_TSV;
    else if (strcmp(o_format, "jsonl") == 0) fmt = TIDE_RECS_JSONL;
    else return cli_usage_error(&spec, "--format must be tsv or jsonl, got '%s'", o_format);
    int text_mode = o_query.n > 0 || o_query_file;
    if (o_query.n && o_query_file) return cli_usage_error(&spec, "--query and --query-file are exclusive");
    if (text_mode && (o_query_vectors || o_model))
        return cli_usage_error(&spec, "--query/--query-file are exclusive with --query-vectors and --model");
    if (text_mode != !!o_lm) return cli_usage_error(&spec, text_mode ? "--query/--query-file need --lm DIR" : "--lm applies to --query/--query-file");
    if (text_mode && !o_item_vectors) return cli_usage_error(&spec, "--query/--query-file need --item-vectors");
    int query_mode = o_query_vectors != NULL || text_mode;
    if (query_mode && o_model) return cli_usage_error(&spec, "--query-vectors and --model are exclusive");
    if (!query_mode && !o_model) return cli_usage_error(&spec, "--model DIR is required (or --query-vectors with --item-vectors)");
    if (!query_mode && !o_data) return cli_usage_error(&spec, "--data DIR is required with --model");
    if (query_mode && !o_item_vectors) return cli_usage_error(&spec, "--query-vectors needs --item-vectors");
    if (query_mode && (o_users || o_exclude)) return cli_usage_error(&spec, "--users and --exclude apply to users of a dataset, not to queries");
    tide_shard shard;
    if (tide_shard_parse(o_shard, &shard)) return cli_usage_error(&spec, "%s", tide_error_message());
    tide_retrieval_params p;
    tide_retrieval_params_default(&p);
    p.k = o_k;
    p.diversity = o_diversity;
    p.pool = o_pool;
    if (o_user_block) p.user_block = o_user_block;
    if (o_item_block) p.item_block = o_item_block;
    const char *why = tide_retrieval_params_check(&p);
    if (why) return cli_usage_error(&spec, "%s", why);
    tide_device dev;
    if ((st = tide_device_parse(o_device, &dev))) return cli_fail(&spec, st);
    if ((st = tide_backend_open(dev, &be))) return cli_fail(&spec, st);

    if (o_data) {
        if ((st = tide_dataset_load(o_data, &ds))) goto done;
        have_data = 1;
    }
    if (query_mode) {
        tide_embed_origin origin;
        if ((st = tide_embed_matrix_load(o_item_vectors, &ivec, &origin))) goto done;
        /* Vectors of a dataset's items are answered with that dataset's item ids, never with row
         * numbers posing as ids: --data must name it. */
        if (origin.has_manifest && origin.kind == TIDE_EMBED_ITEMS) {
            if (!have_data) {
                st = tide_error(TIDE_ERR_USAGE, "%s holds a dataset's item vectors: give that dataset as --data, so the "
                                "output names item ids", o_item_vectors);
                goto done;
            }
            if (strcmp(origin.dataset_checksum, ds.checksum) != 0) {
                st = tide_error(TIDE_ERR_DATA, "%s was embedded from another dataset (checksum %s) than --data %s (%s)",
                                o_item_vectors, origin.dataset_checksum, o_data, ds.checksum);
                goto done;
            }
        }
        if (text_mode) {
            query_spec qs = {o_lm, o_query.items, o_query.n, o_query_file, o_item_vectors, dev};
            float *q = NULL;
            if ((st = query_embed(&qs, ivec.shape[1], &q, &qvec.shape[0]))) goto done;
            qvec.data = qvec.owned = q; /* freed by tide_npy_free */
            qvec.shape[1] = ivec.shape[1];
        } else if ((st = tide_embed_matrix_load(o_query_vectors, &qvec, NULL))) {
            goto done;
        } else if (qvec.shape[1] != ivec.shape[1]) {
            st = tide_error(TIDE_ERR_DATA, "%s: query vectors have %lld dimensions but %s has %lld", o_query_vectors,
                            (long long)qvec.shape[1], o_item_vectors, (long long)ivec.shape[1]);
            goto done;
        }
        if (have_data && ivec.shape[0] != ds.n_items) {
            st = tide_error(TIDE_ERR_DATA, "%s: %lld rows but --data has %lld items", o_item_vectors, (long long)ivec.shape[0],
                            (long long)ds.n_items);
            goto done;
        }
        if ((st = tide_mf_scorer_vectors(qvec.data, qvec.shape[0], ivec.data, ivec.shape[0], ivec.shape[1], &model))) goto done;
        n_users = qvec.shape[0];
        users = tide_malloc((size_t)n_users * sizeof *users + 1);
        if (!users) {
            st = TIDE_ERR_NOMEM;
            goto done;
        }
        for (int64_t i = 0; i < n_users; i++) users[i] = i;
    } else {
        if ((st = tide_scorer_open(o_model, &model))) goto done;
        if ((st = tide_scorer_check_dataset(model, &ds, o_data, o_allow_new))) goto done;
        if (o_item_vectors) {
            tide_embed_origin origin;
            if ((st = tide_embed_matrix_load(o_item_vectors, &ivec, &origin))) goto done;
            if (origin.has_manifest && origin.kind == TIDE_EMBED_ITEMS && strcmp(origin.dataset_checksum, ds.checksum) != 0) {
                st = tide_error(TIDE_ERR_DATA, "%s was embedded from another dataset (checksum %s) than --data %s (%s)",
                                o_item_vectors, origin.dataset_checksum, o_data, ds.checksum);
                goto done;
            }
            if (ivec.shape[0] != ds.n_items) {
                st = tide_error(TIDE_ERR_DATA, "%s: %lld rows but --data has %lld items", o_item_vectors, (long long)ivec.shape[0],
                                (long long)ds.n_items);
                goto done;
            }
        }
        if (o_users) {
            if ((st = tide_idlist_users(o_users, &ds, &users, &n_users))) goto done;
        } else {
            n_users = ds.n_users;
            users = tide_malloc((size_t)n_users * sizeof *users + 1);
            if (!users) {
                st = TIDE_ERR_NOMEM;
                goto done;
            }
            for (int64_t i = 0; i < n_users; i++) users[i] = i;
        }
        int64_t unknown = 0;
        if (o_exclude && (st = tide_idlist_pairs(o_exclude, &ds, &pu, &pi, &n_pairs, &unknown))) goto done;
        if (unknown)
            tide_log(TIDE_LOG_WARN, "%s: %lld pairs name users or items not in --data (ignored)", o_exclude, (long long)unknown);
        if (!o_keep_seen || n_pairs)
            if ((st = tide_retrieval_exclusions_build(&ds, o_keep_seen, pu, pi, n_pairs, &excl_ptr, &excl_items))) goto done;
    }
    if (o_candidates) {
        if (!have_data) {
            st = tide_error(TIDE_ERR_USAGE, "--candidates names item ids: it needs --data");
            goto done;
        }
        if ((st = tide_idlist_items(o_candidates, &ds, &cand, &n_cand))) goto done;
    }
    if (o_diversity > 0 && !o_item_vectors && !model->info.item_vectors) {
        st = tide_error(TIDE_ERR_USAGE, "--diversity with a %s model needs --item-vectors", model->info.algorithm);
        goto done;
    }

    /* k larger than the candidate set (the allow-list, or a small catalogue) is a property of the
     * data, not a usage mistake: every user gets the whole set, ranked (fewer than k lines),
     * exactly as a user with few eligible items gets a shorter list. */
    int64_t n_set = cand ? n_cand : model->info.n_items;
    if ((int64_t)p.k > n_set && n_set > 0) {
        tide_log(TIDE_LOG_WARN, "--k %d is larger than the %lld candidate items%s: lists have at most %lld items", p.k,
                 (long long)n_set, cand ? " of --candidates" : " of the model", (long long)n_set);
        p.k = (int)n_set;
    }

    /* Shards are contiguous runs of whole user blocks, so each block is scored exactly as in the
     * unsharded run and the shards' outputs concatenate to its bytes. */
    int64_t lo, hi;
    tide_shard_range(shard, n_users, p.user_block, &lo, &hi);

    tide_retrieval_job job;
    memset(&job, 0, sizeof job);
    job.scorer = model;
    job.data = query_mode ? NULL : &ds;
    job.users = users + lo;
    job.n_users = hi - lo;
    job.excl_indptr = excl_ptr;
    job.excl_items = excl_items;
    job.candidates = cand;
    job.n_candidates = n_cand;
    job.item_vectors = ivec.data;
    job.vec_dim = ivec.data ? ivec.shape[1] : 0;
    job.backend = be;

    if ((st = tide_atomic_open(&af, o_out))) goto done;
    opened = 1;
    out_ctx oc = {&af, fmt, query_mode ? NULL : ds.user_ids, have_data ? ds.item_ids : NULL};
    tide_retrieval_stats stats;
    if ((st = tide_retrieval_run(&job, &p, write_sink, &oc, &stats))) goto done;
    if ((st = tide_atomic_commit(&af))) goto done;
    opened = 0;
    tide_log(TIDE_LOG_INFO, "%lld %s in %.2f s (%.0f/s) on %s%s", (long long)stats.users, query_mode ? "queries" : "users", stats.seconds,
             stats.seconds > 0 ? (double)stats.users / stats.seconds : 0.0, tide_backend_name(be),
             o_shard ? ", this shard only" : "");
    if (stats.fast_rows)
        tide_log(TIDE_LOG_INFO, "%lld users through the model's exact pruned top-K: %.1f items scored exactly a user", (long long)stats.fast_rows,
                 (double)stats.rescored / (double)stats.fast_rows);
    if (stats.by_fold_in)
        tide_log(TIDE_LOG_INFO, "%lld users not in the model were folded in from their events in --data", (long long)stats.by_fold_in);
    if (stats.by_popularity)
        tide_log(TIDE_LOG_INFO, "%lld users not in the model (or without events) got popularity recommendations", (long long)stats.by_popularity);
    if (stats.short_lists)
        tide_log(TIDE_LOG_WARN, "%lld users have fewer than %d eligible items: their lists are shorter", (long long)stats.short_lists, o_k);
done:
    if (opened) tide_atomic_abort(&af);
    code = st ? cli_fail(&spec, st) : 0;
    free(users);
    free(pu);
    free(pi);
    free(cand);
    free(excl_ptr);
    free(excl_items);
    tide_scorer_free(model);
    tide_npy_free(&ivec);
    tide_npy_free(&qvec);
    if (have_data) tide_dataset_free(&ds);
    tide_backend_free(be);
    return cli_finish(&spec, code);
}
