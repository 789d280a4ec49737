/* fuzz-tokenizer.c — libFuzzer target for the language model's text-side parsers: the first byte
 * picks what the rest is —
 *   0: vocab.txt (tide_tokenizer_load), then a few texts encoded with it;
 *   1: tokenizer_config.json of the tiny BERT fixture (tests/fixtures/lm/tiny-bert-cls), loaded
 *      whole by tide_lm_load (the config's keys are type-checked there);
 *   2: a text encoded with the fixture's vocabulary (BERT basic tokenizer + WordPiece).
 * Every load fails with a status or gives a tokenizer whose ids stay inside its vocabulary and
 * whose encodings fit max_length. (tide reads vocab.txt and tokenizer_config.json; it does not
 * read tokenizer.json.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tide/fileio.h"
#include "tide/lm.h"
#include "tide/tokenizer.h"

#ifndef TIDE_SOURCE_DIR_DEFAULT
#define TIDE_SOURCE_DIR_DEFAULT "."
#endif

#include "fuzz-tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256], vocab[384], model[384], config[420];
static tide_tokenizer *fixture_tok;

static void write_file(const char *path, const void *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f)) abort();
}

static void cleanup(void) { tide_rmtree(root); }

static void setup(void) {
    const char *src = getenv("TIDE_SOURCE_DIR");
    if (!src || !*src) src = TIDE_SOURCE_DIR_DEFAULT;
    char fx[512];
    snprintf(fx, sizeof fx, "%s/tests/fixtures/lm/tiny-bert-cls", src);
    snprintf(root, sizeof root, "%s/tide-fuzz-tok-XXXXXX", fuzz_tmp_base());
    if (!mkdtemp(root)) abort();
    atexit(cleanup);
    snprintf(vocab, sizeof vocab, "%s/vocab.txt", root);
    snprintf(model, sizeof model, "%s/model", root);
    snprintf(config, sizeof config, "%s/tokenizer_config.json", model);
    if (tide_mkdirs(model)) abort();
    /* the model folder: the fixture's files by symlink, tokenizer_config.json our own */
    const char *files[] = {"config.json", "model.safetensors", "modules.json", "sentence_bert_config.json", "vocab.txt",
                           "1_Pooling"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char a[700], b[800];
        snprintf(a, sizeof a, "%s/%s", fx, files[i]);
        snprintf(b, sizeof b, "%s/%s", model, files[i]);
        if (symlink(a, b)) abort();
    }
    char fv[600];
    snprintf(fv, sizeof fv, "%s/vocab.txt", fx);
    tide_tokenizer_params tp = tide_tokenizer_params_default();
    tp.max_length = 64;
    if (tide_tokenizer_load(fv, &tp, &fixture_tok)) {
        fprintf(stderr, "fuzz-tokenizer: cannot load %s (set TIDE_SOURCE_DIR)\n", fv);
        abort();
    }
}

static void encode_check(const tide_tokenizer *t, const char *text, size_t len) {
    int max = tide_tokenizer_max_length(t), n = 0;
    int32_t *ids = malloc((size_t)max * sizeof *ids);
    if (!ids) abort();
    tide_tokenize_info info;
    if (tide_tokenizer_encode(t, text, len, ids, &n, &info) == TIDE_OK) {
        if (n < 0 || n > max) abort();
        for (int i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= tide_tokenizer_vocab_size(t) || !tide_tokenizer_token(t, ids[i])) abort();
    }
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!root[0]) setup();
    int mode = data[0] % 3;
    data++;
    size--;
    if (mode == 0) {
        write_file(vocab, data, size);
        tide_tokenizer_params tp = tide_tokenizer_params_default();
        tp.max_length = 16;
        tide_tokenizer *t;
        if (tide_tokenizer_load(vocab, &tp, &t) == TIDE_OK) {
            static const char *texts[] = {"", "hello world", "[UNK] [CLS] x", "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 ##ing",
                                          "\xff\xfe bad"};
            for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) encode_check(t, texts[i], strlen(texts[i]));
            tide_tokenizer_free(t);
        }
    } else if (mode == 1) {
        write_file(config, data, size);
        tide_lm *lm;
        if (tide_lm_load(model, &lm) == TIDE_OK) tide_lm_free(lm);
    } else {
        char *text = malloc(size + 1); /* exact length: the encoder must not read past it */
        if (!text) abort();
        memcpy(text, data, size);
        encode_check(fixture_tok, text, size);
        free(text);
    }
    return 0;
}
