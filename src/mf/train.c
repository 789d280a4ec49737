/* train.c — the training driver behind tide-train-mf: weights, the iteration loop (ALS
 * half-iterations exchanged across MPI ranks, BPR epochs), per-iteration objective and
 * validation NDCG@10/recall@10, early stopping on the best validation iteration, periodic
 * checkpoints and resume; the one-shot models (EASE, item-kNN, popularity) in one step. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tide/fileio.h"
#include "mf-internal.h"

#define VALID_K 10

static tide_status check_dataset(const tide_mf_params *p, const tide_dataset *ds) {
    if (ds->n_users == 0 || ds->n_items == 0 || ds->nnz == 0)
        return tide_error(TIDE_ERR_DATA, "the training dataset is empty (%lld users, %lld items, %lld interactions)",
                          (long long)ds->n_users, (long long)ds->n_items, (long long)ds->nnz);
    if (!ds->item_indptr) return tide_error(TIDE_ERR_INTERNAL, "dataset lacks its item-major copy");
    int64_t active = tide_dataset_items_with_interactions(ds);
    if ((p->algo == TIDE_MF_ALS || p->algo == TIDE_MF_BPR) && p->factors > active)
        return tide_error(TIDE_ERR_USAGE, "--factors %d is larger than the %lld items with interactions: the factors "
                          "would be underdetermined; use at most %lld", p->factors, (long long)active, (long long)active);
    if (p->algo == TIDE_MF_BPR && active < 2)
        return tide_error(TIDE_ERR_DATA, "BPR needs at least two items with interactions");
    int64_t empty_users = 0;
    for (int64_t u = 0; u < ds->n_users; u++) empty_users += ds->indptr[u + 1] == ds->indptr[u];
    if (empty_users)
        tide_log(TIDE_LOG_WARN, "%lld of %lld users have no training events: their factors stay zero (ALS) and "
                 "their scores come from the other users only", (long long)empty_users, (long long)ds->n_users);
    if (active < ds->n_items)
        tide_log(TIDE_LOG_WARN, "%lld of %lld items have no training events: they get zero factors/scores",
                 (long long)(ds->n_items - active), (long long)ds->n_items);
    return TIDE_OK;
}

static tide_status check_valid(const tide_dataset *train, const tide_dataset *valid) {
    if (valid->n_users != train->n_users || valid->n_items != train->n_items)
        return tide_error(TIDE_ERR_DATA, "--valid: %lld users × %lld items, but the training data has %lld × %lld "
                          "(train and valid must come from one tide-split)", (long long)valid->n_users,
                          (long long)valid->n_items, (long long)train->n_users, (long long)train->n_items);
    for (int64_t u = 0; u < train->n_users; u++)
        if (strcmp(train->user_ids[u], valid->user_ids[u]) != 0)
            return tide_error(TIDE_ERR_DATA, "--valid: user %lld is '%s' there but '%s' in the training data "
                              "(train and valid must share one id space)", (long long)u, valid->user_ids[u], train->user_ids[u]);
    for (int64_t i = 0; i < train->n_items; i++)
        if (strcmp(train->item_ids[i], valid->item_ids[i]) != 0)
            return tide_error(TIDE_ERR_DATA, "--valid: item %lld is '%s' there but '%s' in the training data "
                              "(train and valid must share one id space)", (long long)i, valid->item_ids[i], train->item_ids[i]);
    return TIDE_OK;
}

/* Factor matrices start on a cache line: a 64-float row is then exactly four lines, and
 * ALS's scattered row reads fetch four lines instead of five. */
static float *alloc_rows(size_t n_floats) {
    size_t bytes = (n_floats * sizeof(float) + 64) / 64 * 64;
    float *f = aligned_alloc(64, bytes);
    if (!f) tide_error(TIDE_ERR_NOMEM, "out of memory (%zu bytes)", bytes);
    return f;
}

/* CPU seconds of the whole process (all threads), for the debug log: on a shared machine it
 * shows the work an iteration took where wall time shows the contention. */
static double cpu_seconds(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0) return 0;
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double sumsq(const float *a, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * a[i];
    return s;
}

/* Validation of the current factors, logged and recorded in `entry`. */
static tide_status validate_into(tide_mf_model *view, const tide_dataset *train, const tide_dataset *valid, cJSON *entry,
                                 double *ndcg) {
    double nd, rc;
    int64_t n;
    tide_status st = tide_mf_validate(view, train, valid, VALID_K, &nd, &rc, &n);
    if (st) return st;
    cJSON_AddNumberToObject(entry, "valid_ndcg@10", nd);
    cJSON_AddNumberToObject(entry, "valid_recall@10", rc);
    cJSON_AddNumberToObject(entry, "valid_users", (double)n);
    *ndcg = nd;
    return TIDE_OK;
}

/* `uw`/`iw` are the weights the factors are fitted on; `hw` the history weights validation
 * folds users in from (ALS with fold_in; the decayed weights). */
static tide_status train_iterative(const tide_mf_params *p, const tide_dataset *ds, const tide_mf_train_opts *o,
                                   const float *uw, const float *iw, const float *hw, tide_mf_model *m) {
    tide_status st = TIDE_OK;
    int k = p->factors, als = p->algo == TIDE_MF_ALS;
    int64_t nu = ds->n_users, ni = ds->n_items;
    size_t su = (size_t)nu * k, si = (size_t)ni * k;
    int rank = tide_mf_dist_rank(), size = tide_mf_dist_size();
    tide_mf_state s;
    memset(&s, 0, sizeof s);
    float *YtY = NULL;
    double *rowloss = NULL;
    tide_bpr_state *bpr = NULL;
    s.U = alloc_rows(su);
    s.V = alloc_rows(si);
    s.log = cJSON_CreateArray();
    if (!als) s.bias = tide_calloc((size_t)ni + 1, sizeof(float));
    if (o->valid) {
        s.bU = tide_calloc(su + 1, sizeof(float));
        s.bV = tide_calloc(si + 1, sizeof(float));
        if (!als) s.bbias = tide_calloc((size_t)ni + 1, sizeof(float));
    }
    YtY = tide_malloc((size_t)k * k * sizeof(float));
    if (als && !(rowloss = tide_malloc(((size_t)ni + 1) * sizeof *rowloss))) {
        st = TIDE_ERR_NOMEM;
        goto done;
    }
    if (!s.U || !s.V || !s.log || (!als && !s.bias) || (o->valid && (!s.bU || !s.bV || (!als && !s.bbias))) || !YtY) {
        st = tide_error(TIDE_ERR_NOMEM, "out of memory for %lld×%d and %lld×%d factors", (long long)nu, k, (long long)ni, k);
        goto done;
    }
    int resumed = 0;
    if (o->resume && o->checkpoint_dir) {
        char *sp = tide_path_join(o->checkpoint_dir, "state.json");
        int have = sp && tide_path_exists(sp);
        free(sp);
        if (have) {
            if ((st = tide_mf_checkpoint_load(o->checkpoint_dir, p, ds->checksum, nu, ni, &s))) goto done;
            resumed = 1;
            tide_log(TIDE_LOG_INFO, "resuming from %s after iteration %d", o->checkpoint_dir, s.iteration);
        } else {
            tide_log(TIDE_LOG_WARN, "--resume: no checkpoint in %s, starting from the beginning", o->checkpoint_dir);
        }
    }
    if (!resumed) {
        /* ALS starts users and items small and positive (implicit does the same); BPR symmetric. */
        tide_mf_init_factors(s.U, nu, k, p->init_scale, !als, p->seed, 1);
        tide_mf_init_factors(s.V, ni, k, p->init_scale, !als, p->seed, 2);
    }
    if (!als && (st = tide_bpr_init(ds, uw, o->threads > 0 ? o->threads : tide_threads_get(), &bpr))) goto done;
    int64_t ulo, uhi, ilo, ihi;
    tide_mf_dist_range(nu, rank, size, &ulo, &uhi);
    tide_mf_dist_range(ni, rank, size, &ilo, &ihi);
    tide_mf_model view;
    memset(&view, 0, sizeof view);
    view.algo = p->algo;
    view.n_users = nu;
    view.n_items = ni;
    view.factors = k;
    view.user_factors = s.U;
    view.item_factors = s.V;
    view.item_bias = s.bias;
    view.params = *p;
    int stopped_early = 0;
    if (als) tide_als_gram(s.V, ni, k, p->regularization, YtY);
    for (int it = s.iteration + 1; it <= p->iterations; it++) {
        double t0 = tide_now();
        cJSON *e = cJSON_CreateObject();
        if (!e) { st = tide_error(TIDE_ERR_NOMEM, "out of memory"); goto done; }
        cJSON_AddItemToArray(s.log, e);
        cJSON_AddNumberToObject(e, "iteration", it);
        double loss;
        if (als) {
            /* Users against the item Gram matrix (computed at the end of the previous
             * iteration), then items against the users'. */
            double tu = tide_now(), cu = cpu_seconds();
            if ((st = tide_als_solve_rows(p, YtY, s.V, k, ds->indptr, ds->items, uw, ulo, uhi, s.U, NULL)) ||
                (st = tide_mf_dist_allgather_rows(s.U, nu, k)))
                goto done;
            double tg = tide_now();
            tide_als_gram(s.U, nu, k, p->regularization, YtY);
            double ti = tide_now();
            /* The item step also yields the objective at (U, new V), by items. */
            if ((st = tide_als_solve_rows(p, YtY, s.U, k, ds->item_indptr, ds->item_users, iw, ilo, ihi, s.V, rowloss)) ||
                (st = tide_mf_dist_allgather_rows(s.V, ni, k)))
                goto done;
            double tg2 = tide_now();
            tide_als_gram(s.V, ni, k, p->regularization, YtY);
            tide_log(TIDE_LOG_DEBUG, "iteration %d: user step %.3fs, item step %.3fs, Gram matrices %.3fs; "
                     "process CPU %.3fs", it, tg - tu, tg2 - ti, (ti - tg) + (tide_now() - tg2), cpu_seconds() - cu);
            double parts[1] = {0};
            for (int64_t i = 0; i < ihi - ilo; i++) parts[0] += rowloss[i];
            if ((st = tide_mf_dist_sum(parts, 1))) goto done;
            loss = (parts[0] + p->regularization * sumsq(s.U, su)) / ((double)nu * (double)ni);
            cJSON_AddNumberToObject(e, "loss", loss);
        } else {
            double acc;
            if ((st = tide_bpr_epoch(bpr, p, it, s.U, s.V, s.bias, &loss, &acc))) goto done;
            cJSON_AddNumberToObject(e, "loss", loss);
            cJSON_AddNumberToObject(e, "accuracy", acc);
        }
        double train_s = tide_now() - t0;
        cJSON_AddNumberToObject(e, "seconds", train_s);
        double nd = 0;
        if (o->valid) {
            if ((st = validate_into(&view, ds, o->valid, e, &nd))) goto done;
            if (s.best_iteration == 0 || nd > s.best_ndcg) {
                s.best_iteration = it;
                s.best_ndcg = nd;
                memcpy(s.bU, s.U, su * sizeof(float));
                memcpy(s.bV, s.V, si * sizeof(float));
                if (s.bias) memcpy(s.bbias, s.bias, (size_t)ni * sizeof(float));
            }
            tide_log(TIDE_LOG_INFO, "iteration %d/%d: loss %.6g, %.3fs, valid NDCG@10 %.4f recall@10 %.4f%s", it,
                     p->iterations, loss, train_s, nd, cJSON_GetNumberValue(cJSON_GetObjectItem(e, "valid_recall@10")),
                     s.best_iteration == it ? " (best)" : "");
        } else {
            tide_log(TIDE_LOG_INFO, "iteration %d/%d: loss %.6g, %.3fs", it, p->iterations, loss, train_s);
        }
        s.iteration = it;
        if (o->valid && it - s.best_iteration >= p->patience && it < p->iterations) {
            tide_log(TIDE_LOG_INFO, "early stop: no better valid NDCG@10 for %d iterations; keeping iteration %d",
                     p->patience, s.best_iteration);
            stopped_early = 1;
        }
        if (o->checkpoint_dir && o->checkpoint_every > 0 && it % o->checkpoint_every == 0 && it < p->iterations &&
            !stopped_early && rank == 0) {
            if ((st = tide_mf_checkpoint_save(o->checkpoint_dir, p, ds->checksum, nu, ni, &s))) goto done;
            tide_log(TIDE_LOG_DEBUG, "checkpoint after iteration %d in %s", it, o->checkpoint_dir);
        }
        if (stopped_early) break;
    }
    m->iterations_run = s.iteration;
    if (o->valid && s.best_iteration > 0) {
        m->best_iteration = s.best_iteration;
        m->best_ndcg = s.best_ndcg;
        m->user_factors = s.bU;
        m->item_factors = s.bV;
        m->item_bias = s.bbias;
        s.bU = s.bV = s.bbias = NULL;
    } else {
        m->user_factors = s.U;
        m->item_factors = s.V;
        m->item_bias = s.bias;
        s.U = s.V = s.bias = NULL;
    }
    m->log = s.log;
    s.log = NULL;
done:
    free(s.U); free(s.V); free(s.bias); free(s.bU); free(s.bV); free(s.bbias);
    if (s.log) cJSON_Delete(s.log);
    free(YtY);
    free(rowloss);
    tide_bpr_free(bpr);
    return st;
}

/* `uw`/`iw` are the decayed weights; `fw`/`fiw` the weights the item-item model is fitted on
 * (the same, or undecayed for ease/itemknn without --decay-fit). Validation scores each user's
 * history with the decayed weights, as tide-recommend does. */
static tide_status train_oneshot(const tide_mf_params *p, const tide_dataset *ds, const tide_mf_train_opts *o,
                                 const float *uw, const float *iw, const float *fw, const float *fiw,
                                 tide_mf_model *m) {
    tide_status st = TIDE_OK;
    double t0 = tide_now();
    switch (p->algo) {
    case TIDE_MF_EASE:
        st = tide_ease_fit(ds, fw, p->lambda, o->max_memory, &m->item_matrix);
        break;
    case TIDE_MF_ITEMKNN:
        st = tide_itemknn_fit(ds, fw, fiw, p, &m->nb_indptr, &m->nb_items, &m->nb_sims);
        break;
    case TIDE_MF_POP:
        if (p->decay.half_life > 0 && p->decay.as_of_mode == TIDE_ASOF_USER) {
            /* Contextual popularity: the events per item are the model; `popularity` holds the
             * scores at the data's latest time, for users without events of their own. */
            tide_pop_context pc;
            if ((st = tide_pop_events(ds, &m->ev_indptr, &m->ev_times, &m->ev_weights))) break;
            if ((st = tide_pop_context_init(&pc, ds->n_items, p->decay.half_life, p->kernel, m->ev_indptr,
                                            m->ev_times, m->ev_weights, "training events")))
                break;
            if (!(m->popularity = tide_malloc((size_t)ds->n_items * sizeof *m->popularity + 1))) st = TIDE_ERR_NOMEM;
            else tide_pop_context_score(&pc, pc.latest, m->popularity);
            tide_pop_context_free(&pc);
        } else {
            st = tide_pop_fit(ds, iw, &m->popularity);
        }
        break;
    default:
        st = tide_error(TIDE_ERR_INTERNAL, "not a one-shot algorithm");
    }
    if (st) return st;
    cJSON *log = cJSON_CreateArray(), *e = cJSON_CreateObject();
    if (!log || !e) {
        cJSON_Delete(log);
        cJSON_Delete(e);
        return tide_error(TIDE_ERR_NOMEM, "out of memory");
    }
    cJSON_AddItemToArray(log, e);
    m->log = log;
    cJSON_AddNumberToObject(e, "iteration", 1);
    cJSON_AddNumberToObject(e, "seconds", tide_now() - t0);
    m->iterations_run = 1;
    if (o->valid) {
        double nd;
        if ((st = validate_into(m, ds, o->valid, e, &nd))) return st;
        m->best_iteration = 1;
        m->best_ndcg = nd;
        tide_log(TIDE_LOG_INFO, "%s: %.3fs, valid NDCG@10 %.4f recall@10 %.4f", tide_mf_algo_name(p->algo),
                 cJSON_GetNumberValue(cJSON_GetObjectItem(e, "seconds")), nd,
                 cJSON_GetNumberValue(cJSON_GetObjectItem(e, "valid_recall@10")));
    } else {
        tide_log(TIDE_LOG_INFO, "%s: %.3fs", tide_mf_algo_name(p->algo), cJSON_GetNumberValue(cJSON_GetObjectItem(e, "seconds")));
    }
    return TIDE_OK;
}

tide_status tide_mf_train(const tide_mf_params *p, const tide_dataset *ds, const tide_mf_train_opts *o,
                          tide_mf_model *m) {
    memset(m, 0, sizeof *m);
    const char *msg = tide_mf_params_check(p);
    if (msg) return tide_error(TIDE_ERR_USAGE, "%s", msg);
    tide_status st = check_dataset(p, ds);
    if (st) return st;
    if (o->valid && (st = check_valid(ds, o->valid))) return st;
    if (tide_mf_dist_size() > 1 && p->algo != TIDE_MF_ALS)
        return tide_error(TIDE_ERR_USAGE, "running under MPI with %d ranks: only --algo als is distributed "
                          "(run %s as a single process)", tide_mf_dist_size(), tide_mf_algo_name(p->algo));
    double t0 = tide_now();
    float *uw = NULL, *iw = NULL, *fw = NULL, *fiw = NULL;
    const float *uwr = NULL, *iwr = NULL;
    if (p->algo == TIDE_MF_ALS && !(p->decay.half_life > 0)) {
        /* Undecayed ALS trains on the dataset's own weights (memory-mapped, both orders):
         * two nnz-sized copies less in memory. */
        st = tide_mf_weights_shared(ds, &uwr, &iwr);
        if (st && st != TIDE_ERR_USAGE) return st;
    }
    if (!uwr) {
        if ((st = tide_mf_weights(ds, &p->decay, &uw, &iw))) return st;
        uwr = uw;
        iwr = iw;
    }
    int history_model = p->algo == TIDE_MF_EASE || p->algo == TIDE_MF_ITEMKNN || (p->algo == TIDE_MF_ALS && p->fold_in);
    if (history_model && p->decay.half_life > 0 && !p->decay_fit) {
        /* The item-item model (ALS with fold-in: the item factors) learns from every event at
         * full weight; recency enters through the history it is applied to. */
        tide_mf_decay none = {0, TIDE_ASOF_LATEST, 0};
        if ((st = tide_mf_weights(ds, &none, &fw, &fiw))) {
            free(uw);
            free(iw);
            return st;
        }
    }
    m->algo = p->algo;
    m->params = *p;
    m->n_users = ds->n_users;
    m->n_items = ds->n_items;
    m->factors = p->algo == TIDE_MF_ALS || p->algo == TIDE_MF_BPR ? p->factors : 0;
    memcpy(m->dataset_checksum, ds->checksum, sizeof m->dataset_checksum);
    if (p->algo == TIDE_MF_ALS || p->algo == TIDE_MF_BPR) st = train_iterative(p, ds, o, fw ? fw : uwr, fiw ? fiw : iwr, uwr, m);
    else st = train_oneshot(p, ds, o, uwr, iwr, fw ? fw : uwr, fiw ? fiw : iwr, m);
    free(uw);
    free(iw);
    free(fw);
    free(fiw);
    m->wall_time = tide_now() - t0;
    if (st) tide_mf_model_free(m);
    return st;
}
