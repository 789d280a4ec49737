/* model.c — loads a sentence-transformers folder: the module list, the BERT config, the pooling
 * and tokenizer settings, and the weights (any "bert." prefix, LayerNorm weight/bias or
 * gamma/beta), checking every shape against config.json. Nothing model-specific is hard-coded:
 * a folder that asks for something tide does not implement is an error that says what. */
#define _GNU_SOURCE
#include "lm-impl.h"
#include "tide/fileio.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tide_status read_json(const char *path, cJSON **out) {
    *out = NULL;
    char *text = NULL;
    size_t n = 0;
    tide_status s = tide_read_file(path, &text, &n);
    if (s) return s;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, n, &end, 0);
    if (!j) {
        /* report a line number for the error */
        size_t at = end ? (size_t)(end - text) : 0, line = 1;
        for (size_t i = 0; i < at && i < n; i++) line += text[i] == '\n';
        free(text);
        return tide_error(TIDE_ERR_DATA, "%s:%zu: invalid JSON", path, line);
    }
    free(text);
    *out = j;
    return TIDE_OK;
}

static tide_status get_int(const cJSON *o, const char *path, const char *key, int required, int dflt, int lo, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return tide_error(TIDE_ERR_DATA, "%s: missing \"%s\"", path, key);
        *out = dflt;
        return TIDE_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble || v->valuedouble < lo)
        return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be an integer >= %d", path, key, lo);
    *out = (int)v->valuedouble;
    return TIDE_OK;
}

/* -1 when absent or null, else 0/1; a non-boolean is an error. */
static tide_status get_bool(const cJSON *o, const char *path, const char *key, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        *out = -1;
        return TIDE_OK;
    }
    if (!cJSON_IsBool(v)) return tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be true, false or null", path, key);
    *out = cJSON_IsTrue(v);
    return TIDE_OK;
}

/* A special token given as a string or as {"content": "..."} (AddedToken). */
static const char *get_token(const cJSON *o, const char *key, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsObject(v)) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "content");
        if (cJSON_IsString(c)) return c->valuestring;
    }
    return dflt;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static tide_status keep(tide_lm *lm, float *p) {
    if (!p) return TIDE_OK;
    if (lm->n_owned == lm->cap_owned) {
        int nc = lm->cap_owned ? lm->cap_owned * 2 : 64;
        float **no = tide_realloc(lm->owned, (size_t)nc * sizeof *no);
        if (!no) {
            free(p);
            return TIDE_ERR_NOMEM;
        }
        lm->owned = no;
        lm->cap_owned = nc;
    }
    lm->owned[lm->n_owned++] = p;
    return TIDE_OK;
}

/* Fetch prefix+name as f32 with the given shape. */
static tide_status tensor(tide_lm *lm, const char *prefix, const char *name, int ndim, int64_t d0, int64_t d1,
                          const float **out) {
    char full[256];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    int64_t shape[2] = {d0, d1};
    float *own = NULL;
    tide_status s = tide_safetensors_f32(&lm->st, full, ndim, shape, out, &own);
    if (!s) s = keep(lm, own);
    return s;
}

/* LayerNorm parameters under either naming (weight/bias or gamma/beta). */
static tide_status layernorm(tide_lm *lm, const char *prefix, const char *base, const float **g, const float **b) {
    char w[256], bb[256], probe[300];
    snprintf(probe, sizeof probe, "%s%s.weight", prefix, base);
    int gamma = !tide_safetensors_find(&lm->st, probe);
    snprintf(w, sizeof w, "%s.%s", base, gamma ? "gamma" : "weight");
    snprintf(bb, sizeof bb, "%s.%s", base, gamma ? "beta" : "bias");
    int64_t H = lm->cfg.hidden;
    tide_status s = tensor(lm, prefix, w, 1, H, 0, g);
    if (!s) s = tensor(lm, prefix, bb, 1, H, 0, b);
    return s;
}

static tide_status load_weights(tide_lm *lm, const char *st_path) {
    tide_status s = tide_safetensors_open(st_path, &lm->st);
    if (s) return s;
    const char *prefix = NULL;
    if (tide_safetensors_find(&lm->st, "embeddings.word_embeddings.weight")) prefix = "";
    else if (tide_safetensors_find(&lm->st, "bert.embeddings.word_embeddings.weight")) prefix = "bert.";
    else
        return tide_error(TIDE_ERR_DATA, "%s: missing tensor 'embeddings.word_embeddings.weight' (nor with a 'bert.' prefix): not a BERT checkpoint",
                          st_path);
    tide_lm_config *c = &lm->cfg;
    int64_t H = c->hidden, I = c->intermediate;
    char pre[64];
    snprintf(pre, sizeof pre, "%s", prefix);
    const tide_st_tensor *we = NULL;
    char wname[96];
    snprintf(wname, sizeof wname, "%sembeddings.word_embeddings.weight", prefix);
    we = tide_safetensors_find(&lm->st, wname);
    snprintf(c->weight_dtype, sizeof c->weight_dtype, "%s", we->dtype);
    if ((s = tensor(lm, pre, "embeddings.word_embeddings.weight", 2, c->vocab_size, H, &lm->word)) ||
        (s = tensor(lm, pre, "embeddings.position_embeddings.weight", 2, c->max_position, H, &lm->pos)) ||
        (s = tensor(lm, pre, "embeddings.token_type_embeddings.weight", 2, c->type_vocab, H, &lm->type)) ||
        (s = layernorm(lm, pre, "embeddings.LayerNorm", &lm->emb_ln_g, &lm->emb_ln_b)))
        return s;
    lm->layers = tide_calloc((size_t)c->layers, sizeof *lm->layers);
    if (!lm->layers) return TIDE_ERR_NOMEM;
    for (int l = 0; l < c->layers; l++) {
        lm_layer *L = &lm->layers[l];
        char p[96];
        snprintf(p, sizeof p, "%sencoder.layer.%d.", prefix, l);
        const float *q, *k, *v, *qb, *kb, *vb;
        if ((s = tensor(lm, p, "attention.self.query.weight", 2, H, H, &q)) ||
            (s = tensor(lm, p, "attention.self.key.weight", 2, H, H, &k)) ||
            (s = tensor(lm, p, "attention.self.value.weight", 2, H, H, &v)) ||
            (s = tensor(lm, p, "attention.self.query.bias", 1, H, 0, &qb)) ||
            (s = tensor(lm, p, "attention.self.key.bias", 1, H, 0, &kb)) ||
            (s = tensor(lm, p, "attention.self.value.bias", 1, H, 0, &vb)) ||
            (s = tensor(lm, p, "attention.output.dense.weight", 2, H, H, &L->ao_w)) ||
            (s = tensor(lm, p, "attention.output.dense.bias", 1, H, 0, &L->ao_b)) ||
            (s = layernorm(lm, p, "attention.output.LayerNorm", &L->ln1_g, &L->ln1_b)) ||
            (s = tensor(lm, p, "intermediate.dense.weight", 2, I, H, &L->in_w)) ||
            (s = tensor(lm, p, "intermediate.dense.bias", 1, I, 0, &L->in_b)) ||
            (s = tensor(lm, p, "output.dense.weight", 2, H, I, &L->out_w)) ||
            (s = tensor(lm, p, "output.dense.bias", 1, H, 0, &L->out_b)) ||
            (s = layernorm(lm, p, "output.LayerNorm", &L->ln2_g, &L->ln2_b)))
            return s;
        /* Fuse Q, K, V into one [3H, H] matrix so each layer does one projection GEMM. */
        size_t hh = (size_t)H * (size_t)H;
        float *w = tide_malloc(3 * hh * sizeof *w), *b = tide_malloc(3 * (size_t)H * sizeof *b);
        if (!w || !b) {
            free(w);
            free(b);
            return TIDE_ERR_NOMEM;
        }
        memcpy(w, q, hh * sizeof *w);
        memcpy(w + hh, k, hh * sizeof *w);
        memcpy(w + 2 * hh, v, hh * sizeof *w);
        memcpy(b, qb, (size_t)H * sizeof *b);
        memcpy(b + H, kb, (size_t)H * sizeof *b);
        memcpy(b + 2 * H, vb, (size_t)H * sizeof *b);
        if ((s = keep(lm, w))) {
            free(b);
            return s;
        }
        if ((s = keep(lm, b))) return s;
        L->qkv_w = w;
        L->qkv_b = b;
    }
    /* Split the dense weights for the AMX kernel once, here, rather than per batch. */
    lm->amx = lm_amx_available();
    for (int l = 0; l < c->layers && lm->amx; l++) {
        lm_layer *L = &lm->layers[l];
        if ((s = lm_amx_pack(L->qkv_w, L->qkv_b, 3 * (int)H, (int)H, &L->amx[0])) ||
            (s = lm_amx_pack(L->ao_w, L->ao_b, (int)H, (int)H, &L->amx[1])) ||
            (s = lm_amx_pack(L->in_w, L->in_b, (int)I, (int)H, &L->amx[2])) ||
            (s = lm_amx_pack(L->out_w, L->out_b, (int)H, (int)I, &L->amx[3])))
            return s;
    }
    return TIDE_OK;
}

static tide_status load_bert_config(tide_lm *lm, const char *path) {
    cJSON *j = NULL;
    tide_status s = read_json(path, &j);
    if (s) return s;
    tide_lm_config *c = &lm->cfg;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(j, "model_type");
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(j, "architectures");
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(j, "hidden_act");
    const cJSON *pet = cJSON_GetObjectItemCaseSensitive(j, "position_embedding_type");
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(j, "layer_norm_eps");
    if (mt && (!cJSON_IsString(mt) || strcmp(mt->valuestring, "bert") != 0)) {
        s = tide_error(TIDE_ERR_DATA, "%s: unsupported architecture: model_type '%s' (tide runs BERT encoders, model_type \"bert\")",
                       path, cJSON_IsString(mt) ? mt->valuestring : "?");
        goto done;
    }
    if (cJSON_IsArray(arch)) {
        for (const cJSON *a = arch->child; a; a = a->next)
            if (!cJSON_IsString(a) || strncmp(a->valuestring, "Bert", 4) != 0) {
                s = tide_error(TIDE_ERR_DATA, "%s: unsupported architecture '%s' (tide runs BERT encoders: BertModel and its heads)",
                               path, cJSON_IsString(a) ? a->valuestring : "?");
                goto done;
            }
    } else if (!mt) {
        s = tide_error(TIDE_ERR_DATA, "%s: neither \"model_type\" nor \"architectures\" says this is a BERT model", path);
        goto done;
    }
    if (act && (!cJSON_IsString(act) || strcmp(act->valuestring, "gelu") != 0)) {
        s = tide_error(TIDE_ERR_DATA, "%s: unsupported activation hidden_act '%s' (tide implements \"gelu\", the exact erf form)",
                       path, cJSON_IsString(act) ? act->valuestring : "?");
        goto done;
    }
    if (pet && !cJSON_IsNull(pet) && (!cJSON_IsString(pet) || strcmp(pet->valuestring, "absolute") != 0)) {
        s = tide_error(TIDE_ERR_DATA, "%s: unsupported position_embedding_type '%s' (tide implements \"absolute\")", path,
                       cJSON_IsString(pet) ? pet->valuestring : "?");
        goto done;
    }
    if ((s = get_int(j, path, "vocab_size", 1, 0, 1, &c->vocab_size)) ||
        (s = get_int(j, path, "hidden_size", 1, 0, 1, &c->hidden)) ||
        (s = get_int(j, path, "num_hidden_layers", 1, 0, 1, &c->layers)) ||
        (s = get_int(j, path, "num_attention_heads", 1, 0, 1, &c->heads)) ||
        (s = get_int(j, path, "intermediate_size", 1, 0, 1, &c->intermediate)) ||
        (s = get_int(j, path, "max_position_embeddings", 1, 0, 2, &c->max_position)) ||
        (s = get_int(j, path, "type_vocab_size", 0, 2, 1, &c->type_vocab)))
        goto done;
    if (c->hidden % c->heads) {
        s = tide_error(TIDE_ERR_DATA, "%s: hidden_size %d is not a multiple of num_attention_heads %d", path, c->hidden, c->heads);
        goto done;
    }
    c->layer_norm_eps = 1e-12;
    if (eps) {
        if (!cJSON_IsNumber(eps) || !(eps->valuedouble > 0) || eps->valuedouble > 1) {
            s = tide_error(TIDE_ERR_DATA, "%s: \"layer_norm_eps\" must be a number in (0, 1]", path);
            goto done;
        }
        c->layer_norm_eps = eps->valuedouble;
    }
done:
    cJSON_Delete(j);
    return s;
}

static tide_status load_pooling(tide_lm *lm, const char *path) {
    cJSON *j = NULL;
    tide_status s = read_json(path, &j);
    if (s) return s;
    int dim = 0, cls = 0, mean = 0;
    if ((s = get_int(j, path, "word_embedding_dimension", 1, 0, 1, &dim))) goto done;
    for (const cJSON *it = j->child; it; it = it->next) {
        if (strncmp(it->string, "pooling_mode_", 13) != 0) continue;
        if (!cJSON_IsBool(it)) {
            s = tide_error(TIDE_ERR_DATA, "%s: \"%s\" must be true or false", path, it->string);
            goto done;
        }
        if (!cJSON_IsTrue(it)) continue;
        if (strcmp(it->string, "pooling_mode_cls_token") == 0) cls = 1;
        else if (strcmp(it->string, "pooling_mode_mean_tokens") == 0) mean = 1;
        else {
            s = tide_error(TIDE_ERR_DATA, "%s: unsupported pooling \"%s\" (tide implements mean and CLS pooling)", path, it->string);
            goto done;
        }
    }
    const cJSON *pm = cJSON_GetObjectItemCaseSensitive(j, "pooling_mode");
    if (cJSON_IsString(pm)) {
        if (strcmp(pm->valuestring, "cls") == 0) cls = 1;
        else if (strcmp(pm->valuestring, "mean") == 0) mean = 1;
        else {
            s = tide_error(TIDE_ERR_DATA, "%s: unsupported pooling_mode '%s' (tide implements mean and cls)", path, pm->valuestring);
            goto done;
        }
    }
    if (cls + mean != 1) {
        s = tide_error(TIDE_ERR_DATA, "%s: exactly one of pooling_mode_mean_tokens and pooling_mode_cls_token must be true", path);
        goto done;
    }
    lm->cfg.pooling = cls ? TIDE_POOL_CLS : TIDE_POOL_MEAN;
    if (dim != lm->cfg.hidden) {
        s = tide_error(TIDE_ERR_DATA, "%s: word_embedding_dimension %d differs from the encoder's hidden_size %d", path, dim, lm->cfg.hidden);
        goto done;
    }
done:
    cJSON_Delete(j);
    return s;
}

/* modules.json: a Transformer, a Pooling and optionally a Normalize, in that order. */
static tide_status load_modules(tide_lm *lm, const char *dir, char **tf_dir, char **pool_dir) {
    char *path = tide_path_join(dir, "modules.json");
    if (!path) return TIDE_ERR_NOMEM;
    cJSON *j = NULL;
    tide_status s = read_json(path, &j);
    if (s) goto done;
    if (!cJSON_IsArray(j)) {
        s = tide_error(TIDE_ERR_DATA, "%s: expected a JSON array of modules", path);
        goto done;
    }
    int stage = 0; /* 0 want transformer, 1 want pooling, 2 want normalize/end, 3 end */
    for (const cJSON *m = j->child; m; m = m->next) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(m, "type");
        const cJSON *mp = cJSON_GetObjectItemCaseSensitive(m, "path");
        if (!cJSON_IsString(type) || !cJSON_IsString(mp)) {
            s = tide_error(TIDE_ERR_DATA, "%s: every module needs \"type\" and \"path\" strings", path);
            goto done;
        }
        const char *t = type->valuestring;
        if (stage == 0 && ends_with(t, "models.Transformer")) {
            *tf_dir = *mp->valuestring ? tide_path_join(dir, mp->valuestring) : strdup(dir);
            if (!*tf_dir) {
                s = TIDE_ERR_NOMEM;
                goto done;
            }
            stage = 1;
        } else if (stage == 1 && ends_with(t, "models.Pooling")) {
            *pool_dir = tide_path_join(dir, mp->valuestring);
            if (!*pool_dir) {
                s = TIDE_ERR_NOMEM;
                goto done;
            }
            stage = 2;
        } else if (stage == 2 && ends_with(t, "models.Normalize")) {
            lm->cfg.normalize = 1;
            stage = 3;
        } else {
            s = tide_error(TIDE_ERR_DATA, "%s: unsupported module '%s' at this position (tide runs Transformer, Pooling[, Normalize])",
                           path, t);
            goto done;
        }
    }
    if (stage < 2) {
        s = tide_error(TIDE_ERR_DATA, "%s: needs a Transformer module followed by a Pooling module", path);
        goto done;
    }
done:
    cJSON_Delete(j);
    free(path);
    return s;
}

static tide_status load_tokenizer(tide_lm *lm, const char *tf_dir) {
    tide_tokenizer_params tp = tide_tokenizer_params_default();
    cJSON *tc = NULL, *sb = NULL;
    char *tc_path = tide_path_join(tf_dir, "tokenizer_config.json");
    char *sb_path = tide_path_join(tf_dir, "sentence_bert_config.json");
    char *vocab = tide_path_join(tf_dir, "vocab.txt");
    tide_status s = TIDE_OK;
    if (!tc_path || !sb_path || !vocab) {
        s = TIDE_ERR_NOMEM;
        goto done;
    }
    int model_max = lm->cfg.max_position;
    if (tide_path_exists(tc_path)) {
        if ((s = read_json(tc_path, &tc))) goto done;
        const cJSON *cls = cJSON_GetObjectItemCaseSensitive(tc, "tokenizer_class");
        if (cJSON_IsString(cls) && strcmp(cls->valuestring, "BertTokenizer") && strcmp(cls->valuestring, "BertTokenizerFast")) {
            s = tide_error(TIDE_ERR_DATA, "%s: unsupported tokenizer_class '%s' (tide implements BertTokenizer)", tc_path, cls->valuestring);
            goto done;
        }
        int b = -1;
        if ((s = get_bool(tc, tc_path, "do_lower_case", &b))) goto done;
        if (b >= 0) tp.do_lower_case = b;
        if ((s = get_bool(tc, tc_path, "strip_accents", &b))) goto done;
        tp.strip_accents = b;
        if ((s = get_bool(tc, tc_path, "tokenize_chinese_chars", &b))) goto done;
        if (b >= 0) tp.tokenize_chinese_chars = b;
        if ((s = get_bool(tc, tc_path, "do_basic_tokenize", &b))) goto done;
        if (b == 0) {
            s = tide_error(TIDE_ERR_DATA, "%s: do_basic_tokenize false is not supported", tc_path);
            goto done;
        }
        tp.unk_token = get_token(tc, "unk_token", tp.unk_token);
        tp.cls_token = get_token(tc, "cls_token", tp.cls_token);
        tp.sep_token = get_token(tc, "sep_token", tp.sep_token);
        tp.pad_token = get_token(tc, "pad_token", tp.pad_token);
        tp.mask_token = get_token(tc, "mask_token", tp.mask_token);
        const cJSON *mm = cJSON_GetObjectItemCaseSensitive(tc, "model_max_length");
        if (cJSON_IsNumber(mm) && mm->valuedouble >= 2 && mm->valuedouble < model_max) model_max = (int)mm->valuedouble;
    }
    int max_seq = model_max;
    if (tide_path_exists(sb_path)) {
        if ((s = read_json(sb_path, &sb))) goto done;
        if ((s = get_int(sb, sb_path, "max_seq_length", 0, model_max, 2, &max_seq))) goto done;
        int b = -1;
        if ((s = get_bool(sb, sb_path, "do_lower_case", &b))) goto done;
        if (b == 1) tp.do_lower_case = 1; /* sentence-transformers lower-cases the text first */
    }
    if (max_seq > lm->cfg.max_position) {
        s = tide_error(TIDE_ERR_DATA, "%s: max_seq_length %d exceeds max_position_embeddings %d of config.json", sb_path, max_seq,
                       lm->cfg.max_position);
        goto done;
    }
    lm->cfg.max_seq_length = max_seq;
    tp.max_length = max_seq;
    if ((s = tide_tokenizer_load(vocab, &tp, &lm->tok))) goto done;
    if (tide_tokenizer_vocab_size(lm->tok) > lm->cfg.vocab_size) {
        s = tide_error(TIDE_ERR_DATA, "%s: %lld tokens, more than vocab_size %d of config.json", vocab,
                       (long long)tide_tokenizer_vocab_size(lm->tok), lm->cfg.vocab_size);
        goto done;
    }
done:
    cJSON_Delete(tc);
    cJSON_Delete(sb);
    free(tc_path);
    free(sb_path);
    free(vocab);
    return s;
}

void tide_lm_free(tide_lm *lm) {
    if (!lm) return;
    for (int i = 0; i < lm->n_owned; i++) free(lm->owned[i]);
    free(lm->owned);
    for (int l = 0; lm->layers && l < lm->cfg.layers; l++)
        for (int i = 0; i < 4; i++) lm_amx_weight_free(&lm->layers[l].amx[i]);
    free(lm->layers);
    tide_tokenizer_free(lm->tok);
    tide_safetensors_close(&lm->st);
    free(lm);
}

tide_status tide_lm_load(const char *dir, tide_lm **out) {
    *out = NULL;
    tide_status s = TIDE_OK;
    char *tf_dir = NULL, *pool_dir = NULL, *cfg = NULL, *pool_cfg = NULL, *weights = NULL;
    tide_lm *lm = tide_calloc(1, sizeof *lm);
    if (!lm) return TIDE_ERR_NOMEM;
    if (!tide_is_dir(dir)) {
        s = tide_error(TIDE_ERR_IO, "%s: not a model folder (a directory with config.json, vocab.txt, model.safetensors, modules.json)", dir);
        goto done;
    }
    if ((s = load_modules(lm, dir, &tf_dir, &pool_dir))) goto done;
    cfg = tide_path_join(tf_dir, "config.json");
    pool_cfg = tide_path_join(pool_dir, "config.json");
    weights = tide_path_join(tf_dir, "model.safetensors");
    if (!cfg || !pool_cfg || !weights) {
        s = TIDE_ERR_NOMEM;
        goto done;
    }
    if ((s = load_bert_config(lm, cfg)) || (s = load_pooling(lm, pool_cfg)) || (s = load_tokenizer(lm, tf_dir)))
        goto done;
    lm->cfg.dim = lm->cfg.hidden;
    if (!tide_path_exists(weights)) {
        s = tide_error(TIDE_ERR_IO, "%s: missing (tide reads safetensors weights; pytorch_model.bin is not supported)", weights);
        goto done;
    }
    if ((s = load_weights(lm, weights))) goto done;
done:
    free(tf_dir);
    free(pool_dir);
    free(cfg);
    free(pool_cfg);
    free(weights);
    if (s) tide_lm_free(lm);
    else *out = lm;
    return s;
}

const tide_lm_config *tide_lm_get_config(const tide_lm *lm) { return &lm->cfg; }
const tide_tokenizer *tide_lm_tokenizer(const tide_lm *lm) { return lm->tok; }
