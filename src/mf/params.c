/* params.c — algorithm names, default hyper-parameters and their validation for tide_mf. */
#include <math.h>
#include <string.h>

#include "tide/mf.h"

static const char *names[] = {"als", "bpr", "ease", "itemknn", "pop"};

const char *tide_mf_algo_name(tide_mf_algo a) {
    return (unsigned)a < sizeof names / sizeof *names ? names[a] : "?";
}

tide_status tide_mf_algo_parse(const char *s, tide_mf_algo *out) {
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (tide_mf_algo)i;
            return TIDE_OK;
        }
    return tide_error(TIDE_ERR_USAGE, "unknown algorithm '%s' (expected als, bpr, ease, itemknn or pop)", s);
}

tide_mf_params tide_mf_params_default(tide_mf_algo algo) {
    tide_mf_params p;
    memset(&p, 0, sizeof p);
    p.algo = algo;
    /* implicit's defaults: ALS factors 100, reg 0.01, alpha 1, 15 iterations, 3 CG steps;
     * BPR factors 100, lr 0.01, reg 0.01, 100 epochs. */
    p.factors = 100;
    p.iterations = algo == TIDE_MF_BPR ? 100 : 15;
    p.regularization = 0.01;
    p.alpha = 1.0;
    p.solver = TIDE_ALS_CG;
    p.cg_steps = 3;
    p.learning_rate = 0.01;
    p.lambda = 500.0;   /* Steck's EASE: λ in the hundreds for MovieLens-sized data */
    p.neighbors = 20;
    p.similarity = TIDE_KNN_COSINE;
    p.bm25_k1 = 100.0;  /* implicit's BM25Recommender defaults */
    p.bm25_b = 0.8;
    p.init_scale = algo == TIDE_MF_BPR ? 0.01 : 0.01;
    p.patience = 3;
    p.decay.half_life = 0;
    p.decay.as_of_mode = TIDE_ASOF_LATEST;
    p.seed = 42;
    return p;
}

const char *tide_mf_params_check(const tide_mf_params *p) {
    if ((unsigned)p->algo > TIDE_MF_POP) return "unknown algorithm";
    if (p->algo == TIDE_MF_ALS || p->algo == TIDE_MF_BPR) {
        if (p->factors < 1 || p->factors > 4096) return "--factors must be between 1 and 4096";
        if (p->iterations < 1 || p->iterations > 1000000) return "--iterations must be between 1 and 1000000";
        if (!(p->regularization >= 0) || !isfinite(p->regularization)) return "--regularization must be a finite number >= 0";
        if (!(p->init_scale > 0) || !isfinite(p->init_scale)) return "initial factor scale must be > 0";
    }
    if (p->algo == TIDE_MF_ALS) {
        if (!(p->alpha >= 0) || !isfinite(p->alpha)) return "--alpha must be a finite number >= 0";
        if (p->solver != TIDE_ALS_CG && p->solver != TIDE_ALS_CHOLESKY) return "--solver must be cg or cholesky";
        if (p->cg_steps < 1 || p->cg_steps > 1000) return "--cg-steps must be between 1 and 1000";
        if (p->solver == TIDE_ALS_CHOLESKY && !(p->regularization > 0))
            return "--solver cholesky needs --regularization > 0 (the system must be positive definite)";
    }
    if (p->algo == TIDE_MF_BPR) {
        if (!(p->learning_rate > 0) || !isfinite(p->learning_rate) || p->learning_rate > 10)
            return "--learning-rate must be in (0, 10]";
    }
    if (p->algo == TIDE_MF_EASE && (!(p->lambda > 0) || !isfinite(p->lambda)))
        return "--lambda must be a finite number > 0";
    if (p->algo == TIDE_MF_ITEMKNN) {
        if (p->neighbors < 1 || p->neighbors > 100000) return "--neighbors must be between 1 and 100000";
        if (p->similarity != TIDE_KNN_COSINE && p->similarity != TIDE_KNN_BM25) return "--similarity must be cosine or bm25";
        if (!(p->bm25_k1 > 0) || !isfinite(p->bm25_k1)) return "--bm25-k1 must be > 0";
        if (!(p->bm25_b >= 0 && p->bm25_b <= 1)) return "--bm25-b must be in [0, 1]";
    }
    if (p->fold_in && p->algo != TIDE_MF_ALS) return "--fold-in applies to als only";
    if (p->decay_preference && !(p->algo == TIDE_MF_ALS && p->fold_in && p->decay.half_life > 0))
        return "--decay-preference applies to als --fold-in with --half-life";
    if (p->decay_fit && !(p->algo == TIDE_MF_EASE || p->algo == TIDE_MF_ITEMKNN || (p->algo == TIDE_MF_ALS && p->fold_in)))
        return "--decay-fit applies to ease, itemknn and als --fold-in (the others always fit on the decayed weights)";
    if (p->kernel != TIDE_KERNEL_TWO_SIDED && p->kernel != TIDE_KERNEL_PAST) return "bad --decay-kernel";
    if (p->patience < 1) return "--patience must be >= 1";
    if (!(p->decay.half_life >= 0) || !isfinite(p->decay.half_life)) return "--half-life must be a positive duration";
    if (p->decay.as_of_mode > TIDE_ASOF_USER) return "bad --as-of mode";
    return NULL;
}
