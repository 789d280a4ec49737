/* idlist.h — the small id-list files programs take beside a dataset: `--users FILE` (user ids),
 * `--candidates FILE` (item ids, an allow-list) and `--exclude FILE` (`user<TAB>item` pairs).
 *
 * One id per line (a pair per line for exclusions), LF or CRLF; blank lines are skipped and line
 * numbers count them. Ids are matched byte for byte against the dataset's users.txt/items.txt, so
 * a line holding a NUL byte (which would cut the id short and match another id) is bad data,
 * reported as `file:line: reason` (TIDE_ERR_DATA, exit 3).
 */
#ifndef TIDE_IDLIST_H
#define TIDE_IDLIST_H

#include <stddef.h>
#include <stdint.h>

#include "tide/core.h"
#include "tide/dataset.h"

typedef struct tide_idlist {
    char *buf;        /* the file's bytes, lines NUL-terminated in place */
    char **line;      /* the non-blank lines */
    size_t *len;      /* their lengths */
    int64_t *lineno;  /* their 1-based line numbers */
    int64_t n;
    const char *path; /* for messages (not owned) */
} tide_idlist;

/* Split `buf` (size bytes, owned by the list from now on, freed by tide_idlist_free) into lines. */
tide_status tide_idlist_parse(char *buf, size_t size, const char *path, tide_idlist *L);
/* Read a file (or "-" for stdin) and split it. */
tide_status tide_idlist_read(const char *path, tide_idlist *L);
void tide_idlist_free(tide_idlist *L);

/* `--users`: dense user indices in file order; an unknown or repeated id is bad data. */
tide_status tide_idlist_users(const tide_idlist *L, tide_dataset *ds, int64_t **out, int64_t *n);
/* `--candidates`: sorted distinct item indices; an unknown id or an empty list is bad data. */
tide_status tide_idlist_items(const tide_idlist *L, tide_dataset *ds, int32_t **out, int64_t *n);
/* `--exclude`: `user<TAB>item` pairs; a line that is not exactly that is bad data; pairs naming
 * ids the dataset does not know are dropped (such an item can never be recommended), counted in
 * *unknown. */
tide_status tide_idlist_pairs(const tide_idlist *L, tide_dataset *ds, int64_t **users, int32_t **items, int64_t *n,
                              int64_t *unknown);

#endif
