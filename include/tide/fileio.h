/* tide/fileio.h — atomic outputs, read-only memory maps, checksums.
 *
 * Every output tide writes goes through these helpers so that a failed or killed run never
 * leaves a partial file under the requested name:
 *  - a file is written to ".<name>.tmp.XXXXXX" in the same directory, flushed, fsync'ed and
 *    renamed over the target (rename is atomic within one file system);
 *  - a directory is built under ".<name>.tmp.XXXXXX" and swapped in only when complete (an
 *    existing directory is exchanged atomically with renameat2(RENAME_EXCHANGE) where the
 *    kernel supports it, then removed).
 * The path "-" means standard output for files.
 * Temporary names are ".<name>.tmp.<pid>.XXXXXX" (docs/formats.md): opening an output first
 * removes the temporaries of the same name whose process is gone (a killed run's litter).
 * A program with several outputs commits them as a group (tide_atomic_group_*): all are written
 * first, then renamed in one short run with a journal, so a kill leaves either all old or all new
 * outputs (a journal left by SIGKILL mid-run is finished by the next run writing that name).
 */
#ifndef TIDE_FILEIO_H
#define TIDE_FILEIO_H

#include <stdio.h>
#include "tide/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tide_atomic_file {
    FILE *fp;          /* write through this */
    char *path;        /* final name (NULL for stdout) */
    char *tmp_path;    /* temporary name (NULL for stdout) */
    int is_stdout;
} tide_atomic_file;

/* Open `path` for atomic writing ("-" = stdout, committed by flushing). */
tide_status tide_atomic_open(tide_atomic_file *f, const char *path);
/* Flush, fsync and rename into place; checks every write error. Closes in all cases. */
tide_status tide_atomic_commit(tide_atomic_file *f);
/* Discard the temporary file. Safe to call after a failed commit or on a zeroed struct. */
void tide_atomic_abort(tide_atomic_file *f);

/* Write a whole buffer atomically to `path`. */
tide_status tide_write_file_atomic(const char *path, const void *data, size_t n);

typedef struct tide_atomic_dir {
    char *path;      /* final directory */
    char *tmp_path;  /* directory being built; write files inside it */
} tide_atomic_dir;

/* Create the temporary directory next to `path`. Parent directories of `path` must exist. */
tide_status tide_atomic_dir_begin(tide_atomic_dir *d, const char *path);
/* Return a malloc'ed "<tmp_path>/<name>" (NULL on overflow/nomem). */
char *tide_atomic_dir_file(const tide_atomic_dir *d, const char *name);
/* fsync the files' directory and swap it into place (replacing an existing directory). */
tide_status tide_atomic_dir_commit(tide_atomic_dir *d);
/* Remove the temporary directory and everything in it. */
void tide_atomic_dir_abort(tide_atomic_dir *d);

/* Group commit: between begin and commit, tide_atomic_commit() on any file (in this thread)
 * writes, flushes and closes it but defers the rename; tide_atomic_group_commit() then writes a
 * journal ".<first>.commit.<pid>" beside the first output listing every rename, renames all in
 * order, and removes the journal; tide_atomic_group_abort() removes the temporaries instead. */
typedef struct tide_atomic_group {
    int n, cap;
    char **tmp, **path;
    struct tide_atomic_group *prev;
} tide_atomic_group;
void tide_atomic_group_begin(tide_atomic_group *g);
tide_status tide_atomic_group_commit(tide_atomic_group *g);
void tide_atomic_group_abort(tide_atomic_group *g);

/* Signals (core/signals.c): remove registered temporaries on SIGTERM/SIGINT/SIGHUP, print one
 * line naming the program and re-raise; ignore SIGXFSZ so an over-limit write fails with EFBIG. */
void tide_signals_install(const char *program);
void tide_cleanup_register(const char *tmp_path);
void tide_cleanup_unregister(const char *tmp_path);
/* Defer signal handling across a short critical section (a group's renames). */
void tide_signals_hold(void);
void tide_signals_release(void);

/* Remove a directory tree (used for cleanup). Returns 0 on success. */
int tide_rmtree(const char *path);
/* Create a directory and its parents (like mkdir -p). */
tide_status tide_mkdirs(const char *path);

/* Read-only memory map of a whole file. A zero-length file maps to data == NULL, size == 0. */
typedef struct tide_map {
    const unsigned char *data;
    size_t size;
} tide_map;
tide_status tide_map_open(tide_map *m, const char *path);
void tide_map_close(tide_map *m);

/* Read a whole file (or "-" = stdin) into a malloc'ed, NUL-terminated buffer. */
tide_status tide_read_file(const char *path, char **data, size_t *size);

/* CRC-32 (zlib) of a buffer, continuing from `crc` (start with 0). */
uint32_t tide_crc32(uint32_t crc, const void *data, size_t n);
/* CRC-32 and size of a file, streamed. */
tide_status tide_file_crc32(const char *path, uint32_t *crc, uint64_t *size);

/* Join two path parts with '/', malloc'ed. */
char *tide_path_join(const char *a, const char *b);
/* 1 if the path exists (any type). */
int tide_path_exists(const char *path);
int tide_is_dir(const char *path);

#ifdef __cplusplus
}
#endif
#endif
