/* tide/tokenizer.h — text to token ids, as Hugging Face's BERT tokenizer does it, and the word
 * splitter TF-IDF uses.
 *
 * The pipeline (docs/formats.md "Model folder"; matches the `tokenizers` BertNormalizer +
 * BertPreTokenizer + WordPiece that sentence-transformers runs):
 *  1. literal special tokens ([CLS], [SEP], [PAD], [UNK], [MASK] as configured) in the raw text
 *     are matched first and map straight to their ids;
 *  2. cleaning: U+0000, U+FFFD and control characters (category C* except \t \n \r) dropped,
 *     whitespace (\t \n \r, category Zs) becomes a space;
 *  3. CJK ideographs get a space on each side;
 *  4. accents stripped (NFD, drop category Mn) when strip_accents (default: = lower case), then
 *     lower-cased;
 *  5. split on whitespace; every punctuation character (ASCII symbols or category P*) is a word;
 *  6. WordPiece: greedy longest match, "##" for continuations; a word longer than
 *     max_input_chars_per_word code points, or with any unmatched position, is one [UNK];
 *  7. [CLS] tokens [SEP], truncated to max_length ids in all.
 * Invalid UTF-8 bytes are decoded as U+FFFD (and so dropped by step 2) and counted.
 * A tokenizer is immutable after loading and safe to share between threads. */
#ifndef TIDE_TOKENIZER_H
#define TIDE_TOKENIZER_H

#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tide_tokenizer tide_tokenizer;

typedef struct tide_tokenizer_params {
    int do_lower_case;            /* 1 */
    int strip_accents;            /* -1 = same as do_lower_case (HF's null), 0 no, 1 yes */
    int tokenize_chinese_chars;   /* 1 */
    int max_length;               /* ids per text including [CLS] and [SEP]; >= 2 (512) */
    int max_input_chars_per_word; /* 100 */
    const char *unk_token, *cls_token, *sep_token, *pad_token, *mask_token; /* "[UNK]" ... */
} tide_tokenizer_params;

tide_tokenizer_params tide_tokenizer_params_default(void);
/* NULL when valid, else a message naming the bad field. */
const char *tide_tokenizer_params_check(const tide_tokenizer_params *p);

/* Load vocab.txt (one token per line, id = 0-based line number). Missing special tokens are
 * TIDE_ERR_DATA naming the file. The strings in `p` are copied. */
tide_status tide_tokenizer_load(const char *vocab_path, const tide_tokenizer_params *p,
                                tide_tokenizer **out);
void tide_tokenizer_free(tide_tokenizer *t);

int64_t tide_tokenizer_vocab_size(const tide_tokenizer *t);
int tide_tokenizer_max_length(const tide_tokenizer *t);
int32_t tide_tokenizer_pad_id(const tide_tokenizer *t);
/* Token string of an id, NULL when out of range. */
const char *tide_tokenizer_token(const tide_tokenizer *t, int32_t id);
/* Id of a token string, -1 if absent. */
int32_t tide_tokenizer_id(const tide_tokenizer *t, const char *token);

typedef struct tide_tokenize_info {
    int n_invalid_utf8;  /* bytes that were not valid UTF-8 */
    int truncated;       /* 1 when wordpieces were dropped to fit max_length */
    int n_unk;           /* [UNK] ids produced from text (not literal "[UNK]") */
} tide_tokenize_info;

/* Encode `len` bytes of text (not NUL-terminated necessarily) into ids[0..*n_ids), with
 * *n_ids <= max_length; `ids` must hold max_length entries. `info` may be NULL. */
tide_status tide_tokenizer_encode(const tide_tokenizer *t, const char *text, size_t len,
                                  int32_t *ids, int *n_ids, tide_tokenize_info *info);

/* The basic (pre-WordPiece) tokenizer alone with the given switches: calls fn once per word
 * (UTF-8, not NUL-terminated) after steps 2–5; special tokens are not matched. Returns the count
 * of invalid UTF-8 bytes through n_invalid (may be NULL). fn returning non-zero stops early. */
typedef int (*tide_word_fn)(const char *word, size_t len, void *user);
tide_status tide_text_words(const char *text, size_t len, int lower_case, int strip_accents,
                            int split_cjk, tide_word_fn fn, void *user, int *n_invalid);

#ifdef __cplusplus
}
#endif
#endif
