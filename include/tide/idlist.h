/* tide/idlist.h — the small id-list files programs take beside a dataset: `--users` (user ids,
 * one per line, in output order), `--candidates` (an item allow-list) and `--exclude`
 * (`user<TAB>item` pairs). One reader and one set of rules for every program:
 *   - a line is an id exactly as written (a trailing CR is dropped); blank lines are ignored;
 *   - a NUL byte in a line is bad data (it would cut the id and merge it with another);
 *   - errors are TIDE_ERR_DATA with `file:line: what is wrong`; "-" reads stdin. */
#ifndef TIDE_IDLIST_H
#define TIDE_IDLIST_H

#include "tide/core.h"
#include "tide/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The non-blank lines of a file, NUL-terminated in one buffer, with their 1-based line numbers. */
typedef struct {
    char *buf;
    char **line;
    int64_t *lineno;
    int64_t n;
} tide_lines;

tide_status tide_lines_read(const char *path, tide_lines *out);
void tide_lines_free(tide_lines *l);

/* --users: dense user indexes in file order. Unknown ids and ids listed twice are bad data. */
tide_status tide_idlist_users(const char *path, tide_dataset *ds, int64_t **users, int64_t *n);

/* --candidates: dense item indexes, sorted ascending, duplicates dropped. Unknown ids and an
 * empty list are bad data. */
tide_status tide_idlist_items(const char *path, tide_dataset *ds, int32_t **items, int64_t *n);

/* --exclude: `user<TAB>item` pairs as dense indexes. A malformed line is bad data; pairs naming
 * ids the dataset does not know are dropped (such an item can never be recommended) and counted
 * in *unknown. */
tide_status tide_idlist_pairs(const char *path, tide_dataset *ds, int64_t **users, int32_t **items, int64_t *n,
                              int64_t *unknown);

#ifdef __cplusplus
}
#endif
#endif
