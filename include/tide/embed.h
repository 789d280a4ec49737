/* tide/embed.h — text embeddings as a file format: the text corpus tide-embed embeds (a
 * dataset's item text, its users' text events, or plain lines), the computation with a language
 * model or TF-IDF (with the row cache), and the vectors on disk — OUT.npy f32 [rows, dim] plus
 * the manifest OUT.json (model, pooling, text source, per-row text hashes, every array's CRC-32;
 * docs/formats.md "Embeddings") — written and read with their provenance checked.
 *
 * Commit protocol: the manifest is the commit point. Every array is written to a temporary
 * name, arrays an earlier run left under this output name that the new output does not have
 * (e.g. OUT.users.npy after a --user-text run) are removed, the arrays are renamed into place,
 * and the manifest, naming each array's CRC-32 and size, is renamed last. A reader accepts
 * vectors only when they match their manifest, so a run killed between two renames can leave
 * new vectors beside the old manifest, but nothing ever uses them: the pair is reported as
 * inconsistent (and --cache recomputes every row). */
#ifndef TIDE_EMBED_H
#define TIDE_EMBED_H

#include <cjson/cJSON.h>

#include "tide/backend.h"
#include "tide/core.h"
#include "tide/dataset.h"
#include "tide/npy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TIDE_EMBED_ITEMS = 0, TIDE_EMBED_USER_TEXT, TIDE_EMBED_LINES } tide_embed_kind;

/* What is embedded: row k's text, and for user text each event's user, item and time. */
typedef struct tide_embed_corpus {
    tide_embed_kind kind;
    int64_t n;
    char **text;               /* [n] NUL-terminated */
    size_t *len;
    int32_t *users, *items;    /* TIDE_EMBED_USER_TEXT: [n] (item -1 = none) */
    int64_t *times;
    /* the source, recorded in the manifest */
    char *dataset_path;        /* items, user text */
    char dataset_checksum[32];
    char **fields;             /* items: the text fields joined, in order */
    int n_fields;
    char *input;               /* lines: the file read */
    /* private */
    char *buf;
    int owned_text;
} tide_embed_corpus;

/* Item texts of a dataset: the chosen fields (`fields_csv` "a,b", NULL = all the dataset's
 * text fields) joined by newlines; row i = item i. An unknown field is TIDE_ERR_USAGE. */
tide_status tide_embed_corpus_items(tide_dataset *ds, const char *dataset_path, const char *fields_csv,
                                    tide_embed_corpus *c);
/* The dataset's user text events; row k = event k. The texts stay owned by ds. */
tide_status tide_embed_corpus_user_text(tide_dataset *ds, const char *dataset_path, tide_embed_corpus *c);
/* Each line of a file ("-" = stdin; a trailing CR dropped); row k = line k. */
tide_status tide_embed_corpus_lines(const char *path, tide_embed_corpus *c);
void tide_embed_corpus_free(tide_embed_corpus *c);

typedef struct tide_embed_params {
    const char *model;         /* a sentence-transformers folder, or "tfidf" */
    int batch_size;            /* LM texts per encoder batch (default 32) */
    int dim;                   /* TF-IDF output dimensions (default 128) */
    uint64_t seed;             /* TF-IDF projections */
    tide_device device;
    const char *cache;         /* earlier OUT.npy whose unchanged rows are copied (LM only), or NULL */
} tide_embed_params;

tide_embed_params tide_embed_params_default(void);
/* NULL if valid, else a message (a usage error). */
const char *tide_embed_params_check(const tide_embed_params *p);

/* "lm:crc32:xxxxxxxx" over a model folder's configuration, vocabulary and weights. */
tide_status tide_embed_model_key(const char *dir, char *out, size_t cap);

/* Embed the corpus: *vectors (malloc'ed f32 [c->n, *dim]) and the manifest of the result
 * (format, kind, model, model_key, source, counts, encoder, row_hashes) in *manifest, to which
 * the caller may add provenance before tide_embed_write. */
tide_status tide_embed_compute(const tide_embed_params *p, const tide_embed_corpus *c, float **vectors, int *dim,
                               cJSON **manifest);

/* Write OUT.npy (+ OUT.users/times/items.npy for user text) and OUT.json by the commit protocol
 * above; the manifest gains `files`. A failed write leaves the previous output as it was. */
tide_status tide_embed_write(const char *out_npy, const float *vectors, int64_t rows, int dim,
                             const tide_embed_corpus *c, cJSON *manifest);

/* OUT.json for OUT.npy ("x.npy" -> "x.json", else "x" + ".json"); malloc'ed. */
char *tide_embed_sibling(const char *npy, const char *suffix);

/* Vectors read back with their provenance: the manifest beside them is required, and every
 * array it lists must match its recorded size and CRC-32 and the manifest's shape; a mismatch
 * is TIDE_ERR_DATA naming the file ("does not match its manifest"). */
typedef struct tide_embed_vectors {
    tide_npy vectors;          /* f32 [rows, dim] */
    tide_npy users, times, items;  /* user text only (else zeroed) */
    int64_t rows;
    int dim;
    tide_embed_kind kind;
    char model_key[64];
    cJSON *manifest;
} tide_embed_vectors;

tide_status tide_embed_vectors_load(const char *npy, tide_embed_vectors *v);
void tide_embed_vectors_free(tide_embed_vectors *v);

/* An f32 [rows, dim] matrix for programs that take vectors from anywhere (tide-recommend's
 * --item-vectors, --query-vectors): when a tide-embed manifest lies beside it, the vectors must
 * match it exactly as in tide_embed_vectors_load; a plain .npy (from NumPy, another tool) is
 * loaded as it is. */
typedef struct tide_embed_origin {
    int has_manifest;          /* 0: a plain .npy, nothing below is known */
    tide_embed_kind kind;
    char dataset_checksum[32]; /* items / user text: the dataset the rows belong to */
} tide_embed_origin;

tide_status tide_embed_matrix_load(const char *npy, tide_npy *out, tide_embed_origin *origin /* or NULL */);

#ifdef __cplusplus
}
#endif
#endif
