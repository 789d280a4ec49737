/* tide/lm.h — BERT-family sentence embeddings straight from a Hugging Face
 * sentence-transformers folder, and the safetensors reader under it.
 *
 * The model folder (docs/formats.md "Language-model folder"): config.json (BERT architecture),
 * vocab.txt + tokenizer_config.json, model.safetensors (F32/F16/BF16), modules.json naming a
 * Transformer, a Pooling (mean or CLS, from its config.json) and optionally a Normalize module,
 * and sentence_bert_config.json (max_seq_length). Nothing model-specific is compiled in.
 *
 * The encoder is HF BertModel in eval mode (post-LayerNorm, exact erf GELU), computed in f32 on
 * the backend's sgemm (CPU: OpenBLAS) with tokens of a batch packed without padding; batches are
 * formed from length-sorted windows of texts and run in parallel, one per OpenMP thread, so
 * working memory is bounded by threads x batch, not by the corpus. Results are deterministic for
 * a given batch size (they do not depend on the thread count). */
#ifndef TIDE_LM_H
#define TIDE_LM_H

#include "tide/backend.h"
#include "tide/core.h"
#include "tide/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- safetensors ------------------------------------------------------------------------- */

typedef struct tide_st_tensor {
    char *name;
    char dtype[12];        /* "F32", "BF16", ... */
    int bits;              /* bits per element */
    int ndim;
    int64_t shape[8];
    size_t offset;         /* absolute byte offset in the file */
    size_t nbytes;
} tide_st_tensor;

typedef struct tide_safetensors {
    char *path;
    const unsigned char *data;  /* whole file (mapped, or the caller's buffer) */
    size_t size;
    int n;
    tide_st_tensor *tensors;    /* sorted by name */
    /* private */
    void *map_base;
    size_t map_size;
} tide_safetensors;

/* Map and validate a .safetensors file: header length, UTF-8 JSON object with the documented
 * value types, known dtypes, no duplicate names, offsets contiguous from 0 with no gaps or
 * overlaps, sizes matching shape x dtype, data ending exactly at the end of the file. Every
 * violation is TIDE_ERR_DATA "path: tensor 'name': what is wrong". */
tide_status tide_safetensors_open(const char *path, tide_safetensors *st);
/* The same over a buffer (not copied; must outlive st). `name` is used in messages. */
tide_status tide_safetensors_parse(const void *buf, size_t size, const char *name, tide_safetensors *st);
void tide_safetensors_close(tide_safetensors *st);
const tide_st_tensor *tide_safetensors_find(const tide_safetensors *st, const char *name);
/* A tensor as f32, checking its shape (ndim elements of `shape`; -1 = any size). Converts F16 and
 * BF16; F32 data that is 4-byte aligned is returned in place (*owned = NULL), else copied into a
 * malloc'ed array returned through *owned as well. */
tide_status tide_safetensors_f32(const tide_safetensors *st, const char *name, int ndim,
                                 const int64_t *shape, const float **data, float **owned);

/* ---- the model ------------------------------------------------------------------------------ */

typedef enum { TIDE_POOL_MEAN = 0, TIDE_POOL_CLS } tide_pooling;

typedef struct tide_lm_config {
    int vocab_size, hidden, layers, heads, intermediate, max_position, type_vocab;
    double layer_norm_eps;
    int max_seq_length;      /* from sentence_bert_config.json, capped by the tokenizer */
    tide_pooling pooling;
    int normalize;           /* a Normalize module follows pooling */
    int dim;                 /* output dimension (= hidden) */
    char weight_dtype[12];   /* dtype of the word embeddings, for reports */
} tide_lm_config;

typedef struct tide_lm tide_lm;

/* Load a sentence-transformers folder. Unsupported architectures, activations, position
 * embeddings, modules or pooling modes, and any tensor missing or of the wrong shape, are
 * TIDE_ERR_DATA naming the file (and tensor). */
tide_status tide_lm_load(const char *dir, tide_lm **out);
void tide_lm_free(tide_lm *lm);
const tide_lm_config *tide_lm_get_config(const tide_lm *lm);
const tide_tokenizer *tide_lm_tokenizer(const tide_lm *lm);

typedef struct tide_lm_params {
    int batch_size;          /* texts per forward pass (32) */
    int window_batches;      /* batches per length-sorted window (16; memory is per batch) */
    tide_device device;      /* TIDE_DEVICE_CPU */
} tide_lm_params;
tide_lm_params tide_lm_params_default(void);
const char *tide_lm_params_check(const tide_lm_params *p);

typedef struct tide_lm_stats {
    int64_t texts, tokens, truncated, invalid_utf8_texts, invalid_utf8_bytes, empty;
    double flops;            /* multiply-adds x 2 of the encoder's matrix products */
    double seconds;          /* wall time of tide_lm_embed */
    const char *matmul;      /* what ran the dense layers: "amx-bf16x6" or "openblas" */
} tide_lm_stats;

/* Embed n texts into out [n, dim] (row i = texts[i]; lens may be NULL for NUL-terminated
 * texts). Uses tide_threads_get() OpenMP threads. `stats` may be NULL. */
tide_status tide_lm_embed(tide_lm *lm, const char *const *texts, const size_t *lens, int64_t n,
                          const tide_lm_params *p, float *out, tide_lm_stats *stats);

/* Run the encoder on one sequence of ids (with [CLS]/[SEP]) and write the last hidden state
 * [n_ids, hidden] (for tests). */
tide_status tide_lm_hidden(tide_lm *lm, const int32_t *ids, int n_ids, float *hidden);

#ifdef __cplusplus
}
#endif
#endif
