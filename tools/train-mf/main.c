/* tide-train-mf — train a collaborative-filtering model (ALS, BPR, EASE, item-kNN, popularity)
 * on a dataset directory and write a model directory. Options and exit codes:
 * docs/tide-train-mf.md. All the work is in libtide (tide/mf.h); this file maps flags to
 * tide_mf_params, and under MPI (built with -DTIDE_MPI=ON, run by mpirun) sets up the ranks. */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tide/fileio.h"
#include "tide/mf.h"
#include "tide/timeparse.h"
#ifdef TIDE_USE_MPI
#include <mpi.h>
#endif

static const char *details =
    "Algorithms: als (implicit ALS, confidence 1 + alpha*w; --solver cg|cholesky), bpr (stratified\n"
    "lock-free SGD), ease (closed form, items^2 floats of memory), itemknn (--similarity cosine|bm25),\n"
    "pop (popularity). --half-life applies w *= 2^(-(t_ref - t)/half_life) to every interaction (als,\n"
    "bpr, pop: in the fit; ease, itemknn: to the user's history when scoring, and with --decay-fit\n"
    "to the fit too),\n"
    "t_ref = --as-of: 'latest' (the dataset's last event, default), 'user' (each user's last event),\n"
    "epoch seconds or YYYY-MM-DD[THH:MM:SS] (UTC).\n"
    "pop --as-of user is contextual popularity: item i scores sum_e w_e 2^(-|t_u - t_e|/half_life) over\n"
    "its events, t_u = the user's last event (--decay-kernel past: only events up to t_u).\n"
    "als --fold-in scores every user by folding in their (decayed) history against the item factors,\n"
    "which are then fitted on undecayed weights unless --decay-fit; --decay-preference makes the decay\n"
    "scale each event's preference too (p = decay, c = 1 + alpha*w), so old events fade out.\n"
    "With --valid, NDCG@10 and recall@10 are printed per iteration and the best iteration is kept\n"
    "(early stop after --patience iterations without improvement). Checkpoints go to --checkpoint-dir\n"
    "(default OUT.checkpoint) every --checkpoint-every iterations; --resume continues from there.\n"
    "Built with MPI, `mpirun -np P tide-train-mf --algo als ...` splits users and items over ranks.\n"
    "Exit codes: 0 ok, 1 runtime failure (I/O, memory), 2 usage error, 3 bad input data.";

static int parse_bytes(const char *s, size_t *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v > 0)) return -1;
    double mul = 1;
    switch (toupper((unsigned char)*end)) {
    case 0: break;
    case 'K': mul = 1024.0; end++; break;
    case 'M': mul = 1024.0 * 1024; end++; break;
    case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
    case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end) return -1;
    *out = (size_t)(v * mul);
    return 0;
}

static int run(int argc, char **argv, int rank) {
    const char *why_t = NULL; /* time arguments: tide_duration_parse / tide_decay_asof_parse */
    const char *algo = "als", *data = NULL, *out = NULL, *valid = NULL, *solver = NULL, *half_life = NULL;
    const char *as_of = NULL, *similarity = NULL, *ckpt_dir = NULL, *max_mem = NULL;
    int factors = -1, iterations = -1, cg_steps = -1, neighbors = -1, ckpt_every = 0, resume = 0, patience = -1;
    int decay_fit = 0, fold_in = 0, decay_pref = 0;
    const char *kernel = NULL;
    double reg = NAN, alpha = NAN, lr = NAN, lambda = NAN, k1 = NAN, b = NAN, init_scale = NAN;
    cli_opt opts[] = {
        {"algo", 'a', CLI_STRING, &algo, "NAME", "als (default), bpr, ease, itemknn or pop"},
        {"data", 'd', CLI_STRING, &data, "DIR", "training dataset directory (required)"},
        {"out", 'o', CLI_STRING, &out, "DIR", "model directory to write (required)"},
        {"factors", 0, CLI_INT, &factors, "N", "als/bpr: latent factors (default 100)"},
        {"iterations", 0, CLI_INT, &iterations, "N", "als: iterations (default 15); bpr: epochs (default 100)"},
        {"regularization", 0, CLI_DOUBLE, &reg, "X", "als/bpr: L2 regularisation (default 0.01)"},
        {"alpha", 0, CLI_DOUBLE, &alpha, "X", "als: confidence 1 + alpha*w (default 1)"},
        {"solver", 0, CLI_STRING, &solver, "cg|cholesky", "als: conjugate gradient (default) or exact"},
        {"cg-steps", 0, CLI_INT, &cg_steps, "N", "als: CG steps per solve, warm-started (default 3)"},
        {"learning-rate", 0, CLI_DOUBLE, &lr, "X", "bpr: SGD learning rate (default 0.01)"},
        {"lambda", 0, CLI_DOUBLE, &lambda, "X", "ease: L2 regularisation (default 500)"},
        {"neighbors", 0, CLI_INT, &neighbors, "N", "itemknn: neighbours kept per item (default 20)"},
        {"similarity", 0, CLI_STRING, &similarity, "cosine|bm25", "itemknn: similarity (default cosine)"},
        {"bm25-k1", 0, CLI_DOUBLE, &k1, "X", "itemknn bm25: K1 (default 100)"},
        {"bm25-b", 0, CLI_DOUBLE, &b, "X", "itemknn bm25: B (default 0.8)"},
        {"init-scale", 0, CLI_DOUBLE, &init_scale, "X", "als/bpr: initial factor scale (default 0.01)"},
        {"half-life", 0, CLI_STRING, &half_life, "DUR", "time decay half-life, e.g. 30d, 12h (default: none)"},
        {"as-of", 0, CLI_STRING, &as_of, "T", "decay reference: latest (default), user, epoch seconds or a date"},
        {"decay-fit", 0, CLI_FLAG, &decay_fit, NULL, "ease/itemknn/als --fold-in: fit on decayed weights too (default: decay the history only)"},
        {"decay-kernel", 0, CLI_STRING, &kernel, "two-sided|past", "pop --as-of user: events on both sides of the user's time (default) or only before"},
        {"fold-in", 0, CLI_FLAG, &fold_in, NULL, "als: score users by folding in their decayed history (tide_mf_fold_in)"},
        {"decay-preference", 0, CLI_FLAG, &decay_pref, NULL, "als --fold-in: the decay scales each event's preference too (old events fade)"},
        {"valid", 0, CLI_STRING, &valid, "DIR", "validation split: NDCG@10/recall@10 per iteration, keep the best"},
        {"patience", 0, CLI_INT, &patience, "N", "with --valid: stop after N iterations without a new best (default 3)"},
        {"checkpoint-every", 0, CLI_INT, &ckpt_every, "N", "als/bpr: write a checkpoint every N iterations"},
        {"checkpoint-dir", 0, CLI_STRING, &ckpt_dir, "DIR", "checkpoint directory (default OUT.checkpoint)"},
        {"resume", 0, CLI_FLAG, &resume, NULL, "continue from the checkpoint if there is one"},
        {"max-memory", 0, CLI_STRING, &max_mem, "BYTES", "ease: memory it may use, e.g. 8G (default: available RAM)"},
        {0}};
    cli_spec spec = {"tide-train-mf", "train a collaborative-filtering model (ALS, BPR, EASE, item-kNN, popularity)",
                     "--data DIR --out DIR [options]", details, opts, 0, 0};
    cli_common c;
    int r = cli_parse(&spec, argc, argv, &c);
    if (r >= 0) {
        return r;
    }
    if ((r = cli_blas_prepare(&spec, &c)) >= 0) return r;
    if (rank != 0) tide_log_set(NULL, NULL, TIDE_LOG_ERROR);
    int code = 0;
    tide_dataset ds, vds;
    memset(&ds, 0, sizeof ds);
    memset(&vds, 0, sizeof vds);
    tide_mf_model m;
    memset(&m, 0, sizeof m);
    char *ckpt_default = NULL;
    tide_mf_algo a;
    tide_status st;
    if (!data || !out) { code = cli_usage_error(&spec, "--data and --out are required"); goto done; }
    if ((st = tide_mf_algo_parse(algo, &a))) { code = cli_fail(&spec, st); goto done; }
    tide_mf_params p = tide_mf_params_default(a);
    p.seed = c.seed;
    if (factors != -1) p.factors = factors;
    if (iterations != -1) p.iterations = iterations;
    if (cg_steps != -1) p.cg_steps = cg_steps;
    if (neighbors != -1) p.neighbors = neighbors;
    if (patience != -1) p.patience = patience;
    if (reg == reg) p.regularization = reg;
    if (alpha == alpha) p.alpha = alpha;
    if (lr == lr) p.learning_rate = lr;
    if (lambda == lambda) p.lambda = lambda;
    if (k1 == k1) p.bm25_k1 = k1;
    if (b == b) p.bm25_b = b;
    if (init_scale == init_scale) p.init_scale = init_scale;
    if (solver) {
        if (strcmp(solver, "cg") == 0) p.solver = TIDE_ALS_CG;
        else if (strcmp(solver, "cholesky") == 0) p.solver = TIDE_ALS_CHOLESKY;
        else { code = cli_usage_error(&spec, "--solver must be cg or cholesky, got '%s'", solver); goto done; }
    }
    if (similarity) {
        if (strcmp(similarity, "cosine") == 0) p.similarity = TIDE_KNN_COSINE;
        else if (strcmp(similarity, "bm25") == 0) p.similarity = TIDE_KNN_BM25;
        else { code = cli_usage_error(&spec, "--similarity must be cosine or bm25, got '%s'", similarity); goto done; }
    }
    if (half_life && (tide_duration_parse(half_life, &p.decay.half_life, &why_t) != 0 || !(p.decay.half_life > 0))) {
        code = cli_usage_error(&spec, "--half-life expects a positive duration such as 30d or 12h (docs/time-arguments.md), got '%s'", half_life);
        goto done;
    }
    if (as_of && tide_decay_asof_parse(as_of, &p.decay, &why_t) != 0) {
        code = cli_usage_error(&spec, "--as-of expects latest, user, epoch seconds or an ISO-8601 date/time (docs/time-arguments.md), got '%s'", as_of);
        goto done;
    }
    if (as_of && !half_life) { code = cli_usage_error(&spec, "--as-of needs --half-life"); goto done; }
    if (decay_fit && !half_life) { code = cli_usage_error(&spec, "--decay-fit needs --half-life"); goto done; }
    p.decay_fit = decay_fit;
    p.fold_in = fold_in;
    p.decay_preference = decay_pref;
    if (kernel) {
        if (tide_decay_kernel_parse(kernel, &p.kernel) != 0) {
            code = cli_usage_error(&spec, "--decay-kernel must be two-sided or past, got '%s'", kernel);
            goto done;
        }
        if (a != TIDE_MF_POP || p.decay.as_of_mode != TIDE_ASOF_USER || !half_life) {
            code = cli_usage_error(&spec, "--decay-kernel applies to --algo pop with --half-life and --as-of user");
            goto done;
        }
    }
    if (ckpt_every < 0) { code = cli_usage_error(&spec, "--checkpoint-every must be >= 0"); goto done; }
    size_t max_bytes = 0;
    if (max_mem && parse_bytes(max_mem, &max_bytes) != 0) {
        code = cli_usage_error(&spec, "--max-memory expects a size such as 512M or 8G, got '%s'", max_mem);
        goto done;
    }
    const char *msg = tide_mf_params_check(&p);
    if (msg) { code = cli_usage_error(&spec, "%s", msg); goto done; }
    int iterative = a == TIDE_MF_ALS || a == TIDE_MF_BPR;
    if ((ckpt_every || resume) && !iterative)
        tide_log(TIDE_LOG_WARN, "--checkpoint-every/--resume apply to als and bpr only; %s trains in one step", algo);
    if (!ckpt_dir && iterative && (ckpt_every || resume)) {
        size_t n = strlen(out);
        while (n > 1 && out[n - 1] == '/') n--;
        if (asprintf(&ckpt_default, "%.*s.checkpoint", (int)n, out) < 0) {
            ckpt_default = NULL;
            code = cli_fail(&spec, tide_error(TIDE_ERR_NOMEM, "out of memory"));
            goto done;
        }
        ckpt_dir = ckpt_default;
    }
    if ((st = tide_dataset_load(data, &ds))) { code = cli_fail(&spec, st); goto done; }
    if (valid && (st = tide_dataset_load(valid, &vds))) { code = cli_fail(&spec, st); goto done; }
    tide_mf_train_opts o;
    memset(&o, 0, sizeof o);
    o.dataset_path = data;
    o.valid = valid ? &vds : NULL;
    o.checkpoint_dir = iterative ? ckpt_dir : NULL;
    o.checkpoint_every = ckpt_every;
    o.resume = resume;
    o.threads = c.threads;
    o.max_memory = max_bytes;
    if ((st = tide_mf_train(&p, &ds, &o, &m))) { code = cli_fail(&spec, st); goto done; }
    if (rank == 0) {
        if ((st = tide_mf_model_save(out, &m, data, NULL))) { code = cli_fail(&spec, st); goto done; }
        if (o.checkpoint_dir && tide_is_dir(o.checkpoint_dir)) tide_rmtree(o.checkpoint_dir);
        tide_log(TIDE_LOG_INFO, "wrote %s (%s, %d iteration%s, %.2fs)", out, algo, m.iterations_run,
                 m.iterations_run == 1 ? "" : "s", m.wall_time);
    }
done:
    tide_mf_model_free(&m);
    tide_dataset_free(&ds);
    tide_dataset_free(&vds);
    free(ckpt_default);
    return cli_finish(&spec, code);
}

int main(int argc, char **argv) {
    int rank = 0;
#ifdef TIDE_USE_MPI
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
#endif
    int code = run(argc, argv, rank);
#ifdef TIDE_USE_MPI
    /* A rank that failed alone would leave the others waiting in a collective. */
    int worst = code;
    MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    code = worst;
#endif
    return code;
}
